"""Running manage.py watch as a real process for the crash tests, and the invariants checked after each death."""
from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Daemon:
    """`manage.py watch` (or another long-running command, e.g. worker) in its own process, its log in a file."""

    def __init__(self, config: Path, log: Path, crash_at: str | None = None, command: str = "watch"):
        env = dict(os.environ)
        env.pop("ARCHIVER_CRASH_AT", None)
        if crash_at:
            env["ARCHIVER_CRASH_AT"] = crash_at
        self.log = log
        self._out = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "--config", str(config), command],
                                     stdout=self._out, stderr=subprocess.STDOUT, env=env)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, fragment: str, timeout: float = 60) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            if fragment in self.text():
                return True
            if self.proc.poll() is not None:
                return fragment in self.text()
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._out.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self._out.close()
        return rc


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def db_location(settings) -> Path | str:
    """Where the test's database is: the SQLite file, or the PostgreSQL URL."""
    url = settings.database.url
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else url


def stored_shas(where: Path | str) -> list[str]:
    """sha256 of every document row, read without the archiver's code: the daemon may have died mid-write."""
    if isinstance(where, str):
        from sqlalchemy import create_engine, exc, text

        engine = create_engine(where)
        try:
            with engine.connect() as conn:
                return [r[0] for r in conn.execute(text("SELECT sha256 FROM documents"))]
        except exc.ProgrammingError:  # killed before the first migration finished: no table yet
            return []
        finally:
            engine.dispose()
    if not where.exists():
        return []
    con = sqlite3.connect(where)
    try:
        return [r[0] for r in con.execute("SELECT sha256 FROM documents")]
    except sqlite3.OperationalError:  # killed before the first migration finished
        return []
    finally:
        con.close()


def table_names(where: Path | str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(where if isinstance(where, str) else f"sqlite:///{where}")
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def inbox_shas(inbox: Path) -> set[str]:
    return {sha256(p) for p in inbox.rglob("*") if p.is_file()}


def assert_nothing_lost_nothing_twice(inputs: dict[str, str], inbox: Path, db_path: Path | str) -> None:
    """Every input is in the inbox or stored (or both, when the kill fell between commit and unlink),
    and no input has two rows."""
    stored = stored_shas(db_path)
    assert len(stored) == len(set(stored)), "a document was stored twice"
    waiting = inbox_shas(inbox)
    lost = [name for name, sha in inputs.items() if sha not in waiting and sha not in stored]
    assert not lost, f"lost: {lost}"


def assert_site_whole(site: Path) -> None:
    """No temp file of an interrupted write, and every page complete."""
    assert not [p for p in site.rglob("*.tmp")], "a half-written site file was left behind"
    for page in site.rglob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"half-written {page}"
