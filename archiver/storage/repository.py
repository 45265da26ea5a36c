"""Reading and writing the archive through a Session. Writers flush; the caller's session commits."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, selectinload

from ..document import Classification, Document, RuleHit
from ..errors import NotFound
from ..fields import ARCHIVAL_NAMES, GONGWEN_NAMES
from . import search
from .tables import EVENT_KINDS, DocumentRow, FieldSpanRow, DocumentTag, Event, Failure, LineRow, PageRow, RuleHitRow
from .views import DocumentView, LineView, PageView, RuleHitView, SpanView



class ClassificationInput(NamedTuple):
    """What re-running the rules over a stored document needs, and what it was classified as before."""

    id: int
    title: str | None
    issuer: str | None
    text: str
    category: str | None
    tags: tuple[str, ...]
    values: dict = {}  # the stored 公文 fields, for rules' `when:` conditions


def _json(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _tag_rows(tags: Sequence[str]) -> list[DocumentTag]:
    return [DocumentTag(tag=t) for t in dict.fromkeys(tags)]  # a tag given twice is stored once


def _hit_rows(hits: Sequence[RuleHit]) -> list[RuleHitRow]:
    return [
        RuleHitRow(rule=h.rule, category=h.category, tags=_json(h.tags), field=h.field,
                   matched=_json(h.matched), priority=h.priority)
        for h in hits
    ]


def _padded(thumbnails: Sequence[str | None], pages: int) -> list[str | None]:
    if len(thumbnails) > pages:
        raise ValueError(f"{len(thumbnails)} thumbnails for {pages} pages")
    return list(thumbnails) + [None] * (pages - len(thumbnails))


def _require(s: Session, document_id: int) -> DocumentRow:
    row = s.get(DocumentRow, document_id)
    if row is None:
        raise NotFound(f"no document with id {document_id}")
    return row


# --- writing --------------------------------------------------------------------------------
def find_by_sha256(s: Session, sha: str) -> int | None:
    """The id of the stored document with these exact bytes, if any."""
    return s.scalar(select(DocumentRow.id).where(DocumentRow.sha256 == sha))


def add_document(s: Session, doc: Document, archive_path: str, thumbnails: Sequence[str | None]) -> int:
    """Insert a document with its pages, lines, tags, rule hits, index row and event; returns its id."""
    m, c, src, dup = doc.metadata, doc.classification, doc.source, doc.duplicate
    year = m.year if m.year is not None or not m.date else int(m.date[:4])
    row = DocumentRow(
        sha256=src.sha256, original_name=src.name, kind=src.kind, size=src.size, page_count=len(doc.pages),
        **{f: getattr(m, f) for f in GONGWEN_NAMES} | {"year": year}, category=c.category, archive_path=archive_path,
        duplicate_of=dup.document_id if dup else None,
        dup_hash_distance=dup.hash_distance if dup else None,
        dup_text_similarity=dup.text_similarity if dup else None,
        text=doc.text,
    )
    for page, thumb in zip(doc.pages, _padded(thumbnails, len(doc.pages))):
        row.pages.append(PageRow(
            number=page.number, width=page.width, height=page.height, source=page.source, phash=page.phash,
            thumbnail=thumb, text=page.text,
            lines=[LineRow(number=i, text=ln.text, x0=ln.box[0], y0=ln.box[1], x1=ln.box[2], y1=ln.box[3],
                           confidence=ln.confidence) for i, ln in enumerate(page.lines, 1)],
        ))
    row.tag_rows = _tag_rows(c.tags)
    row.rule_hits = _hit_rows(c.hits)
    row.field_spans = [FieldSpanRow(field=sp.field, page=sp.page, line=sp.line, text=sp.text) for sp in m.spans]
    s.add(row)
    s.flush()
    search.index_document(s, row.id, title=m.title, meta=search.meta_text(m.issuer, m.doc_number, src.name),
                          body=row.text)
    if dup:
        record_event(s, "duplicate", f"{src.name}: stored as a near-duplicate of document {dup.document_id} "
                     f"(pHash distance {dup.hash_distance}, text similarity {dup.text_similarity:.2f})", row.id)
    else:
        record_event(s, "ingested", f"{src.name}: stored, {len(doc.pages)} pages", row.id)
    return row.id


def assign_archival_code(s: Session, document_id: int, *, fonds: str, year: int | None, retention: str, org: str,
                         make_code) -> str:
    """Give a document its 档号 once: the next sequence number within its 全宗–年度–保管期限–机构 group.

    make_code(seq) builds the code from the configured pattern. A document that has one keeps it, so
    the number is stable across reclassification and re-runs; the unique index refuses a clash."""
    row = _require(s, document_id)
    if row.archival_code:
        return row.archival_code
    group = (DocumentRow.fonds == fonds, DocumentRow.retention == retention, DocumentRow.org == org,
             DocumentRow.year.is_(None) if year is None else DocumentRow.year == year)
    seq = (s.scalar(select(func.max(DocumentRow.archival_seq)).where(*group)) or 0) + 1
    row.fonds, row.retention, row.org, row.archival_seq = fonds, retention, org, seq
    row.archival_code = make_code(seq)
    s.flush()
    return row.archival_code


def set_files(s: Session, document_id: int, archive_path: str, thumbnails: Sequence[str | None]) -> None:
    """Record where the archived file and the page thumbnails (in page order) were put."""
    row = _require(s, document_id)
    row.archive_path = archive_path
    for page, thumb in zip(row.pages, _padded(thumbnails, len(row.pages))):
        page.thumbnail = thumb
    s.flush()


def count_and_last_id(s: Session) -> tuple[int, int | None]:
    """How many documents are stored, and the newest id: changes whenever one is added or removed."""
    count, last = s.execute(select(func.count(DocumentRow.id), func.max(DocumentRow.id))).one()
    return int(count), last


def find_id(s: Session, document_id: int) -> bool:
    """Is there a document with this id?"""
    return s.get(DocumentRow, document_id) is not None


def line_texts(s: Session, document_id: int) -> Iterator[tuple[int, int, str]]:
    """(page number, line number, text) of a document's lines in reading order."""
    q = (select(PageRow.number, LineRow.number, LineRow.text).join(LineRow, LineRow.page_id == PageRow.id)
         .where(PageRow.document_id == document_id).order_by(PageRow.number, LineRow.number))
    yield from (tuple(r) for r in s.execute(q))


def stored_files(s: Session) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    """(id, archive_path, sha256) of every document and (document id, page number, thumbnail) of every
    page that has one: what the archive folder must hold."""
    docs = [tuple(r) for r in s.execute(select(DocumentRow.id, DocumentRow.archive_path, DocumentRow.sha256)
                                        .order_by(DocumentRow.id))]
    thumbs = [tuple(r) for r in s.execute(select(PageRow.document_id, PageRow.number, PageRow.thumbnail)
                                          .where(PageRow.thumbnail.is_not(None))
                                          .order_by(PageRow.document_id, PageRow.number))]
    return docs, thumbs


def index_inputs(s: Session, document_id: int | None = None) -> dict[int, tuple[str, str, str]]:
    """(title, meta, body) of each document (or of one) as the search index is given them."""
    q = select(DocumentRow.id, DocumentRow.title, DocumentRow.issuer, DocumentRow.doc_number,
               DocumentRow.original_name, DocumentRow.text)
    if document_id is not None:
        q = q.where(DocumentRow.id == document_id)
    return {r.id: (r.title or "", search.meta_text(r.issuer, r.doc_number, r.original_name), r.text)
            for r in s.execute(q)}


def reindex(s: Session, document_id: int) -> None:
    """Write a document's search index row again from its stored title, fields and text."""
    title, meta, body = index_inputs(s, document_id)[document_id]
    search.index_document(s, document_id, title=title, meta=meta, body=body)


def is_archive_file(s: Session, rel: str) -> bool:
    """Is this archive-relative path a stored original or thumbnail (what the site links to)?"""
    return (s.scalar(select(DocumentRow.id).where(DocumentRow.archive_path == rel).limit(1)) is not None
            or s.scalar(select(PageRow.id).where(PageRow.thumbnail == rel).limit(1)) is not None)


def record_failure(s: Session, name: str, sha256: str, reason: str, failed_path: str) -> int:
    """Record a file that could not be processed (and a `failed` event); returns the failure's id."""
    failure = Failure(original_name=name, sha256=sha256, reason=reason, failed_path=failed_path)
    s.add(failure)
    record_event(s, "failed", f"{name}: {reason}")
    return failure.id


def failed_paths(s: Session) -> set[str]:
    """Where the recorded failures' files were put (as recorded, shown)."""
    return set(s.scalars(select(Failure.failed_path)))


def record_event(s: Session, kind: str, message: str, document_id: int | None = None) -> None:
    """Append to the event log; kind is one of EVENT_KINDS."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_KINDS)}")
    s.add(Event(kind=kind, message=message, document_id=document_id))
    s.flush()


def replace_classification(s: Session, document_id: int, classification: Classification) -> None:
    """Replace a document's category, tags and rule hits (the search index holds none of them)."""
    row = _require(s, document_id)
    old = (row.category, tuple(t.tag for t in row.tag_rows))
    # Deletes first: the unit of work would insert a re-given tag before deleting it otherwise.
    row.tag_rows.clear()
    row.rule_hits.clear()
    s.flush()
    row.category = classification.category
    row.tag_rows = _tag_rows(classification.tags)
    row.rule_hits = _hit_rows(classification.hits)
    new = (row.category, tuple(dict.fromkeys(classification.tags)))
    record_event(s, "reclassified", f"category {old[0] or '-'} -> {new[0] or '-'}; "
                 f"tags {', '.join(old[1]) or '-'} -> {', '.join(new[1]) or '-'}", document_id)


# --- reading --------------------------------------------------------------------------------
def page_hashes(s: Session) -> list[tuple[int, int, str]]:
    """(document_id, page number, phash) of every stored page, for near-duplicate candidates."""
    rows = s.execute(select(PageRow.document_id, PageRow.number, PageRow.phash)
                     .order_by(PageRow.document_id, PageRow.number))
    return [tuple(r) for r in rows]


def page_hashes_after(s: Session, page_id: int) -> list[tuple[int, int, str]]:
    """(page id, document id, phash) of the pages stored after `page_id`, in id order."""
    rows = s.execute(select(PageRow.id, PageRow.document_id, PageRow.phash).where(PageRow.id > page_id)
                     .order_by(PageRow.id))
    return [tuple(r) for r in rows]


def document_text_or_none(s: Session, document_id: int) -> str | None:
    return s.scalar(select(DocumentRow.text).where(DocumentRow.id == document_id))


def document_text(s: Session, document_id: int) -> str:
    text = document_text_or_none(s, document_id)
    if text is None:
        raise NotFound(f"no document with id {document_id}")
    return text


def _tags_by_document(s: Session, ids: list[int] | None = None) -> dict[int, tuple[str, ...]]:
    q = select(DocumentTag.document_id, DocumentTag.tag).order_by(DocumentTag.id)
    if ids is not None:
        q = q.where(DocumentTag.document_id.in_(ids))
    out: dict[int, list[str]] = defaultdict(list)
    for doc_id, tag in s.execute(q):
        out[doc_id].append(tag)
    return {k: tuple(v) for k, v in out.items()}


def _duplicates_by_original(s: Session, ids: list[int] | None = None) -> dict[int, tuple[int, ...]]:
    q = (select(DocumentRow.duplicate_of, DocumentRow.id).where(DocumentRow.duplicate_of.is_not(None))
         .order_by(DocumentRow.duplicate_of, DocumentRow.id))
    if ids is not None:
        q = q.where(DocumentRow.duplicate_of.in_(ids))
    out: dict[int, list[int]] = defaultdict(list)
    for original, doc_id in s.execute(q):
        out[original].append(doc_id)
    return {k: tuple(v) for k, v in out.items()}


def _view(row: DocumentRow, tags: tuple[str, ...], duplicates: tuple[int, ...],
          pages: tuple[PageView, ...] = (), hits: tuple[RuleHitView, ...] = (),
          spans: tuple[SpanView, ...] = ()) -> DocumentView:
    return DocumentView(
        id=row.id, sha256=row.sha256, original_name=row.original_name, kind=row.kind, size=row.size,
        page_count=row.page_count, category=row.category, tags=tags, archive_path=row.archive_path, duplicate_of=row.duplicate_of,
        duplicates=duplicates, created_at=row.created_at, pages=pages, hits=hits, spans=spans,
        **{f: getattr(row, f) for f in GONGWEN_NAMES + ARCHIVAL_NAMES},
    )


def get_document(s: Session, document_id: int) -> DocumentView:
    """One document with its pages, lines, rule hits and duplicates; raises NotFound."""
    row = s.scalar(
        select(DocumentRow).where(DocumentRow.id == document_id)
        .options(selectinload(DocumentRow.pages).selectinload(PageRow.lines),
                 selectinload(DocumentRow.tag_rows), selectinload(DocumentRow.rule_hits),
                 selectinload(DocumentRow.field_spans))
    )
    if row is None:
        raise NotFound(f"no document with id {document_id}")
    pages = tuple(
        PageView(p.number, p.width, p.height, p.source, p.thumbnail,
                 tuple(LineView(ln.text, (ln.x0, ln.y0, ln.x1, ln.y1), ln.confidence) for ln in p.lines))
        for p in row.pages
    )
    tags = tuple(t.tag for t in row.tag_rows)
    return _view(row, tags, _duplicates_by_original(s, [document_id]).get(document_id, ()), pages,
                 *_hits_and_spans(row))


def _hits_and_spans(row: DocumentRow) -> tuple[tuple[RuleHitView, ...], tuple[SpanView, ...]]:
    hits = tuple(RuleHitView(h.rule, h.category, tuple(json.loads(h.tags)), h.field, tuple(json.loads(h.matched)))
                 for h in row.rule_hits)
    return hits, tuple(SpanView(f.field, f.page, f.line, f.text) for f in row.field_spans)


def get_documents(s: Session) -> list[DocumentView]:
    """Every document as get_document gives it, by id, in a handful of queries (the site build reads all).

    Pages and lines come as plain rows rather than ORM objects: an archive holds millions of lines.
    """
    rows = s.scalars(select(DocumentRow).options(defer(DocumentRow.text), selectinload(DocumentRow.rule_hits),
                                                 selectinload(DocumentRow.field_spans))
                     .order_by(DocumentRow.id)).all()
    lines: dict[int, list[LineView]] = defaultdict(list)
    for page_id, text, x0, y0, x1, y1, conf in s.execute(
            select(LineRow.page_id, LineRow.text, LineRow.x0, LineRow.y0, LineRow.x1, LineRow.y1, LineRow.confidence)
            .order_by(LineRow.page_id, LineRow.number)):
        lines[page_id].append(LineView(text, (x0, y0, x1, y1), conf))
    pages: dict[int, list[PageView]] = defaultdict(list)
    for page_id, doc_id, number, width, height, source, thumbnail in s.execute(
            select(PageRow.id, PageRow.document_id, PageRow.number, PageRow.width, PageRow.height, PageRow.source,
                   PageRow.thumbnail).order_by(PageRow.document_id, PageRow.number)):
        pages[doc_id].append(PageView(number, width, height, source, thumbnail, tuple(lines.pop(page_id, ()))))
    tags, dups = _tags_by_document(s), _duplicates_by_original(s)
    return [
        _view(r, tags.get(r.id, ()), dups.get(r.id, ()), tuple(pages.get(r.id, ())), *_hits_and_spans(r))
        for r in rows
    ]


def list_documents(s: Session) -> list[DocumentView]:
    """All documents, newest first, without pages, lines or hits."""
    rows = s.scalars(select(DocumentRow).options(defer(DocumentRow.text))
                     .order_by(DocumentRow.created_at.desc(), DocumentRow.id.desc())).all()
    tags, dups = _tags_by_document(s), _duplicates_by_original(s)
    return [_view(r, tags.get(r.id, ()), dups.get(r.id, ())) for r in rows]


def classification_inputs(s: Session) -> Iterator[ClassificationInput]:
    """Each stored document's inputs to the rules, one at a time (texts are not all held in memory)."""
    ids = s.scalars(select(DocumentRow.id).order_by(DocumentRow.id)).all()
    for doc_id in ids:
        r = s.execute(select(DocumentRow).options(defer(DocumentRow.text))
                      .where(DocumentRow.id == doc_id)).scalar_one_or_none()
        if r is not None:  # deleted since the ids were read
            values = {f: getattr(r, f) for f in GONGWEN_NAMES}
            yield ClassificationInput(doc_id, r.title, r.issuer, document_text(s, doc_id), r.category,
                                      _tags_by_document(s, [doc_id]).get(doc_id, ()), values)


def duplicate_groups(s: Session) -> list[tuple[int, list[int]]]:
    """(original id, ids of the documents marked duplicate_of it), by original id."""
    return [(original, list(ids)) for original, ids in _duplicates_by_original(s).items()]


def _counts(s: Session, column) -> dict:
    rows = s.execute(select(column, func.count()).group_by(column).order_by(func.count().desc(), column))
    return {key: n for key, n in rows}


def stats(s: Session) -> dict:
    """Counts of documents, pages, lines, failures and duplicates, and documents by category, year and type."""
    def count(what) -> int:
        return s.scalar(select(func.count()).select_from(what)) or 0

    return {
        "documents": count(DocumentRow),
        "pages": count(PageRow),
        "lines": count(LineRow),
        "failures": count(Failure),
        "duplicates": s.scalar(select(func.count()).where(DocumentRow.duplicate_of.is_not(None))) or 0,
    } | facets(s)


def facets(s: Session) -> dict:
    """Documents by category, year and 文种 (what search filters offer, and the counts page draws)."""
    return {
        "by_category": _counts(s, DocumentRow.category),
        "by_year": _counts(s, DocumentRow.year),
        "by_type": _counts(s, DocumentRow.doc_type),
    }
