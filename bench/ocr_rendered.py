"""Line recognition on real 公文 text that the gov-dev benchmark never saw: the paragraphs of
../shared/data/gongwen-real cut into lines, rendered by us and damaged by bench.scansim at each level.

    python -m bench.ocr_rendered [--lines 1200] [--levels clean office poor] [--lm-weights 0.3 0.5]
                                 [--rapidocr] [--weights DIR] [--out docs/benchmarks.md]

What it measures: the decoder's settings (language model weight) on text, hanzi and punctuation the
gov-dev lines do not hold, so a setting chosen here is not fitted to bench.ocr. What it does not: real
typefaces and real layouts (bench.ocr is the measure of those). Lines are cut every 20 characters of a
paragraph (shorter tails of 6 or more kept), sampled at a fixed seed, and drawn alternately in the face held
out of training (WenQuanYi Micro Hei) and in Noto Serif SC (a training face), 16 pt at 200 dpi (44 px, the
body size of GB/T 9704), in a box 1.4 em high (the ink fills as much of it as in the gov-dev line boxes); each line is then scanned by
bench.scansim at the level (fixed seed per line). CER is scored like bench.ocr's (NFKC, no whitespace)."""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from archiver.config import Ocr
from bench.gongwen_real import DATA
from bench.ocr import run_rapidocr, score
from bench.report import write_section
from bench.scansim import LEVELS, simulate

LINE_CHARS = 20  # characters per rendered line (a line of 公文 body text holds 28)
MIN_CHARS = 6
FONT_PX = 44  # 16 pt at 200 dpi
BOX_EM = 1.4  # the crop's height in ems: a hanzi's ink fills ~0.63 of it, as in the gov-dev line boxes
FACES = ("WenQuanYi Micro Hei", "Noto Serif SC")


def real_lines(path: Path = DATA) -> list[str]:
    """Every paragraph of the real documents cut into lines of LINE_CHARS (tails of MIN_CHARS or more kept)."""
    out = []
    for row in path.read_text(encoding="utf-8").splitlines():
        for para in json.loads(row)["paras"]:
            text = "".join(para["text"].split())
            out += [text[i:i + LINE_CHARS] for i in range(0, len(text), LINE_CHARS)
                    if len(text[i:i + LINE_CHARS]) >= MIN_CHARS]
    return out


def render(text: str, face: ImageFont.FreeTypeFont, px: int = FONT_PX) -> np.ndarray:
    """The line in black on white, RGB: a quarter em of paper at each end, BOX_EM high, a full-width hanzi's
    ink centred in it."""
    pad = px // 4
    height = int(round(px * BOX_EM))
    _, ink_top, _, ink_bottom = face.getbbox("国")
    img = Image.new("RGB", (int(face.getlength(text)) + 2 * pad, height), "white")
    ImageDraw.Draw(img).text((pad, (height - (ink_bottom - ink_top)) // 2 - ink_top), text, font=face, fill="black")
    return np.asarray(img)


def sample(n: int, seed: int) -> list[str]:
    lines = real_lines()
    if 0 < n < len(lines):
        lines = random.Random(seed).sample(lines, n)
    return lines


def main(argv=None) -> None:
    from training.fonts import by_name

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1200, help="lines sampled (0: all)")
    ap.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    ap.add_argument("--lm-weights", nargs="+", type=float, default=None,
                    help="language model weights to read with (default: the configured one)")
    ap.add_argument("--rapidocr", action="store_true", help="RapidOCR on the same lines, for comparison")
    ap.add_argument("--font-px", type=int, default=FONT_PX,
                    help="type size in pixels at 200 dpi (44: 16 pt body text; 25: 9 pt, a table's small type)")
    ap.add_argument("--weights", type=Path, default=None, help="recogniser weights folder (default: the shipped ones)")
    ap.add_argument("--second", type=Path, default=Ocr().second_weights,
                    help="second weights for the lines read below --second-below (default: the configured ones)")
    ap.add_argument("--second-below", type=float, default=Ocr().second_below,
                    help="0: no second reading (default: the configured threshold)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="also write the table as markdown here")
    args = ap.parse_args(argv)
    from archiver.ocr.beam import DEFAULT_LM_WEIGHT
    from archiver.ocr.recognizer import DEFAULT_WEIGHTS, Recognizer

    weights = args.lm_weights or [DEFAULT_LM_WEIGHT]
    refs = sample(args.lines, args.seed)
    faces = [ImageFont.truetype(str(f.path), args.font_px, index=f.index) for f in map(by_name, FACES)]
    clean = [render(t, faces[i % len(faces)], args.font_px) for i, t in enumerate(refs)]
    readers = {w: Recognizer(args.weights or DEFAULT_WEIGHTS, threads=args.threads, decoder="beam", engine="onnx-int8", lm_weight=w,
                             second=args.second, second_below=args.second_below)
               for w in weights}
    rows = []
    for level in args.levels:
        images = [simulate(img, level, seed=args.seed * 100003 + i) for i, img in enumerate(clean)]
        runs = [(f"ours-int8+lm {w:g}", lambda r=readers[w]: [x.text for x in r.read(images)]) for w in weights]
        if args.rapidocr:
            runs.append(("rapidocr", lambda: run_rapidocr(images)[0]))
        for name, run in runs:
            t = time.perf_counter()
            preds = run()
            dt = time.perf_counter() - t
            cer, exact = score(preds, refs)
            rows.append((level, name, cer, exact, len(refs) / dt))
            print(f"{level:7s} {name:18s} CER {cer:6.2%} exact {exact:6.1%} | {len(refs) / dt:6.1f} lines/s", flush=True)
    table = ("| level | engine | CER | exact lines | lines/s |\n|---|---|---|---|---|\n"
             + "".join(f"| {lv} | {en} | {c:.2%} | {e:.1%} | {s:.1f} |\n" for lv, en, c, e, s in rows))
    print()
    print(table)
    if args.out:
        cmd = "python -m bench.ocr_rendered " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
        section = "ocr-rendered" if args.font_px == FONT_PX else f"ocr-rendered-{args.font_px}px"
        write_section(args.out, section,
                      f"## Line recognition on real 公文 text rendered by us (gongwen-real paragraphs, {args.font_px} px)\n\n"
                      f"`{cmd.strip()}`: {len(refs)} lines of {LINE_CHARS} characters (seed {args.seed}), "
                      f"alternately {' and '.join(FACES)} at {args.font_px} px, scanned by bench.scansim per level; "
                      f"{args.threads} threads.\n\n{table}")


if __name__ == "__main__":
    main()
