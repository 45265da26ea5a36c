"""公文 field extraction benchmark: generated 公文 documents in every layout (文件, 信函, as published, 令,
纪要, and pages that are no 公文; see bench/gongwen_pages.py) and the three gov-dev 公文 templates,
on the clean text and on simulated scans read by our page analysis + recogniser (as the pipeline).

    python -m bench.gongwen [--samples 48] [--level office] [--out docs/benchmarks.md]

Per field: accuracy = exact matches (after NFKC, whitespace removed, brackets of 发文字号 unified)
over the pages that have the field; precision = correct values over values given; invented =
values given where the page has none. OCR readings are cached under runs/bench-gongwen/<weights +
vision digest>/, so a re-run after new weights or page analysis re-reads everything, else it is quick."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

from archiver.classify.gongwen import extract
from archiver.classify.patterns import norm
from archiver.config import Ocr
from bench.gongwen_pages import FIELDS, LAYOUTS, make_sample
from bench.report import write_section
from bench.scansim import simulate

ROOT = Path(__file__).resolve().parents[1]
GOVDEV_DPI = 150
# Ground truth for the three 公文 templates of gov-dev, read off the documents by hand. The placeholder
# notice's "Xxxx 发〔20xx〕xxx 号" and dates are no values: nothing may be read from them.
GOVDEV = {
    "copilothelp_notice_filled": {
        "header": "一份公文文件", "doc_number": "国防部发〔2012〕21号", "title": "国防部关于放假的通知", "doc_type": "通知",
        "recipients": "各有关单位", "issuer": "国防部", "signature": "Xxxxxxxxxxxxx", "date": "2012-12-12",
        "cc": "教育局，教育局", "printer": "国防部", "print_date": "2012-12-12"},
    "copilothelp_notice_placeholder": {
        "header": "Xxxxxxxxxxx文件", "title": "Xxxxxxx关于xxxxxxxx的通知", "doc_type": "通知", "recipients": "各有关单位",
        "issuer": "Xxxxxxx", "signature": "Xxxxxxxxxxxxx", "cc": "xxxxx，xxxxx", "printer": "Xxxxxxxxx"},
    "copilothelp_secret_template": {
        "copy_no": "001012", "secrecy": "机密", "secrecy_period": "5年", "urgency": "特急", "header": "BJTU机密文件",
        "title": "测试公文标题", "doc_type": "other", "issuer": "BJTU", "signature": "BJTU单位", "date": "2023-01-01"},
}


def canon(field: str, value) -> str | None:
    if value in (None, ""):
        return None
    s = norm(str(value)).rstrip("。.")
    if field == "doc_number":
        s = s.translate(str.maketrans("[]【】()［］", "〔〕〔〕〔〕〔〕"))
    return s.lower()


def _weights_digest(weights: Path) -> str:
    """The recogniser as it reads: its weights, and the decoder with its language model when that is on."""
    h = hashlib.sha256((weights / "crnn.pt").read_bytes())
    if Ocr().decoder == "beam":
        h.update(b"beam" + (weights / "lm.npz").read_bytes())
    return h.hexdigest()[:12]


class OcrCache:
    """Page readings (text + boxes per line) by page name, for one set of recogniser weights."""

    def __init__(self, weights: Path, min_confidence: float, root: Path = ROOT / "runs" / "bench-gongwen"):
        self.weights, self.min_confidence = weights, min_confidence
        # Keyed by the weights, the page-analysis code and the page generator: a change re-reads the pages.
        code = sorted((ROOT / "archiver" / "vision").glob("*.py")) + [ROOT / "bench" / "gongwen_pages.py",
                                                                      ROOT / "bench" / "scansim.py"]
        vision = hashlib.sha256(b"".join(p.read_bytes() for p in code))
        self.folder = root / f"{_weights_digest(weights)}-{vision.hexdigest()[:8]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._reader = None
        self.seconds: list[float] = []

    def read(self, name: str, image) -> tuple[list[str], list[tuple]]:
        path = self.folder / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            from archiver.pipeline import ocr_page
            from archiver.ocr.recognizer import Recognizer

            if self._reader is None:
                self._reader = Recognizer(self.weights, threads=2, decoder=Ocr().decoder)  # the shipped decoder
            t = time.perf_counter()
            lines = ocr_page(image, self._reader, self.min_confidence)
            self.seconds.append(time.perf_counter() - t)
            data = {"text": [ln.text for ln in lines], "boxes": [list(ln.box) for ln in lines]}
            path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return data["text"], [tuple(b) for b in data["boxes"]]


class Score:
    def __init__(self) -> None:
        self.present = {f: 0 for f in FIELDS}
        self.correct = {f: 0 for f in FIELDS}
        self.given = {f: 0 for f in FIELDS}
        self.right_given = {f: 0 for f in FIELDS}
        self.invented = {f: 0 for f in FIELDS}
        self.absent = {f: 0 for f in FIELDS}
        self.misses: list[str] = []
        self.names: list[str] = []

    def add(self, name: str, truth: dict, got) -> None:
        self.names.append(name)
        for f in FIELDS:
            t, g = canon(f, truth.get(f)), canon(f, getattr(got, f))
            if t is not None:
                self.present[f] += 1
                self.correct[f] += t == g
                if t != g:
                    self.misses.append(f"{name} {f}: want {t!r} got {g!r}")
            else:
                self.absent[f] += 1
                self.invented[f] += g is not None
            if g is not None:
                self.given[f] += 1
                self.right_given[f] += t == g

    def rows(self) -> list[tuple[str, str, str, str]]:
        out = []
        for f in FIELDS:
            acc = f"{100 * self.correct[f] / self.present[f]:.1f} % ({self.correct[f]}/{self.present[f]})" \
                if self.present[f] else "–"
            prec = f"{100 * self.right_given[f] / self.given[f]:.1f} %" if self.given[f] else "–"
            inv = f"{self.invented[f]}/{self.absent[f]}" if self.absent[f] else "–"
            out.append((f, acc, prec, inv))
        return out

    def overall_precision(self) -> str:
        g, r = sum(self.given.values()), sum(self.right_given.values())
        inv, ab = sum(self.invented.values()), sum(self.absent.values())
        return f"{100 * r / max(1, g):.1f} % of {g} values given are right; {inv} invented in {ab} absent fields"


def govdev_pages(root: Path):
    """(name, page texts, page boxes, page images) of the three 公文 templates, from their text layer."""
    from archiver.ingest.rasterize import text_layers
    from bench import govdev

    for name in GOVDEV:
        pdf = root / "pdfs" / f"{name}.pdf"
        images = govdev.rasterise(pdf, GOVDEV_DPI)
        layers = text_layers(pdf, len(images), GOVDEV_DPI / 72)
        yield name, ["\n".join(ln.text for ln in lay) for lay in layers], [[ln.box for ln in lay] for lay in layers], images


KEY_FIELDS = ("doc_number", "title", "date", "doc_type", "issuer")  # issue 5 targets: >= 97 %, the rest >= 95 %


def targets(score: Score) -> str:
    """One line per target of the issue: met or missed, on the scanned pages."""
    missed = []
    for f in FIELDS:
        if not score.present[f]:
            continue
        acc = score.correct[f] / score.present[f]
        want = 0.97 if f in KEY_FIELDS else 0.95
        if acc < want:
            missed.append(f"{f} {100 * acc:.1f} % < {100 * want:.0f} %")
    inv, ab = sum(score.invented.values()), sum(score.absent.values())
    prec = 1 - inv / max(1, ab)
    return (f"Targets on the scans: {len(missed)} field(s) below target" + (f" ({'; '.join(missed)})" if missed else "")
            + f"; nothing invented: {100 * prec:.1f} % of absent fields left empty (target ≥ 99 %).")


def table(title: str, score: Score) -> str:
    lines = [f"**{title}**", "", "| field | accuracy | precision | invented |", "|---|---|---|---|"]
    lines += [f"| {f} | {a} | {p} | {i} |" for f, a, p, i in score.rows()]
    lines += ["", f"Overall: {score.overall_precision()}.", ""]
    return "\n".join(lines)


LAYOUT_FIELDS = ("title", "doc_type", "issuer", "doc_number", "date", "header", "signature", "recipients", "note")


def clean_count(by_layout: dict, layout: str) -> int:
    return len(by_layout[layout][0].names) if layout in by_layout else 0


def layout_table(title: str, scores: dict[str, Score]) -> str:
    """Per layout: accuracy of the main fields over the documents that have them (right/present), and
    the values given where the page has none, over all fields ("invented")."""
    cols = LAYOUT_FIELDS
    lines = [f"**{title}**", "", "| layout | docs | " + " | ".join(cols) + " | invented |",
             "|---|---:|" + "---|" * (len(cols) + 1)]
    for lay in LAYOUTS:
        sc = scores.get(lay)
        if sc is None:
            continue
        cells = [f"{100 * sc.correct[f] / sc.present[f]:.0f} % ({sc.correct[f]}/{sc.present[f]})" if sc.present[f]
                 else "–" for f in cols]
        inv, ab = sum(sc.invented.values()), sum(sc.absent.values())
        lines.append(f"| {lay} | {len(sc.names)} | " + " | ".join(cells) + f" | {inv}/{ab} |")
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=48)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--level", default="office", choices=("clean", "office"))
    ap.add_argument("--weights", type=Path, default=ROOT / "archiver" / "ocr" / "weights")
    ap.add_argument("--min-confidence", type=float, default=0.25)
    ap.add_argument("--no-ocr", action="store_true", help="clean text only")
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "bench-gongwen", help="where page readings are kept")
    ap.add_argument("--out", type=Path, default=None, help="write a section into this markdown file")
    ap.add_argument("--misses", action="store_true", help="print every wrong field")
    ap.add_argument("--real", action="store_true", help="real documents (gongwen-real) in every layout instead")
    from bench import gongwen_real

    gongwen_real.add_arguments(ap)
    args = ap.parse_args(argv)
    if args.real:
        md = gongwen_real.run(args)
        print(md)
        if args.out:
            write_section(args.out, "gongwen-real", "## 公文 reading on real documents (issue 18)\n\n" + md +
                          f"\n\nCommand: `python -m bench.gongwen --real --variants {args.variants}{' --quick' if args.quick else ''} "
                          f"--out docs/benchmarks.md`")
        return 0
    from bench import govdev

    clean, scanned = Score(), Score()
    by_layout: dict[str, tuple[Score, Score]] = {}
    gd_clean, gd_scanned = Score(), Score()
    cache = None if args.no_ocr else OcrCache(args.weights, args.min_confidence, args.cache)
    pages = 0
    for k in range(args.samples):
        seed = args.first_seed + k
        s = make_sample(seed)
        pages += len(s.images)
        lc, ls = by_layout.setdefault(s.layout, (Score(), Score()))
        got = extract(s.texts(), s.boxes())
        clean.add(s.name, s.truth, got)
        lc.add(s.name, s.truth, got)
        if cache:
            read = [cache.read(f"{s.name}-p{i + 1}-{args.level}", simulate(img, args.level, seed * 10 + i))
                    for i, img in enumerate(s.images)]
            got = extract(["\n".join(t) for t, _ in read], [b for _, b in read])
            scanned.add(s.name, s.truth, got)
            ls.add(s.name, s.truth, got)
    root = govdev.default_root()
    if root.is_dir():
        for name, texts, boxes, images in govdev_pages(root):
            truth = GOVDEV[name]
            gd_clean.add(name, truth, extract(texts, boxes))
            if cache:
                read = [cache.read(f"{name}-p{i + 1}-{args.level}", simulate(img, args.level, i)) for i, img in enumerate(images)]
                gd_scanned.add(name, truth, extract(["\n".join(t) for t, _ in read], [b for _, b in read]))
    counts = ", ".join(f"{n} {lay}" for lay in LAYOUTS if (n := clean_count(by_layout, lay)))
    parts = [f"{args.samples} generated 公文 documents, {pages} pages (seeds {args.first_seed}–"
             f"{args.first_seed + args.samples - 1}; layouts: {counts}; {GOVDEV_DPI} dpi), scan level `{args.level}`; "
             f"command: `python -m bench.gongwen --samples {args.samples} --level {args.level} "
             f"{'' if cache else '--no-ocr '}--out docs/benchmarks.md`", ""]
    parts.append(layout_table("Generated documents per layout, clean text (the lines as drawn)",
                              {k: v[0] for k, v in by_layout.items()}))
    if cache:
        parts.append(layout_table("Generated documents per layout, simulated scan → page analysis → recogniser",
                                  {k: v[1] for k, v in by_layout.items()}))
    parts.append(table("Generated documents, all layouts, clean text", clean))
    if cache:
        parts.append(table("Generated documents, all layouts, simulated scan → page analysis → recogniser", scanned))
        parts.append(targets(scanned) + "\n")
    parts.append(table("gov-dev 公文 templates (3), text layer", gd_clean))
    if cache:
        parts.append(table("gov-dev 公文 templates (3), simulated scan → OCR", gd_scanned))
        if cache.seconds:
            secs = sorted(cache.seconds)
            parts.append(f"OCR time per page (median of {len(secs)} pages read this run): {secs[len(secs) // 2]:.1f} s "
                         f"(2 shared CPU cores).")
        parts.append(f"Recogniser weights: {args.weights.name}/crnn.pt sha256 {_weights_digest(args.weights)}.")
    md = "\n".join(parts)
    print(md)
    if args.misses:
        for label, sc in (("clean", clean), ("scan", scanned), ("gov-dev text", gd_clean), ("gov-dev scan", gd_scanned)):
            for m in sc.misses:
                print(f"[{label}] {m}")
    if args.out:
        write_section(args.out, "gongwen", "## 公文 field extraction (issue 5)\n\n" + md)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    raise SystemExit(main())
