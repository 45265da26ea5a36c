"""公文 fields through the whole archive: stored in their columns with their source lines, 档号
assigned per DA/T 22 (unique, stable), file names from any field, search filters, explain."""
from __future__ import annotations

import json

import pytest

from archiver import config as config_mod
from archiver.classify.numbering import archival_code, check_pattern
from archiver.cli import main
from archiver.errors import ConfigError
from archiver.storage import repository as repo

from .support.helpers import text_pdf

NOTICE = ["上海市人民政府文件", "沪府发〔2024〕12号", "上海市人民政府关于做好防汛工作的通知", "各区人民政府：",
          "现将有关事项通知如下。", "上海市人民政府", "2024年3月1日", "（此件公开发布）", "抄送：市委办公厅。",
          "上海市人民政府办公厅 2024年3月2日印发"]
DECISION = ["江苏省财政厅文件", "苏财预[2023]7号", "江苏省财政厅关于表彰先进集体的决定", "各市、县财政局：",
            "经研究，决定表彰。", "江苏省财政厅", "二〇二三年五月六日"]
NOTICE_2 = ["上海市人民政府文件", "沪府发〔2024〕13号", "上海市人民政府关于春节放假安排的通知", "各区人民政府：",
            "现将放假安排通知如下。", "上海市人民政府", "2024年1月5日"]


def run(capsys, cfg, *args):
    code = main(["--config", str(cfg), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def archive(archive_config, tmp_path, capsys):
    cfg = archive_config
    with cfg.open("a", encoding="utf-8") as f:
        f.write('archive: {name_template: "{year}/{retention}/{archival_code}-{doc_type}-{doc_number}{ext}", '
                "fonds: J042}\nsite: {auto_build: false}\n")
    src = tmp_path / "drop"
    src.mkdir()
    for name, lines in (("a.pdf", NOTICE), ("b.pdf", DECISION), ("c.pdf", NOTICE_2)):
        text_pdf(src / name, [lines])
        code, _out, err = run(capsys, cfg, "ingest", "-q", str(src / name))  # one by one: a known id order
        assert code == 0, err
    return cfg


def test_fields_columns_spans_and_archival_codes(archive, capsys):
    settings = config_mod.load(archive)
    from archiver.app import open_db

    with open_db(settings).session() as s:
        a, b, c = (repo.get_document(s, i) for i in (1, 2, 3))
    assert (a.doc_number, a.doc_type, a.issuer, a.date) == ("沪府发〔2024〕12号", "通知", "上海市人民政府", "2024-03-01")
    assert (a.header, a.recipients, a.note, a.cc) == ("上海市人民政府文件", "各区人民政府", "此件公开发布", "市委办公厅")
    assert (a.printer, a.print_date) == ("上海市人民政府办公厅", "2024-03-02")
    assert {sp.field: sp.text for sp in a.spans}["doc_number"] == "沪府发〔2024〕12号"
    assert (b.doc_number, b.doc_type, b.date) == ("苏财预〔2023〕7号", "决定", "2023-05-06")  # [ ] read as 〔 〕
    # 保管期限 chosen by rules/retention.yaml: a 决定 is kept for good, a 放假 notice ten years.
    assert (a.retention, b.retention, c.retention) == ("10年", "永久", "10年")
    assert b.org == "CZ"  # the issuer names 财政
    assert a.archival_code == "J042-WS·2024-D10-BGS-0001"
    assert c.archival_code == "J042-WS·2024-D10-BGS-0002"  # same 年度-期限-机构 group: the next number
    assert b.archival_code == "J042-WS·2023-Y-CZ-0001"
    assert a.archive_path == "2024/10年/J042-WS·2024-D10-BGS-0001-通知-沪府发〔2024〕12号.pdf"


def test_archival_codes_are_stable_across_reclassify(archive, capsys):
    code, out, _ = run(capsys, archive, "reclassify")
    assert code == 0
    code, out, _ = run(capsys, archive, "show", "3", "--json")
    assert json.loads(out)["archival_code"] == "J042-WS·2024-D10-BGS-0002"


def test_search_filters_on_fields(archive, capsys):
    code, out, _ = run(capsys, archive, "search", "--type", "通知", "--issuer", "人民政府", "--year", "2024",
                       "--doc-no", "沪府发", "--json")
    assert code == 0
    assert [h["id"] for h in json.loads(out)] == [1, 3]  # newest 成文日期 first
    code, out, _ = run(capsys, archive, "search", "放假", "--doc-no", "沪府发[2024]13", "--json")
    assert [h["id"] for h in json.loads(out)] == [3]  # brackets of the filter folded like the stored number
    code, out, _ = run(capsys, archive, "search", "--issuer", "财政厅", "--type", "通知", "--json")
    assert json.loads(out) == []
    code, _out, err = run(capsys, archive, "search")
    assert code == 6 and "empty query" in err


def test_explain_shows_fields_sources_and_rules(archive, capsys):
    code, out, _ = run(capsys, archive, "explain", "2")
    assert code == 0
    assert "档号: J042-WS·2023-Y-CZ-0001  (全宗 J042, 保管期限 永久, 机构 CZ)" in out
    assert "发文字号" in out and "苏财预〔2023〕7号  ← p1:2 '苏财预[2023]7号'" in out
    assert "成文日期" in out and "2023-05-06  ← p1:7 '二〇二三年五月六日'" in out
    assert "not found: 份号、密级" in out
    assert "rule 永久-决策类文种: fired on any: doc_type in [决议, 决定, 命令, 公报, 议案, 纪要] (决定)" in out
    code, out, _ = run(capsys, archive, "explain", "2", "--json")
    data = json.loads(out)
    assert {f["field"]: f["source"] for f in data["fields"]}["title"] == "江苏省财政厅关于表彰先进集体的决定"
    code, _out, err = run(capsys, archive, "explain", "99")
    assert code == 7 and "no document with id 99" in err


def test_code_pattern_is_checked_and_filled():
    assert archival_code("{fonds}-WS·{year}-{retention}-{org}-{seq:04d}", fonds="0001", year=2024, retention="永久",
                         org="BGS", seq=7) == "0001-WS·2024-永久-BGS-0007"
    assert archival_code("{fonds}-{year}-{seq}", fonds="A", year=None, retention="10年", org="", seq=1) == "A-0000-1"
    with pytest.raises(ConfigError, match="must contain {seq}"):
        check_pattern("{fonds}-{year}")
    with pytest.raises(ConfigError, match="unknown field {colour}"):
        check_pattern("{colour}-{seq}")


def test_bad_code_template_or_retention_in_config(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text('archive: {code_template: "{fonds}-{year}"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="archive.code_template must contain"):
        config_mod.load(cfg)
    cfg.write_text("archive: {default_retention: 5年}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="archive.default_retention must be one of 永久, 30年, 10年"):
        config_mod.load(cfg)
