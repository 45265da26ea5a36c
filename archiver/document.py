"""The values passed between stages. Each stage takes values and returns new ones; none is mutated."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels (origin top-left)


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
    retention: str | None = None  # 保管期限 (永久 | 30年 | 10年) chosen by the rules, for the 档号
    org: str | None = None  # 机构 code chosen by the rules, for the 档号


@dataclass(frozen=True)
class FieldSpan:
    """Where a 公文 field was read: page and line (1-based) and the text of that line as recognised."""

    field: str
    page: int
    line: int
    text: str


@dataclass(frozen=True)
class Metadata:
    """公文 fields found in the text (GB/T 9704-2012 elements); None when the page has none."""

    title: str | None = None
    issuer: str | None = None  # 发文机关, from the title, the 版头 or the signature
    doc_number: str | None = None  # 发文字号, normalised to 〔〕
    doc_type: str | None = None  # 文种 or a non-公文 kind (预算, 决算, 年度报告, 合同, 会议记录) or "other"
    date: str | None = None  # 成文日期, ISO yyyy-mm-dd
    year: int | None = None
    secrecy: str | None = None  # 密级: 绝密 | 机密 | 秘密
    urgency: str | None = None  # 紧急程度: 特急 | 加急
    copy_no: str | None = None  # 份号, 6 digits
    secrecy_period: str | None = None  # 保密期限, e.g. 5年
    header: str | None = None  # 发文机关标志, e.g. 上海市人民政府文件
    signer: str | None = None  # 签发人
    recipients: str | None = None  # 主送机关
    attachments: str | None = None  # 附件说明, items joined by ；
    signature: str | None = None  # 发文机关署名
    note: str | None = None  # 附注
    cc: str | None = None  # 抄送机关
    printer: str | None = None  # 印发机关
    print_date: str | None = None  # 印发日期, ISO
    spans: tuple[FieldSpan, ...] = ()


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
