"""What the web server does, apart from HTTP: take uploads into the inbox, say what became of them,
search, read documents and their files, list and retry failures, count, and read a file without
storing it (POST /ocr, with a result cache keyed by the file's sha256). Routes call these; nothing
here knows about requests or responses."""
from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from ..app import open_db
from ..archive_files import safe_part
from ..config import Settings
from ..document import SourceFile
from ..errors import ArchiverError, CorruptFile, NotFound
from ..ingest import intake, rasterize
from ..shown import shown
from ..storage import repository, search, uploads
from ..storage.tables import Failure, utc_now
from ..storage.views import DocumentView
from .receive import Received, Refused

UPLOAD_FOLDER = ".uploads"  # hidden, inside the inbox: on its file system, skipped by the watcher


def client_named(exc: ArchiverError, r: Received) -> ArchiverError:
    """The same error with the client's file name where poppler or Pillow named the temp file they read."""
    message = exc.message.replace(shown(str(r.path)), r.name).replace(shown(r.path.name), r.name)
    return type(exc)(message)


@dataclass(frozen=True)
class Hit:
    """A search result as the pages and the API show it: the hit, and the first line that holds a term."""

    hit: search.SearchHit
    page: int | None
    line: int | None


@dataclass(frozen=True)
class FailureView:
    id: int
    name: str
    reason: str
    created_at: str
    retried_at: str | None
    retriable: bool  # its file is still in failed/ and its bytes are not archived


class OcrCache:
    """The last N results of POST /ocr by sha256 (thread-safe)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, value: dict) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class WebArchive:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = open_db(settings)
        self.max_upload_bytes = int(min(settings.web.max_upload_mb, settings.intake.max_file_mb) * 2**20)
        self.spool = settings.paths.inbox / UPLOAD_FOLDER
        self.cache = OcrCache(settings.web.ocr_cache)
        self._reader = None
        self._reader_lock = threading.Lock()  # one OCR request at a time: the recogniser uses every core

    def close(self) -> None:
        self.db.close()

    # --- uploads ------------------------------------------------------------------------------
    @staticmethod
    def _check_pages(r: Received, limit: int, setting: str) -> None:
        """413 when the file has more pages than limit (counted from its headers, before any decoding)."""
        src = SourceFile(path=r.path, name=r.name, kind=r.kind, sha256=r.sha256, size=r.size)
        try:
            n = rasterize.page_count(src)
        except CorruptFile as exc:
            raise Refused(422, client_named(exc, r).message) from None
        if n > limit:
            raise Refused(413, f"{r.name}: {n} pages, more than the limit of {limit} ({setting})")

    def accept(self, files: list[Received], token_name: str | None) -> list[uploads.UploadState]:
        """Put each received file into the inbox under a name of ours (or, when its bytes are archived
        already, record it as that document's duplicate and drop it); the temp files are gone after."""
        try:
            for r in files:
                self._check_pages(r, self.settings.intake.max_pages, "intake.max_pages")
            return [self._accept_one(r, token_name) for r in files]
        finally:
            for r in files:
                r.path.unlink(missing_ok=True)

    def _accept_one(self, r: Received, token_name: str | None) -> uploads.UploadState:
        with self.db.session() as s:
            existing = repository.find_by_sha256(s, r.sha256)
            upload_id = uploads.add(s, r.name, r.sha256, r.size, None, existing, token_name)
            if existing is None:
                stem = safe_part(Path(r.name).stem, "upload", limit=80).lstrip(".") or "upload"
                inbox_name = f"{upload_id}-{stem}{intake.EXTENSIONS[r.kind]}"
                uploads.set_inbox_name(s, upload_id, inbox_name)
        if existing is None:
            dest = self.settings.paths.inbox / inbox_name
            try:
                os.link(r.path, dest)  # never replaces a file; the watcher sees it whole or not at all
            except OSError as exc:
                with self.db.session() as s:
                    uploads.set_inbox_name(s, upload_id, None)
                raise Refused(503, f"{r.name}: could not put it into the inbox ({exc.strerror})") from None
        with self.db.session() as s:
            return uploads.state(s, upload_id)

    def upload_states(self, ids: list[int]) -> list[uploads.UploadState]:
        with self.db.session() as s:
            return uploads.states(s, ids)

    def upload_state(self, upload_id: int) -> uploads.UploadState:
        with self.db.session() as s:
            return uploads.state(s, upload_id)

    # --- reading the archive ------------------------------------------------------------------
    def search(self, query: str, filters: search.Filters, page: int, per_page: int) -> tuple[list[Hit], bool]:
        """One page of results and whether there is a next one."""
        offset = (page - 1) * per_page
        with self.db.session() as s:
            found = search.search(s, query, limit=per_page + 1, offset=offset, **vars(filters))
            terms = search.parse_query(query).phrases if query.strip() else ()
            hits = [Hit(h, *self._hit_line(s, h.document_id, terms)) for h in found[:per_page]]
        return hits, len(found) > per_page

    @staticmethod
    def _hit_line(s, document_id: int, terms) -> tuple[int | None, int | None]:
        """(page, line) of the first line holding one of the terms, for the document page's highlight."""
        if not terms:
            return None, None
        for page, line, text in repository.line_texts(s, document_id):
            if search.holds_hit(text, terms):
                return page, line
        return None, None

    def document(self, document_id: int) -> DocumentView:
        with self.db.session() as s:
            return repository.get_document(s, document_id)

    def documents(self, ids) -> dict[int, DocumentView]:
        with self.db.session() as s:
            return {i: repository.get_document(s, i) for i in ids if repository.find_id(s, i)}

    def archive_file(self, rel: str) -> Path:
        """A stored original or thumbnail by its archive-relative path; NotFound for anything else."""
        with self.db.session() as s:
            if not repository.is_archive_file(s, rel):
                raise NotFound("no such file in the archive")
        path = self.settings.paths.archive / rel
        if not path.is_file():
            raise NotFound("the file is missing from the archive folder (run manage.py check)")
        return path

    def original(self, document_id: int) -> tuple[Path, DocumentView]:
        doc = self.document(document_id)
        return self.archive_file(doc.archive_path), doc

    def page_image(self, document_id: int, number: int) -> Path:
        doc = self.document(document_id)
        page = next((p for p in doc.pages if p.number == number), None)
        if page is None:
            raise NotFound(f"document {document_id} has no page {number}")
        if not page.thumbnail:
            raise NotFound(f"document {document_id} page {number} has no image")
        return self.archive_file(page.thumbnail)

    def stats(self) -> dict:
        with self.db.session() as s:
            return repository.stats(s)

    def facets(self) -> dict:
        with self.db.session() as s:
            return repository.facets(s)

    # --- failures -----------------------------------------------------------------------------
    def _failed_file(self, f: Failure) -> Path | None:
        """The failed file of a failure row if it is still in failed/ (the recorded path is shown-safe: a
        name with odd bytes does not round-trip and cannot be retried from here)."""
        if not f.failed_path:
            return None
        path = Path(f.failed_path)
        failed = self.settings.paths.failed.resolve()
        try:
            inside = path.resolve().is_relative_to(failed)
        except OSError:
            return None
        return path if inside and path.is_file() and not path.is_symlink() else None

    def failures(self, limit: int = 200) -> list[FailureView]:
        with self.db.session() as s:
            rows = s.scalars(select(Failure).order_by(Failure.id.desc()).limit(limit)).all()
            stored = {r.sha256 for r in rows if r.sha256 and repository.find_by_sha256(s, r.sha256) is not None}
            return [FailureView(r.id, r.original_name, r.reason, r.created_at, r.retried_at,
                                r.retried_at is None and r.sha256 not in stored and self._failed_file(r) is not None)
                    for r in rows]

    def retry(self, failure_id: int) -> str:
        """Put a failed file back into the inbox (under a new name of ours); returns that name. It is
        copied into the inbox's hidden upload folder first and linked in whole, as an upload is."""
        with self.db.session() as s:
            f = s.get(Failure, failure_id)
            if f is None:
                raise NotFound(f"no failure with id {failure_id}")
            path = self._failed_file(f)
            archived = bool(f.sha256) and repository.find_by_sha256(s, f.sha256) is not None
            if f.retried_at is not None or archived or path is None:
                raise ArchiverError(f"failure {failure_id} cannot be retried: it was retried already, its bytes "
                                    "are archived, or its file is no longer in failed/")
            self.spool.mkdir(parents=True, exist_ok=True)
            stem = safe_part(path.stem, "retry", limit=80).lstrip(".") or "retry"
            dest = self.settings.paths.inbox / f"retry-{failure_id}-{stem}{path.suffix[:8]}"
            tmp = self.spool / f".retry-{uuid.uuid4().hex}.part"
            shutil.copyfile(path, tmp)
            try:
                os.link(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
            path.unlink()
            path.with_name(path.name + ".reason.txt").unlink(missing_ok=True)
            s.execute(update(Failure).where(Failure.id == failure_id).values(retried_at=utc_now()))
        return dest.name

    # --- reading a file without storing it ----------------------------------------------------
    def _reader_instance(self):
        if self._reader is None:
            from ..pipeline import make_reader

            self._reader = make_reader(self.settings)
        return self._reader

    def ocr(self, r: Received) -> dict:
        """Text, lines with boxes and confidences of one file; the same bytes again come from the cache."""
        cached = self.cache.get(r.sha256)
        if cached is not None:
            return {**cached, "cached": True, "processing_time_ms": 0}
        start = time.perf_counter()
        from ..ocr_cli import read_pages

        limit, setting = min((self.settings.web.ocr_max_pages, "web.ocr_max_pages"),
                             (self.settings.intake.max_pages, "intake.max_pages"))
        self._check_pages(r, limit, setting)
        src = SourceFile(path=r.path, name=r.name, kind=r.kind, sha256=r.sha256, size=r.size)
        try:
            with self._reader_lock:
                pages = read_pages(src, self.settings, self._reader_instance)  # loaded only if a page needs OCR
        except ArchiverError as exc:
            raise client_named(exc, r) from None
        lines = [ln for p in pages for ln in p["lines"]]
        result = {
            "sha256": r.sha256, "name": r.name, "pages": pages,
            "text": "\f".join("\n".join(ln["text"] for ln in p["lines"]) for p in pages),
            "confidence": round(sum(ln["confidence"] for ln in lines) / len(lines), 4) if lines else None,
        }
        self.cache.put(r.sha256, result)
        return {**result, "cached": False, "processing_time_ms": round((time.perf_counter() - start) * 1000)}

