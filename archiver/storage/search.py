"""Full-text search: SQLite FTS5, or token pairs on PostgreSQL (pg_search). User queries are parsed
here and never reach MATCH or a tsquery as raw text.

Query language: terms separated by spaces must all match; `OR` between terms; `NOT term` or `-term`
excludes; "double quotes" make a phrase one term. A term matches its characters adjacent, in order.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
import dataclasses
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from ..errors import QueryError
from ..textnorm import compact
from . import pg_search
from .tables import FTS_TABLE
from .tokens import index_text, phrase, tokenize

Phrase = tuple[str, ...]  # tokens that must appear adjacent and in order

MARK_START, MARK_END = "\x02", "\x03"  # around each hit in a snippet; the caller decides how to show them
WEIGHTS = (10.0, 4.0, 1.0)  # bm25 weights of the title, meta (issuer, number, file name) and body columns
SNIPPET_WIDTH = 120
# A query longer than this is refused before it is parsed: a pasted 公文 title is 20-60 characters, a pasted
# sentence rarely 150; a 40,000-character query once took 863 MB and 3 s.
MAX_QUERY_CHARS = 200
_OPERATORS = {"OR", "AND", "NOT"}


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    title: str | None
    original_name: str
    snippet: str  # original text around the hits, hits wrapped in MARK_START/MARK_END
    score: float  # higher is better (bm25, sign flipped)
    category: str | None
    doc_type: str | None
    year: int | None


@dataclass(frozen=True)
class Query:
    """A parsed query: each group must match (any phrase of it), and no excluded phrase may."""

    groups: tuple[tuple[Phrase, ...], ...]
    excluded: tuple[Phrase, ...] = ()

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        return tuple(p for group in self.groups for p in group)

    def match_expression(self) -> str:
        """The FTS5 MATCH string: only quoted phrases and operators we wrote, nothing from the user raw."""
        expr = " AND ".join("(" + " OR ".join(_quote(p) for p in group) + ")" for group in self.groups)
        if self.excluded:
            expr = f"({expr}) NOT (" + " OR ".join(_quote(p) for p in self.excluded) + ")"
        return expr


def _quote(p: Phrase) -> str:
    # Tokens hold only letters and digits, but doubling quotes keeps this safe whatever they hold.
    return '"' + " ".join(p).replace('"', '""') + '"'


def _lex(text: str) -> list[tuple[str, str, bool]]:
    """Split a query into (kind, text, negated) items; kind is "op", "word" or "phrase"."""
    text = unicodedata.normalize("NFKC", text).replace("\u201c", '"').replace("\u201d", '"')
    items: list[tuple[str, str, bool]] = []
    word: list[str] = []

    def end_word() -> None:
        w = "".join(word)
        word.clear()
        if w in _OPERATORS:
            items.append(("op", w, False))
        elif w.startswith("-") and len(w) > 1:
            items.append(("word", w[1:], True))
        elif w:
            items.append(("word", w, False))

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            negated = word == ["-"]
            if negated:
                word.clear()
            end_word()
            close = text.find('"', i + 1)
            if close < 0:
                raise QueryError('unbalanced quote: a phrase opened with " is never closed')
            items.append(("phrase", text[i + 1:close], negated))
            i = close + 1
            continue
        if ch.isspace():
            end_word()
        else:
            word.append(ch)
        i += 1
    end_word()
    return items


def _check_length(what: str, text: str | None) -> None:
    if text is not None and len(text.strip()) > MAX_QUERY_CHARS:
        raise QueryError(f"the {what} is {len(text.strip()):,} characters long; the limit is {MAX_QUERY_CHARS}")


def parse_query(text: str) -> Query:
    """Parse a user query; raises QueryError (one line) when it is malformed or has nothing to search."""
    _check_length("query", text)
    items = _lex(text)
    if not items:
        raise QueryError("empty query: give at least one word to search for")
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    last = None  # "pos", "neg" or the last operator
    for kind, value, negated in items:
        if kind == "op":
            if value == "NOT":
                if last == "NOT":
                    raise QueryError("NOT NOT: NOT must be followed by a term")
                if last == "OR":
                    raise QueryError("OR cannot join an excluded (NOT) term")
            elif last == "neg" and value == "OR":
                raise QueryError("OR cannot join an excluded (NOT) term")
            elif last not in ("pos", "neg"):
                raise QueryError(f"{value} needs a term on each side")
            last = value
            continue
        negated = negated or last == "NOT"
        tokens = phrase(value)
        if negated:
            if last == "OR":
                raise QueryError("OR cannot join an excluded (NOT) term")
            if tokens:
                excluded.append(tokens)
            last = "neg"
            continue
        if last == "OR":
            groups[-1].append(tokens)
        else:
            groups.append([tokens])
        last = "pos"
    if last in _OPERATORS:
        raise QueryError(f"the query ends with {last}: it needs a term after it")
    # Terms with nothing searchable in them (`*`, `:`) are dropped, like punctuation in the text.
    kept = tuple(tuple(dict.fromkeys(p for p in g if p)) for g in groups)
    kept = tuple(g for g in kept if g)
    if not kept:
        if excluded:
            raise QueryError("nothing to search for: a query cannot consist only of excluded terms")
        raise QueryError(f"nothing searchable in {text.strip()!r}: give letters, digits or Chinese characters")
    return Query(kept, tuple(dict.fromkeys(excluded)))


# --- the index ------------------------------------------------------------------------------
def _postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def index_document(s: Session, document_id: int, *, title: str | None, meta: str, body: str) -> None:
    """Put (or replace) one document's row in the FTS index."""
    if _postgres(s):
        pg_search.index_document(s, document_id, title or "", meta, body)
        return
    remove_document(s, document_id)
    s.execute(
        sql(f"INSERT INTO {FTS_TABLE}(rowid, title, meta, body) VALUES (:id, :title, :meta, :body)"),
        {"id": document_id, "title": index_text(title or ""), "meta": index_text(meta), "body": index_text(body)},
    )


def remove_document(s: Session, document_id: int) -> None:
    if _postgres(s):
        pg_search.remove_document(s, document_id)
        return
    s.execute(sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": document_id})


def indexed_rows(s: Session) -> dict[int, list[tuple[str, str, str]]]:
    """What the index holds per document: (title, meta, body) as token strings; `manage.py check` compares."""
    if _postgres(s):
        return pg_search.indexed_rows(s)
    rows: dict[int, list[tuple[str, str, str]]] = {}
    for r in s.execute(sql(f"SELECT rowid, title, meta, body FROM {FTS_TABLE}")):
        rows.setdefault(r[0], []).append((r[1], r[2], r[3]))
    return rows


def meta_text(issuer: str | None, doc_number: str | None, original_name: str) -> str:
    """What goes in the meta column, so a search finds a document by issuer, number or file name."""
    return "\n".join(x for x in (issuer, doc_number, original_name) if x)


# --- searching ------------------------------------------------------------------------------
def _iso(value: str | date | None, name: str) -> str | None:
    if value is None or isinstance(value, date):
        return value.isoformat() if value else None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise QueryError(f"{name} {value!r} is not a date (yyyy-mm-dd)") from None


def _fold(value: str | None) -> str | None:
    return compact(value) if value else None


def _fold_number(value: str | None) -> str | None:
    """A 发文字号 filter as numbers are stored: brackets of any kind become 〔〕."""
    value = _fold(value)
    return value.translate(str.maketrans("[]【】()［］", "〔〕〔〕〔〕〔〕")) if value else None


def search(
    s: Session,
    query: str,
    *,
    category: str | None = None,
    doc_type: str | None = None,
    year: int | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    limit: int = 20,
    offset: int = 0,
    issuer: str | None = None,
    doc_number: str | None = None,
) -> list[SearchHit]:
    """Documents matching `query` and the filters, best first (bm25), each with a marked snippet.

    `issuer` and `doc_number` match as substrings (人民政府, 国办发, 〔2024〕 in any bracket). With an
    empty query and at least one filter, every document passing the filters is listed, newest first."""
    if limit < 1 or offset < 0:
        raise QueryError("limit must be at least 1 and offset at least 0")
    filters = Filters(category, doc_type, year, date_from, date_to, issuer, doc_number)
    filters_only = not query.strip() and filters.any()
    q = None if filters_only else parse_query(query)
    postgres = _postgres(s)
    where, params = _filter_sql(filters, postgres)
    params |= {"limit": limit, "offset": offset}
    if q is None:
        return _listing(s, where, params)
    if postgres:
        rows = _postgres_rows(s, q, where, params, limit, offset)
    else:
        rows = _sqlite_rows(s, q, where, params)
    return [
        SearchHit(r.id, r.title, r.original_name, snippet(r.text, q.phrases), -r.rank, r.category, r.doc_type, r.year)
        for r in rows
    ]


@dataclass(frozen=True)
class Filters:
    """The filters of a search, each None when not given."""

    category: str | None = None
    doc_type: str | None = None
    year: int | None = None
    date_from: str | date | None = None
    date_to: str | date | None = None
    issuer: str | None = None
    doc_number: str | None = None

    def any(self) -> bool:
        return any(getattr(self, f.name) is not None for f in dataclasses.fields(self))


def _filter_sql(f: Filters, postgres: bool) -> tuple[list[str], dict[str, object]]:
    """WHERE clauses on documents AS d, and their parameters, for the filters (lengths checked)."""
    for what, value in (("category", f.category), ("type", f.doc_type), ("issuer", f.issuer),
                        ("document number", f.doc_number)):
        _check_length(f"{what} filter", value)
    where: list[str] = []
    params: dict[str, object] = {}
    for column, value in (("category", f.category), ("doc_type", f.doc_type), ("year", f.year)):
        if value is not None:
            where.append(f"d.{column} = :{column}")
            params[column] = value
    contains = "strpos({}, {}) > 0" if postgres else "instr({}, {}) > 0"
    for column, value in (("issuer", _fold(f.issuer)), ("doc_number", _fold_number(f.doc_number))):
        if value:  # instr, not LIKE: a % or _ in the filter is meant literally
            where.append(contains.format(f"d.{column}", f":{column}"))
            params[column] = value
    for name, op, value in (("date_from", ">=", f.date_from), ("date_to", "<=", f.date_to)):
        if (iso := _iso(value, name)) is not None:
            where.append(f"d.date {op} :{name}")
            params[name] = iso
    return where, params


def _listing(s: Session, where: list[str], params: dict) -> list[SearchHit]:
    """Every document passing the filters, newest 成文日期 first (no query, so no rank and no marks)."""
    rows = s.execute(sql(
        f"SELECT d.id, d.title, d.original_name, d.category, d.doc_type, d.year, d.text, 0 AS rank "
        f"FROM documents AS d WHERE {' AND '.join(where) or '1 = 1'} "
        f"ORDER BY d.date IS NULL, d.date DESC, d.id DESC LIMIT :limit OFFSET :offset"), params).all()
    return [SearchHit(r.id, r.title, r.original_name, snippet(r.text, ()), 0.0, r.category, r.doc_type, r.year)
            for r in rows]


def _sqlite_rows(s: Session, q: Query, where: list[str], params: dict) -> list:
    """A page of an SQLite search: the FTS5 match, the filters, bm25 order."""
    where = [f"{FTS_TABLE} MATCH :match", *where]
    return s.execute(sql(
        f"SELECT d.id, d.title, d.original_name, d.category, d.doc_type, d.year, d.text, "
        f"bm25({FTS_TABLE}, {', '.join(map(str, WEIGHTS))}) AS rank "
        f"FROM {FTS_TABLE} JOIN documents AS d ON d.id = {FTS_TABLE}.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY rank, d.id DESC LIMIT :limit OFFSET :offset"),
        {**params, "match": q.match_expression()}).all()


def _postgres_rows(s: Session, q: Query, where: list[str], params: dict, limit: int, offset: int) -> list:
    """A page of a PostgreSQL search. A term of more than pg_search.GRAM tokens is found by its n-grams
    in the index; proving its tokens adjacent means reading the text back, so that is done here, in
    rank order, only until the page is full (not for every candidate in the archive)."""
    confirm_here = any(len(p) > pg_search.GRAM for p in q.phrases + q.excluded)
    matches, match_params = pg_search.matching_documents(q.groups, q.excluded, confirm=not confirm_here)
    params = {**params, **match_params}
    pg_search.set_planner(s, True)
    try:
        if not confirm_here:
            return _postgres_page(s, matches, where, params, limit, offset)
        found: list = []
        batch, skip = max(100, 4 * (limit + offset)), 0
        while len(found) < limit + offset:
            candidates = _postgres_page(s, matches, where, params, batch, skip)
            found += [r for r in candidates if _holds(q, r)]
            if len(candidates) < batch:
                break
            skip += batch
        return found[offset:offset + limit]
    finally:
        pg_search.set_planner(s, False)


def _postgres_page(s: Session, matches: str, where: list[str], params: dict, limit: int, offset: int) -> list:
    params = {**params, "limit": limit, "offset": offset}
    if not where:  # no filter needs the documents table: rank and cut in the index alone, join only the page
        matches = f"SELECT * FROM ({matches}) AS r ORDER BY r.rank DESC, r.document_id DESC LIMIT :upto"
        params["upto"] = limit + offset  # the page's rows and those before it; the outer query pages
    return s.execute(sql(
        f"SELECT d.id, d.title, d.original_name, d.category, d.doc_type, d.year, d.text, d.issuer, d.doc_number, "
        f"-m.rank AS rank FROM ({matches}) AS m JOIN documents AS d ON d.id = m.document_id "
        f"{'WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY m.rank DESC, d.id DESC LIMIT :limit OFFSET :offset"), params).all()


def _holds(q: Query, r) -> bool:
    """Whether a document holds a phrase of every group and no excluded phrase, tokens adjacent and in
    order, in its title, meta or text: the same columns and tokens as the index."""
    streams = [pg_search.stream(list(phrase(x)))
               for x in (r.title or "", meta_text(r.issuer, r.doc_number, r.original_name), r.text)]

    def has(p: Phrase) -> bool:
        needle = pg_search.stream(list(p))
        return any(needle in st for st in streams)

    return all(any(has(p) for p in g) for g in q.groups) and not any(has(p) for p in q.excluded)


# --- snippets -------------------------------------------------------------------------------
def _spans(text: str, phrases: tuple[Phrase, ...]) -> list[tuple[int, int]]:
    """Where in `text` the phrases occur (offsets into the original), merged where they overlap."""
    toks = tokenize(text)
    words = [t.text for t in toks]
    by_first: dict[str, list[Phrase]] = defaultdict(list)
    for p in phrases:
        by_first[p[0]].append(p)
    found = []
    for i, w in enumerate(words):
        for p in by_first.get(w, ()):
            if tuple(words[i:i + len(p)]) == p:
                found.append((toks[i].start, toks[i + len(p) - 1].end))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


# Whitespace between two CJK characters (or full-width punctuation) is a line break of the scan, not a space.
_WIDE_GAP = re.compile(r"(?<=[^\x00-\x7f\s])([\x02\x03]?)\s+([\x02\x03]?)(?=[^\x00-\x7f\s])")


def _flatten(text: str) -> str:
    return re.sub(r"\s+", " ", _WIDE_GAP.sub(r"\1\2", text)).strip()


def holds_hit(text: str, phrases: tuple[Phrase, ...]) -> bool:
    """Does the text hold one of the phrases, matched as snippet() marks them?"""
    return bool(_spans(text, phrases))


def snippet(text: str, phrases: tuple[Phrase, ...], width: int = SNIPPET_WIDTH) -> str:
    """About `width` characters of `text` around the densest run of hits, each hit marked."""
    spans = _spans(text, phrases)
    if not spans:
        return _flatten(text[:width]) + ("…" if len(text) > width else "")
    lead = width // 4
    best, best_count = 0, -1
    for k, (a, _) in enumerate(spans):
        count = sum(1 for x, y in spans[k:] if y <= a + width - lead)
        if count > best_count:
            best, best_count = k, count
    start = max(0, spans[best][0] - lead)
    end = start + width
    inside = [(a, b) for a, b in spans if a < end and b > start]
    end = max(end, inside[-1][1])  # never cut a hit in two
    out, pos = [], start
    for a, b in inside:
        out += [text[pos:a], MARK_START, text[a:b], MARK_END]
        pos = b
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + _flatten("".join(out)) + ("…" if end < len(text) else "")
