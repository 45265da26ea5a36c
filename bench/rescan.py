"""Near-duplicate benchmark: is every rescan of a stored document linked to it, at every scan quality,
in colour and in grey, while documents on one template (other year, department vs unit budget,
filled vs placeholder notice) are never linked?

    python -m bench.rescan [--pages 4] [--levels clean office poor] [--out docs/benchmarks.md]

Each gov-dev PDF (its first --pages pages, cut with poppler; 0: whole documents) is ingested from its
text layer. Then every document is rescanned at each level and in colour and grey: rasterised at a dpi
and turned by a small angle fixed per scan, damaged by bench.scansim, saved as an image-only PDF (JPEG
inside). All rescans go through `manage.py ingest` on the same scratch archive, through page analysis
and our recogniser. The table gives, for every rescan, its scores against its own original and against
the closest document of another family (page-hash share and worst distance, text similarity), and what
the archive decided; then the pairs of originals that share a template."""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from archiver.config import Dedup
from archiver.dedup import PageHashIndex, contained, find_near_duplicate, page_matches, sure_text, text_similarity
from archiver.resources import RULES, TEMPLATES
from bench import govdev
from bench.report import write_section
from bench.scansim import LEVELS, simulate

ROOT = Path(__file__).resolve().parents[1]
# Scanned at these resolutions: an office copier at 150-200 dpi, a poor copy at 150.
DPI = {"clean": 200, "office": 150, "poor": 150}
MAX_TURN = 1.0  # degrees either way


@dataclass(frozen=True)
class Stored:
    id: int
    name: str
    family: str  # the gov-dev document it is a copy of
    duplicate_of: int | None
    text: str
    hashes: tuple[str, ...]
    sure: str  # the text of its lines read with confidence (dedup.sure_text)


def cut(pdf: Path, pages: int, out_dir: Path) -> Path:
    """The first `pages` pages of pdf as a PDF of their own (the whole file when pages is 0)."""
    out = out_dir / pdf.name
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    if not pages or pages >= count:
        out.write_bytes(pdf.read_bytes())
        return out
    with tempfile.TemporaryDirectory() as parts:
        subprocess.run(["pdfseparate", "-f", "1", "-l", str(pages), str(pdf), f"{parts}/p%d.pdf"], check=True)
        files = sorted(Path(parts).glob("p*.pdf"), key=lambda p: int(p.stem[1:]))
        subprocess.run(["pdfunite", *map(str, files), str(out)], check=True)
    return out


def rescan(pdf: Path, out_dir: Path, level: str, grey: bool) -> Path:
    """An image-only copy of `pdf` as a scanner might make it."""
    tag = f"{pdf.stem}-{level}-{'grey' if grey else 'colour'}"
    seed = zlib.crc32(tag.encode())
    angle = float(np.random.default_rng(seed).uniform(-MAX_TURN, MAX_TURN))
    dpi = DPI[level]
    pages = []
    for n, rgb in enumerate(govdev.rasterise(pdf, dpi=dpi), 1):
        damaged = simulate(rgb, level, seed=seed + n, rotate=angle)
        pages.append(Image.fromarray(damaged).convert("L") if grey else Image.fromarray(damaged))
    out = out_dir / f"{tag}.pdf"
    pages[0].save(out, save_all=True, append_images=pages[1:], resolution=dpi, quality=70)
    return out


def manage(config: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "--config", str(config), *args], check=True,
                   stdout=subprocess.DEVNULL)


def read_archive(db: Path, families: list[str]) -> list[Stored]:
    con = sqlite3.connect(db)
    hashes: dict[int, list[str]] = {}
    for doc_id, h in con.execute("select document_id, phash from pages order by document_id, number"):
        hashes.setdefault(doc_id, []).append(h)
    lines: dict[int, list[tuple[str, float]]] = {}
    for doc_id, text, conf in con.execute("select p.document_id, l.text, l.confidence from lines l join pages p "
                                          "on p.id = l.page_id order by p.document_id, p.number, l.number"):
        lines.setdefault(doc_id, []).append((text, conf))
    out = []
    for doc_id, name, dup, text in con.execute("select id, original_name, duplicate_of, text from documents order by id"):
        family = max((f for f in families if name.startswith(f)), key=len)
        out.append(Stored(doc_id, name, family, dup, text or "", tuple(hashes.get(doc_id, [])),
                          sure_text(lines.get(doc_id, []))))
    con.close()
    return out


def scores(a: Stored, b: Stored, max_distance: int) -> tuple[float, int, float, float]:
    """a's pages matched in b (share, worst distance; 65 when none), the texts' similarity, and the share of
    what a read surely that is found in b's text."""
    share, dist = page_matches(list(a.hashes), [(b.id, 0, h) for h in b.hashes], max_distance).get(b.id, (0.0, 65))
    return share, dist, text_similarity(a.text, b.text), contained(a.sure, b.text)


def fmt(s: tuple[float, int, float, float]) -> str:
    share, dist, sim, sure = s
    return f"{share:.0%} / {dist if dist <= 64 else '-'} / {sim:.3f} / {sure:.3f}"


def replay(stored: list[Stored], dedup: Dedup) -> list[Stored]:
    """The archive's near-duplicate decisions taken again in store order with today's rule, from what the
    archive read (page hashes, texts, line confidences): a change to the rule is measured without OCR."""
    index, by_id, out = PageHashIndex(), {s.id: s for s in stored}, []
    for s in sorted(stored, key=lambda x: x.id):
        match = find_near_duplicate(list(s.hashes), s.text, index, lambda i: by_id[i].text, dedup.hash_distance,
                                    dedup.text_similarity, dedup.rescan_text_similarity, s.sure)
        out.append(replace(s, duplicate_of=match.document_id if match else None))
        index.add([(s.id * 10_000 + n, s.id, h) for n, h in enumerate(s.hashes)])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.rescan", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=4, help="first pages of each document (0: all)")
    ap.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="also write the table as markdown here")
    ap.add_argument("--keep", type=Path, default=None, help="build the scratch archive here and keep it")
    ap.add_argument("--scored", type=Path, default=None, metavar="DIR",
                    help="only score an archive built before with --keep DIR")
    ap.add_argument("--replay", action="store_true",
                    help="with --scored: decide again in store order with today's dedup rule (no OCR)")
    args = ap.parse_args(argv)
    pdfs = sorted((govdev.default_root() / "pdfs").glob("*.pdf"))
    families = [p.stem for p in pdfs]
    dedup = Dedup()
    if args.scored:
        stored = read_archive(args.scored / "archive" / "archive.db", families)
        if args.replay:
            stored = replay(stored, dedup)
    else:
        stored = build(args, pdfs, families)
    return report(stored, families, dedup, args, argv)


def build(args, pdfs: list[Path], families: list[str]) -> list[Stored]:
    """The originals and all their rescans ingested into a scratch archive, as stored."""
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        config = tmp / "config.yaml"
        config.write_text(f'ocr: {{weights: "{ROOT / "archiver/ocr/weights"}"}}\nrules: {{folder: "{RULES}"}}\n'
                          f'site: {{templates: "{TEMPLATES}", auto_build: false}}\n', encoding="utf-8")
        (tmp / "originals").mkdir(exist_ok=True)
        (tmp / "scans").mkdir(exist_ok=True)
        originals = [cut(p, args.pages, tmp / "originals") for p in pdfs]
        manage(config, "ingest", *map(str, originals))
        scans = [rescan(p, tmp / "scans", level, grey) for p in originals for level in args.levels
                 for grey in (False, True)]
        print(f"{len(scans)} rescans made; ingesting", flush=True)
        manage(config, "ingest", "--workers", str(args.workers), *map(str, scans))
        return read_archive(tmp / "archive" / "archive.db", families)


def report(stored: list[Stored], families: list[str], dedup: Dedup, args, argv) -> int:
    by_name = {s.name: s for s in stored}
    family_ids: dict[str, set[int]] = {}
    for s in stored:
        family_ids.setdefault(s.family, set()).add(s.id)

    rows = ["| rescan | own original: pages / worst distance / text / sure | closest other document | "
            "its pages / distance / text / sure | archive decision | right |", "|---|---|---|---|---|---|"]
    linked = wrong = 0
    scans_stored = [s for s in stored if s.name.endswith(("-colour.pdf", "-grey.pdf"))]
    for s in sorted(scans_stored, key=lambda x: x.name):
        own = by_name[f"{s.family}.pdf"]
        others = [o for o in stored if o.family != s.family]
        other = max(others, key=lambda o: scores(s, o, dedup.hash_distance)[2])
        ok = s.duplicate_of in family_ids[s.family]
        linked += ok
        wrong += s.duplicate_of is not None and not ok
        decision = f"duplicate of #{s.duplicate_of}" if s.duplicate_of else "new document"
        rows.append(f"| {s.name} | {fmt(scores(s, own, dedup.hash_distance))} | {other.name} | "
                    f"{fmt(scores(s, other, dedup.hash_distance))} | {decision} | {'yes' if ok else 'NO'} |")
    negatives = ["| original | same-template original | pages / distance / text / sure | archive decision | right |",
                 "|---|---|---|---|---|"]
    origs = [by_name[f"{f}.pdf"] for f in families]
    false_links = 0
    for i, a in enumerate(origs):
        for b in origs[i + 1:]:
            sc = scores(b, a, dedup.hash_distance)
            if sc[0] == 0 and sc[2] < 0.5:
                continue  # nothing alike: not a hard negative
            bad = b.duplicate_of == a.id or a.duplicate_of == b.id
            false_links += bad
            decision = f"duplicate of #{b.duplicate_of}" if b.duplicate_of else "new document"
            negatives.append(f"| {b.name} | {a.name} | {fmt(sc)} | {decision} | {'NO' if bad else 'yes'} |")
    summary = (f"Rescans linked to their own document: {linked}/{len(scans_stored)}; linked to another document: "
               f"{wrong}; same-template originals linked: {false_links}.")
    text = "\n".join(rows) + "\n\n" + "\n".join(negatives) + "\n\n" + summary + "\n"
    print(text)
    if args.out:
        cmd = "python -m bench.rescan " + " ".join(argv if argv is not None else sys.argv[1:])
        write_section(args.out, "rescan", "## Near duplicates: rescans at every quality against same-template "
                      f"documents\n\n`{cmd.strip()}`: {f'the first {args.pages} pages' if args.pages else 'all pages'} "
                      f"of every gov-dev document; rescans at {', '.join(f'{k} {v} dpi' for k, v in DPI.items() if k in args.levels)}, "
                      f"turned up to ±{MAX_TURN:g}°, JPEG inside a PDF; thresholds from config "
                      f"(`dedup.hash_distance` {dedup.hash_distance}, `dedup.text_similarity` "
                      f"{dedup.text_similarity}, `dedup.rescan_text_similarity` {dedup.rescan_text_similarity}). Scores: share of the rescan's pages with a look-alike page, "
                      f"worst distance among them, text similarity (bigram Dice), share of the bigrams it read "
                      f"with confidence that are found in the other text (`sure`, counted for a rescan of the same paper)."
                      f"{' Decisions replayed in store order with the current rule from the archive built before (no OCR).' if getattr(args, 'replay', False) else ''}\n\n{text}")
    return 0 if wrong == 0 and false_links == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
