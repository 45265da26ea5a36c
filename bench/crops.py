"""Which page the recogniser's line crops are cut from (issue 19, item 3), and page-analysis time against a
base commit.

    python -m bench.crops [--pages 30] [--levels office poor] [--out docs/benchmarks.md]
    python -m bench.crops --time-base /tmp/crops/base [--time-pages 30] [--rounds 3]

Crops: a fixed sample of gov-dev pages, rasterised at 200 dpi and scanned as bench.page scans them (same seed,
skew and quarter turns per page) at each --level, in colour and in grey. Page analysis runs once per scan
(archiver.vision.analyse_page, with the recogniser for orientation); the SAME line boxes, on the same upright,
deskewed page, are then cut from four renderings of the page and read by the pipeline's recogniser
(archiver.pipeline.make_reader(Settings()): beam search with the language model):

- raw: the grey page as scanned (red ink separated), before the background is flattened;
- normalised: the background-normalised grey page (what the pipeline cuts lines from);
- darkened: the normalised page with faint ink darkened (stretch_contrast: what binarisation sees);
- binary: the despeckled Sauvola page that lines are found on, black on white.

Scores: whole-page CER and order-free character F1 against pages.tsv (reads below ocr.min_confidence dropped,
as the pipeline does), and line CER over the ground-truth lines a found box matches (IoU >= 0.5, every read
kept), each pooled over the pages; and on how many pages each rendering's page CER is lower / higher than
the normalised page's.

Time: analyse_page (with the recogniser, as bench.page times it) on --time-pages office scans, rendered once,
in two worker processes, one importing archiver from this tree and one from --time-base (a `git worktree`
of the base commit, same interpreter); each page is analysed by both, alternately first, --rounds times.
Reported: median over pages of each page's median wall and CPU seconds, and the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

VARIANTS = ("raw", "normalised", "darkened", "binary")
# The timing table sits inside the crops section, between its own markers, so each run rewrites its own part.
TIME_START, TIME_END = "<!-- crops-time -->", "<!-- /crops-time -->"


@dataclass
class Score:
    page_err: int = 0
    page_ref: int = 0
    common: int = 0
    read: int = 0
    line_err: int = 0
    line_ref: int = 0
    per_page: list = field(default_factory=list)  # page CER per page, in page order

    @property
    def cer(self) -> float:
        return self.page_err / max(1, self.page_ref)

    @property
    def f1(self) -> float:
        return 2 * self.common / max(1, self.read + self.page_ref)

    @property
    def line_cer(self) -> float:
        return self.line_err / max(1, self.line_ref)


def renderings(img: np.ndarray, layout) -> dict[str, np.ndarray]:
    """The four pages the lines can be cut from, turned and deskewed exactly as layout.image was."""
    import cv2

    from archiver.vision.layout import _clean
    from archiver.vision.orient import turn
    from archiver.vision.preprocess import rotate, rotate_binary, stretch_contrast

    src = np.asarray(img)
    if layout.scale != 1.0:
        H, W = src.shape[:2]
        interp = cv2.INTER_AREA if layout.scale < 1 else cv2.INTER_CUBIC
        src = cv2.resize(src, (int(round(W * layout.scale)), int(round(H * layout.scale))), interpolation=interp)
    red, gray, binary, _pieces, _ch = _clean(src)
    darker = stretch_contrast(gray)
    darker[red.seal > 0] = gray[red.seal > 0]
    pages = {"raw": red.gray, "normalised": gray, "darkened": darker, "binary": binary}  # binary: ink 255
    k, a = layout.quarter_turns, layout.angle

    def upright(p: np.ndarray, k: int, is_binary: bool) -> np.ndarray:
        p = turn(p, k)
        if a:
            p = rotate_binary(p, -a) if is_binary else rotate(p, -a)
        return p

    # An upside-down page is the deskewed page of the opposite turn flipped (layout._half_turn), which
    # is not pixel for pixel the page turned first and deskewed after: take whichever gives layout.image.
    ways = [lambda p, b: upright(p, k, b), lambda p, b: np.ascontiguousarray(upright(p, k + 2, b)[::-1, ::-1])]
    way = next((w for w in ways if np.array_equal(w(gray, False), layout.image)), None)
    if way is None:
        raise RuntimeError("could not reproduce the analysed page")
    out = {name: way(p, name == "binary") for name, p in pages.items()}
    out["binary"] = 255 - out["binary"]
    return out


def score_page(reader, layout, pages: dict[str, np.ndarray], ref: str, gt_lines, scan, page_shape, dpi: int,
               min_conf: float, scores: dict[str, Score]) -> str:
    from archiver.ocr.charset import score_normalise
    from archiver.ocr.metrics import edit_distance
    from archiver.vision.layout import crop_line
    from bench.lines import match
    from bench.page import page_boxes

    pad = 2.5 * dpi / 72.0
    s = dpi / 72.0
    gt = np.array([[v * s for v in ln.box_pt] for ln in gt_lines]).reshape(-1, 4)
    found = page_boxes(layout, scan, page_shape) + np.array([-pad, -pad, pad, pad])
    hits = match(gt, found)
    ref_n = score_normalise(ref)
    boxes = [c.box for c in layout.lines]
    parts = []
    for name in VARIANTS:
        readings = reader.read([crop_line(pages[name], b) for b in boxes]) if boxes else []
        text = "\n".join(r.text for r in readings if r.text and r.confidence >= min_conf)
        read_n = score_normalise(text)
        sc = scores[name]
        err = edit_distance(read_n, ref_n)
        sc.page_err += err
        sc.page_ref += len(ref_n)
        sc.common += sum((Counter(read_n) & Counter(ref_n)).values())
        sc.read += len(read_n)
        sc.per_page.append(err / max(1, len(ref_n)))
        for g, f in zip(gt_lines, hits):
            t = score_normalise(g.text)
            if f >= 0 and t:
                sc.line_err += edit_distance(score_normalise(readings[f].text), t)
                sc.line_ref += len(t)
        parts.append(f"{name} {err / max(1, len(ref_n)):.1%}")
    return " ".join(parts)


def crops_table(results: dict[str, dict[str, Score]]) -> str:
    out = ("| scan | crops from | whole-page CER | order-free char F1 | line CER (matched lines) "
           "| pages better / worse than normalised |\n|---|---|---|---|---|---|\n")
    for setting, scores in results.items():
        base = scores["normalised"].per_page
        for name in VARIANTS:
            sc = scores[name]
            if name == "normalised":
                cmp = "-"
            else:
                better = sum(a < b - 1e-9 for a, b in zip(sc.per_page, base))
                worse = sum(a > b + 1e-9 for a, b in zip(sc.per_page, base))
                cmp = f"{better} / {worse}"
            out += (f"| {setting} | {name} | {sc.cer:.2%} | {sc.f1:.4f} | {sc.line_cer:.2%} ({sc.line_ref} chars) "
                    f"| {cmp} |\n")
    return out


def sample_keys(n: int, seed: int) -> list[tuple[str, int]]:
    from bench import govdev

    root = govdev.default_root()
    refs = govdev.read_pages(root)
    keys = sorted(k for k, v in refs.items() if v.strip())
    return sorted(random.Random(seed).sample(keys, min(n, len(keys))))


def run_crops(args) -> str:
    from archiver.config import Settings
    from archiver.pipeline import make_reader
    from archiver.vision import analyse_page
    from bench import govdev
    from bench.page import Scan

    settings = Settings()
    reader = make_reader(settings)
    root = govdev.default_root()
    refs = govdev.read_pages(root)
    by_page: dict[tuple[str, int], list] = {}
    for ln in govdev.read_lines(root):
        by_page.setdefault((ln.doc, ln.page), []).append(ln)
    keys = sample_keys(args.pages, args.seed)
    settings_list = [(lv, g) for lv in args.levels for g in (False, True)]
    results = {f"{lv}{' grey' if g else ''}": {v: Score() for v in VARIANTS} for lv, g in settings_list}
    for i, key in enumerate(keys, 1):
        clean = govdev.rasterise(root / "pdfs" / f"{key[0]}.pdf", args.dpi, key[1], key[1])[0]
        for lv, g in settings_list:
            scan = Scan.for_page(*key, level=lv, grey=g)
            img = scan.apply(clean)
            layout = analyse_page(img, reader=reader)
            pages = renderings(img, layout)
            line = score_page(reader, layout, pages, refs[key], by_page.get(key, []), scan, clean.shape[:2], args.dpi,
                              settings.ocr.min_confidence, results[f"{lv}{' grey' if g else ''}"])
            print(f"[{i}/{len(keys)}] {key[0]} p{key[1]} {lv}{' grey' if g else ''} | {line}", flush=True)
    return crops_table(results)


# ---- timing against a base commit -------------------------------------------------------------------------

def serve() -> int:
    """Worker: reads page image paths on stdin, answers each with the seconds analyse_page took."""
    import cv2

    import archiver
    from archiver.config import Settings
    from archiver.pipeline import make_reader
    from archiver.vision import analyse_page

    reader = make_reader(Settings())
    print(json.dumps({"archiver": str(Path(archiver.__file__).resolve().parent)}), flush=True)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            break
        img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        t0, c0 = time.perf_counter(), time.process_time()
        layout = analyse_page(img, reader=reader)
        print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                          "lines": len(layout.lines)}), flush=True)
    return 0


def run_time(args) -> str:
    import cv2

    from bench import govdev
    from bench.page import Scan

    root = govdev.default_root()
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in sample_keys(args.time_pages, args.seed + 7):
        p = scratch / f"{key[0]}-{key[1]}.png"
        if not p.exists():
            clean = govdev.rasterise(root / "pdfs" / f"{key[0]}.pdf", args.dpi, key[1], key[1])[0]
            img = Scan.for_page(*key, level="office").apply(clean)
            cv2.imwrite(str(p), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        paths.append(p)
    here = Path(__file__).resolve().parents[1]
    trees = {"current": here, "base": Path(args.time_base).resolve()}
    workers = {}
    for name, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        # Run by path, so that sys.path[0] is bench/ and `archiver` comes from PYTHONPATH alone.
        workers[name] = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], env=env, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(tree))
        hello = json.loads(workers[name].stdout.readline())
        print(f"{name}: archiver from {hello['archiver']}", flush=True)
        if Path(hello["archiver"]) != tree / "archiver":
            raise RuntimeError(f"{name} imported archiver from {hello['archiver']}, not {tree}")

    def ask(name: str, p: Path) -> dict:
        w = workers[name]
        w.stdin.write(f"{p}\n")
        w.stdin.flush()
        return json.loads(w.stdout.readline())

    for name in workers:  # warm-up: the first page pays for loading the model
        ask(name, paths[0])
    wall = {n: [[] for _ in paths] for n in workers}
    cpu = {n: [[] for _ in paths] for n in workers}
    for r in range(args.rounds):
        for i, p in enumerate(paths):
            order = ["current", "base"] if (r + i) % 2 == 0 else ["base", "current"]
            got = {}
            for n in order:
                got[n] = ask(n, p)
                wall[n][i].append(got[n]["wall"])
                cpu[n][i].append(got[n]["cpu"])
            if got["current"]["lines"] != got["base"]["lines"]:
                print(f"  {p.name}: lines differ, current {got['current']['lines']} base {got['base']['lines']}")
            print(f"round {r + 1} page {i + 1}/{len(paths)} {p.name}: current {got['current']['wall']:.3f}s "
                  f"base {got['base']['wall']:.3f}s", flush=True)
    for w in workers.values():
        w.stdin.write("\n")
        w.stdin.flush()
        w.wait()
    med = {n: (float(np.median([np.median(x) for x in wall[n]])), float(np.median([np.median(x) for x in cpu[n]])))
           for n in workers}
    ratio_w = float(np.median([np.median(a) / np.median(b) for a, b in zip(wall["current"], wall["base"])]))
    ratio_c = float(np.median([np.median(a) / np.median(b) for a, b in zip(cpu["current"], cpu["base"])]))
    return ("| code | median s/page wall | median s/page CPU |\n|---|---|---|\n"
            f"| current | {med['current'][0]:.3f} | {med['current'][1]:.3f} |\n"
            f"| base | {med['base'][0]:.3f} | {med['base'][1]:.3f} |\n"
            f"| current / base (median of per-page ratios) | {ratio_w:.3f} | {ratio_c:.3f} |\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.crops", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=30, help="gov-dev pages with text, sampled at --seed")
    ap.add_argument("--levels", nargs="+", default=["office", "poor"], choices=["clean", "office", "poor"])
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--time-base", default=None, help="a worktree of the base commit: time page analysis instead")
    ap.add_argument("--time-pages", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scratch", default="/tmp/crops/pages", help="where the timed scans are kept")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help="write the table into this markdown file's crops section")
    args = ap.parse_args(argv)
    if args.serve:
        return serve()
    cmd = "python -m bench.crops " + " ".join(argv if argv is not None else sys.argv[1:])
    from bench.report import write_section

    if args.time_base:
        table = run_time(args)
        print(table)
        if args.out:
            if TIME_START not in (args.out.read_text(encoding="utf-8") if args.out.exists() else ""):
                write_section(args.out, "crops", f"{TIME_START}\n{TIME_END}")
            write_section(args.out, "crops-time", "### Page analysis time against a base commit (office scans)\n\n"
                          f"`{cmd.strip()}`: {args.time_pages} gov-dev pages (seed {args.seed + 7}), {args.rounds} "
                          "rounds, the two trees alternately first, same interpreter and weights files of each tree; "
                          "analyse_page with make_reader(Settings()) for orientation.\n\n" + table)
        return 0
    table = run_crops(args)
    print()
    print(table)
    if args.out:
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        m = re.search(re.escape(TIME_START) + r".*?" + re.escape(TIME_END), old, re.S)
        timing = m.group(0) if m else f"{TIME_START}\n{TIME_END}"
        write_section(args.out, "crops", "## Line crops: which page the recogniser reads from (issue 19, item 3)\n\n"
                      f"`{cmd.strip()}`: {args.pages} gov-dev pages with text (seed {args.seed}), {args.dpi} dpi, "
                      "scanned as bench.page scans them; the same detected line boxes cut from four renderings of "
                      "the upright, deskewed page and read by make_reader(Settings()).\n\n" + table + "\n" + timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
