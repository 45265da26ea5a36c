"""The search index on PostgreSQL: token pairs in a GIN-indexed tsvector, checked against token streams.

Why not PostgreSQL's own text search or pg_trgm: Chinese has no spaces, so a word parser sees whole
lines as one word; a tsvector keeps at most 256 positions per lexeme and none past 16,383, so
phrase search over characters fails in long documents; pg_trgm needs three characters to use its
index, and 1- and 2-character terms (人事, 通知, 函) are the commonest searches here.

So each document is stored as the same tokens the SQLite index uses (archiver.storage.tokens: one
CJK character per token, letter and digit runs whole) in two forms:
- `title`, `meta`, `body`: the tokens joined by single spaces, with a space at each end;
- `grams`: a tsvector of every token and every pair of adjacent tokens ("国", "国 务"), title
  lexemes weighted A, meta B, body D; GIN-indexed.
A term of 1 token is one lexeme, of 2 tokens one pair: the index answers both exactly. A longer term
needs all its pairs (the index narrows to those documents), then its spaced tokens as a substring of
a stream, which proves them adjacent and in order. A long body is split into parts of PART_TOKENS
tokens that overlap by OVERLAP tokens (a tsvector must stay under 1 MB), so a term of up to
OVERLAP + 1 tokens is found across a part boundary; rows are keyed (document_id, part).
"""
from __future__ import annotations

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from .tables import FTS_TABLE
from .tokens import tokenize

PART_TOKENS = 8192
OVERLAP = 64
MAX_POSITIONS = 8  # positions kept per lexeme: enough for ts_rank to tell 1 hit from many
RANK_WEIGHTS = "{0.1, 0, 0.4, 1.0}"  # ts_rank weights of D (body), C, B (meta), A (title): search.WEIGHTS
Phrase = tuple[str, ...]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def stream(tokens: list[str]) -> str:
    return " " + " ".join(tokens) + " " if tokens else " "


def grams_literal(columns: list[tuple[list[str], str]]) -> str:
    """The tsvector literal of (tokens, weight) columns: each token and each adjacent pair, with positions."""
    found: dict[str, list[str]] = {}
    pos = 0
    for tokens, weight in columns:
        suffix = "" if weight == "D" else weight
        for i, tok in enumerate(tokens):
            pos = min(pos + 1, 16383)
            for lex in (tok, f"{tok} {tokens[i + 1]}") if i + 1 < len(tokens) else (tok,):
                have = found.setdefault(lex, [])
                if len(have) < MAX_POSITIONS:
                    have.append(f"{pos}{suffix}")
        pos = min(pos + 1, 16383)  # no pair spans two columns
    return " ".join(f"{_quote(lex)}:{','.join(ps)}" for lex, ps in found.items())


def _parts(body: list[str]) -> list[list[str]]:
    if len(body) <= PART_TOKENS:
        return [body]
    return [body[max(0, k - OVERLAP):k + PART_TOKENS] for k in range(0, len(body), PART_TOKENS)]


def index_document(s: Session, document_id: int, title: str, meta: str, body: str) -> None:
    remove_document(s, document_id)
    t, m = [x.text for x in tokenize(title)], [x.text for x in tokenize(meta)]
    for part, chunk in enumerate(_parts([x.text for x in tokenize(body)])):
        cols = [(t, "A"), (m, "B"), (chunk, "D")] if part == 0 else [(chunk, "D")]
        s.execute(sql(f"INSERT INTO {FTS_TABLE} (document_id, part, title, meta, body, grams) "
                      f"VALUES (:id, :part, :title, :meta, :body, CAST(:grams AS tsvector))"),
                  {"id": document_id, "part": part, "title": stream(t if part == 0 else []),
                   "meta": stream(m if part == 0 else []), "body": stream(chunk), "grams": grams_literal(cols)})


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
def _pairs_query(p: Phrase) -> str:
    """The tsquery every document holding the phrase matches: its token, or all its adjacent pairs."""
    if len(p) == 1:
        return _quote(p[0])
    return " & ".join(dict.fromkeys(_quote(f"{a} {b}") for a, b in zip(p, p[1:])))


class _Sql:
    """Collects bound parameters while SQL fragments are written."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def phrase(self, p: Phrase, alias: str = "f") -> str:
        """True where this index row holds the phrase (exactly)."""
        q = f"{alias}.grams @@ CAST({self.bind(_pairs_query(p))} AS tsquery)"
        if len(p) <= 2:
            return q
        needle = self.bind(stream(list(p)))
        return (f"({q} AND (strpos({alias}.body, {needle}) > 0 OR strpos({alias}.title, {needle}) > 0 "
                f"OR strpos({alias}.meta, {needle}) > 0))")


def matching_documents(groups: tuple[tuple[Phrase, ...], ...], excluded: tuple[Phrase, ...]) -> tuple[str, dict]:
    """A subquery of (document_id, rank) for the parsed query, and its parameters.

    Every group must match in some part of the document (its phrases OR'ed), no excluded phrase in
    any part; rank sums each group's best ts_rank. Each group is one GIN bitmap scan."""
    q = _Sql()
    per_group = []
    for g in groups:
        cond = " OR ".join(q.phrase(p) for p in g)
        rank_q = q.bind(" | ".join(f"({_pairs_query(p)})" for p in g))
        per_group.append(f"SELECT f.document_id, max(ts_rank('{RANK_WEIGHTS}', f.grams, CAST({rank_q} AS tsquery))) AS r "
                         f"FROM {FTS_TABLE} AS f WHERE {cond} GROUP BY f.document_id")
    union = " UNION ALL ".join(per_group)
    sub = f"SELECT g.document_id, sum(g.r) AS rank FROM ({union}) AS g GROUP BY g.document_id"
    if len(groups) > 1:
        sub += f" HAVING count(*) = {len(groups)}"
    if excluded:
        cond = " OR ".join(q.phrase(p, "x") for p in excluded)
        sub = (f"SELECT m.document_id, m.rank FROM ({sub}) AS m WHERE NOT EXISTS "
               f"(SELECT 1 FROM {FTS_TABLE} AS x WHERE x.document_id = m.document_id AND ({cond}))")
    return sub, q.params
