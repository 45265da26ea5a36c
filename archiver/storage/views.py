"""Read-only views of stored documents, handed to the site builder and the CLI."""
from __future__ import annotations

from dataclasses import dataclass, make_dataclass

from archiver.fields import ARCHIVAL, GONGWEN


@dataclass(frozen=True)
class LineView:
    text: str
    box: tuple[int, int, int, int]
    confidence: float


@dataclass(frozen=True)
class PageView:
    number: int
    width: int
    height: int
    source: str  # "text-layer" | "ocr"
    thumbnail: str | None  # path relative to the archive folder
    lines: tuple[LineView, ...]


@dataclass(frozen=True)
class RuleHitView:
    rule: str
    category: str | None
    tags: tuple[str, ...]
    field: str
    matched: tuple[str, ...]


@dataclass(frozen=True)
class SpanView:
    """The line a 公文 field was read from."""

    field: str
    page: int
    line: int
    text: str


def _display_title(self) -> str:
    return self.title or self.original_name


def _issuers(self) -> tuple[str, ...]:
    """Joint issuers (国务院办公厅、中央军委办公厅) one by one; the 发文机关 field keeps them as published."""
    return tuple(x for x in (self.issuer or "").split("、") if x.strip())


def _document_view_class():
    """A stored document: what storage knows of it, then every 公文 and 档号 field of archiver.fields."""
    stored = [("id", int), ("sha256", str), ("original_name", str), ("kind", str), ("size", int),
              ("page_count", int), ("category", str | None), ("tags", tuple[str, ...]),
              ("archive_path", str),  # relative to the archive folder
              ("duplicate_of", int | None),
              ("duplicates", tuple[int, ...]),  # ids of documents marked duplicate_of this one
              ("created_at", str)]  # ISO timestamp, UTC
    filled = [("pages", tuple[PageView, ...], ()),  # filled by get_document, empty in listings
              ("hits", tuple[RuleHitView, ...], ()),
              ("spans", tuple[SpanView, ...], ())]  # where each field was read
    named = [(f.name, f.python | None, None) for f in GONGWEN + ARCHIVAL]
    cls = make_dataclass("DocumentView", stored + filled + named, frozen=True,
                         namespace={"display_title": property(_display_title), "issuers": property(_issuers)})
    cls.__module__ = __name__
    cls.__doc__ = _document_view_class.__doc__
    return cls


DocumentView = _document_view_class()
