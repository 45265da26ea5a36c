"""kill -9 at any point of processing: on restart every file is processed exactly once, with no lost file,
no duplicate row, no orphan archive file and no half-written HTML page."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

from PIL import Image

from archiver import config
from archiver.app import open_db
from archiver.archive_files import failed_name
from archiver.check import check
from bench import crash

from .support.crashkit import (Daemon, assert_nothing_lost_nothing_twice, assert_site_whole, db_location,
                               sha256, stored_shas, table_names)
from .support.helpers import page_image, text_pdf

TOPICS = ["安全生产", "防汛防台", "春节值班", "预算管理", "信息公开", "疫情防控", "节能减排", "档案管理", "人才引进",
          "消防检查", "交通整治", "垃圾分类"]


def crash_config(archive_config: Path) -> Path:
    text = archive_config.read_text(encoding="utf-8").replace(
        "watch: {stable_seconds: 0.5, rescan_seconds: 1,", "watch: {stable_seconds: 0.2, rescan_seconds: 1, max_interrupted: 1000,")
    archive_config.write_text(text, encoding="utf-8")
    return archive_config


def make_inputs(folder: Path, n: int, start: int = 0) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i in range(start, start + n):
        topic = TOPICS[i % len(TOPICS)]
        pages = [[f"某市人民政府关于加强{topic}工作的通知", f"某政发〔2024〕{i + 1}号", f"各区县人民政府：第{i + 1}号文件正文。"]]
        pages += [[f"第{p}页：{topic}的具体要求，编号{i}-{p}。"] for p in range(2, 2 + i % 3)]
        out[f"doc{i:02d}.pdf"] = text_pdf(folder / f"doc{i:02d}.pdf", pages)
    return out


def finish_and_check(s, cfg: Path, tmp: Path, inputs: dict[str, str], refused: frozenset[str] = frozenset()) -> None:
    """Run the daemon to the end and check exactly-once, no orphans, a whole site; `refused` names the
    arrivals that must end in failed/, each once, with its reason beside it."""
    d = Daemon(cfg, tmp / "final.log")
    try:
        assert d.wait_for("watching", 90), d.text()  # recovery done, and SIGTERM is handled from here on
        end = time.time() + 120
        while time.time() < end and (any(p.is_file() for p in s.paths.inbox.rglob("*")) or len(stored_shas(db_location(s))) < len(inputs)):
            time.sleep(0.2)
        time.sleep(1.0)  # let the site build after the last document finish
    finally:
        assert d.stop() == 0, d.text()
    stored = stored_shas(db_location(s))
    assert sorted(stored) == sorted(inputs.values()), d.text()  # each exactly once
    assert [p for p in s.paths.inbox.rglob("*") if p.is_file()] == []
    assert os.listdir(s.paths.inbox) == []  # pipes and symlinks too
    in_failed = sorted(os.listdir(s.paths.failed)) if s.paths.failed.exists() else []
    assert [n for n in in_failed if not n.endswith(".reason.txt")] == sorted(failed_name(n) for n in refused), in_failed
    assert len(in_failed) == 2 * len(refused)
    db = open_db(s)
    assert check(s, db) == []  # every row has its file and sha256, every file its row, the index matches
    db.close()
    assert_site_whole(s.paths.site)
    assert len(list((s.paths.site / "doc").glob("*.html"))) == len(inputs)


def test_crash_at_each_point_of_a_store(archive_config, tmp_path):
    """Deterministic kills (the process SIGKILLs itself) after analysis, after the archive copy and
    before commit, and after commit before the inbox file is removed."""
    cfg = crash_config(archive_config)
    s = config.load(cfg)
    files = make_inputs(s.paths.inbox, 3)
    inputs = {n: sha256(p) for n, p in files.items()}
    db_path = db_location(s)

    # Killed while creating the database: the migration is one transaction, so nothing of it remains
    # (before, each CREATE TABLE committed alone and every later start died on "table already exists").
    d = Daemon(cfg, tmp_path / "migrating.log", crash_at="migrating")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9, d.text()
    assert table_names(db_path) == []

    d = Daemon(cfg, tmp_path / "analysed.log", crash_at="analysed")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9 and stored_shas(db_path) == []
    assert_nothing_lost_nothing_twice(inputs, s.paths.inbox, db_path)

    d = Daemon(cfg, tmp_path / "written.log", crash_at="archive-written")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9, d.text()
    # the copy is in the archive but its transaction never committed: an orphan, for now
    orphans = [p for p in s.paths.archive.rglob("*.pdf")]
    assert len(orphans) == 1 and stored_shas(db_path) == []
    assert "cut short while processing doc00.pdf" in d.text()  # the job log remembers the first death

    d = Daemon(cfg, tmp_path / "committed.log", crash_at="committed")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9, d.text()
    assert "recovery: deleted" in d.text() and "cut short while processing" in d.text()
    # committed, but the inbox file was not removed yet
    assert len(stored_shas(db_path)) == 1
    assert stored_shas(db_path)[0] in {sha256(p) for p in s.paths.inbox.glob("*.pdf")}
    assert_nothing_lost_nothing_twice(inputs, s.paths.inbox, db_path)

    finish_and_check(s, cfg, tmp_path, inputs)


def test_random_kill_9_loop(archive_config, tmp_path):
    """kill -9 at random moments, new files arriving while the daemon is down; invariants after each death."""
    cfg = crash_config(archive_config)
    s = config.load(cfg)
    rng = random.Random(7)
    files = make_inputs(s.paths.inbox, 6)
    scan = s.paths.inbox / "scan.png"  # a page that goes through OCR, so kills land in recognition too
    Image.fromarray(page_image(["关于召开档案工作会议的通知", "各处室：定于下周召开会议。"], height=600)).save(scan)
    files[scan.name] = scan
    # hostile arrivals in the mix: a pipe, bad bytes under an 80-hanzi name, a dangling symlink, and a real
    # document under a name that is not UTF-8 (stored, under its escaped name)
    os.mkfifo(s.paths.inbox / "pipe.pdf")
    (s.paths.inbox / ("关于" * 40 + ".pdf")).write_bytes(b"%PDF-1.4 not really" * 10)
    (s.paths.inbox / "dangling.pdf").symlink_to(tmp_path / "never-written.pdf")
    refused = frozenset({"pipe.pdf", "关于" * 40 + ".pdf", "dangling.pdf"})
    files[os.fsdecode(b"\xb0\xa1\xff.pdf")] = make_inputs(tmp_path / "named", 1, start=20)["doc20.pdf"].rename(
        s.paths.inbox / os.fsdecode(b"\xb0\xa1\xff.pdf"))
    arrivals = make_inputs(tmp_path / "later", 4, start=6)
    inputs = {n: sha256(p) for n, p in {**files, **arrivals}.items()}
    pending = list(arrivals.values())

    def drop(round_: int) -> dict[str, str]:
        if pending and round_ % 2 == 1:  # dropped while the daemon is down
            p = pending.pop()
            p.rename(s.paths.inbox / p.name)
            return {p.name: inputs[p.name]}
        return {}

    present = {n: v for n, v in inputs.items() if n not in {p.name for p in pending}}
    # the loop of bench.crash: each round waits for "watching", kills at a random moment of the next 1.5 s
    # and checks that nothing of `present` is lost or stored twice
    loop = crash.kill_loop(cfg, s.paths.inbox, db_location(s), present, 5, rng, tmp_path, between=drop)
    assert loop.problems == [], loop.problems
    assert loop.kills == 5
    for p in pending:
        p.rename(s.paths.inbox / p.name)
    finish_and_check(s, cfg, tmp_path, inputs, refused)


def test_crash_while_setting_a_file_aside(archive_config, tmp_path):
    """Killed after the reason is written but before the file moves, then after the move but before its record
    commits: in the end the file is in failed/ once, with its reason and exactly one failure record."""
    cfg = crash_config(archive_config)
    s = config.load(cfg)
    inputs = {n: sha256(p) for n, p in make_inputs(s.paths.inbox, 1).items()}
    bad = s.paths.inbox / "坏文件.pdf"
    bad.write_bytes(b"%PDF-1.4 cut off" * 20)

    d = Daemon(cfg, tmp_path / "reason.log", crash_at="reason-written")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9, d.text()
    assert bad.exists() and sorted(os.listdir(s.paths.failed)) == ["坏文件.pdf.reason.txt"]

    d = Daemon(cfg, tmp_path / "moved.log", crash_at="failed-moved")
    d.proc.wait(timeout=120)
    assert d.proc.returncode == -9, d.text()
    assert "recovery: deleted" in d.text()  # the reason left without its file
    assert not bad.exists() and sorted(os.listdir(s.paths.failed)) == ["坏文件.pdf", "坏文件.pdf.reason.txt"]
    note = (s.paths.failed / "坏文件.pdf.reason.txt").read_text(encoding="utf-8")
    assert note.startswith("坏文件.pdf") and len(note) > 20, note

    finish_and_check(s, cfg, tmp_path, inputs, refused=frozenset({"坏文件.pdf"}))
    from sqlalchemy import text

    db = open_db(s)
    with db.engine.connect() as con:
        rows = con.execute(text("SELECT original_name, reason, failed_path, sha256 FROM failures")).fetchall()
        states = con.execute(text("SELECT state FROM jobs WHERE sha256 = :sha"),
                             {"sha": sha256(s.paths.failed / "坏文件.pdf")}).fetchall()
    db.close()
    assert len(rows) == 1, rows
    name, reason, where, sha = rows[0]
    assert name == "坏文件.pdf" and where == str(s.paths.failed / "坏文件.pdf") and sha == sha256(s.paths.failed / "坏文件.pdf")
    assert reason == note.rstrip("\n")
    assert [tuple(r) for r in states] == [("failed",)]
