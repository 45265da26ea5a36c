"""SQLAlchemy models of the archive database. The schema itself is created by migrations/, not here."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from archiver.fields import ARCHIVAL, GONGWEN

FTS_TABLE = "documents_fts"  # FTS5 virtual table (rowid = documents.id), created in raw SQL by the migrations
EVENT_KINDS = ("ingested", "duplicate", "skipped", "failed", "reclassified")


class JobState(StrEnum):
    """The state of an inbox file's job (a str: compares equal to its value, as stored in `jobs.state`)."""

    QUEUED = "queued"  # queue: celery: registered by the watcher, waiting in the broker
    RUNNING = "running"  # being processed; found so later, the process died mid-document
    STORED = "stored"
    DUPLICATE = "duplicate"  # stored as a near-duplicate, or skipped as one
    FAILED = "failed"
    RETRY = "retry"  # a passing fault: tried again later


JOB_STATES = tuple(state.value for state in JobState)

# Named constraints, so that later batch migrations on SQLite can find and alter them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> str:
    """Now, as an ISO timestamp in UTC (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


_TYPES = {"text": Text, "str10": String(10), "str32": String(32), "str200": String(200), "int": Integer}


def _columns_of(name: str, fields, unique: tuple[str, ...] = ()) -> type:
    """A declarative mixin with one nullable column per field, typed and indexed as declared."""
    return type(name, (), {f.name: mapped_column(_TYPES[f.column], nullable=True, index=f.indexed or f.name in unique,
                                                 unique=f.name in unique or None)
                           for f in fields})


GongwenColumns = _columns_of("GongwenColumns", GONGWEN)
ArchivalColumns = _columns_of("ArchivalColumns", ARCHIVAL, unique=("archival_code",))


class DocumentRow(GongwenColumns, ArchivalColumns, Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    original_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int]
    page_count: Mapped[int]
    # The 公文 fields come from GongwenColumns (archiver.fields), the 档号 and its parts from ArchivalColumns.
    archival_seq: Mapped[int | None]  # the sequence number within its 全宗–年度–保管期限–机构 group
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    archive_path: Mapped[str] = mapped_column(Text)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    dup_hash_distance: Mapped[int | None]
    dup_text_similarity: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32), default=utc_now, index=True)

    pages: Mapped[list[PageRow]] = relationship(
        back_populates="document", order_by="PageRow.number", cascade="all, delete-orphan", passive_deletes=True
    )
    tag_rows: Mapped[list[DocumentTag]] = relationship(
        order_by="DocumentTag.id", cascade="all, delete-orphan", passive_deletes=True
    )
    rule_hits: Mapped[list[RuleHitRow]] = relationship(
        order_by="RuleHitRow.id", cascade="all, delete-orphan", passive_deletes=True
    )
    field_spans: Mapped[list[FieldSpanRow]] = relationship(
        order_by="FieldSpanRow.id", cascade="all, delete-orphan", passive_deletes=True
    )


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    phash: Mapped[str] = mapped_column(String(64), index=True)
    thumbnail: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)

    document: Mapped[DocumentRow] = relationship(back_populates="pages")
    lines: Mapped[list[LineRow]] = relationship(
        order_by="LineRow.number", cascade="all, delete-orphan", passive_deletes=True
    )


class LineRow(Base):
    __tablename__ = "lines"
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    x0: Mapped[int]
    y0: Mapped[int]
    x1: Mapped[int]
    y1: Mapped[int]
    confidence: Mapped[float] = mapped_column(Float)


class DocumentTag(Base):
    __tablename__ = "document_tags"
    # The surrogate id keeps the tags in the order the classifier gave them.
    __table_args__ = (UniqueConstraint("document_id", "tag"), Index("ix_document_tags_tag", "tag"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(200))


class RuleHitRow(Base):
    __tablename__ = "rule_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[str] = mapped_column(Text)  # JSON list of strings
    field: Mapped[str] = mapped_column(String(32))
    matched: Mapped[str] = mapped_column(Text)  # JSON list of strings
    priority: Mapped[int] = mapped_column(default=0)


class FieldSpanRow(Base):
    """The line a 公文 field was read from (page and line 1-based), as recognised."""

    __tablename__ = "field_spans"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    page: Mapped[int]
    line: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Failure(Base):
    __tablename__ = "failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    failed_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32), default=utc_now)
    retried_at: Mapped[str | None] = mapped_column(String(32))  # put back into the inbox (web failures page)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in EVENT_KINDS)), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32), default=utc_now, index=True)


class JobRow(Base):
    """An inbox file the daemon began: `running` until its outcome is committed, so a crash leaves a trace."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint("state IN ({})".format(", ".join(f"'{k}'" for k in JOB_STATES)), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)  # where the file was when the job began
    state: Mapped[str] = mapped_column(String(16), index=True)
    interrupted: Mapped[int] = mapped_column(default=0)  # attempts that never finished (the process died)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str | None] = mapped_column(Text)  # queue: celery: the worker holding a running job
    started_at: Mapped[str] = mapped_column(String(32), default=utc_now)
    updated_at: Mapped[str] = mapped_column(String(32), default=utc_now)


class UploadRow(Base):
    """A file taken in over HTTP. What became of it is read from jobs and documents by its sha256."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)  # the client's file name, made safe to show; never used as a path
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    inbox_name: Mapped[str | None] = mapped_column(Text)  # the name it was given in the inbox; None: not put there
    # Its bytes were archived already when it arrived: nothing was put in the inbox.
    existing_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    token_name: Mapped[str | None] = mapped_column(Text)  # who uploaded it
    created_at: Mapped[str] = mapped_column(String(32), default=utc_now)


class TokenRow(Base):
    """A bearer token for the web API, stored as the SHA-256 of its secret (the secret is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(32), default=utc_now)
    last_used_at: Mapped[str | None] = mapped_column(String(32))
