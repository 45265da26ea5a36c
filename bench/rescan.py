"""Near-duplicate benchmark: do rescans of a stored document match it, while two documents on one
template do not?

    python -m bench.rescan [--out docs/benchmarks.md]

The gov-dev PDFs are ingested from their text layers. Then each of the chosen documents is
"rescanned": rasterised at 150 dpi, damaged by the office-scan simulation with a slight rotation,
and saved as an image-only PDF (JPEG inside), or as a JPEG for one-page documents, so the rescan
goes through page analysis and our recogniser. Everything runs through `manage.py ingest` on a
scratch archive; the table shows what the archive decided and the text similarity behind it."""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from PIL import Image

from archiver.dedup import text_similarity
from archiver.resources import RULES, TEMPLATES
from bench import govdev
from bench.report import write_section
from bench.scansim import simulate

ROOT = Path(__file__).resolve().parents[1]
RESCANNED = ("copilothelp_notice_filled", "putuo_welfarehome_2024_unit_budget")
TEMPLATE_PAIR = ("putuo_wanli_2023_dept_budget", "putuo_wanli_2024_dept_budget")


def rescan(pdf: Path, out_dir: Path, rotate: float) -> Path:
    """An image-only copy of `pdf` as a scanner might produce it."""
    pages = []
    for n, rgb in enumerate(govdev.rasterise(pdf, dpi=150), 1):
        damaged = simulate(rgb, "office", seed=zlib.crc32(f"{pdf.stem}:{n}".encode()), rotate=rotate)
        pages.append(Image.fromarray(damaged))
    if len(pages) == 1:
        out = out_dir / f"{pdf.stem}-rescan.jpg"
        pages[0].save(out, quality=70)
    else:
        out = out_dir / f"{pdf.stem}-rescan.pdf"
        pages[0].save(out, save_all=True, append_images=pages[1:], resolution=150, quality=70)
    return out


def manage(config: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "--config", str(config), *args], check=True,
                   stdout=subprocess.DEVNULL)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rotate", type=float, default=0.4, help="degrees the rescans are turned")
    ap.add_argument("--out", type=Path, default=None, help="also write the table as markdown here")
    ap.add_argument("--keep", type=Path, default=None, help="build the scratch archive here and keep it")
    args = ap.parse_args(argv)
    pdfs = govdev.default_root() / "pdfs"
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        config = tmp / "config.yaml"
        config.write_text(f'ocr: {{weights: "{ROOT / "archiver/ocr/weights"}"}}\nrules: {{folder: "{RULES}"}}\n'
                          f'site: {{templates: "{TEMPLATES}", auto_build: false}}\n', encoding="utf-8")
        originals = [pdfs / f"{name}.pdf" for name in RESCANNED + TEMPLATE_PAIR]
        manage(config, "ingest", *map(str, originals))
        scans = [rescan(pdfs / f"{name}.pdf", tmp, args.rotate) for name in RESCANNED]
        manage(config, "ingest", *map(str, scans))
        con = sqlite3.connect(tmp / "archive" / "archive.db")
        rows = {name: (i, dup, text) for i, name, dup, text in
                con.execute("select id, original_name, duplicate_of, text from documents")}
        con.close()
    table = ["| new document | compared with | text similarity | archive decision | expected |", "|---|---|---|---|---|"]
    for name in RESCANNED:
        scan = next(k for k in rows if k.startswith(f"{name}-rescan"))
        _, dup, text = rows[scan]
        orig_id, _, orig_text = rows[f"{name}.pdf"]
        decision = f"duplicate of #{dup}" if dup else "new document"
        table.append(f"| {scan} (OCR) | {name}.pdf | {text_similarity(text, orig_text):.3f} | {decision} | "
                     f"duplicate of #{orig_id} |")
    first, second = (rows[f"{n}.pdf"] for n in TEMPLATE_PAIR)
    decision = f"duplicate of #{second[1]}" if second[1] else "new document"
    table.append(f"| {TEMPLATE_PAIR[1]}.pdf | {TEMPLATE_PAIR[0]}.pdf (same template) | "
                 f"{text_similarity(first[2], second[2]):.3f} | {decision} | new document |")
    text = "\n".join(table) + "\n"
    print(text)
    if args.out:
        cmd = "python -m bench.rescan " + " ".join(argv if argv is not None else sys.argv[1:])
        write_section(args.out, "rescan", "## Near duplicates: rescans against same-template documents\n\n"
                      f"`{cmd.strip()}`: rescans at 150 dpi, office-scan damage, {args.rotate}° rotation, "
                      f"JPEG quality 70; threshold from config.yaml `dedup.text_similarity`.\n\n{text}")


if __name__ == "__main__":
    main()
