"""公文 fields from text, one GB/T 9704 element at a time, with the variants a scan produces
(〔 read as [ 【 （, 〇 as O or 0, spaces inside the number, lost colons, stray marks) and negatives:
a field the page does not have must come out None."""
from __future__ import annotations

import pytest

from archiver.classify.gongwen import extract, find_date, find_doc_number
from archiver.classify.patterns import doc_type_of

NOTICE = """000123
机密★5年
特急
上海市人民政府文件
沪府发〔2024〕3号
上海市人民政府关于加强安全生产
工作的通知
各区人民政府，市政府各委、办、局：
根据《关于进一步加强安全生产工作的意见》（国发〔2023〕5号）精神，本办法自2023年1月1日起施行。
请于2024年4月1日前报送。
附件：1.安全生产检查表
2.隐患排查清单
上海市人民政府
2024年3月1日
（此件公开发布）
抄送：市委办公厅，市人大常委会办公厅。
上海市人民政府办公厅
2024年3月2日印发"""


def test_a_full_notice_gives_every_field_with_its_line():
    m = extract([NOTICE])
    assert (m.copy_no, m.secrecy, m.secrecy_period, m.urgency) == ("000123", "机密", "5年", "特急")
    assert m.header == "上海市人民政府文件"
    assert m.doc_number == "沪府发〔2024〕3号"
    assert m.title == "上海市人民政府关于加强安全生产工作的通知" and m.doc_type == "通知"
    assert m.recipients == "各区人民政府，市政府各委、办、局"
    assert m.attachments == "安全生产检查表；隐患排查清单"
    assert m.issuer == "上海市人民政府" and m.signature == "上海市人民政府"
    assert m.date == "2024-03-01" and m.year == 2024  # not the dates quoted in the body
    assert m.note == "此件公开发布"
    assert m.cc == "市委办公厅，市人大常委会办公厅"
    assert (m.printer, m.print_date) == ("上海市人民政府办公厅", "2024-03-02")
    spans = {s.field: s for s in m.spans}
    assert (spans["doc_number"].page, spans["doc_number"].line, spans["doc_number"].text) == (1, 5, "沪府发〔2024〕3号")
    assert spans["title"].text == "上海市人民政府关于加强安全生产\n工作的通知"
    assert spans["date"].line == 14


# --- 发文字号 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["国办发〔2024〕12号", "国办发[2024]12号", "国办发［2024］12号", "国办发【2024】12号",
                                  "国办发（2024）12号", "国办发(2024)12号", "国办发 〔2024〕 12 号", "国办发〔2O24〕12号",
                                  "国 办 发 〔 2 0 2 4 〕 1 2 号", "国办发〔2024〕012号", "国办发〔2024〕第12号",
                                  "国办发〔2024〕]12号", "国办发[2024］]12号", "国办发〔〔2024〕12号",  # a speck as a bracket
                                  "国办发[202412号"])  # the closing bracket not read: the year has four digits
def test_doc_number_accepts_what_scans_and_typists_give(text):
    assert find_doc_number(text) == "国办发〔2024〕12号"


@pytest.mark.parametrize("text", ["根据国办发〔2024〕12号文件精神", "国办发〔2024〕号", "国办发〔24〕12号", "第12号",
                                  "XXX〔2023〕X号", "2024年3月1日"])
def test_not_a_doc_number(text):
    assert find_doc_number(text) is None


def test_order_numbers_and_the_own_number_only():
    assert find_doc_number("国令第711号") == "国令第711号"
    body_only = "某某局\n关于某事的通知\n各单位：\n根据国办发〔2024〕12号精神。\n国发〔2023〕5号）精神，现通知如下。"
    assert extract([body_only]).doc_number is None  # quoted in the body, not this document's number
    line_start_in_body = "关于某事的通知\n各单位：\n根据《意见》（\n国发〔2023〕5号）精神，现通知如下。"
    assert extract([line_start_in_body]).doc_number is None


def test_signer_beside_or_under_the_number():
    assert extract(["苏财预〔2015〕115号 签发人：周永康\n关于经费的请示"]).signer == "周永康"
    m = extract(["江苏省财政厅文件\n苏财预〔2015〕115号\n签发人：周永康\n关于经费的请示\n省人民政府："])
    assert (m.signer, m.doc_number, m.doc_type) == ("周永康", "苏财预〔2015〕115号", "请示")
    assert extract([NOTICE]).signer is None


# --- 成文日期 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, iso", [
    ("2024年3月1日", "2024-03-01"), ("2024 年 3 月 1 日", "2024-03-01"), ("二〇二四年三月一日", "2024-03-01"),
    ("二O二四年三月一日", "2024-03-01"), ("二0二四年三月一日", "2024-03-01"), ("二○二四年三月一日", "2024-03-01"),
    ("二〇二三年十二月三十一日", "2023-12-31"), ("二〇二四年十月十日", "2024-10-10"), ("２０２４年３月１日", "2024-03-01"),
    ("20.24年3月1日", "2024-03-01"), ("202·4年3月1日", "2024-03-01"),  # a speck inside the year
])
def test_dates_in_both_scripts_and_their_misreadings(text, iso):
    assert find_date(text) == iso


@pytest.mark.parametrize("text", ["2024年13月1日", "2024年3月", "二〇二四年", "会议于3月1日召开", "2024-03-01",
                                  "1.5年3月1日", "202年3月1日"])
def test_not_a_date(text):
    assert find_date(text) is None


def test_the_date_is_the_signed_one_not_the_last_or_the_printed_one():
    m = extract(["关于某事的通知\n各单位：\n本办法自2025年1月1日起施行。\n某某局\n2024年3月1日\n"
                 "抄送：某某办。\n某某局办公室 2024年3月5日印发"])
    assert (m.date, m.print_date, m.printer) == ("2024-03-01", "2024-03-05", "某某局办公室")
    budget = ["上海市普陀区社会福利院2024年单位预算\n一、收入预算\n编制日期：2023年12月31日\n合计 100.00"]
    assert extract(budget).date is None  # a budget has no 成文日期; the year comes from its title
    assert extract(budget).year == 2024


# --- 版头: 份号, 密级, 紧急程度, 发文机关标志 ---------------------------------------------------------
def test_head_fields_and_their_negatives():
    m = extract(["O01012\n秘密\n加急\n某某大学文件\n某大发〔2023〕9号\n关于某事的通知"])
    assert (m.copy_no, m.secrecy, m.secrecy_period, m.urgency) == ("001012", "秘密", None, "加急")
    m = extract(["某某大学文件\n某大发〔2023〕9号\n关于机密文件管理的通知\n各单位：\n密级：秘密。特急事项另行通知。\n"
                 "电话：123456"])
    assert (m.copy_no, m.secrecy, m.urgency) == (None, None, None)  # body words are no 版头
    assert extract(["“加急：\n某某局文件\n某发〔2023〕1号\n关于某事的函"]).urgency == "加急"  # stray marks of a scan


def test_header_without_wenjian_found_by_its_size():
    lines = ["某某市人民政府", "某政函〔2024〕8号", "关于商请支持的函", "某某局："]
    boxes = [(100, 100, 900, 220), (500, 300, 800, 340), (200, 400, 900, 460), (100, 500, 300, 540),
             (100, 560, 900, 600)]
    m = extract(["\n".join(lines + ["正文一行。"])], [boxes])
    assert m.header == "某某市人民政府"
    assert extract(["\n".join(lines + ["正文一行。"])]).header is None  # without boxes: no size to go by


def test_issuer_from_title_header_or_signature():
    assert extract(["某某局文件\n某发〔2024〕1号\n关于某事的通知\n各单位：\n正文。"]).issuer == "某某局"
    assert extract(["关于某事的通知\n各单位：\n正文。\n某某县财政局\n2024年1月2日"]).issuer == "某某县财政局"
    assert extract(["关于某事的通知\n各单位：\n正文。"]).issuer is None
    # The 版头 of a classified series: the organ comes before the 密级.
    assert extract(["中共中央机密文件\n中发〔2024〕1号\n测试公文标题\n正文。"]).issuer == "中共中央"
    assert extract(["机密文件\n中发〔2024〕1号\n测试公文标题\n正文。"]).issuer is None  # no organ named


# --- 标题 and 文种 ------------------------------------------------------------------------------
@pytest.mark.parametrize("title, kind", [
    ("国务院办公厅关于做好防汛工作的通知", "通知"), ("关于申请经费的请示", "请示"), ("关于同意设立的批复", "批复"),
    ("关于商请支持的函", "函"), ("关于某事的复函", "函"), ("关于加强管理的实施意见", "意见"), ("某某专题会议纪要", "纪要"),
    ("关于表彰先进的决定", "决定"), ("关于交通管制的通告", "通告"), ("关于某事的公告", "公告"), ("某某会议公报", "公报"),
    ("关于工作报告的决议", "决议"), ("关于审议条例草案的议案", "议案"), ("关于2024年工作的报告", "报告"),
    ("中华人民共和国国务院令", "命令"), ("关于情况的通报", "通报"),
    ("上海市普陀区2024年区级部门预算", "预算"), ("某某局2023年度部门决算", "决算"),
    ("2024年政府信息公开工作年度报告", "年度报告"), ("物业服务采购合同", "合同"), ("预算绩效管理工作会议记录", "会议记录"),
    ("随便写写", "other"), ("", "other"), (None, "other"),
])
def test_doc_type_from_the_title(title, kind):
    assert doc_type_of(title) == kind


def test_title_wrapped_over_lines_ends_in_its_type():
    m = extract(["某某局文件\n某发〔2024〕1号\n某某局关于优化营商环境工作报告\n的决议\n各单位：\n正文。"])
    assert m.title == "某某局关于优化营商环境工作报告的决议" and m.doc_type == "决议"
    m = extract(["某某局文件\n某发〔2024〕1号\n某某局关于做好预算绩效\n管理工作的通知\n各单位：\n正文。"])
    assert m.doc_type == "通知"  # not 预算, read from a half title


# --- 主送, 附件, 署名, 附注, 版记 -----------------------------------------------------------------
def test_recipients_with_and_without_the_colon():
    assert extract(["关于某事的通知\n各有关单位：\n正文。"]).recipients == "各有关单位"
    assert extract(["关于某事的通知\n局属各单位，机关各处室\n正文，要加强领导。"]).recipients == "局属各单位，机关各处室"
    assert extract(["关于某事的通知\n请于2013年6月18日前将情况报送我单位\n正文。"]).recipients is None
    assert extract(["某某会议公报\n会议于3月1日召开，听取了报告。"]).recipients is None


def test_attachments_with_misread_numbering():
    base = "关于某事的通知\n各单位：\n正文。\n{}\n某某局\n2024年1月2日"
    assert extract([base.format("附件：1:防汛工作方案\n2.情况统计表")]).attachments == "防汛工作方案；情况统计表"
    assert extract([base.format("附件: 防汛工作方案")]).attachments == "防汛工作方案"
    assert extract([base.format("附件1")]).attachments is None  # the heading of an attachment page


def test_note_cc_and_printer_with_scan_damage():
    m = extract(["关于某事的通知\n各单位：\n正文。\n某某局\n2024年1月2日\n此件依申请公开）\n"
                 "抄送：市委办公厅，市政协办公厅。\n某某局办公室：\n-2024年1月3日日发"])
    assert m.note == "此件依申请公开"
    assert m.cc == "市委办公厅，市政协办公厅"
    assert (m.printer, m.print_date) == ("某某局办公室", "2024-01-03")
    m = extract(["关于某事的通知\n各单位：\n正文。\n（此处添加印章）\n某某局\n2024年1月2日\n抄送：甲单位，乙单位\n"
                 "某某局\n2024年1月3日印发"])
    assert m.cc == "甲单位，乙单位"  # stops before the 印发 line, even without its 。
    assert m.note is None  # a parenthesis before the date is no 附注


def test_a_page_that_is_no_gongwen_invents_nothing():
    m = extract(["物业服务采购合同\n甲方：某某局\n乙方：某某公司\n一、甲方应当按照约定支付费用。\n"
                 "参照国发〔2023〕5号文件执行。\n签订日期：2024年5月6日"])
    assert m.doc_type == "合同"
    assert all(getattr(m, f) is None for f in ("copy_no", "secrecy", "urgency", "header", "doc_number", "signer",
                                                "recipients", "attachments", "date", "note", "cc", "printer"))
    assert extract([]).doc_type == "other" and extract([""]).title is None


@pytest.mark.parametrize("issuer, read, want", [
    ("湖南省水利厅", "湖水发〔2018〕29号", "湘水发〔2018〕29号"),  # 湘 misread as 湖
    ("重庆市交通局", "湖交〔2023〕298号", "渝交〔2023〕298号"),
    ("山东省民政厅", "普民〔2013〕133号", "鲁民〔2013〕133号"),
    ("湖南省水利厅", "湘水发〔2018〕29号", "湘水发〔2018〕29号"),  # right already
    ("上海市普陀区人民政府", "普府发〔2013〕238号", "普府发〔2013〕238号"),  # a district's own code
    ("长沙市岳麓区人民政府", "岳政发〔2015〕124号", "岳政发〔2015〕124号"),  # not a province-level organ
    ("湖南省水利厅", "粤水发〔2018〕29号", "粤水发〔2018〕29号"),  # another province's name: left alone
    ("国家市场监督管理总局", "国市函〔2014〕84号", "国市函〔2014〕84号"),
])
def test_province_level_numbers_start_with_the_province_name(issuer, read, want):
    header = issuer + "文件"
    assert extract([f"{header}\n{read}\n关于某事的通知\n各单位：\n正文。"]).doc_number == want


def test_signature_and_date_under_a_seal():
    base = "关于某事的通知\n各单位：\n正文。\n「重庆市交通局\n{}\n抄送：某某办。\n重庆市交通局\n2023年9月15日印发"
    m = extract([base.format("2023算8月15日")])
    assert (m.signature, m.date) == ("重庆市交通局", "2023-08-15")  # 年 lost under the seal
    m = extract([base.format("二一闯年三月九日")])
    assert (m.signature, m.date) == ("重庆市交通局", None)  # the signature stands; no date is guessed
    m = extract(["关于某事的通知\n各单位：\n正文，共2023项8条15款。"])
    assert m.date is None and m.signature is None


@pytest.mark.parametrize("read, iso", [
    ("二一四年三月九日", "2014-03-09"),  # the 〇 of the year lost under the seal
    ("二二三年十一月十七日", "2023-11-17"),
    ("二〇二二.年二月二日", "2022-02-02"),  # a speck read as a full stop
    ("二〇二二年五算二十五日", "2022-05-25"),  # 月 misread
    ("2016年12月23日", "2016-12-23"),
])
def test_a_damaged_date_under_the_signature_is_read(read, iso):
    m = extract([f"关于某事的通知\n各单位：\n正文。\n湖南省水利厅\n{read}\n抄送：某某办。\n湖南省水利厅办公室\n2023年9月15日印发"])
    assert (m.signature, m.date) == ("湖南省水利厅", iso)


@pytest.mark.parametrize("read", [
    "二〇二年三月九日",  # 二〇〇二 or 二〇二〇: which 〇 was lost cannot be told
    "二〇五年一月二日",
    "二一四年十三月九日",  # no such month
    "二一四",
])
def test_a_damaged_date_that_is_ambiguous_gives_none(read):
    m = extract([f"关于某事的通知\n各单位：\n正文。\n湖南省水利厅\n{read}\n抄送：某某办。\n湖南省水利厅办公室\n2023年9月15日印发"])
    assert m.date is None and m.print_date == "2023-09-15"


@pytest.mark.parametrize("read, number, iso", [
    ("二〇四年三月二日", "湘水函〔2004〕12号", "2004-03-02"),  # one 〇 of 二〇〇四 lost: the 发文字号 settles which
    ("二〇二年五月九日", "湘水函〔2020〕3号", "2020-05-09"),
    ("018年12月30日", "湘水发〔2018〕7号", "2018-12-30"),  # the first digit lost to the seal's ring
    ("208年12月30日", "湘水发〔2018〕7号", "2018-12-30"),
    ("二〇四年三月二日", "湘水函〔2005〕12号", None),  # the digits left are not the number's year
    ("二〇四年十三月二日", "湘水函〔2004〕12号", None),  # no such month
    ("二〇四年三月", "湘水函〔2004〕12号", None),  # the day lost: no date
])
def test_a_year_that_lost_a_digit_under_the_seal_is_the_doc_numbers(read, number, iso):
    m = extract([f"湖南省水利厅文件\n{number}\n关于某事的函\n各单位：\n正文。\n湖南省水利厅\n{read}\n"])
    assert (m.doc_number, m.signature, m.date) == (number, "湖南省水利厅", iso)
    assert m.year == int(number.split("〔")[1][:4])
    year_from = [sp.text for sp in m.spans if sp.field == "year"]
    assert year_from == [number]  # read or not, the record says the year came from the 发文字号


@pytest.mark.parametrize("read, iso", [("一一九九六年二月九日", "1996-02-09"), ("|2018年12月30日", "2018-12-30"),
                                       ("丨二〇〇四年三月二日", "2004-03-02")])
def test_one_stroke_of_the_seals_ring_before_the_date_is_no_prefix(read, iso):
    m = extract([f"关于某事的函\n各单位：\n正文。\n湖南省水利厅\n{read}\n（此件公开发布）"])
    assert m.date == iso and m.signature == "湖南省水利厅"


@pytest.mark.parametrize("read, number, iso, from_number", [
    ("二〇一四年八月十二日", "国办函〔2004〕12号", "2004-08-12", True),  # 〇 read as 一 under the seal: ten years apart
    ("2015年7月14日", "国办函〔2005〕3号", "2005-07-14", True),
    ("2019年1月2日", "国办函〔2018〕99号", "2019-01-02", False),  # numbered at the turn of the year: as read
    ("2021年5月9日", "国办函〔2018〕9号", "2021-05-09", False),  # two digits apart: no misreading of one digit
])
def test_a_date_year_one_digit_from_the_doc_numbers_takes_it_unless_it_is_the_last(read, number, iso, from_number):
    m = extract([f"国务院办公厅文件\n{number}\n关于某事的函\n各单位：\n正文。\n国务院办公厅\n{read}\n"])
    assert m.date == iso
    assert ([sp.text for sp in m.spans if sp.field == "year"] == [number]) is from_number


def test_a_year_that_lost_a_digit_is_not_guessed_without_a_doc_number():
    m = extract(["关于某事的函\n各单位：\n正文。\n湖南省水利厅\n二〇四年三月二日\n"])
    assert m.date is None


def test_a_chinese_date_missing_its_zero_is_taken_only_under_a_signature():
    m = extract(["关于某事的通知\n各单位：\n正文。\n二一四年三月九日\n抄送：某某办。"])  # no 署名 above it
    assert m.date is None
    assert find_date("二一四年三月九日") is None  # and never in running text


def test_the_printed_line_is_no_signature_when_the_date_under_the_seal_is_lost():
    m = extract(["国家市场监督管理总局关于某事的通知\n各单位：\n正文。\n国家市场监督管理总局\n二一闯年三月九日\n"
                 "国家市场监督管理总局办公室\n2014年3月9日印发"])
    assert (m.signature, m.date) == ("国家市场监督管理总局", None)
    assert (m.printer, m.print_date) == ("国家市场监督管理总局办公室", "2014-03-09")


@pytest.mark.parametrize("issuer, signature, printer, want_sig, want_printer", [
    ("长沙市岳麓区人民政府", "长沙市岳道区人民政府", "长沙市岳瘤区人民政府办公室", "长沙市岳麓区人民政府", "长沙市岳麓区人民政府办公室"),
    ("重庆市交通局", "重庆书交通局", "重庆市交通局", "重庆市交通局", "重庆市交通局"),  # one misread character
    ("重庆市交通局", "重庆市交通局", "重庆市交通局办公室", "重庆市交通局", "重庆市交通局办公室"),  # right already
    # Another organ signs too: two characters apart is no misreading.
    ("长沙市岳麓区人民政府", "长沙市开福区人民政府", "长沙市人民政府办公厅", "长沙市开福区人民政府", "长沙市人民政府办公厅"),
    ("湖南省水利厅", "湖南省财政厅", "湖南省水利厅办公室", "湖南省财政厅", "湖南省水利厅办公室"),
])
def test_signature_and_printer_misreads_agree_with_the_issuer_in_the_title(issuer, signature, printer, want_sig,
                                                                           want_printer):
    m = extract([f"{issuer}关于某事的通知\n各单位：\n正文。\n{signature}\n2024年3月1日\n"
                 f"抄送：某某办。\n{printer}\n2024年3月2日印发"])
    assert (m.issuer, m.signature, m.printer) == (issuer, want_sig, want_printer)


def test_cc_separators_misread_as_semicolons_are_commas():
    m = extract(["关于某事的通知\n各单位：\n正文。\n某某局\n2024年1月2日\n抄送：市纪委监委;市中级人民法院，市人民检察院。\n"
                 "某某局办公室\n2024年1月3日印发"])
    assert m.cc == "市纪委监委，市中级人民法院，市人民检察院"


def test_a_speck_read_as_a_colon_after_a_title_line_does_not_end_the_title():
    m = extract(["某某区人民政府文件\n某府发〔2015〕2号\n某某区人民政府关于表彰乡村振兴：\n先进集体的决定\n各街道办事处：\n正文。"])
    assert (m.title, m.doc_type, m.recipients) == ("某某区人民政府关于表彰乡村振兴先进集体的决定", "决定", "各街道办事处")
    m = extract(["某某局文件\n某发〔2015〕2号\n关于做好防汛工作各有关单位：\n请抓紧报送。"])
    assert m.title is None  # no 文种 completes it: the colon ends the line as before


def test_note_in_brackets_a_scan_gave_as_square_ones_and_a_line_led_by_a_colon():
    m = extract(["关于某事的通知\n各单位：\n正文。\n某某局\n2024年8月15日\n联系人：吴海，电话：61569446］\n"
                 "抄送：各区财政局。\n：某某局办公室\n2024年9月15日印发"])
    assert m.note == "联系人：吴海，电话：61569446"
    assert (m.printer, m.print_date) == ("某某局办公室", "2024-09-15")
    m = extract(["关于某事的通知\n各单位：\n正文。\n某某局\n2024年8月15日\n抄送：各区财政局。\n某某局。\n2024年9月15日印发"])
    assert m.printer == "某某局"  # a speck after the name read as 。


def test_recipients_separated_by_a_misread_semicolon():
    m = extract(["关于某事的通知\n各区人民政府;市政府各委、办、局：\n正文。"])
    assert m.recipients == "各区人民政府，市政府各委、办、局"


def test_a_difference_in_the_organ_kind_is_no_misreading():
    m = extract(["四川省人民政府办公厅关于某事的通知\n各单位：\n正文。\n四川省人民政府办公厅\n2024年3月1日\n"
                 "抄送：某某办。\n四川省人民政府办公室\n2024年3月2日印发"])
    assert m.printer == "四川省人民政府办公室"
