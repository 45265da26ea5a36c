"""公文 fields (GB/T 9704-2012) in their own columns, the line each was read from, and the archival
number (DA/T 22-2015 档号) with its parts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out rather than taken from archiver.storage.tables: a migration must not change when the models do.
# Plain ADD COLUMN (no batch rebuild): rebuilding `documents` would drop the FTS delete trigger.
TEXT_COLUMNS = ("copy_no", "secrecy_period", "header", "signer", "recipients", "attachments", "signature", "note",
                "cc", "printer", "print_date", "fonds", "retention", "org", "archival_code")


def upgrade() -> None:
    for name in TEXT_COLUMNS:
        op.add_column("documents", sa.Column(name, sa.Text(), nullable=True))
    op.add_column("documents", sa.Column("archival_seq", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_documents_archival_code"), "documents", ["archival_code"], unique=True)
    op.create_index(op.f("ix_documents_issuer"), "documents", ["issuer"], unique=False)
    op.create_table(
        "field_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_field_spans_document_id_documents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_spans")),
    )
    op.create_index(op.f("ix_field_spans_document_id"), "field_spans", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_table("field_spans")
    op.drop_index(op.f("ix_documents_issuer"), table_name="documents")
    op.drop_index(op.f("ix_documents_archival_code"), table_name="documents")
    for name in ("archival_seq",) + TEXT_COLUMNS[::-1]:
        op.drop_column("documents", name)  # SQLite >= 3.35 drops a column in place
