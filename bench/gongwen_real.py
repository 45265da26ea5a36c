"""公文 reading on real documents: every document of ../shared/data/gongwen-real rendered in the layouts
users receive, as a text-layer PDF, a colour scan and a grey scan, read as the pipeline reads them
(text layer, or page analysis and the recogniser), and scored field by field against the publisher's
metadata.

    python -m bench.gongwen --real [--variants text,colour,grey] [--layouts ...] [--misses]

Layouts (GB/T 9704-2012 and what is published from it), chosen per document from what it is:
- published: as on the government website and printed from it: title (its published line breaks),
  发文字号 under it, 主送, body, 署名, 成文日期, notes, then any attached or forwarded text.
- file: the 文件格式 printed copy: red 发文机关标志 (`国务院办公厅文件`; joint issuers stacked), 发文字号
  under it, a red rule, title, body, 署名 and 成文日期 under a red seal.
- letter: 信函格式, for 函 (发文字号 with 函): the issuer's name in red without 文件, a double red rule,
  the 发文字号 at the right under it, then as above.
- order: 命令（令）格式, for 令: red `中华人民共和国国务院令`, `第N号`, the order text, the signature of the
  premier and the date.
Body text is wrapped into A4 pages with GB/T 9704 margins (16 pt, 22 lines of 28 characters), the
signature block right-aligned; long documents run over several pages. Scans: each page rendered at
200 dpi, then bench.scansim's office level (fixed seed); grey is the same page converted to grey
(the seal then has ink's colour); of a document over four pages the first two and the last two. Readings are cached under runs/bench-gongwen-real/ by the file's
digest and the recogniser's, so re-scoring after a change to the extractor is quick.

Ground truth: the publisher's 标题, 发文机关, 发文字号 and 成文日期; where the published title is cut short
(a database limit), the title as set on the page (its title paragraphs) is the truth. 文种 is the
title's type word (复函 and 答复 are sent as 函; a 令 is a 令). Never tune a rule to one of these
documents: the same reading is measured on documents we do not have.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import re
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from archiver.classify.gongwen import extract
from archiver.classify.patterns import dates_in, norm
from training import fonts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gongwen-real" / "docs.jsonl"
CACHE = ROOT / "runs" / "bench-gongwen-real"
VARIANTS = ("text", "colour", "grey")
LAYOUTS = ("published", "file", "letter", "order")
FIELDS = ("title", "doc_type", "issuer", "doc_number", "date")
# Fields these renders never print (the documents are published, unclassified, not urgent, and carry no
# 签发人 or 份号): any value read for one of them is invented.
ABSENT = ("copy_no", "secrecy", "secrecy_period", "urgency", "signer")
SCAN_DPI = 200
SCANSIM = (ROOT / "bench" / "scansim.py").read_bytes()

BODY_FONT = ("UMing", str(fonts.path_of("AR PL UMing CN")), fonts.by_name("AR PL UMing CN").index)
TITLE_FONT = ("ZenHei", str(fonts.path_of("WenQuanYi Zen Hei")), fonts.by_name("WenQuanYi Zen Hei").index)
RED = (0.78, 0.05, 0.05)
MM = 72 / 25.4

TYPE_WORDS = ("复函", "函", "答复", "通知", "通报", "批复", "意见", "决定", "报告", "请示", "公告", "通告", "命令",
              "令", "议案", "纪要", "决议", "公报", "指示", "规定", "办法")


@dataclass
class RealDoc:
    id: str
    title: str  # as set on the page (the title paragraphs), the publisher's when it is no shorter
    issuer: str
    doc_no: str
    date: str
    paras: list[dict]
    title_lines: list[str] = field(default_factory=list)

    @property
    def is_order(self) -> bool:
        return "令第" in self.doc_no

    @property
    def is_letter(self) -> bool:
        return "函" in self.doc_no

    @property
    def layouts(self) -> tuple[str, ...]:
        if self.is_order:
            return ("published", "order")
        return ("published", "file", "letter") if self.is_letter else ("published", "file")

    def expected(self) -> dict[str, str | None]:
        return {"title": self.title, "doc_type": expected_type(self.title, self.doc_no), "issuer": self.issuer,
                "doc_number": self.doc_no, "date": self.date}


def expected_type(title: str, doc_no: str) -> str:
    if "令第" in doc_no:
        return "命令"  # GB/T 9704 names the type 命令（令）
    for word in TYPE_WORDS:
        if title.endswith(word):
            return {"复函": "函", "答复": "函"}.get(word, word)
    return "other"


def load(path: Path = DATA) -> list[RealDoc]:
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        title_lines = []  # the leading title paragraphs (an attachment later on has its own)
        for p in d["paras"]:
            if not p.get("title"):
                break
            title_lines.append(p["text"])
        on_page = "".join(title_lines)
        title = on_page if on_page.startswith(d["title"]) and len(on_page) > len(d["title"]) else d["title"]
        if "令第" in d["doc_no"]:
            title = d["title"]  # a 令's title is what it promulgates; its title line is 中华人民共和国国务院令
        docs.append(RealDoc(d["id"], title, d["issuer"], d["doc_no"], d["date"], d["paras"], title_lines))
    return docs


# --- rendering ------------------------------------------------------------------------------
def _fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, path, index in (BODY_FONT, TITLE_FONT):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))


@dataclass
class Block:
    text: str
    font: str = BODY_FONT[0]
    size: float = 16
    align: str = "left"  # left | center | right | justify
    indent: bool = False
    color: tuple = (0, 0, 0)
    before: float = 0  # extra space above, points
    rule: str | None = None  # "red" | "double": a rule drawn under the block
    seal: str | None = None  # the issuer whose seal is pressed over this block (the date)


def blocks_for(doc: RealDoc, layout: str) -> list[Block]:
    paras = list(doc.paras)
    title_idx = list(range(len(doc.title_lines)))
    no_idx = next((i for i, p in enumerate(paras) if norm(p["text"]) == norm(doc.doc_no)), None)
    rest_from = max(title_idx + ([no_idx] if no_idx is not None else [])) + 1 if title_idx else 0
    body = paras[rest_from:]
    out: list[Block] = []
    issuers = [x for x in re.split(r"[、\s\u3000]+", doc.issuer) if x]
    if layout == "published":
        for i, p in enumerate(paras[:rest_from]):
            if p.get("title"):
                out.append(Block(p["text"], TITLE_FONT[0], 22, "center", before=24 if i == 0 else 0))
            else:
                out.append(Block(p["text"], align="center", before=12))
    elif layout == "order":
        out.append(Block(doc.title_lines[0] if doc.title_lines else "中华人民共和国国务院令", TITLE_FONT[0], 30,
                         "center", color=RED, before=30))
        number = paras[no_idx]["text"] if no_idx is not None else doc.doc_no.replace("国令", "")
        out.append(Block(number, align="center", before=12, rule="red"))
    else:
        head_size = 34 if layout == "file" else 30
        words = [f"{x}文件" if layout == "file" and len(issuers) == 1 else x for x in issuers]
        for k, w in enumerate(words):
            out.append(Block(w, TITLE_FONT[0], head_size, "center", color=RED, before=20 if k == 0 else 4))
        if layout == "file" and len(issuers) > 1:
            out.append(Block("文件", TITLE_FONT[0], head_size, "center", color=RED))
        if layout == "file":
            out.append(Block(doc.doc_no, align="center", before=18, rule="red"))
        else:
            out[-1].rule = "double"
            out.append(Block(doc.doc_no, align="right", before=8))
        for i, t in enumerate(doc.title_lines):
            out.append(Block(t, TITLE_FONT[0], 22, "center", before=24 if i == 0 else 0))
    seal_done = False
    for k, p in enumerate(body):
        align = {"center": "center", "right": "right"}.get(p.get("align"), "justify")
        b = Block(p["text"], align=align, indent=bool(p.get("indent")) and align == "justify",
                  before=16 if k == 0 else 0)
        if align == "right" and not seal_done and _is_date(p["text"]) and layout != "published":
            b.seal = doc.issuer
            seal_done = True
        out.append(b)
    return out


def _is_date(text: str) -> bool:
    """The paragraph is a date and nothing else (the 成文日期 a seal is pressed over)."""
    t = norm(text)
    found = dates_in(t)
    return bool(found) and found[0][0] == 0 and found[-1][1] == len(t)


def _wrap(text: str, font: str, size: float, width: float, first_indent: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, cur, room = [], "", width - first_indent
    for ch in text:
        if cur and stringWidth(cur + ch, font, size) > room:
            lines.append(cur)
            cur, room = "", width
        cur += ch
    if cur or not lines:
        lines.append(cur)
    return lines


def render_pdf(blocks: list[Block], path: Path) -> int:
    """A text-layer A4 PDF of the blocks; returns its page count."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    _fonts()
    w, h = A4
    left, right, top, bottom = 28 * MM, 26 * MM, 37 * MM, 35 * MM
    width = w - left - right
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)  # the same bytes every run: readings are cached by them
    y, page = h - top, 1

    def new_page():
        nonlocal y, page
        c.setFont(BODY_FONT[0], 14)
        c.setFillColorRGB(0, 0, 0)
        c.drawCentredString(w / 2, bottom - 18, f"— {page} —")
        c.showPage()
        y, page = h - top, page + 1

    for b in blocks:
        leading = b.size * 1.8 if b.size > 16 else 28.9
        indent = 2 * b.size if b.indent else 0
        lines = _wrap(b.text, b.font, b.size, width, indent)
        y -= b.before
        for i, line in enumerate(lines):
            if y - leading < bottom:
                new_page()
            y -= leading
            c.setFont(b.font, b.size)
            c.setFillColorRGB(*b.color)
            if b.align == "center":
                c.drawCentredString(w / 2, y, line)
            elif b.align == "right":
                c.drawRightString(w - right - 2 * 16, y, line)
            else:
                c.drawString(left + (indent if i == 0 else 0), y, line)
            if b.seal and i == len(lines) - 1:
                tw = stringWidth(line, b.font, b.size)
                _seal(c, w - right - 2 * 16 - tw / 2, y + b.size * 0.9, b.seal)
        if b.rule:
            c.setStrokeColorRGB(*RED)
            c.setLineWidth(1.6)
            yy = y - 10
            c.line(left, yy, w - right, yy)
            if b.rule == "double":
                c.setLineWidth(0.6)
                c.line(left, yy - 4, w - right, yy - 4)
            y = yy - 6
    c.setFont(BODY_FONT[0], 14)
    c.drawCentredString(w / 2, bottom - 18, f"— {page} —")
    c.save()
    return page


def _seal(c, cx: float, cy: float, issuer: str) -> None:
    """A round red seal (ring, star, the issuer's name round the top) pressed over the date, drawn as
    an image so that it adds no text to the text layer."""
    from reportlab.lib.utils import ImageReader

    c.drawImage(ImageReader(seal_image(issuer)), cx - 21 * MM, cy - 21 * MM, 42 * MM, 42 * MM, mask="auto")


def seal_image(issuer: str, px: int = 330) -> Image.Image:
    from PIL import ImageDraw, ImageFont

    img = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    red = (200, 20, 25, 200)
    m = px * 0.04
    d.ellipse((m, m, px - m, px - m), outline=red, width=int(px * 0.035))
    r, cxy = px * 0.13, px / 2
    pts = [(cxy + (r if k % 2 == 0 else r * 0.4) * math.sin(math.pi * k / 5),
            cxy - (r if k % 2 == 0 else r * 0.4) * math.cos(math.pi * k / 5)) for k in range(10)]
    d.polygon(pts, fill=red)
    name = issuer.replace("、", "")[:12]
    font = ImageFont.truetype(TITLE_FONT[1], int(px * 0.11), index=TITLE_FONT[2])
    span = math.radians(220)
    for k, ch in enumerate(name):
        a = -span / 2 + span * (k + 0.5) / len(name)
        rr = px * 0.36
        x, y = cxy + rr * math.sin(a), cxy - rr * math.cos(a)
        glyph = Image.new("RGBA", (int(px * 0.14), int(px * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), ch, font=font, fill=red)
        glyph = glyph.rotate(-math.degrees(a), resample=Image.BICUBIC)
        img.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    return img


SCAN_ENDS = 2  # with --quick a scan keeps the first and the last SCAN_ENDS pages of a longer document


def scan_pdf(pdf: Path, out: Path, variant: str, seed: int, ends: int = SCAN_ENDS) -> None:
    """An image-only PDF of the rendered pages: 200 dpi, office-scan damage, colour or grey. Of a document
    longer than 2 * ends pages only the first and last `ends` are scanned (0: every page), where the
    fields are (title and 版头 on page 1, 署名 and 成文日期 on the last): OCR on two shared cores is the
    cost. It can only make the reading harder: a middle page that held the document's own date is gone,
    and a forwarded text's date at the end is then the only one left."""
    from bench.scansim import simulate

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-png", str(pdf), f"{tmp}/p"], check=True)
        pngs = sorted(Path(tmp).glob("p*.png"))
        if ends and len(pngs) > 2 * ends:
            pngs = pngs[:ends] + pngs[-ends:]
        pages = []
        for k, png in enumerate(pngs):
            rgb = np.asarray(Image.open(png).convert("RGB"))
            damaged = simulate(rgb, "office", seed * 100 + k)
            im = Image.fromarray(damaged)
            pages.append(im.convert("L") if variant == "grey" else im)
    pages[0].save(out, save_all=True, append_images=pages[1:], resolution=SCAN_DPI, quality=80)


# --- reading and scoring --------------------------------------------------------------------
def load_cached(path: Path) -> list[list[tuple[str, tuple]]] | None:
    if not path.is_file():
        return None
    return [[(t, tuple(b)) for t, b in page] for page in json.loads(path.read_text(encoding="utf-8"))]


def read_lines(path: Path, settings, reader_box: list) -> list[list[tuple[str, tuple]]]:
    """Each page's lines (text, box), as the pipeline reads the file (manage.py ocr's page_lines); the
    recogniser is made on the first page that needs it and kept in reader_box."""
    from archiver.document import SourceFile
    from archiver.ocr_cli import page_lines
    from archiver.pipeline import make_reader

    def reader():
        if not reader_box:
            reader_box.append(make_reader(settings))
        return reader_box[0]

    src = SourceFile(path=path, name=path.name, kind="pdf", sha256="", size=path.stat().st_size)
    return [[(ln.text, tuple(ln.box)) for ln in lines] for _, lines in page_lines(src, settings, reader)]


def canon(fieldname: str, value) -> str | None:
    if value in (None, ""):
        return None
    s = unicodedata.normalize("NFKC", norm(str(value))).rstrip("。.")
    s = re.sub(r"[\s\u3000]+", "", s)
    if fieldname == "doc_number":
        s = s.translate(str.maketrans("[]【】()［］", "〔〕〔〕〔〕〔〕"))
    return s


def score(docs: list[RealDoc], variants: tuple[str, ...], layouts: tuple[str, ...], misses: bool = False,
          cached_only: bool = False, ends: int = SCAN_ENDS) -> dict:
    from archiver.config import Settings

    settings = Settings()
    # The readings depend on the recogniser (weights, config, code), its decoder and page analysis: a
    # change to any reads again.
    code = b"".join(p.read_bytes() for folder in ("vision", "ocr") for p in sorted((ROOT / "archiver" / folder).glob("*.py")))
    graphs = b"".join(p.read_bytes() for p in sorted(settings.ocr.weights.glob("*.onnx")))
    weights_tag = hashlib.sha256((settings.ocr.weights / "crnn.pt").read_bytes() + graphs
                                 + (settings.ocr.weights / "config.json").read_bytes() + code
                                 + f"{settings.ocr.decoder}:{settings.ocr.engine}".encode()).hexdigest()[:10]
    reader_box: list = []
    results: dict[tuple[str, str], dict[str, list[bool]]] = {}
    wrong: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gongwen-real-") as tmp:
        for n, doc in enumerate(docs):
            for layout in doc.layouts:
                if layout not in layouts:
                    continue
                pdf = Path(tmp) / f"{doc.id}-{layout}.pdf"
                render_pdf(blocks_for(doc, layout), pdf)
                for variant in variants:
                    # A scan's readings are keyed by what makes it: the PDF, the variant, the seed, the scan
                    # simulation and the reader; so a cached one needs no scanning to be found.
                    key = hashlib.sha256(pdf.read_bytes() + f"{variant}:{n}:ends={ends}".encode()
                                         + SCANSIM).hexdigest()[:16]
                    cache = CACHE / f"{key}-{weights_tag if variant != 'text' else 'text'}.json"
                    pages = load_cached(cache)
                    if pages is None:
                        if cached_only and variant != "text":
                            continue
                        path = pdf
                        if variant != "text":
                            path = Path(tmp) / f"{doc.id}-{layout}-{variant}.pdf"
                            scan_pdf(pdf, path, variant, seed=n, ends=ends)
                        pages = read_lines(path, settings, reader_box)
                        cache.parent.mkdir(parents=True, exist_ok=True)
                        cache.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
                    m = extract(["\n".join(t for t, _ in p) for p in pages], [[b for _, b in p] for p in pages])
                    got = {"title": m.title, "doc_type": m.doc_type, "issuer": m.issuer, "doc_number": m.doc_number,
                           "date": m.date}
                    tally = results.setdefault((layout, variant), {f: [] for f in (*FIELDS, "invented")})
                    for f in ABSENT:
                        tally["invented"].append(getattr(m, f) is not None)
                        if getattr(m, f) is not None:
                            wrong.append(f"{doc.id} {layout}/{variant} {f}: invented {getattr(m, f)!r}")
                    for f, want in doc.expected().items():
                        ok = canon(f, got[f]) == canon(f, want)
                        tally[f].append(ok)
                        if not ok:
                            wrong.append(f"{doc.id} {layout}/{variant} {f}: got {got[f]!r}, want {want!r}")
    if misses:
        print("\n".join(wrong))
    return results


def table(results: dict) -> str:
    """Per layout and scan: the share of documents with each field right, and the share of absent fields
    (ABSENT, five a document) that were given a value anyway ("invented", lower is better)."""
    columns = (*FIELDS, "invented")
    head = "| layout | scan | docs | " + " | ".join(columns) + " |\n|---|---|---:|" + "---:|" * len(columns)
    rows = [head]
    totals: dict[str, list[bool]] = {f: [] for f in columns}
    for (layout, variant), tally in sorted(results.items(), key=lambda kv: (LAYOUTS.index(kv[0][0]), VARIANTS.index(kv[0][1]))):
        n = len(tally[FIELDS[0]])
        cells = [f"{100 * sum(v) / len(v):.0f} %" for v in (tally[f] for f in columns)]
        for f in columns:
            totals[f] += tally[f]
        rows.append(f"| {layout} | {variant} | {n} | " + " | ".join(cells) + " |")
    n = len(totals[FIELDS[0]])
    rows.append(f"| **all** | | {n} | " + " | ".join(f"**{100 * sum(v) / len(v):.1f} %**" for v in totals.values()) + " |")
    return "\n".join(rows)


def run(args) -> str:
    docs = load()
    variants = tuple(args.variants.split(","))
    layouts = tuple(args.layouts.split(","))
    ends = SCAN_ENDS if args.quick else 0
    results = score(docs, variants, layouts, misses=args.misses, cached_only=args.cached_only, ends=ends)
    kept = "every page" if not ends else f"of a document over {2 * ends} pages its first and last {ends}"
    out = (f"gongwen-real: {len(docs)} real State Council / General Office documents (1981–2019), field accuracy "
           f"per layout and scan: text = the text-layer PDF; colour, grey = office-level scans at {SCAN_DPI} dpi "
           f"({kept}) read by our page analysis "
           f"and recogniser. Truth: the publisher's metadata (gov024's record says 2004-04-17 where its page says "
           f"二〇〇四年四月二十七日: every reading of it counts as wrong).\n\n" + table(results))
    return out


def add_arguments(ap) -> None:
    ap.add_argument("--variants", default=",".join(VARIANTS), help="text,colour,grey")
    ap.add_argument("--layouts", default=",".join(LAYOUTS), help="published,file,letter,order")
    ap.add_argument("--quick", action="store_true",
                    help=f"scan only the first and last {SCAN_ENDS} pages of a long document (default: every page; "
                         "a date on a middle page is then missed)")
    ap.add_argument("--cached-only", action="store_true",
                    help="score the scans read already (by an earlier run), read no new ones")


def sample_page(doc: RealDoc, layout: str) -> bytes:
    """The first page of a document in a layout, as PNG (for looking at what is measured)."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "d.pdf"
        render_pdf(blocks_for(doc, layout), pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), f"{tmp}/p"], check=True)
        buf = io.BytesIO()
        Image.open(next(Path(tmp).glob("p*.png"))).save(buf, format="PNG")
        return buf.getvalue()
