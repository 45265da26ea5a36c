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
class SpanView:
    """The line a 公文 field was read from."""

    field: str
    page: int
    line: int
    text: str


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
    # 公文 fields of GB/T 9704-2012 beyond the ones above (None where the document has none)
    copy_no: str | None = None  # 份号
    secrecy_period: str | None = None  # 保密期限
    header: str | None = None  # 发文机关标志
    signer: str | None = None  # 签发人
    recipients: str | None = None  # 主送机关
    attachments: str | None = None  # 附件说明
    signature: str | None = None  # 发文机关署名
    note: str | None = None  # 附注
    cc: str | None = None  # 抄送机关
    printer: str | None = None  # 印发机关
    print_date: str | None = None  # 印发日期, ISO
    # Archival number (DA/T 22-2015): 档号 and its parts
    archival_code: str | None = None
    fonds: str | None = None
    retention: str | None = None  # 永久 | 30年 | 10年
    org: str | None = None
    spans: tuple[SpanView, ...] = ()  # where each field was read; filled by get_document

    @property
    def display_title(self) -> str:
        return self.title or self.original_name
