"""公文 fields from the page texts (pure functions). A first version: 发文字号, 标题, 文种, 发文机关,
成文日期, 密级, 紧急程度. Tolerant of the brackets a scan or a typist may give for 〔〕."""
from __future__ import annotations

import re
import unicodedata

from archiver.document import Metadata

DOC_TYPES = ("决议", "决定", "命令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示", "批复",
             "议案", "函", "纪要")
OTHER_KINDS = (("预算", "预算"), ("决算", "决算"), ("年度报告", "年度报告"), ("合同", "合同"))

_OPEN, _CLOSE = "〔\\[［【(（", "〕\\]］】)）"
DOC_NO = re.compile(rf"([\u4e00-\u9fff]{{1,12}}?)\s*[{_OPEN}]\s*((?:19|20)\d\d)\s*[{_CLOSE}]\s*(\d{{1,5}})\s*号")
DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
SECRECY = re.compile(r"(绝密|机密|秘密)\s*(★\s*[^\s]{0,6})?")
URGENCY = re.compile(r"(特急|加急|平急|特提)")
_CN = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}


def _cn_int(s: str) -> int:
    """一..三十一 (and 二〇二四 digit by digit when called on a year)."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)
    return int("".join(str(_CN[c]) for c in s))


def normalise_doc_number(agency: str, year: str, serial: str) -> str:
    return f"{agency}〔{year}〕{int(serial)}号"


def find_doc_number(text: str) -> str | None:
    m = DOC_NO.search(text)
    return normalise_doc_number(*m.groups()) if m else None


def find_date(text: str) -> str | None:
    """The last full date in the text (成文日期 sits near the end); ISO format."""
    found = []
    for m in DATE.finditer(text):
        found.append((m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in CN_DATE.finditer(text):
        try:
            found.append((m.start(), _cn_int(m.group(1)), _cn_int(m.group(2)), _cn_int(m.group(3))))
        except (KeyError, ValueError):
            continue
    valid = [(pos, y, mo, d) for pos, y, mo, d in found if 1 <= mo <= 12 and 1 <= d <= 31]
    if not valid:
        return None
    _, y, mo, d = max(valid)
    return f"{y:04d}-{mo:02d}-{d:02d}"


def find_doc_type(title: str | None) -> str | None:
    if not title:
        return None
    t = title.rstrip("。 ")
    for kind in sorted(DOC_TYPES, key=len, reverse=True):
        if t.endswith(kind):
            return kind
    for word, kind in OTHER_KINDS:
        if word in t:
            return kind
    return None


def find_title(lines: list[str]) -> str | None:
    """The line (or two) starting with an issuer and ending in a 文种, else the first substantial line."""
    for i, line in enumerate(lines[:25]):
        if "关于" in line or find_doc_type(line) in DOC_TYPES:
            title = line
            if "关于" in line and not find_doc_type(line) and i + 1 < len(lines) and find_doc_type(lines[i + 1]):
                title += lines[i + 1]
            if len(title) <= 80 and not DOC_NO.search(title):
                return title.strip()
    for line in lines[:10]:
        s = line.strip()
        if len(s) >= 6 and not DOC_NO.search(s) and not SECRECY.match(s) and not s.isdigit():
            return s
    return None


def find_issuer(lines: list[str], title: str | None) -> str | None:
    """发文机关: the red header ('XX文件'), else the title's part before 关于."""
    for line in lines[:6]:
        s = line.strip()
        if s.endswith("文件") and len(s) > 4:
            return s[:-2]
    if title and "关于" in title:
        head = title.split("关于", 1)[0].strip()
        if len(head) >= 2:
            return head
    return None


def extract(page_texts: list[str]) -> Metadata:
    lines = [ln.strip() for t in page_texts for ln in t.split("\n") if ln.strip()]
    text = "\n".join(lines)
    head = "\n".join(lines[:12])
    title = find_title(lines)
    date = find_date(text)
    secrecy = SECRECY.search(head)
    urgency = URGENCY.search(head)
    return Metadata(
        title=title,
        issuer=find_issuer(lines, title),
        doc_number=find_doc_number(head) or find_doc_number(text),
        doc_type=find_doc_type(title),
        date=date,
        year=int(date[:4]) if date else None,
        secrecy=re.sub(r"\s", "", secrecy.group(0)) if secrecy else None,
        urgency=urgency.group(1) if urgency else None,
    )
