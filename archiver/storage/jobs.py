"""The job log: which inbox file is being processed, and what became of it.

A job is `running` from the moment its file is taken in until its outcome commits. A `running` job
found later therefore means the process died mid-document; the count of such attempts lets the
daemon give up on a file that keeps killing it (a decompression bomb that exhausts memory).

With `queue: celery` a job is first `queued` by the watcher; the worker that begins it writes its name
in `worker` and keeps `updated_at` fresh (heartbeat) until the outcome commits. A running job whose
heartbeat is fresh belongs to a live worker and is not taken by another; a stale one lost its worker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import serialize_store
from .tables import JobRow, JobState, utc_now


class JobHeld(Exception):
    """Another worker is alive and working on this file."""

    def __init__(self, worker: str):
        super().__init__(worker)
        self.worker = worker


def seconds_ago(seconds: float) -> str:
    """The utc_now() timestamp of `seconds` ago (timestamps compare as text)."""
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


def begin(s: Session, sha256: str, name: str, path: str, count_interrupted: bool = True,
          worker: str | None = None, stale_seconds: float | None = None) -> int:
    """Mark the file's job running and return how many earlier attempts on it were interrupted.
    count_interrupted=False: the caller knows the last attempt ended in a retry it could not record.
    With a `worker` (queue: celery), raise JobHeld if another worker's heartbeat is under stale_seconds old."""
    if worker is not None:
        serialize_store(s)  # two workers handed the same job must not both see it free
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is None:
        try:
            with s.begin_nested():  # another process may insert the same file's job this moment
                s.add(JobRow(sha256=sha256, name=name, path=path, state=JobState.RUNNING, interrupted=0, message="",
                             worker=worker))
            return 0
        except IntegrityError:
            raise JobHeld("another process") from None
    if (worker is not None and row.state == JobState.RUNNING and row.worker not in (None, worker)
            and stale_seconds is not None and row.updated_at > seconds_ago(stale_seconds)):
        raise JobHeld(row.worker)
    if row.state == JobState.RUNNING and count_interrupted:  # the last attempt never reached an outcome
        row.interrupted += 1
    row.state, row.name, row.path, row.updated_at, row.worker = JobState.RUNNING, name, path, utc_now(), worker
    s.flush()
    return row.interrupted


def heartbeat(s: Session, sha256: str, worker: str) -> bool:
    """Mark the job alive; False when it is no longer this worker's running job."""
    done = s.execute(update(JobRow).where(JobRow.sha256 == sha256, JobRow.worker == worker,
                                          JobRow.state == JobState.RUNNING).values(updated_at=utc_now()))
    return done.rowcount == 1


def enqueue(s: Session, sha256: str, name: str, path: str, stale_seconds: float, requeue_seconds: float) -> str | None:
    """Register an inbox file as queued. Returns "queued", "archived" (its bytes are stored already: a
    message only lets a worker take the file away) or None (no message needed: queued or held recently)."""
    serialize_store(s)
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is None:
        s.add(JobRow(sha256=sha256, name=name, path=path, state=JobState.QUEUED, interrupted=0, message=""))
        s.flush()
        return "queued"
    if row.state in (JobState.STORED, JobState.DUPLICATE):
        return "archived"
    if row.state == JobState.QUEUED and row.updated_at > seconds_ago(requeue_seconds):
        return None  # waiting in the broker
    if row.state == JobState.RUNNING and row.updated_at > seconds_ago(stale_seconds):
        return None  # a live worker has it
    if row.state == JobState.RUNNING:  # its worker died mid-document: that attempt was cut short
        row.interrupted += 1
    row.state, row.worker, row.name, row.path, row.updated_at = JobState.QUEUED, None, name, path, utc_now()
    s.flush()
    return "queued"


def finish(s: Session, sha256: str, state: JobState | str, document_id: int | None = None, message: str = "") -> None:
    """Record the outcome of the file's job (in the caller's transaction); a file with no job is left be."""
    if state not in tuple(JobState) or state == JobState.RUNNING:
        raise ValueError(f"not a final job state: {state!r}")
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is None:
        return
    row.state, row.document_id, row.message, row.updated_at = state, document_id, message, utc_now()
    if state != JobState.RETRY:
        row.interrupted = 0
    s.flush()


def settle_archived(s: Session, sha256: str, document_id: int) -> None:
    """The file's bytes are archived as document_id: a job of them still open (begun by a copy that turned
    out to be an exact duplicate, or cut short) is finished as stored, so it counts as no crash later."""
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is not None and row.state not in (JobState.STORED, JobState.DUPLICATE):
        finish(s, sha256, JobState.STORED, document_id, message="its bytes are archived")


def interrupted(s: Session) -> list[JobRow]:
    """Jobs still marked running: at start-up, these are the documents a crash cut short."""
    return list(s.scalars(select(JobRow).where(JobRow.state == JobState.RUNNING).order_by(JobRow.id)))


def get(s: Session, sha256: str) -> JobRow | None:
    return s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
