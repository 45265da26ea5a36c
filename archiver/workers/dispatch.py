"""The watcher's side of `queue: celery`: register a ready inbox file as a queued job, then enqueue it."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from archiver.config import Settings
from archiver.errors import ArchiverError
from archiver.ingest.intake import sha256_of
from archiver.pipeline import Outcome, Status
from archiver.shown import shown
from archiver.storage import jobs
from archiver.storage.db import Database

from .app import TASK, make_app

log = logging.getLogger("archiver")
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 2.0}


class Dispatcher:
    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self.app = make_app(settings)
        # A queued file is seen again at every rescan until a worker takes it away: hash it once.
        self._digests: dict[Path, tuple[tuple[int, int], str]] = {}

    def digest(self, path: Path) -> str:
        """sha256 of the file, read again only when its size or mtime changed."""
        st = path.stat()
        seen = self._digests.get(path)
        if seen is not None and seen[0] == (st.st_size, st.st_mtime_ns):
            return seen[1]
        sha = sha256_of(path)
        if len(self._digests) >= 4096:  # forget the files workers have taken away
            self._digests = {p: d for p, d in self._digests.items() if p.exists()}
        self._digests[path] = ((st.st_size, st.st_mtime_ns), sha)
        return sha

    def __call__(self, path: Path) -> Outcome:
        start = time.monotonic()
        c = self.settings.celery
        try:
            sha = self.digest(path)
        except OSError as exc:  # gone or unreadable: the next rescan sees it again, or a worker reports it
            return Outcome(path, Status.RETRY, message=f"{shown(path.name)}: cannot read it yet ({exc.strerror})")
        try:
            with self.db.session() as s:
                registered = jobs.enqueue(s, sha, shown(path.name), shown(path), c.stale_seconds, c.requeue_seconds)
        except ArchiverError as exc:
            return Outcome(path, Status.RETRY, message=exc.message)
        if registered is None:
            return Outcome(path, Status.HELD, seconds=time.monotonic() - start, message=f"{shown(path.name)}: queued or in hand")
        try:
            self.app.send_task(TASK, args=[str(path), sha], queue=c.queue_name, retry=True, retry_policy=RETRY_POLICY)
        except Exception as exc:  # broker down: recorded, and the file is queued again at a later rescan
            message = f"{shown(path.name)}: cannot reach the queue at {c.broker} ({type(exc).__name__}: {exc}); will try again"
            try:
                with self.db.session() as s:
                    jobs.finish(s, sha, "retry", message=message)
            except ArchiverError:
                pass
            return Outcome(path, Status.RETRY, seconds=time.monotonic() - start, message=message)
        if registered == "archived":  # logged quietly: usually the worker is removing it this moment
            return Outcome(path, Status.HELD, seconds=time.monotonic() - start,
                           message=f"{shown(path.name)}: already archived; a worker will take the file away")
        return Outcome(path, Status.QUEUED, seconds=time.monotonic() - start, message=f"{shown(path.name)}: queued")
