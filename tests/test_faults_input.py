"""Bad input never stops the daemon: every hostile or broken file ends in failed/ with a readable reason
and a database record, limits come from the config, and odd file names are stored under their own name."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from archiver import config
from archiver.app import make_pipeline
from archiver.daemon.watch import Watcher
from archiver.ingest import intake
from archiver.storage import repository
from archiver.storage.tables import Failure, JobRow
from bench import badfiles

from .support.helpers import text_pdf

NOTICE = ["国务院办公厅文件", "国办发〔2024〕5号", "国务院办公厅关于做好春节期间安全工作的通知", "各省、自治区、直辖市人民政府：",
          "现将有关事项通知如下。", "国务院办公厅", "2024年1月20日"]

# file name -> what its reason must say
EXPECTED = {
    "empty.pdf": "empty file",
    "truncated.pdf": "damaged or truncated PDF",
    "encrypted.pdf": "encrypted PDF",
    "page-count-bomb.pdf": "20000 pages is over the limit of 2000 (intake.max_pages)",
    "page-size-bomb.pdf": "megapixels, over the limit of 80 (intake.max_page_pixels)",
    "huge-30000x30000.png": "900 megapixels, over the limit of 80 (intake.max_page_pixels)",
    "archive.zip.pdf": "not a PDF, PNG, JPEG, TIFF or BMP file",
    "random.pdf": "not a PDF, PNG, JPEG, TIFF or BMP file",
    "noise": "not a PDF, PNG, JPEG, TIFF or BMP file",
    "too-big.pdf": "over the limit of 3 MB (intake.max_file_mb)",
    "unreadable.pdf": "cannot read (Permission denied)",
    "坏 文件 'quoted' \"x\" ..\\..\\etc.pdf": "not a PDF",
}


def limited_config(archive_config: Path) -> Path:
    text = archive_config.read_text(encoding="utf-8").replace("watch: {", "watch: {empty_seconds: 0, ")
    archive_config.write_text(text + "intake: {max_file_mb: 3}\n", encoding="utf-8")
    return archive_config


def make_bad_files(inbox: Path, scratch: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    good = text_pdf(scratch / "good.pdf", [NOTICE, NOTICE[2:]])
    (inbox / "empty.pdf").write_bytes(b"")
    badfiles.truncated(good, inbox / "truncated.pdf", 0.5)
    badfiles.encrypted_pdf(inbox / "encrypted.pdf")
    badfiles.skeleton_pdf(inbox / "page-count-bomb.pdf", 20000)
    badfiles.skeleton_pdf(inbox / "page-size-bomb.pdf", 1, 200000, 200000)
    badfiles.huge_png(inbox / "huge-30000x30000.png", 30000, 30000)
    badfiles.zip_file(inbox / "archive.zip.pdf")
    badfiles.random_bytes(inbox / "random.pdf", 5000, seed=1)
    badfiles.random_bytes(inbox / "noise", 300, seed=2)
    (inbox / "too-big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (4 * 2**20))
    unreadable = text_pdf(inbox / "unreadable.pdf", [["无权读取的文件"]])
    unreadable.chmod(0)
    badfiles.random_bytes(inbox / "坏 文件 'quoted' \"x\" ..\\..\\etc.pdf", 100, seed=3)


def deny_reading_as_root(monkeypatch) -> None:
    """root reads a mode-000 file anyway; for root the refusal comes from the open() the kernel would fail."""
    if os.geteuid() != 0:
        return

    real = intake.open_regular

    def open_unless_unreadable(path):
        if Path(path).name == "unreadable.pdf":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(intake, "open_regular", open_unless_unreadable)


def test_bad_files_end_in_failed_with_reason_and_record_and_the_daemon_goes_on(archive_config, monkeypatch):
    s = config.load(limited_config(archive_config))
    assert (s.intake.max_file_mb, s.intake.max_pages, s.intake.max_page_pixels) == (3, 2000, 80_000_000)
    make_bad_files(s.paths.inbox, s.paths.work.parent / "scratch")
    deny_reading_as_root(monkeypatch)
    pipeline = make_pipeline(s)
    t = [0.0]
    w = Watcher(s, pipeline, clock=lambda: t[0])
    w.rescan()
    t[0] += 1
    # a good document dropped after the bad ones is still stored
    outcomes = w.step()
    good = text_pdf(s.paths.inbox / "关于 春节 '安全' \"工作\" 的通知.pdf", [NOTICE])
    w.rescan()
    t[0] += 1
    outcomes += w.step()
    by_name = {o.path.name: o for o in outcomes}
    assert set(by_name) == set(EXPECTED) | {good.name}
    for name, fragment in EXPECTED.items():
        o = by_name[name]
        assert o.status == "failed", (name, o)
        reason = (s.paths.failed / (name + ".reason.txt")).read_text(encoding="utf-8")
        assert reason.startswith(name + ": ") and fragment in reason, (name, reason)
        assert "\n" not in reason.strip() and "Traceback" not in reason  # one readable line
        assert (s.paths.failed / name).exists()
    assert by_name[good.name].status == "stored"
    assert [p for p in s.paths.inbox.rglob("*")] == []
    with pipeline.db.session() as ses:
        failures = {f.original_name: f for f in ses.query(Failure)}
        assert set(failures) == set(EXPECTED)
        assert all(f.reason.startswith(f.original_name) and f.failed_path for f in failures.values())
        doc = repository.get_document(ses, by_name[good.name].document_id)
        assert doc.original_name == good.name and doc.doc_number == "国办发〔2024〕5号"
        # a failed file with readable bytes has its job closed as failed
        assert ses.query(JobRow).filter_by(name="truncated.pdf").one().state == "failed"


def test_limits_come_from_the_config(archive_config):
    archive_config.write_text(archive_config.read_text(encoding="utf-8")
                              + "intake: {max_pages: 3, max_page_pixels: 1000000}\n", encoding="utf-8")
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    four = text_pdf(s.paths.inbox / "four.pdf", [["第一页内容"], ["第二页内容"], ["第三页内容"], ["第四页内容"]])
    out = pipeline.process(four)
    assert out.status == "failed" and "4 pages is over the limit of 3 (intake.max_pages)" in out.message
    # A4 at 200 dpi is 1654 × 2339 = 3.9 megapixels: over a 1-megapixel limit, refused before rendering
    a4 = text_pdf(s.paths.inbox / "a4.pdf", [["一页"]])
    out = pipeline.process(a4)
    assert out.status == "failed"
    assert "page 1 at 200 dpi is 1654 × 2339 = 4 megapixels, over the limit of 1 (intake.max_page_pixels)" in out.message


def test_a_file_that_keeps_killing_the_process_is_given_up(archive_config):
    """The job log counts attempts cut short; past watch.max_interrupted the file goes to failed/."""
    archive_config.write_text(archive_config.read_text(encoding="utf-8").replace(
        "watch: {", "watch: {max_interrupted: 2, "), encoding="utf-8")
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    f = text_pdf(s.paths.inbox / "killer.pdf", [NOTICE])
    src = intake.take_in(f)
    pipeline.begin_job(src)  # two attempts that began and never finished, as after two OOM kills
    pipeline.begin_job(src)
    with pipeline.db.session() as ses:
        assert ses.query(JobRow).one().interrupted == 1
    out = pipeline.process(f)
    assert out.status == "failed"
    assert "processing was cut short 2 times" in out.message and "watch.max_interrupted is 2" in out.message
    assert (s.paths.failed / "killer.pdf").exists()


@pytest.mark.parametrize("title", ["../../../../etc/passwd", "..\\..\\windows\\system32", "a/b:c*d?e\"f<g>h|i"])
def test_document_titles_cannot_write_outside_the_archive(archive_config, title):
    s = config.load(archive_config)
    pipeline = make_pipeline(s)
    out = pipeline.process(text_pdf(s.paths.inbox / "t.pdf", [[title, "关于路径的通知", "正文内容"]]))
    assert out.status == "stored"
    with pipeline.db.session() as ses:
        rel = repository.get_document(ses, out.document_id).archive_path
    stored = (s.paths.archive / rel).resolve()
    assert s.paths.archive.resolve() in stored.parents and stored.is_file()
