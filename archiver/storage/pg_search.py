"""The search index on PostgreSQL: token n-grams in a GIN-indexed tsvector, checked against token streams.

Why not PostgreSQL's own text search or pg_trgm: Chinese has no spaces, so a word parser sees whole
lines as one word; a tsvector keeps at most 256 positions per lexeme and none past 16,383, so
phrase search over characters fails in long documents; pg_trgm needs three characters to use its
index, and 1- and 2-character terms (人事, 通知, 函) are the commonest searches here.

So each document is stored as the same tokens the SQLite index uses (archiver.storage.tokens: one
CJK character per token, letter and digit runs whole) in three forms:
- `title`, `meta`, `body`: the tokens joined by single spaces, with a space at each end;
- `grams`: a tsvector of every token, every pair and every triple of adjacent tokens ("国", "国 务",
  "国 务 院") of all three, without positions; GIN-indexed.
A term of 1, 2 or 3 tokens is one lexeme: the index answers it exactly, without reading `grams`
back. A longer term needs all its triples (the index narrows to those documents), then its spaced
tokens as a substring of a stream, which proves them adjacent and in order: search() does that in
rank order and stops when a page of results is full (matching_documents(confirm=True) does it in SQL
for every candidate, as the tests' plans and counts use it). A long body
is split into parts of PART_TOKENS tokens that overlap by OVERLAP tokens (a tsvector must stay under
1 MB), so a term of up to OVERLAP + 1 tokens is found across a part boundary; rows are keyed
(document_id, part).

Ranking is by where the terms are: the title, then the meta (issuer, 发文字号, file name), then the body,
newest first among equals. SQLite's bm25 also counts body occurrences; here that would mean reading
every matching document's body back, and a common term matches most of the archive. So rows are kept
small (the table's toast_tuple_target moves body and grams out of line) and the planner is told to
use the index rather than read the table: it does not count the cost of reading `grams` back for
every row of a scan.
"""
from __future__ import annotations

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from .tables import FTS_TABLE
from .tokens import tokenize

PART_TOKENS = 8192
OVERLAP = 64
TITLE_SCORE, META_SCORE, BODY_SCORE = 10, 4, 1  # a group's rank, by where it matched (search.WEIGHTS)
# Set for the search statement only (see the module docstring): the GIN index, not the table or its key.
PLANNER = {"enable_seqscan": "off", "enable_indexscan": "off"}
GRAM = 3  # tokens, pairs and triples of adjacent tokens are lexemes
Phrase = tuple[str, ...]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def stream(tokens: list[str]) -> str:
    return " " + " ".join(tokens) + " " if tokens else " "


def _grams_at(tokens: list[str] | tuple[str, ...], i: int) -> list[str]:
    """The lexemes that start at token i: the token, its pair and its triple (as far as the tokens go)."""
    return [" ".join(tokens[i:i + n]) for n in range(1, GRAM + 1) if i + n <= len(tokens)]


def _lexemes(tokens: list[str]) -> list[str]:
    return [lex for i in range(len(tokens)) for lex in _grams_at(tokens, i)]


def grams_literal(columns: list[list[str]]) -> str:
    """The tsvector literal of every token, pair and triple of each column, without positions."""
    return " ".join(_quote(lex) for lex in dict.fromkeys(lex for tokens in columns for lex in _lexemes(tokens)))


def _parts(body: list[str]) -> list[list[str]]:
    if len(body) <= PART_TOKENS:
        return [body]
    return [body[max(0, k - OVERLAP):k + PART_TOKENS] for k in range(0, len(body), PART_TOKENS)]


def index_document(s: Session, document_id: int, title: str, meta: str, body: str) -> None:
    remove_document(s, document_id)
    t, m = [x.text for x in tokenize(title)], [x.text for x in tokenize(meta)]
    for part, chunk in enumerate(_parts([x.text for x in tokenize(body)])):
        first = part == 0
        s.execute(sql(f"INSERT INTO {FTS_TABLE} (document_id, part, title, meta, body, grams) VALUES "
                      f"(:id, :part, :title, :meta, :body, CAST(:grams AS tsvector))"),
                  {"id": document_id, "part": part, "title": stream(t if first else []),
                   "meta": stream(m if first else []), "body": stream(chunk),
                   "grams": grams_literal([t, m, chunk] if first else [chunk])})


def remove_document(s: Session, document_id: int) -> None:
    s.execute(sql(f"DELETE FROM {FTS_TABLE} WHERE document_id = :id"), {"id": document_id})


def indexed_rows(s: Session) -> dict[int, list[tuple[str, str, str]]]:
    """Each document's index as (title, meta, body) token strings, as the SQLite index holds them."""
    parts: dict[int, list[tuple[str, str, str]]] = {}
    for r in s.execute(sql(f"SELECT document_id, title, meta, body FROM {FTS_TABLE} ORDER BY document_id, part")):
        parts.setdefault(r[0], []).append((r[1].strip(), r[2].strip(), r[3].strip()))
    out = {}
    for doc_id, rows in parts.items():
        body = rows[0][2].split()
        for _, _, later in rows[1:]:
            body += later.split()[OVERLAP:]
        out[doc_id] = [(rows[0][0], rows[0][1], " ".join(body))]
    return out


# --- queries ----------------------------------------------------------------------------------
def _grams_query(p: Phrase) -> str:
    """The tsquery every document holding the phrase matches: the phrase itself up to GRAM tokens, else
    all its runs of GRAM adjacent tokens."""
    if len(p) <= GRAM:
        return _quote(" ".join(p))
    return " & ".join(dict.fromkeys(_quote(" ".join(p[i:i + GRAM])) for i in range(len(p) - GRAM + 1)))


class _Sql:
    """Collects bound parameters while SQL fragments are written."""

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def __init__(self, confirm: bool = True) -> None:
        self.params: dict[str, object] = {}
        self.confirm = confirm

    def phrase(self, p: Phrase, alias: str = "f") -> str:
        """True where this index row holds the phrase: exactly, or (confirm=False) for a phrase longer
        than GRAM tokens, where it holds all its GRAM-token runs."""
        q = f"{alias}.grams @@ CAST({self.bind(_grams_query(p))} AS tsquery)"
        if len(p) <= GRAM or not self.confirm:
            return q
        needle = self.bind(stream(list(p)))
        return (f"({q} AND (strpos({alias}.body, {needle}) > 0 OR strpos({alias}.title, {needle}) > 0 "
                f"OR strpos({alias}.meta, {needle}) > 0))")


def matching_documents(groups: tuple[tuple[Phrase, ...], ...], excluded: tuple[Phrase, ...],
                       confirm: bool = True) -> tuple[str, dict]:
    """A subquery of (document_id, rank) for the parsed query, and its parameters. With confirm=False
    a phrase longer than GRAM tokens is only looked up by its runs (a superset: the caller proves
    adjacency), and an excluded one is left to the caller.

    Every group must match in some part of the document (its phrases OR'ed), no excluded phrase in
    any part. A group adds TITLE_SCORE if one of its phrases is in the title, META_SCORE if in the
    meta, and BODY_SCORE; the title and meta streams are short and read in the row, the body and
    `grams` are not read back at all for terms of up to GRAM tokens. Each group is one GIN bitmap scan."""
    q = _Sql(confirm)
    per_group = []
    for g in groups:
        cond = " OR ".join(q.phrase(p) for p in g)
        needles = [q.bind(stream(list(p))) for p in g]
        in_title = " OR ".join(f"strpos(f.title, {n}) > 0" for n in needles)
        in_meta = " OR ".join(f"strpos(f.meta, {n}) > 0" for n in needles)
        per_group.append(f"SELECT f.document_id, max(CASE WHEN {in_title} THEN {TITLE_SCORE} ELSE 0 END "
                         f"+ CASE WHEN {in_meta} THEN {META_SCORE} ELSE 0 END) + {BODY_SCORE} AS rank "
                         f"FROM {FTS_TABLE} AS f WHERE {cond} GROUP BY f.document_id")
    if len(groups) == 1:
        sub = per_group[0]
    else:
        union = " UNION ALL ".join(per_group)
        sub = (f"SELECT g.document_id, sum(g.rank) AS rank FROM ({union}) AS g GROUP BY g.document_id "
               f"HAVING count(*) = {len(groups)}")
    excluded = excluded if confirm else tuple(p for p in excluded if len(p) <= GRAM)
    if excluded:
        cond = " OR ".join(q.phrase(p, "x") for p in excluded)
        # NOT IN over one index scan of the excluded (hashed), not a probe per candidate.
        sub = (f"SELECT m.document_id, m.rank FROM ({sub}) AS m WHERE m.document_id NOT IN "
               f"(SELECT x.document_id FROM {FTS_TABLE} AS x WHERE {cond})")
    return sub, q.params


def set_planner(s: Session, on: bool) -> None:
    """Apply (or undo) PLANNER for the statements that follow in this transaction."""
    for name, value in PLANNER.items():
        s.execute(sql("SELECT set_config(:n, :v, true)"), {"n": name, "v": value if on else "on"})
