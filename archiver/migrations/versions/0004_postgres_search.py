"""The search index on PostgreSQL (SQLite has had its FTS5 table since 0001; this is a no-op there).

One row per document (per part of a long one): the title, meta and body as search tokens
(archiver.storage.tokens, joined by spaces, with a space at each end), and `grams`, a tsvector of
every token, pair and triple of adjacent tokens. A GIN index on `grams` answers terms of 1 to 3
tokens exactly and narrows longer ones to the documents holding all their triples; see
archiver/storage/pg_search.py.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "documents_fts"  # the same name as SQLite's FTS5 table: "the search index" on either backend


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        TABLE,
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),  # a long body is split in overlapping parts
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("grams", postgresql.TSVECTOR(), nullable=False),  # tokens, pairs and triples; no positions
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f(f"fk_{TABLE}_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_id", "part", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(op.f(f"ix_{TABLE}_grams"), TABLE, ["grams"], postgresql_using="gin")
    # Rows small enough to read many per page: body and grams go out of line (TOAST), title and meta
    # (short; they rank a match) stay in the row (MAIN: only a row too big for a page moves them out).
    # A search reads the rows of every match, and reading a TOASTed value costs several page reads.
    op.execute(f"ALTER TABLE {TABLE} SET (toast_tuple_target = 128)")
    op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN title SET STORAGE MAIN, ALTER COLUMN meta SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table(TABLE)
