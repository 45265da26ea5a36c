"""公文 fields from text: 发文字号 with any brackets, dates in both scripts, title, 文种, issuer."""
from __future__ import annotations

import pytest

from archiver.classify.gongwen import extract, find_date, find_doc_number, find_doc_type


@pytest.mark.parametrize("text", ["国办发〔2024〕12号", "国办发[2024]12号", "国办发［2024］12号", "国办发【2024】12号",
                                  "国办发（2024）12号", "国办发 〔2024〕 12 号"])
def test_doc_number_accepts_the_brackets_scans_produce(text):
    assert find_doc_number(text) == "国办发〔2024〕12号"


def test_dates_arabic_and_chinese_numerals():
    assert find_date("2024年3月1日") == "2024-03-01"
    assert find_date("二〇二四年三月一日") == "2024-03-01"
    assert find_date("二〇二三年十二月三十一日") == "2023-12-31"
    assert find_date("会议于2024年13月1日") is None
    assert find_date("起草 2023年1月5日 …… 成文 2024年2月6日") == "2024-02-06"  # the last one


def test_doc_type_from_title():
    assert find_doc_type("国务院办公厅关于做好防汛工作的通知") == "通知"
    assert find_doc_type("关于申请经费的请示") == "请示"
    assert find_doc_type("上海市普陀区2024年区级部门预算") == "预算"
    assert find_doc_type("会议纪要") == "纪要"
    assert find_doc_type("随便写写") is None


def test_extract_a_notice():
    pages = ["上海市人民政府文件\n沪府发〔2024〕3号\n上海市人民政府关于加强安全生产工作的通知\n各区人民政府：\n"
             "正文。\n上海市人民政府\n2024年3月1日"]
    m = extract(pages)
    assert m.doc_number == "沪府发〔2024〕3号"
    assert m.title == "上海市人民政府关于加强安全生产工作的通知"
    assert m.doc_type == "通知"
    assert m.issuer == "上海市人民政府"
    assert m.date == "2024-03-01" and m.year == 2024


def test_extract_secrecy_and_urgency():
    m = extract(["000123\n机密★5年\n特急\n某某局文件\n某发〔2023〕7号\n关于某事的函"])
    assert m.secrecy == "机密★5年" and m.urgency == "特急"
    assert m.doc_type == "函"
