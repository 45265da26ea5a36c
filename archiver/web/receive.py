"""Uploads streamed to disk as they arrive: a multipart body is parsed chunk by chunk, each file part
written to a hidden temp file in the given folder (the inbox's, so the final rename is atomic and the
watcher, which skips hidden names, never sees half a file), hashed on the way, and refused with 413 the
moment it passes the size limit or with 415 when its first bytes are no PDF or image we read."""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from ..ingest.intake import sniff
from ..shown import shown

FIELD_LIMIT = 64 * 1024  # bytes of a non-file form field (ignored, but never held without bound)
NAME_LIMIT = 240  # characters of a client's file name kept (shown and stored; never a path)
SNIFF_BYTES = 1024  # intake.sniff looks for %PDF- this far in


class Refused(Exception):
    """An upload answered with an HTTP error: status and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Received:
    """One file of an upload, complete on disk under a temp name."""

    name: str  # the client's file name, made safe to show; never used as a path
    path: Path
    kind: str
    sha256: str
    size: int


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str | None = None  # a file part's client name; None for a plain field
    fd: int | None = None
    path: Path | None = None
    hasher: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    size: int = 0
    head: bytes = b""


class Receiver:
    """Feed it the body's chunks (feed), then finish(): the files received, in order. On any error every
    temp file written so far is removed (abort)."""

    def __init__(self, content_type: str, folder: Path, max_bytes: int, max_files: int, field_name: str = "files"):
        ctype, params = parse_options_header(content_type or "")
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise Refused(400, "send the files as multipart/form-data")
        self.folder, self.max_bytes, self.max_files, self.field_name = folder, max_bytes, max_files, field_name
        self.done: list[Received] = []
        self.written: list[Path] = []
        self._part: _Part | None = None
        self._field, self._value = b"", b""
        callbacks = {"on_part_begin": self._begin, "on_header_field": self._header_field,
                     "on_header_value": self._header_value, "on_header_end": self._header_end,
                     "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end}
        self.parser = MultipartParser(boundary, callbacks)

    # -- parser callbacks ----------------------------------------------------------------------
    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._part.headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        part = self._part
        _, params = parse_options_header(part.headers.get(b"content-disposition", b""))
        filename = params.get(b"filename")
        if filename is None:
            return  # a plain form field
        if len(self.done) + 1 > self.max_files:
            raise Refused(413, f"more than {self.max_files} files in one upload")
        name = filename.decode("utf-8", "replace").replace("\\", "/").rsplit("/", 1)[-1][:NAME_LIMIT]
        part.name = shown(name) or "upload"
        part.path = self.folder / f".upload-{uuid.uuid4().hex}.part"
        part.fd = os.open(part.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        self.written.append(part.path)

    def _data(self, data: bytes, start: int, end: int) -> None:
        part, chunk = self._part, data[start:end]
        part.size += len(chunk)
        if part.fd is None:
            if part.size > FIELD_LIMIT:
                raise Refused(413, "a form field is too long")
            return
        if part.size > self.max_bytes:
            raise Refused(413, f"{part.name}: larger than the upload limit of {self.max_bytes / 2**20:.3g} MB")
        if len(part.head) < SNIFF_BYTES:
            part.head += chunk[:SNIFF_BYTES - len(part.head)]
        part.hasher.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(part.fd, view):]

    def _end(self) -> None:
        part = self._part
        self._part = None
        if part is None or part.fd is None:
            return
        os.fsync(part.fd)
        os.close(part.fd)
        part.fd = None
        kind = sniff(part.head)
        if kind is None:
            raise Refused(415, f"{part.name}: not a PDF, PNG, JPEG, TIFF or BMP file")
        self.done.append(Received(part.name, part.path, kind, part.hasher.hexdigest(), part.size))

    # -- driving -------------------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)

    def finish(self) -> list[Received]:
        self.parser.finalize()
        if self._part is not None and self._part.fd is not None:
            raise Refused(400, "the upload ended in the middle of a file")
        if not self.done:
            raise Refused(400, "no file in the upload (send one or more parts with a filename)")
        return self.done

    def abort(self) -> None:
        """Close and remove every temp file this upload wrote (those already taken elsewhere are gone)."""
        if self._part is not None and self._part.fd is not None:
            os.close(self._part.fd)
            self._part.fd = None
        for p in self.written:
            try:
                p.unlink()
            except FileNotFoundError:
                pass


async def receive(request, folder: Path, max_bytes: int, max_files: int) -> list[Received]:
    """The files of a multipart request, each complete in a temp file in folder; Refused on bad input."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes * max_files + 2**20:
        raise Refused(413, f"the upload is larger than {max_files} files of {max_bytes / 2**20:.3g} MB")
    folder.mkdir(parents=True, exist_ok=True)
    r = Receiver(request.headers.get("content-type", ""), folder, max_bytes, max_files)
    try:
        async for chunk in request.stream():
            r.feed(chunk)
        return r.finish()
    except BaseException:  # refused, a broken connection, a full disk: nothing half-written stays behind
        r.abort()
        raise
