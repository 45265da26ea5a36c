"""The ordered stages for one document: intake → pages → lines → text → fields → rules → dedup →
store. Analysis (the heavy part) is a plain function that worker processes can run; storing is
done by one process, in one transaction, before the file leaves the inbox."""
from __future__ import annotations

import atexit
import errno
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Callable

import numpy as np
from sqlalchemy.exc import IntegrityError

from . import archive_files, dedup
from .classify import gongwen
from .classify.rules import Rule, classify, load_rules
from .config import Settings
from .document import Classification, Document, Line, LineReader, Page, SourceFile
from .errors import ArchiverError, CorruptFile, StorageBusy
from .faults import crash_point
from .shown import shown
from .threads import set_threads
from .ingest import intake, rasterize
from .storage import jobs, repository, uploads
from .storage.db import Database, serialize_store
from .storage.tables import JobState

log = logging.getLogger("archiver")
# How long a process that stops waits at exit for the recogniser still loading in warm_up.
WARM_UP_JOIN_SECONDS = 120


class Status(StrEnum):
    """What became of one input file (a str: compares equal to its value, e.g. "stored")."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # stored, marked near-duplicate of an earlier document
    EXACT_DUPLICATE = "exact-duplicate"  # same bytes as a stored document: not stored again
    SKIPPED = "skipped"  # near-duplicate and dedup.action is skip
    FAILED = "failed"  # in failed/ with its reason
    RETRY = "retry"  # a passing fault or a copy still arriving: left in the inbox
    QUEUED = "queued"  # queue: celery: sent to the workers
    HELD = "held"  # in another process's hands, or waiting for its copy: seen again later


@dataclass(frozen=True)
class Outcome:
    """What happened to one input file."""

    path: Path
    status: Status
    document_id: int | None = None
    pages: int = 0
    seconds: float = 0.0
    category: str | None = None
    duplicate_of: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != Status.FAILED

    def log_line(self) -> str:
        """The one log line per document (daemon, worker and ingest alike)."""
        if self.status == Status.FAILED:
            return f"FAILED {shown(self.path.name)}: {self.message} ({self.seconds:.1f}s)"
        if self.status == Status.RETRY:
            return f"RETRY LATER {shown(self.path.name)}: {self.message}"
        if self.status in (Status.QUEUED, Status.HELD):
            return self.message
        dup = f" duplicate_of={self.duplicate_of}" if self.duplicate_of else ""
        return (f"{self.status} id={self.document_id} {shown(self.path.name)} pages={self.pages} {self.seconds:.1f}s "
                f"category={self.category or '-'}{dup}")


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and mtime (ns): a file being written changes one or the other."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def make_reader(settings: Settings) -> LineReader:
    from .ocr.recognizer import Recognizer  # the inference engine is loaded only when a page needs OCR

    o = settings.ocr
    return Recognizer(o.weights, threads=o.threads, batch_size=o.batch_size, precision=o.precision,
                      decoder=o.decoder, lm_weight=o.lm_weight, beam_width=o.beam_width, engine=o.engine,
                      second=o.second_weights, second_below=o.second_below)


def ocr_page(image: np.ndarray, reader: LineReader, min_confidence: float = 0.0) -> tuple[Line, ...]:
    """Lines of a page image: page analysis cuts them, the recogniser reads them; noise reads dropped."""
    from .ocr.dates import either_date
    from .vision import analyse_page

    layout = analyse_page(image, reader=reader)  # the reader also tells an upside-down page
    readings = list(reader.read([c.image for c in layout.lines])) if layout.lines else []
    # A line under a grey seal was also cut from the page lifted the second way: the date it reads wins.
    seconds = [i for i, c in enumerate(layout.lines) if c.second is not None]
    if seconds:
        for i, again in zip(seconds, reader.read([layout.lines[i].second for i in seconds])):
            readings[i] = either_date(readings[i], again)
    # Boxes are stored on the page as scanned (the thumbnail), not on the turned, deskewed copy.
    return tuple(Line(text=r.text, box=tuple(int(v) for v in c.page_box), confidence=round(float(r.confidence), 4))
                 for c, r in zip(layout.lines, readings) if r.text and r.confidence >= min_confidence)


def analyse(source: SourceFile, settings: Settings, rules: tuple[Rule, ...], reader: Callable[[], LineReader],
            scratch: Path) -> Document:
    """Everything about a document that does not need the database. Page images go to scratch."""
    pages: list[Page] = []
    images: list[Path] = []
    limits = settings.intake
    for rp in rasterize.pages(source, limits.dpi, limits.use_text_layer, max_pages=limits.max_pages,
                              max_pixels=limits.max_page_pixels):
        if rp.text_lines is not None:
            lines, kind = rp.text_lines, "text-layer"
        else:
            lines, kind = ocr_page(rp.image, reader(), settings.ocr.min_confidence), "ocr"
        h, w = rp.image.shape[:2]
        phash = dedup.page_hash(rp.image) if lines else dedup.BLANK
        pages.append(Page(number=rp.number, width=w, height=h, source=kind, lines=lines, phash=phash))
        thumb = scratch / f"p{rp.number:04d}.jpg"
        archive_files.write_thumbnail(rp.image, thumb, settings.archive.thumbnail_width)
        images.append(thumb)
    if not pages:
        raise ArchiverError(f"{source.name}: no pages")
    metadata = gongwen.extract([p.text for p in pages], [[ln.box for ln in p.lines] for p in pages])
    body = "\n".join(p.text for p in pages)
    cls = classify(rules, metadata.title, body, metadata.issuer, gongwen.field_values(metadata))
    return Document(source=source, pages=tuple(pages), metadata=metadata, classification=cls, page_images=tuple(images))


class Pipeline:
    """One archive: settings, database, rules and a recogniser loaded on first need."""

    def __init__(self, settings: Settings, db: Database, reader: LineReader | None = None, keep_source: bool = False,
                 worker: str | None = None):
        self.settings = settings
        self.worker = worker  # queue: celery: this worker's name, written on the jobs it holds
        self.current_job: str | None = None  # sha256 of the file being processed, for the worker's heartbeat
        self.keep_source = keep_source  # ingest of paths outside the inbox leaves the originals in place
        self.db = db
        self.rules = load_rules(settings.rules.folder)
        self._reader = reader
        self._reader_lock = threading.Lock()
        set_threads(settings.ocr.threads)  # page analysis too: several workers must not oversubscribe the CPUs
        self.page_index = dedup.PageHashIndex()  # the archive's page hashes, read incrementally
        self._retrying: set[str] = set()  # sha256 of files this process gave back for a retry (not crashes)
        self._paused: dict[Path, tuple[int, int] | None] = {}  # paused copies, by their signature when judged
        for p in (settings.paths.inbox, settings.paths.archive, settings.paths.failed, settings.paths.work):
            p.mkdir(parents=True, exist_ok=True)

    def reader(self) -> LineReader:
        with self._reader_lock:  # warm_up may be loading it in its thread
            if self._reader is None:
                self._reader = make_reader(self.settings)
            return self._reader

    def warm_up(self) -> threading.Thread:
        """Load the recogniser (torch and the weights, ~3 s) in a thread, while the first files are taken
        in and rasterised, so that the first page to OCR does not wait for it. A failure to load is left
        to the first page that needs it, which reports it as usual."""
        def load() -> None:
            try:
                self.reader()
            except Exception:
                pass

        thread = threading.Thread(target=load, name="recogniser-warm-up", daemon=True)
        thread.start()
        # A process told to stop while torch is still loading must not finalise the interpreter under
        # that thread (it aborts, SIGABRT, instead of exiting 0): exit waits for the loading to end.
        atexit.register(thread.join, WARM_UP_JOIN_SECONDS)
        return thread

    # --- steps ---------------------------------------------------------------------------
    def exact_duplicate(self, source: SourceFile) -> int | None:
        with self.db.session() as s:
            return repository.find_by_sha256(s, source.sha256)

    def process(self, path: Path) -> Outcome:
        """Take one file all the way: stored, recognised as a duplicate, or moved to failed/."""
        start = time.monotonic()
        source = None
        before = _signature(path)
        if self._paused.get(path) == before and self.recently_written(path):  # judged already; unchanged since
            return Outcome(path, Status.HELD, message=f"{shown(path.name)}: waiting for its copy to go on")
        self._paused.pop(path, None)
        try:
            source = self.uploaded_name(intake.take_in(path, max_bytes=int(self.settings.intake.max_file_mb * 2**20)))
            dropped = self.claim(source, start)
            if dropped is not None:
                return dropped
            with tempfile.TemporaryDirectory(dir=self.settings.paths.work) as tmp:
                doc = analyse(source, self.settings, self.rules, self.reader, Path(tmp))
                crash_point("analysed")
                if _signature(path) != before:
                    return self.still_arriving(source, start)
                return self.store(doc, start)
        except jobs.JobHeld as exc:  # queue: celery: a live worker has this file already
            return self.held(path, exc, start)
        except StorageBusy as exc:  # passing fault: the file stays in the inbox for the next try
            return self.busy(path, source, exc, start)
        except ArchiverError as exc:  # including "no trained recogniser"
            if _signature(path) not in (before, None):  # a copy that stalled past the readiness window
                return self.still_arriving(source, start, path)
            if isinstance(exc, CorruptFile) and self.recently_written(path):  # a copy that paused, probably
                return self.paused_copy(path, source, exc, start)
            return self.fail(path, exc.message, start, sha=source.sha256 if source else None)
        except Exception as exc:  # a bug or an unexpected library error must not stop the daemon
            log.exception("unexpected error on %s", shown(path))
            return self.fail(path, f"{shown(path.name)}: internal error: {type(exc).__name__}: {exc}", start,
                             sha=source.sha256 if source else None)
        finally:
            self.current_job = None

    def uploaded_name(self, source: SourceFile) -> SourceFile:
        """A file that came in over HTTP keeps its client's name (its inbox name, <upload id>-…, is ours)."""
        if not uploads.could_be_upload(source.path.name):
            return source
        with self.db.session() as s:
            name = uploads.client_name(s, source.sha256, source.path.name)
        return replace(source, name=name) if name else source

    def preflight(self, source: SourceFile, start: float) -> Outcome | None:
        """`claim` for a caller that goes on to other files (ingest): None when the file is to be
        analysed, else its outcome, with a held job, a busy database and a refusal handled as `process` does."""
        try:
            return self.claim(source, start)
        except jobs.JobHeld as exc:
            return self.held(source.path, exc, start)
        except StorageBusy as exc:
            return self.busy(source.path, source, exc, start)
        except ArchiverError as exc:  # e.g. cut short watch.max_interrupted times
            return self.fail(source.path, exc.message, start, sha=source.sha256)

    def store_analysed(self, doc: Document, start: float) -> Outcome:
        """Store a document that was claimed (`preflight`) and then analysed elsewhere (ingest's worker
        processes), with the same bookkeeping as `process`: a busy database noted as a retry."""
        src = doc.source
        try:
            return self.store(doc, start)
        except StorageBusy as exc:
            return self.busy(src.path, src, exc, start)
        except ArchiverError as exc:
            return self.fail(src.path, exc.message, start, sha=src.sha256)
        finally:
            self.current_job = None

    def claim(self, source: SourceFile, start: float) -> Outcome | None:
        """Before the work on a file: its exact duplicate's outcome if its bytes are archived, else None
        with its job begun (recorded, so a crash from here on is counted)."""
        existing = self.exact_duplicate(source)
        if existing is not None:
            return self.drop_exact_duplicate(source, existing, start)
        self.begin_job(source)
        return None

    def held(self, path: Path, exc: jobs.JobHeld, start: float) -> Outcome:
        """Another live worker has this file: seen again later."""
        message = f"{shown(path.name)}: being processed by {exc.worker}"
        return Outcome(path, Status.HELD, seconds=time.monotonic() - start, message=message)

    def busy(self, path: Path, source: SourceFile | None, exc: StorageBusy, start: float) -> Outcome:
        """A passing fault (database held, disk full): nothing stored, the file stays for a later try."""
        log.warning("%s", exc.message)
        if source is not None:
            self.note_retry(source, exc.message)
        return Outcome(path, Status.RETRY, seconds=time.monotonic() - start, message=exc.message)

    def recently_written(self, path: Path) -> bool:
        """Written to within watch.settle_seconds (wall clock: mtime is one)."""
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            return False
        return age < self.settings.watch.settle_seconds

    def paused_copy(self, path: Path, source: SourceFile | None, exc: ArchiverError, start: float) -> Outcome:
        """A file that will not parse but was written to a moment ago: most likely a copy that paused for
        longer than watch.stable_seconds. It stays in the inbox; once it changes it is read again, and if it
        holds still for watch.settle_seconds and still will not parse, it goes to failed/."""
        message = (f"{exc.message}; written to {self.settings.watch.settle_seconds:g} s ago or less, so perhaps "
                   f"still being copied: left in the inbox, failed if it stays like this")
        self._paused[path] = _signature(path)  # not parsed again until it changes or settles
        if source is not None:
            self.note_retry(source, message)
        return Outcome(path, Status.RETRY, seconds=time.monotonic() - start, message=message)

    def still_arriving(self, source: SourceFile | None, start: float, path: Path | None = None) -> Outcome:
        """The file changed while it was being read: its copy was still going on. Read it again later."""
        path = source.path if source else path
        message = f"{shown(path.name)}: changed while being read (still being copied?); will read it again once it holds still"
        log.warning("%s", message)
        if source is not None:
            self.note_retry(source, message)
        return Outcome(path, Status.RETRY, seconds=time.monotonic() - start, message=message)

    def begin_job(self, source: SourceFile) -> None:
        """Record (committed) that this file is being processed; refuse one that keeps killing the process."""
        resumed = source.sha256 in self._retrying  # our own retry left the job running, no crash did
        with self.db.session() as s:
            cut_short = jobs.begin(s, source.sha256, source.name, shown(source.path), count_interrupted=not resumed,
                                   worker=self.worker, stale_seconds=self.settings.celery.stale_seconds)
        self.current_job = source.sha256
        self._retrying.discard(source.sha256)
        limit = self.settings.watch.max_interrupted
        # A file whose bytes are archived is an exact duplicate whatever happened before (store() drops it).
        if cut_short >= limit and self.exact_duplicate(source) is None:
            raise ArchiverError(f"{source.name}: processing was cut short {cut_short} times (the process died while "
                                f"reading it, e.g. out of memory); not tried again (watch.max_interrupted is {limit})")

    def note_retry(self, source: SourceFile, message: str) -> None:
        self._retrying.add(source.sha256)
        try:
            with self.db.session() as s:
                jobs.finish(s, source.sha256, JobState.RETRY, message=message)
        except ArchiverError:  # still busy: the job stays running and the next attempt picks it up
            pass

    def drop_exact_duplicate(self, source: SourceFile, existing: int, start: float) -> Outcome:
        with self.db.session() as s:
            repository.record_event(s, "skipped", f"{source.name}: same bytes as document {existing}", existing)
            jobs.settle_archived(s, source.sha256, existing)  # a job we (or a crash) left running ends here
        if not self.keep_source:
            source.path.unlink(missing_ok=True)  # its bytes are in the archive already
        return Outcome(source.path, Status.EXACT_DUPLICATE, existing, seconds=time.monotonic() - start,
                       duplicate_of=existing, message=f"same sha256 as document {existing}")

    def store(self, doc: Document, start: float) -> Outcome:
        """Dedup against the archive, then copy and insert in one transaction; the inbox file goes last."""
        src = doc.source
        existing = self.exact_duplicate(src)  # stored meanwhile, e.g. the same file dropped twice
        if existing is not None:
            return self.drop_exact_duplicate(src, existing, start)
        try:
            return self._store(doc, start)
        except IntegrityError:
            # Another process stored the same bytes between our check and our commit (sha256 is unique).
            existing = self.exact_duplicate(src)
            if existing is None:
                raise
            return self.drop_exact_duplicate(src, existing, start)

    def _store(self, doc: Document, start: float) -> Outcome:
        cfg = self.settings
        src = doc.source
        with self.db.session() as s:
            serialize_store(s)  # several workers may store at once: dedup and numbering see each other's work
            # Only pages stored since this process last looked are read; stores are serialised, so page ids
            # commit in order and none is missed.
            self.page_index.add(repository.page_hashes_after(s, self.page_index.last_page_id))
            match = dedup.find_near_duplicate([p.phash for p in doc.pages], doc.text, self.page_index,
                                              lambda i: repository.document_text_or_none(s, i),
                                              cfg.dedup.hash_distance, cfg.dedup.text_similarity,
                                              cfg.dedup.rescan_text_similarity,
                                              dedup.sure_text((ln.text, ln.confidence) for p in doc.pages for ln in p.lines))
            if match is not None and cfg.dedup.action == "skip":
                reason = (f"{src.name}: near-duplicate of document {match.document_id} "
                          f"(pHash distance {match.hash_distance}, text similarity {match.text_similarity:.2f}); "
                          f"not stored because dedup.action is skip")
                dest = src.path if self.keep_source else archive_files.move_to_failed(src.path, cfg.paths.failed, reason)
                repository.record_event(s, "skipped", reason, match.document_id)
                jobs.finish(s, src.sha256, JobState.DUPLICATE, match.document_id, reason)
                return Outcome(src.path, Status.SKIPPED, None, len(doc.pages), time.monotonic() - start,
                               doc.classification.category, match.document_id, f"kept in {dest}")
            doc = replace(doc, duplicate=match)
            created: list[Path] = []
            try:
                doc_id = repository.add_document(s, doc, archive_path="", thumbnails=[None] * len(doc.pages))
                archival = self.number(s, doc, doc_id)
                rel, thumbs = self.copy_files(doc, doc_id, created, archival)
                repository.set_files(s, doc_id, rel, thumbs)
                jobs.finish(s, src.sha256, JobState.DUPLICATE if match else JobState.STORED, doc_id)
                s.flush()
                crash_point("archive-written")
            except BaseException:
                for p in created:  # the transaction rolls back: leave no orphan file behind
                    p.unlink(missing_ok=True)
                raise
        crash_point("committed")
        if not self.keep_source:  # committed: only now may the file leave the inbox
            src.path.unlink(missing_ok=True)
        status = Status.DUPLICATE if match else Status.STORED
        return Outcome(src.path, status, doc_id, len(doc.pages), time.monotonic() - start,
                       doc.classification.category, match.document_id if match else None)

    def number(self, s, doc: Document, doc_id: int) -> dict:
        """Assign the 档号 (DA/T 22-2015) in the storing transaction; returns its parts for file names."""
        from .classify.numbering import archival_code

        a = self.settings.archive
        retention = doc.classification.retention or a.default_retention
        org = doc.classification.org or a.default_org
        year = doc.metadata.year
        code = repository.assign_archival_code(
            s, doc_id, fonds=a.fonds, year=year, retention=retention, org=org,
            make_code=lambda seq: archival_code(a.code_template, fonds=a.fonds, year=year, retention=retention,
                                                org=org, seq=seq))
        return dict(archival_code=code, fonds=a.fonds, retention=retention, org=org)  # fields.ARCHIVAL

    def copy_files(self, doc: Document, doc_id: int, created: list[Path],
                   archival: dict | None = None) -> tuple[str, list[str]]:
        """Original and thumbnails into the archive (atomically); returns their archive-relative paths."""
        cfg = self.settings
        src = doc.source
        rel = archive_files.archive_name(cfg.archive.name_template, doc_id=doc_id, metadata=doc.metadata,
                                         category=doc.classification.category, original_name=src.name,
                                         sha256=src.sha256, ext=intake.EXTENSIONS[src.kind], extra=archival)
        try:
            dest = archive_files.unique_path(cfg.paths.archive / rel)
            archive_files.atomic_copy(src.path, dest)
            created.append(dest)
            thumbs = []
            for page, img in zip(doc.pages, doc.page_images):
                t = Path("thumbs") / str(doc_id) / f"p{page.number:04d}.jpg"
                (cfg.paths.archive / t).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(img, cfg.paths.archive / t)
                created.append(cfg.paths.archive / t)
                thumbs.append(str(t))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS):
                raise StorageBusy(f"{src.name}: cannot write to the archive ({exc.strerror}); will try again") from None
            raise
        return str(dest.relative_to(cfg.paths.archive)), thumbs

    def fail(self, path: Path, reason: str, start: float, sha: str | None = None) -> Outcome:
        """Record the failure and move the file to failed/ with its reason, in that order inside one
        transaction: a database held by another writer (a passing fault) leaves the file in the inbox for
        a later try, never in failed/ without its record. Never raises for a missing file."""
        present = os.path.lexists(path)  # a dangling or looping symlink is moved out too, as itself
        move = present and not self.keep_source
        if sha is None:  # not taken in (refused, unreadable): read it now, if it is a file we may read
            sha = intake.sha256_or_empty(path) if present else ""
        failed = self.settings.paths.failed
        dest = archive_files.failed_destination(path, failed) if move else (path if present else None)
        try:
            with self.db.session() as s:
                repository.record_failure(s, shown(path.name), sha, reason, shown(dest) if dest else "")
                if sha:
                    jobs.finish(s, sha, JobState.FAILED, message=reason)
                s.flush()  # the write lock is ours now, or StorageBusy: nothing has moved yet
                if move:
                    archive_files.move_to_failed(path, failed, reason, dest)
                    crash_point("failed-moved")  # moved, not yet committed: recovery records it
        except StorageBusy as exc:
            log.warning("%s", exc.message)
            return Outcome(path, Status.RETRY, seconds=time.monotonic() - start,
                           message=f"{reason}; left in the inbox for now: {exc.message}")
        except ArchiverError:
            raise
        except Exception:  # the database itself broken: the file is still set aside with its reason
            log.exception("could not record the failure of %s", shown(path))
            if move and os.path.lexists(path):
                archive_files.move_to_failed(path, failed, reason, dest)
        return Outcome(path, Status.FAILED, seconds=time.monotonic() - start, message=reason)

    def reclassify(self, rules: tuple[Rule, ...] | None = None) -> int:
        """Re-apply the rules to every stored document (no OCR). Returns how many changed."""
        rules = self.rules if rules is None else rules
        changed = 0
        with self.db.session() as s:
            for doc_id, title, issuer, text, old_category, old_tags, values in list(repository.classification_inputs(s)):
                cls: Classification = classify(rules, title, text, issuer, values)
                if cls.category != old_category or tuple(cls.tags) != tuple(old_tags):
                    changed += 1
                repository.replace_classification(s, doc_id, cls)
        return changed
