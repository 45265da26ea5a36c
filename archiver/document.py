"""The values passed between stages. Each stage takes values and returns new ones; none is mutated."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels (origin top-left)


@dataclass(frozen=True)
class SourceFile:
    """A file taken in from the inbox: where it is, what it is (sniffed from content), its digest."""

    path: Path
    name: str  # original file name, as the user dropped it
    kind: str  # pdf | png | jpeg | tiff | bmp
    sha256: str
    size: int


@dataclass(frozen=True)
class Line:
    text: str
    box: Box
    confidence: float  # 0..1; 1.0 for text taken from a PDF text layer


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    width: int
    height: int
    source: str  # "text-layer" or "ocr"
    lines: tuple[Line, ...]
    phash: str  # perceptual hash of the page image, hex

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class RuleHit:
    """Why a rule fired: which rule, what it assigns, which keywords or patterns matched where."""

    rule: str
    category: str | None
    tags: tuple[str, ...]
    field: str
    matched: tuple[str, ...]
    priority: int = 0


@dataclass(frozen=True)
class Classification:
    category: str | None
    tags: tuple[str, ...]
    hits: tuple[RuleHit, ...]


@dataclass(frozen=True)
class Metadata:
    """公文 fields found in the text; None when not found."""

    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    doc_type: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    year: int | None = None
    secrecy: str | None = None
    urgency: str | None = None


@dataclass(frozen=True)
class DuplicateMatch:
    """The stored document this one nearly duplicates, and how closely."""

    document_id: int
    hash_distance: int
    text_similarity: float


@dataclass(frozen=True)
class Document:
    """A processed document, ready to store."""

    source: SourceFile
    pages: tuple[Page, ...]
    metadata: Metadata
    classification: Classification
    duplicate: DuplicateMatch | None = None
    page_images: tuple[Path, ...] = field(default=())  # rendered pages on scratch disk, for thumbnails

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)
