"""The values passed between stages. Each stage takes values and returns new ones; none is mutated."""
from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from archiver.fields import GONGWEN

if TYPE_CHECKING:
    import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels (origin top-left)


class LineReader(Protocol):
    """What page analysis (which way up) and the pipeline (the lines' text) need of a recogniser:
    a reading, with .text and .confidence, per line image (archiver.ocr.recognizer.Recognizer fits;
    tests inject faults through it)."""

    def read(self, images: list[np.ndarray]) -> list: ...


@dataclass(frozen=True)
class SourceFile:
    """A file taken in from the inbox: where it is, what it is (sniffed from content), its digest."""

    path: Path
    name: str  # original file name as the user dropped it, made safe to show (archiver.shown)
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
    phash: str  # perceptual hash of the page image, hex; dedup.BLANK for a page without text

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
    retention: str | None = None  # 保管期限 (archiver.fields.RETENTIONS) chosen by the rules, for the 档号
    org: str | None = None  # 机构 code chosen by the rules, for the 档号


@dataclass(frozen=True)
class FieldSpan:
    """Where a 公文 field was read: page and line (1-based) and the text of that line as recognised."""

    field: str
    page: int
    line: int
    text: str


def _metadata_class():
    fields = [(f.name, f.python | None, None) for f in GONGWEN] + [("spans", tuple[FieldSpan, ...], ())]
    cls = make_dataclass("Metadata", fields, frozen=True)
    cls.__module__ = __name__
    cls.__doc__ = ("公文 fields found in the text (GB/T 9704-2012 elements, declared in archiver.fields); "
                   "None where the page has none; spans say where each was read.")
    return cls


Metadata = _metadata_class()


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
