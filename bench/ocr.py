"""Line-recognition benchmark on real 公文: ours against Tesseract (chi_sim, --psm 7) and RapidOCR
(PP-OCRv4 recognition only), on the same line crops, in one run.

    python -m bench.ocr [--cjk 400 --num 200] [--levels clean office] [--out docs/benchmarks.md]

gov-dev PDFs are rasterised at 200 dpi, damaged by a simulated scan at fixed seeds, and cut at
the ground-truth line boxes. CER is scored after NFKC with whitespace removed."""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import cv2
import numpy as np

from archiver.config import Ocr
from archiver.ocr.charset import score_normalise
from archiver.ocr.metrics import edit_distance
from bench import govdev
from bench.report import write_section
from bench.scansim import simulate


def run_ours(images, threads: int, decoder: str = "greedy", weights: Path | None = None, engine: str = "onnx",
             second: Path | None = None, second_below: float = 0.0):
    from archiver.ocr.recognizer import DEFAULT_WEIGHTS, Recognizer

    rec = Recognizer(weights or DEFAULT_WEIGHTS, threads=threads, decoder=decoder, engine=engine, second=second,
                     second_below=second_below)
    t = time.perf_counter()
    out = [r.text for r in rec.read(images)]
    return out, time.perf_counter() - t


def run_tesseract(images):
    """One tesseract process over a list file: per-image --psm 7, no per-line start-up cost."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, im in enumerate(images):
            p = Path(tmp) / f"{i:05d}.png"
            cv2.imwrite(str(p), cv2.cvtColor(im, cv2.COLOR_RGB2BGR))
            paths.append(str(p))
        (Path(tmp) / "list.txt").write_text("\n".join(paths) + "\n")
        t = time.perf_counter()
        res = subprocess.run(["tesseract", str(Path(tmp) / "list.txt"), "stdout", "-l", "chi_sim", "--psm", "7"],
                             capture_output=True, text=True)
        dt = time.perf_counter() - t
    texts = res.stdout.split("\f")
    texts = (texts + [""] * len(images))[:len(images)]
    return [t.strip() for t in texts], dt


def run_rapidocr(images):
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR()
    out = []
    t = time.perf_counter()
    for im in images:
        res, _ = engine(cv2.cvtColor(im, cv2.COLOR_RGB2BGR), use_det=False, use_cls=False, use_rec=True)
        out.append(res[0][0] if res else "")
    return out, time.perf_counter() - t


def score(preds, refs):
    errs = chars = exact = 0
    for p, r in zip(preds, refs):
        p, r = score_normalise(p), score_normalise(r)
        errs += edit_distance(p, r)
        chars += len(r)
        exact += p == r
    return errs / max(1, chars), exact / max(1, len(refs))


def score_by_kind(preds, refs, is_cjk) -> tuple[tuple[float, float], tuple[float, float]]:
    """(CER, exact share) of the CJK-bearing lines and of the others (numeric)."""
    def of(kind: bool):
        return score([p for p, c in zip(preds, is_cjk) if c == kind], [r for r, c in zip(refs, is_cjk) if c == kind])
    return of(True), of(False)


def scanned_cuts(root: Path, lines, level: str):
    """The gov-dev line crops of `lines` from pages damaged by a simulated scan at `level` (fixed seeds)."""
    damage = lambda img, doc, page: simulate(img, level, seed=zlib.crc32(f"{doc}:{page}".encode()))  # noqa: E731
    return govdev.cut_lines(root, lines, dpi=200, page_filter=damage)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cjk", type=int, default=400, help="CJK-bearing lines sampled")
    ap.add_argument("--num", type=int, default=200, help="numeric/other lines sampled")
    ap.add_argument("--levels", nargs="+", default=["clean", "office", "poor"])
    ap.add_argument("--engines", nargs="+",
                    default=["ours", "ours+lm", "ours-int8+lm", "ours-int8+lm+second", "tesseract", "rapidocr"],
                    help="ours: greedy CTC decoding; ours+lm: beam search with the character language model; "
                         "ours-int8, ours-int8+lm: the same on the INT8 graph (ocr.engine: onnx-int8); "
                         "ours-int8+lm+second: and the lines read unsure read again by the second weights "
                         "(ocr.second_weights, ocr.second_below: the configured default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weights", type=Path, default=None, help="recogniser weights folder (default: the shipped ones)")
    ap.add_argument("--second", type=Path, default=Ocr().second_weights, help="second weights folder (default: the configured ones)")
    ap.add_argument("--second-below", type=float, default=Ocr().second_below, help="confidence below which a line is "
                    "read again (default: the configured one)")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="also write the table as markdown here")
    args = ap.parse_args(argv)
    root = govdev.default_root()
    lines = govdev.select(govdev.read_lines(root), args.cjk, args.num, seed=args.seed)
    rows = []
    for level in args.levels:
        cuts = scanned_cuts(root, lines, level)
        images = [c for _, c in cuts]
        refs = [ln.text for ln, _ in cuts]
        is_cjk = np.array([ln.has_cjk for ln, _ in cuts])
        for engine in args.engines:
            preds, dt = {"ours": lambda: run_ours(images, args.threads, weights=args.weights),
                         "ours+lm": lambda: run_ours(images, args.threads, decoder="beam", weights=args.weights),
                         "ours-int8": lambda: run_ours(images, args.threads, weights=args.weights, engine="onnx-int8"),
                         "ours-int8+lm": lambda: run_ours(images, args.threads, decoder="beam", weights=args.weights,
                                                          engine="onnx-int8"),
                         "ours-int8+lm+second": lambda: run_ours(images, args.threads, decoder="beam", weights=args.weights,
                                                                 engine="onnx-int8", second=args.second,
                                                                 second_below=args.second_below),
                         "tesseract": lambda: run_tesseract(images), "rapidocr": lambda: run_rapidocr(images)}[engine]()
            (cjk_cer, cjk_exact), (num_cer, num_exact) = score_by_kind(preds, refs, is_cjk)
            rows.append((level, engine, cjk_cer, cjk_exact, num_cer, num_exact, len(images) / dt))
            print(f"{level:7s} {engine:19s} CJK CER {cjk_cer:6.2%} exact {cjk_exact:6.1%} | numeric CER {num_cer:6.2%} "
                  f"exact {num_exact:6.1%} | {len(images) / dt:6.1f} lines/s {1000 * dt / len(images):6.2f} ms/line",
                  flush=True)
    header = ("| level | engine | CJK CER | CJK exact | numeric CER | numeric exact | lines/s | ms/line |\n"
              "|---|---|---|---|---|---|---|---|\n")
    table = header + "".join(f"| {lv} | {en} | {a:.2%} | {b:.1%} | {c:.2%} | {d:.1%} | {e:.1f} | {1000 / e:.2f} |\n"
                             for lv, en, a, b, c, d, e in rows)
    print()
    print(table)
    if args.out:
        cmd = "python -m bench.ocr " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
        write_section(args.out, "ocr", f"## Line recognition (gov-dev, 200 dpi, simulated scan)\n\n"
                      f"`{cmd.strip()}`: {len(lines)} lines ({args.cjk} CJK + {args.num} numeric sampled, seed {args.seed}), "
                      f"{args.threads} threads.\n\n{table}")


if __name__ == "__main__":
    main()
