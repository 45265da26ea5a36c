"""A line that is a date by its shape (`二〇〇四年三月二日`, `2019年1月9日`, as a 成文日期 stands) but not a
valid date as read is read again under a date grammar: four year digits in one script, a month of 1-12,
a day the month has. Under a lifted seal the recogniser drops a doubled 〇 (二〇四年), reads 〇〇 as 十 or
a bracket (二十六年, 二)四年) or a 0 as 9 (2918年); the probability matrix still holds the right path, and
the grammar finds the likeliest one it allows: a CTC prefix beam search over the date's own characters
that drops every prefix no date begins with.

Only lines whose whole text is a date by shape are touched (digits or numerals, 年, one to three
characters, 月, one to four, 日), so a sentence that mentions a date is read as it was."""
from __future__ import annotations

import datetime
import math
import re
from functools import lru_cache

import numpy as np

from .charset import Charset

FIRST_YEAR, LAST_YEAR = 1900, 2099  # the years a 公文's date can have (a table may date a plan decades ahead)
CN_DIGITS = "〇一二三四五六七八九"
SAME_AS = {"○": "〇"}  # a class the recogniser may give for 〇: its probability counts for 〇
BEAM = 16
# How far (natural log) below the free reading's best path the date may lie. On the grey seal pages of
# gongwen-real (first and last page of each 文件/信函 render) the dates read back lay 2.7-8.3 below it;
# a digit the matrix does not hold at all costs ~14 (p 1e-6), so 12 keeps 3.7 of margin either way.
MAX_GAP = 12.0

# Whole line, spaces removed: 2-6 characters before 年 (a year as read, damaged), 1-3 before 月, 1-4 before 日,
# and at most two marks after it (a lifted seal's edge read as 1 or a bracket).
_SHAPE = re.compile(r"^(.{2,6})年(.{1,3})月(.{1,4})日(.{0,2})$")
_NUMERAL = re.compile(r"[0-9〇○一二三四五六七八九十零OoΟ]")
NUMERALS = "0123456789〇○零一二三四五六七八九十"


def _cn_number(n: int) -> str:
    """1..31 as written in a date: 一, 十, 十一, 二十, 二十一, 三十一."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones else "")


def _tables() -> dict[str, tuple[frozenset[str], ...]]:
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    cn_year = frozenset("".join(CN_DIGITS[int(d)] for d in str(y)) for y in years)
    ar_year = frozenset(str(y) for y in years)
    cn = (cn_year, frozenset({"年"}), frozenset(_cn_number(m) for m in range(1, 13)), frozenset({"月"}),
          frozenset(_cn_number(d) for d in range(1, 32)), frozenset({"日"}))
    ar = (ar_year, frozenset({"年"}), frozenset({str(m) for m in range(1, 13)} | {f"{m:02d}" for m in range(1, 10)}),
          frozenset({"月"}), frozenset({str(d) for d in range(1, 32)} | {f"{d:02d}" for d in range(1, 10)}),
          frozenset({"日"}))
    return {"cn": cn, "ar": ar}


TABLES = _tables()
ALPHABET = "".join(sorted({c for t in TABLES.values() for seg in t for s in seg for c in s}))


def _fits(text: str, segments: tuple[frozenset[str], ...], whole: bool) -> bool:
    """text is the start of (whole=False) or exactly (whole=True) a string of the segments in order."""
    if not segments:
        return not text
    if not text:
        return not whole
    seg, rest = segments[0], segments[1:]
    if not whole and any(s.startswith(text) for s in seg):
        return True
    return any(text.startswith(s) and _fits(text[len(s):], rest, whole) for s in seg if len(s) <= len(text))


@lru_cache(maxsize=65536)
def viable(prefix: str) -> bool:
    """Some date begins with prefix."""
    return any(_fits(prefix, t, whole=False) for t in TABLES.values())


_CN_VALUE = {_cn_number(n): n for n in range(1, 32)}


def _value(s: str) -> int:
    """A year, month or day as written: Arabic digits, four Chinese digits, or 一..三十一."""
    if s.isdigit():
        return int(s)
    if len(s) == 4 and all(c in CN_DIGITS for c in s):
        return int("".join(str(CN_DIGITS.index(c)) for c in s))
    return _CN_VALUE[s]


def _real_day(text: str) -> bool:
    """A day of the calendar (no 2月30日)."""
    year, rest = text.split("年", 1)
    month, day = rest.rstrip("日").split("月", 1)
    try:
        datetime.date(_value(year), _value(month), _value(day))
    except (ValueError, KeyError):
        return False
    return True


@lru_cache(maxsize=16384)
def is_date(text: str) -> bool:
    """A whole valid date in one script."""
    return any(_fits(text, t, whole=True) for t in TABLES.values()) and _real_day(text)


def either_date(first, second):
    """Of two readings (anything with .text and .confidence) of one line cut from two versions of the page
    (a grey seal lifted two ways), the one that reads as a valid date; of two valid dates the surer; the
    first wherever the second is no valid date. A line that is no date keeps its first reading, so the
    second version only ever changes a date."""
    first_is, second_is = (is_date(re.sub(r"\s+", "", r.text)) for r in (first, second))
    if not second_is:
        return first
    if not first_is:
        return second
    return second if second.confidence > first.confidence else first


def _hanzi(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


def date_shaped(text: str) -> bool:
    """The whole line is a date by its shape, whatever was misread in it: numerals (or marks a misreading
    leaves) for the year, month and day, two of them at least in the year, and no hanzi but numerals
    anywhere, so 于2019年1月24日 or 2019年1月24日印发 is a sentence's date, not a date line."""
    m = _SHAPE.match(re.sub(r"\s+", "", text))
    if not m:
        return False
    year, month, day, tail = m.groups()
    return (len(_NUMERAL.findall(year)) >= 2 and not any(_hanzi(c) for c in tail)
            and all(c in NUMERALS or not _hanzi(c) for c in year + month + day))


class DateReader:
    """Re-reads date-shaped lines under the date grammar; built once per charset."""

    def __init__(self, charset: Charset):
        self.chars = [c for c in ALPHABET if c in charset.index]
        self.ids = np.array([charset.index[c] for c in self.chars])
        self.extra = {charset.index[src]: self.chars.index(dst) for src, dst in SAME_AS.items()
                      if src in charset.index and dst in self.chars}

    def read(self, probs: np.ndarray, length: int, text: str) -> str | None:
        """The likeliest valid date of the matrix when `text` (the free reading) is date-shaped and not a
        valid date; None when there is nothing to do or no date fits."""
        if not date_shaped(text) or is_date(re.sub(r"\s+", "", text)):
            return None
        p = probs[:length]
        sub = p[:, self.ids].copy()
        for cls, j in self.extra.items():
            sub[:, j] += p[:, cls]
        found = _search(np.log(np.maximum(p[:, 0], 1e-30)), np.log(np.maximum(sub, 1e-30)), self.chars)
        if found is None:
            return None
        date, logp = found
        gap = float(np.log(np.maximum(p.max(axis=1), 1e-30)).sum()) - logp  # below the free best path
        return date if gap <= MAX_GAP else None


def _logadd(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _search(blank: np.ndarray, logp: np.ndarray, chars: list[str]) -> tuple[str, float] | None:
    """CTC prefix beam search over `chars` (logp: T x len(chars), blank: T) keeping only viable prefixes;
    the likeliest complete date, or None."""
    beams: dict[str, tuple[float, float]] = {"": (0.0, -math.inf)}  # prefix -> (ends in blank, ends in char)
    for t in range(len(blank)):
        nxt: dict[str, list[float]] = {}
        for prefix, (pb, pc) in beams.items():
            total = _logadd(pb, pc)
            e = nxt.setdefault(prefix, [-math.inf, -math.inf])
            e[0] = _logadd(e[0], total + blank[t])
            if prefix:  # the last character held
                e[1] = _logadd(e[1], pc + logp[t, chars.index(prefix[-1])])
            for j, c in enumerate(chars):
                ext = prefix + c
                if not viable(ext):
                    continue
                # a repeat of the last character needs a blank between
                base = pb if prefix and c == prefix[-1] else total
                f = nxt.setdefault(ext, [-math.inf, -math.inf])
                f[1] = _logadd(f[1], base + logp[t, j])
        ranked = sorted(nxt.items(), key=lambda kv: -_logadd(*kv[1]))[:BEAM]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    done = [(k, _logadd(*v)) for k, v in beams.items() if is_date(k)]
    return max(done, key=lambda kv: kv[1]) if done else None
