"""Read-only views of stored documents, handed to the site builder and the CLI."""
from __future__ import annotations

from dataclasses import dataclass


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
class DocumentView:
    id: int
    sha256: str
    original_name: str
    kind: str
    size: int
    page_count: int
    title: str | None
    issuer: str | None
    doc_number: str | None
    doc_type: str | None
    date: str | None  # ISO yyyy-mm-dd
    year: int | None
    secrecy: str | None
    urgency: str | None
    category: str | None
    tags: tuple[str, ...]
    archive_path: str  # relative to the archive folder
    duplicate_of: int | None
    duplicates: tuple[int, ...]  # ids of documents marked duplicate_of this one
    created_at: str  # ISO timestamp, UTC
    pages: tuple[PageView, ...] = ()  # filled by get_document, empty in listings
    hits: tuple[RuleHitView, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or self.original_name
