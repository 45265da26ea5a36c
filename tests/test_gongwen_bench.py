"""The labelled page generator of the 公文 benchmark: deterministic, and its truth agrees with what
it drew (the clean-text reading must recover every field)."""
from __future__ import annotations

import numpy as np

from archiver.classify.gongwen import extract
from bench.gongwen import Score, canon
from bench.gongwen_pages import FIELDS, make_sample


def test_same_seed_same_page_and_truth():
    a, b = make_sample(7), make_sample(7)
    assert np.array_equal(a.image, b.image) and a.truth == b.truth and a.lines == b.lines
    assert not np.array_equal(a.image, make_sample(8).image)


def test_clean_text_recovers_the_truth_and_scoring_counts_inventions():
    score = Score()
    for seed in (1000, 1001, 1002, 1031):
        s = make_sample(seed)
        assert s.image.shape == (1754, 1240, 3)
        red = (s.image[..., 0] > 150) & (s.image[..., 1] < 90)
        assert red.sum() > 2000  # the red 版头 and rule are there
        score.add(s.name, s.truth, extract(["\n".join(t for t, _ in s.lines)], [[b for _, b in s.lines]]))
    assert sum(score.present.values()) > 40
    assert score.correct == score.present and sum(score.invented.values()) == 0
    bad = Score()
    bad.add("x", {f: None for f in FIELDS}, extract(["某某局文件\n某发〔2024〕1号\n关于某事的通知"]))
    assert bad.invented["doc_number"] == 1 and bad.invented["header"] == 1


def test_canon_folds_brackets_width_and_spaces():
    assert canon("doc_number", "国办发[2024] 12号") == canon("doc_number", "国办发〔2024〕12号")
    assert canon("cc", "甲，乙。") == canon("cc", "甲,乙")
    assert canon("title", None) is None
