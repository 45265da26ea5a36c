"""Identify a dropped file by its content (not its extension) and fingerprint it."""
from __future__ import annotations

import hashlib
from pathlib import Path

from archiver.document import SourceFile
from archiver.errors import CorruptFile, UnsupportedFile

_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"BM", "bmp"),
)

EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "tiff": ".tif", "bmp": ".bmp"}


def sniff(head: bytes) -> str | None:
    """The kind of file these first bytes start, or None. A PDF may have junk before %PDF- (up to 1 KiB)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def take_in(path: Path, max_bytes: int | None = None) -> SourceFile:
    """SourceFile for a file on disk; UnsupportedFile when it is no PDF or image we read; CorruptFile when it
    is empty, unreadable or over max_bytes (checked before a byte of it is read)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise CorruptFile(f"{path.name}: {size / 2**20:.1f} MB is over the limit of {max_bytes / 2**20:g} MB "
                              "(intake.max_file_mb)")
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise CorruptFile(f"{path.name}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise CorruptFile(f"{path.name}: empty file")
    kind = sniff(head)
    if kind is None:
        raise UnsupportedFile(f"{path.name}: not a PDF, PNG, JPEG, TIFF or BMP file")
    return SourceFile(path=path, name=path.name, kind=kind, sha256=sha256_of(path), size=size)
