"""Jobs gain the state `queued` and a `worker` column: with `queue: celery` the watcher registers a
file and enqueues it, and the worker that takes it marks the job alive (updated_at) while it works.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Written out rather than taken from archiver.storage.tables: a migration must not change when the models do.
OLD = "'running', 'stored', 'duplicate', 'failed', 'retry'"
NEW = "'queued', 'running', 'stored', 'duplicate', 'failed', 'retry'"


def _states(allowed: str) -> None:
    # Batch mode: SQLite cannot alter a CHECK in place, so the (small) jobs table is rebuilt there.
    with op.batch_alter_table("jobs", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_jobs_state"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_state"), f"state IN ({allowed})")


def upgrade() -> None:
    _states(NEW)
    op.add_column("jobs", sa.Column("worker", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "worker")
    op.execute("UPDATE jobs SET state = 'retry' WHERE state = 'queued'")
    _states(OLD)
