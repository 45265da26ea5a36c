"""Slow and odd arrivals: a copy spread over 30 s is read once and whole, the same file dropped twice is
stored once, a folder of 500 files is all processed, and a symlink out of the inbox is refused."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from archiver import config
from archiver.app import make_pipeline
from archiver.check import check
from archiver.daemon.readiness import Readiness
from archiver.daemon.watch import Watcher
from archiver.storage import repository
from archiver.storage.tables import Failure

from .support.helpers import text_pdf

NOTICE = ["江苏省教育厅文件", "苏教发〔2024〕8号", "江苏省教育厅关于做好2024年寒假安全工作的通知", "各设区市教育局：",
          "寒假将至，现就有关工作通知如下。", "江苏省教育厅", "2024年1月5日"]


def slow_config(archive_config: Path, stable: float) -> config.Settings:
    text = archive_config.read_text(encoding="utf-8").replace("stable_seconds: 0.5", f"stable_seconds: {stable}")
    archive_config.write_text(text, encoding="utf-8")
    return config.load(archive_config)


def test_a_copy_spread_over_30_seconds_is_read_once_complete(archive_config):
    """The scanner writes a chunk every 2 s for 30 s (an injected clock; the file really grows)."""
    s = slow_config(archive_config, stable=3)
    pipeline = make_pipeline(s)
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    data = text_pdf(s.base_dir / "full.pdf", [NOTICE, ["第二页：安全教育"], ["第三页：值班安排"]]).read_bytes()
    target = s.paths.inbox / "slow.pdf"
    chunks = np.array_split(np.frombuffer(data, np.uint8), 15)
    processed = []
    with open(target, "wb") as f:
        for chunk in chunks:  # 15 chunks, 2 s apart: 30 s of copying
            f.write(chunk.tobytes())
            f.flush()
            w.rescan()
            for _ in range(4):  # the daemon looks every 0.5 s in between
                t[0] += 0.5
                processed += w.step()
            assert processed == [], f"read at {t[0]} s, before the copy ended"
    t[0] += 3.5
    w.rescan()
    processed += w.step()
    assert [o.status for o in processed] == ["stored"]
    with pipeline.db.session() as ses:
        doc = repository.get_document(ses, processed[0].document_id)
    assert doc.page_count == 3 and doc.size == len(data)
    assert (s.paths.archive / doc.archive_path).read_bytes() == data
    t[0] += 10
    w.rescan()
    assert w.step() == []  # read once


def test_a_slow_copy_with_the_real_watcher(archive_config):
    """Real time, real inotify events: a file written in 12 pieces over 3 s with a 1 s readiness window."""
    s = slow_config(archive_config, stable=1)
    pipeline = make_pipeline(s)
    w = Watcher(s, pipeline)
    runner = threading.Thread(target=w.run, kwargs={"max_seconds": 60})
    runner.start()
    try:
        data = text_pdf(s.base_dir / "full.pdf", [NOTICE, ["第二页"]]).read_bytes()
        with open(s.paths.inbox / "scanner.pdf", "wb") as f:
            for chunk in np.array_split(np.frombuffer(data, np.uint8), 12):
                f.write(chunk.tobytes())
                f.flush()
                time.sleep(0.25)
        end = time.time() + 30
        while (s.paths.inbox / "scanner.pdf").exists() and time.time() < end:
            time.sleep(0.1)
    finally:
        w.stop.set()
        runner.join(timeout=30)
    with pipeline.db.session() as ses:
        docs = repository.list_documents(ses)
        failures = ses.query(Failure).count()
    assert failures == 0 and [(d.original_name, d.page_count, d.size) for d in docs] == [("scanner.pdf", 2, len(data))]


def test_the_same_file_dropped_twice_at_once_is_stored_once(archive_config):
    s = slow_config(archive_config, stable=0.5)
    pipeline = make_pipeline(s)
    data = text_pdf(s.base_dir / "n.pdf", [NOTICE]).read_bytes()
    (s.paths.inbox / "通知.pdf").write_bytes(data)
    (s.paths.inbox / "通知 (copy).pdf").write_bytes(data)
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    w.rescan()
    t[0] += 1
    outcomes = w.step()
    assert sorted(o.status for o in outcomes) == ["exact-duplicate", "stored"]
    assert list(s.paths.inbox.iterdir()) == []
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 1


def test_two_processes_racing_on_the_same_bytes_store_one_row(archive_config, monkeypatch):
    """Both checked for the sha256 before either committed (ingest beside the daemon): the unique sha256
    refuses the second insert, which becomes an exact duplicate instead of a failure."""
    s = slow_config(archive_config, stable=0.5)
    first, second = make_pipeline(s), make_pipeline(s)
    data = text_pdf(s.base_dir / "n.pdf", [NOTICE]).read_bytes()
    a, b = s.paths.inbox / "a.pdf", s.paths.inbox / "b.pdf"
    a.write_bytes(data)
    b.write_bytes(data)
    blind = iter([None, None])  # the second process's two checks ran before the first one committed
    real = second.exact_duplicate
    monkeypatch.setattr(second, "exact_duplicate", lambda src: next(blind, real(src)))
    assert first.process(a).status == "stored"
    out = second.process(b)
    assert out.status == "exact-duplicate" and out.duplicate_of == 1
    assert not b.exists()
    with first.db.session() as ses:
        assert repository.stats(ses)["documents"] == 1 and ses.query(Failure).count() == 0
    assert check(s, first.db) == []  # no orphan copy from the loser


def tiny_page(path: Path, i: int) -> Path:
    """A 64 × 64 page with a black square placed by i: 500 of them are distinct and quick to process."""
    a = np.full((64, 64), 255, np.uint8)
    a[(i * 7) % 56:(i * 7) % 56 + 8, (i * 13) % 56:(i * 13) % 56 + 8] = 0
    a[0, i % 64] = i % 251  # different bytes even where the squares coincide
    Image.fromarray(a).save(path)
    return path


def test_a_folder_of_500_files_is_all_processed(archive_config, tmp_path):
    s = slow_config(archive_config, stable=0.5)
    pipeline = make_pipeline(s)
    folder = tmp_path / "扫描 批次"
    folder.mkdir()
    for i in range(500):
        tiny_page(folder / f"page {i:03d}.png", i)
    w = Watcher(s, pipeline)
    runner = threading.Thread(target=w.run, kwargs={"max_seconds": 240})
    runner.start()
    try:
        time.sleep(0.5)
        folder.rename(s.paths.inbox / folder.name)  # one move: one event for the folder, none per file
        end = time.time() + 220
        while any((s.paths.inbox / folder.name).iterdir()) and time.time() < end:
            time.sleep(0.25)
    finally:
        w.stop.set()
        runner.join(timeout=60)
    with pipeline.db.session() as ses:
        names = [d.original_name for d in repository.list_documents(ses)]
        assert ses.query(Failure).count() == 0
    assert sorted(names) == [f"page {i:03d}.png" for i in range(500)]


def test_a_symlink_out_of_the_inbox_is_refused(archive_config, tmp_path):
    s = slow_config(archive_config, stable=0.5)
    pipeline = make_pipeline(s)
    secret = text_pdf(tmp_path / "secret.pdf", [["机密文件", "不得外传"]])
    before = secret.read_bytes()
    (s.paths.inbox / "link.pdf").symlink_to(secret)
    (s.paths.inbox / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    outside = tmp_path / "outside"
    outside.mkdir()
    text_pdf(outside / "inner.pdf", [["外部目录文件"]])
    (s.paths.inbox / "linked-folder").symlink_to(outside, target_is_directory=True)
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    w.rescan()
    t[0] += 1
    outcomes = {o.path.name: o for o in w.step()}
    assert set(outcomes) == {"link.pdf", "dangling.pdf"}  # the linked folder is never walked into
    assert all(o.status == "failed" for o in outcomes.values())
    assert f"a symlink to {secret}, outside the inbox: refused" in outcomes["link.pdf"].message
    assert "which does not exist" in outcomes["dangling.pdf"].message
    assert (s.paths.failed / "link.pdf").is_symlink()  # the link was moved, its target left alone
    assert secret.read_bytes() == before and (outside / "inner.pdf").exists()
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 0
        assert {f.original_name: f.sha256 for f in ses.query(Failure)} == {"link.pdf": "", "dangling.pdf": ""}


def test_an_empty_file_waits_for_its_copy_then_fails(tmp_path):
    """Zero bytes usually means the copy has not started: wait empty_seconds, not stable_seconds."""
    t = [0.0]
    r = Readiness(stable_seconds=1, clock=lambda: t[0], empty_seconds=10)
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"")
    r.observe(f)
    t[0] += 5
    assert r.ready() == []
    t[0] += 6
    assert r.ready() == [f]


def test_a_copy_that_stalls_past_the_window_is_read_again_not_failed(archive_config, monkeypatch):
    """A network copy pauses longer than stable_seconds: the daemon reads a partial file. The file changing
    while it is read shows the copy was still going on: retry, not failed/."""
    from archiver import pipeline as pipeline_mod
    from archiver.errors import CorruptFile

    s = slow_config(archive_config, stable=0.5)
    pipeline = make_pipeline(s)
    data = text_pdf(s.base_dir / "full.pdf", [NOTICE, ["第二页"]]).read_bytes()
    target = s.paths.inbox / "stalled.pdf"
    target.write_bytes(data[: len(data) // 2])
    real = pipeline_mod.analyse

    def copy_resumes_while_we_read(source, *a, **k):
        with open(target, "ab") as f:  # the writer wakes up mid-read
            f.write(data[len(data) // 2:])
        raise CorruptFile(f"{source.name}: damaged or truncated PDF (Couldn't read xref table)")

    monkeypatch.setattr(pipeline_mod, "analyse", copy_resumes_while_we_read)
    out = pipeline.process(target)
    assert out.status == "retry" and "changed while being read" in out.message
    assert target.exists() and not (s.paths.failed / "stalled.pdf").exists()
    monkeypatch.setattr(pipeline_mod, "analyse", real)
    out = pipeline.process(target)
    assert out.status == "stored"
    with pipeline.db.session() as ses:
        doc = repository.get_document(ses, out.document_id)
    assert doc.page_count == 2 and (s.paths.archive / doc.archive_path).read_bytes() == data
