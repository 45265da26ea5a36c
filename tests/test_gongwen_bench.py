"""The labelled document generator of the 公文 benchmark: deterministic, and its truth agrees with what
it drew (the clean-text reading must recover every field), in every layout it makes."""
from __future__ import annotations

import numpy as np
import pytest

from archiver.classify.gongwen import extract
from bench.gongwen import Score, canon, layout_table
from bench.gongwen_pages import FIELDS, LAYOUTS, make_sample


def test_same_seed_same_pages_and_truth():
    a, b = make_sample(7), make_sample(7)
    assert np.array_equal(a.image, b.image) and a.truth == b.truth and a.page_lines == b.page_lines
    assert not np.array_equal(a.image, make_sample(8).image)
    c = make_sample(7, layout="order")
    assert c.layout == "order" and c.truth == make_sample(7, layout="order").truth
    with pytest.raises(ValueError):
        make_sample(7, layout="poster")


def _red(img) -> int:
    return int(((img[..., 0] > 150) & (img[..., 1] < 90)).sum())


def test_clean_text_recovers_the_truth_and_scoring_counts_inventions():
    # 1000 令 over two pages, 1002 as published with an 印发 title, 1004 信函 over two pages, 1009 文件 over
    # two pages, 1046 as published with a 转发 title and the forwarded text's own date, 1013 no 公文
    score, layouts = Score(), set()
    for seed in (1000, 1002, 1004, 1009, 1046, 1013):
        s = make_sample(seed)
        layouts.add(s.layout)
        assert all(img.shape == (1754, 1240, 3) for img in s.images)
        if s.layout in ("file", "letter", "order"):
            assert _red(s.image) > 2000  # the red 版头 (and rule) are there
        if s.layout == "published":
            assert _red(s.image) == 0 and s.truth["header"] is None  # no 版头, no seal
        score.add(s.name, s.truth, extract(s.texts(), s.boxes()))
    assert layouts == {"order", "published", "letter", "file", "other"}
    assert sum(score.present.values()) > 40
    assert score.correct == score.present and sum(score.invented.values()) == 0
    bad = Score()
    bad.add("x", {f: None for f in FIELDS}, extract(["某某局文件\n某发〔2024〕1号\n关于某事的通知"]))
    assert bad.invented["doc_number"] == 1 and bad.invented["header"] == 1


@pytest.mark.parametrize("layout", [lay for lay in LAYOUTS if lay != "other"])
def test_every_layout_reads_its_key_fields_from_clean_text(layout):
    score = Score()
    for seed in range(3):
        s = make_sample(seed, layout=layout)
        assert s.layout == layout
        score.add(s.name, s.truth, extract(s.texts(), s.boxes()))
    for f in ("title", "doc_type", "issuer", "date") + (() if layout == "order" else ("doc_number",)):
        assert score.correct[f] == score.present[f], (layout, f, score.misses)
    if layout == "order":
        assert s.truth["doc_type"] == "命令" and s.truth["doc_number"].endswith("号") and "令第" in s.truth["doc_number"]
    assert f"| {layout} | 3 |" in layout_table("t", {layout: score})


def test_a_provincial_order_keeps_its_number():
    s = make_sample(1, layout="order")
    assert extract(s.texts(), s.boxes()).doc_number == s.truth["doc_number"] == "上海市人民政府令第61号"


def test_multi_page_documents_have_the_title_first_and_the_date_last():
    s = make_sample(1006)  # a 信函 over three pages
    assert len(s.images) == 3 and s.layout == "letter"
    m = extract(s.texts(), s.boxes())
    assert canon("title", m.title) == canon("title", s.truth["title"]) and m.date == s.truth["date"]
    assert [sp.page for sp in m.spans if sp.field == "date"] == [len(s.images)]
    assert any(t.startswith("—") for t, _ in s.page_lines[-1])  # page numbers at the foot


def test_joint_issuers_and_forwarding_titles():
    joint = [make_sample(seed) for seed in (1041, 1047)]  # as published, and 文件 headed by the 主办机关 alone
    assert all("、" in s.truth["issuer"] for s in joint)
    assert all(extract(s.texts(), s.boxes()).issuer == s.truth["issuer"] for s in joint)
    forwarding = [make_sample(seed) for seed in (1010, 1017, 1046)]  # 批转, 批转, 转发 (each with the text it carries)
    assert all(len(s.images) > 1 and ("转发" in s.truth["title"] or "批转" in s.truth["title"]) for s in forwarding)
    for s in forwarding:  # the one who forwards is the issuer, and the forwarded text's date is not taken
        m = extract(s.texts(), s.boxes())
        assert (m.issuer, m.date, m.doc_type) == (s.truth["issuer"], s.truth["date"], "通知")


def test_canon_folds_brackets_width_and_spaces():
    assert canon("doc_number", "国办发[2024] 12号") == canon("doc_number", "国办发〔2024〕12号")
    assert canon("cc", "甲，乙。") == canon("cc", "甲,乙")
    assert canon("title", None) is None
