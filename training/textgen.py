"""Text for synthetic lines: real word frequencies (jieba's dictionary) mixed with 公文 phrases,
numbers as budget tables print them, and uniform draws so that rare characters are seen too."""
from __future__ import annotations

import bisect
import gzip
import random
import string
import sys
from itertools import accumulate
from pathlib import Path

from archiver.ocr.charset import Charset

CN_DIGITS = "〇一二三四五六七八九"
HEAD_NUMS = "一二三四五六七八九十"
AGENCY_CODES = ["国办发", "国发", "国函", "沪府发", "沪府办发", "普府", "普府办", "京政发", "粤府函",
                "财预", "财办", "人社部发", "国防部发", "民发", "司发", "沪财预", "普司发", "苏政办发"]
PLACES = ["上海市", "北京市", "普陀区", "浙江省", "江苏省", "广东省", "万里街道", "长征镇", "杭州市", "南京市"]
ORG_SUFFIX = ["人民政府", "人民政府办公厅", "司法局", "财政局", "民政局", "教育局", "卫生健康委员会",
              "发展和改革委员会", "社会福利院", "街道办事处", "办公室", "公安局", "税务局", "审计局"]
DOC_TYPES = ["通知", "通报", "请示", "批复", "报告", "函", "意见", "决定", "公告", "通告", "纪要", "议案"]
PUNCT_MID = "，，，、、；："
PUNCT_END = "。。。；：！？"
RANGE_DASHES = "——～-"  # between the figures of a range (GB/T 15834: 一字线 or 浪纹线; a hyphen in tables)
LATIN_WORDS = ["PDF", "GDP", "CPI", "PPP", "Email", "www", "gov", "cn", "No", "ID", "OA", "Excel", "A4", "GB/T"]
# Latin as 公文 carry it: acronyms and code names (the shipped weights read GDP as (D四 and 5G as 56).
ACRONYMS = ["GDP", "CPI", "PPI", "PMI", "PPP", "APP", "AI", "IT", "ICT", "5G", "4G", "3D", "4K", "VR", "AR", "GPS",
            "LED", "ETC", "WTO", "APEC", "RCEP", "G20", "BRICS", "ISO", "IPv6", "PM2.5", "PM10", "COVID-19", "H7N9",
            "R&D", "O2O", "B2B", "CBD", "EPC", "BIM", "OA", "SaaS", "Wi-Fi", "QQ", "USB", "U盘", "A级", "AAA级",
            "AAAAA级", "5A级", "Ⅱ类", "C919", "CR929", "PCT", "IPO", "ESG", "LNG", "CNG", "SCI", "EI", "NGO"]
SLASH_UNITS = ["元/吨", "元/平方米", "微克/立方米", "毫克/升", "公里/小时", "人/次", "万元/年", "吨/日", "元/人·月",
               "km/h", "mg/L", "t/d", "kWh", "MW", "kV", "GB", "Mbps", "㎡", "℃"]


DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpus"


def load_corpus(folder: Path, min_chars: int = 6) -> list[str]:
    """Paragraphs of official-register text (../shared/data/corpus/*.txt.gz), whitespace folded away.
    Empty when the folder is missing: training then falls back to dictionary words."""
    paragraphs: list[str] = []
    for path in sorted(folder.glob("*.txt.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                line = "".join(line.split())
                if len(line) >= min_chars:
                    paragraphs.append(line)
    if not paragraphs:
        print(f"textgen: no corpus under {folder}; lines come from the word dictionary only", file=sys.stderr)
    return paragraphs


class TextSource:
    """Draws line texts; every drawn text is inside the charset."""

    def __init__(self, charset: Charset, dict_path: Path | None = None, seed: int = 0,
                 corpus: list[str] | None = None):
        self.cs = charset
        self.rng = random.Random(seed)
        self.corpus = corpus if corpus is not None else load_corpus(DEFAULT_CORPUS)
        self.hanzi = [c for c in charset.chars if "\u4e00" <= c <= "\u9fff"]
        self.symbols = [c for c in charset.chars if ord(c) > 0x7F and not ("\u4e00" <= c <= "\u9fff")]
        words, weights = [], []
        path = dict_path or _jieba_dict()
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) < 2 or not charset.covers(parts[0]):
                continue
            words.append(parts[0])
            weights.append(float(parts[1]) ** 0.5)  # flatten the Zipf curve: more rare words seen
        self.words = words
        self.cum = list(accumulate(weights))

    # --- pieces -------------------------------------------------------------------------
    def word(self) -> str:
        r = self.rng.random() * self.cum[-1]
        return self.words[bisect.bisect_left(self.cum, r)]

    def prose(self, n: int) -> str:
        out = ""
        while len(out) < n:
            out += self.word()
            if self.rng.random() < 0.12:
                out += self.rng.choice(PUNCT_MID)
        out = out[:n]
        if self.rng.random() < 0.3:
            out += self.rng.choice(PUNCT_END)
        if self.rng.random() < 0.08:
            o, c = self.rng.choice(["“”", "《》", "（）", "【】", "‘’", "「」"])
            k = self.rng.randint(0, max(0, len(out) - 2))
            out = out[:k] + o + out[k:k + self.rng.randint(2, 8)] + c + out[k + 8:]
        return out

    def year(self) -> int:
        return self.rng.randint(1990, 2030)

    def cn_number(self, value: int) -> str:
        return "".join(CN_DIGITS[int(d)] for d in str(value))

    def cn_day(self, value: int) -> str:
        if value < 10:
            return HEAD_NUMS[value - 1]
        tens, ones = divmod(value, 10)
        return ("" if tens == 1 else HEAD_NUMS[tens - 1]) + "十" + (HEAD_NUMS[ones - 1] if ones else "")

    def date(self) -> str:
        y, m, d = self.year(), self.rng.randint(1, 12), self.rng.randint(1, 28)
        if self.rng.random() < 0.35:
            return f"{self.cn_number(y)}年{self.cn_day(m)}月{self.cn_day(d)}日"
        return f"{y}年{m}月{d}日"

    def doc_number(self) -> str:
        o, c = self.rng.choice(["〔〕", "〔〕", "〔〕", "[]", "［］", "（）", "【】"])
        return f"{self.rng.choice(AGENCY_CODES)}{o}{self.year()}{c}{self.rng.randint(1, 300)}号"

    def org(self) -> str:
        return self.rng.choice(PLACES) + self.rng.choice(["", self.rng.choice(PLACES)]) + self.rng.choice(ORG_SUFFIX)

    def amount(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            v = self.rng.choice([10, 100, 1000, 10000, 100000, 1000000]) * self.rng.random()
            s = f"{v:,.2f}" if self.rng.random() < 0.6 else f"{v:.2f}"
        elif r < 0.55:
            s = str(self.rng.randint(0, 99999))
        elif r < 0.7:
            s = f"{self.rng.uniform(-100, 300):.{self.rng.randint(0, 2)}f}%"
        elif r < 0.8:
            s = f"{self.rng.randint(1, 9999):,}"
        elif r < 0.9:
            s = str(self.rng.randint(2000000, 2299999)) if self.rng.random() < 0.5 else \
                ".".join(str(self.rng.randint(1, 30)) for _ in range(self.rng.randint(2, 3)))
        else:
            s = self.rng.choice(["-", "0", "0.00", "—", "合计", "小计", "x", "0.0%"])
        return s

    def heading(self) -> str:
        k = self.rng.randint(1, 10)
        mark = self.rng.choice([f"{HEAD_NUMS[k - 1]}、", f"（{HEAD_NUMS[k - 1]}）", f"{k}.", f"（{k}）",
                                f"{k}、", f"第{HEAD_NUMS[k - 1]}条", f"({k})"])
        return mark + self.prose(self.rng.randint(3, 16))

    def phone(self) -> str:
        if self.rng.random() < 0.5:
            return f"1{self.rng.randint(3, 9)}{self.rng.randint(0, 999999999):09d}"
        return f"0{self.rng.randint(10, 999)}-{self.rng.randint(10000000, 99999999)}"

    def email(self) -> str:
        name = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_.") for _ in range(self.rng.randint(3, 10)))
        return f"{name.strip('.')}@{self.rng.choice(['gov.cn', 'sh.gov.cn', '163.com', 'qq.com', 'mail.cn'])}"

    def joined(self) -> str:
        """Words joined by + (互联网+政务服务, “企业+合作社+基地”), beside 十 where it is a numeral: the two
        glyphs differ only in the length of the strokes."""
        words = [self.prose(self.rng.randint(2, 4)).rstrip(PUNCT_END) for _ in range(self.rng.randint(2, 4))]
        text = "+".join(w for w in words if w)
        if self.rng.random() < 0.4:
            text = f"“{text}”"
        if self.rng.random() < 0.3:
            text += self.rng.choice(["第十", "十", "第二十"]) + self.rng.choice(["条", "项", "个"])
        return text

    def indicator(self) -> str:
        """A cell of a budget's performance-target table (绩效目标表): a comparison sign, a figure and its
        unit (≥95%, >6.00(次), =1.00(次), ≤30万元), alone or after the indicator's name."""
        sign = self.rng.choice(["≥", "≥", "≤", ">", "<", "="])
        r = self.rng.random()
        if r < 0.4:
            value = f"{self.rng.randint(1, 100)}"
        elif r < 0.75:
            value = f"{self.rng.uniform(0, 1000):.2f}"
        else:
            value = f"{self.rng.uniform(0, 100):.{self.rng.randint(1, 2)}f}"
        unit = self.rng.choice(["%", "%", "(次)", "（次）", "(人次)", "万元", "元", "个", "天", "个工作日", "件", "项",
                                "小时", "(户)", "(年)", ""])
        text = sign + value + unit
        if self.rng.random() < 0.4:
            text = self.prose(self.rng.randint(2, 8)).rstrip(PUNCT_END) + text
        return text

    def bracketed(self) -> str:
        """A line that begins with a bracketed figure, as a wrapped title's tail or a numbered item does:
        （2021—2025年）, （2024年第3号）, （23）, (2021年), alone or before prose."""
        o, c = self.rng.choice(["（）", "（）", "（）", "()", "【】", "［］"])
        y = self.year()
        inner = self.rng.choice([f"{y}{self.rng.choice(RANGE_DASHES)}{y + self.rng.randint(1, 5)}年", f"{y}年",
                                 f"{y}年第{self.rng.randint(1, 40)}号", f"{y}年版", str(self.rng.randint(1, 99)),
                                 str(self.rng.randint(10, 99)), f"{self.rng.randint(1, 999)}{self.rng.choice(['项', '类', '款', '个'])}"])
        text = o + inner + c
        if self.rng.random() < 0.5:
            text += self.prose(self.rng.randint(2, 12))
        return text

    def number_range(self) -> str:
        """A range of figures (5—10人, 2020～2022年, 第3—5条, 30%-50%), the dash drawn as 一 is in most faces."""
        a = self.rng.randint(1, 2030)
        b = a + self.rng.randint(1, 20)
        unit = self.rng.choice(["", "年", "人", "个", "%", "万元", "天", "条", "级", "岁", "㎡", "℃"])
        text = f"{a}{unit if unit == '%' else ''}{self.rng.choice(RANGE_DASHES)}{b}{unit}"
        if self.rng.random() < 0.3:
            text = f"第{text}" if not unit else text
        if self.rng.random() < 0.6:
            text = self.prose(self.rng.randint(2, 8)).rstrip(PUNCT_END) + text
        return text

    def latin(self) -> str:
        """Latin letters in Chinese text: acronyms and code names (PM2.5, 5G, COVID-19, R&D), units with a slash
        (微克/立方米, km/h), placeholders (××市, XXX元), standards and versions (GB/T 9704-2012, V2.0), web
        addresses, and random capitals so that every letter is seen, not only the listed words."""
        r = self.rng.random()
        if r < 0.35:
            word = self.rng.choice(ACRONYMS)
        elif r < 0.55:
            word = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(self.rng.randint(2, 6)))
            if self.rng.random() < 0.3:
                word += self.rng.choice(["-", "", ""]) + str(self.rng.randint(1, 999))
        elif r < 0.7:
            word = f"{self.rng.randint(1, 999)}{self.rng.choice(SLASH_UNITS)}"
        elif r < 0.8:
            word = self.rng.choice(["××", "×××", "XX", "XXX", "xx"]) + self.rng.choice(["市", "区", "局", "元", "万元", "同志", "号"])
        elif r < 0.9:
            word = self.rng.choice([f"GB/T {self.rng.randint(1000, 39999)}-{self.rng.randint(1990, 2024)}",
                                    f"V{self.rng.randint(1, 9)}.{self.rng.randint(0, 9)}", f"No.{self.rng.randint(1, 99)}",
                                    f"ISO {self.rng.randint(9000, 45001)}", f"Q{self.rng.randint(1, 4)}"])
        else:
            word = "www." + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(self.rng.randint(3, 10))) + \
                self.rng.choice([".gov.cn", ".com", ".org.cn", ".cn"])
        before = self.prose(self.rng.randint(0, 8)).rstrip(PUNCT_END) if self.rng.random() < 0.7 else ""
        after = self.prose(self.rng.randint(0, 6)) if self.rng.random() < 0.5 else ""
        return before + word + after

    def dashes(self) -> str:
        """The dash and the ellipsis of prose (GB/T 15834 破折号 ——, 省略号 ……), which read as 一一 and as a
        dot leader's run of dots: a clause after or before a dash, a list broken off."""
        a, b = self.prose(self.rng.randint(2, 10)).rstrip(PUNCT_END), self.prose(self.rng.randint(0, 10))
        r = self.rng.random()
        if r < 0.4:
            return f"{a}——{b}"
        if r < 0.55:
            return f"——{a}"
        if r < 0.85:
            return f"{a}{self.rng.choice(['……', '……', '等……', '……等'])}{b}"
        return f"{a}{self.rng.choice(['一一', '逐一', '统一'])}{b}"  # the hanzi beside them, so both are learned

    def nested_title(self) -> str:
        """A title quoted inside a title, the inner one in 〈〉 (《国务院关于修改〈xx条例〉的决定》), or a part of
        one as a line that wraps it holds."""
        inner = self.rng.choice(["中华人民共和国", "", "", self.rng.choice(PLACES)]) + \
            self.prose(self.rng.randint(2, 8)).rstrip(PUNCT_END) + self.rng.choice(["法", "条例", "办法", "规定", "细则"])
        verb = self.rng.choice(["修改", "废止", "印发", "批准", "实施", "贯彻落实"])
        text = f"《{self.rng.choice([self.org(), '国务院', ''])}关于{verb}〈{inner}〉的{self.rng.choice(DOC_TYPES)}》"
        if self.rng.random() < 0.3:
            text = self.rng.choice(["根据", "按照", "现将", "依照"]) + text
        if self.rng.random() < 0.4:  # wrapped: the line begins or ends inside the title
            cut = self.rng.randrange(2, len(text) - 1)
            text = text[:cut] if self.rng.random() < 0.5 else text[cut:]
        return text

    def gongwen(self) -> str:
        choice = self.rng.randrange(25)
        if choice >= 23:
            return self.dashes()
        if choice >= 21:
            return self.number_range()
        if choice >= 19:
            return self.bracketed()
        if choice == 18:
            return self.nested_title()
        if choice == 17:
            return self.indicator()
        if choice == 16:
            return self.joined()
        if choice == 0:
            return self.doc_number()
        if choice == 1:
            return self.date()
        if choice == 2:
            return self.heading()
        if choice == 3:
            return f"{self.org()}关于{self.prose(self.rng.randint(3, 12))}的{self.rng.choice(DOC_TYPES)}"
        if choice == 4:
            return self.rng.choice(["联系电话：", "电话：", "联系人：", "传真：", ""]) + self.phone()
        if choice == 5:
            return self.rng.choice(["电子邮箱：", "邮箱：", "E-mail:", ""]) + self.email()
        if choice == 6:
            return f"- {self.rng.randint(1, 60)} -" if self.rng.random() < 0.5 else f"—{self.rng.randint(1, 60)}—"
        if choice == 7:
            return self.rng.choice(["表", "附表", "附件", "图"]) + str(self.rng.randint(1, 12)) + self.rng.choice(["", "：", " "]) + self.prose(self.rng.randint(0, 10))
        if choice == 8:
            return self.rng.choice(["单位：万元", "单位：元", "单位：%", "编制单位：" + self.org()])
        if choice == 9:
            return self.rng.choice(["绝密", "机密", "秘密"]) + "★" + self.rng.choice(["", f"{self.rng.randint(1, 30)}年", "长期"])
        if choice == 10:
            return self.rng.choice(["特急", "加急", "签发人：", "抄送：", "主送：", "印发"]) + self.prose(self.rng.randint(0, 6))
        if choice == 11:
            return self.org() + self.rng.choice(["：", "", "文件", "办公室"])
        if choice == 12:
            return f"{self.org()}{self.rng.randint(2015, 2030)}年{self.rng.choice(['部门预算', '单位预算', '决算', '年度报告'])}"
        if choice == 13:
            return f"{self.rng.randint(0, 999999):06d}"
        if choice == 14:
            return self.prose(self.rng.randint(2, 8)) + self.amount() + self.rng.choice(["万元", "元", "%", "人", "个", "项", "㎡", "℃"])
        return self.rng.choice(LATIN_WORDS) + self.rng.choice(["", "-", " ", "/"]) + str(self.rng.randint(0, 2024))

    def corpus_line(self) -> str:
        """A real sentence or phrase cut to a line's length, often at a clause boundary."""
        para = self.rng.choice(self.corpus)
        n = self.rng.choice([self.rng.randint(3, 12), self.rng.randint(8, 30), self.rng.randint(14, 40)])
        start = self.rng.randrange(max(1, len(para) - 3))
        if self.rng.random() < 0.5:  # begin after a punctuation mark, as a wrapped line often does
            k = max(para.rfind(p, 0, start) for p in "，。；：、")
            start = k + 1 if k >= 0 else 0
        return para[start:start + n]

    def repeated_digits(self) -> str:
        """Numbers full of doubled and tripled digits (223100, 3,355.65, 国令第711号, 0517-87222589)."""
        def run(n: int) -> str:
            out = ""
            while len(out) < n:
                d = self.rng.choice("0123456789")
                out += d * self.rng.choice([1, 2, 2, 3])
            return out[:n]
        r = self.rng.random()
        if r < 0.3:
            v = run(self.rng.randint(2, 7)).lstrip("0") or "0"
            s = f"{int(v):,}" if self.rng.random() < 0.5 else v
            return s + (f".{run(2)}" if self.rng.random() < 0.6 else "")
        if r < 0.45:
            return f"0{run(self.rng.randint(2, 3))}-{run(8)}"
        if r < 0.6:
            return self.rng.choice(["国令第", "第", "编号：", "邮编：", ""]) + run(self.rng.randint(3, 6)) + \
                self.rng.choice(["号", "", "条", "页"])
        if r < 0.75:
            return f"{self.rng.choice(['', '20', '19'])}{run(2)}年{self.rng.randint(1, 12)}月{run(1).replace('0', '1')}{self.rng.choice(['', run(1)])}日"
        if r < 0.85:
            return " ".join(run(self.rng.randint(1, 6)) for _ in range(self.rng.randint(2, 4)))
        return f"{self.rng.randint(1, 12)}.{self.prose(self.rng.randint(2, 10))}{run(self.rng.randint(2, 6))}"

    def leader(self) -> str:
        """A contents line: heading, dot leaders, page number."""
        return self.heading()[:14] + self.rng.choice(["…", "·", "."]) * self.rng.randint(3, 20) + str(self.rng.randint(1, 120))

    def uniform(self, n: int) -> str:
        pool = self.hanzi if self.rng.random() < 0.85 else self.symbols + self.hanzi[:200]
        return "".join(self.rng.choice(pool) for _ in range(n))

    # --- the mix ----------------------------------------------------------------------
    def sample(self) -> str:
        r = self.rng.random()
        if self.corpus and r < 0.32:
            text = self.corpus_line()
        elif r < 0.46:
            text = self.prose(self.rng.randint(2, 24))
        elif r < 0.50:
            text = self.uniform(self.rng.randint(2, 16))
        elif r < 0.53:
            text = self.latin()
        elif r < 0.66:
            text = self.amount()
            # a figure's unit symbol (3000㎡, 25℃); not ‰, which a run with it here read for % in real lines
            if text[-1:].isdigit() and self.rng.random() < 0.2:
                text += self.rng.choice(["㎡", "℃", "万元", "%"])
        elif r < 0.76:
            text = self.repeated_digits()
        elif r < 0.78:
            text = self.leader()
        else:
            text = self.gongwen()
        text = text.strip()
        if not text or not self.cs.covers(text):
            return self.sample()
        return text


def _jieba_dict() -> Path:
    import jieba  # the dictionary ships inside the package

    return Path(jieba.__file__).parent / "dict.txt"
