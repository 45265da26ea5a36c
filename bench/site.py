"""Site build benchmark: synthetic documents in SQLite, full rebuilds, a no-op rebuild, one more ingest.

    python -m bench.site [--docs 10000] [--repeat 3] [--keep DIR] [--profile] [--write-report MD]

Documents are made in memory (a few pages of 公文-like lines each; categories, 文种, years and
issuers varied) and stored through the repository into a real SQLite file, as ingests store them.
A timed rebuild is what manage.py runs after an ingest: read every document back, render, write
what changed. No OCR and no thumbnail files: the figure is the site build's alone.
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from archiver.app import open_db
from archiver.config import Database, Settings
from archiver.document import (Classification, Document, DuplicateMatch, Line, Metadata, Page, RuleHit,
                               SourceFile)
from archiver.site.build import BuildReport, build_site
from archiver.storage import repository
from archiver.storage.views import DocumentView, LineView, PageView, RuleHitView
from archiver.resources import TEMPLATES


PLACES = ["北京市", "上海市", "广东省", "浙江省", "江苏省", "四川省", "湖北省", "山东省", "河南省", "福建省",
          "杭州市", "南京市", "成都市", "武汉市", "苏州市", "宁波市", "厦门市", "青岛市", "西安市", "长沙市"]
BODIES = ["人民政府", "人民政府办公厅", "财政局", "教育局", "卫生健康委员会", "民政局", "司法局", "档案局",
          "发展和改革委员会", "生态环境局"]
DOC_TYPES = ["通知", "通知", "通知", "通报", "决定", "意见", "请示", "报告", "批复", "函", "函", "纪要", "公告", "通告"]
CATEGORIES = ["办公/行政", "人事", "财务/预算", "教育", "卫生健康", "民政", "法制", "档案管理", "环境保护",
              "发展规划", "安全生产", None]
SUBJECTS = ["加强档案管理工作", "做好2024年春节假期安排", "开展安全生产大检查", "印发部门预算编制方案",
            "进一步规范政府采购行为", "做好防汛抗旱工作", "调整机构编制", "表彰先进集体和先进个人",
            "推进数字政府建设", "加强财政资金监督管理", "开展法治宣传教育", "做好疫情防控常态化工作",
            "实施乡村振兴战略", "深化医药卫生体制改革", "推进义务教育均衡发展", "加强生态环境保护"]
CLAUSES = ["各区、县人民政府，市政府各部门、各直属机构：", "为深入贯彻落实党中央、国务院决策部署，", "经研究，现就有关事项通知如下：",
           "一、提高思想认识，切实加强组织领导。", "各单位要高度重视，明确责任分工，确保各项任务落到实处。",
           "二、突出工作重点，扎实推进各项任务。", "要坚持问题导向，建立健全长效机制，", "三、强化监督检查，严格责任追究。",
           "对工作不力、造成不良影响的，依法依规追究有关人员责任。", "请各单位于每月5日前将工作进展情况报送市政府办公室。",
           "本通知自印发之日起施行。", "特此通知。", "附件：1.工作任务分解表", "2.联系人及联系方式",
           "（此件公开发布）", "抄送：市委各部门，市人大常委会办公室，市政协办公室。", "财政拨款收入支出决算总表",
           "一般公共预算财政拨款基本支出", "机关运行经费支出情况说明", "项目支出绩效目标完成情况"]


def synthetic_documents(count: int, seed: int = 1) -> list[DocumentView]:
    """count documents of 1–5 pages, 12–24 lines a page, with plausible 公文 metadata."""
    rng = random.Random(seed)
    issuers = [p + b for p in PLACES for b in BODIES]
    docs = []
    for i in range(1, count + 1):
        year = rng.randint(2008, 2024)
        doc_type = rng.choice(DOC_TYPES)
        issuer = rng.choice(issuers)
        title = f"{issuer}关于{rng.choice(SUBJECTS)}的{doc_type}"
        pages = []
        for n in range(1, rng.randint(1, 5) + 1):
            lines, y = [], 180
            if n == 1:
                lines.append(LineView(title, (160, y, 1080, y + 48), 0.98))
                y += 90
            for _ in range(rng.randint(12, 24)):
                text = rng.choice(CLAUSES) + (rng.choice(CLAUSES) if rng.random() < 0.3 else "")
                lines.append(LineView(text[:38], (120, y, 1120, y + 40), round(rng.uniform(0.45, 1.0), 2)))
                y += 60
            pages.append(PageView(n, 1240, 1754, "ocr", f"thumbs/{year}/{i}-{n}.jpg", tuple(lines)))
        duplicate_of = i - 1 if i > 1 and rng.random() < 0.03 else None
        docs.append(DocumentView(
            id=i, sha256=f"{rng.getrandbits(256):064x}", original_name=f"扫描件-{i:05d}.pdf", kind="pdf",
            size=rng.randint(50_000, 5_000_000), page_count=len(pages), title=title, issuer=issuer,
            doc_number=f"{issuer[:2]}发〔{year}〕{rng.randint(1, 300)}号", doc_type=doc_type,
            date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", year=year,
            secrecy=rng.choice([None, None, None, "内部"]), urgency=rng.choice([None, None, "特急", "加急"]),
            category=rng.choice(CATEGORIES), tags=tuple(rng.sample(["档案", "预算", "安全", "人事", "教育"], 2)),
            archive_path=f"originals/{year}/扫描件-{i:05d}.pdf", duplicate_of=duplicate_of,
            duplicates=(), created_at=f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:{i % 60:02d}Z",
            pages=tuple(pages),
            hits=(RuleHitView("office-notice", "办公/行政", ("档案",), "title", (doc_type,)),),
        ))
    # The inverse of duplicate_of, as get_document fills it.
    dupes: dict[int, list[int]] = {}
    for d in docs:
        if d.duplicate_of is not None:
            dupes.setdefault(d.duplicate_of, []).append(d.id)
    return [dataclasses.replace(d, duplicates=tuple(dupes.get(d.id, ()))) for d in docs]


def timed_build(docs, out: Path, archive: Path, profile: bool = False) -> tuple[float, BuildReport]:
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    report = build_site(docs, out, templates_dir=TEMPLATES, archive_dir=archive)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return time.perf_counter() - start, report


def as_document(view: DocumentView) -> Document:
    """The pipeline's value for a synthetic view, so it can be stored as an ingest would store it."""
    pages = tuple(Page(p.number, p.width, p.height, p.source,
                       tuple(Line(ln.text, ln.box, ln.confidence) for ln in p.lines), f"{view.id:016x}")
                  for p in view.pages)
    hits = tuple(RuleHit(h.rule, h.category, h.tags, h.field, h.matched) for h in view.hits)
    return Document(
        source=SourceFile(Path(view.original_name), view.original_name, view.kind, view.sha256, view.size),
        pages=pages,
        metadata=Metadata(title=view.title, issuer=view.issuer, doc_number=view.doc_number, doc_type=view.doc_type,
                          date=view.date, year=view.year, secrecy=view.secrecy, urgency=view.urgency),
        classification=Classification(view.category, view.tags, hits),
        duplicate=DuplicateMatch(view.duplicate_of, 2, 0.95) if view.duplicate_of is not None else None,
    )


def store(db, views: list[DocumentView], chunk: int = 500) -> None:
    """Store views through the repository, as ingests would; ids follow the views' order."""
    for i in range(0, len(views), chunk):
        with db.session() as s:
            for v in views[i:i + chunk]:
                stored = repository.add_document(s, as_document(v), v.archive_path, [p.thumbnail for p in v.pages])
                if stored != v.id:
                    raise RuntimeError(f"expected id {v.id}, the database gave {stored}: use an empty database")


def load(db) -> list[DocumentView]:
    with db.session() as s:
        return repository.get_documents(s)


def timed_rebuild(db, out: Path, archive: Path) -> tuple[tuple[float, float], BuildReport]:
    """What manage.py does after an ingest: read every document from the database, then build.

    Returns (wall seconds, CPU seconds of this process): the build is single-threaded, so on a
    machine shared with other work the CPU time is what the wall time would be on an idle one.
    """
    start, cpu = time.perf_counter(), time.process_time()
    report = build_site(load(db), out, templates_dir=TEMPLATES, archive_dir=archive)
    return (time.perf_counter() - start, time.process_time() - cpu), report


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def time_search(site: Path, query: str = "通知", chromium: str = "/usr/bin/chromium") -> tuple[float, float, int]:
    """Seconds to open search.html (index loaded and parsed) and to answer one query, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_page()
            start = time.perf_counter()
            page.goto((site / "search.html").as_uri())
            page.wait_for_function("window.ARCHIVE_INDEX && document.getElementById('search-status').textContent"
                                   ".indexOf('请输入') === 0", timeout=120_000)
            opened = time.perf_counter() - start
            # The page's own timing of search + render, without Playwright's round trips.
            took, hits = page.evaluate("""q => {
                const input = document.getElementById('q');
                input.value = q;
                const t = performance.now();
                document.getElementById('search-form').requestSubmit();
                return [performance.now() - t, document.querySelectorAll('#results .result').length];
            }""", query)
        finally:
            browser.close()
    return opened, took / 1000, hits


def _row(name: str, times: list[tuple[float, float]], report: BuildReport) -> tuple:
    return (name, statistics.median(t[0] for t in times), statistics.median(t[1] for t in times), len(times),
            report)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="full rebuilds to time (the median is reported)")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    ap.add_argument("--profile", action="store_true", help="cProfile one full build")
    ap.add_argument("--no-browser", action="store_true", help="skip timing search.html in headless Chromium")
    ap.add_argument("--write-report", type=Path, default=None, metavar="MD",
                    help="write the table as the site section of this markdown file (docs/benchmarks.md)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    docs = synthetic_documents(args.docs, args.seed)
    made = time.perf_counter() - t0
    lines = sum(len(p.lines) for d in docs for p in d.pages)
    print(f"{len(docs)} synthetic documents, {sum(d.page_count for d in docs)} pages, {lines} lines "
          f"(made in {made:.1f} s)", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="archiver-site-bench-"))
    work = args.keep or tmp
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    out, archive = work / "site", work / "archive"
    db = open_db(Settings(database=Database(url=f"sqlite:///{work / 'archive.db'}")))  # created at head
    try:
        t0 = time.perf_counter()
        store(db, docs)
        print(f"stored in SQLite through the repository in {time.perf_counter() - t0:.0f} s (not timed below)", flush=True)
        rows = []
        t0 = time.process_time()
        loaded = load(db)
        load_s = time.process_time() - t0
        # created_at is the database's own; everything the pages show must have come back.
        if [(d.id, d.title, d.pages) for d in loaded] != [(d.id, d.title, d.pages) for d in docs]:
            raise RuntimeError("documents read back differ from those stored")
        if args.profile:
            timed_build(loaded, work / "profiled-site", archive, True)
        full = []
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            seconds, report = timed_rebuild(db, out, archive)
            full.append(seconds)
            print(f"  full rebuild: {seconds[0]:.1f} s wall, {seconds[1]:.1f} s CPU", flush=True)
        rows.append(_row("full rebuild: load + render all", full, report))
        seconds, report = timed_rebuild(db, out, archive)
        rows.append(_row("rebuild, nothing changed", [seconds], report))
        extra = synthetic_documents(len(docs) + 1, args.seed + 1)[-1]
        extra = dataclasses.replace(extra, sha256="f" * 64, duplicate_of=None)
        store(db, [extra])
        seconds, report = timed_rebuild(db, out, archive)
        rows.append(_row("rebuild after 1 more ingested", [seconds], report))
        files, size = folder_size(out)
        index_mb = (out / "search-index.js").stat().st_size / 1e6
        search_note = ""
        if not args.no_browser:
            opened, took, hits = time_search(out)
            search_note = (f" In headless Chromium from file://, search.html opens with the index loaded in "
                           f"{opened:.1f} s; the 2-character query 通知 over all documents answers in {took:.2f} s "
                           f"({hits} results shown of the first page).")

        table = [f"| build ({len(docs):,} documents) | wall s (median) | CPU s (median) | runs | written | unchanged "
                 "| not rendered |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, wall, cpu, n, rep in rows:
            table.append(f"| {name} | {wall:.1f} | {cpu:.1f} | {n} | {rep.written} | {rep.unchanged} | {rep.reused} |")
        body = "\n".join(table)
        notes = (f"Reading all {len(docs):,} documents with their {lines:,} lines from SQLite takes {load_s:.1f} CPU s of "
                 f"each rebuild. Site: {files:,} files, {size / 1e6:.0f} MB; search-index.js {index_mb:.1f} MB." + search_note)
        print()
        print(body)
        print()
        print(notes)
        if args.write_report:
            from bench.report import write_section

            write_section(args.write_report, "site", "## Site build (`python -m bench.site`)\n\n"
                          f"Synthetic 公文 views stored through the repository into SQLite; a rebuild is what "
                          f"`manage.py` runs after an ingest (load every document, render, write what changed).\n\n"
                          f"{body}\n\n{notes}\n")
    finally:
        db.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
