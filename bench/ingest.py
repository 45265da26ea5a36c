"""Spine benchmark: ingest the gov-dev PDFs (text-layer path) into a fresh temporary archive, then
time 100 searches.

    python -m bench.ingest [--runs 3] [--out docs/benchmarks.md]"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from archiver import config
from archiver.app import make_pipeline
from archiver.batch import ingest
from archiver.storage.search import search
from bench import govdev
from bench.report import write_section

QUERIES = ["通知", "预算", "部门预算", "司法局", "财政拨款", "2024", "〔2012〕21号", "一般公共预算", "社会福利院", "万里街道",
           "基本支出", "项目支出", "机关运行经费", "政府采购", "绩效目标", "国防部", "放假", "抄送", "人员经费", "收支总表"]


def one_run(pdfs: list[Path], tmp: Path) -> tuple[float, int, list[float]]:
    cfg = tmp / "config.yaml"
    root = Path(__file__).resolve().parents[1]
    cfg.write_text(f"database: {{url: 'sqlite:///{tmp}/a.db'}}\nrules: {{folder: '{root}/rules'}}\n"
                   f"ocr: {{weights: '{root}/archiver/ocr/weights'}}\n"
                   f"site: {{auto_build: false, templates: '{root}/templates'}}\n", encoding="utf-8")
    settings = config.load(cfg)
    pipeline = make_pipeline(settings, keep_source=True)
    t = time.perf_counter()
    outcomes = ingest(pipeline, pdfs, workers=1, progress=False)
    dt = time.perf_counter() - t
    pages = sum(o.pages for o in outcomes)
    lat = []
    with pipeline.db.session() as s:
        for i in range(100):
            q = QUERIES[i % len(QUERIES)]
            t0 = time.perf_counter()
            search(s, q, limit=20)
            lat.append(time.perf_counter() - t0)
    return pages / dt, pages, lat


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    pdfs = sorted((govdev.default_root() / "pdfs").glob("*.pdf"))
    rates, medians = [], []
    for r in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            rate, pages, lat = one_run(pdfs, Path(tmp))
        rates.append(rate)
        medians.append(statistics.median(lat) * 1000)
        print(f"run {r + 1}: {pages} pages, {rate:.1f} pages/s, search median {medians[-1]:.2f} ms "
              f"(p95 {sorted(lat)[94] * 1000:.2f} ms)", flush=True)
    table = ("| metric | median of runs |\n|---|---|\n"
             f"| ingest, text-layer PDFs ({len(pdfs)} files, {pages} pages) | {statistics.median(rates):.1f} pages/s |\n"
             f"| search latency, median of 100 queries | {statistics.median(medians):.2f} ms |\n")
    print()
    print(table)
    if args.out:
        write_section(args.out, "ingest", "## Ingest and search (spine)\n\n"
                      f"`python -m bench.ingest --runs {args.runs}`: {args.runs} runs, 1 worker, SQLite.\n\n" + table)


if __name__ == "__main__":
    main()
