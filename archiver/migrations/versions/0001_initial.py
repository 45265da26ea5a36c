"""Initial schema: documents, pages, lines, tags, rule hits, failures, events and the FTS5 index.

Revision ID: 0001
Revises:
Create Date: 2025-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Written out rather than taken from archiver.storage.tables: a migration must not change when the models do.
FTS = "documents_fts"
EVENT_KINDS = "'ingested', 'duplicate', 'skipped', 'failed', 'reclassified'"


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "documents",
        _id(),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("doc_number", sa.String(length=200), nullable=True),
        sa.Column("doc_type", sa.String(length=32), nullable=True),
        sa.Column("doc_date", sa.String(length=10), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("secrecy", sa.String(length=32), nullable=True),
        sa.Column("urgency", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("archive_path", sa.Text(), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("dup_hash_distance", sa.Integer(), nullable=True),
        sa.Column("dup_text_similarity", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        _fk("documents", "duplicate_of", "documents", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    for column in ("category", "created_at", "doc_date", "doc_type", "duplicate_of", "year"):
        op.create_index(op.f(f"ix_documents_{column}"), "documents", [column], unique=False)
    op.create_index(op.f("ix_documents_sha256"), "documents", ["sha256"], unique=True)

    op.create_table(
        "pages",
        _id(),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("phash", sa.String(length=64), nullable=False),
        sa.Column("thumbnail", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _fk("pages", "document_id", "documents", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_pages_document_id_number")),
    )
    op.create_index(op.f("ix_pages_phash"), "pages", ["phash"], unique=False)

    op.create_table(
        "lines",
        _id(),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("x0", sa.Integer(), nullable=False),
        sa.Column("y0", sa.Integer(), nullable=False),
        sa.Column("x1", sa.Integer(), nullable=False),
        sa.Column("y1", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _fk("lines", "page_id", "pages", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_lines_page_id_number")),
    )

    op.create_table(
        "document_tags",
        _id(),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        _fk("document_tags", "document_id", "documents", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_tags")),
        sa.UniqueConstraint("document_id", "tag", name=op.f("uq_document_tags_document_id_tag")),
    )
    op.create_index("ix_document_tags_tag", "document_tags", ["tag"], unique=False)

    op.create_table(
        "rule_hits",
        _id(),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("matched", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        _fk("rule_hits", "document_id", "documents", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_hits")),
    )
    op.create_index(op.f("ix_rule_hits_document_id"), "rule_hits", ["document_id"], unique=False)

    op.create_table(
        "failures",
        _id(),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failed_path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failures")),
    )
    op.create_index(op.f("ix_failures_sha256"), "failures", ["sha256"], unique=False)

    op.create_table(
        "events",
        _id(),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.CheckConstraint(f"kind IN ({EVENT_KINDS})", name=op.f("ck_events_kind")),
        _fk("events", "document_id", "documents", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_created_at"), "events", ["created_at"], unique=False)
    op.create_index(op.f("ix_events_document_id"), "events", ["document_id"], unique=False)

    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL gets its own search table in 0004
    # Columns hold text re-tokenised by archiver.storage.tokens (one CJK character per token), so the
    # plain unicode61 tokenizer splits it exactly as the query side does. rowid = documents.id.
    op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5(title, meta, body, tokenize = 'unicode61')")
    # However a document row goes, its index row goes with it. SQLite drops a table's triggers with it,
    # so a later batch migration that rebuilds `documents` must create this trigger again.
    op.execute(
        f"CREATE TRIGGER {FTS}_after_delete AFTER DELETE ON documents "
        f"BEGIN DELETE FROM {FTS} WHERE rowid = old.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_after_delete")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    for table in ("events", "failures", "rule_hits", "document_tags", "lines", "pages", "documents"):
        op.drop_table(table)  # indexes go with their table
