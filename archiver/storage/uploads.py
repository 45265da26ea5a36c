"""Files taken in over HTTP, and what became of each: read from its job and its document by sha256,
so the answer is the pipeline's own record whichever process (daemon, web server, Celery worker) did it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound
from .tables import DocumentRow, Failure, JobRow, JobState, UploadRow

# What an upload's page and API say, in the order a file goes through them.
UPLOAD_STATES = ("queued", "processing", "stored", "duplicate", "failed")


@dataclass(frozen=True)
class UploadState:
    id: int
    name: str
    size: int
    created_at: str
    state: str  # one of UPLOAD_STATES
    document_id: int | None = None  # stored as, or (duplicate) the document its bytes are already archived as
    duplicate_of: int | None = None  # stored as a near-duplicate of this document
    message: str = ""


def add(s: Session, name: str, sha256: str, size: int, inbox_name: str | None, existing_document_id: int | None,
        token_name: str | None) -> int:
    row = UploadRow(name=name, sha256=sha256, size=size, inbox_name=inbox_name,
                    existing_document_id=existing_document_id, token_name=token_name)
    s.add(row)
    s.flush()
    return row.id


def could_be_upload(inbox_name: str) -> bool:
    """The web server names an upload <upload id>-<safe name> in the inbox; any other name is no upload
    (nor is one that is not UTF-8: the server never writes such a name)."""
    head = inbox_name.split("-", 1)[0]
    return head.isdigit() and head.isascii() and inbox_name.isprintable() and _utf8(inbox_name)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def client_name(s: Session, sha256: str, inbox_name: str) -> str | None:
    """The name the client gave the file that was put into the inbox as inbox_name, if it was uploaded."""
    return s.scalar(select(UploadRow.name).where(UploadRow.sha256 == sha256, UploadRow.inbox_name == inbox_name)
                    .order_by(UploadRow.id.desc()).limit(1))


def set_inbox_name(s: Session, upload_id: int, inbox_name: str | None) -> None:
    s.get(UploadRow, upload_id).inbox_name = inbox_name
    s.flush()


def state(s: Session, upload_id: int) -> UploadState:
    """What became of an upload; raises NotFound."""
    up = s.get(UploadRow, upload_id)
    if up is None:
        raise NotFound(f"no upload with id {upload_id}")
    base = dict(id=up.id, name=up.name, size=up.size, created_at=up.created_at)
    if up.existing_document_id is not None:
        return UploadState(**base, state="duplicate", document_id=up.existing_document_id,
                           message=f"its bytes are archived already, as document {up.existing_document_id}")
    doc = s.execute(select(DocumentRow.id, DocumentRow.duplicate_of).where(DocumentRow.sha256 == up.sha256)).first()
    if doc is not None:
        if doc.duplicate_of is not None:
            return UploadState(**base, state="duplicate", document_id=doc.id, duplicate_of=doc.duplicate_of,
                               message=f"stored as a near-duplicate of document {doc.duplicate_of}")
        return UploadState(**base, state="stored", document_id=doc.id)
    job = s.scalar(select(JobRow).where(JobRow.sha256 == up.sha256))
    current = job is not None and job.updated_at >= up.created_at  # not an earlier attempt on the same bytes
    if current and job.state == JobState.RUNNING:
        return UploadState(**base, state="processing")
    if current and job.state == JobState.FAILED:
        failure = s.scalar(select(Failure).where(Failure.sha256 == up.sha256).order_by(Failure.id.desc()))
        return UploadState(**base, state="failed", message=job.message or (failure.reason if failure else ""))
    if current and job.state == JobState.RETRY:
        return UploadState(**base, state="queued", message=job.message)
    return UploadState(**base, state="queued")


def states(s: Session, ids: list[int]) -> list[UploadState]:
    """The states of these uploads (unknown ids left out), in the order asked."""
    out = []
    for i in ids:
        try:
            out.append(state(s, i))
        except NotFound:
            continue
    return out
