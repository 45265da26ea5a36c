"""Whole-page benchmark of page analysis, and of page OCR against Tesseract and RapidOCR, in one run.

    python -m bench.page [--sample 24] [--engines ours tesseract rapidocr] [--level poor] [--grey]
                         [--out docs/benchmarks.md]

Every gov-dev page is rasterised at 200 dpi and scanned by bench.scansim (--level: "office" by default,
ink fade, uneven light, blur, noise, specks, JPEG; "poor" adds a fax-like scan at a third of the
resolution; --grey saves the scan as a grey image) at a seed fixed per page, rotated by up to ±3°,
and about one page in seven is also turned by 90, 180 or 270 degrees. On all pages (or --max-pages):
line recall and precision against lines.tsv (our boxes mapped back to the unrotated page, IoU >= 0.5),
skew error, orientation accuracy and page-analysis seconds. On a fixed sample of --sample pages:
whole-page CER against pages.tsv (NFKC, whitespace removed), order-free character F1 (the multiset
of characters read against the reference's: reading order and line breaks cost nothing) and seconds per page, for our pipeline
(page analysis + our recogniser), Tesseract (chi_sim, whole page, --psm 3) and RapidOCR (det+cls+rec).
"""
from __future__ import annotations

import argparse
import random
from collections import Counter
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from archiver.ocr.charset import score_normalise
from archiver.ocr.metrics import edit_distance as levenshtein
from archiver.vision import analyse_page
from archiver.vision.layout import unturn_points
from bench import govdev
from bench.lines import match
from bench.report import write_section
from bench.scansim import LEVELS, simulate

MAX_SKEW = 3.0
TURN_SHARE = 0.15


@dataclass(frozen=True)
class Scan:
    """How a clean page was damaged: rotated by `angle` (ccw degrees) about its centre, then turned
    by `turns` counter-clockwise quarter turns."""

    doc: str
    page: int
    angle: float
    turns: int
    level: str = "office"
    grey: bool = False

    @staticmethod
    def for_page(doc: str, page: int, level: str = "office", grey: bool = False) -> "Scan":
        seed = zlib.crc32(f"{doc}:{page}".encode())
        rng = np.random.default_rng(seed)
        angle = float(np.round(rng.uniform(-MAX_SKEW, MAX_SKEW), 2))
        turns = int(rng.integers(1, 4)) if rng.random() < TURN_SHARE else 0
        return Scan(doc, page, angle, turns, level, grey)

    @property
    def seed(self) -> int:
        return zlib.crc32(f"{self.doc}:{self.page}".encode())

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        img = simulate(rgb, self.level, seed=self.seed, rotate=self.angle)
        if self.grey:
            img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        return np.ascontiguousarray(np.rot90(img, self.turns))

    def to_page(self, pts: np.ndarray, page_shape: tuple[int, int]) -> np.ndarray:
        """Points on the scanned image mapped back onto the clean page."""
        h, w = page_shape
        turned = (h, w) if self.turns % 2 == 0 else (w, h)
        p = unturn_points(pts, self.turns, turned)
        m = cv2.invertAffineTransform(cv2.getRotationMatrix2D((w / 2.0, h / 2.0), self.angle, 1.0))
        return p @ m[:, :2].T + m[:, 2]


@dataclass
class PageResult:
    gt: int = 0
    gt_cjk: int = 0
    found: int = 0
    hit: int = 0
    hit_cjk: int = 0
    skew_err: float = 0.0
    has_text: bool = True
    scored_lines: bool = True  # False where lines.tsv has no rows for a page that carries text
    upright: bool = True
    turned: bool = False
    analysis_s: float = 0.0
    analysis_cpu: float = 0.0
    cer: dict = field(default_factory=dict)  # engine -> (errors, reference chars)
    f1: dict = field(default_factory=dict)  # engine -> (characters in common, characters read, reference chars)
    seconds: dict = field(default_factory=dict)  # engine -> seconds for the page


def page_boxes(layout, scan: Scan, page_shape: tuple[int, int]) -> np.ndarray:
    """Our line boxes on the clean page: analysed page -> scanned image -> clean page."""
    out = []
    for ln in layout.lines:
        x0, y0, x1, y1 = ln.box
        pts = layout.to_source_points(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float))
        p = scan.to_page(pts, page_shape)
        out.append([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])
    return np.array(out, dtype=float).reshape(-1, 4)


def run_tesseract(rgb: np.ndarray) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        res = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim", "--psm", "3"],
                             capture_output=True, text=True)
    return res.stdout


class Rapid:
    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR()

    def __call__(self, rgb: np.ndarray) -> str:
        res, _ = self.engine(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return "\n".join(r[1] for r in res) if res else ""


def bench_page(scan: Scan, root: Path, gt_lines: list | None, ref: str | None, reader, engines: list[str],
               rapid, dpi: int, pad_px: float, min_conf: float, lm_reader=None) -> PageResult:
    """reader (greedy decoding) finds the lines and reads them for "ours"; lm_reader reads the same lines
    for "ours+lm" (the language-model decoder), so the two differ in decoding only."""
    clean = govdev.rasterise(root / "pdfs" / f"{scan.doc}.pdf", dpi, scan.page, scan.page)[0]
    img = scan.apply(clean)
    r = PageResult(turned=scan.turns != 0)
    t0, c0 = time.perf_counter(), time.process_time()
    layout = analyse_page(img, reader=reader)
    r.analysis_s = time.perf_counter() - t0
    # CPU seconds as well: on a shared machine the wall clock mostly measures the other processes.
    r.analysis_cpu = time.process_time() - c0
    r.upright = layout.quarter_turns == (-scan.turns) % 4
    r.skew_err = abs(layout.angle - scan.angle) if r.upright else float("nan")
    r.has_text = bool(gt_lines) or bool(ref and ref.strip()) or gt_lines is None
    if gt_lines is None:
        r.scored_lines, gt_lines = False, []
    s = dpi / 72.0
    gt = np.array([[v * s for v in ln.box_pt] for ln in gt_lines]).reshape(-1, 4)
    found = page_boxes(layout, scan, clean.shape[:2]) + np.array([-pad_px, -pad_px, pad_px, pad_px])
    hits = match(gt, found)
    cjk = np.array([ln.has_cjk for ln in gt_lines], dtype=bool)
    r.gt, r.gt_cjk, r.found = len(gt), int(cjk.sum()), len(found) if r.scored_lines else 0
    r.hit, r.hit_cjk = int((hits >= 0).sum()), int(((hits >= 0) & cjk).sum())
    if ref is None:
        return r
    ref_n = score_normalise(ref)
    for engine in engines:
        t0 = time.perf_counter()
        if engine in ("ours", "ours+lm"):
            rec = reader if engine == "ours" else lm_reader
            readings = rec.read([c.image for c in layout.lines]) if layout.lines else []
            text = "\n".join(x.text for x in readings if x.text and x.confidence >= min_conf)
            dt = time.perf_counter() - t0 + r.analysis_s
        elif engine == "tesseract":
            text = run_tesseract(img)
            dt = time.perf_counter() - t0
        else:
            text = rapid(img)
            dt = time.perf_counter() - t0
        read_n = score_normalise(text)
        r.cer[engine] = (levenshtein(read_n, ref_n), len(ref_n))
        r.f1[engine] = (sum((Counter(read_n) & Counter(ref_n)).values()), len(read_n), len(ref_n))
        r.seconds[engine] = dt
    return r


def summarise(results: list[PageResult], engines: list[str]) -> tuple[str, dict]:
    gt = sum(r.gt for r in results)
    found = sum(r.found for r in results)
    hit = sum(r.hit for r in results)
    gt_cjk, hit_cjk = sum(r.gt_cjk for r in results), sum(r.hit_cjk for r in results)
    # A blank page has no skew to find.
    skew = np.array([r.skew_err for r in results if r.upright and r.has_text and not np.isnan(r.skew_err)])
    turned = [r for r in results if r.turned]
    fig = {
        "pages": len(results), "turned": len(turned),
        "recall": hit / max(1, gt), "recall_cjk": hit_cjk / max(1, gt_cjk), "precision": hit / max(1, found),
        "skew_median": float(np.median(skew)) if len(skew) else float("nan"),
        "skew_max": float(skew.max()) if len(skew) else float("nan"),
        "orientation": sum(r.upright for r in results) / max(1, len(results)),
        "orientation_turned": (f"{sum(r.upright for r in turned)}/{len(turned)}"),
        "analysis_s": float(np.median([r.analysis_s for r in results])) if results else float("nan"),
        "analysis_cpu": float(np.median([r.analysis_cpu for r in results])) if results else float("nan"),
    }
    lines = [
        f"| pages (turned 90/180/270) | {fig['pages']} ({fig['turned']}) |",
        f"| line recall, all / CJK-bearing (IoU >= 0.5, {gt} lines) | {fig['recall']:.2%} / {fig['recall_cjk']:.2%} |",
        f"| line precision ({found} found) | {fig['precision']:.2%} |",
        f"| skew error median / max | {fig['skew_median']:.3f}° / {fig['skew_max']:.3f}° |",
        f"| orientation correct, all / turned pages | {fig['orientation']:.1%} / {fig['orientation_turned']} |",
        f"| page analysis incl. orientation reads, median s/page: wall / CPU (all threads) | "
        f"{fig['analysis_s']:.3f} / {fig['analysis_cpu']:.3f} |",
    ]
    table = "| measure | value |\n|---|---|\n" + "\n".join(lines) + "\n"
    sample = [r for r in results if r.cer]
    if sample:
        table += ("\n| engine | pages | whole-page CER | median page CER | order-free char F1 | median s/page "
                  "| s/page vs RapidOCR |\n|---|---|---|---|---|---|---|\n")
        rapid_s = np.median([r.seconds["rapidocr"] for r in sample]) if "rapidocr" in engines else None
        for e in engines:
            errs = sum(r.cer[e][0] for r in sample)
            chars = sum(r.cer[e][1] for r in sample)
            per = np.median([r.cer[e][0] / max(1, r.cer[e][1]) for r in sample])
            sec = float(np.median([r.seconds[e] for r in sample]))
            ratio = f"{sec / rapid_s:.2f}×" if rapid_s else "-"
            common, read, ref = (sum(r.f1[e][i] for r in sample) for i in range(3))
            f1 = 2 * common / max(1, read + ref)
            fig[f"cer_{e}"], fig[f"f1_{e}"], fig[f"s_{e}"] = errs / max(1, chars), f1, sec
            table += (f"| {e} | {len(sample)} | {errs / max(1, chars):.2%} | {per:.2%} | {f1:.3f} | {sec:.2f} "
                      f"| {ratio} |\n")
    return table, fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=24, help="pages read whole by every engine (0: none)")
    ap.add_argument("--max-pages", type=int, default=None, help="pages for the vision figures (default: all)")
    ap.add_argument("--engines", nargs="+", default=["ours", "ours+lm", "tesseract", "rapidocr"],
                    choices=["ours", "ours+lm", "tesseract", "rapidocr"])
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--level", choices=LEVELS, default="office", help="scan quality (bench.scansim)")
    ap.add_argument("--grey", action="store_true", help="save the scans as grey images")
    ap.add_argument("--pad-pt", type=float, default=2.5, help="grow found boxes by this many points (see bench.lines)")
    ap.add_argument("--min-confidence", type=float, default=0.25, help="as ocr.min_confidence in the pipeline")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=4, help="which pages form the sample")
    ap.add_argument("--only", nargs="+", default=None, metavar="DOC:PAGE", help="just these pages (all in the sample)")
    ap.add_argument("--out", type=Path, default=None, help="write the tables into this markdown file's page section")
    args = ap.parse_args(argv)

    from archiver.ocr.recognizer import Recognizer

    reader = Recognizer(threads=args.threads)
    lm_reader = Recognizer(threads=args.threads, decoder="beam") if "ours+lm" in args.engines else None
    root = govdev.default_root()
    by_page: dict[tuple[str, int], list] = {}
    for ln in govdev.read_lines(root):
        by_page.setdefault((ln.doc, ln.page), []).append(ln)
    refs = govdev.read_pages(root)
    keys = sorted(set(by_page) | set(refs))
    if args.max_pages:
        keys = random.Random(args.seed).sample(keys, min(args.max_pages, len(keys)))
        keys.sort()
    sample = set(random.Random(args.seed + 1).sample(keys, min(args.sample, len(keys))))
    if args.only:
        keys = sorted((d, int(n)) for d, n in (o.rsplit(":", 1) for o in args.only))
        sample = set(keys) if args.sample else set()
    rapid = Rapid() if "rapidocr" in args.engines and sample else None
    results = []
    for i, key in enumerate(keys, 1):
        scan = Scan.for_page(*key, level=args.level, grey=args.grey)
        blank = key in refs and not refs[key].strip()  # a blank page: every line found there is false
        r = bench_page(scan, root, by_page.get(key, [] if blank else None), refs.get(key, "") if key in sample else None, reader,
                       args.engines, rapid, args.dpi, args.pad_pt * args.dpi / 72.0, args.min_confidence, lm_reader)
        results.append(r)
        cer = " ".join(f"{e} {c[0] / max(1, c[1]):.1%} {r.seconds[e]:.1f}s" for e, c in r.cer.items())
        print(f"[{i}/{len(keys)}] {key[0]} p{key[1]} angle {scan.angle:+.2f} turns {scan.turns} | lines {r.hit}/{r.gt} "
              f"found {r.found} | upright {r.upright} skew err {r.skew_err:.2f} | {r.analysis_s:.2f}s {cer}", flush=True)
    table, _ = summarise(results, args.engines)
    print()
    print(table)
    if args.out:
        cmd = "python -m bench.page " + " ".join(argv if argv is not None else sys.argv[1:])
        variant = args.level + ("-grey" if args.grey else "")
        section = "page" if variant == "office" else f"page-{variant}"
        write_section(args.out, section, f"## Page analysis and whole-page OCR (gov-dev, {args.dpi} dpi, simulated "
                      f"{args.level} scan{', grey' if args.grey else ''})\n\n"
                      f"`{cmd.strip()}`: every page scanned at a fixed seed, rotated up to ±{MAX_SKEW:g}°, about "
                      f"{TURN_SHARE:.0%} turned 90/180/270; CER on {len([r for r in results if r.cer])} sampled pages "
                      f"(seed {args.seed}); {args.threads} threads. Our seconds include page analysis.\n\n{table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
