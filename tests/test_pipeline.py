"""End to end on a temp inbox: text-layer PDF and scanned image in; rows, category, search hit,
duplicates and HTML out; corrupt and half-written files handled."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from archiver import config
from archiver.app import make_pipeline, rebuild_site
from archiver.daemon.watch import Watcher
from archiver.storage import repository
from archiver.storage.search import search

from .support.helpers import page_image, text_pdf

NOTICE = ["上海市普陀区人民政府文件", "普府发〔2024〕12号", "上海市普陀区人民政府关于加强安全生产工作的通知",
          "各街道办事处、镇人民政府：", "为落实安全生产责任，现将有关事项通知如下。", "上海市普陀区人民政府",
          "2024年3月1日"]


def settings_for(cfg: Path):
    return config.load(cfg)


def scanned_png(path: Path, lines: list[str], angle: float = 0.0, scale: float = 1.0) -> Path:
    rgb = page_image(lines, size=44, height=1200)
    if scale != 1.0:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if angle:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        rgb = cv2.warpAffine(rgb, m, (w, h), borderValue=(255, 255, 255))
    Image.fromarray(rgb).save(path)
    return path


def run_daemon(settings, seconds: float) -> None:
    pipeline = make_pipeline(settings)
    w = Watcher(settings, pipeline, after=lambda _d: rebuild_site(settings, pipeline.db))
    w.run(max_seconds=seconds)


def wait_empty(inbox: Path, timeout: float) -> None:
    end = time.time() + timeout
    while time.time() < end and any(p.is_file() for p in inbox.rglob("*")):
        time.sleep(0.2)


def test_daemon_end_to_end(archive_config):
    s = settings_for(archive_config)
    s.paths.inbox.mkdir(parents=True)
    text_pdf(s.paths.inbox / "notice.pdf", [NOTICE])
    scanned_png(s.paths.inbox / "scan.png", ["会议纪要", "关于召开安全生产会议的通知"])
    (s.paths.inbox / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    run_daemon(s, seconds=12)
    # the inbox is empty: everything stored or moved to failed/
    assert [p for p in s.paths.inbox.rglob("*") if p.is_file()] == []
    assert (s.paths.failed / "broken.pdf").exists()
    assert "broken.pdf" in (s.paths.failed / "broken.pdf.reason.txt").read_text(encoding="utf-8")
    pipeline = make_pipeline(s)
    with pipeline.db.session() as ses:
        docs = {d.original_name: d for d in repository.list_documents(ses)}
        assert set(docs) == {"notice.pdf", "scan.png"}
        notice = repository.get_document(ses, docs["notice.pdf"].id)
        assert notice.doc_number == "普府发〔2024〕12号"
        assert notice.doc_type == "通知" and notice.category == "安全生产"
        assert notice.pages[0].source == "text-layer"
        assert (s.paths.archive / notice.archive_path).read_bytes()[:5] == b"%PDF-"
        scan = repository.get_document(ses, docs["scan.png"].id)
        assert scan.pages[0].source == "ocr"
        lines = scan.pages[0].lines
        assert len(lines) == 2 and all(0 < ln.confidence <= 1 for ln in lines)
        assert lines[0].box[1] < lines[1].box[1]  # top to bottom
        hits = search(ses, "通知")
        assert notice.id in [h.document_id for h in hits]
        assert "\x02" in hits[0].snippet
        assert repository.stats(ses)["failures"] == 1
    index = (s.paths.site / "index.html").read_text(encoding="utf-8")
    assert "上海市普陀区人民政府关于加强安全生产工作的通知" in index or "notice.pdf" in index
    assert (s.paths.site / "doc" / f"{notice.id}.html").exists()


def test_exact_and_near_duplicates(archive_config):
    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    inbox = s.paths.inbox
    a = text_pdf(inbox / "a.pdf", [NOTICE])
    first = pipeline.process(a)
    assert first.status == "stored"
    # exact: same bytes again
    again = text_pdf(inbox / "a-copy.pdf", [NOTICE])
    again.write_bytes((s.paths.archive / repository_path(pipeline, first.document_id)).read_bytes())
    out = pipeline.process(again)
    assert out.status == "exact-duplicate" and out.duplicate_of == first.document_id
    assert not again.exists()
    # near: a rescan of the same page as an image (other dpi, slight rotation)
    scan1 = pipeline.process(scanned_png(inbox / "s1.png", NOTICE))
    scan2 = pipeline.process(scanned_png(inbox / "s2.jpg", NOTICE, angle=0.7, scale=0.8))
    assert scan1.status == "stored"
    assert scan2.status == "duplicate" and scan2.duplicate_of == scan1.document_id
    with pipeline.db.session() as ses:
        groups = dict(repository.duplicate_groups(ses))
    assert scan2.document_id in groups[scan1.document_id]


def test_same_template_different_content_is_not_a_duplicate(archive_config):
    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    base = NOTICE + ["一、提高思想认识，加强组织领导。", "二、突出工作重点，强化安全检查。", "三、严格责任追究，确保落实到位。"]
    other = ["上海市普陀区人民政府文件", "普府发〔2024〕31号", "上海市普陀区人民政府关于做好防汛防台工作的通知",
             "各街道办事处、镇人民政府：", "为做好今年汛期各项准备，现将有关事项通知如下。", "一、压实防汛责任，全面排查隐患。",
             "二、加强值班值守，及时报送信息。", "三、做好物资储备，提升应急能力。", "上海市普陀区人民政府", "2024年7月9日"]
    t1 = pipeline.process(text_pdf(s.paths.inbox / "t1.pdf", [base]))
    t2 = pipeline.process(text_pdf(s.paths.inbox / "t2.pdf", [other]))
    assert (t1.status, t2.status) == ("stored", "stored")
    assert t2.duplicate_of is None


def repository_path(pipeline, doc_id: int) -> str:
    with pipeline.db.session() as ses:
        return repository.get_document(ses, doc_id).archive_path


def test_half_written_file_is_not_read_early(archive_config):
    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    t = [100.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    f = s.paths.inbox / "slow.pdf"
    data = text_pdf(s.base_dir / "full.pdf", [NOTICE]).read_bytes()
    f.write_bytes(data[: len(data) // 2])  # the scanner is still writing
    w.rescan()
    t[0] += 0.2
    assert w.step() == []
    assert f.exists()
    f.write_bytes(data)  # finished
    w.rescan()
    t[0] += 0.3
    assert w.step() == []  # changed just now: wait for the quiet period
    t[0] += 1.0
    done = w.step()
    assert [o.status for o in done] == ["stored"]
    assert not f.exists()


def test_failing_recogniser_sends_the_file_to_failed_and_goes_on(archive_config):
    class Broken:
        def read(self, images):
            raise RuntimeError("recogniser exploded")

    s = settings_for(archive_config)
    from archiver.pipeline import Pipeline
    from archiver.app import open_db

    pipeline = Pipeline(s, open_db(s), reader=Broken())
    bad = pipeline.process(scanned_png(s.paths.inbox / "x.png", ["通知"]))
    assert bad.status == "failed" and "recogniser exploded" in bad.message
    assert (s.paths.failed / "x.png").exists()
    good = pipeline.process(text_pdf(s.paths.inbox / "ok.pdf", [NOTICE]))
    assert good.status == "stored"


def test_real_daemon_process_polling_mode_and_sigterm(archive_config):
    """manage.py watch as a real process in polling mode: picks up a dropped file, stops cleanly on SIGTERM."""
    import signal
    import subprocess
    import sys

    archive_config.write_text(archive_config.read_text(encoding="utf-8").replace(
        "watch: {", "watch: {polling: true, "), encoding="utf-8")
    s = settings_for(archive_config)
    assert s.watch.polling
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, str(root / "manage.py"), "--config", str(archive_config), "watch"],
                            stderr=subprocess.PIPE, text=True)
    try:
        text_pdf(s.paths.work.parent / "n.pdf", [NOTICE])
        end = time.time() + 60
        while not s.paths.inbox.exists() and time.time() < end:
            time.sleep(0.1)
        (s.paths.work.parent / "n.pdf").rename(s.paths.inbox / "n.pdf")
        wait_empty(s.paths.inbox, 30)
        assert not (s.paths.inbox / "n.pdf").exists()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "stored id=1 n.pdf pages=1" in err
    assert "stopped" in err


def test_disk_full_or_locked_database_leaves_the_file_for_a_retry(archive_config, monkeypatch):
    import errno

    from sqlalchemy.exc import OperationalError

    from archiver import archive_files

    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "n.pdf", [NOTICE])
    real_copy = archive_files.atomic_copy

    def disk_full(src, dest):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive_files, "atomic_copy", disk_full)
    out = pipeline.process(f)
    assert out.status == "retry" and "No space left" in out.message
    assert f.exists() and not (s.paths.failed / "n.pdf").exists()

    def locked(*a, **k):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(archive_files, "atomic_copy", real_copy)
    monkeypatch.setattr(repository, "set_files", locked)
    out = pipeline.process(f)
    assert out.status == "retry" and f.exists()
    monkeypatch.undo()
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 0  # nothing half-stored
    assert [p for p in s.paths.archive.rglob("*.pdf")] == []  # no orphan copy
    out = pipeline.process(f)
    assert out.status == "stored" and not f.exists()


def test_near_duplicate_action_mark_or_skip(archive_config):
    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    first = pipeline.process(text_pdf(s.paths.inbox / "a.pdf", [NOTICE]))
    time.sleep(1.1)  # reportlab stamps the second: other bytes, same pages and text
    again = pipeline.process(text_pdf(s.paths.inbox / "b.pdf", [NOTICE]))
    assert (first.status, again.status) == ("stored", "duplicate") and again.duplicate_of == first.document_id
    archive_config.write_text(archive_config.read_text(encoding="utf-8") + "dedup: {action: skip}\n", encoding="utf-8")
    s = settings_for(archive_config)
    pipeline = make_pipeline(s)
    time.sleep(1.1)
    skipped = pipeline.process(text_pdf(s.paths.inbox / "c.pdf", [NOTICE]))
    assert skipped.status == "skipped" and skipped.duplicate_of == first.document_id
    assert (s.paths.failed / "c.pdf").exists()
    assert "near-duplicate of document" in (s.paths.failed / "c.pdf.reason.txt").read_text(encoding="utf-8")
    with pipeline.db.session() as ses:
        assert repository.stats(ses)["documents"] == 2


def test_worker_processes_share_the_thread_setting():
    import subprocess
    import sys

    from archiver.threads import worker_threads

    assert [worker_threads(2, n) for n in (1, 2, 4)] == [2, 1, 1] and worker_threads(8, 3) == 2
    # set_threads reaches OpenCV in the process and OpenMP/BLAS in the processes it starts
    code = ("import os, cv2; from archiver.threads import set_threads; set_threads(1); "
            "print(cv2.getNumThreads(), os.environ['OMP_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1"]


def test_the_recogniser_warms_up_in_a_thread_and_a_failure_waits_for_the_first_page(archive_config, tmp_path):
    import dataclasses

    from archiver import config
    from archiver.app import make_pipeline
    from archiver.errors import RecognizerUnavailable

    settings = config.load(archive_config)
    p = make_pipeline(settings)
    p.warm_up().join(timeout=120)
    assert p._reader is not None and p.reader() is p._reader  # loaded once, reused
    broken = dataclasses.replace(settings, ocr=dataclasses.replace(settings.ocr, weights=tmp_path / "none"))
    q = make_pipeline(broken)
    q.warm_up().join(timeout=60)  # no exception out of the thread
    with pytest.raises(RecognizerUnavailable):
        q.reader()
    p.db.close()
    q.db.close()


def test_two_workers_store_every_file_once_longest_first(archive_config, tmp_path):
    """ingest --workers 2: each file stored once with all its pages, the longest document handed out
    first (a worker is never left alone with it at the end), and the archive as one worker leaves it."""
    from archiver.batch import ingest

    drop = tmp_path / "drop"
    drop.mkdir()
    lengths = {"a.pdf": 1, "b.pdf": 3, "c.pdf": 2}
    for name, n in lengths.items():
        text_pdf(drop / name, [[f"{name}第{k + 1}页", "关于做好档案数字化工作的通知", f"文号{n}{k}"] for k in range(n)])
    pipeline = make_pipeline(settings_for(archive_config), keep_source=True)
    outcomes = ingest(pipeline, [drop], workers=2, progress=False)
    assert [(o.path.name, o.status, o.pages) for o in outcomes] == [("b.pdf", "stored", 3), ("c.pdf", "stored", 2),
                                                                     ("a.pdf", "stored", 1)]
    assert len({repository_path(pipeline, o.document_id) for o in outcomes}) == 3  # three archived files
