"""The date grammar (archiver/ocr/dates.py): a line that is a date by its shape but not a valid date as
read is read again from its probability matrix under the grammar; other lines are left as read."""
from __future__ import annotations

import numpy as np
import pytest

from archiver.ocr.charset import Charset
from archiver.ocr.dates import DateReader, date_shaped, is_date, viable
from archiver.resources import WEIGHTS


@pytest.fixture(scope="module")
def charset():
    return Charset.load(WEIGHTS / "charset.txt")


def matrix(charset: Charset, columns: list[dict[str, float]]) -> np.ndarray:
    """A (T, C) probability matrix: each column's named classes ('' is the blank), the rest of its
    mass spread thinly over every class."""
    m = np.full((len(columns), charset.num_classes), 1e-6, np.float32)
    for t, col in enumerate(columns):
        for ch, p in col.items():
            m[t, 0 if ch == "" else charset.index[ch]] = p
        m[t] /= m[t].sum()
    return m


def spelled(text: str) -> list[dict[str, float]]:
    """Columns that spell text with a blank after every character."""
    cols: list[dict[str, float]] = []
    for ch in text:
        cols += [{ch: 0.97}, {"": 0.97}]
    return cols


def test_valid_dates_in_either_script_and_only_real_days():
    assert is_date("二〇〇四年三月二日") and is_date("2019年1月9日") and is_date("一九九六年十一月五日")
    assert is_date("2019年01月09日") and is_date("二〇〇四年四月二十七日")
    assert not is_date("二〇〇四年二月三十日")  # no such day
    assert not is_date("2918年12月21日") and is_date("2099年12月31日")  # years 1900-2099
    assert not is_date("二〇四年三月二日") and not is_date("二十六年九月七日") and not is_date("2019年1月9")
    assert not is_date("二〇〇4年3月2日")  # one script to a date
    assert viable("二〇〇") and viable("2019年1") and not viable("二十") and not viable("年")


def test_a_date_is_recognised_by_its_shape_whatever_was_misread():
    for damaged in ("二〇四年三月二日", "二十六年九月七日", "2918年12月/21日", "二)四年八月十二日", "2018 年 11 月 7 日",
                    "2019年1月24日1", "二〇〇四年三月二日）"):
        assert date_shaped(damaged), damaged
    for other in ("执行期限为2019年1月1日", "2019年1月1日起施行。", "第三十六条本条例自2019年1月1日起施行", "年月日",
                  "于2019年1月24日", "2019年1月24日印发", "至2019年1月24日", "2019年第1月3日"):
        assert not date_shaped(other), other


def test_a_collapsed_doubled_zero_is_read_back_from_the_matrix(charset):
    # 二〇〇四年三月二日 where the blank between the two 〇 is weak: greedy and the free reading give 二〇四年
    cols = [{"二": 0.97}, {"": 0.97}, {"〇": 0.9}, {"": 0.4, "〇": 0.55}, {"〇": 0.9}, {"": 0.97}]
    cols += spelled("四年三月二日")
    probs = matrix(charset, cols)
    reader = DateReader(charset)
    assert reader.read(probs, len(cols), "二〇四年三月二日") == "二〇〇四年三月二日"


def test_a_misread_digit_takes_the_next_likeliest_that_makes_a_date(charset):
    # 2918: the 9 is likelier than the 0 in its column, but no archive holds a document of 2918
    cols = spelled("2") + [{"9": 0.6, "0": 0.35}, {"": 0.97}] + spelled("18年12月21日")
    probs = matrix(charset, cols)
    assert DateReader(charset).read(probs, len(cols), "2918年12月21日") == "2018年12月21日"


def test_a_mark_after_the_date_is_dropped(charset):
    # a lifted seal's edge just after 日, read as 1
    cols = spelled("2019年1月24日") + [{"1": 0.7, "": 0.3}, {"": 0.97}]
    assert DateReader(charset).read(matrix(charset, cols), len(cols), "2019年1月24日1") == "2019年1月24日"


def test_lines_that_are_valid_dates_or_not_dates_are_left_alone(charset):
    reader = DateReader(charset)
    cols = spelled("2019年1月9日")
    assert reader.read(matrix(charset, cols), len(cols), "2019年1月9日") is None  # valid already
    cols = spelled("执行期限为2019年1月1日")
    assert reader.read(matrix(charset, cols), len(cols), "执行期限为2019年1月1日") is None  # a sentence


def test_a_date_the_matrix_does_not_hold_is_not_made_up(charset):
    # the year's digits are not in the matrix at all (a stain read as 二〇): no date is forced out of it
    cols = spelled("二〇") + [{"": 0.97}] * 6 + spelled("年三月二日")
    assert DateReader(charset).read(matrix(charset, cols), len(cols), "二〇年三月二日") is None


def test_of_two_readings_of_a_line_the_valid_date_wins_then_the_surer():
    from types import SimpleNamespace as R

    from archiver.ocr.dates import either_date

    first, second = R(text="一九九六年十月五日", confidence=0.8), R(text="一九九六年十一月五日", confidence=0.9)
    assert either_date(first, second) is second  # two valid dates: the surer
    assert either_date(second, R(text="一九九六年十月五日", confidence=0.5)).text == "一九九六年十一月五日"
    garbled = R(text="一定九六年二月九日", confidence=0.99)  # junk the second lift kept, read surely
    assert either_date(R(text="一九九六年二月九日", confidence=0.7), garbled).text == "一九九六年二月九日"
    assert either_date(R(text="二〇一四年二月三十日", confidence=0.9), R(text="二〇一四年三月二日", confidence=0.4)).text == "二〇一四年三月二日"
    # a line that is no date keeps its first reading, however sure the second is
    assert either_date(R(text="国务院办公厅", confidence=0.6), R(text="“国务院办公厅", confidence=0.99)).text == "国务院办公厅"
