"""Disk and database faults: the document is retried later, the source file stays in the inbox, nothing is
half-stored; a fault while setting a file aside does not stop the daemon."""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from archiver import archive_files, config
from archiver.app import make_pipeline
from archiver.check import check
from archiver.daemon.watch import Watcher
from archiver.storage import repository
from archiver.storage.tables import Failure, JobRow

from .support.helpers import text_pdf

NOTICE = ["浙江省财政厅文件", "浙财预〔2024〕3号", "浙江省财政厅关于下达2024年预算的通知", "各市财政局：",
          "现将2024年预算指标下达给你们。", "浙江省财政厅", "2024年2月1日"]


def settings_with(archive_config: Path, extra: str = "") -> config.Settings:
    archive_config.write_text(archive_config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return config.load(archive_config)


def nothing_half_stored(s, pipeline) -> None:
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 0 and ses.query(Failure).count() == 0
    assert [p for p in s.paths.archive.rglob("*") if p.is_file() and not p.name.startswith("archive.db")] == []


@pytest.mark.sqlite_only  # holds the SQLite file's lock from outside
def test_database_locked_by_another_writer_is_retried_later(archive_config):
    """A real second writer holds the lock longer than database.busy_timeout; then lets go."""
    s = settings_with(archive_config, "database: {url: sqlite:///archive/archive.db, busy_timeout: 0.2}\n")
    assert s.database.busy_timeout == 0.2
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "预算.pdf", [NOTICE])
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    other = sqlite3.connect(s.paths.archive / "archive.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other writer
    try:
        w.rescan()
        t[0] += 1
        first = w.step()
        assert [o.status for o in first] == ["retry"] and "database busy" in first[0].message
        assert f.exists()
    finally:
        other.execute("ROLLBACK")
        other.close()
    nothing_half_stored(s, pipeline)
    w.rescan()  # the next rescan finds the file again
    t[0] += 1
    second = w.step()
    assert [o.status for o in second] == ["stored"] and not f.exists()
    with pipeline.db.session() as ses:
        job = ses.query(JobRow).one()
        assert (job.state, job.interrupted) == ("stored", 0)


def test_the_lock_taken_during_the_store_is_retried_without_counting_as_a_crash(archive_config, monkeypatch):
    s = settings_with(archive_config, "watch: {stable_seconds: 0.5, rescan_seconds: 1, max_interrupted: 1}\n")
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [NOTICE])
    calls = {"n": 0}
    real = repository.set_files

    def locked_twice(*a, **k):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real(*a, **k)

    monkeypatch.setattr(repository, "set_files", locked_twice)
    monkeypatch.setattr(pipeline, "note_retry", lambda src, msg: pipeline._retrying.add(src.sha256))  # could not record
    assert pipeline.process(f).status == "retry"
    assert pipeline.process(f).status == "retry"
    out = pipeline.process(f)  # max_interrupted is 1: counting the retries as crashes would fail it
    assert out.status == "stored", out.message


@pytest.mark.parametrize("where", ["original", "thumbnail"])
def test_disk_full_at_any_archive_write_leaves_no_orphan(archive_config, monkeypatch, where):
    s = settings_with(archive_config)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [NOTICE, ["第二页"]])

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "original":
        monkeypatch.setattr(archive_files, "atomic_copy", full)
    else:  # the original is already in the archive when the second thumbnail cannot be written
        real, n = shutil.copyfile, {"calls": 0}

        def copy_then_full(src, dst, *a, **k):
            n["calls"] += 1
            if "thumbs" in str(dst) and n["calls"] > 1:
                full()
            return real(src, dst, *a, **k)

        monkeypatch.setattr(shutil, "copyfile", copy_then_full)
    out = pipeline.process(f)
    assert out.status == "retry" and "No space left on device" in out.message and f.exists()
    monkeypatch.undo()
    nothing_half_stored(s, pipeline)
    assert pipeline.process(f).status == "stored"
    assert check(s, pipeline.db) == []


def test_database_disk_full_is_a_retry(archive_config, monkeypatch):
    s = settings_with(archive_config)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [NOTICE])

    def full(*a, **k):
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(repository, "set_files", full)
    out = pipeline.process(f)
    assert out.status == "retry" and "will try again" in out.message and f.exists()
    monkeypatch.undo()
    nothing_half_stored(s, pipeline)


def test_failed_folder_unwritable_does_not_stop_the_daemon(archive_config, monkeypatch):
    s = settings_with(archive_config)
    pipeline = make_pipeline(s)
    (s.paths.inbox / "bad.pdf").write_bytes(b"%PDF-1.4 not really")
    good = text_pdf(s.paths.inbox / "good.pdf", [NOTICE])

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive_files, "move_to_failed", full)
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    w.rescan()
    t[0] += 1
    outcomes = {o.path.name: o.status for o in w.step()}
    assert outcomes == {"bad.pdf": "retry", "good.pdf": "stored"}
    assert (s.paths.inbox / "bad.pdf").exists() and not good.exists()
    monkeypatch.undo()
    w.rescan()
    t[0] += 1
    assert [o.status for o in w.step()] == ["failed"]
    assert (s.paths.failed / "bad.pdf.reason.txt").exists()


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.sqlite_only  # the database file itself on a tiny tmpfs
def test_a_really_full_archive_disk(archive_config, tmp_path):
    """The archive folder on a 512 KB tmpfs, filled up: a real ENOSPC from the kernel."""
    disk = tmp_path / "small-disk"
    if not _mount_tmpfs(disk, "512k"):
        pytest.skip("cannot mount a tmpfs here (needs root); the injected ENOSPC tests above cover the logic")
    try:
        s = settings_with(archive_config, f'paths: {{archive: "{disk}"}}\n'
                                          f'database: {{url: "sqlite:///{tmp_path}/db/archive.db"}}\n')
        pipeline = make_pipeline(s)
        f = text_pdf(s.paths.inbox / "n.pdf", [NOTICE])
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        out = pipeline.process(f)
        assert out.status == "retry" and "No space left on device" in out.message and f.exists()
        assert [p.name for p in disk.rglob("*") if p.is_file()] == ["filler"]  # no orphan, no temp file
        filler.unlink()
        assert pipeline.process(f).status == "stored" and not f.exists()
        assert check(s, pipeline.db) == []
        pipeline.db.close()
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


@pytest.mark.sqlite_only  # holds the SQLite file's lock from outside
def test_the_daemon_waits_for_a_database_locked_at_start_up(archive_config, tmp_path):
    """Found by the soak: another writer holding the database while the daemon (re)starts used to kill it."""
    from .support.crashkit import Daemon

    s = settings_with(archive_config, "database: {url: sqlite:///archive/archive.db, busy_timeout: 0.2}\n")
    make_pipeline(s).db.close()  # the database exists, at head
    other = sqlite3.connect(s.paths.archive / "archive.db", isolation_level=None)
    # Out of WAL, an exclusive lock keeps readers out too: the daemon cannot even read the schema revision.
    assert other.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO events(kind, message, created_at) VALUES ('failed', 'held', 'now')")
    d = Daemon(archive_config, tmp_path / "d.log")
    try:
        assert d.wait_for("waiting to start", 60), d.text()
        assert d.proc.poll() is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert d.wait_for("watching", 60), d.text()
        f = text_pdf(s.paths.work.parent / "n.pdf", [NOTICE])
        f.rename(s.paths.inbox / "n.pdf")
        assert d.wait_for("stored id=1 n.pdf", 60), d.text()
    finally:
        assert d.stop() == 0
