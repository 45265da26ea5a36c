"""Line-finding recall and precision of archiver.vision on the gov-dev PDFs.

    python -m bench.lines [--dpi 200] [--docs N] [--pages N] [--rotate DEG] [--scan] [--show DIR]

Pages are rasterised, optionally turned by --rotate degrees (counter-clockwise) and given a fixed,
seeded scan-like damage (--scan: uneven light, grey paper, blur, noise, JPEG), and analysed;
found boxes are matched one-to-one to lines.tsv boxes (points * dpi/72) at IoU >= 0.5.
Ground-truth boxes are the glyphs' em boxes plus about 1.5 pt, while ours are tight around the ink,
so found boxes are grown by --pad-pt (2.5 pt) on every side before matching.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archiver.vision import analyse_page, rotate
from bench import govdev


@dataclass
class Tally:
    pages: int = 0
    gt: int = 0
    gt_cjk: int = 0
    found: int = 0
    hit: int = 0
    hit_cjk: int = 0
    seconds: float = 0.0
    angle_err: float = 0.0

    def add(self, other: "Tally") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in a (N x 4) with every box in b (M x 4)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match(gt: np.ndarray, found: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Greedy one-to-one matching by IoU; for each ground-truth box, the index it matched or -1."""
    out = np.full(len(gt), -1)
    m = iou_matrix(gt, found)
    if m.size == 0:
        return out
    used = np.zeros(len(found), dtype=bool)
    for flat in np.argsort(-m, axis=None):
        g, f = divmod(int(flat), len(found))
        if m[g, f] < threshold:
            break
        if out[g] < 0 and not used[f]:
            out[g], used[f] = f, True
    return out


def _overlay(path: Path, image: np.ndarray, gt: np.ndarray, found: np.ndarray, hits: np.ndarray) -> None:
    import cv2

    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    for i, b in enumerate(gt.astype(int)):
        cv2.rectangle(canvas, (b[0], b[1]), (b[2], b[3]), (0, 180, 0) if hits[i] >= 0 else (0, 0, 255), 2)
    for b in found.astype(int):
        cv2.rectangle(canvas, (b[0], b[1]), (b[2], b[3]), (255, 0, 0), 1)
    cv2.imwrite(str(path), canvas)


def scan_damage(rgb: np.ndarray, seed: int) -> np.ndarray:
    """A plain scanner look: light falling off to one side, grey paper, soft focus, noise, JPEG."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    ramp = np.linspace(1.0, rng.uniform(0.6, 0.8), w, dtype=np.float32)[None, :, None]
    img = rgb.astype(np.float32) * ramp * rng.uniform(0.85, 0.95)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.0))
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def bench_page(rgb: np.ndarray, gt_lines: list, dpi: int, pad_px: float, turn: float,
               show: Path | None, name: str, scan_seed: int | None = None) -> Tally:
    if turn:
        rgb = np.stack([rotate(np.ascontiguousarray(rgb[:, :, c]), turn) for c in range(3)], axis=2)
    if scan_seed is not None:
        rgb = scan_damage(rgb, scan_seed)
    t0 = time.perf_counter()
    layout = analyse_page(rgb)
    t = Tally(pages=1, seconds=time.perf_counter() - t0, angle_err=abs(layout.angle - turn))
    s = dpi / 72.0
    gt = np.array([[v * s for v in ln.box_pt] for ln in gt_lines]).reshape(-1, 4)
    found = np.array([ln.box for ln in layout.lines], dtype=float).reshape(-1, 4)
    found_padded = found + np.array([-pad_px, -pad_px, pad_px, pad_px])
    hits = match(gt, found_padded)
    cjk = np.array([ln.has_cjk for ln in gt_lines], dtype=bool)
    t.gt, t.gt_cjk, t.found = len(gt), int(cjk.sum()), len(found)
    t.hit, t.hit_cjk = int((hits >= 0).sum()), int(((hits >= 0) & cjk).sum())
    if show is not None:
        _overlay(show / f"{name}.png", layout.image, gt, found_padded, hits)
    return t


def _row(name: str, t: Tally) -> str:
    rec = t.hit / t.gt if t.gt else float("nan")
    rec_cjk = t.hit_cjk / t.gt_cjk if t.gt_cjk else float("nan")
    prec = t.hit / t.found if t.found else float("nan")
    spp = t.seconds / t.pages if t.pages else float("nan")
    ang = t.angle_err / t.pages if t.pages else float("nan")
    return (f"{name:<36} {t.pages:>5} {t.gt:>6} {t.found:>6} {t.hit:>6} {rec:>7.1%} {rec_cjk:>7.1%} "
            f"{prec:>7.1%} {spp:>7.3f} {ang:>6.2f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lines", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=None, help="gov-dev folder (default: beside the project)")
    p.add_argument("--dpi", type=int, default=200)
    p.add_argument("--docs", type=int, default=None, help="only the first N documents")
    p.add_argument("--pages", type=int, default=None, help="only the first N pages of each document")
    p.add_argument("--rotate", type=float, default=0.0, help="turn each page by DEG (counter-clockwise) first")
    p.add_argument("--scan", action="store_true", help="add seeded scan-like damage to each page")
    p.add_argument("--pad-pt", type=float, default=2.5, help="grow found boxes by this many points")
    p.add_argument("--show", type=Path, default=None, help="write overlays here (green hit, red missed, blue found)")
    args = p.parse_args(argv)

    root = args.root or govdev.default_root()
    gt_all = govdev.read_lines(root)
    by_page: dict[str, dict[int, list]] = {}
    for ln in gt_all:
        by_page.setdefault(ln.doc, {}).setdefault(ln.page, []).append(ln)
    docs = sorted(by_page)[: args.docs]
    if args.show is not None:
        args.show.mkdir(parents=True, exist_ok=True)

    header = (f"{'document':<36} {'pages':>5} {'gt':>6} {'found':>6} {'hit':>6} {'recall':>7} {'cjk-rec':>7} "
              f"{'precis':>7} {'s/page':>7} {'|dang|':>6}")
    print(f"dpi {args.dpi}, rotate {args.rotate}°, scan damage {'on' if args.scan else 'off'}, "
          f"IoU >= 0.5, found boxes padded {args.pad_pt} pt")
    print(header)
    print("-" * len(header))
    total = Tally()
    for doc in docs:
        pdf = root / "pdfs" / f"{doc}.pdf"
        tally = Tally()
        for page in sorted(by_page[doc])[: args.pages]:
            rgb = govdev.rasterise(pdf, args.dpi, page, page)[0]
            tally.add(bench_page(rgb, by_page[doc][page], args.dpi, args.pad_pt * args.dpi / 72.0,
                                 args.rotate, args.show, f"{doc}_p{page:02d}",
                                 scan_seed=page if args.scan else None))
        print(_row(doc, tally), flush=True)
        total.add(tally)
    print("-" * len(header))
    print(_row("total", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
