"""Labelled 公文 documents rendered per GB/T 9704-2012 and as published, for measuring field extraction.

Each sample is a document of one or more A4 pages (150 dpi: 3号 body type is ~33 px high) drawn with
PIL in the Debian CJK fonts, in one of these layouts (`LAYOUTS`):
- `file` (文件格式): red 版头 `某某文件`, 发文字号 (with 签发人 for 上行文), red rule, title, 主送, body,
  附件说明, 署名 and 成文日期 under a red seal, 附注, and the 版记 (抄送, 印发机关 and 印发日期) between rules;
- `letter` (信函格式): the issuer's name without 文件 over a red double rule, the 发文字号 at the right;
- `published` (as on government websites): the title first, the 发文字号 under it, no 版头, no seal and
  no 版记, a note such as （此件公开发布） at the end;
- `order` (命令（令）格式): `某某人民政府令` / `第N号`, the order promulgating a regulation, the signature
  of the head (省长 某某), then the regulation itself;
- `minutes` (纪要格式): `某某会议纪要` in red, `第N期`, the issuing office and the date on one line;
- `other`: a page that is no 公文 (a budget, a contract, meeting notes), so that a field the page lacks
  can be checked for being invented.
Titles run over one to four lines (the first may be the issuer alone); some are 转发/批转/印发 titles
(the issuer is the one who forwards, a forwarded text with its own 署名 and date may follow), some
are by joint issuers (`甲、乙` as the 发文机关, the 署名 stacked); long bodies run over several pages
(title on page 1, 署名 and 成文日期 on the last, page numbers at the foot). All text is invented here.
Which elements appear, their values, fonts and layout vary with the seed. The truth holds every
field's value, None where absent."""
from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training import fonts

DPI = 150
MM = DPI / 25.4
PT = DPI / 72
W, H = round(210 * MM), round(297 * MM)
LEFT, TOP, BODY_W = round(28 * MM), round(37 * MM), round(156 * MM)
RED, BLACK = (218, 37, 29), (20, 20, 20)
LAYOUTS = ("file", "letter", "published", "order", "minutes", "other")
FIELDS = ("copy_no", "secrecy", "secrecy_period", "urgency", "header", "doc_number", "signer", "title",
          "doc_type", "recipients", "attachments", "issuer", "signature", "date", "note", "cc", "printer",
          "print_date")

AGENCIES = (  # (full name, 发文字号 agency code, short form for 版头 or "")
    ("国务院办公厅", "国办发", ""), ("上海市人民政府", "沪府发", ""), ("上海市普陀区人民政府", "普府发", ""),
    ("北京市教育委员会", "京教发", ""), ("江苏省财政厅", "苏财预", ""), ("浙江省应急管理厅", "浙应急", ""),
    ("广东省人力资源和社会保障厅", "粤人社发", ""), ("四川省人民政府办公厅", "川办函", ""),
    ("杭州市西湖区卫生健康局", "西卫发", ""), ("武汉市生态环境局", "武环", ""), ("天津市公安局", "津公发", ""),
    ("重庆市交通局", "渝交", ""), ("湖南省水利厅", "湘水发", ""), ("国家市场监督管理总局", "国市监", ""),
    ("山东省民政厅", "鲁民", ""), ("河南省住房和城乡建设厅", "豫建", ""), ("福建省商务厅", "闽商务", ""),
    ("云南省林业和草原局", "云林", ""), ("长沙市岳麓区人民政府", "岳政发", ""), ("上海市普陀区司法局", "普司", ""),
)
TOPICS = ("防汛抗旱", "安全生产大检查", "冬季消防安全", "政府信息公开", "优化营商环境", "垃圾分类",
          "老旧小区改造", "耕地保护", "校园食品安全", "森林防火", "人才引进", "数字政府建设", "预算绩效管理",
          "乡村振兴", "节能减排", "疫苗接种", "社会救助", "干部教育培训", "档案管理", "城市更新")
RECIPIENTS = ("各区人民政府，市政府各委、办、局", "各有关单位", "各市、县人民政府，省政府各部门",
              "各街道办事处、镇人民政府", "市财政局", "省人民政府", "各县（市、区）教育局，各直属学校",
              "局属各单位，机关各处室")
PEOPLE = ("王建国", "李明", "张卫东", "刘芳", "陈志强", "杨帆", "赵丽华", "周永康", "吴海", "孙晓")
TITLES = {
    "通知": "关于做好{t}工作的通知", "通报": "关于{t}工作情况的通报", "请示": "关于申请{t}专项经费的请示",
    "批复": "关于{t}实施方案的批复", "函": "关于商请支持{t}工作的函", "意见": "关于加强{t}的实施意见",
    "报告": "关于{y}年{t}工作情况的报告", "决定": "关于表彰{t}先进集体的决定", "公告": "关于{t}有关事项的公告",
    "通告": "关于{t}期间交通管制的通告", "纪要": "关于{t}专题会议的纪要", "决议": "关于{t}工作报告的决议",
    "公报": "关于{y}年{t}情况的公报", "议案": "关于提请审议{t}条例草案的议案",
}
SENTENCES = (
    "为深入贯彻落实{t}有关要求，切实做好相关工作，经研究，现就有关事项通知如下。",
    "各单位要高度重视{t}工作，明确责任分工，加强组织领导，确保各项措施落到实处。",
    "根据《关于进一步加强{t}工作的意见》（{ref}）精神，结合本地实际，制定本方案。",
    "本办法自{d}起施行，原有规定与本办法不一致的，以本办法为准。",
    "请于{d}前将工作开展情况报送我单位，联系电话：{phone}。",
    "要加强督促检查，对工作不力、措施不实的单位予以通报批评。",
    "各地要统筹安排资金，落实保障措施，推动{t}工作取得实效。",
)
CN_DIGITS = "〇一二三四五六七八九"


def cn_year(y: int) -> str:
    return "".join(CN_DIGITS[int(c)] for c in str(y))


def cn_num(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def date_text(y: int, m: int, d: int, chinese: bool) -> str:
    return f"{cn_year(y)}年{cn_num(m)}月{cn_num(d)}日" if chinese else f"{y}年{m}月{d}日"


@dataclass(frozen=True)
class Sample:
    name: str
    layout: str  # one of LAYOUTS
    images: tuple[np.ndarray, ...]  # RGB pages
    page_lines: tuple[tuple[tuple[str, tuple[int, int, int, int]], ...], ...]  # per page: text lines as drawn
    truth: dict  # field -> value or None

    @property
    def image(self) -> np.ndarray:
        return self.images[0]

    @property
    def lines(self) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
        return self.page_lines[0]

    def texts(self) -> list[str]:
        """The page texts as the clean text layer gives them (one line per drawn line)."""
        return ["\n".join(t for t, _ in pl) for pl in self.page_lines]

    def boxes(self) -> list[list[tuple[int, int, int, int]]]:
        return [[b for _, b in pl] for pl in self.page_lines]


@functools.lru_cache(maxsize=None)
def _font(spec: fonts.FontSpec, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(spec.path), px, index=spec.index)


def _spec(name: str) -> fonts.FontSpec:
    return fonts.by_name(name)


def _faces(rng: random.Random) -> tuple[fonts.FontSpec, fonts.FontSpec, int, int]:
    """A document's body and title faces, its body size (16 pt in px) and line pitch."""
    px = round(16 * PT)
    return _spec(rng.choice(BODY_FONTS)), _spec(rng.choice(TITLE_FONTS)), px, round(px * rng.uniform(1.55, 1.75))


def _red_heading(d: "Doc", rng: random.Random, heading: str, spec: fonts.FontSpec, size_pt: tuple[float, float],
                 spacing: float) -> None:
    """A red heading across the top (令 or 纪要), as large as the text width lets it be, and the gap under it."""
    hpx = min(round(rng.uniform(*size_pt) * PT), int(BODY_W / (len(heading) * 1.05)))
    d.p.centred(d.y, heading, spec, hpx, RED, spacing=spacing)
    d.y += hpx + round(8 * MM)


class Page:
    def __init__(self) -> None:
        self.img = Image.new("RGB", (W, H), (255, 255, 255))
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[tuple[str, tuple[int, int, int, int], int]] = []  # text, box, order key

    def text(self, x: int, y: int, s: str, spec: fonts.FontSpec, px: int, fill=BLACK, spacing: float = 0.0,
             record: bool = True) -> int:
        """Draw s from (x, y) char by char (a face lacking a char falls back); returns the end x."""
        cov = fonts.coverage(spec.path, spec.index)
        fb = _spec(fonts.FALLBACK[spec.style])
        cx = x
        for ch in s:
            sp = spec if ch in cov else fb
            f = _font(sp, px)
            stroke = 1 if sp.bold else 0
            self.draw.text((cx, y), ch, font=f, fill=fill, stroke_width=stroke, stroke_fill=fill)
            cx += f.getlength(ch) + spacing * px
        if record and s.strip():
            self.lines.append((s, (int(x), int(y), int(cx), int(y + px)), y))
        return int(cx)

    def width(self, s: str, spec: fonts.FontSpec, px: int, spacing: float = 0.0) -> int:
        cov = fonts.coverage(spec.path, spec.index)
        fb = _spec(fonts.FALLBACK[spec.style])
        return int(sum(_font(spec if c in cov else fb, px).getlength(c) + spacing * px for c in s))

    def centred(self, y: int, s: str, spec, px: int, fill=BLACK, spacing: float = 0.0) -> None:
        self.text(LEFT + (BODY_W - self.width(s, spec, px, spacing)) // 2, y, s, spec, px, fill, spacing)

    def right(self, y: int, s: str, spec, px: int, margin_chars: float = 4.0, fill=BLACK) -> int:
        x = LEFT + BODY_W - int(margin_chars * px) - self.width(s, spec, px)
        self.text(x, y, s, spec, px, fill)
        return x

    def rule(self, y: int, fill=BLACK, width: int = 2) -> None:
        self.draw.line((LEFT, y, LEFT + BODY_W, y), fill=fill, width=width)

    def seal(self, cx: int, cy: int, r: int, rng: random.Random) -> None:
        """A red seal stamped over the signature: ink multiplies, so black text stays dark beneath it."""
        layer = Image.new("RGB", self.img.size, (255, 255, 255))
        self.draw = ImageDraw.Draw(layer)
        self._seal(cx, cy, r)
        self.img.paste(Image.fromarray(np.minimum(np.asarray(self.img), np.asarray(layer))))
        self.draw = ImageDraw.Draw(self.img)

    def _seal(self, cx: int, cy: int, r: int) -> None:
        ring = round(1.2 * MM)  # an official seal's border is about 1.2 mm wide
        self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=RED, width=ring)
        pts = []
        for i in range(10):
            a = np.pi / 2 + i * np.pi / 5
            rad = r * (0.32 if i % 2 == 0 else 0.13)
            pts.append((cx + rad * np.cos(a), cy - rad * np.sin(a)))
        self.draw.polygon(pts, fill=RED)
        f = _font(_spec("Noto Sans SC"), max(8, r // 5))
        self.draw.text((cx - r * 0.6, cy + r * 0.35), "专用章", font=f, fill=RED)


def _wrap(s: str, n: int, indent: int = 2) -> list[str]:
    out, first = [], True
    while s:
        k = n - (indent if first else 0)
        while k < len(s) and s[k] in "。，、；：）》”":  # no line starts with closing punctuation (避头)
            k += 1
        out.append(s[:k])
        s, first = s[k:], False
    return out


BODY_FONTS = ("cwTeX FangSong", "AR PL KaitiM GB", "AR PL UKai CN", "AR PL UMing CN", "AR PL SungtiL GB",
              "Noto Serif SC", "Noto Serif SC Light", "LXGW WenKai", "Noto Sans SC Light",
              "WenQuanYi Micro Hei")  # the held-out face too: measured, never trained on
TITLE_FONTS = ("Noto Serif SC Bold", "Noto Serif SC SemiBold", "Noto Sans SC Medium", "Noto Sans SC Bold",
               "AR PL UMing CN bold", "AR PL KaitiM GB bold", "LXGW WenKai Bold", "WenQuanYi Zen Hei")
DEPARTMENTS = ("省财政厅", "市教育局", "市民政局", "省发展改革委", "市卫生健康委", "区司法局", "省自然资源厅",
               "市审计局", "省统计局", "市文化和旅游局")
# 联合行文: the 主办机关 (one of AGENCIES) and the organ that issues with it
JOINT = {"国务院办公厅": "中央军委办公厅", "江苏省财政厅": "江苏省教育厅", "浙江省应急管理厅": "浙江省公安厅",
         "北京市教育委员会": "北京市财政局", "山东省民政厅": "山东省财政厅", "天津市公安局": "天津市交通运输委员会",
         "上海市人民政府": "中国人民解放军上海警备区", "广东省人力资源和社会保障厅": "广东省财政厅",
         "湖南省水利厅": "湖南省自然资源厅", "杭州市西湖区卫生健康局": "杭州市西湖区教育局"}
HEADINGS = ("一、总体要求", "二、主要任务", "三、保障措施", "四、工作要求", "五、组织实施", "六、监督检查")
# 命令（令）格式: (organ, the 令's header, the title of its head, the 发文字号's organ part)
ORDERS = (("国务院", "中华人民共和国国务院令", "总理", "国"), ("上海市人民政府", "上海市人民政府令", "市长", None),
          ("江苏省人民政府", "江苏省人民政府令", "省长", None), ("浙江省人民政府", "浙江省人民政府令", "省长", None),
          ("国家市场监督管理总局", "国家市场监督管理总局令", "局长", None), ("武汉市人民政府", "武汉市人民政府令", "市长", None))
NOTES = ("此件公开发布", "此件依申请公开", "本文有删减", "此件主动公开")
PAGE_BOTTOM = H - round(35 * MM)  # GB/T 9704: 版心 bottom margin 35 mm


class Doc:
    """Pages drawn top to bottom: a line that does not fit starts the next page."""

    def __init__(self, rng: random.Random) -> None:
        self.pages = [Page()]
        self.y = TOP

    @property
    def p(self) -> Page:
        return self.pages[-1]

    def need(self, h: int) -> None:
        if self.y + h > PAGE_BOTTOM:
            self.pages.append(Page())
            self.y = TOP

    def para(self, text: str, spec, px: int, pitch: int, indent: int = 2, per: int = 28) -> None:
        for k, line in enumerate(_wrap(text, per, indent)):
            self.need(px)
            self.p.text(LEFT + (indent * px if k == 0 else 0), self.y, line, spec, px)
            self.y += pitch

    def folios(self, spec) -> None:
        """Page numbers at the foot (GB/T 9704 7.5: — 1 —) when there is more than one page."""
        if len(self.pages) < 2:
            return
        px = round(14 * PT)
        for k, page in enumerate(self.pages, 1):
            s = f"— {k} —"
            x = LEFT + BODY_W - 2 * px - page.width(s, spec, px) if k % 2 else LEFT + 2 * px
            page.text(x, H - round(28 * MM), s, spec, px)


def _title_lines(title: str, prefix: str, per: int, rng: random.Random) -> list[str]:
    """The title over one to four lines: wrapped where it is too long, else broken at will, the first
    line being the issuer alone now and then (国务院办公厅 / 关于……的函)."""
    least = -(-len(title) // per)
    most = min(4, max(least, len(title) // 6))
    n = rng.randint(least, most) if most > least else least
    if n == 1:
        return [title]
    rest = title[len(prefix):]
    if prefix and len(prefix) <= per and rng.random() < 0.35 and -(-len(rest) // per) <= n - 1:
        size = -(-len(rest) // (n - 1))
        return [prefix] + [rest[k:k + size] for k in range(0, len(rest), size)]
    size = -(-len(title) // n)
    return [title[k:k + size] for k in range(0, len(title), size)]


def _make_title(rng: random.Random, kind: str, topic: str, year: int, issuer: str, prefixed: bool, form: str):
    """(title, the issuer prefix it starts with or ""): a plain title, or a 转发/批转/印发 notice (转发 and
    批转 always name who forwards or approves)."""
    if form == "转发":
        return f"{issuer}转发{rng.choice(DEPARTMENTS)}关于加强{topic}工作意见的通知", issuer
    if form == "批转":
        return f"{issuer}批转{rng.choice(DEPARTMENTS)}关于{year}年{topic}工作情况报告的通知", issuer
    if form == "印发":
        what = rng.choice((f"《{topic}实施方案》", f"{topic}三年行动计划", f"《{topic}管理办法》"))
        return f"{issuer if prefixed else ''}关于印发{what}的通知", issuer if prefixed else ""
    body = TITLES[kind].format(t=topic, y=year)
    return (issuer if prefixed else "") + body, issuer if prefixed else ""


def _sentences(rng: random.Random, topic: str, year: int, n: int) -> str:
    ref_year = rng.randint(2010, year)
    out = []
    for _ in range(n):
        out.append(rng.choice(SENTENCES).format(
            t=topic, d=date_text(ref_year, rng.randint(1, 12), rng.randint(1, 28), False),
            ref=f"{rng.choice(AGENCIES)[1]}〔{ref_year}〕{rng.randint(1, 99)}号",
            phone=f"021-{rng.randint(10000000, 99999999)}"))
    return "".join(out)


def _body(d: Doc, rng: random.Random, topic: str, year: int, spec, px: int, pitch: int, long: bool) -> None:
    """The 正文: three sentences, or a long text in headed parts that runs over pages."""
    if not long:
        d.para(_sentences(rng, topic, year, 3), spec, px, pitch)
        return
    d.para(_sentences(rng, topic, year, 2), spec, px, pitch)
    for heading in HEADINGS[:rng.randint(2, 5)]:
        d.para(heading, _spec(rng.choice(("Noto Sans SC", "WenQuanYi Zen Hei"))), px, pitch)
        d.para(_sentences(rng, topic, year, rng.randint(3, 7)), spec, px, pitch)


def _gongwen(rng: random.Random, name: str, layout: str) -> Sample:
    agency, code, _ = rng.choice(AGENCIES)
    kind = "函" if layout == "letter" else rng.choice(tuple(TITLES))
    year = rng.randint(2012, 2025)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    topic = rng.choice(TOPICS)
    upward = layout == "file" and kind in ("请示", "报告") and rng.random() < 0.7
    form = ""  # 转发, 批转 or 印发: a 通知 that carries another text
    if layout != "letter" and rng.random() < 0.2:
        kind, form = "通知", rng.choice(("转发", "批转", "印发"))
    joint = JOINT.get(agency) if layout in ("file", "published") and not upward and rng.random() < 0.3 else None
    issuer = f"{agency}、{joint}" if joint else agency
    t = {f: None for f in FIELDS}
    d = Doc(rng)
    body_spec, title_spec, px, pitch = _faces(rng)
    d.y = TOP - round(8 * MM)
    hei = _spec(rng.choice(("Noto Sans SC", "WenQuanYi Zen Hei")))
    serial = rng.randint(1, 300)
    bracket = rng.choice(("〔〕", "〔〕", "〔〕", "[]"))
    number = f"{code}{bracket[0]}{year}{bracket[1]}{serial}号"
    t["doc_number"] = f"{code}〔{year}〕{serial}号"
    if layout != "published":
        for field, p_, make in (("copy_no", 0.25, lambda: f"{rng.randint(1, 999999):06d}"),
                                ("secrecy", 0.25, lambda: rng.choice(("秘密", "机密", "绝密"))),
                                ("urgency", 0.25, lambda: rng.choice(("特急", "加急")))):
            if rng.random() < p_:
                t[field] = make()
                s = t[field]
                if field == "secrecy":
                    t["secrecy_period"] = rng.choice(("5年", "10年", "20年", "长期", None))
                    s += f"★{t['secrecy_period']}" if t["secrecy_period"] else ""
                d.p.text(LEFT, d.y, s, hei, px)
                d.y += pitch
        d.y += round(6 * MM)
        header = agency if layout == "letter" else agency + "文件"  # 联合行文: the 主办机关 alone may head it
        hpx = min(round(rng.uniform(30, 40) * PT), int(BODY_W / (len(header) * 1.05)))
        d.p.centred(d.y, header, title_spec, hpx, RED, spacing=0.05)
        t["header"] = header
        d.y += hpx + round(10 * MM)
        if layout == "letter":  # 信函格式: a red double rule under the issuer's name, the number at the right
            d.p.rule(d.y - round(6 * MM), RED, 4)
            d.p.rule(d.y - round(5 * MM), RED, 1)
        if upward:
            t["signer"] = rng.choice(PEOPLE)
            d.p.text(LEFT + px, d.y, number, body_spec, px)
            d.p.right(d.y, "签发人：" + t["signer"], body_spec, px, margin_chars=1)
        elif layout == "letter":
            d.p.right(d.y, number, body_spec, px, margin_chars=0.5)
        else:
            d.p.centred(d.y, number, body_spec, px)
        d.y += px + round(4 * MM)
        if layout == "file":
            d.p.rule(d.y, RED, 3)
        d.y += round(10 * MM)
    else:
        d.y = TOP
    title, prefix = _make_title(rng, kind, topic, year, issuer, joint is not None or rng.random() < 0.6, form)
    t["title"], t["doc_type"] = title, "通知" if form else kind
    t["issuer"] = issuer
    tpx = round(22 * PT)
    for part in _title_lines(title, prefix, BODY_W // tpx - 2, rng):
        d.p.centred(d.y, part, title_spec, tpx)
        d.y += round(tpx * 1.5)
    if layout == "published":
        d.p.centred(d.y, number, body_spec, px)
        d.y += pitch
    d.y += pitch // 2
    if kind not in ("公告", "通告", "公报", "决议", "纪要") or rng.random() < 0.2:
        rec = rng.choice(RECIPIENTS)
        t["recipients"] = rec
        d.p.text(LEFT, d.y, rec + "：", body_spec, px)
        d.y += pitch
    _body(d, rng, topic, year, body_spec, px, pitch, long=rng.random() < 0.3)
    if rng.random() < 0.3:
        items = [f"{topic}工作方案", f"{topic}情况统计表"][: rng.randint(1, 2)]
        t["attachments"] = "；".join(items)
        d.y += pitch // 2
        d.need(len(items) * pitch)
        d.p.text(LEFT + 2 * px, d.y, f"附件：{'1.' if len(items) > 1 else ''}{items[0]}", body_spec, px)
        for i, it in enumerate(items[1:], 2):
            d.y += pitch
            d.p.text(LEFT + 5 * px, d.y, f"{i}.{it}", body_spec, px)
        d.y += pitch
    d.y += pitch
    signers = [agency, joint] if joint else [agency]  # 联合行文: the 署名 stacked, 主办机关 first
    d.need((len(signers) + 1) * pitch + round(10 * MM))
    date = date_text(year, month, day, rng.random() < 0.3)
    t["date"] = f"{year:04d}-{month:02d}-{day:02d}"
    t["signature"] = "、".join(signers)
    for s in signers:
        sig_x = d.p.right(d.y, s, body_spec, px, margin_chars=4)
        if layout != "published" and rng.random() < 0.8:
            d.p.seal(sig_x + d.p.width(s, body_spec, px) // 2, d.y + pitch // 2, round(21 * MM), rng)
        d.y += pitch
    d.p.right(d.y, date, body_spec, px, margin_chars=4)
    d.y += pitch + pitch // 2
    if rng.random() < (0.6 if layout == "published" else 0.3):
        t["note"] = rng.choice(NOTES if layout == "published" else NOTES[:2] + (
            "联系人：" + rng.choice(PEOPLE) + "，电话：" + str(rng.randint(60000000, 69999999)),))
        d.need(px)
        d.p.text(LEFT + 2 * px, d.y, f"（{t['note']}）", body_spec, px)
        d.y += pitch
    if form in ("转发", "批转") and rng.random() < 0.6:
        _forwarded(d, rng, title, topic, year, body_spec, title_spec, px, pitch)
    elif form == "印发" and rng.random() < 0.6:
        what = title.split("关于印发", 1)[1][:-3].strip("《》")
        d.pages.append(Page())
        d.y = TOP
        d.p.centred(d.y, what, title_spec, tpx)
        d.y += round(tpx * 2)
        _body(d, rng, topic, year, body_spec, px, pitch, long=True)
    if layout != "published":
        _banji(d, rng, t, agency, year, month, day, body_spec)
    d.folios(body_spec)
    return _finish(d, name, layout, t)


def _forwarded(d: Doc, rng, title: str, topic: str, year: int, spec, title_spec, px: int, pitch: int) -> None:
    """The forwarded or approved text after the notice: its own title, 署名 and earlier date (never the
    document's 成文日期)."""
    dept = next(x for x in DEPARTMENTS if x in title)
    inner = title.split(dept, 1)[1][:-3]  # 关于……意见 / 关于……报告
    inner = inner[:-2] + "的" + inner[-2:]
    d.y += pitch
    d.need(4 * pitch)
    d.p.centred(d.y, inner, title_spec, round(18 * PT))
    d.y += round(2 * pitch)
    d.para(_sentences(rng, topic, year, rng.randint(2, 6)), spec, px, pitch)
    d.y += pitch
    d.need(2 * pitch)
    d.p.right(d.y, dept, spec, px, margin_chars=4)
    d.y += pitch
    m = rng.randint(1, 12)
    d.p.right(d.y, date_text(year - 1, m, rng.randint(1, 28), rng.random() < 0.3), spec, px, margin_chars=4)
    d.y += pitch


def _banji(d: Doc, rng: random.Random, t: dict, agency: str, year: int, month: int, day: int, spec) -> None:
    """版记 at the foot of the last page: 抄送, 印发机关 and 印发日期 between rules."""
    small = round(14 * PT)
    d.need(round(40 * MM))
    y = max(d.y + round(small * 2), PAGE_BOTTOM - round(22 * MM))
    p = d.p
    p.rule(y - small // 2, BLACK, 2)
    if rng.random() < 0.6:
        cc = rng.choice(("市委办公厅，市人大常委会办公厅，市政协办公厅", "各区财政局", "省委各部门，省军区",
                         "市纪委监委，市中级人民法院，市人民检察院"))
        t["cc"] = cc
        p.text(LEFT + small, y, f"抄送：{cc}。", spec, small)
        y += round(small * 1.9)
        p.rule(y - small // 2, BLACK, 1)
    printer = agency if rng.random() < 0.5 else agency.replace("人民政府", "人民政府办公室") if "人民政府" in agency \
        else agency + "办公室"
    pm = min(12, month + rng.randint(0, 1))
    t["printer"], t["print_date"] = printer, f"{year:04d}-{pm:02d}-{day:02d}"
    p.text(LEFT + small, y, printer, spec, small)
    p.right(y, date_text(year, pm, day, False) + "印发", spec, small, margin_chars=1)
    y += round(small * 1.9)
    p.rule(y - small // 2, BLACK, 2)
    d.y = y


def _order(rng: random.Random, name: str) -> Sample:
    """命令（令）格式: the 令's header and 第N号, the order, the head's signature and date, the regulation."""
    organ, header, office, short = rng.choice(ORDERS)
    topic = rng.choice(TOPICS)
    year = rng.randint(2012, 2025)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    n = rng.randint(1, 800 if short else 400)
    place = "" if short else re.sub(r"(人民政府|国家市场监督管理总局)$", "", organ)
    reg = f"{place}{topic}{rng.choice(('管理办法', '条例', '实施办法', '管理规定'))}"
    t = {f: None for f in FIELDS}
    person = rng.choice(PEOPLE)
    t.update(header=header, doc_number=f"{short or organ}令第{n}号", title=reg, doc_type="命令", issuer=organ,
             signature=f"{office}{person}", date=f"{year:04d}-{month:02d}-{day:02d}")
    d = Doc(rng)
    body_spec, title_spec, px, pitch = _faces(rng)
    _red_heading(d, rng, header, title_spec, (28, 36), 0.05)
    d.p.centred(d.y, f"第{n}号", body_spec, px)
    d.y += pitch + round(6 * MM)
    meeting = rng.randint(1, 120)
    passed = date_text(year, max(1, month - 1), rng.randint(1, 28), False)
    starts = date_text(year + (month > 9), (month + 2) % 12 + 1, 1, False)
    d.para(f"《{reg}》已经{passed}{organ}第{meeting}次常务会议通过，现予公布，自{starts}起施行。",
           body_spec, px, pitch)
    d.y += pitch
    d.p.right(d.y, f"{office}　{person}", body_spec, px, margin_chars=4)
    d.y += pitch
    d.p.right(d.y, date_text(year, month, day, rng.random() < 0.3), body_spec, px, margin_chars=4)
    d.y += 2 * pitch
    d.need(4 * pitch)
    d.p.centred(d.y, reg, title_spec, round(20 * PT))
    d.y += 2 * pitch
    chapters = ("第一章　总则", "第二章　管理职责", "第三章　监督检查", "第四章　附则")
    k = 1
    for chapter in chapters[:rng.randint(1, 4)]:
        d.need(pitch)
        d.p.centred(d.y, chapter, _spec("Noto Sans SC"), px)
        d.y += pitch
        for _ in range(rng.randint(1, 4)):
            d.para(f"第{cn_num(k)}条　" + _sentences(rng, topic, year, 1), body_spec, px, pitch)
            k += 1
    d.folios(body_spec)
    return _finish(d, name, "order", t)


def _minutes(rng: random.Random, name: str) -> Sample:
    """纪要格式: `某某会议纪要` in red, 第N期, the issuing office at the left and the date at the right."""
    agency = rng.choice([a for a, _, _ in AGENCIES if a.endswith("人民政府")])
    office = agency + rng.choice(("办公室", "办公厅")) if not agency.endswith("区人民政府") else agency + "办公室"
    meeting = rng.choice(("常务会议", "专题会议", "办公会议", "联席会议"))
    heading = f"{agency}{meeting}纪要"
    topic = rng.choice(TOPICS)
    year = rng.randint(2012, 2025)
    month, day = rng.randint(1, 12), rng.randint(2, 28)
    t = {f: None for f in FIELDS}
    t.update(title=heading, doc_type="纪要", issuer=office, date=f"{year:04d}-{month:02d}-{day:02d}")
    d = Doc(rng)
    body_spec, title_spec, px, pitch = _faces(rng)
    _red_heading(d, rng, heading, title_spec, (26, 34), 0.03)
    d.p.centred(d.y, f"第{rng.randint(1, 40)}期", body_spec, px)
    d.y += pitch + round(4 * MM)
    d.p.text(LEFT, d.y, office, body_spec, px)
    d.p.right(d.y, date_text(year, month, day, rng.random() < 0.3), body_spec, px, margin_chars=0)
    d.y += px + round(3 * MM)
    d.p.rule(d.y, RED, 3)
    d.y += round(8 * MM)
    held = date_text(year, month, day - 1, False)
    chair = rng.choice(("市长", "区长", "副市长", "省长")) + rng.choice(PEOPLE)
    d.para(f"{held}，{chair}主持召开{meeting}，研究{topic}等工作。现纪要如下：", body_spec, px, pitch)
    for k, heading_ in enumerate(("一、", "二、", "三、")[:rng.randint(1, 3)]):
        d.para(heading_ + _sentences(rng, topic, year, rng.randint(1, 3)), body_spec, px, pitch)
    d.y += pitch // 2
    d.para("出席：" + "、".join(rng.sample(PEOPLE, 4)), body_spec, px, pitch, indent=0)
    d.para("请假：" + rng.choice(PEOPLE), body_spec, px, pitch, indent=0)
    d.folios(body_spec)
    return _finish(d, name, "minutes", t)


def _other(rng: random.Random, name: str) -> Sample:
    """A page that is no 公文: most fields must come out empty."""
    agency = rng.choice(AGENCIES)[0]
    year = rng.randint(2018, 2026)
    kind, title = rng.choice((("预算", f"{agency}{year}年部门预算"), ("决算", f"{agency}{year}年度部门决算"),
                              ("合同", f"{rng.choice(TOPICS)}服务采购合同"), ("会议记录", f"{rng.choice(TOPICS)}工作会议记录")))
    t = {f: None for f in FIELDS}
    t["title"], t["doc_type"] = title, kind
    t["issuer"] = agency if kind in ("预算", "决算") else None
    p = Page()
    spec = _spec(rng.choice(("Noto Serif SC", "AR PL UMing CN", "Noto Sans SC")))
    px = round(16 * PT)
    y = TOP
    p.centred(y, title, _spec("Noto Sans SC Bold"), round(20 * PT))
    y += round(24 * MM)
    lines = [f"一、{rng.choice(TOPICS)}支出{rng.randint(10, 999)}.{rng.randint(10, 99)}万元，比上年增加{rng.randint(1, 30)}%。",
             f"二、编制说明：本表于{year - 1}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日汇总。",
             "三、甲方应当按照约定支付费用，乙方应当按时提供服务。", f"四、联系电话：{rng.randint(60000000, 69999999)}",
             f"五、参照{rng.choice(AGENCIES)[1]}〔{year - 1}〕{rng.randint(1, 99)}号文件执行。"]
    for line in lines:
        for k, part in enumerate(_wrap(line, 28, 2)):
            p.text(LEFT + (2 * px if k == 0 else 0), y, part, spec, px)
            y += round(px * 1.7)
    return _finish(p, name, "other", t)


def _finish(d: Doc | Page, name: str, layout: str, truth: dict) -> Sample:
    pages = d.pages if isinstance(d, Doc) else [d]
    lines = tuple(tuple((s, box) for s, box, _ in sorted(p.lines, key=lambda l: (l[2], l[1][0]))) for p in pages)
    return Sample(name, layout, tuple(np.asarray(p.img) for p in pages), lines, truth)


def make_sample(seed: int, layout: str | None = None) -> Sample:
    """One labelled document; the same seed (and layout) always gives the same pages. The layout is
    drawn from the seed unless given."""
    rng = random.Random(seed)
    if layout is None:
        layout = rng.choices(LAYOUTS, weights=(30, 14, 24, 10, 8, 14))[0]
    elif layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    name = f"gongwen-{seed:04d}"
    if layout == "other":
        return _other(rng, name)
    if layout == "order":
        return _order(rng, name)
    if layout == "minutes":
        return _minutes(rng, name)
    return _gongwen(rng, name, layout)
