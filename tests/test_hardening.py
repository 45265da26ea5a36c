"""What an attack on the drop folder and a fresh machine found (issue 17): each defect, reproduced.

Pipes, undecodable and over-long names, dangling and looping symlinks, two processes on one archive,
copies of an archived file, debris of killed runs, forged log lines, a writer that pauses, the
static server, huge queries and frame counts, and the command line's rough edges."""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from archiver import config
from archiver.app import make_pipeline
from archiver.archive_lock import ArchiveLock
from archiver.batch import ingest
from archiver.cli import main
from archiver.daemon.recovery import recover
from archiver.daemon.watch import Watcher
from archiver.errors import (ArchiveLocked, CorruptFile, ExitCode, FontMissing, QueryError, StorageBusy,
                             UnsupportedFile)
from archiver.ingest import intake, rasterize
from archiver.shown import ShownFormatter, shown
from archiver.storage import jobs, repository
from archiver.storage.search import MAX_QUERY_CHARS, search
from archiver.storage.tables import Failure, JobRow
from bench import badfiles
from training import fonts

from .conftest import ROOT
from .support.helpers import text_pdf

NOTICE = ["江苏省教育厅文件", "苏教发〔2024〕8号", "江苏省教育厅关于做好2024年寒假安全工作的通知", "各设区市教育局：",
          "寒假将至，现就有关工作通知如下。", "江苏省教育厅", "2024年1月5日"]
BUDGET = ["上海市普陀区2023年区级部门预算", "一般公共预算财政拨款支出预算表", "单位：万元", "合计 156,211.50"]


def settings_of(archive_config: Path, **watch) -> config.Settings:
    text = archive_config.read_text(encoding="utf-8")
    for key, value in watch.items():
        text = re.sub(rf"{key}: [\d.]+", f"{key}: {value}", text) if f"{key}:" in text else \
            text.replace("watch: {", f"watch: {{{key}: {value}, ")
    archive_config.write_text(text, encoding="utf-8")
    return config.load(archive_config)


def one_pass(w: Watcher, t: list[float], seconds: float = 1.0) -> list:
    w.rescan()
    t[0] += seconds
    return w.step()


def failures(pipeline) -> list[Failure]:
    with pipeline.db.session() as s:
        return list(s.query(Failure).order_by(Failure.id))


# --- 1. fresh machine: fonts -------------------------------------------------------------------
def test_every_font_the_code_uses_is_installed_by_setup():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    packages = set(re.search(r"APT_PACKAGES=\((.*?)\)\s*#", setup, re.S)[1].split())
    for spec in fonts.ALL_FONTS:
        assert spec.package in packages, f"{spec.name}: setup.sh does not install {spec.package}"
        assert spec.path.is_file(), f"{spec.name}: {spec.path} missing although {spec.package} is set up"


def test_a_missing_font_is_a_clear_error_naming_its_package():
    gone = fonts.FontSpec("Nowhere Sans", Path("/nonexistent/NowhereSans.ttc"), package="fonts-nowhere")
    with pytest.raises(FontMissing, match=r"/nonexistent/NowhereSans.ttc.*apt-get install fonts-nowhere"):
        fonts.require(fonts.TRAINING_FONTS + (gone,))
    assert fonts.require(fonts.TRAINING_FONTS) == fonts.TRAINING_FONTS  # all of them, none filtered away


# --- 2. a named pipe ---------------------------------------------------------------------------
def test_a_fifo_never_blocks_intake():
    fifo = Path(os.environ.get("TMPDIR", "/tmp")) / f"archiver-fifo-{os.getpid()}.pdf"
    os.mkfifo(fifo)
    try:
        result: list = []
        t = threading.Thread(target=lambda: result.append(_refusals(fifo)), daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), "opening the FIFO blocked"
        assert result == [("UnsupportedFile", "OSError")]
    finally:
        fifo.unlink()


def _refusals(fifo: Path) -> tuple[str, str]:
    out = []
    try:
        intake.take_in(fifo)
    except UnsupportedFile as exc:
        assert "named pipe" in exc.message
        out.append("UnsupportedFile")
    try:
        intake.sha256_of(fifo)
    except OSError:
        out.append("OSError")
    return tuple(out)


def test_a_fifo_in_the_inbox_goes_to_failed_and_the_daemon_goes_on(archive_config):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    os.mkfifo(s.paths.inbox / "x.pdf")
    text_pdf(s.paths.inbox / "notice.pdf", [NOTICE])
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    done: list = []
    runner = threading.Thread(target=lambda: done.extend(one_pass(w, t)), daemon=True)
    runner.start()
    runner.join(60)
    assert not runner.is_alive(), "the daemon hung on the FIFO"
    by_name = {o.path.name: o for o in done}
    assert by_name["notice.pdf"].status == "stored"
    assert by_name["x.pdf"].status == "failed" and "named pipe" in by_name["x.pdf"].message
    assert (s.paths.failed / "x.pdf").is_fifo() and not (s.paths.inbox / "x.pdf").exists()
    assert "named pipe" in (s.paths.failed / "x.pdf.reason.txt").read_text(encoding="utf-8")
    assert [(f.original_name, f.sha256) for f in failures(pipeline)] == [("x.pdf", "")]
    assert one_pass(w, t) == []


# --- 3, 4, 9. hostile names --------------------------------------------------------------------
BAD_BYTES_NAME = os.fsdecode(b"\xb0\xa1\xff.pdf")
LONG_NAME = "关于" * 40 + ".pdf"  # 80 hanzi: 244 bytes
FORGED_NAME = "scan.pdf\n12:00:00 INFO stored id=999 fake.pdf\x1b[2K.pdf"


@pytest.mark.parametrize("name", [BAD_BYTES_NAME, LONG_NAME, FORGED_NAME], ids=["non-utf8", "long", "forged-log"])
def test_hostile_names_fail_with_reason_and_record_and_no_traceback(archive_config, caplog, name):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    badfiles.random_bytes(s.paths.inbox / name, 200, seed=1)
    good = text_pdf(s.paths.inbox / ("好" + name), [NOTICE])
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    with caplog.at_level(logging.INFO, logger="archiver"):
        outcomes = {o.path.name: o for o in one_pass(w, t)}
    assert outcomes[name].status == "failed" and outcomes[good.name].status == "stored"
    assert os.listdir(s.paths.inbox) == []
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
    assert not any("RETRY" in r.getMessage() for r in caplog.records)
    for r in caplog.records:  # no forged line, no terminal escape, nothing undecodable
        assert "\n" not in r.getMessage() and "\x1b" not in r.getMessage()
        r.getMessage().encode("utf-8")
    [f] = failures(pipeline)
    assert f.original_name == shown(name) and "\n" not in f.reason and f.reason.startswith(shown(name))
    reasons = list(s.paths.failed.glob("*.reason.txt"))
    assert len(reasons) == 1 and reasons[0].read_text(encoding="utf-8").startswith(shown(name))
    assert len(os.fsencode(reasons[0].name)) <= 255
    assert len(os.listdir(s.paths.failed)) == 2  # the file itself beside its reason
    with pipeline.db.session() as ses:
        doc = repository.get_document(ses, outcomes[good.name].document_id)
    assert doc.original_name == shown(good.name)


def test_shown_escapes_controls_bidi_and_undecodable_bytes_but_not_chinese():
    assert shown("通知（2024）第1号.pdf") == "通知（2024）第1号.pdf"
    assert shown(BAD_BYTES_NAME) == "\\xb0\\xa1\\xff.pdf"
    assert shown("a\nb\x1b[31m\u202ec") == "a\\x0ab\\x1b[31m\\u202ec"
    record = logging.LogRecord("archiver", logging.INFO, __file__, 1, "stored %s", ("x\nINFO stored id=999",), None)
    assert "\n" not in ShownFormatter("%(message)s").format(record)


# --- 5. dangling and looping symlinks ----------------------------------------------------------
def test_dangling_and_looping_symlinks_leave_the_inbox_once(archive_config, tmp_path):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    (s.paths.inbox / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    (s.paths.inbox / "loop-a.pdf").symlink_to(s.paths.inbox / "loop-b.pdf")
    (s.paths.inbox / "loop-b.pdf").symlink_to(s.paths.inbox / "loop-a.pdf")
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    first = {o.path.name: o for o in one_pass(w, t)}
    assert set(first) == {"dangling.pdf", "loop-a.pdf", "loop-b.pdf"}
    assert all(o.status == "failed" for o in first.values())
    assert "loops" in first["loop-a.pdf"].message and "does not exist" in first["dangling.pdf"].message
    assert os.listdir(s.paths.inbox) == []
    assert all((s.paths.failed / n).is_symlink() for n in first)
    for _ in range(3):  # later rescans find nothing: no new failure rows or log lines without end
        assert one_pass(w, t, 2) == []
    assert len(failures(pipeline)) == 3


# --- 6. two processes on one archive -----------------------------------------------------------
def test_a_second_daemon_or_ingest_on_the_archive_refuses_to_start(archive_config, tmp_path, capsys):
    s = config.load(archive_config)
    first = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "--config", str(archive_config), "watch",
                              "--max-seconds", "60"], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lock = s.paths.archive / ".archiver.lock"
        end = time.time() + 30
        while not (lock.exists() and "pid" in lock.read_text()) and time.time() < end:
            time.sleep(0.1)
        assert "pid" in lock.read_text()
        drop = tmp_path / "drop"
        drop.mkdir()
        text_pdf(drop / "budget.pdf", [BUDGET])
        for args in (["watch", "--max-seconds", "1"], ["ingest", "--move", "-q", str(drop)], ["check", "--repair"]):
            code = main(["--config", str(archive_config), *args])
            err = capsys.readouterr().err
            assert code == ArchiveLocked.exit_code, args
            assert "in use by `manage.py watch`" in err and err.count("\n") == 1, err
        assert (drop / "budget.pdf").exists()
        assert main(["--config", str(archive_config), "check"]) == 0  # a plain check still runs
    finally:
        first.terminate()
        first.wait(30)
    with ArchiveLock(s.paths.archive, "test"):  # released when its holder ends
        pass


def test_the_lock_dies_with_its_holder(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]);"
                               "from archiver.archive_lock import ArchiveLock; ArchiveLock(sys.argv[2], 'watch').acquire();"
                               "print('held', flush=True); time.sleep(60)", str(ROOT), str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ArchiveLocked, match="in use by `manage.py watch` \\(pid"):
            ArchiveLock(tmp_path, "ingest").acquire()
    finally:
        holder.kill()  # kill -9: no clean-up runs, yet the lock is free
        holder.wait()
    ArchiveLock(tmp_path, "ingest").acquire().release()


# --- 7. copies of an archived file -------------------------------------------------------------
def test_byte_copies_of_an_archived_file_are_exact_duplicates_never_crashes(archive_config, tmp_path):
    s = config.load(archive_config)
    pipeline = make_pipeline(s, keep_source=True)
    drop = tmp_path / "drop"
    drop.mkdir()
    data = text_pdf(drop / "a.pdf", [NOTICE]).read_bytes()
    for name in ("b.pdf", "c.pdf", "d.pdf", "e.pdf", "f.pdf"):  # more copies than watch.max_interrupted
        (drop / name).write_bytes(data)
    outcomes = ingest(pipeline, [drop], workers=1, progress=False)
    assert sorted(o.status for o in outcomes) == ["exact-duplicate"] * 5 + ["stored"]
    with pipeline.db.session() as ses:
        assert jobs.interrupted(ses) == []  # nothing left running to count as a crash later
        [row] = ses.query(JobRow).all()
        assert row.state == "stored" and row.interrupted == 0


def test_a_file_archived_meanwhile_is_a_duplicate_even_after_crashes(archive_config):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    data = text_pdf(s.paths.inbox / "a.pdf", [NOTICE]).read_bytes()
    stored = pipeline.process(s.paths.inbox / "a.pdf")
    with pipeline.db.session() as ses:  # kills while copies were read left the job running, cut short often
        row = jobs.get(ses, stored_sha(pipeline, stored.document_id))
        row.state, row.interrupted = "running", s.watch.max_interrupted
    (s.paths.inbox / "copy.pdf").write_bytes(data)
    out = pipeline.process(s.paths.inbox / "copy.pdf")
    assert out.status == "exact-duplicate" and out.duplicate_of == stored.document_id
    assert failures(pipeline) == [] and list(s.paths.failed.iterdir()) == []


def stored_sha(pipeline, doc_id: int) -> str:
    with pipeline.db.session() as ses:
        return repository.get_document(ses, doc_id).sha256


# --- 8. scratch of killed runs -----------------------------------------------------------------
def test_scratch_folders_of_killed_runs_are_cleaned(archive_config, capsys):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    for i in range(3):  # what a kill -9 mid-document leaves
        leftover = s.paths.work / f"tmp{i}abc"
        leftover.mkdir(parents=True)
        (leftover / "p0001.jpg").write_bytes(b"\xff\xd8" * 100)
    assert main(["--config", str(archive_config), "check"]) == 1
    assert capsys.readouterr().out.count("scratch: ") == 3
    assert main(["--config", str(archive_config), "check", "--repair"]) == 0
    assert list(s.paths.work.iterdir()) == []
    (s.paths.work / "tmpzzz").mkdir()
    recover(s, pipeline.db)  # the daemon's start-up does it too
    assert list(s.paths.work.iterdir()) == []


# --- 10. a writer that pauses ------------------------------------------------------------------
def test_a_copy_that_pauses_past_the_window_is_waited_for_not_failed(archive_config):
    s = settings_of(archive_config, settle_seconds=60)
    pipeline = make_pipeline(s)
    data = text_pdf(s.base_dir / "full.pdf", [NOTICE, ["第二页"]]).read_bytes()
    target = s.paths.inbox / "scan.pdf"
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    with open(target, "wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        first = one_pass(w, t, 5)  # the writer pauses 5 s, past stable_seconds
        assert [o.status for o in first] == ["retry"] and target.exists()
        assert failures(pipeline) == [] and list(s.paths.failed.iterdir()) == []
        f.write(data[len(data) // 2:])
    second = one_pass(w, t, 5)
    assert [o.status for o in second] == ["stored"]
    with pipeline.db.session() as ses:
        assert repository.get_document(ses, second[0].document_id).page_count == 2


def test_a_damaged_file_that_holds_still_is_failed_after_the_settle_time(archive_config):
    s = settings_of(archive_config, settle_seconds=60)
    pipeline = make_pipeline(s)
    data = text_pdf(s.base_dir / "full.pdf", [NOTICE]).read_bytes()
    target = s.paths.inbox / "truncated.pdf"
    target.write_bytes(data[: len(data) // 2])
    old = time.time() - 61
    os.utime(target, (old, old))
    t = [0.0]
    out = one_pass(Watcher(s, pipeline, clock=lambda: t[0]), t)
    assert [o.status for o in out] == ["failed"] and (s.paths.failed / "truncated.pdf").exists()


# --- 11. the static server ---------------------------------------------------------------------
def test_serve_hands_out_only_what_the_site_links_to(archive_config, tmp_path):
    from urllib.error import HTTPError
    from urllib.parse import quote
    from urllib.request import urlopen

    from archiver.site.serve import make_server, stored_files

    drop = tmp_path / "drop"
    drop.mkdir()
    text_pdf(drop / "notice.pdf", [NOTICE])
    assert main(["--config", str(archive_config), "ingest", "-q", str(drop)]) == 0
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    with pipeline.db.session() as ses:
        doc = repository.get_documents(ses)[0]
    (s.paths.archive / "stray.txt").write_text("not a document", encoding="utf-8")
    server = make_server(s.paths.site, s.paths.archive, port=0, archive_allows=stored_files(pipeline.db))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def status(path: str) -> int:
        try:
            with urlopen(base + quote(path, safe="/%"), timeout=10) as r:
                return r.status
        except HTTPError as exc:
            return exc.code

    try:
        assert status("/index.html") == 200
        assert status("/archive/" + doc.archive_path) == 200
        assert status("/archive/" + doc.pages[0].thumbnail) == 200
        for refused in ("/archive/archive.db", "/archive/", "/archive", "/archive/thumbs/", "/archive/stray.txt",
                        "/archive/.archiver.lock", "/archive/thumbs/../archive.db", "/archive/%2e%2e/config.yaml",
                        "/../config.yaml", "/docs/"):
            assert status(refused) == 404, refused
    finally:
        server.shutdown()
        server.server_close()


# --- 12. a huge query --------------------------------------------------------------------------
def test_a_huge_query_is_refused_at_once(db, capsys, archive_config):
    start = time.monotonic()
    with db.session() as s:
        with pytest.raises(QueryError, match=f"40,000 characters long; the limit is {MAX_QUERY_CHARS}"):
            search(s, "通知" * 20000)
        with pytest.raises(QueryError, match="issuer filter"):
            search(s, "", issuer="人" * 5000)
        assert search(s, "通" * MAX_QUERY_CHARS) == []  # at the limit: searched
    assert time.monotonic() - start < 2
    assert main(["--config", str(archive_config), "search", "通知" * 20000]) == QueryError.exit_code
    assert capsys.readouterr().err.count("\n") == 1


# --- 13. a TIFF of many frames -----------------------------------------------------------------
def test_a_tiff_over_the_page_limit_is_refused_before_any_frame_is_decoded(tmp_path):
    frames = [Image.new("L", (16, 16), 255) for _ in range(2001)]
    path = tmp_path / "many.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    src = intake.take_in(path)
    start = time.monotonic()
    with pytest.raises(CorruptFile, match="more than 2000 pages"):
        next(iter(rasterize.pages(src, 200, True, max_pages=2000, max_pixels=80_000_000)))  # not even the first frame comes out
    assert time.monotonic() - start < 3
    assert rasterize.page_count(src) == 2001


# --- 14-17. the command line -------------------------------------------------------------------
@pytest.fixture
def filled(archive_config, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    text_pdf(drop / "notice.pdf", [NOTICE])
    text_pdf(drop / "budget.pdf", [BUDGET + ["教育经费"]])
    text_pdf(drop / "budget-rescan.pdf", [BUDGET + ["教育经费", "附注"]])
    assert main(["--config", str(archive_config), "ingest", "-q", str(drop)]) == 0
    return archive_config


def test_search_minus_term_excludes_it(filled, capsys):
    capsys.readouterr()
    assert main(["--config", str(filled), "search", "教育", "-预算", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["file"] for h in hits] == ["notice.pdf"]
    # after --, as argparse has it: a query of excluded terms only is refused as a bad query
    assert main(["--config", str(filled), "search", "--json", "--", "-预算"]) == ExitCode.BAD_QUERY


def test_duplicates_json(filled, capsys):
    capsys.readouterr()
    assert main(["--config", str(filled), "duplicates", "--json"]) == 0
    [group] = json.loads(capsys.readouterr().out)  # the budget and its rescan; the notice stands alone
    assert {"id", "title", "file", "duplicates"} <= set(group)
    assert group["title"] == BUDGET[0]
    assert sorted([group["file"]] + [d["file"] for d in group["duplicates"]]) == ["budget-rescan.pdf", "budget.pdf"]


@pytest.mark.parametrize("command", [["stats"], ["search", "通知"], ["ocr"]])
def test_a_closed_pipe_is_no_traceback(filled, command, tmp_path):
    if command == ["ocr"]:
        command = ["ocr", str(text_pdf(tmp_path / "many.pdf", [NOTICE] * 30))]
    proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "--config", str(filled), *command],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()  # `| head` that has already gone
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_ingest_progress_is_counted_in_pages_throughout(archive_config, tmp_path, capsys):
    drop = tmp_path / "drop"
    drop.mkdir()
    frames = [Image.new("RGB", (400, 300), "white") for _ in range(3)]
    frames[0].save(drop / "three.tif", save_all=True, append_images=frames[1:])
    text_pdf(drop / "two.pdf", [NOTICE, ["第二页"]])
    (drop / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    s = config.load(archive_config)
    ingest(make_pipeline(s, keep_source=True), [drop], workers=1, progress=True)
    bar = capsys.readouterr().err
    counts = re.findall(r"(\d+)/(\d+)", bar)
    assert counts and all(total == "6" for _, total in counts), bar
    assert counts[-1] == ("6", "6")


# --- 18. a busy database during ingest ---------------------------------------------------------
def test_ingest_with_a_busy_database_records_a_retry_not_a_crash(archive_config, tmp_path, monkeypatch):
    s = config.load(archive_config)
    pipeline = make_pipeline(s, keep_source=True)
    drop = tmp_path / "drop"
    drop.mkdir()
    text_pdf(drop / "notice.pdf", [NOTICE])

    def busy(doc, start):
        raise StorageBusy("database busy (injected): another process holds it")

    monkeypatch.setattr(pipeline, "_store", busy)
    [out] = ingest(pipeline, [drop], workers=1, progress=False)
    assert out.status == "retry"
    with pipeline.db.session() as ses:
        [row] = ses.query(JobRow).all()
        assert row.state == "retry" and jobs.interrupted(ses) == []
    monkeypatch.undo()
    [again] = ingest(make_pipeline(s, keep_source=True), [drop], workers=1, progress=False)
    assert again.status == "stored"
    with pipeline.db.session() as ses:
        assert jobs.get(ses, ses.query(JobRow).one().sha256).interrupted == 0


def test_a_second_daemon_on_the_same_inbox_under_another_archive_refuses(archive_config, tmp_path, capsys):
    s = config.load(archive_config)
    other = tmp_path / "other.yaml"
    other.write_text(archive_config.read_text(encoding="utf-8").replace("archive/archive.db", "other/archive.db")
                     + f'paths: {{inbox: "{s.paths.inbox}", archive: "{tmp_path / "other"}"}}\n', encoding="utf-8")
    with ArchiveLock(s.paths.inbox, "watch", what="the inbox", on_folder=True):
        assert main(["--config", str(other), "watch", "--max-seconds", "1"]) == ArchiveLocked.exit_code
    assert f"the inbox {s.paths.inbox} is in use" in capsys.readouterr().err
    assert os.listdir(s.paths.inbox) == []  # nothing is put in the drop folder for the lock



@pytest.mark.sqlite_only  # holds the SQLite file's lock from outside
def test_a_bad_file_met_while_the_database_is_held_waits_in_the_inbox_with_nothing_half_done(archive_config):
    """Found by the soak: a failure could not be recorded while another writer held the database, and the
    file sat in failed/ with no failure row. It now stays in the inbox until it can be recorded."""
    import sqlite3

    text = archive_config.read_text(encoding="utf-8")
    archive_config.write_text(text.replace('database: {url: "sqlite:///', 'database: {busy_timeout: 0.2, url: "sqlite:///'),
                              encoding="utf-8")
    s = config.load(archive_config)
    assert s.database.busy_timeout == 0.2
    pipeline = make_pipeline(s)
    bad = badfiles.zip_file(s.paths.inbox / "zip-as.pdf")
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    other = sqlite3.connect(s.paths.archive / "archive.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        first = one_pass(w, t)
        assert [o.status for o in first] == ["retry"] and bad.exists()
        assert not s.paths.failed.exists() or list(s.paths.failed.iterdir()) == []
    finally:
        other.execute("ROLLBACK")
        other.close()
    second = one_pass(w, t)
    assert [o.status for o in second] == ["failed"] and not bad.exists()
    assert [f.original_name for f in failures(pipeline)] == ["zip-as.pdf"]
    assert (s.paths.failed / "zip-as.pdf.reason.txt").exists()


def test_the_ocr_command_checks_the_daemons_limits(archive_config, tmp_path, capsys):
    text = archive_config.read_text(encoding="utf-8")
    archive_config.write_text(text + "intake: {max_page_pixels: 1000000, max_file_mb: 1}\n", encoding="utf-8")
    page = tmp_path / "page.png"
    Image.new("L", (2000, 1000), 255).save(page)  # 2 megapixels: over this config's limit
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 2**20))
    for args, fragment in ((["ocr", str(page)], "intake.max_page_pixels"), (["ocr", "--lines", str(page)], "intake.max_page_pixels"),
                           (["ocr", str(big)], "intake.max_file_mb")):
        assert main(["--config", str(archive_config), *args]) == CorruptFile.exit_code, args
        err = capsys.readouterr().err
        assert fragment in err and err.count("\n") == 1, err
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for args in (["ocr", str(fifo)], ["ocr", "--lines", str(fifo)]):  # refused at once, never opened
        assert main(["--config", str(archive_config), *args]) == UnsupportedFile.exit_code
        assert "named pipe" in capsys.readouterr().err
