"""Opening the database: engine (SQLite with its pragmas, or PostgreSQL), sessions, and Alembic migrations
run from the package."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from ..errors import ConfigError, DatabaseOutOfDate, StorageBusy
from ..faults import crash_point
from ..resources import MIGRATIONS

FIX = "run `python manage.py migrate`"
BACKENDS = ("sqlite", "postgresql")
STORE_LOCK = 0x61726368  # PostgreSQL advisory lock key that makes storing documents one at a time ("arch")
MIGRATE_LOCK = STORE_LOCK + 1  # ...and the one that makes migrations one at a time


def _sqlite_pragmas(dbapi_connection, _record, busy_timeout_ms: int = 10000) -> None:
    cur = dbapi_connection.cursor()
    # First, so that the pragmas below wait for another writer too instead of failing at once.
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")  # how long a write waits for another writer
    # WAL lets the site builder read while the daemon writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # FULL, not NORMAL: the inbox file is deleted right after a commit, so the commit must survive a
    # power cut (NORMAL may lose the last transactions under WAL) or the document would be lost.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def first_line(exc: OperationalError) -> str:
    """The first line of a driver error (PostgreSQL's run to several), or its type when it has no text."""
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]


def passing_fault(exc: OperationalError, backend: str) -> StorageBusy | None:
    """The StorageBusy a driver error means, when it is a passing fault (the file is tried again later);
    None for one that is not. The one place that reads a driver's error text."""
    if backend == "postgresql":  # server down or restarting, refused, lock timeout, deadlock: all passing
        return StorageBusy(f"database unavailable ({first_line(exc)}); will try again")
    text = str(exc.orig)
    if "locked" in text or "busy" in text:  # another writer held on past database.busy_timeout
        return StorageBusy(f"database busy ({exc.orig}); will try again")
    if "disk is full" in text or "disk I/O error" in text:  # the disk, not the data
        return StorageBusy(f"database cannot write ({exc.orig}); will try again")
    return None


class Database:
    """An open archive database. Build it with open_database()."""

    def __init__(self, engine: Engine, script_location: Path = MIGRATIONS):
        self.engine = engine
        self.script_location = script_location
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        """The SQLite file; None for an in-memory database or a server (PostgreSQL)."""
        name = self.engine.url.database
        return None if self.backend != "sqlite" or not name or name == ":memory:" else Path(name)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back when it raises."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except OperationalError as exc:
            s.rollback()
            busy = passing_fault(exc, self.backend)
            if busy is None:
                raise
            raise busy from None
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    # --- revisions -------------------------------------------------------------------------
    def _config(self, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.script_location).replace("%", "%%"))
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("sqlalchemy.url", self.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
        cfg.attributes["connection"] = connection
        return cfg

    def current_revision(self) -> str | None:
        """The revision the database is at; None when it was never migrated."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str:
        """The newest revision this version of the code knows."""
        head = ScriptDirectory.from_config(self._config()).get_current_head()
        if head is None:
            raise RuntimeError(f"no migrations in {self.script_location}")
        return head

    def ensure_current(self, create: bool = True) -> None:
        """Created at head when empty (create=True), else checked: DatabaseOutOfDate names the fix. A
        database another writer holds, or a server that cannot be reached, is StorageBusy (one line)."""
        try:
            if create and self.current_revision() is None:
                logging.getLogger("archiver").info("creating the database at %s", self.engine.url.render_as_string())
                self.migrate()
            self.check_current()
        except OperationalError as exc:
            busy = passing_fault(exc, self.backend)
            if busy is None:
                raise
            raise busy from None

    def check_current(self) -> None:
        """Raise DatabaseOutOfDate unless the database is at the head revision."""
        current, head = self.current_revision(), self.head_revision()
        if current == head:
            return
        if current is None:
            raise DatabaseOutOfDate(f"database is not initialised: {FIX}")
        known = {r.revision for r in ScriptDirectory.from_config(self._config()).walk_revisions()}
        if current not in known:
            raise DatabaseOutOfDate(
                f"database is at revision {current}, which this version does not know (it needs {head}): "
                "was it written by a newer version of archiver?"
            )
        raise DatabaseOutOfDate(f"database is at revision {current} but this version needs {head}: {FIX}")

    def migrate(self, revision: str = "head") -> Path | None:
        """Upgrade to `revision`, backing an SQLite file with tables up first. Returns the backup, if any."""
        target = self.head_revision() if revision == "head" else revision
        if self.current_revision() == target:
            return None  # nothing to do, so no backup either
        backup = self._backup()
        self._run(command.upgrade, revision)
        return backup

    def downgrade(self, revision: str) -> Path | None:
        """Downgrade to `revision` ("base" drops everything), after a backup. Returns the backup, if any."""
        backup = self._backup()
        self._run(command.downgrade, revision)
        return backup

    def _run(self, step: Callable[[Config, str], None], revision: str) -> None:
        if self.backend == "postgresql":  # DDL is transactional there: one transaction, all or nothing
            with self.engine.begin() as conn:
                # Two processes starting at once must not both create the schema: the second waits here,
                # then finds the first one's revision and has nothing left to do.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
                step(self._config(conn), revision)
                crash_point("migrating")
            return
        with self.engine.connect() as conn:
            # With foreign keys on, the table rebuilds of batch migrations would cascade deletes to children.
            # The pragma is a no-op inside a transaction, so it is set before one starts.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so each CREATE TABLE
            # would commit on its own and a kill mid-migration would leave half a schema that no later
            # start can migrate. With the driver's own handling off, our BEGIN makes the migration atomic.
            raw = conn.connection.dbapi_connection
            legacy = raw.isolation_level
            raw.isolation_level = None
            try:
                with conn.begin():
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    step(self._config(conn), revision)
                    crash_point("migrating")
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                conn.commit()
            finally:
                raw.isolation_level = legacy
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        if broken:
            raise RuntimeError(f"migration to {revision} left {len(broken)} broken foreign keys, e.g. {broken[0]}")

    def _backup(self) -> Path | None:
        path = self.path
        if path is None or not path.exists() or not _user_tables(self.engine):
            return None
        rev = self.current_revision() or "base"
        target = Path(f"{path}.bak-{rev}")
        n = 1
        while target.exists():  # keep earlier backups of the same revision
            n += 1
            target = Path(f"{path}.bak-{rev}-{n}")
        # The backup API copies a consistent snapshot, WAL contents included; a file copy would not.
        with self.engine.connect() as conn:
            dest = sqlite3.connect(target)
            try:
                conn.connection.dbapi_connection.backup(dest)
            finally:
                dest.close()
        return target

    def close(self) -> None:
        self.engine.dispose()


def serialize_store(s: Session) -> None:
    """Make the calling transaction the only one storing a document until it ends.

    Dedup, the 档号 sequence and the file names read what earlier stores wrote, so two stores must not
    interleave. SQLite allows one writer at a time already: a first write takes its lock now instead
    of at the first INSERT. PostgreSQL takes a transaction-scoped advisory lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORE_LOCK})
    else:
        s.execute(text("UPDATE jobs SET id = id WHERE id = -1"))  # no row changes; the write lock is held


def _user_tables(engine: Engine) -> list[str]:
    # alembic_version alone (a database downgraded to base) holds nothing worth a backup.
    return [t for t in inspect(engine).get_table_names() if not t.startswith("sqlite_") and t != "alembic_version"]


def open_database(url: str, *, script_location: Path | None = None, busy_timeout: float = 10.0) -> Database:
    """Open (without migrating) the database at `url`: an SQLite file, whose folder is created when
    missing, or a PostgreSQL database (postgresql://, read with psycopg 3)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database url {url!r} is not a valid URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise ConfigError(f"database url {url!r}: only sqlite:/// and postgresql+psycopg:// databases are supported")
    if backend == "postgresql":
        return _open_postgres(parsed, script_location or MIGRATIONS, busy_timeout)
    name = parsed.database
    if not name or name == ":memory:":
        # One shared connection, or every checkout would see its own empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
    event.listen(engine, "connect", lambda conn, rec: _sqlite_pragmas(conn, rec, round(busy_timeout * 1000)))
    return Database(engine, script_location or MIGRATIONS)


def _open_postgres(parsed, script_location: Path, busy_timeout: float) -> Database:
    if parsed.drivername != "postgresql+psycopg":
        if parsed.drivername != "postgresql":
            raise ConfigError(f"database url: driver {parsed.drivername!r} is not installed; use postgresql+psycopg://")
        parsed = parsed.set(drivername="postgresql+psycopg")
    # lock_timeout plays the part of SQLite's busy_timeout: a write that waits longer is retried later.
    options = f"-c lock_timeout={max(1, round(busy_timeout * 1000))}"
    engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10, "options": options})
    return Database(engine, script_location)
