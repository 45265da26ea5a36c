"""Labelled 公文 pages rendered per GB/T 9704-2012, for measuring field extraction.

Each sample is one A4 page (150 dpi: 3号 body type is ~33 px high) drawn with PIL in the Debian
CJK fonts: red 版头, 发文字号 (with 签发人 for 上行文), red rule, title in 小标宋-like bold, 主送, body,
附件说明, 署名 and 成文日期 under a red seal, 附注, and the 版记 (抄送, 印发机关 and 印发日期) between
rules. Which elements appear, their values, fonts and layout vary with the seed; about one page
in eight is not a 公文 at all (a budget cover, a contract, minutes) so that a field the page lacks
can be checked for being invented. The truth holds every field's value, None where absent."""
from __future__ import annotations

import functools
import random
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
    image: np.ndarray  # RGB page
    lines: tuple[tuple[str, tuple[int, int, int, int]], ...]  # black-or-red text lines as drawn, reading order
    truth: dict  # field -> value or None


@functools.lru_cache(maxsize=None)
def _font(spec: fonts.FontSpec, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(spec.path), px, index=spec.index)


def _spec(name: str) -> fonts.FontSpec:
    return fonts.by_name(name)


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
        out.append(s[:k])
        s, first = s[k:], False
    return out


def _gongwen(rng: random.Random, name: str) -> Sample:
    agency, code, _ = rng.choice(AGENCIES)
    kind = rng.choice(tuple(TITLES))
    year = rng.randint(2012, 2025)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    topic = rng.choice(TOPICS)
    upward = kind in ("请示", "报告") and rng.random() < 0.7
    letter = kind == "函" and rng.random() < 0.5  # 信函格式: 版头 without 文件
    t = {f: None for f in FIELDS}
    p = Page()
    body_spec = _spec(rng.choice(("cwTeX FangSong", "AR PL KaitiM GB", "AR PL UMing CN", "Noto Serif SC Light",
                                  "LXGW WenKai")))
    title_spec = _spec(rng.choice(("Noto Serif SC Bold", "Noto Serif SC SemiBold", "Noto Sans SC Medium",
                                   "AR PL UMing CN bold")))
    px = round(16 * PT)
    pitch = round(px * rng.uniform(1.55, 1.75))
    y = TOP - round(8 * MM)
    hei = _spec(rng.choice(("Noto Sans SC", "WenQuanYi Zen Hei")))
    if rng.random() < 0.25:
        t["copy_no"] = f"{rng.randint(1, 999999):06d}"
        p.text(LEFT, y, t["copy_no"], hei, px)
        y += pitch
    if rng.random() < 0.25:
        t["secrecy"] = rng.choice(("秘密", "机密", "绝密"))
        period = rng.choice(("5年", "10年", "20年", "长期", None))
        t["secrecy_period"] = period
        p.text(LEFT, y, t["secrecy"] + (f"★{period}" if period else ""), hei, px)
        y += pitch
    if rng.random() < 0.25:
        t["urgency"] = rng.choice(("特急", "加急"))
        p.text(LEFT, y, t["urgency"], hei, px)
        y += pitch
    y += round(6 * MM)
    header = agency if letter else agency + "文件"
    hpx = min(round(rng.uniform(30, 40) * PT), int(BODY_W / (len(header) * 1.05)))
    p.centred(y, header, title_spec, hpx, RED, spacing=0.05)
    t["header"], t["issuer"] = header, agency
    y += hpx + round(10 * MM)
    serial = rng.randint(1, 300)
    bracket = rng.choice(("〔〕", "〔〕", "〔〕", "[]"))
    number = f"{code}{bracket[0]}{year}{bracket[1]}{serial}号"
    t["doc_number"] = f"{code}〔{year}〕{serial}号"
    if upward:
        t["signer"] = rng.choice(PEOPLE)
        p.text(LEFT + px, y, number, body_spec, px)
        p.right(y, "签发人：" + t["signer"], body_spec, px, margin_chars=1)
    elif letter:
        p.right(y, number, body_spec, px, margin_chars=0.5)
    else:
        p.centred(y, number, body_spec, px)
    y += px + round(4 * MM)
    p.rule(y, RED, 3)
    y += round(10 * MM)
    full_title = (agency if rng.random() < 0.6 else "") + TITLES[kind].format(t=topic, y=year)
    t["title"], t["doc_type"] = full_title, kind
    tpx = round(22 * PT)
    per = BODY_W // tpx - 2
    for part in _wrap(full_title, per, 0) if len(full_title) > per else [full_title]:
        p.centred(y, part, title_spec, tpx)
        y += round(tpx * 1.5)
    y += pitch // 2
    if kind not in ("公告", "通告", "公报", "决议", "纪要") or rng.random() < 0.2:
        rec = rng.choice(RECIPIENTS)
        t["recipients"] = rec
        p.text(LEFT, y, rec + "：", body_spec, px)
        y += pitch
    ref_year = rng.randint(2010, year)
    body = "".join(rng.sample(SENTENCES, 3)).format(
        t=topic, d=date_text(ref_year, rng.randint(1, 12), rng.randint(1, 28), False),
        ref=f"{rng.choice(AGENCIES)[1]}〔{ref_year}〕{rng.randint(1, 99)}号", phone=f"021-{rng.randint(10000000, 99999999)}")
    for k, line in enumerate(_wrap(body, 28)):
        p.text(LEFT + (2 * px if k == 0 else 0), y, line, body_spec, px)
        y += pitch
    if rng.random() < 0.3:
        items = [f"{topic}工作方案", f"{topic}情况统计表"][: rng.randint(1, 2)]
        t["attachments"] = "；".join(items)
        y += pitch // 2
        p.text(LEFT + 2 * px, y, f"附件：{'1.' if len(items) > 1 else ''}{items[0]}", body_spec, px)
        for i, it in enumerate(items[1:], 2):
            y += pitch
            p.text(LEFT + 5 * px, y, f"{i}.{it}", body_spec, px)
        y += pitch
    y += pitch
    chinese = rng.random() < 0.3
    date = date_text(year, month, day, chinese)
    t["date"] = f"{year:04d}-{month:02d}-{day:02d}"
    sig_x = p.right(y, agency, body_spec, px, margin_chars=4)
    t["signature"] = agency
    p.right(y + pitch, date, body_spec, px, margin_chars=4)
    if rng.random() < 0.8:
        p.seal(sig_x + p.width(agency, body_spec, px) // 2, y + pitch // 2, round(21 * MM), rng)
    y += 2 * pitch + pitch // 2
    if rng.random() < 0.3:
        t["note"] = rng.choice(("此件公开发布", "此件依申请公开", "联系人：" + rng.choice(PEOPLE) + "，电话：" +
                                str(rng.randint(60000000, 69999999))))
        p.text(LEFT + 2 * px, y, f"（{t['note']}）", body_spec, px)
        y += pitch
    y = max(y + pitch, H - round(50 * MM))
    small = round(14 * PT)
    p.rule(y - small // 2, BLACK, 2)
    if rng.random() < 0.6:
        cc = rng.choice(("市委办公厅，市人大常委会办公厅，市政协办公厅", "各区财政局", "省委各部门，省军区",
                         "市纪委监委，市中级人民法院，市人民检察院"))
        t["cc"] = cc
        p.text(LEFT + small, y, f"抄送：{cc}。", body_spec, small)
        y += round(small * 1.9)
        p.rule(y - small // 2, BLACK, 1)
    printer = agency if rng.random() < 0.5 else agency.replace("人民政府", "人民政府办公室") if "人民政府" in agency \
        else agency + "办公室"
    pm = min(12, month + rng.randint(0, 1))
    pdate = date_text(year, pm, day, False) + "印发"
    t["printer"], t["print_date"] = printer, f"{year:04d}-{pm:02d}-{day:02d}"
    p.text(LEFT + small, y, printer, body_spec, small)
    p.right(y, pdate, body_spec, small, margin_chars=1)
    y += round(small * 1.9)
    p.rule(y - small // 2, BLACK, 2)
    return _finish(p, name, t)


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
    return _finish(p, name, t)


def _finish(p: Page, name: str, truth: dict) -> Sample:
    lines = tuple((s, box) for s, box, _ in sorted(p.lines, key=lambda l: (l[2], l[1][0])))
    return Sample(name, np.asarray(p.img), lines, truth)


def make_sample(seed: int) -> Sample:
    """One labelled page; the same seed always gives the same page."""
    rng = random.Random(seed)
    name = f"gongwen-{seed:04d}"
    return _other(rng, name) if rng.random() < 0.12 else _gongwen(rng, name)
