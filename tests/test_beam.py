"""CTC prefix beam search and the character language model, on hand-built probability matrices."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from archiver.ocr.beam import aligned_confidence, beam_decode
from archiver.ocr.charset import Charset
from archiver.ocr.decode import greedy_decode
from archiver.ocr.lm import DEFAULT_LM, CharLM

WEIGHTS = Path(__file__).resolve().parents[1] / "archiver" / "ocr" / "weights"
CHARS = ("a", "b", "1", "2", "3", "0", "5", "7", "-", ".", "通", "知", "涌", "如", "下", "现", "将", "有", "关",
         "事", "项", "第", "一", "条", "邮", "编", "号", "二", "三")
CS = Charset(CHARS)
B = "_"  # blank in column specs


def col(spec: dict[str, float], cs: Charset = CS) -> np.ndarray:
    """One softmax column: the given characters (B = blank) and the rest spread thinly."""
    c = np.full(cs.num_classes, 1e-7, dtype=np.float64)
    for ch, p in spec.items():
        c[0 if ch == B else cs.index[ch]] = p
    return (c / c.sum()).astype(np.float32)


def mat(cols: list, cs: Charset = CS) -> np.ndarray:
    """Rows from specs: a str is that character (or blank) at p, a dict is given as is."""
    rows = []
    for spec in cols:
        if isinstance(spec, str):
            spec = {spec: 1.0}
        rows.append(col(spec, cs))
    return np.stack(rows) if rows else np.zeros((0, cs.num_classes), dtype=np.float32)


def text_cols(text: str, p: float = 0.9999, blanks: bool = True) -> list:
    """Columns that read `text` with certainty p: each character then a blank."""
    out: list = []
    for ch in text:
        out.append({ch: p, B: 1 - p} if p < 1 else ch)
        if blanks:
            out.append({B: p, ch: 1 - p} if p < 1 else B)
    return out


@pytest.fixture(scope="module")
def lm() -> CharLM:
    return CharLM.load(DEFAULT_LM)


def decode(m, lm=None, cs=CS, **kw) -> str:
    ids, _ = beam_decode(m, cs, lm, **kw)
    return cs.decode(ids)


# --- CTC mechanics ------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [1.0, 0.9, 0.8])
def test_blank_separates_repeats(p):
    q = 1 - p
    one_blank_one = mat([{"1": p, B: q}, {B: p, "1": q}, {"1": p, B: q}])
    one_one = mat([{"1": p, B: q}, {"1": p, B: q}])
    assert decode(one_blank_one) == "11"
    assert decode(one_one) == "1"


def test_prefix_sum_beats_best_path():
    # best path is blank-blank (0.36), but the paths that read "a" sum to 0.64: the prefix search
    # adds up alignments, greedy does not
    m = mat([{B: 0.6, "a": 0.4}, {B: 0.6, "a": 0.4}])
    assert greedy_decode(m)[0] == []
    ids, conf = beam_decode(m, CS, None)
    assert CS.decode(ids) == "a" and conf == pytest.approx(0.4, abs=1e-4)


def test_certain_matrix_equals_greedy():
    m = mat([B, "a", "a", B, "a", "b", B, "1", "1", "2", B])
    assert beam_decode(m, CS, None) == greedy_decode(m)
    assert CS.decode(beam_decode(m, CS, None)[0]) == "aab12"


def test_clear_uncertain_matrix_equals_greedy():
    m = mat(text_cols("ab12a", p=0.95))
    ids, conf = beam_decode(m, CS, None)
    g_ids, g_conf = greedy_decode(m)
    assert ids == g_ids and conf == pytest.approx(g_conf)


def test_certain_runs_collapse():
    # runs of certain columns among uncertain ones: same answer as the column-by-column result
    m = mat([B, B, "a", "a", "a", {"a": 0.6, B: 0.4}, B, B, "a", {"b": 0.7, "a": 0.3}, "b", B])
    assert decode(m) == "aab"
    assert decode(m, certain=1.01) == "aab"  # no column treated as certain


def test_empty_and_all_blank():
    assert beam_decode(mat([]), CS, None) == ([], 0.0)
    ids, conf = beam_decode(mat([B, B, B]), CS, None)
    assert ids == [] and conf == pytest.approx(1.0, abs=1e-4)
    ids, _ = beam_decode(mat([{B: 0.9, "a": 0.1}] * 3), CS, None)
    assert ids == []
    assert beam_decode(np.zeros((0, CS.num_classes), np.float32), CS, None, length=0) == ([], 0.0)


def test_length_cuts_the_matrix():
    m = mat(text_cols("ab", p=0.9) + text_cols("12", p=0.9))
    assert decode(m, length=4) == "ab"


def test_pruned_columns_and_candidate_cap():
    m = mat([{c: 1 / len(CHARS) for c in CHARS}, B])  # flat column: top max_candidates only
    ids, conf = beam_decode(m, CS, None, max_candidates=3)
    assert len(ids) <= 1 and 0.0 <= conf <= 1.0


def test_aligned_confidence_matches_greedy_on_best_path():
    m = mat([{"a": 0.8, B: 0.2}, {"a": 0.6, B: 0.4}, {B: 0.9, "b": 0.1}, {"b": 0.7, B: 0.3}])
    g_ids, g_conf = greedy_decode(m)
    assert aligned_confidence(m, g_ids) == pytest.approx(g_conf)


# --- the language model -------------------------------------------------------------------------
def test_lm_file_is_compact_and_normalised(lm):
    assert (WEIGHTS / "lm.npz").stat().st_size < 30_000_000
    assert lm.order in (4, 5)
    for ctx in ("", "通", "有关事项", "2024年"):
        h = lm.history(ctx)
        ids = list(range(1, lm.V))
        total = np.exp(lm.score_hist([h] * len(ids), ids)).sum() + np.exp(lm.unk_lp)
        assert total == pytest.approx(1.0, abs=2e-3)


def test_lm_scalar_and_batch_agree(lm):
    rng = random.Random(3)
    text = "根据国务院有关规定，现将有关事项通知如下。第711号2024年邮编223100"
    for _ in range(50):
        i = rng.randrange(1, len(text))
        ctx, ch = text[max(0, i - 6):i], text[i] if rng.random() < 0.7 else rng.choice(lm.vocab)
        one = lm.score(ctx, ch)
        batch = lm.score_hist([lm.history(ctx)], [lm.char_id(ch)])[0]
        assert one == pytest.approx(batch)
    assert lm.score("通", "\U0002a6a5") == lm.unk_lp  # outside the model: the floor
    assert CharLM.load(DEFAULT_LM) is lm  # cached per process


def test_lm_prefers_official_sentence_to_shuffles(lm):
    s = "根据国务院有关规定，现将有关事项通知如下。"
    good = lm.sentence_logprob(s)
    rng = random.Random(0)
    for _ in range(20):
        chars = list(s)
        rng.shuffle(chars)
        if "".join(chars) != s:
            assert good > lm.sentence_logprob("".join(chars)) + 10
    assert lm.score("事项通", "知") > lm.score("事项通", "涌")


def test_lm_fixes_ambiguous_hanzi(lm):
    # "现将有关事项通?如下": the model says 涌 55 / 知 45; the LM knows 通知
    cols = text_cols("现将有关事项通") + [{"涌": 0.55, "知": 0.45}, B] + text_cols("如下")
    m = mat(cols)
    assert decode(m) == "现将有关事项通涌如下"           # acoustic only
    assert decode(m, lm) == "现将有关事项通知如下"
    ids, conf = beam_decode(m, CS, lm)
    assert 0.4 < conf < 1.0


def test_lm_fixes_ambiguous_hanzi_real_charset(lm):
    cs = Charset.load(WEIGHTS / "charset.txt")
    cols = text_cols("根据国务院有关规定，现将有关事项通", p=0.999) + [{"涌": 0.55, "知": 0.45}] + \
        text_cols("如下。", p=0.999)
    m = mat(cols, cs)
    assert decode(m, None, cs) == "根据国务院有关规定，现将有关事项通涌如下。"
    assert decode(m, lm, cs) == "根据国务院有关规定，现将有关事项通知如下。"


def test_a_look_alike_read_surely_is_settled_by_the_context(lm):
    """入 read as 人 at p 0.998 (a Song face in a budget table): the look-alike is a candidate within
    LOOKALIKE_GAP, and the context takes it; where the context wants 人, or there is no LM, 人 stays."""
    cs = Charset.load(WEIGHTS / "charset.txt")
    misread = [{"人": 0.998, "入": 0.0015, B: 0.0005}, B]
    m = mat(text_cols("财政拨款收", p=0.9995) + misread + text_cols("预算", p=0.9995), cs)
    assert decode(m, None, cs) == "财政拨款收人预算"
    assert decode(m, lm, cs) == "财政拨款收入预算"
    m = mat(text_cols("单位工作", p=0.9995) + misread + text_cols("员", p=0.9995), cs)
    assert decode(m, lm, cs) == "单位工作人员"
    # a pair that is no look-alike is not pulled in: 知 at p 0.0015 under 涌 stays out of reach
    m = mat(text_cols("现将有关事项通", p=0.9995) + [{"涌": 0.998, "知": 0.0015, B: 0.0005}, B]
            + text_cols("如下", p=0.9995), cs)
    assert decode(m, lm, cs) == "现将有关事项通涌如下"


def test_the_lm_does_not_override_a_glyph_read_plainly(lm, monkeypatch):
    """学 read at p 0.965 after a year, 年 its rival at 0.004: the LM would take 年 (2024年年); a class under
    RIVAL_FLOOR of its column's best is no candidate, so 2024学年 stays, and a rival above it is still taken."""
    from archiver.ocr import beam

    cs = Charset.load(WEIGHTS / "charset.txt")
    read = [{"学": 0.965, "掌": 0.007, "毕": 0.005, "年": 0.004, B: 0.0023}, B]  # as the model gave it
    m = mat(text_cols("2023—2024", p=0.9995) + read + text_cols("年度", p=0.9995), cs)
    assert decode(m, lm, cs) == "2023—2024学年度"
    monkeypatch.setattr(beam, "RIVAL_FLOOR", 0.0)
    assert decode(m, lm, cs) == "2023—2024年年度"  # what the floor prevents
    monkeypatch.undo()
    close = [{"学": 0.6, "年": 0.39, B: 0.01}, B]
    assert decode(mat(text_cols("2023—2024", p=0.9995) + close + text_cols("度", p=0.9995), cs), lm, cs) == "2023—2024年度"


def test_a_hanzi_lm_score_counts_no_lower_than_the_floor(lm):
    """After a year the n-gram gives 学 ln p -15 (backoff on an unseen context, below its unknown-character
    floor); the search counts it at LM_FLOOR, and a likely character at its own score."""
    from archiver.ocr.beam import LM_FLOOR, _LMScorer, _tables

    cs = Charset.load(WEIGHTS / "charset.txt")
    lm_id = _tables(cs, lm)[2]
    assert lm.score("2024", "学") < LM_FLOOR < lm.score("2024", "年")
    scorer = _LMScorer(lm, lm_id, 0.5, 1.0)
    year = tuple(cs.index[c] for c in "2024")
    xue, nian = scorer.terms([(year, cs.index["学"]), (year, cs.index["年"])])
    assert xue == pytest.approx(0.5 * LM_FLOOR + 1.0)
    assert nian == pytest.approx(0.5 * lm.score("2024", "年") + 1.0, abs=1e-4)


def test_a_plus_read_as_shi_is_settled_by_the_context(lm):
    """互联网+ drawn like 十 (the model gives 十 p 0.75-0.98): + is 十's look-alike and, like a hanzi, is
    scored by the LM, so 互联网+政务 is read; where 十 is a numeral (第十条, 减灾十年) it stays."""
    cs = Charset.load(WEIGHTS / "charset.txt")
    misread = [{"十": 0.95, "+": 0.0005, B: 0.0495}, B]
    m = mat(text_cols("推进互联网", p=0.9995) + misread + text_cols("政务服务", p=0.9995), cs)
    assert decode(m, None, cs) == "推进互联网十政务服务"
    assert decode(m, lm, cs) == "推进互联网+政务服务"
    for left, right in (("依照第", "条规定"), ("防震减灾", "年目标")):
        m = mat(text_cols(left, p=0.9995) + misread + text_cols(right, p=0.9995), cs)
        assert decode(m, lm, cs) == f"{left}十{right}"


def test_a_title_inside_a_title_takes_single_angle_brackets():
    """《 opened inside an open 《, or a second unmatched 》, costs TITLE_COST where the alphabet has 〈〉: an
    uncertain column then reads 〈 (〉); alone, or with an alphabet without 〈〉, the column reads as it is."""
    cs = Charset(CHARS + ("《", "》", "〈", "〉"))
    opening, closing = [{"《": 0.7, "〈": 0.3}, B], [{"》": 0.66, "〉": 0.34}, B]
    m = mat(text_cols("《") + text_cols("现将") + opening + text_cols("通知") + closing + text_cols("有关》"), cs)
    assert decode(m, None, cs) == "《现将〈通知〉有关》"
    m = mat(text_cols("现将") + opening + text_cols("通知"), cs)  # the outer title began on an earlier line
    assert decode(m, None, cs) == "现将《通知"
    m = mat(text_cols("通知") + closing + text_cols("有关》"), cs)  # ...and ends here: the first closing is inner
    assert decode(m, None, cs) == "通知〉有关》"
    m = mat(text_cols("《通知》") + text_cols("有关") + closing, cs)  # two titles side by side
    assert decode(m, None, cs) == "《通知》有关》"
    old = Charset(CHARS + ("《", "》"))
    m = mat(text_cols("《") + text_cols("现将") + [{"《": 0.7, B: 0.3}, B] + text_cols("通知"), old)
    assert decode(m, None, old) == "《现将《通知"


def test_lm_never_rewrites_digits(lm):
    # a digit the acoustic model favours stays, even where the LM would love a hanzi (第一条)
    m = mat(text_cols("第") + [{"1": 0.55, "一": 0.45}, B] + text_cols("条"))
    assert lm.score("第", "一") > -3  # the LM would rather read 第一条
    assert decode(m, lm) == "第1条"
    # an ambiguous digit column in a postcode: the acoustic reading wins, whatever the LM likes
    cols = text_cols("邮编22") + [{"3": 0.55, "2": 0.3, "二": 0.15}, B] + text_cols("100")
    assert decode(mat(cols), lm) == "邮编223100"
    # a hyphen is not rewritten to 一, nor a decimal point dropped
    cols = text_cols("0517") + [{"-": 0.6, "一": 0.4}, B] + text_cols("1")
    assert decode(mat(cols), lm) == "0517-1"
    cols = text_cols("3") + [{".": 0.55, B: 0.45}] + text_cols("20")
    assert decode(mat(cols), lm) == "3.20"


def test_lm_weight_zero_is_acoustic(lm):
    cols = text_cols("有关事项通") + [{"涌": 0.55, "知": 0.45}, B]
    assert decode(mat(cols), lm, lm_weight=0.0) == decode(mat(cols)) == "有关事项通涌"


def test_matches_exhaustive_prefix_probabilities():
    """Against the sum over all alignments, on small random matrices: with a wide beam and nothing
    pruned, the prefix search finds the most probable labelling (repeats, blanks and all)."""
    import itertools

    cs = Charset(("a", "b", "c"))
    rng = np.random.default_rng(5)
    for _ in range(30):
        T = int(rng.integers(1, 6))
        m = rng.dirichlet(np.full(4, 0.6), size=T).astype(np.float64)
        totals: dict[tuple[int, ...], float] = {}
        for path in itertools.product(range(4), repeat=T):
            label, prev = [], 0
            for k in path:
                if k and k != prev:
                    label.append(k)
                prev = k
            p = float(np.prod(m[np.arange(T), path]))
            totals[tuple(label)] = totals.get(tuple(label), 0.0) + p
        want = max(totals.values())
        ids, _ = beam_decode(m, cs, None, beam=64, prune=0.0, certain=1.01, margin=1e9)
        assert totals[tuple(ids)] == pytest.approx(want, rel=1e-9)


def test_lm_and_repeated_hanzi(lm):
    # 通 then 通 again after a blank: a doubled character is read as two only with the blank
    cols = text_cols("有关事项") + [{"通": 0.9, B: 0.1}, {B: 0.9, "通": 0.1}, {"通": 0.9, B: 0.1}] + text_cols("知")
    assert decode(mat(cols)) == "有关事项通通知"
    # at p = 0.9 the LM (weight 0.3) may still undo an unlikely doubling: 事项通通 costs ~7 nats more
    assert decode(mat(cols), lm, lm_weight=0.3) == "有关事项通知"
    cols = text_cols("有关事项") + ["通", "通", "通", B] + text_cols("知")
    assert decode(mat(cols), lm) == "有关事项通知"
    cols = text_cols("有关事项", p=0.99) + ["通", B, "通", B] + text_cols("知", p=0.99)
    assert decode(mat(cols), lm) == "有关事项通通知"  # certain columns are never second-guessed


def test_a_lone_full_stop_stands_only_where_print_puts_one():
    """'.' after a digit (1.5, a heading's 1.), after a letter, or in a leader of three or more; a lone one
    after a hanzi or a mark, two dots, or a digit's stop before '%' is a speck or a misread comma."""
    cs = Charset(("1", "2", "4", "5", "7", "0", "%", "a", ".", "，", "：", "年", "上", "海", "（"))
    stop = {".": 0.6, B: 0.4}
    cols = lambda *parts: mat([c for p in parts for c in (text_cols(p, p=1.0) if isinstance(p, str) else p)], cs)  # noqa: E731
    assert decode(cols("2024年", [stop, B], "上海"), cs=cs) == "2024年上海"
    assert decode(cols("2024年", [{".": 0.6, "，": 0.35, B: 0.05}, B], "上海"), cs=cs) == "2024年，上海"
    assert decode(cols("：", [stop, B], "上"), cs=cs) == "：上"
    assert decode(cols("年", [stop, B]), cs=cs) == "年"  # nor at the line's end
    assert decode(cols("77.70", [stop, B], "%"), cs=cs) == "77.70%"
    assert decode(cols("年", [stop, B, stop, B], "上"), cs=cs) == "年上"  # no run of two
    # where print puts one, the same uncertain column is read
    assert decode(cols("1", [stop, B], "5"), cs=cs) == "1.5"
    assert decode(cols("1", [stop, B], "上海"), cs=cs) == "1.上海"
    assert decode(cols("1", [stop, B], "（"), cs=cs) == "1.（"
    assert decode(cols("a", [stop, B], "a"), cs=cs) == "a.a"
    assert decode(cols("12", [stop, B]), cs=cs) == "12."
    assert decode(cols("年", [stop, B, stop, B, stop, B], "上"), cs=cs) == "年...上"
    # a stop read surely is kept, and greedy decoding has no such rule
    assert decode(cols("年.上"), cs=cs) == "年.上"
    assert cs.decode(greedy_decode(cols("2024年", [stop, B], "上海"))[0]) == "2024年.上海"
