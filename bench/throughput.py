"""Throughput: scanned 公文 through `manage.py ingest` (1 and 2 workers) and through OCRmyPDF, in one run.

    python -m bench.throughput [--docs 12] [--tiffs 2] [--runs 3] [--out docs/benchmarks.md]

Inputs, made once and kept under runs/bench-throughput/: the first `--docs` documents of at most
MAX_DOC_PAGES pages of ../shared/data/gongwen-real in the GB/T 9704 文件 layout (bench.gongwen_real), every page scanned at
office level (bench.scansim, fixed seeds) to an image-only A4 PDF at 200 dpi in colour; `--tiffs` of
them also as multi-page grey TIFFs. Each engine gets the same files in a fresh archive (or output
folder) per run; the medians of the runs are reported. CPU: user + system of the command and all its
children (getrusage); peak RSS: the largest of any one of its processes (a worker, a poppler run, tesseract).
A per-stage profile of one in-process ingest (cProfile, one worker) follows the table.

OCRmyPDF (14, Tesseract chi_sim, `--jobs 2`) is what paperless-ngx runs; it is a benchmark extra
(`apt-get install ocrmypdf`, in `WITH_BENCH=1 bash scripts/setup.sh`), never a runtime dependency.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "runs" / "bench-throughput"
DPI = 200
MAX_DOC_PAGES = 7  # the longer documents of gongwen-real (up to 17 pages) would make a run take a quarter hour
# (label in the profile table, function name as cProfile reports it, the module path it lives in)
STAGES = (
    ("rasterise PDF pages (pdftoppm)", "_render", "archiver/ingest/rasterize.py"),
    ("page analysis (clean, turn, deskew, lines)", "analyse_page", "archiver/vision/layout.py"),
    ("  of which: red ink and seals", "separate_red", "archiver/vision/red.py"),
    ("  of which: upside-down check (reads)", "choose_upright", "archiver/vision/orient.py"),
    ("recognition (CRNN + decoder)", "read", "archiver/ocr/recognizer.py"),
    ("page hash", "page_hash", "archiver/dedup.py"),
    ("thumbnails", "write_thumbnail", "archiver/archive_files.py"),
    ("store (rows, index, copies)", "_store", "archiver/pipeline.py"),
)


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mb: float


START = "start-up, one page"


def make_inputs(docs: int, tiffs: int) -> tuple[list[Path], int]:
    """The scanned PDFs and TIFFs (made once; a different --docs or --tiffs makes the missing ones)."""
    from bench import gongwen_real as g
    from bench.scansim import simulate

    CACHE.mkdir(parents=True, exist_ok=True)
    files, pages = [], 0
    chosen = [(n, doc) for n, doc in enumerate(g.load()) if doc_pages(doc) <= MAX_DOC_PAGES][:docs]
    for k, (n, doc) in enumerate(chosen):
        pdf = CACHE / f"{doc.id}-scan.pdf"
        tif = CACHE / f"{doc.id}-scan.tif"
        if not pdf.exists() or (k < tiffs and not tif.exists()):
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / "d.pdf"
                g.render_pdf(g.blocks_for(doc, "file"), src)
                subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(src), f"{tmp}/p"], check=True)
                scans = [Image.fromarray(simulate(np.asarray(Image.open(p).convert("RGB")), "office", n * 100 + k))
                         for k, p in enumerate(sorted(Path(tmp).glob("p*.png")))]
            scans[0].save(pdf, save_all=True, append_images=scans[1:], resolution=DPI, quality=80)
            if k < tiffs:
                grey = [s.convert("L") for s in scans]
                grey[0].save(tif, save_all=True, append_images=grey[1:], dpi=(DPI, DPI), compression="tiff_deflate")
        files.append(pdf)
        if k < tiffs:
            files.append(tif)
    for f in files:
        pages += page_count(f)
    return files, pages


def doc_pages(doc) -> int:
    from bench import gongwen_real as g

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "d.pdf"
        g.render_pdf(g.blocks_for(doc, "file"), src)
        return page_count(src)


def first_page(files: list[Path]) -> Path:
    """A one-page scan (the first page of the first PDF), for the start-up figure."""
    one = CACHE / "first-page.pdf"
    if not one.exists():
        subprocess.run(["pdfseparate", "-f", "1", "-l", "1", str(files[0]), str(one)], check=True)
    return one


def page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))
    return Image.open(path).n_frames


# Run in a fresh interpreter, so that its children's peak RSS is this command's alone (getrusage keeps the
# largest child a process ever waited for).
_MEASURE = """
import json, resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": p.returncode, "err": p.stderr[-500:], "cpu": u.ru_utime + u.ru_stime, "kib": u.ru_maxrss}))
"""


def timed(cmd: list[str]) -> Run:
    """Wall clock, CPU (user + system, the command and its children) and peak RSS (of its largest process)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - t
    r = json.loads(out)
    if r["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}...: exit {r['rc']}: {r['err'].strip()}")
    return Run(seconds, r["cpu"], r["kib"] / 1024)


def write_config(folder: Path, workers: int) -> Path:
    cfg = folder / "config.yaml"
    cfg.write_text(f"paths: {{inbox: '{folder}/inbox', archive: '{folder}/archive', failed: '{folder}/failed',\n"
                   f"        site: '{folder}/site', work: '{folder}/work'}}\n"
                   f"database: {{url: 'sqlite:///{folder}/archive.db'}}\n"
                   f"workers: {workers}\n"
                   "site: {auto_build: false}\n", encoding="utf-8")  # rules, templates, weights: the package's
    return cfg


def ours(files: list[Path], workers: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        cfg = write_config(Path(tmp), workers)
        run = timed([sys.executable, str(ROOT / "manage.py"), "--config", str(cfg), "ingest", "-q",
                     "--workers", str(workers), *map(str, files)])
        stored = subprocess.run([sys.executable, str(ROOT / "manage.py"), "--config", str(cfg), "stats"],
                                capture_output=True, text=True).stdout
        if "documents" not in stored:
            raise SystemExit(f"ingest stored nothing?\n{stored}")
    return run


def ocrmypdf(files: list[Path], jobs: int) -> Run:
    """Each file through `ocrmypdf -l chi_sim --jobs N` in turn, as paperless-ngx consumes them."""
    total = Run(0.0, 0.0, 0.0)
    with tempfile.TemporaryDirectory(prefix="throughput-ocrmypdf-") as tmp:
        for f in files:
            r = timed(["ocrmypdf", "-q", "-l", "chi_sim", "--jobs", str(jobs), "--output-type", "pdf",
                       *(["--image-dpi", str(DPI)] if f.suffix != ".pdf" else []), str(f), f"{tmp}/{f.stem}.pdf"])
            total = Run(total.seconds + r.seconds, total.cpu + r.cpu, max(total.peak_mb, r.peak_mb))
    return total


def profile(files: list[Path]) -> tuple[float, list[tuple[str, float]]]:
    """Seconds per page in each stage, from one in-process ingest with one worker under cProfile."""
    from archiver import config
    from archiver.app import make_pipeline
    from archiver.batch import ingest

    with tempfile.TemporaryDirectory(prefix="throughput-profile-") as tmp:
        settings = config.load(write_config(Path(tmp), 1))
        pipeline = make_pipeline(settings, keep_source=True)
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        outcomes = ingest(pipeline, files, workers=1, progress=False)
        prof.disable()
        wall = time.perf_counter() - t
    pages = sum(o.pages for o in outcomes)
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    rows = []
    for label, name, where in STAGES:
        ct = sum(v[3] for (file, _, fn), v in stats.items() if fn == name and file.endswith(where))
        rows.append((label, ct / pages))
    return wall / pages, rows


def median_run(runs: list[Run]) -> Run:
    return Run(statistics.median(r.seconds for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_mb for r in runs))


def table(results: dict[str, Run], pages: int, files: int, runs: int, prof: tuple[float, list],
          start: Run) -> str:
    ref = results.get("OCRmyPDF 14 (Tesseract chi_sim, --jobs 2)")
    lines = ["| engine | wall s (median) | pages/min | CPU s/page | peak RSS, one process | vs OCRmyPDF |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        vs = f"{ref.seconds / r.seconds:.1f}×" if ref else "—"
        lines.append(f"| {name} | {r.seconds:.1f} | {60 * pages / r.seconds:.0f} | {r.cpu / pages:.2f} | "
                     f"{r.peak_mb:.0f} MB | {vs} |")
    wall, rows = prof
    lines += ["", f"Start-up: `manage.py ingest` of a one-page scan into a fresh archive (imports, the database "
              f"created, the recogniser loaded, the page read and stored): {start.seconds:.1f} s wall, "
              f"{start.cpu:.1f} CPU s (median of {runs}).",
              "", f"Per-stage profile (one in-process ingest, one worker, cProfile; {wall:.2f} s/page wall "
              "including the profiler's overhead):", "", "| stage | s/page |", "|---|---:|"]
    lines += [f"| {label} | {s:.3f} |" for label, s in rows]
    cpus = os.cpu_count()
    head = (f"{files} files, {pages} pages (scanned 公文 of gongwen-real in the 文件 layout, office level, 200 dpi; "
            f"colour PDFs and grey multi-page TIFFs); median of {runs} run(s) on {cpus} CPUs; each run starts "
            f"from a fresh archive and includes start-up (imports, loading the recogniser).")
    return head + "\n\n" + "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=12)
    ap.add_argument("--tiffs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-ocrmypdf", action="store_true", help="leave OCRmyPDF out (not installed)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    files, pages = make_inputs(args.docs, args.tiffs)
    print(f"{len(files)} files, {pages} pages", flush=True)
    engines: dict[str, callable] = {
        "ours, `manage.py ingest`, 1 worker": lambda: ours(files, 1),
        "ours, `manage.py ingest`, 2 workers": lambda: ours(files, 2),
    }
    if not args.no_ocrmypdf:
        if shutil.which("ocrmypdf") is None:
            raise SystemExit("ocrmypdf is not installed (WITH_BENCH=1 bash scripts/setup.sh), or pass --no-ocrmypdf")
        engines["OCRmyPDF 14 (Tesseract chi_sim, --jobs 2)"] = lambda: ocrmypdf(files, 2)
    engines[START] = lambda: ours([first_page(files)], 1)
    done: dict[str, list[Run]] = {name: [] for name in engines}
    for k in range(args.runs):
        for name, go in engines.items():  # interleaved, so a slow spell of the machine hits every engine
            r = go()
            done[name].append(r)
            n = 1 if name == START else pages
            print(f"run {k + 1}: {name}: {r.seconds:.1f} s, {60 * n / r.seconds:.0f} pages/min, "
                  f"{r.cpu / n:.2f} CPU s/page, peak {r.peak_mb:.0f} MB", flush=True)
    prof = profile(files)
    start = median_run(done.pop(START))
    out = table({name: median_run(rs) for name, rs in done.items()}, pages, len(files), args.runs, prof, start)
    print(out)
    if args.out:
        write_section(args.out, "throughput", "## Throughput: scanned 公文 end to end (issue 16)\n\n"
                      "`python -m bench.throughput --out docs/benchmarks.md`\n\n" + out)


if __name__ == "__main__":
    main()
