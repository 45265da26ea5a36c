"""`manage.py ingest` takes each file through the daemon's preflight: a busy database while looking for an
exact duplicate leaves that file for a later run, and a file that kills ingest while it is read is counted
toward watch.max_interrupted as the daemon counts it."""
from __future__ import annotations

import pytest

from archiver import config
from archiver.app import make_pipeline
from archiver.batch import ingest
from archiver.errors import StorageBusy
from archiver.storage import jobs
from archiver.storage.tables import JobRow

from .support.helpers import text_pdf

NOTICE = ["江苏省教育厅文件", "苏教发〔2024〕8号", "江苏省教育厅关于做好2024年寒假安全工作的通知", "江苏省教育厅"]
BUDGET = ["上海市普陀区2023年区级部门预算", "一般公共预算财政拨款支出预算表", "单位：万元", "合计 156,211.50"]


class Killed(BaseException):
    """What kill -9 would do mid-analysis, as far as this process's bookkeeping goes: nothing after it runs."""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_busy_exact_duplicate_check_leaves_that_file_for_later(archive_config, tmp_path, monkeypatch, workers):
    s = config.load(archive_config)
    pipeline = make_pipeline(s, keep_source=True)
    drop = tmp_path / "drop"
    drop.mkdir()
    text_pdf(drop / "notice.pdf", [NOTICE])
    text_pdf(drop / "budget.pdf", [BUDGET])
    text_pdf(drop / "third.pdf", [BUDGET + ["附注"]])
    look_up = pipeline.exact_duplicate

    def busy_for_the_notice(source):
        if source.name == "notice.pdf":
            raise StorageBusy("database busy (injected): another process holds it")
        return look_up(source)

    monkeypatch.setattr(pipeline, "exact_duplicate", busy_for_the_notice)
    outcomes = ingest(pipeline, [drop], workers=workers, progress=False)
    assert sorted((o.path.name, o.status) for o in outcomes) == [
        ("budget.pdf", "stored"), ("notice.pdf", "retry"), ("third.pdf", "duplicate")]
    monkeypatch.undo()
    again = ingest(make_pipeline(s, keep_source=True), [drop], workers=1, progress=False)
    assert sorted((o.path.name, o.status) for o in again) == [
        ("budget.pdf", "exact-duplicate"), ("notice.pdf", "stored"), ("third.pdf", "exact-duplicate")]
    with pipeline.db.session() as ses:
        assert jobs.interrupted(ses) == []


def test_a_file_that_kills_ingest_while_read_is_counted_and_then_refused(archive_config, tmp_path, monkeypatch):
    s = config.load(archive_config)
    drop = tmp_path / "drop"
    drop.mkdir()
    text_pdf(drop / "bomb.pdf", [NOTICE])

    def kill(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr("archiver.batch.analyse", kill)
    for cut_short in range(s.watch.max_interrupted):
        pipeline = make_pipeline(s, keep_source=True)
        with pytest.raises(Killed):
            ingest(pipeline, [drop], workers=1, progress=False)
        with pipeline.db.session() as ses:
            [row] = ses.query(JobRow).all()
            assert (row.name, row.state, row.interrupted) == ("bomb.pdf", "running", cut_short)
    monkeypatch.undo()
    [out] = ingest(make_pipeline(s, keep_source=True), [drop], workers=1, progress=False)
    assert out.status == "failed" and f"cut short {s.watch.max_interrupted} times" in out.message
