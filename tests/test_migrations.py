"""Alembic migrations run from the package against real SQLite files and real PostgreSQL databases."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from archiver.errors import ConfigError, DatabaseOutOfDate
from archiver.storage import repository as repo
from archiver.storage.db import MIGRATIONS, open_database
from archiver.storage.search import search
from archiver.storage.tables import FTS_TABLE, Base

TABLES = {"documents", "pages", "lines", "document_tags", "rule_hits", "failures", "events", "jobs", "uploads", "api_tokens"}

# A second revision, written beside a copy of the real ones: rebuilding `pages` (batch mode) would
# cascade-delete every line if foreign keys stayed on during the migration.
REVISION_2 = '''
import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "0007"


def upgrade():
    with op.batch_alter_table("pages", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("pages", recreate="always") as batch:
        batch.drop_column("note")
'''


def tables(db) -> set[str]:
    return set(inspect(db.engine).get_table_names())


@pytest.fixture
def empty(tmp_path, new_database_url):
    db = open_database(new_database_url(str(tmp_path / "new" / "archive.db")))
    yield db
    db.close()


def test_upgrade_downgrade_upgrade(empty):
    sqlite = empty.backend == "sqlite"
    assert not sqlite or empty.path.parent.is_dir()  # the folder is made on open
    assert empty.current_revision() is None
    assert empty.migrate() is None  # nothing to back up in a new file
    assert TABLES | {FTS_TABLE, "alembic_version"} <= tables(empty)
    assert empty.current_revision() == empty.head_revision() == "0007"
    empty.check_current()
    backup = empty.downgrade("base")
    if sqlite:
        assert backup is not None and backup.name == "archive.db.bak-0007"
    else:
        assert backup is None  # a server database is backed up by its operator (pg_dump), not by us
    assert tables(empty) == {"alembic_version"} and empty.current_revision() is None
    empty.migrate()
    assert TABLES | {FTS_TABLE} <= tables(empty)
    with empty.session() as s:
        assert s.execute(text(f"SELECT count(*) FROM {FTS_TABLE}")).scalar() == 0


def test_migrating_at_head_is_a_no_op(empty):
    empty.migrate()
    assert empty.migrate() is None
    assert empty.path is None or not list(empty.path.parent.glob("*.bak-*"))


def test_schema_matches_the_models(empty):
    empty.migrate()
    with empty.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, _p: not (type_ == "table" and name.startswith(FTS_TABLE))})
        assert compare_metadata(ctx, Base.metadata) == []


def test_empty_database_is_not_initialised(empty):
    with pytest.raises(DatabaseOutOfDate) as info:
        empty.check_current()
    assert info.value.message == "database is not initialised: run `python manage.py migrate`"
    assert info.value.exit_code == 5


@pytest.mark.sqlite_only  # the backup file and the foreign-key pragma are SQLite's
def test_older_revision_names_the_command_and_upgrade_backs_up(tmp_path, make_doc):
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_note.py").write_text(REVISION_2, encoding="utf-8")
    db = open_database(f"sqlite:///{tmp_path / 'archive.db'}", script_location=scripts)
    db.migrate("0007")
    with db.session() as s:
        doc_id = repo.add_document(s, make_doc(["国务院办公厅文件", "关于印发要点的通知"]), "a.pdf", [])
    with pytest.raises(DatabaseOutOfDate) as info:
        db.check_current()
    assert info.value.message == (
        "database is at revision 0007 but this version needs 0099: run `python manage.py migrate`")
    backup = db.migrate()
    assert backup == tmp_path / "archive.db.bak-0007"
    db.check_current()
    with db.session() as s:
        assert s.execute(text("SELECT count(*) FROM lines")).scalar() == 2  # not cascaded away
        assert [h.document_id for h in search(s, "通知")] == [doc_id]
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after the migration
    old = sqlite3.connect(backup)
    try:  # the backup is the database as it was, WAL contents included
        assert old.execute("SELECT version_num FROM alembic_version").fetchall() == [("0007",)]
        assert old.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    finally:
        old.close()
    db.close()


def test_unknown_revision_is_reported(empty):
    empty.migrate()
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseOutOfDate, match="revision 9999, which this version does not know"):
        empty.check_current()


def test_only_sqlite_and_postgresql_urls(tmp_path):
    with pytest.raises(ConfigError, match="only sqlite:/// and postgresql"):
        open_database("mysql://localhost/archive")
    with pytest.raises(ConfigError, match="not a valid URL"):
        open_database("::not a url::")
    with pytest.raises(ConfigError, match="use postgresql\\+psycopg"):
        open_database("postgresql+psycopg2://localhost/archive")
    db = open_database("postgresql://u:p@127.0.0.1:1/archive")  # plain postgresql:// reads with psycopg 3
    assert db.backend == "postgresql" and db.engine.url.drivername == "postgresql+psycopg" and db.path is None
    db.close()


@pytest.mark.sqlite_only  # the raw insert below is written for the SQLite file
def test_the_date_column_keeps_its_values_when_renamed(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'archive.db'}")
    db.migrate("0005")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO documents (sha256, original_name, kind, size, page_count, doc_date, archive_path, text, "
            "created_at) VALUES ('ab', 'a.pdf', 'pdf', 1, 1, '2024-03-05', 'a.pdf', '', '2024')")
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT date FROM documents").scalar() == "2024-03-05"
        names = {r[1] for r in conn.exec_driver_sql("PRAGMA index_list(documents)")}
    assert "ix_documents_date" in names and "ix_documents_doc_date" not in names
    db.close()
