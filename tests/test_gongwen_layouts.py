"""公文 layouts of GB/T 9704-2012 and as published, each read from text made here (invented documents,
not the shared real ones): the title above or below the 发文字号, over one to four lines; 信函格式;
命令（令）格式; 答复 and 复函 as 函; joint issuers; 转发 titles; a forwarded report with its own 署名 and
date; multi-page documents; Chinese numerals in the date; a date that cannot be read."""
from __future__ import annotations

import pytest

from archiver.classify.gongwen import extract

PUBLISHED = """某省人民政府办公厅关于加强
城乡档案数字化工作的
实施意见
某政办发〔2021〕17号
各市、县人民政府，省政府各部门：
为推进档案数字化，现提出如下意见。
一、总体要求
坚持统筹规划、分步实施。
某省人民政府办公厅
2021年6月3日
（此件公开发布）"""


def test_as_published_the_title_stands_above_the_number():
    m = extract([PUBLISHED])
    assert m.title == "某省人民政府办公厅关于加强城乡档案数字化工作的实施意见"
    assert (m.doc_type, m.issuer, m.doc_number) == ("意见", "某省人民政府办公厅", "某政办发〔2021〕17号")
    assert m.header is None  # no 版头: the large title lines are not one
    assert m.recipients == "各市、县人民政府，省政府各部门" and m.date == "2021-06-03" and m.note == "此件公开发布"


def test_as_published_without_a_number_the_title_is_still_found():
    m = extract(["\n".join(ln for ln in PUBLISHED.splitlines() if "〔" not in ln)])
    assert m.title == "某省人民政府办公厅关于加强城乡档案数字化工作的实施意见" and m.doc_number is None


LETTER = """某市人民政府办公室
某政办函〔2019〕45号
某市人民政府办公室
关于同意设立市档案服务中心的复函
市档案局：
你局《关于设立档案服务中心的请示》收悉。经市政府同意，现函复如下。
某市人民政府办公室
二〇一九年十月二十日"""


def test_a_letter_whose_first_title_line_is_the_issuer_alone():
    m = extract([LETTER])
    assert m.title == "某市人民政府办公室关于同意设立市档案服务中心的复函"
    assert (m.doc_type, m.issuer, m.doc_number) == ("函", "某市人民政府办公室", "某政办函〔2019〕45号")
    assert m.date == "2019-10-20" and m.recipients == "市档案局"


ANSWER = """某省人民政府办公厅对省十三届人大
二次会议第118号建议的答复
某政办函〔2020〕9号
王某某等代表：
你们提出的关于加快档案馆建设的建议收悉，现答复如下。
某省人民政府办公厅
二〇二〇年七月一日"""


def test_an_answer_to_a_deputys_suggestion_is_a_letter():
    m = extract([ANSWER])
    assert m.title == "某省人民政府办公厅对省十三届人大二次会议第118号建议的答复"
    assert (m.doc_type, m.issuer) == ("函", "某省人民政府办公厅") and m.date == "2020-07-01"


ORDER = """中华人民共和国国务院令
第801号
《某某管理条例》已经2024年5月10日国务院第60次常务会议通过，现予公布，自2024年7月1日起施行。
总理　某某某
2024年5月20日
某某管理条例
第一章　总则
第一条　为了加强管理，制定本条例。"""


def test_an_order_gives_its_number_organ_and_what_it_promulgates():
    m = extract([ORDER])
    assert (m.doc_number, m.issuer, m.doc_type) == ("国令第801号", "国务院", "命令")
    assert m.title == "某某管理条例" and m.date == "2024-05-20" and m.year == 2024
    m = extract([ORDER.replace("中华人民共和国国务院令\n第801号", "某省人民政府令 第12号")])
    assert (m.doc_number, m.issuer) == ("某省人民政府令第12号", "某省人民政府")


JOINT_FORWARD = """某省人民政府办公厅、某军区政治部转发省民政厅
关于做好2022年拥军优属工作意见
报告的通知
某政办发〔2022〕3号
各市人民政府：
省民政厅《关于做好2022年拥军优属工作意见的报告》已经省政府同意，现转发给你们，请认真贯彻执行。
某省人民政府办公厅　某军区政治部
二〇二二年一月十日
关于做好2022年拥军优属工作意见的报告
省人民政府：
现将有关意见报告如下。
某省民政厅
二〇二一年十二月二十八日"""


def test_a_forwarding_notice_is_issued_and_dated_by_who_forwards():
    m = extract([JOINT_FORWARD])
    assert m.issuer == "某省人民政府办公厅、某军区政治部"  # joint issuers as published; the forwarder, not 省民政厅
    assert m.title.endswith("报告的通知") and m.doc_type == "通知"
    assert m.date == "2022-01-10"  # its own date, not the forwarded report's 2021-12-28


def test_a_multi_page_document_has_its_title_first_and_its_date_last():
    body = "\n".join(f"第{k}项工作要抓紧落实，各单位要按时报送进展情况。" for k in range(1, 30))
    page1 = "某县人民政府文件\n某政发〔2023〕8号\n某县人民政府关于印发《档案工作规划》的通知\n各乡镇人民政府：\n" + body
    page2 = body + "\n某县人民政府\n2023年4月6日"
    m = extract([page1, page2])
    assert m.title == "某县人民政府关于印发《档案工作规划》的通知" and m.header == "某县人民政府文件"
    assert (m.date, m.signature) == ("2023-04-06", "某县人民政府")
    assert [s.page for s in m.spans if s.field == "date"] == [2]


def test_a_date_that_cannot_be_read_leaves_the_year_of_the_number_and_says_so():
    m = extract([PUBLISHED.replace("2021年6月3日", "")])
    assert m.date is None and m.year == 2021
    year = next(s for s in m.spans if s.field == "year")
    assert "〔2021〕" in year.text  # the record names the line the year was taken from


MINUTES = """某市人民政府常务会议纪要
第12期
某市人民政府办公室　　　　2024年3月5日
2024年3月1日，市长某某某主持召开市政府第12次常务会议，研究档案工作。纪要如下：
一、会议听取了市档案局关于档案数字化工作的汇报。
出席：某某某、某某某
请假：某某某"""


def test_minutes_are_titled_by_their_heading_and_dated_at_the_top():
    m = extract([MINUTES])
    assert (m.title, m.doc_type, m.date) == ("某市人民政府常务会议纪要", "纪要", "2024-03-05")
    assert m.doc_number is None  # 第12期 is an issue number, not a 发文字号


FOUR_LINES = """某省人民政府办公厅
关于进一步加强和改进
全省机关档案数字化
与电子文件归档工作的通知
某政办发〔2022〕31号
各市人民政府，省政府各部门：
为做好档案工作，现将有关事项通知如下。
一、提高认识
某省人民政府办公厅
2022年9月14日
（本文有删减）"""


def test_a_title_over_four_lines_with_a_note_that_text_was_cut():
    m = extract([FOUR_LINES])
    assert m.title == "某省人民政府办公厅关于进一步加强和改进全省机关档案数字化与电子文件归档工作的通知"
    assert (m.doc_type, m.issuer, m.doc_number) == ("通知", "某省人民政府办公厅", "某政办发〔2022〕31号")
    assert (m.date, m.note) == ("2022-09-14", "本文有删减")  # the note is no title line and no date


APPROVING = """某省人民政府批转省财政厅关于
2023年预算执行情况报告的通知
某政发〔2023〕5号
各市人民政府：
省人民政府同意省财政厅《关于2023年预算执行情况的报告》，现转发给你们，请认真贯彻执行。
某省人民政府
2023年3月8日"""

ISSUING = """某市人民政府办公室关于印发某市档案
事业发展规划的通知
某政办发〔2021〕40号
各区人民政府：
《某市档案事业发展规划》已经市政府同意，现印发给你们。
某市人民政府办公室
2021年11月2日"""


def test_an_approving_or_issuing_notice_is_issued_by_who_approves_or_issues():
    m = extract([APPROVING])  # 批转: the issuer is who approves, not 省财政厅 whose report it carries
    assert (m.issuer, m.doc_type, m.date) == ("某省人民政府", "通知", "2023-03-08")
    assert m.title == "某省人民政府批转省财政厅关于2023年预算执行情况报告的通知"  # a year inside a title line
    m = extract([ISSUING])
    assert (m.issuer, m.doc_type) == ("某市人民政府办公室", "通知")
    assert m.title == "某市人民政府办公室关于印发某市档案事业发展规划的通知"


def _joint(first: str, second: str, signature: str) -> str:
    return (f"{first}、{second}关于做好档案移交工作的通知\n某政发〔2024〕6号\n各有关单位：\n"
            f"现将档案移交有关事项通知如下，请认真贯彻执行。\n{signature}\n2024年6月3日")


@pytest.mark.parametrize("first, second", [("某省民政厅", "某省财政厅"), ("某市人民政府办公室", "某军分区政治工作处")])
@pytest.mark.parametrize("layout", ["stacked", "one line", "beside the date"])
def test_joint_issuers_sign_together(first, second, layout):
    signature = {"stacked": f"{first}\n{second}", "one line": f"{first}　　{second}",
                 "beside the date": f"{first}　{second}　"}[layout]
    text = _joint(first, second, signature)
    if layout == "beside the date":
        text = text.replace(f"{signature}\n", signature)
    m = extract([text])
    assert (m.signature, m.issuer, m.date) == (f"{first}、{second}", f"{first}、{second}", "2024-06-03")


def test_a_body_line_over_the_signature_is_no_second_signer():
    # By its box the line over the 署名 runs the width of the text (a wrapped line whose 。 was lost):
    # it is 正文, not a second organ.
    lines = ["某县人民政府关于档案工作的通知", "各乡镇人民政府：", "请各乡镇于月底前将档案移交情况报送县档案局",
             "某县人民政府", "2024年6月3日"]
    boxes = [(300, 100, 900, 150), (100, 200, 400, 240), (100, 300, 1100, 340), (800, 400, 1040, 440),
             (800, 500, 1040, 540)]
    m = extract(["\n".join(lines)], [boxes])
    assert m.signature == "某县人民政府"
    stacked = boxes[:2] + [(100, 300, 1100, 340), (800, 350, 1040, 390), (800, 400, 1040, 440), (800, 500, 1040, 540)]
    m = extract(["\n".join(lines[:3] + ["某县人民政府", "某县人民武装部"] + lines[4:])], [stacked])
    assert m.signature == "某县人民政府、某县人民武装部"


@pytest.mark.parametrize("office", ["某市人民政府办公室", "某县人民政府办公室", "某省人民政府办公厅"])
@pytest.mark.parametrize("one_line", [True, False])
def test_minutes_have_no_signature_their_office_issues_them(office, one_line):
    heading = office.replace("办公室", "").replace("办公厅", "") + "专题会议纪要"
    top = f"{office}　　　　2024年3月5日" if one_line else f"{office}\n二〇二四年三月五日"
    m = extract([f"{heading}\n第3期\n{top}\n2024年3月1日，会议研究了档案工作。纪要如下：\n一、加强档案工作。\n"
                 "出席：某某某、某某某"])
    assert m.signature is None  # GB/T 9704: a 纪要 carries no 署名
    assert (m.issuer, m.date, m.doc_type, m.title) == (office, "2024-03-05", "纪要", heading)
    # a 纪要 sent in the 文件 layout, signed under its text, keeps its 署名
    m = extract([f"关于档案工作专题会议的纪要\n各单位：\n会议研究了档案工作，纪要如下。\n{office}\n2024年3月5日"])
    assert (m.signature, m.date) == (office, "2024-03-05")


@pytest.mark.parametrize("organ, n", [("上海市人民政府", 61), ("山东省人民政府", 7), ("重庆市人民政府", 312),
                                      ("湖南省人民政府", 1)])
@pytest.mark.parametrize("one_line", [True, False])
def test_a_provincial_order_is_numbered_as_printed(organ, n, one_line):
    head = f"{organ}令　第{n}号" if one_line else f"{organ}令\n第{n}号"
    m = extract([ORDER.replace("中华人民共和国国务院令\n第801号", head)])
    assert (m.doc_number, m.issuer, m.doc_type) == (f"{organ}令第{n}号", organ, "命令")
    assert extract([ORDER]).doc_number == "国令第801号"
    # a 机关代字 misread is still set to the province's name (湖 read for 湘)
    m = extract([f"湖南省人民政府关于某事的通知\n湖政发〔2024〕{n}号\n各市州人民政府：\n正文。\n湖南省人民政府\n2024年1月2日"])
    assert m.doc_number == f"湘政发〔2024〕{n}号"


@pytest.mark.parametrize("left, right", [("档案", "文书"), ("城乡规划", "建设管理"), ("一", "二")])
def test_a_title_broken_after_an_enumeration_comma_keeps_it(left, right):
    m = extract([f"某市人民政府关于加强{left}、\n{right}工作的通知\n某政发〔2024〕2号\n"
                 f"各区人民政府，市政府各委、\n办、局：\n正文。\n某市人民政府\n2024年1月2日"])
    assert m.title == f"某市人民政府关于加强{left}、{right}工作的通知"
    assert m.recipients == "各区人民政府，市政府各委、办、局"
    # a mark after the last word of a title is a speck, not part of it
    m = extract([f"某市人民政府关于加强{left}{right}工作的通知、\n某政发〔2024〕2号\n各区人民政府：\n正文。"])
    assert m.title == f"某市人民政府关于加强{left}{right}工作的通知"
