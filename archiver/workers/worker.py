"""`manage.py worker`: one Celery worker process (solo pool, one document at a time) that takes
queued files and runs the pipeline on them; a thread keeps the held job's heartbeat fresh."""
from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from pathlib import Path

from celery.signals import setup_logging

from archiver.errors import ArchiverError
from archiver.pipeline import Pipeline
from archiver.storage import jobs

from .app import TASK, make_app

log = logging.getLogger("archiver")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat(threading.Thread):
    """Marks the pipeline's current job alive every `every` seconds while the worker lives."""

    def __init__(self, pipeline: Pipeline, every: float):
        super().__init__(name="heartbeat", daemon=True)
        self.pipeline, self.every = pipeline, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            sha = self.pipeline.current_job
            if sha is None:
                continue
            try:
                with self.pipeline.db.session() as s:
                    jobs.heartbeat(s, sha, self.pipeline.worker)
            except ArchiverError as exc:  # the database busy for a moment: the next beat will do
                log.warning("heartbeat: %s", exc.message)
            except Exception:
                log.exception("heartbeat failed")


def handle(pipeline: Pipeline, path: str) -> str:
    """One queued file. A file no longer in the inbox was finished (or set aside) already: nothing to do."""
    p = Path(path)
    if not (p.exists() or p.is_symlink()):
        log.info("%s: no longer in the inbox (already done); nothing to do", p.name)
        return "gone"
    outcome = pipeline.process(p)
    log.info("%s", outcome.log_line())
    return outcome.status


def _keep_our_logging(**_kwargs) -> None:
    logging.getLogger("celery").setLevel(logging.WARNING)


def run_worker(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    app = make_app(settings)

    @app.task(name=TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def process_file(path: str, sha256: str | None = None) -> str:
        return handle(pipeline, path)

    # A receiver on setup_logging tells Celery to leave logging alone: otherwise it sets the root logger to
    # the worker's loglevel and the archiver's own lines (one per document) are lost.
    setup_logging.connect(_keep_our_logging, weak=False)
    beat = Heartbeat(pipeline, settings.celery.heartbeat_seconds)
    beat.start()
    log.info("worker %s: taking jobs from %s (queue %s)", pipeline.worker, settings.celery.broker,
             settings.celery.queue_name)
    node = f"archiver-{os.getpid()}@{socket.gethostname()}"
    # Celery warns about root only for its pickle serializer's sake; jobs here are JSON (see app.py).
    warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")
    try:
        app.Worker(hostname=node, pool="solo", concurrency=1, queues=[settings.celery.queue_name], loglevel="WARNING",
                   without_gossip=True, without_mingle=True, without_heartbeat=True, quiet=True).start()
    finally:
        beat.stopped.set()
