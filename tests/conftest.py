"""Shared fixtures: a config.yaml for a throw-away archive, a migrated database, Document values.

Every test that takes `db` or `archive_config` runs twice: on SQLite and on PostgreSQL. The PostgreSQL
half needs a server: ARCHIVER_TEST_PG names a database on it whose user may create databases (.ci/run
and scripts/test.sh start one); each test gets a new database there, dropped afterwards. Without it
that half is skipped, and says why. Tests of one backend itself are marked sqlite_only or postgresql_only."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path

import pytest

from archiver.document import (Classification, Document, DuplicateMatch, Line, Metadata, Page, RuleHit,
                               SourceFile)
from archiver.storage.db import open_database
from archiver.resources import RULES, TEMPLATES

ROOT = Path(__file__).resolve().parents[1]


PG_ADMIN_URL = os.environ.get("ARCHIVER_TEST_PG", "")
NO_PG = ("PostgreSQL half skipped: no server configured (ARCHIVER_TEST_PG is unset; "
         "`bash scripts/test.sh` or .ci/run starts one)")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        only = [b for b in ("sqlite", "postgresql") if metafunc.definition.get_closest_marker(f"{b}_only")]
        metafunc.parametrize("backend", only or ["sqlite", "postgresql"])


def _pg_admin():
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_ADMIN_URL)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.database or "postgres", autocommit=True), u


@pytest.fixture
def new_database_url(backend, tmp_path):
    """A function returning the URL of a new, empty database of this test's backend."""
    made: list[str] = []

    def make(sqlite_path: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{sqlite_path}"
        if not PG_ADMIN_URL:
            pytest.skip(NO_PG)
        conn, u = _pg_admin()
        name = f"archiver_test_{uuid.uuid4().hex[:12]}"
        with conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return u.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

    yield make
    if made:
        import psycopg

        conn, _ = _pg_admin()
        with conn:
            for name in made:
                for attempt in range(20):  # an autovacuum worker may be in it for a moment
                    try:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        break
                    except psycopg.errors.InsufficientPrivilege:
                        time.sleep(0.25)


@pytest.fixture
def archive_config(tmp_path, new_database_url) -> Path:
    """A config.yaml whose folders and database live in tmp_path (none created yet); rules, weights and
    templates are the project's. Watch timings are short so daemon tests finish quickly."""
    cfg = tmp_path / "config.yaml"
    weights, rules, templates = ROOT / "archiver" / "ocr" / "weights", RULES, TEMPLATES
    cfg.write_text(
        f'database: {{url: "{new_database_url("archive/archive.db")}"}}\n'
        f'ocr: {{weights: "{weights}", threads: 1}}\n'
        f'rules: {{folder: "{rules}"}}\n'
        f'site: {{templates: "{templates}"}}\n'
        "watch: {stable_seconds: 0.5, rescan_seconds: 1, poll_interval: 0.2, settle_seconds: 0}\n",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
def db(tmp_path, new_database_url):
    database = open_database(new_database_url(str(tmp_path / "data" / "archive.db")))
    database.migrate()
    yield database
    database.close()


def build_document(*pages: list[str], name: str = "doc.pdf", sha: str | None = None, category: str | None = None,
                   tags: tuple[str, ...] = (), hits: tuple[RuleHit, ...] = (),
                   duplicate: DuplicateMatch | None = None, **metadata) -> Document:
    """A Document whose pages hold the given lines (boxes stacked down the page), metadata from kwargs."""
    built = []
    for n, lines in enumerate(pages, 1):
        built.append(Page(
            number=n, width=1240, height=1754, source="ocr" if n % 2 else "text-layer",
            lines=tuple(Line(t, (100, 100 + 60 * i, 100 + 40 * len(t), 150 + 60 * i), round(0.9 - 0.01 * i, 2))
                        for i, t in enumerate(lines)),
            phash=f"{n:02x}" + "f" * 14,
        ))
    digest = sha or hashlib.sha256(("|".join("\n".join(p) for p in pages) + name).encode()).hexdigest()
    return Document(
        source=SourceFile(Path("/inbox") / name, name, "pdf", digest, 1000 + len(built)),
        pages=tuple(built),
        metadata=Metadata(**metadata),
        classification=Classification(category, tags, hits),
        duplicate=duplicate,
    )


@pytest.fixture
def make_doc():
    return build_document


CHROMIUM = Path(os.environ.get("ARCHIVER_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium, or a loud failure saying how to get one."""
    if os.environ.get("ARCHIVER_NO_BROWSER") == "1":
        pytest.skip("ARCHIVER_NO_BROWSER=1: browser tests switched off on purpose")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -r requirements.txt", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: install Debian chromium (scripts/setup.sh does), "
                    "or set ARCHIVER_NO_BROWSER=1 to skip the browser tests", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()
