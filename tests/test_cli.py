"""manage.py in-process: output and exit codes."""
from __future__ import annotations

import json

import pytest

from archiver.cli import main

from .support.helpers import text_pdf

NOTICE = ["上海市普陀区人民政府关于加强安全生产工作的通知", "普府发〔2024〕12号", "各街道办事处：", "现将有关事项通知如下。",
          "上海市普陀区人民政府", "2024年3月1日"]
BUDGET = ["上海市普陀区2023年区级部门预算", "一般公共预算财政拨款支出预算表", "单位：万元", "合计 156,211.50"]


def run(capsys, cfg, *args):
    code = main(["--config", str(cfg), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(archive_config, tmp_path):
    src = tmp_path / "drop"
    src.mkdir()
    text_pdf(src / "notice.pdf", [NOTICE])
    text_pdf(src / "budget.pdf", [BUDGET])
    return archive_config, src


def test_ingest_search_show_stats(capsys, filled):
    cfg, src = filled
    code, out, err = run(capsys, cfg, "ingest", "-q", str(src))
    assert code == 0, err
    assert "2 files, 2 pages: stored 2" in out
    assert (src / "notice.pdf").exists()  # ingest leaves originals where they are unless --move
    code, out, _ = run(capsys, cfg, "search", "通知")
    assert code == 0
    assert "【通知】" in out and "1 result" in out
    code, out, _ = run(capsys, cfg, "search", "--json", "预算")
    hits = json.loads(out)
    assert [h["file"] for h in hits] == ["budget.pdf"] and hits[0]["category"] == "财政预算"
    code, out, _ = run(capsys, cfg, "search", "预算", "--category", "安全生产")
    assert "0 results" in out
    doc_id = hits[0]["id"]
    code, out, _ = run(capsys, cfg, "show", str(doc_id))
    assert code == 0 and "财政预算" in out and "budget.pdf" in out
    code, out, _ = run(capsys, cfg, "stats", "--json")
    assert json.loads(out)["documents"] == 2
    code, out, _ = run(capsys, cfg, "duplicates")
    assert code == 0 and "0 groups" in out
    code, out, _ = run(capsys, cfg, "ingest", "-q", str(src / "notice.pdf"))
    assert code == 0 and "exact-duplicate 1" in out


def test_reclassify_applies_edited_rules_without_ocr(capsys, filled, tmp_path):
    cfg, src = filled
    run(capsys, cfg, "ingest", "-q", str(src))
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "r.yaml").write_text("rules:\n  - {name: 普陀, any: [普陀区], category: 普陀档案}\n", encoding="utf-8")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("rules: {folder:", f"rules: {{folder: \"{rules}\"}}\n#"),
                   encoding="utf-8")
    code, out, _ = run(capsys, cfg, "reclassify")
    assert code == 0 and "2 documents changed" in out
    code, out, _ = run(capsys, cfg, "search", "--json", "通知")
    assert json.loads(out)[0]["category"] == "普陀档案"


def test_errors_are_one_line_with_exit_codes(capsys, archive_config, tmp_path):
    code, _, err = run(capsys, archive_config, "search", '"通知')
    assert code == 6 and err.startswith("error:") and err.count("\n") == 1
    code, _, err = run(capsys, archive_config, "show", "999")
    assert code == 7 and err.startswith("error:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: red\n")
    code, _, err = run(capsys, bad, "stats")
    assert code == 2 and "unknown key 'colour'" in err
    junk = tmp_path / "junk.pdf"
    junk.write_text("not a pdf")
    code, out, err = run(capsys, archive_config, "ingest", "-q", str(junk))
    assert code == 1 and "failed 1" in out and "not a PDF" in err
    code, _, err = run(capsys, archive_config, "ingest", "-q", str(tmp_path / "missing"))
    assert code == 1 and "no such file" in err


def test_migrate_and_a_database_from_another_version(capsys, archive_config):
    code, out, _ = run(capsys, archive_config, "migrate")
    assert code == 0 and "empty ->" in out
    code, out, _ = run(capsys, archive_config, "migrate", "--downgrade", "base")
    assert code == 0 and out.strip().endswith("-> empty")
    code, out, _ = run(capsys, archive_config, "stats")  # an empty database is created at head
    assert code == 0 and "documents: 0" in out
    from archiver import config
    from archiver.storage.db import open_database

    db = open_database(config.load(archive_config).database.url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    code, _, err = run(capsys, archive_config, "stats")
    assert code == 5 and "revision 9999" in err and err.count("\n") == 1
