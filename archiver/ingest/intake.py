"""Identify a dropped file by its content (not its extension) and fingerprint it."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from archiver.document import SourceFile
from archiver.errors import CorruptFile, UnsupportedFile
from archiver.shown import shown

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


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a named pipe"...), or None for a regular file."""
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symlink")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path: Path) -> int:
    """A read descriptor of path, which must be a regular file. Opened without blocking, so a named pipe
    cannot hang the caller (open() of a FIFO waits for a writer), and checked on the open descriptor, so
    nothing swapped in after a check is read. Raises NotRegular or OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    what = kind_of(os.fstat(fd).st_mode)
    if what is not None:
        os.close(fd)
        raise NotRegular(what)
    return fd


class NotRegular(OSError):
    """A path that is a pipe, socket, device or folder: never a document, never read."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what
        self.strerror = what


def sha256_of(path: Path) -> str:
    with os.fdopen(open_regular(path), "rb") as f:
        return _digest(f)


def sha256_or_empty(path: Path) -> str:
    """sha256 of a regular file we may read, else "": a symlink is not followed (its target is none of the
    archive's business), a pipe is never opened, and an unreadable file is recorded without a digest
    rather than not at all."""
    if path.is_symlink():
        return ""
    try:
        return sha256_of(path)
    except OSError:
        return ""


def _digest(f) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def take_in(path: Path, max_bytes: int | None = None) -> SourceFile:
    """SourceFile for a file on disk; UnsupportedFile when it is no PDF or image we read, or no regular file
    at all (a pipe, a socket, a device: never opened for reading); CorruptFile when it is empty, unreadable or
    over max_bytes (checked before a byte of it is read)."""
    path = Path(path)
    name = shown(path.name)
    try:
        with os.fdopen(open_regular(path), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise CorruptFile(f"{name}: {size / 2**20:.1f} MB is over the limit of {max_bytes / 2**20:g} MB "
                                  "(intake.max_file_mb)")
            head = f.read(1024)
            kind = sniff(head)
            f.seek(0)
            sha = _digest(f) if size and kind else ""
    except NotRegular as exc:
        raise UnsupportedFile(f"{name}: {exc.what}, not a file: refused without reading it") from None
    except OSError as exc:
        raise CorruptFile(f"{name}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise CorruptFile(f"{name}: empty file")
    if kind is None:
        raise UnsupportedFile(f"{name}: not a PDF, PNG, JPEG, TIFF or BMP file")
    return SourceFile(path=path, name=name, kind=kind, sha256=sha, size=size)
