"""Patterns and normalisers of the GB/T 9704-2012 公文 elements, tolerant of recognition errors.

A scan or a typist gives 〔2024〕 as [2024], 【2024】 or (2024); a recogniser reads 〇 as O or 0 and
puts spaces where the type was letter-spaced. Matching therefore runs on `norm()` text: NFKC
(full-width digits and brackets folded), all whitespace removed."""
from __future__ import annotations

import re

from archiver.textnorm import compact

_OPEN, _CLOSE = r"〔\[［【(（{｛<〈", r"〕\]］】)）}｝>〉"
# Year digits as a recogniser may read them: O/o for 0, l/I for 1.
_YD = r"[0-9OoDlI]"
_AGENCY = r"[\u4e00-\u9fffA-Za-z]{1,14}?"
# The agency code is what the line starts with; a line starting with a verb quotes another document.
# A speck beside a bracket reads as a second one (〔2012〕]); a faint closing bracket may not be read at
# all (岳政发[2024105号): the year is four digits, so what follows it is the serial.
# A speck of dust at a joint of the number reads as a mark (国发〔2018〕.38号): one is allowed at each
# joint (code|bracket|year|bracket|serial|号) and one inside the year (20.18, as in DATE), never inside
# the serial or two side by side, and never a full stop 。 (a sentence quoting a number ends in one).
_SPECK = r"[.,·'‘’`、:\-_]?"
DOC_NO = re.compile(rf"^(?!根据|按照|依据|依照|参照|转发|对照|经|见)({_AGENCY}){_SPECK}[{_OPEN}]{{1,2}}{_SPECK}"
                    rf"((?:1|l)[.·'`]?9[.·'`]?{_YD}[.·'`]?{_YD}|2[.·'`]?[0O][.·'`]?{_YD}[.·'`]?{_YD})"
                    rf"(?:{_SPECK}[{_CLOSE}]{{1,2}})?{_SPECK}(?:第{_SPECK})?([0-9OolI]{{1,5}}){_SPECK}号")
# A character of the agency code read twice (国国函): a connectionist (CTC) decoder that did not fold the
# repeat of a wide glyph. A 机关代字 abbreviates the organ's name (国, 国办, 浙政办, 岳政) and never
# repeats a character back to back, so a repeat is read once.
_DOUBLED = re.compile(r"([\u4e00-\u9fff])\1+")
# 命令(令) are numbered without a year: 国令第711号, 某某市人民政府令第3号.
ORDER_NO = re.compile(r"^([\u4e00-\u9fff]{1,20}令)第([0-9]{1,5})号")
# A speck inside the year reads as a mark (20.17年); the year's four digits say it is one.
DATE = re.compile(r"((?:1[.·'`]?9|2[.·'`]?0)[.·'`]?\d[.·'`]?\d)年(\d{1,2})月(\d{1,2})日")
# 〇 as a recogniser or a typist may give it: ○ O o 0 零 Ｏ (NFKC folds the last to O).
_CN_DIGIT = "〇○零OoО0一二三四五六七八九"
CN_DATE = re.compile(rf"([{_CN_DIGIT}]{{4}})年([一二三四五六七八九十]{{1,3}})月([一二三四五六七八九十]{{1,3}})日")
# A 成文日期 in Chinese numerals as a scan of a seal may leave it: one 〇 of the year lost (二一四年 for
# 二〇一四年; a thin ring is the first stroke to fade or to be taken for a stain), or 年/月 misread as
# some other character. Only ever matched against a whole line under a signature.
_LOOSE_CN_DATE = re.compile(rf"(二[{_CN_DIGIT}]{{2,3}}|一九[{_CN_DIGIT}]{{2}})(?:年|[^{_CN_DIGIT}十月日])"
                            rf"([一二三四五六七八九十]{{1,2}})(?:月|[^{_CN_DIGIT}十年日])([一二三四五六七八九十]{{1,3}})日")
_STRAY = re.compile(r"[.,·'‘’`、。:：\-—_]")
SECRECY = re.compile(r"^(绝密|机密|秘密)(?:[★☆*＊]([0-9一二三四五六七八九十]{1,3}年|长期))?")
URGENCY = re.compile(r"(特急|加急)")
COPY_NO = re.compile(r"^(?:份号[:：]?)?([0-9Oo]{6})$")
SIGNER = re.compile(r"签发人[:：]?(.+)$")
DOC_TYPES = ("决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复",
             "议案", "函", "纪要")
# Organisation names end with one of these; used to tell a signature line from a stray phrase.
ORG_ENDINGS = ("政府", "委员会", "办公厅", "办公室", "局", "厅", "部", "院", "委", "会", "处", "科", "中心", "街道",
               "公司", "学校", "大学", "学院", "所", "站", "队", "署", "馆", "社", "团", "党委", "党组", "支部",
               "镇", "乡", "村", "组", "司", "监狱", "法院", "检察院", "银行")
_CN = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0, "o": 0, "О": 0, "0": 0}
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1"})


norm = compact  # the pattern code's short name for the shared normalisation


def _cn_int(s: str) -> int:
    """一..三十一, and 二〇二四 read digit by digit."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    return int("".join(str(_CN[c]) for c in s))


def iso_date(y: int, m: int, d: int) -> str | None:
    if not (1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def dates_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of every full date in already-normalised text, in order."""
    found = []
    for m in DATE.finditer(text):
        iso = iso_date(int(re.sub(r"\D", "", m.group(1))), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append((m.start(), m.end(), iso))
    for m in CN_DATE.finditer(text):
        try:
            iso = iso_date(_cn_int(m.group(1)), _cn_int(m.group(2)), _cn_int(m.group(3)))
        except (KeyError, ValueError):
            continue
        if iso:
            found.append((m.start(), m.end(), iso))
    return sorted(found)


def loose_cn_date(line: str) -> str | None:
    """ISO date of a normalised line that is nothing but a damaged Chinese-numeral date (see _LOOSE_CN_DATE)."""
    m = _LOOSE_CN_DATE.fullmatch(_STRAY.sub("", line))
    if not m:
        return None
    year = m.group(1)
    if len(year) == 3:
        if any(_CN[c] == 0 for c in year):  # 二〇二 may be 二〇〇二 or 二〇二〇: no guess
            return None
        year = year[0] + "〇" + year[1:]  # 二XY can only be 二〇XY
    try:
        return iso_date(_cn_int(year), _cn_int(m.group(2)), _cn_int(m.group(3)))
    except (KeyError, ValueError):
        return None


_YEAR_LOST_DATE = re.compile(rf"([0-9{_CN_DIGIT}]{{3}})(?:年|[^0-9{_CN_DIGIT}十月日])([0-9一二三四五六七八九十]{{1,3}})"
                             rf"(?:月|[^0-9{_CN_DIGIT}十年日])([0-9一二三四五六七八九十]{{1,3}})日")


def year_lost_date(line: str, year: int) -> str | None:
    """ISO date of a normalised line that is nothing but a date whose year lost one digit under a seal
    (二〇四年三月二日, 018年12月30日), when the digits left are `year`'s (the 发文字号's) with one taken out:
    二〇四 is 2004 under 国办函〔2004〕, never 2040. Month and day must read whole."""
    m = _YEAR_LOST_DATE.fullmatch(_STRAY.sub("", line))
    if not m:
        return None
    try:
        left = "".join(c if c.isdigit() else str(_CN[c]) for c in m.group(1))
        month, day = (int(g) if g.isdigit() else _cn_int(g) for g in (m.group(2), m.group(3)))
    except (KeyError, ValueError):
        return None
    full = f"{year:04d}"
    if not any(full[:i] + full[i + 1:] == left for i in range(4)):
        return None
    return iso_date(year, month, day)


def doc_number_at_start(text: str) -> tuple[str, int] | None:
    """(normalised 发文字号, end offset) when normalised `text` begins with one; brackets and 〇/O folded."""
    m = DOC_NO.match(text)
    if m:
        agency, serial = _DOUBLED.sub(r"\1", m.group(1)), m.group(3).translate(_DIGIT_FIX)
        year = re.sub(r"[.·'`]", "", m.group(2))
        if len(m.group(2)) - len(year) > 1:  # one speck in the year, not a broken run of digits
            return None
        year = year.translate(_DIGIT_FIX)
        if not year.isdigit() or not serial.isdigit() or int(serial) == 0:
            return None
        return f"{agency}〔{year}〕{int(serial)}号", m.end()
    m = ORDER_NO.match(text)
    if m:
        return f"{m.group(1)}第{int(m.group(2))}号", m.end()
    return None


def find_doc_number(text: str) -> str | None:
    """The 发文字号 a line of text starts with (see doc_number_at_start), else None."""
    hit = doc_number_at_start(norm(text))
    return hit[0] if hit else None


def find_date(text: str) -> str | None:
    """The first full date in the text as ISO yyyy-mm-dd, in Arabic or Chinese numerals."""
    found = dates_in(norm(text))
    return found[0][2] if found else None


def doc_type_of(title: str | None) -> str:
    """文种 from the title: one of the 15 公文 types, 预算 决算 年度报告 合同 会议记录, else `other`."""
    t = norm(title or "").rstrip("。.")
    if not t:
        return "other"
    if t.endswith("年度报告"):
        return "年度报告"
    if t.endswith(("复函", "答复")):  # a 答复 of a deputy's 建议 or a member's 提案 is sent as a 函
        return "函"
    if t.endswith("令") and not t.endswith("命令"):
        return "命令"
    for kind in DOC_TYPES:
        if t.endswith(kind):
            return kind
    for word in ("会议记录", "合同", "决算", "预算"):
        if t.endswith(word):
            return word
    for word in ("决算", "预算", "合同", "会议记录", "纪要"):
        if word in t:
            return word
    return "other"


def looks_like_org(text: str) -> bool:
    """A short line without sentence punctuation ending like an organisation name."""
    t = norm(text)
    return 2 <= len(t) <= 40 and not re.search(r"[。，,；;：:！？!?、]", t) and t.endswith(ORG_ENDINGS)


def is_plain_name(text: str) -> bool:
    """A short line without sentence punctuation or digits (a signature that is not a known org name)."""
    t = norm(text)
    return 2 <= len(t) <= 30 and not re.search(r"[。，,；;：:！？!?、0-9()（）《》]", t)


# 发文字号 of a province-level organ start with the province's one-character name (湘, 渝, 豫, 鲁...):
# the rarest characters of a number, and the ones a recogniser most often misreads (湘 as 湖).
PROVINCES = {"北京": "京", "天津": "津", "上海": "沪", "重庆": "渝", "河北": "冀", "山西": "晋", "辽宁": "辽",
             "吉林": "吉", "黑龙江": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
             "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "海南": "琼", "四川": "川",
             "贵州": "黔", "云南": "云", "陕西": "陕", "甘肃": "甘", "青海": "青", "内蒙古": "蒙", "广西": "桂",
             "西藏": "藏", "宁夏": "宁", "新疆": "新"}
_PROVINCE_ORGAN = re.compile(r"^(" + "|".join(PROVINCES) + r")(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)?(?P<rest>.*)$")


def province_code_fix(doc_number: str, issuer: str | None) -> str:
    """The number with its first character set to the issuer's province name when the issuer is a
    province-level organ (not a city or district of it) and the character read is no province name.
    Only a 机关代字 starts with that one-character name: a 令's number spells its organ out
    (上海市人民政府令第61号), as does any number that starts with the province's full name."""
    if not issuer or not doc_number or ORDER_NO.match(doc_number):
        return doc_number
    m = _PROVINCE_ORGAN.match(issuer)
    if not m or re.search(r"[市区县州盟旗]", m.group("rest")):
        return doc_number
    want = PROVINCES[m.group(1)]
    if doc_number.startswith(m.group(1)):
        return doc_number
    first = doc_number[0]
    if first == want or first in PROVINCES.values() or first == "国" or not re.match(r"[\u4e00-\u9fff]", first):
        return doc_number
    return want + doc_number[1:]
