"""Keyword rules: matching inside unspaced Chinese, priorities, reasons, validation."""
from __future__ import annotations

from pathlib import Path

import pytest

from archiver.classify.rules import classify, load_rules
from archiver.errors import ConfigError
from archiver.resources import RULES

ROOT = Path(__file__).resolve().parents[1]


def rules_from(tmp_path: Path, text: str):
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    return load_rules(tmp_path)


def test_keywords_match_inside_unspaced_chinese(tmp_path):
    rules = rules_from(tmp_path, "rules:\n  - name: 办公厅\n    any: [办公厅]\n    category: 办公\n")
    c = classify(rules, "国务院办公厅关于印发的通知", "", None)
    assert c.category == "办公"
    assert c.hits[0].matched == ("办公厅",)


def test_any_all_none_regex_and_fields(tmp_path):
    rules = rules_from(tmp_path, """
rules:
  - name: budget
    any: [预算, 决算]
    all: [普陀区]
    none: [草稿]
    category: 财政
  - name: number
    field: body
    regex: "〔20\\\\d\\\\d〕"
    tags: [有文号]
  - name: title-only
    field: title
    any: [通知]
    tags: [通知]
""")
    c = classify(rules, "2024年预算", "普陀区 预算 国办发〔2024〕1号 通知", None)
    assert c.category == "财政"
    assert c.tags == ("有文号",)  # 通知 is only in the body, the rule looks at the title
    assert classify(rules, "预算草稿", "普陀区", None).category is None
    assert classify(rules, "预算", "闵行区", None).category is None


def test_full_width_and_spaces_are_folded(tmp_path):
    rules = rules_from(tmp_path, "rules:\n  - name: y\n    any: ['2024年']\n    tags: [y2024]\n")
    assert classify(rules, "２０２４ 年工作要点", "", None).tags == ("y2024",)


def test_highest_priority_category_wins_and_tags_accumulate(tmp_path):
    rules = rules_from(tmp_path, """
rules:
  - {name: low, any: [通知], category: 一般, tags: [a], priority: 1}
  - {name: high, any: [任免], category: 人事任免, tags: [b], priority: 30}
""")
    c = classify(rules, "关于任免的通知", "", None)
    assert c.category == "人事任免"
    assert c.tags == ("a", "b")
    assert [h.rule for h in c.hits] == ["low", "high"]


@pytest.mark.parametrize("text, message", [
    ("rules:\n  - {name: x, any: [a], category: c, colour: red}\n", "unknown key 'colour'"),
    ("rules:\n  - {any: [a], category: c}\n", "needs a name"),
    ("rules:\n  - {name: x, regex: '(', category: c}\n", "bad regex"),
    ("rules:\n  - {name: x, category: c}\n", "needs at least one of any, all, regex or when"),
    ("rules:\n  - name: x\n    when: [year ~ 2020]\n    category: c\n", "cannot read condition 'year ~ 2020'"),
    ("rules:\n  - name: x\n    when: [colour contains red]\n    category: c\n", "unknown field 'colour'"),
    ("rules:\n  - name: x\n    when: ['doc_type in 通知']\n    category: c\n", "needs a list like"),
    ("rules:\n  - name: x\n    when: ['issuer >= 3']\n    category: c\n", "compares only year"),
    ("rules:\n  - {name: x, any: [a], retention: 5年}\n", "retention must be one of 永久, 30年, 10年"),
    ("rules:\n  - {name: x, any: [a]}\n", "neither a category nor tags"),
    ("rules:\n  - {name: x, any: [a], tags: [t], field: footer}\n", "field must be one of"),
    ("rules: 3\n", "must hold a list"),
])
def test_bad_rules_are_clear_errors(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        rules_from(tmp_path, text)


def test_shipped_rules_load_and_classify_a_budget():
    rules = load_rules(RULES)
    c = classify(rules, "上海市普陀区2024年区级部门预算", "一般公共预算财政拨款支出预算表", "普陀区万里街道")
    assert c.category == "财政预算"
    c = classify(rules, "国防部关于放假的通知", "正文", "国防部")
    assert "通知" in c.tags


def test_when_conditions_on_extracted_fields(tmp_path):
    rules = rules_from(tmp_path, """
rules:
  - name: 政府通知
    when:
      - issuer contains 人民政府
      - doc_type in [通知, 通报]
      - year >= 2020
    category: 政府文件
  - name: 涉密
    when: [secrecy is set]
    tags: [涉密]
    retention: 永久
    priority: 5
  - name: 一般
    when: ["doc_type not in [纪要]"]
    retention: 10年
""")
    values = {"issuer": "上海市人民政府", "doc_type": "通知", "year": 2024, "secrecy": None}
    c = classify(rules, "关于做好防汛工作的通知", "正文", "上海市人民政府", values)
    assert c.category == "政府文件"
    assert c.hits[0].matched == ("issuer contains 人民政府 (上海市人民政府)", "doc_type in [通知, 通报] (通知)",
                                 "year >= 2020 (2024)")
    assert c.tags == () and c.retention == "10年"
    old = classify(rules, "t", "", "上海市人民政府", values | {"year": 2019, "secrecy": "机密"})
    assert old.category is None  # year 2019 < 2020
    assert old.tags == ("涉密",) and old.retention == "永久"  # the higher priority chooses the 保管期限
    assert classify(rules, "t", "", "某某局", values | {"issuer": "某某局"}).category is None  # no 人民政府
    assert classify(rules, "t", "", None, {}).hits == ()  # a field that was not found satisfies nothing


def test_shipped_rules_choose_retention_and_org():
    rules = load_rules(RULES)
    values = {"issuer": "上海市人民政府", "doc_type": "决定", "year": 2024, "title": "关于表彰先进集体的决定"}
    c = classify(rules, values["title"], "正文", values["issuer"], values)
    assert c.retention == "永久"
    c = classify(rules, "关于召开会议的通知", "定于下周召开会议", "某某局", {"doc_type": "通知", "year": 2024})
    assert c.retention in ("10年", "30年")
