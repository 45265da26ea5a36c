"""The 成文日期 column takes the field's one name: documents.doc_date becomes documents.date, as the
field is called from extraction on (archiver.fields). A rename in place on SQLite (3.25+) and PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    op.drop_index(f"ix_documents_{old}", table_name="documents")
    op.execute(f'ALTER TABLE documents RENAME COLUMN "{old}" TO "{new}"')
    op.create_index(f"ix_documents_{new}", "documents", [new], unique=False)


def upgrade() -> None:
    _rename("doc_date", "date")


def downgrade() -> None:
    _rename("date", "doc_date")
