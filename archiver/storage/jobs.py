"""The job log: which inbox file is being processed, and what became of it.

A job is `running` from the moment its file is taken in until its outcome commits. A `running` job
found later therefore means the process died mid-document; the count of such attempts lets the
daemon give up on a file that keeps killing it (a decompression bomb that exhausts memory)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import JOB_STATES, JobRow, utc_now


def begin(s: Session, sha256: str, name: str, path: str, count_interrupted: bool = True) -> int:
    """Mark the file's job running and return how many earlier attempts on it were interrupted.
    count_interrupted=False: the caller knows the last attempt ended in a retry it could not record."""
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is None:
        s.add(JobRow(sha256=sha256, name=name, path=path, state="running", interrupted=0, message=""))
        s.flush()
        return 0
    if row.state == "running" and count_interrupted:  # the last attempt never reached an outcome
        row.interrupted += 1
    row.state, row.name, row.path, row.updated_at = "running", name, path, utc_now()
    s.flush()
    return row.interrupted


def finish(s: Session, sha256: str, state: str, document_id: int | None = None, message: str = "") -> None:
    """Record the outcome of the file's job (in the caller's transaction); a file with no job is left be."""
    if state not in JOB_STATES or state == "running":
        raise ValueError(f"not a final job state: {state!r}")
    row = s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
    if row is None:
        return
    row.state, row.document_id, row.message, row.updated_at = state, document_id, message, utc_now()
    if state != "retry":
        row.interrupted = 0
    s.flush()


def interrupted(s: Session) -> list[JobRow]:
    """Jobs still marked running: at start-up, these are the documents a crash cut short."""
    return list(s.scalars(select(JobRow).where(JobRow.state == "running").order_by(JobRow.id)))


def get(s: Session, sha256: str) -> JobRow | None:
    return s.scalar(select(JobRow).where(JobRow.sha256 == sha256))
