"""CTC prefix beam search with an optional character language model (archiver/ocr/lm.py).

A pure function of per-column probabilities, like greedy_decode, testable without a model.

Each prefix carries two log probabilities: of the paths that produce it and end in a blank (pb) and of
those that end in its last character (pnb). Extending a prefix with the character it already ends
with needs a blank in between (only pb extends it), while the same character in the next column
without a blank is the same character continued (pnb stays with the prefix).

What the language model may do, by design:
- it scores only hanzi (U+4E00-U+9FFF): a prefix extended with a digit, Latin letter or punctuation
  mark gets no LM term at all, so a digit run, a hyphen or a decimal point is never rewritten toward
  likelier text; the preceding characters still count as the context of the next hanzi;
- at a column whose acoustic best is a non-hanzi, non-blank symbol with p >= 0.5, hanzi are not
  candidates at all, and where it is a hanzi with p >= 0.5 no digit, letter or mark is (a hanzi the LM
  finds unlikely must not turn into a symbol the LM does not score);
- each hanzi gets an insertion bonus (default lm_weight times the model's mean hanzi cost on
  held-out text) so that the LM term does not, on average, favour dropping hanzi or choosing a
  non-hanzi candidate over a hanzi one;
- look-alike hanzi (LOOKALIKES: glyphs that differ by a stroke's tip, such as 人 and 入 or 己 and 已) are
  settled by the context: where the best class of an uncertain column has a look-alike, the look-alike is
  a candidate at most LOOKALIKE_GAP (natural log) below it, so an LM term that prefers it by more than
  LOOKALIKE_GAP / lm_weight takes it (收人 -> 收入), and a context that does not care leaves the glyph's
  own reading. A mark that is a hanzi's look-alike (+ beside 十) is scored like a hanzi, so that the two
  compete on the same terms (互联网十政务 -> 互联网+政务, 第十条 stays).

With or without the language model, a full stop '.' is read only where print puts one (STOP): after a digit
(and before a digit, letter, hanzi or opening mark) or a Latin letter, or in a leader of three dots or more;
a path through any other stop costs STOP_COST (2024年.上海 -> 2024年，上海 or 2024年上海, 77.70.% -> 77.70%).
Likewise, where the alphabet has 〈〉, a path that nests title marks otherwise than print does costs TITLE_COST
(《关于修改《条例》的决定》 -> 《关于修改〈条例〉的决定》).

The LM chooses among what a column could be, never against what it plainly is: a class under RIVAL_FLOOR of
its column's best is no candidate there, nor is the blank where the best is a hanzi (2024学年 stays, where 学 is
read at p 0.965 and the LM would take 年 at 0.004 after a year, or drop 学); and a hanzi's LM log-probability
counts no lower than LM_FLOOR.

Speed: only classes with p >= prune (at most max_candidates of them, blank always) are candidates in a
column; a column whose best class has p >= certain is taken as that class alone in O(beam), and a run
of such columns with the same class costs one step; when every column is certain the result is
greedy_decode's.
"""
from __future__ import annotations

import math

import numpy as np

from .decode import best_path

NEG_INF = float("-inf")
# Weight of the LM's natural-log score per hanzi. Sessions 5-11 used 0.3, chosen before measuring. 0.5 gains on
# the gov-dev lines of bench.ocr at every scan level (where it was chosen) and is flat, within a few characters
# of 23,000, on real text that benchmark never saw (bench.ocr_rendered: 0.13/0.14/0.18 % CER at 0.3,
# 0.15/0.16/0.19 % at 0.5). README "Decoding".
DEFAULT_LM_WEIGHT = 0.5
# A column's candidates are the classes with p at least RIVAL_FLOOR of its best class's (beside the absolute
# `prune`): the LM may not override a glyph read 100 times likelier than its rival (2024学年 -> 2024年年, a rival
# at 0.4 % of the best). Measured on saved probability matrices: 0.003 and 0.01 leave every one of the 600
# gov-dev lines as it was at each scan level, 0.03 costs 3 characters at poor; on the 3,259 gongwen-real lines
# rendered by us 0.01 changes one line (poor, better). 0.01 sits a factor 2.4 above that case and 3 below harm.
RIVAL_FLOOR = 0.01
# The LM's log-probability of a hanzi counts no lower than LM_FLOOR (natural log). Below it the n-gram's figure is
# backoff arithmetic on a context it never saw, not evidence: after a year it gives 学 -15.2 (年 -0.5), below
# its unknown-character floor (-12.7), and the search would drop a 学 read at p 0.97 (2024学年度 -> 2024年度).
# Measured on saved probability matrices (errors, all lines): gov-dev 27/49/389 -> 25/46/385 at clean/office/
# poor (-8: 25/48/387 with 8 lines worse; -12: 26/48/388); gongwen-real rendered by us 88/87/100 -> 86/86/95
# (-12: 89/88/96). Chosen on gov-dev; -8 and -12 bracket it.
LM_FLOOR = -10.0
_TABLES: dict[tuple[int, int], tuple] = {}
# Hanzi whose printed glyphs differ only by a stroke's tip or length; in a Song face at 200 dpi the model
# gives the wrong one of 人/入 p 0.98-0.998 in some budget tables (收人预算), a gap of 4-6 nats that only
# the context can close.
# + joins words in modern 公文 (互联网+政务服务, “企业+合作社”) and is drawn like 十 with longer strokes: the
# model reads it 十 at p 0.75-0.98 between hanzi (bench.ocr_rendered, 7 of 34 clean errors). Scored by the LM
# (not left unscored as other marks are), + is taken only where the context prefers it: on the gongwen-real text
# rendered by us, 2 lines better and none worse at each scan level (互联网+), none changed on the gov-dev lines;
# on 20,000 十 of the corpus, none would turn into + even with + a candidate just LOOKALIKE_GAP below.
LOOKALIKES = ("人入", "己已巳", "未末", "土士", "日曰", "戊戌戍", "十+")
# How far below the column's best a look-alike is put at most: with lm_weight 0.5 the LM must prefer it
# by 3 nats (收入 over 收人 after 财政拨款: 6.2; 人 over 入 after 工作: 7.2).
LOOKALIKE_GAP = 1.5
LOOKALIKE_FLOOR = math.exp(-LOOKALIKE_GAP)
# The full stop '.' stands, in print, after a digit (1.5, a heading's 1.), after a Latin letter (www.gov.cn),
# or in a run of three dots or more (a leader); after a digit, what follows it is a digit, a letter, a hanzi or
# an opening mark. In the official-register corpus (20.7 M characters) 3,528 of the 3,532 '.' are such; the other four
# are typos. A lone '.' elsewhere (2024年.上海, 编制部门：., 77.70.%) is a speck or a comma misread in a poor
# scan, and a path through one costs STOP_COST: more than the odds of any uncertain column's class against
# its alternatives (a column with p >= `certain` has none, and keeps what it reads).
STOP = "."
STOP_COST = 8.0
OPENING = "（(《“‘〔【［[「『"
# A title quoted inside a title takes 〈〉, never a second 《》 (GB/T 15834; 《国务院关于修改〈xx条例〉的决定》). Where
# the alphabet has 〈〉, a path that breaks that nesting within the line (a 《 inside an open 《, a 》 closing an
# open 〈, a 〉 closing an open 《, a second unmatched 》: the line began inside two titles) costs TITLE_COST, so
# that an uncertain 《/〈 (or 》/〉) column reads as the nesting requires; weights without 〈〉 are unaffected.
TITLE_OPEN, TITLE_CLOSE, INNER = "《", "》", "〈〉"
TITLE_COST = 4.0


def _lse(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


class _Stops:
    """Where a full stop may stand (see STOP): the class of '.', and per class whether it may stand before
    a lone stop (a digit or letter) and whether it may follow a digit's stop."""

    def __init__(self, charset, is_cjk: np.ndarray):
        self.stop = charset.index.get(STOP, -1)
        n = len(charset.chars) + 1
        self.digit = np.zeros(n, dtype=bool)
        self.letter = np.zeros(n, dtype=bool)
        self.after_digit = is_cjk.copy()
        for i, ch in enumerate(charset.chars, start=1):
            self.digit[i] = ch.isascii() and ch.isdigit()
            self.letter[i] = ch.isascii() and ch.isalpha()
            self.after_digit[i] |= self.digit[i] or self.letter[i] or ch in OPENING or ch == STOP

    def cost(self, l: tuple[int, ...], c: int | None) -> float:
        """What appending c (None: the line's end) to l costs where l ends in a stop that c leaves alone."""
        if c == self.stop:
            return 0.0  # the stop may begin or go on with a run of dots
        prev = l[-2] if len(l) > 1 else 0
        if prev == self.stop:  # a leader is three dots or more (the corpus has no run of two)
            return 0.0 if len(l) > 2 and l[-3] == self.stop else STOP_COST
        if self.letter[prev]:
            return 0.0
        if self.digit[prev] and (c is None or self.after_digit[c]):
            return 0.0
        return STOP_COST


class _Titles:
    """Where title marks may stand in a line (see TITLE_COST); nothing to check without 〈〉 in the alphabet."""

    def __init__(self, charset):
        active = all(c in charset.index for c in INNER + TITLE_OPEN + TITLE_CLOSE)
        self.open, self.close = (charset.index[TITLE_OPEN], charset.index[TITLE_CLOSE]) if active else (-1, -1)
        self.inner_open, self.inner_close = (charset.index[INNER[0]], charset.index[INNER[1]]) if active else (-1, -1)

    def cost(self, l: tuple[int, ...], c: int) -> float:
        """What appending c to l costs: a 《 inside an open 《, a 》 that would close an open 〈 or leave a
        second 》 unmatched, a 〉 that would close an open 《."""
        if c != self.open and c != self.close and c != self.inner_close:
            return 0.0
        stack: list[int] = []  # the title marks opened in the line and not yet closed
        unmatched = 0
        for k in l:
            if k == self.open or k == self.inner_open:
                stack.append(k)
            elif k == self.close or k == self.inner_close:
                if stack:
                    stack.pop()
                elif k == self.close:
                    unmatched += 1
        top = stack[-1] if stack else 0
        if c == self.open:
            bad = self.open in stack
        elif c == self.close:
            bad = top == self.inner_open or (not stack and unmatched > 0)
        else:
            bad = top == self.open
        return TITLE_COST if bad else 0.0


def _tables(charset, lm):
    """Per (charset, lm): hanzi flags per class, which classes the LM scores, the LM's id of each class
    (0 = unknown/blank), the look-alikes of each class, where a full stop may stand and how titles nest."""
    key = (id(charset), id(lm))
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is charset and hit[1] is lm:
        return hit[2:]
    is_cjk = np.zeros(len(charset.chars) + 1, dtype=bool)
    lm_id = [0] * (len(charset.chars) + 1)
    for i, ch in enumerate(charset.chars, start=1):
        is_cjk[i] = "\u4e00" <= ch <= "\u9fff"
        if lm is not None:
            lm_id[i] = lm.char_id(ch)
    twins: dict[int, tuple[int, ...]] = {}
    scored = is_cjk.copy()  # what the LM scores: hanzi, and a mark that is a hanzi's look-alike (+ beside 十)
    if lm is not None:  # without a context to settle them, look-alikes are left to the glyph
        for group in LOOKALIKES:
            ids = [charset.index[c] for c in group if c in charset.index]
            for i in ids:
                twins[i] = tuple(j for j in ids if j != i)
                scored[i] = True
    if len(_TABLES) > 16:
        _TABLES.clear()
    stops, titles = _Stops(charset, is_cjk), _Titles(charset)
    _TABLES[key] = (charset, lm, is_cjk, scored, lm_id, twins, stops, titles)
    return is_cjk, scored, lm_id, twins, stops, titles


def aligned_confidence(probs: np.ndarray, ids: list[int]) -> float:
    """Confidence of a label sequence like greedy_decode's: the Viterbi (best-path) alignment of ids
    to the columns, then the mean over characters of the best probability of the character in the
    columns aligned to it."""
    T = probs.shape[0]
    if not ids:
        return float(probs[:, 0].mean()) if T else 0.0
    labels = [0]
    for c in ids:
        labels += [c, 0]
    S = len(labels)
    lab = np.asarray(labels)
    em = np.log(np.maximum(probs[:, lab].astype(np.float64), 1e-30))  # (T, S)
    skip = np.zeros(S, dtype=bool)  # s may be entered from s-2
    for s in range(3, S, 2):
        skip[s] = labels[s] != labels[s - 2]
    score = np.full(S, NEG_INF)
    score[0] = em[0, 0]
    score[1] = em[0, 1]
    back = np.zeros((T, S), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    one = np.full(S, NEG_INF)
    two = np.full(S, NEG_INF)
    for t in range(1, T):
        one[1:] = score[:-1]
        two[2:] = score[:-2]
        two[~skip] = NEG_INF
        step = np.maximum(score, one)
        choice = (one > score).astype(np.int8)
        better = two > step
        choice[better] = 2
        back[t] = choice
        score = np.maximum(step, two) + em[t]
    s = S - 1 if score[S - 1] >= score[S - 2] else S - 2
    if score[s] == NEG_INF:
        return 0.0
    best = [0.0] * len(ids)
    for t in range(T - 1, -1, -1):
        if s % 2 == 1:
            j = s // 2
            best[j] = max(best[j], float(probs[t, ids[j]]))
        s -= int(back[t, s])
    return float(np.mean(best))


def beam_decode(probs: np.ndarray, charset, lm=None, length: int | None = None, beam: int = 8,
                lm_weight: float = DEFAULT_LM_WEIGHT, insertion_bonus: float | None = None, prune: float = 1e-3,
                certain: float = 0.999, max_candidates: int = 10,
                margin: float = 20.0) -> tuple[list[int], float]:
    """Decode a (T, C) softmax matrix (class 0 = CTC blank) with a prefix beam search.

    lm: a CharLM or None (pure acoustic beam search). lm_weight scales its natural-log scores;
    insertion_bonus is added per hanzi when the LM is used (None: lm_weight * lm.cjk_mean_cost).
    prune: a column's candidates are its classes with p >= prune (blank and the best class always),
    at most max_candidates; certain: a column whose best class has p >= certain is that class alone;
    margin: prefixes more than margin (natural log) below the best are dropped even inside the beam.
    Returns (class ids for charset.decode, confidence), the confidence computed like greedy_decode's
    (mean best probability of each emitted character along its best alignment)."""
    if length is not None:
        probs = probs[:length]
    T = probs.shape[0]
    if T == 0:
        return [], 0.0
    best = probs.argmax(axis=1)
    best_p = probs[np.arange(T), best]
    is_cert = best_p >= certain
    if is_cert.all():
        return best_path(best, best_p)
    use_lm = lm is not None and lm_weight != 0.0
    is_cjk, scored, lm_id, twins, stops, titles = _tables(charset, lm if use_lm else None)
    scorer = None
    if use_lm:
        bonus = lm_weight * lm.cjk_mean_cost if insertion_bonus is None else float(insertion_bonus)
        scorer = _LMScorer(lm, lm_id, lm_weight, bonus)
    best_l = best.tolist()
    best_pl = best_p.astype(np.float64).tolist()
    cert_l = is_cert.tolist()
    cand = _candidates(probs, np.nonzero(~is_cert)[0], best_l, best_pl, is_cjk, prune, max_candidates, twins)
    step = _Step(scored, scorer, beam, margin, stops, titles)
    beams: dict[tuple[int, ...], list[float]] = {(): [0.0, NEG_INF]}  # prefix -> [pb, pnb]
    t = 0
    while t < T:
        if cert_l[t]:
            end = t + 1
            while end < T and cert_l[end] and best_l[end] == best_l[t]:
                end += 1
            beams = step.certain_run(beams, best_l[t], best_pl[t:end])
            t = end
        else:
            beams = step.column(beams, probs[t], cand[t])
            t += 1
    return _result(beams, probs, best, best_p, stops)


def _candidates(probs: np.ndarray, unc: np.ndarray, best_l: list[int], best_pl: list[float], is_cjk: np.ndarray,
                prune: float, max_candidates: int, twins: dict[int, tuple[int, ...]] | None = None,
                ) -> dict[int, tuple[float, list[tuple[int, float]]]]:
    """Per uncertain column t: (ln p of blank, [(class, ln p)] of its non-blank candidates), the candidates
    being its classes with p >= prune and >= RIVAL_FLOOR of the best's (the best class always), at most
    max_candidates, and the best's look-alikes (twins) no more than LOOKALIKE_GAP below it; the blank is
    taken as impossible where the best is a hanzi and the blank is under RIVAL_FLOOR of it."""
    sub = probs[unc]
    rows, cols = np.nonzero(sub >= prune)
    vals = sub[rows, cols].astype(np.float64)
    per_row: dict[int, list[tuple[float, int]]] = {}
    for r, c, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
        per_row.setdefault(r, []).append((v, c))
    cand = {}
    for r, t in enumerate(unc.tolist()):
        lst = per_row.get(r, [])
        b = best_l[t]
        rival = best_pl[t] * RIVAL_FLOOR
        lst = [(v, c) for v, c in lst if v >= rival]
        if not any(c == b for _, c in lst):
            lst.append((best_pl[t], b))
        if b != 0 and best_pl[t] >= 0.5:  # a confident read keeps its kind: the LM may only choose the hanzi
            lst = [(v, c) for v, c in lst if c == 0 or is_cjk[c] == is_cjk[b]]  # among hanzi, never a digit
        lst.sort(reverse=True)
        lst = lst[:max_candidates]
        if twins and b in twins:
            floor = best_pl[t] * LOOKALIKE_FLOOR
            lst = [(max(v, floor) if c in twins[b] else v, c) for v, c in lst]
            lst += [(floor, w) for w in twins[b] if all(c != w for _, c in lst)]
        p_blank = float(probs[t, 0])
        if b != 0 and is_cjk[b] and p_blank < rival:  # nor may it drop a hanzi read plainly (2024学年 -> 2024年)
            p_blank = 0.0
        blank = math.log(max(p_blank, 1e-30))
        cand[t] = (blank, [(c, math.log(max(v, 1e-30))) for v, c in lst if c != 0])
    return cand


class _LMScorer:
    """The LM term (weight * ln p + insertion bonus) of extending a prefix with a class, cached by LM
    history. A prefix's history is made when it is first scored (most prefixes are pruned before they
    are ever extended by a hanzi)."""

    def __init__(self, lm, lm_id: list[int], weight: float, bonus: float):
        self.lm, self.lm_id, self.weight, self.bonus = lm, lm_id, weight, bonus
        self.hist: dict[tuple[int, ...], tuple[int, ...]] = {(): lm.empty_hist}
        self.cache: dict[tuple[tuple[int, ...], int], float] = {}

    def history(self, l: tuple[int, ...]) -> tuple[int, ...]:
        h = self.hist.get(l)
        if h is None:
            n = len(l) - 1
            while l[:n] not in self.hist:
                n -= 1
            h = self.hist[l[:n]]
            for k in range(n, len(l)):
                h = self.lm.extend(h, self.lm_id[l[k]])
                self.hist[l[:k + 1]] = h
        return h

    def terms(self, pending: list[tuple[tuple[int, ...], int]]) -> list[float]:
        """The LM term of each (prefix, class) in pending, the uncached ones scored in one batch."""
        out = [0.0] * len(pending)
        todo = []
        for i, (l, c) in enumerate(pending):
            key = (self.history(l), self.lm_id[c])
            v = self.cache.get(key)
            if v is None:
                todo.append((i, key))
            else:
                out[i] = v
        if todo:
            if len(todo) <= 4:  # scalar lookups beat building arrays for a few pairs
                scores = [self.lm.score_one(h, w) for _, (h, w) in todo]
            else:
                scores = self.lm.score_hist([k[0] for _, k in todo], [k[1] for _, k in todo]).tolist()
            for (i, key), s in zip(todo, scores):
                v = self.weight * max(s, LM_FLOOR) + self.bonus
                self.cache[key] = v
                out[i] = v
        return out


def _add_ext(new: dict, l: tuple[int, ...], c: int, val: float) -> None:
    """Add the paths of prefix l extended with c (ending in c) to new."""
    nl = l + (c,)
    e = new.get(nl)
    if e is None:
        new[nl] = [NEG_INF, val]
    else:
        e[1] = _lse(e[1], val)


class _Step:
    """One step of the search: the beams after a column, or after a run of certain columns of one class."""

    def __init__(self, scored: np.ndarray, scorer: _LMScorer | None, beam: int, margin: float, stops: _Stops,
                 titles: _Titles):
        self.scored, self.scorer, self.beam, self.margin = scored, scorer, beam, margin
        self.stops, self.titles = stops, titles

    def prune(self, new: dict) -> dict:
        """The best `beam` prefixes, none more than margin below the best."""
        if len(new) == 1:
            return new
        ranked = sorted(((_lse(v[0], v[1]), l, v) for l, v in new.items()), key=lambda x: x[0], reverse=True)
        floor = ranked[0][0] - self.margin
        return {l: v for s, l, v in ranked[:self.beam] if s >= floor}

    def add_scored(self, new: dict, pending: list[tuple[tuple[int, ...], int, float]]) -> None:
        """Add each (prefix, hanzi, acoustic score) extension to new with its LM term."""
        if pending:
            terms = self.scorer.terms([(l, c) for l, c, _ in pending])
            for (l, c, base), term in zip(pending, terms):
                _add_ext(new, l, c, base + term)

    def certain_run(self, beams: dict, k: int, probs: list[float]) -> dict:
        """Columns each taken as class k alone (p >= certain), in one step: one class, no choice to make."""
        lps = [math.log(p) for p in probs]
        if k == 0:
            total = sum(lps)
            return {l: [_lse(pb, pnb) + total, NEG_INF] for l, (pb, pnb) in beams.items()}
        lk = lps[0]
        new: dict[tuple[int, ...], list[float]] = {}
        ext = []
        for l, (pb, pnb) in beams.items():
            if l and l[-1] == k:
                e = new.get(l)
                if e is None:
                    new[l] = [NEG_INF, pnb + lk]
                else:
                    e[1] = _lse(e[1], pnb + lk)
                base = pb + lk
            else:
                base = _lse(pb, pnb) + lk
                if l and l[-1] == self.stops.stop:
                    base -= self.stops.cost(l, k)
                base -= self.titles.cost(l, k)
            if base != NEG_INF:
                ext.append((l, base))
        # a lone hypothesis (nothing stays, one extension): an LM term would rank nothing
        if self.scorer is not None and self.scored[k] and (len(ext) > 1 or new):
            self.add_scored(new, [(l, k, base) for l, base in ext])
        else:
            for l, base in ext:
                _add_ext(new, l, k, base)
        rest = sum(lps[1:])
        if rest:
            for e in new.values():
                e[1] += rest
        return self.prune(new)

    def column(self, beams: dict, row: np.ndarray, cand: tuple[float, list[tuple[int, float]]]) -> dict:
        """One uncertain column: each prefix stays (a blank, or its last character continued) or is
        extended by one of the column's candidates."""
        lpb, cands = cand
        new: dict[tuple[int, ...], list[float]] = {}
        pending = []  # hanzi extensions, added with their LM terms in one batch once the column is done
        stop = self.stops.stop
        for l, (pb, pnb) in beams.items():
            tot = _lse(pb, pnb)
            last = l[-1] if l else 0
            stay_b = tot + lpb
            stay_nb = NEG_INF
            if last and pnb != NEG_INF:
                stay_nb = pnb + math.log(max(float(row[last]), 1e-30))
            e = new.get(l)
            if e is None:
                new[l] = [stay_b, stay_nb]
            else:
                e[0] = _lse(e[0], stay_b)
                e[1] = _lse(e[1], stay_nb)
            for c, lpc in cands:
                base = (pb if c == last else tot) + lpc
                if base == NEG_INF:
                    continue
                if last == stop and c != last:
                    base -= self.stops.cost(l, c)
                base -= self.titles.cost(l, c)
                if self.scorer is not None and self.scored[c]:
                    pending.append((l, c, base))
                else:
                    _add_ext(new, l, c, base)
        self.add_scored(new, pending)
        return self.prune(new)


def _result(beams: dict, probs: np.ndarray, best: np.ndarray, best_p: np.ndarray,
            stops: _Stops) -> tuple[list[int], float]:
    """The best prefix (a lone stop at the line's end paying its cost) and its confidence: greedy_decode's
    where it reads the same, else along its own best alignment."""
    def total(kv) -> float:
        l, (pb, pnb) = kv
        end = stops.cost(l, None) if l and l[-1] == stops.stop else 0.0
        return _lse(pb, pnb) - end
    top = max(beams.items(), key=total)[0]
    ids = list(top)
    g_ids, g_conf = best_path(best, best_p)
    if ids == g_ids:
        return ids, g_conf
    return ids, aligned_confidence(probs, ids)
