"""公文 fields (GB/T 9704-2012 elements) from the page texts and line boxes. Pure functions.

The page is read as GB/T 9704 lays it out: 版头 (份号, 密级★期限, 紧急程度, 发文机关标志, 发文字号 and
签发人), then 标题, 主送机关, 正文, 附件说明, 署名 and 成文日期, 附注, and last the 版记 (抄送, 印发机关
and 印发日期). Each element is looked for only in its zone, so a date or a 发文字号 quoted in the body
is never taken for the document's own: a field the page does not have stays None."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from archiver.document import Box, FieldSpan, Metadata
from archiver.fields import GONGWEN_NAMES

from .patterns import (COPY_NO, ORG_ENDINGS, SECRECY, SIGNER, URGENCY, dates_in, doc_number_at_start, doc_type_of,
                       is_plain_name, iso_date, looks_like_org, loose_cn_date, norm, province_code_fix,
                       year_lost_date)
from .patterns import find_date, find_doc_number  # noqa: F401  (part of this module's interface)

HEAD_LINES = 15  # the 版头 and the title sit within the first lines of page 1
_WIDE = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
_BANJI = re.compile(r"^(抄送|分送|印发|主题词)")
_ITEM = re.compile(r"^\d{1,2}[.、:．]?(?=[\u4e00-\u9fff])")
_LOOSE_DATE = re.compile(r"((?:19|20)\d\d)[^\d]([01]?\d)[^\d]([0-3]?\d)日?")
# （ and ） as a scan may give them: [ ] (the bracket confusion of 〔2024〕 as [2024]).
_NOTE = re.compile(r"[(\[]?([^()\[\]]{2,80}?)[)\]]?")
# One stroke before a date under a seal: the ring's edge, read as 一, 丨 or a mark.
_RING_STRAY = re.compile(r"[一丨|lI1\-—_.·'`]")
# 印发 as a recogniser may read it (日发, 印友); only ever looked for right after a date.
_PRINTED = re.compile(r"(印发|[日卬印]发|印[友反])$")
_NUMBER_ONLY = re.compile(r"^第\s*[0-9０-９一二三四五六七八九十百零〇]+\s*号$")  # 第707号 under a 令's header
# 命令（令）格式: 中华人民共和国国务院令, or 某某省人民政府令, over 第N号 (or on one line with it).
_ORDER_HEAD = re.compile(r"^(?:中华人民共和国)?(?P<organ>.{2,24}?)令(?:第?(?P<n>\d+)号)?$")
_PROMULGATED = re.compile(r"《([^《》]{2,60})》")
# A signature of a person with their office (总理 李克强, 部长 某某), as under a 令.
_TITLED_SIGNER = re.compile(r"^(总理|副总理|主席|部长|省长|市长|区长|县长|局长|主任|书记|院长|署长|行长)\s*[\u4e00-\u9fff·]{2,5}$")


@dataclass(frozen=True)
class TextLine:
    page: int
    number: int  # 1-based within its page
    text: str
    norm: str
    box: Box | None


_LEAD = "‘’“”'\"`.,，、。-—–_~·•|「」『』:;"
_TRAIL = "‘’“”'\"`.,，、-—–_~·•|「」『』"


def _trim(n: str) -> str:
    """Without the stray marks a recogniser puts at line ends (a quote for a speck, a dash for a rule),
    and without an opening bracket that is never closed."""
    n = n.lstrip(_LEAD).rstrip(_TRAIL)
    if n[:1] in "(（" and not any(c in n for c in ")）"):
        n = n[1:]
    return n


def _junk(n: str) -> bool:
    """A read of specks, rules or a seal: no hanzi and under four letters or digits."""
    return not re.search(r"[\u4e00-\u9fff]", n) and len(re.findall(r"[0-9A-Za-z]", n)) < 4


def _lines(page_texts: Sequence[str], page_boxes: Sequence[Sequence[Box]] | None) -> list[TextLine]:
    out = []
    for p, text in enumerate(page_texts, 1):
        boxes = page_boxes[p - 1] if page_boxes is not None and p - 1 < len(page_boxes) else None
        for i, line in enumerate(text.split("\n"), 1):
            n = _trim(norm(line))
            if n and not _junk(n):
                box = boxes[i - 1] if boxes is not None and i - 1 < len(boxes) else None
                out.append(TextLine(p, i, line.strip(), n, box))
    return out


class _Found:
    """Field values and the lines they came from, collected as the zones are read."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.spans: list[FieldSpan] = []
        self.title_above: tuple[int, int] | None = None  # the title, when it stands above the 发文字号
        self.order_issuer: str | None = None  # the organ of a 令 (命令格式), from its header
        self.head_organ: tuple[str, TextLine] | None = None  # an organ dated above the body (纪要格式), no 署名

    def put(self, field: str, value, *lines: TextLine) -> None:
        if value in (None, "") or field in self.values:
            return
        if isinstance(value, str) and field not in ("doc_number", "date", "print_date", "copy_no"):
            value = value.translate(_WIDE)  # norm() folded the Chinese punctuation; give it back
        self.values[field] = value
        if lines:
            self.spans.append(FieldSpan(field, lines[0].page, lines[0].number, "\n".join(ln.text for ln in lines)))


def _join(lines: Sequence[TextLine]) -> str:
    """The lines' texts as one: a line broken after a 顿号 (关于加强档案、 / 文书工作的通知) keeps it, though
    _trim drops a 、 that ends a line alone (a speck there reads as one): a 、 between two hanzi joins
    the items of an enumeration."""
    out = ""
    for k, ln in enumerate(lines):
        n = ln.norm
        if k + 1 < len(lines) and norm(ln.text).endswith(n + "、") and re.search(r"[\u4e00-\u9fff]$", n) \
                and re.match(r"[\u4e00-\u9fff]", lines[k + 1].norm):
            n += "、"
        out += n
    return out


def _tall(lines: list[TextLine], i: int) -> bool:
    """The line is set much larger than the page's typical line (the 版头 is 2–3x body size)."""
    box = lines[i].box
    heights = sorted(ln.box[3] - ln.box[1] for ln in lines if ln.box is not None and ln.page == lines[i].page)
    if box is None or len(heights) < 4:
        return False
    return box[3] - box[1] >= 1.7 * heights[len(heights) // 2]


def _ends_in_type(text: str) -> bool:
    kind = doc_type_of(text)
    return kind != "other" and (text.endswith(kind) or kind in ("函", "命令", "年度报告"))


def _colon_in_title(lines: list[TextLine], i: int) -> bool:
    """The line ends in a colon, yet is the first line of a title (a speck read as ：): it holds 关于 and
    with the next line ends in a 文种."""
    n = lines[i].norm.rstrip(":：")
    return "关于" in n and i + 1 < len(lines) and _ends_in_type(n + lines[i + 1].norm)


TITLE_MAX_LINES = 4  # GB/T 9704: a title over one line or more, set as a trapezoid or diamond; 4 at most in practice


def _title_line(n: str) -> bool:
    """Could this line be (part of) a title: short, no sentence punctuation, no 发文字号 or date of its own."""
    return (len(n) <= 40 and not re.search(r"[。；;！!？?]", n) and not n.endswith(("：", ":"))
            and doc_number_at_start(n) is None and not dates_in(n) and not _NUMBER_ONLY.match(n)
            and not SIGNER.search(n) and not SECRECY.match(n) and not COPY_NO.match(n)
            and not re.search(r"[〔\[【][0-9xX]{2,4}[〕\]】]", n))  # a 发文字号's year bracket, even a placeholder's


def _title_run(lines: list[TextLine], i: int, stop: int) -> int | None:
    """The last index j of the longest run of title lines from i (same page, at most TITLE_MAX_LINES,
    before stop) that together end in a 文种; None when no run does."""
    best = None
    for j in range(i, min(i + TITLE_MAX_LINES, stop)):
        if lines[j].page != lines[i].page or not _title_line(lines[j].norm):
            break
        if _ends_in_type("".join(ln.norm for ln in lines[i:j + 1])):
            best = j
    return best


def _title_above_number(lines: list[TextLine], dn: int) -> tuple[int, int] | None:
    """The layout as published (no 版头): the title stands right above the 发文字号, its run ending on the
    line before the number."""
    for i in range(max(0, dn - TITLE_MAX_LINES), dn):
        if _title_run(lines, i, dn) == dn - 1:
            return i, dn - 1
    return None


def _find_title(lines: list[TextLine], start: int) -> tuple[int, int] | None:
    """(first, last) index of the title: the first run of title lines that ends in a 文种 (the first of
    them may be the issuer alone: 国务院办公厅 / 关于……的函); else a line with 关于 or a 文种 joined with
    the lines that complete it; else the first substantial line."""
    end = min(len(lines), start + 10)
    for i in range(start, end):
        n = lines[i].norm
        if (n.endswith(("：", ":")) and not _colon_in_title(lines, i)) or _BANJI.match(n):
            break
        run = _title_run(lines, i, len(lines))
        if run is not None:
            return i, run
        if "关于" in n or doc_type_of(n) != "other":
            if len(n) > 60:
                continue
            last = i  # a title wrapped over lines: the longest run of title-like lines ending in a 文种
            while last + 1 < min(i + 3, len(lines)) and not re.search(r"[。，,：:；;]", lines[last + 1].norm) \
                    and len(lines[last + 1].norm) <= 30 and lines[last + 1].page == lines[i].page:
                last += 1
            for j in range(last, i - 1, -1):
                if _ends_in_type("".join(ln.norm for ln in lines[i:j + 1])):
                    return i, j
            return i, i
    for i in range(start, end):
        n = lines[i].norm
        if 4 <= len(n) <= 60 and not re.search(r"[。，,；;：:〔\[【(]", n) and not n.isdigit():
            return i, i
    return None


def _head(lines: list[TextLine], found: _Found) -> int:
    """Read the 版头; returns the index where the title search starts."""
    limit = min(len(lines), HEAD_LINES)
    page1 = [i for i in range(limit) if lines[i].page == lines[0].page]
    dn = None
    for i in page1:
        hit = doc_number_at_start(lines[i].norm)
        rest = lines[i].norm[hit[1]:] if hit else ""
        if hit and (not rest or rest.startswith("签发人")):
            dn = i
            found.put("doc_number", hit[0], lines[i])
            sig = SIGNER.search(lines[i].norm[hit[1]:])
            if sig:
                found.put("signer", sig.group(1), lines[i])
            break
    found.title_above = _title_above_number(lines, dn) if dn is not None else None
    head_end = dn if dn is not None else (page1[-1] + 1 if page1 else 0)
    if found.title_above is not None:
        head_end = found.title_above[0]  # the lines above the number are the title, not a 版头
    header = None
    for i in range(head_end):
        n = lines[i].norm
        if len(n) > 3 and n.rstrip(":：").endswith("文件") and not SECRECY.match(n):
            header = i
            break
    if header is None and dn is not None:
        header = next((i for i in range(head_end) if _tall(lines, i) and not SECRECY.match(lines[i].norm)
                       and not COPY_NO.match(lines[i].norm)), None)
    if header is not None:
        found.put("header", lines[header].norm.rstrip(":："), lines[header])
    top = header if header is not None else (dn if dn is not None else min(4, len(lines)))
    for i in range(top):
        ln = lines[i]
        m = COPY_NO.match(ln.norm)
        if m:
            found.put("copy_no", m.group(1).replace("O", "0").replace("o", "0"), ln)
        m = SECRECY.match(ln.norm)
        if m:
            found.put("secrecy", m.group(1), ln)
            found.put("secrecy_period", m.group(2), ln)
        m = URGENCY.search(ln.norm)
        if m and (len(ln.norm) <= 4 or SECRECY.match(ln.norm)):
            found.put("urgency", m.group(1), ln)
    for i in range((dn or 0), min(limit, (dn or 0) + 2)):  # 签发人 on its own line beside the number
        sig = SIGNER.search(lines[i].norm)
        if sig and dn is not None:
            found.put("signer", sig.group(1), lines[i])
    if dn is not None:
        return dn + 1
    return (header + 1) if header is not None else 0


def _damaged_date(lines: list[TextLine], title_end: int, banji: int, found: _Found) -> int | None:
    """A 成文日期 line a seal damaged (2023算8月15日, 二一四年三月九日 with its 〇 lost): the whole line is
    a year, a month and a day with at most one stray character for each separator, right under a
    signature."""
    for i in range(banji - 1, title_end + 1, -1):
        n, prev = lines[i].norm, lines[i - 1].norm
        if "印发" in n or _printed_line(lines, i) or not (looks_like_org(prev) or is_plain_name(prev)):
            continue
        m = _LOOSE_DATE.fullmatch(n)
        iso = iso_date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else loose_cn_date(n)
        if iso is None and (year := _doc_number_year(found)) is not None:
            iso = year_lost_date(n, year)
            if iso:
                _year_from(found, "doc_number")
        if iso:
            found.put("date", iso, lines[i])
            return i
    return None


def _date_year_from_number(found: _Found) -> None:
    """A 成文日期 whose year is the 发文字号's but for one digit other than the last (2014 under 〔2004〕: a
    〇 read as 一 under the seal) takes the 发文字号's year: a document is numbered the year it is dated,
    or at the turn of a year the next, never ten years apart. The record says where the year came from."""
    date, year = found.values.get("date"), _doc_number_year(found)
    if not isinstance(date, str) or year is None:
        return
    read = date[:4]
    want = f"{year:04d}"
    differ = [i for i in range(4) if read[i] != want[i]]
    if len(differ) == 1 and differ[0] < 3:
        found.values["date"] = want + date[4:]
        _year_from(found, "doc_number")


def _year_from(found: _Found, field: str) -> None:
    """The record says the year came from this field's line (the 档号's year, shown by explain)."""
    span = next((sp for sp in found.spans if sp.field == field), None)
    if span is not None:
        found.spans.append(FieldSpan("year", span.page, span.line, span.text))


def _doc_number_year(found: _Found) -> int | None:
    m = re.search(r"〔((?:19|20)\d\d)〕", str(found.values.get("doc_number") or ""))
    return int(m.group(1)) if m and any(sp.field == "doc_number" for sp in found.spans) else None


def _tail(lines: list[TextLine], title_end: int, found: _Found) -> None:
    """正文 ends in 附件说明, 署名 and 成文日期, 附注; then the 版记."""
    banji = next((i for i in range(title_end + 1, len(lines)) if _BANJI.match(lines[i].norm)), len(lines))
    date_i = _date_line(lines, title_end, banji)
    if date_i is None:
        date_i = _damaged_date(lines, title_end, banji, found)
    if date_i is not None:
        _date_and_signature(lines, date_i, title_end, found)
    _note(lines, date_i + 1 if date_i is not None else max(title_end + 1, banji - 3), banji, found)
    _attachments(lines, title_end, date_i if date_i is not None else banji, found)
    if date_i is None:
        _signature_over_lost_date(lines, title_end, banji, found)
    _banji(lines, max(title_end + 1, date_i + 1 if date_i is not None else 0), found)


def _signature_like(n: str) -> bool:
    return looks_like_org(n) or is_plain_name(n) or bool(_TITLED_SIGNER.match(n))


def _date_line(lines: list[TextLine], title_end: int, banji: int) -> int | None:
    """The line of the 成文日期: a line that is a date, with at most a name or an organisation before it
    (never a 印发 line). The first such line under a 署名 is the document's own: an attached or forwarded
    text that follows it has its own 署名 and date. Without a 署名 above any, the last before the 版记
    (after it only when there is none before)."""
    date_i = None
    for i in range(title_end + 1, len(lines)):
        n = lines[i].norm
        if "印发" in n or _printed_line(lines, i):
            continue
        ds = dates_in(n)
        if not ds or ds[-1][1] != len(n):
            continue
        prefix = n[:ds[-1][0]].strip("（(")
        if _RING_STRAY.fullmatch(prefix):  # the edge of a seal's ring read as a stroke: 一一九九六年二月九日
            prefix = ""
        if prefix and not (is_plain_name(prefix) or looks_like_org(prefix)):
            continue
        if i < banji and (prefix or (i - 1 > title_end and _signature_like(lines[i - 1].norm))):
            return i  # under its 署名
        if i < banji or date_i is None:
            date_i = i
    return date_i


# Organs set side by side on one line (联合行文): a gap of an ideographic space or two spaces or more.
_GAP = re.compile(r"(?:\s*\u3000\s*|\s{2,})")


def _organs_on_line(text: str, want: str) -> list[str]:
    """The organs a line names side by side (甲局　　乙局), each a whole organisation name, when there are
    two or more; `want` is the normalised text they make up (a date after them on the line is not theirs)."""
    parts = [x for x in (norm(x) for x in _GAP.split(text.strip())) if x]
    acc, used = "", []
    for x in parts:
        if acc == want:
            break
        acc += x
        used.append(x)
    if acc != want or len(used) < 2 or not all(looks_like_org(x) and len(x) >= 3 for x in used):
        return []
    return used


def _body_line(lines: list[TextLine], k: int) -> bool:
    """By its box, a line of the 正文: it starts at the text's left edge and spans most of the text's width
    (a 署名 is set short, towards the right). False when the boxes are not known."""
    box = lines[k].box
    page = [ln.box for ln in lines if ln.page == lines[k].page and ln.box is not None]
    if box is None or len(page) < 4:
        return False
    left, right = min(b[0] for b in page), max(b[2] for b in page)
    h = max(1, box[3] - box[1])
    return box[0] - left < 1.5 * h and box[2] - box[0] > 0.6 * (right - left)


def _signature_stack(lines: list[TextLine], k: int, title_end: int) -> int:
    """The first line of the 署名 that ends on line k: 联合行文 stacks the organs one per line over the
    date (主办机关 first), each a whole organisation name, none a line of the body: set the width of the
    text by its box, or without boxes as long as a full line (GB/T 9704: 28 characters; an organ's name
    is rarely over 20)."""
    first = k
    if not looks_like_org(lines[k].norm):
        return first
    while first - 1 > title_end and lines[first - 1].page == lines[k].page and k - first < 5:
        n = lines[first - 1].norm
        if not looks_like_org(n) or len(n) > 22 or n.startswith(("附件", "联系", "抄送")) or _body_line(lines, first - 1):
            break
        first -= 1
    return first


def _above_the_body(lines: list[TextLine], first: int, title_end: int) -> bool:
    """Only the title and short lines with no sentence in them (第12期) stand above line `first`: an organ
    and date there head the page (纪要格式: the issuing office and the date over the body), while a 署名
    follows the 正文 it signs."""
    return all(len(ln.norm) <= 12 and not re.search(r"[。，,；;：:]", ln.norm) for ln in lines[title_end + 1:first])


def _put_signature(lines: list[TextLine], first: int, last: int, title_end: int, found: _Found,
                   prefix: str | None = None) -> None:
    """The 署名 of lines first..last (the last may hold the date after it, prefix being its part before
    the date): joint organs, stacked or side by side, are kept all, joined by 、 as the 发文机关 is."""
    organs: list[str] = []
    for k in range(first, last + 1):
        part = prefix if k == last and prefix is not None else lines[k].norm
        organs += _organs_on_line(lines[k].text, part) or [part]
    value = "、".join(organs)
    if _above_the_body(lines, first, title_end):
        if looks_like_org(organs[0]) and found.head_organ is None:
            found.head_organ = (value, lines[first])
        return
    found.put("signature", value, *lines[first:last + 1])


def _date_and_signature(lines: list[TextLine], date_i: int, title_end: int, found: _Found) -> None:
    """The 成文日期 of its line, and the 署名 before it on that line or on the lines above."""
    ln = lines[date_i]
    ds = dates_in(ln.norm) or [(0, 0, found.values.get("date"))]
    found.put("date", ds[-1][2], ln)
    prefix = ln.norm[:ds[-1][0]]
    if prefix and (looks_like_org(prefix) or is_plain_name(prefix)):
        _put_signature(lines, date_i, date_i, title_end, found, prefix)
    elif date_i - 1 > title_end:
        prev = lines[date_i - 1]
        if _signature_like(prev.norm) and not prev.norm.startswith(("附件", "联系")):
            _put_signature(lines, _signature_stack(lines, date_i - 1, title_end), date_i - 1, title_end, found)


def _note(lines: list[TextLine], start: int, banji: int, found: _Found) -> None:
    """附注: a bracketed line within four lines after the date (or before the 版记)."""
    for j in range(start, min(banji, start + 4)):
        m = _NOTE.fullmatch(lines[j].norm)
        if m and (lines[j].norm[0] in "([" or lines[j].norm[-1] in ")]"):
            found.put("note", m.group(1), lines[j])
            return


def _attachments(lines: list[TextLine], title_end: int, stop: int, found: _Found) -> None:
    """附件说明: the line starting 附件： and the numbered items under it, before the date."""
    for i in range(title_end + 1, stop):
        n = lines[i].norm
        if not n.startswith(("附件:", "附件：")):
            continue
        items, used = [n.split(":", 1)[1] if ":" in n else n.split("：", 1)[1]], [lines[i]]
        for j in range(i + 1, stop):
            if not _ITEM.match(lines[j].norm) or dates_in(lines[j].norm):
                break
            items.append(lines[j].norm)
            used.append(lines[j])
        clean = [_ITEM.sub("", it).rstrip("。:：;；" + _TRAIL) for it in items]
        found.put("attachments", "；".join(c for c in clean if c), *used)
        return


def _signature_over_lost_date(lines: list[TextLine], title_end: int, banji: int, found: _Found) -> None:
    """The date under the seal is unreadable, the 署名 above it may not be: an organisation over a
    short line that still looks like a date (年月日 or digits)."""
    for i in range(banji - 1, title_end + 1, -1):
        nxt, prev = lines[i].norm, lines[i - 1].norm
        datish = len(nxt) <= 14 and (sum(c in nxt for c in "年月日") >= 2 or len(re.findall(r"\d", nxt)) >= 4)
        printed = "印发" in nxt or _printed_line(lines, i)
        if datish and not printed and looks_like_org(prev) and not dates_in(prev):
            _put_signature(lines, _signature_stack(lines, i - 1, title_end), i - 1, title_end, found)
            return


def _printed_line(lines: list[TextLine], i: int) -> bool:
    """The line ends in a date followed by 印发 (or a misreading of it)."""
    if not 0 <= i < len(lines):
        return False
    n = lines[i].norm
    ds = dates_in(n)
    return bool(ds) and len(n) - ds[-1][1] == 2 and bool(_PRINTED.search(n))


def _banji(lines: list[TextLine], start: int, found: _Found) -> None:
    """版记: 抄送机关 (possibly over two lines), 印发机关 and 印发日期."""
    for i in range(start, len(lines)):
        n = lines[i].norm
        if re.match(r"^抄送[:：]", n):
            parts, used = [n[3:]], [lines[i]]
            j = i + 1
            while not parts[-1].endswith("。") and j < len(lines) and j < i + 3 and not _BANJI.match(lines[j].norm) \
                    and not _printed_line(lines, j) and not _printed_line(lines, j + 1) and not dates_in(lines[j].norm):
                parts.append(lines[j].norm)
                used.append(lines[j])
                j += 1
            # 抄送机关 are separated by commas (GB/T 9704 7.4.2); a semicolon there is a misread comma.
            found.put("cc", "".join(parts).rstrip("。:：" + _TRAIL).replace(";", ","), *used)
        if _printed_line(lines, i):
            ds = dates_in(n)
            found.put("print_date", ds[-1][2], lines[i])
            prefix = n[:ds[-1][0]].rstrip(":：")
            if prefix and (looks_like_org(prefix) or is_plain_name(prefix)):
                found.put("printer", prefix, lines[i])
            elif not prefix and i > start:
                prev = lines[i - 1]
                name = prev.norm.rstrip(":：。")  # an organ's name never ends a sentence: a 。 there is a speck
                if looks_like_org(name) and not _BANJI.match(prev.norm):
                    found.put("printer", name, prev)


def _recipients_without_colon(n: str) -> bool:
    """The line under the title names addressees though its colon was not read: short, no sentence
    punctuation, ending like an organisation or a group of them (各有关单位, 机关各处室)."""
    return (len(n) <= 40 and (n.startswith("各") or len(n) <= 15) and not re.search(r"[。；;！？《》0-9:：]", n)
            and n.endswith(ORG_ENDINGS + ("单位", "处室", "部门", "学校")))


def _order(lines: list[TextLine], found: _Found) -> int | None:
    """命令（令）格式: `中华人民共和国国务院令` over `第707号`. The 发文字号 is 国令第707号 (the organ's own
    name elsewhere: 财政部令第10号), the issuer the organ, the 文种 命令, and the title the name of what
    it promulgates (《……》 in the order's text) when it says so. Returns the index of the last line of
    the order's head (the text after it is the order), or None for another layout."""
    for i in range(min(4, len(lines))):
        m = _ORDER_HEAD.match(lines[i].norm)
        if not m or "关于" in m.group("organ") or not looks_like_org(m.group("organ")):
            continue
        number, last = m.group("n"), i
        if number is None and i + 1 < len(lines):
            nm = re.match(r"^第\s*(\d+)\s*号$", lines[i + 1].norm)
            if nm:
                number, last = nm.group(1), i + 1
        if number is None:
            continue
        organ = m.group("organ")
        found.put("header", lines[i].norm, lines[i])
        found.put("doc_number", f"{'国' if organ == '国务院' else organ}令第{number}号", *lines[i:last + 1])
        found.values["doc_type"] = "命令"
        found.order_issuer = organ
        text = lines[last + 1:last + 5]  # the order's few lines, joined: a 《name》 may wrap
        joined = "".join(ln.norm for ln in text)
        p = _PROMULGATED.search(joined)
        if p and re.search(r"(公布|发布|施行)", joined):
            found.put("title", p.group(1), *text)
        return last
    return None


def _issuer(found: _Found, title: str | None) -> tuple[str | None, str | None]:
    """发文机关 and the field it was taken from: the title's agency (before 关于, or before 对 in a 答复;
    the one who forwards in a 转发/批转/印发 title; joint issuers as published), the 令's organ, the 版头,
    the signature."""
    if found.order_issuer:
        return found.order_issuer, "header"
    if title and ("关于" in title or title.endswith("答复")):
        head = title.split("关于", 1)[0] if "关于" in title else re.split(r"对", title, maxsplit=1)[0]
        forwarder = re.split(r"(?:转发|批转|印发)", head, maxsplit=1)[0]
        if forwarder != head and all(looks_like_org(x) for x in forwarder.split("、")):
            head = forwarder
        if 2 <= len(head) <= 40 and not head.isdigit() and head != title:
            return head, "title"
    header = found.values.get("header")
    if isinstance(header, str) and header.endswith("文件") and len(header) > 3:
        # 中共中央机密文件: the 版头 of a classified series names its organ before the 密级.
        name = re.sub(r"(绝密|机密|秘密)$", "", header[:-2])
        return (name, "header") if len(name) >= 2 else (header[:-2], "header")
    sig = found.values.get("signature")
    if isinstance(sig, str) and all(looks_like_org(x) for x in sig.split("、")):
        return sig, "signature"
    if found.head_organ is not None:  # 纪要格式: the office that issues it, over the body
        return found.head_organ[0], "head"
    if title:
        m = re.match(r"^(.{2,30}?)(?:19|20)\d\d年(?:度)?.{0,12}(预算|决算|年度报告)", title)
        if m and looks_like_org(m.group(1)):
            return m.group(1), "title"
    return None, None


def _agree(value: str | None, name: str | None) -> str | None:
    """value with its beginning set to name where it reads as name with one character misread: the 署名
    under a seal, or the 印发机关 in small type, give the 发文机关 that was read in large type. Two
    characters apart (开福区 for 岳麓区), or the last (办公室 for 办公厅), is another organ."""
    if not value or not name or len(name) < 4 or len(value) < len(name) or value.startswith(name):
        return value
    wrong = [k for k, (a, b) in enumerate(zip(value, name)) if a != b]
    # The last character says what kind of organ it is (办公厅, 办公室): a difference there is no misreading.
    return name + value[len(name):] if len(wrong) == 1 and wrong[0] < len(name) - 1 else value


def extract(page_texts: Sequence[str], page_boxes: Sequence[Sequence[Box]] | None = None) -> Metadata:
    """All 公文 fields of a document from its page texts (lines split by \\n) and, when known, the line
    boxes of each page (one per line, same order), which help find a 版头 without 文件."""
    lines = _lines(page_texts, page_boxes)
    found = _Found()
    if not lines:
        return Metadata(doc_type="other")
    start = _head(lines, found)
    order_end = _order(lines, found) if found.title_above is None else None
    t = found.title_above or (None if order_end is not None else _find_title(lines, start))
    title = None
    if order_end is not None:
        title = found.values.get("title")
        _tail(lines, order_end, found)
    elif t is not None:
        title_lines = lines[t[0]:t[1] + 1]
        title = _join([ln if not ln.norm.endswith(":") else TextLine(ln.page, ln.number, ln.text, ln.norm.rstrip(":"),
                                                                     ln.box) for ln in title_lines])
        found.put("title", title, *title_lines)
        after = max(t[1], start - 1) + 1  # as published, the 发文字号 follows the title
        for k in range(after, min(after + 2, len(lines))):
            n = lines[k].norm
            # a scan often loses the colon; a line broken after a 顿号 goes on to the next
            if k == after and _recipients_without_colon(n) and not norm(lines[k].text).endswith(n + "、"):
                found.put("recipients", n.replace(";", ","), lines[k])
                break
            if n.endswith(("：", ":")) and not re.match(r"^(附件|抄送|联系人|电话)", n) and len(n) <= 80:
                used = lines[after:k + 1]
                if k > after and "。" in lines[after].norm:
                    break
                # 主送机关 are separated by commas or 顿号; a semicolon there is a misread comma.
                found.put("recipients", _join(used).rstrip("：:").replace(";", ","), *used)
                break
        _tail(lines, max(t[1], start - 1), found)
    issuer, source = _issuer(found, title)
    if issuer:
        span = next((s for s in found.spans if s.field == source), None)
        if source == "head" and found.head_organ is not None:
            ln = found.head_organ[1]
            span = FieldSpan("head", ln.page, ln.number, ln.text)
        found.values["issuer"] = issuer
        if span:
            found.spans.append(FieldSpan("issuer", span.page, span.line, span.text))
    v = found.values
    if source in ("title", "header"):
        for key in ("signature", "printer"):
            v[key] = _agree(v.get(key), issuer)
    if isinstance(v.get("doc_number"), str):
        v["doc_number"] = province_code_fix(v["doc_number"], v.get("issuer"))
    _date_year_from_number(found)
    year = None
    for key in ("date", "doc_number", "title", "print_date"):
        m = re.search(r"((?:19|20)\d\d)", str(v.get(key) or ""))
        if m:
            year = int(m.group(1))
            if key != "date":  # no 成文日期 read: the record says where the year came from
                _year_from(found, key)
            break
    v.update(title=title, doc_type=v.get("doc_type") or doc_type_of(title), year=year)
    return Metadata(**{name: v.get(name) for name in GONGWEN_NAMES}, spans=tuple(found.spans))


def field_values(m: Metadata) -> dict:
    """The fields of a Metadata by name (no spans): what rules' `when:` conditions and file names see."""
    return {name: getattr(m, name) for name in GONGWEN_NAMES}
