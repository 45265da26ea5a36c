"""The one place that builds an archive from its settings: the database (created at head when empty,
checked otherwise), the pipeline, the site builder. The command line, the daemon, the workers, the
benchmarks and the tests all build theirs here, so each is put together the same way."""
from __future__ import annotations

import logging
import time

from typing import TYPE_CHECKING

from .config import Settings
from .errors import StorageBusy
from .storage import repository
from .storage.db import Database, open_database

if TYPE_CHECKING:  # the pipeline pulls in OpenCV and the recogniser's modules: imported when one is made
    from .archive_lock import ArchiveLock
    from .daemon.watch import Watcher
    from .pipeline import Pipeline

log = logging.getLogger("archiver")


def open_db(settings: Settings, create: bool = True) -> Database:
    """The archive's database at the head revision: created when empty (create=True); an older one is
    DatabaseOutOfDate naming the fix; a held or unreachable one is StorageBusy (one line)."""
    db = open_database(settings.database.url, busy_timeout=settings.database.busy_timeout)
    try:
        db.ensure_current(create=create)
    except BaseException:
        db.close()
        raise
    return db


def make_pipeline(settings: Settings, keep_source: bool = False, worker: str | None = None) -> "Pipeline":
    from .pipeline import Pipeline

    return Pipeline(settings, open_db(settings), keep_source=keep_source, worker=worker)


def pipeline_when_free(settings: Settings, wait_s: float = 120.0, worker: str | None = None) -> "Pipeline":
    """The daemon's or a worker's pipeline; a database another writer holds at start-up is waited for."""
    end = time.monotonic() + wait_s
    while True:
        try:
            return make_pipeline(settings, worker=worker)
        except StorageBusy as exc:
            if time.monotonic() > end:
                raise
            log.warning("%s; waiting to start", exc.message)
            time.sleep(2)


def rebuild_site(settings: Settings, db: Database) -> None:
    """Render the site from the stored documents; incremental: unchanged pages are not rendered again."""
    from .site.build import SiteOptions, build_site

    with db.session() as s:
        docs = repository.get_documents(s)
    report = build_site(docs, settings.paths.site, templates_dir=settings.site.templates, archive_dir=settings.paths.archive,
                        options=SiteOptions(low_confidence=settings.ocr.low_confidence))
    log.info("site: %d pages written, %d unchanged (%s)", report.written, report.unchanged, settings.paths.site / "index.html")


class SiteWhenChanged:
    """Rebuild the site when documents were added or removed since the last look (queue: celery, where
    the workers store and the watcher only looks)."""

    def __init__(self, settings: Settings, db: Database):
        self.settings, self.db, self.seen = settings, db, None

    def __call__(self) -> None:
        with self.db.session() as s:
            now = repository.count_and_last_id(s)
        if now != self.seen:
            rebuild_site(self.settings, self.db)
            self.seen = now


def make_watcher(settings: Settings) -> "Watcher":
    """The inbox watcher with its pipeline: with `queue: celery` it registers and enqueues files (the site
    follows what the workers stored at each rescan), else it processes them and rebuilds the site after each
    batch. The caller holds the archive and inbox locks (watch_locks)."""
    from .daemon.watch import Watcher

    pipeline = pipeline_when_free(settings)
    site = SiteWhenChanged(settings, pipeline.db) if settings.site.auto_build else None
    if settings.queue == "celery":
        from .workers.dispatch import Dispatcher

        w = Watcher(settings, pipeline, dispatch=Dispatcher(settings, pipeline.db), periodic=site)
    else:
        w = Watcher(settings, pipeline, after=(lambda _done: rebuild_site(settings, pipeline.db)) if site else None)
        pipeline.warm_up()  # the recogniser loads while the first files are taken in
    if site is not None:
        site()
    return w


def watch_locks(settings: Settings, purpose: str) -> tuple["ArchiveLock", "ArchiveLock"]:
    """The locks a process watching the inbox holds: the archive's, and the inbox folder's (a second daemon
    on this inbox under another config refuses too). Acquire the first, then the second."""
    from .archive_lock import ArchiveLock

    return (ArchiveLock(settings.paths.archive, purpose),
            ArchiveLock(settings.paths.inbox, purpose, what="the inbox", on_folder=True))
