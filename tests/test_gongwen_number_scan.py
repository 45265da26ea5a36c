"""The 发文字号 as a scan's recogniser gives it (issue 18): a speck of dust beside the number read as a
mark (国发〔2018〕.38号), and a character read twice where a connectionist (CTC) decoder did not fold a
repeat (国国函〔1996〕95号). Built from text and pages made here, not from the shared documents."""
from __future__ import annotations

import pytest

from archiver.classify.gongwen import extract
from archiver.classify.patterns import find_doc_number


@pytest.mark.parametrize("text", ["国发〔2018〕.38号", "国发〔2018〕·38号", "国发〔2018〕'38号", "国发.〔2018〕38号",
                                  "国发〔.2018〕38号", "国发〔20.18〕38号", "国发〔2018〕38.号", "国发〔2018〕第.38号",
                                  "国发〔2018〕、38号", "国发[2018].38号"])
def test_a_speck_at_a_joint_of_the_number_is_no_part_of_it(text):
    assert find_doc_number(text) == "国发〔2018〕38号"


@pytest.mark.parametrize("text", ["国国函〔1996〕95号", "国函函〔1996〕95号", "国函〔1996〕95号"])
def test_a_character_of_the_agency_code_read_twice_is_read_once(text):
    assert find_doc_number(text) == "国函〔1996〕95号"


@pytest.mark.parametrize("text", ["国发〔2018〕..38号", "国发〔2018〕.3.8号", "国发〔20.1.8〕38号", 
                                  "根据国发〔2018〕.38号", "国发〔2018〕.号", "国发.〔18〕38号"])
def test_more_than_a_speck_or_a_full_stop_is_still_no_number(text):
    assert find_doc_number(text) is None


FILE_PAGE = """某市人民政府文件
某政发〔2018〕.38号
某市人民政府关于支持
试验区深化改革的通知
各区人民政府，市政府各部门：
现将有关事项通知如下。
请遵照执行。根据国发〔2018〕.38号文件精神办理。
某市人民政府
2018年11月7日"""

LETTER_PAGE = """岳阳市人民政府
岳阳军分区
岳岳政函〔1996〕95号
岳阳市人民政府、岳阳军分区关于同意
后勤部机关迁址新建的批复
某某部：
你部请示收悉，现批复如下。
岳阳市人民政府
一九九六年七月九日"""


def test_a_file_layout_number_with_a_speck_is_found():
    m = extract([FILE_PAGE])
    assert m.doc_number == "某政发〔2018〕38号" and m.header == "某市人民政府文件"
    assert m.title == "某市人民政府关于支持试验区深化改革的通知" and m.date == "2018-11-07"


def test_a_letter_layout_number_read_with_a_doubled_character():
    m = extract([LETTER_PAGE])
    assert m.doc_number == "岳政函〔1996〕95号"
    assert m.title == "岳阳市人民政府、岳阳军分区关于同意后勤部机关迁址新建的批复" and m.issuer == "岳阳市人民政府、岳阳军分区"
    # the line is kept as read (explain shows it), the value is the number
    assert next(s for s in m.spans if s.field == "doc_number").text == "岳岳政函〔1996〕95号"
