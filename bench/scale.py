"""Scale benchmark: Celery workers, search over a large archive, and the single-writer store lock,
each on SQLite and on PostgreSQL.

    python -m bench.scale [--docs 100000] [--queries 100] [--parts workers,search,writers]
                                   [--runs 1] [--pg URL] [--broker URL] [--out docs/benchmarks.md]

1. workers: `queue: celery` with 1, then 2 real `manage.py worker` processes (each `ocr: {threads: 1}`,
   `site: {auto_build: false}`) on a fresh database (SQLite file in a temporary folder, or a database
   created on the PostgreSQL server and dropped afterwards). Two workloads: image-only PDFs of 2
   pages made from generated 公文 pages (bench.gongwen_pages) damaged by the office-scan
   simulation (bench.scansim), which go through page analysis and OCR; and small PDFs with
   a text layer, which need no OCR and so are bound by reading the PDF and storing. The clock starts
   at the first enqueue (the Dispatcher, as `manage.py watch` does it, once every worker answers a
   Celery ping) and stops when every document is in the `documents` table; a worker's first
   document includes its start-up (imports, loading the recogniser). Each run has its own Celery
   queue, deleted from Redis afterwards.
2. search: --docs generated documents of about one page (500–1000 characters, the vocabulary of
   bench.site and gongwen_pages) are bulk-loaded in big transactions: `documents` rows, one
   `pages` row each (page hash and text; no lines) and the search index through the real
   search.index_document (FTS5, or pg_search's table). On PostgreSQL the GIN index is dropped for
   the load and built afterwards, then ANALYZE. After one untimed pass over the distinct queries,
   --queries queries (a fixed, seeded mix of 1-, 2- and 3+-character terms, digits, AND, OR, NOT)
   run through search.search(limit=20); latency includes the snippets. EXPLAIN ANALYZE shows which
   plan PostgreSQL chose for a few terms, with the planner settings search() sets (pg_search.PLANNER).
3. writers: 1, 2 and 4 processes store pre-built one-page Documents concurrently, each document as
   a Celery worker stores it (Pipeline.begin_job, then Pipeline.store: under serialize_store the
   near-duplicate lookup, add_document with its index row, the 档号, the file copies with fsync and
   the job's outcome) but with no reading or OCR. Stores are serialised on purpose (SQLite's write
   lock; a PostgreSQL advisory lock), so this is the most documents per second one archive can
   take, however many OCR workers feed it.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from archiver import config
from archiver.app import open_db
from archiver.storage import pg_search, repository, search
from archiver.storage.db import Database
from archiver.storage.tables import FTS_TABLE, DocumentRow, PageRow
from archiver.resources import RULES, TEMPLATES
from bench import gongwen_pages, site
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
MANAGE = ROOT / "manage.py"
DEFAULT_PG = "postgresql+psycopg://archiver:archiver@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"
PARTS = ("workers", "search", "writers")
BACKENDS = ("sqlite", "postgresql")
GIN_INDEX = f"ix_{FTS_TABLE}_grams"

# Query mix of part 2: (query, class). Terms rare and common, as people search an archive.
QUERIES = [
    ("函", "1 char"), ("令", "1 char"), ("税", "1 char"),
    ("通知", "2 chars"), ("预算", "2 chars"), ("人事", "2 chars"), ("防汛", "2 chars"),
    ("国务院", "3+ chars"), ("安全生产", "3+ chars"), ("政府信息公开", "3+ chars"), ("乡村振兴战略", "3+ chars"),
    ("2024", "digits"),
    ("预算 绩效", "AND"), ("防汛 OR 森林防火", "OR"), ("通知 NOT 预算", "NOT"),
]
CLASSES = ("1 char", "2 chars", "3+ chars", "digits", "AND", "OR", "NOT")
EXPLAINED = ("函", "通知", "防汛", "国务院")  # plans shown: a 1-, two 2- (common, rarer) and a 3-character term

# Sentences rarer than the common clauses, so that some terms are selective (税, 令, 人事).
RARE = ["严格执行税收征收管理法，依法做好税费征缴和减税降费政策落实工作。",
        "根据《政府信息公开条例》（国务院令第711号），本文件予以主动公开。",
        "各级人事部门要做好干部人事档案专项审核工作。",
        "加强森林防火巡查，严防野外违规用火。"]


# --- generated documents -----------------------------------------------------------------------
def _wrap(s: str, width: int = 30) -> list[str]:
    return [s[i:i + width] for i in range(0, len(s), width)]


def _sentence(rng: random.Random, year: int) -> str:
    if rng.random() < 0.01:
        return rng.choice(RARE)
    if rng.random() < 0.6:
        return rng.choice(site.CLAUSES)
    return rng.choice(gongwen_pages.SENTENCES).format(
        t=rng.choice(gongwen_pages.TOPICS), ref=f"国办发〔{year - 1}〕{rng.randint(1, 80)}号",
        d=f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", phone=f"{rng.randint(60000000, 69999999)}")


def light_documents(count: int, seed: int, first_id: int = 1) -> Iterator[dict]:
    """Documents of about one page (500–1000 characters) as `documents` row values, plus `lines` and `phash`."""
    rng = random.Random(seed)
    issuers = [p + b for p in site.PLACES for b in site.BODIES]
    for i in range(first_id, first_id + count):
        year, doc_type, issuer = rng.randint(2008, 2024), rng.choice(site.DOC_TYPES), rng.choice(issuers)
        subject = rng.choice(site.SUBJECTS) if rng.random() < 0.5 else f"做好{rng.choice(gongwen_pages.TOPICS)}工作"
        title = f"{issuer}关于{subject}的{doc_type}"
        number = f"{issuer[:2]}发〔{year}〕{rng.randint(1, 300)}号"
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        body, target = [], rng.randint(500, 1000) - len(title)
        while sum(map(len, body)) < target:
            body.append(_sentence(rng, year))
        lines = [f"{issuer}文件", number, title, *_wrap("".join(body)), issuer, f"{year}年{int(date[5:7])}月{int(date[8:])}日"]
        yield {
            "id": i, "sha256": f"{rng.getrandbits(256):064x}", "original_name": f"扫描件-{i:06d}.pdf", "kind": "pdf",
            "size": rng.randint(50_000, 2_000_000), "page_count": 1, "title": title, "issuer": issuer,
            "doc_number": number, "doc_type": doc_type, "date": date, "year": year,
            "category": rng.choice(site.CATEGORIES), "archive_path": f"originals/{year}/扫描件-{i:06d}.pdf",
            "text": "\n".join(lines), "lines": lines, "phash": f"{rng.getrandbits(64):016x}",
        }


# --- databases ---------------------------------------------------------------------------------
def _admin(pg_url: str):
    import psycopg

    u = make_url(pg_url)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                           dbname=u.database or "postgres", autocommit=True)


@contextmanager
def fresh_database(backend: str, pg_url: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database, removed when the block ends (also on failure)."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        try:
            yield f"sqlite:///{folder / 'archive.db'}"
        finally:
            for p in folder.glob("archive.db*"):
                p.unlink(missing_ok=True)
        return
    name = f"archiver_scale_{uuid.uuid4().hex[:12]}"
    with _admin(pg_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with _admin(pg_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated(url: str) -> Database:
    """The new database at url, created at head as every archive's is (archiver.app)."""
    return open_db(config.Settings(database=config.Database(url=url)))


def database_bytes(db: Database) -> int:
    if db.backend == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return db.path.stat().st_size
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT pg_database_size(current_database())"))


def count_rows(url: str, sql: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql)) or 0
    finally:
        engine.dispose()


def versions(pg_url: str, backends: list[str]) -> str:
    import sqlite3

    out = [f"SQLite {sqlite3.sqlite_version}"]
    if "postgresql" in backends:
        with _admin(pg_url) as conn:
            out.append("PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0])
    return ", ".join(out)


# --- tables ------------------------------------------------------------------------------------
def md_table(header: list[str], rows: list[list], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 10e6 else f"{n / 1e6:.1f} MB"


# --- part 1: Celery workers --------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    name: str
    files: tuple[Path, ...]
    pages: int
    expected_source: str  # what every page's `source` should be: "ocr" or "text-layer"


def scanned_workload(folder: Path, count: int, pages: int, seed: int) -> Workload:
    """Image-only PDFs: generated 公文 pages through the office-scan simulation, JPEG inside."""
    from PIL import Image

    from bench.scansim import simulate

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        images = []
        for k in range(pages):
            n = seed * 1000 + i * pages + k
            images.append(Image.fromarray(simulate(gongwen_pages.make_sample(n).image, "office", n)))
        path = folder / f"scan-{i:03d}.pdf"
        images[0].save(path, save_all=True, append_images=images[1:], resolution=gongwen_pages.DPI, quality=75)
        files.append(path)
    return Workload("scanned (OCR)", tuple(files), count * pages, "ocr")


def text_workload(folder: Path, count: int, seed: int) -> Workload:
    """Small A4 PDFs with a text layer (no OCR): one generated document each."""
    from .soak import text_pdf

    folder.mkdir(parents=True, exist_ok=True)
    files, pages, per_page = [], 0, 36
    for doc in light_documents(count, seed + 7):
        chunks = [doc["lines"][k:k + per_page] for k in range(0, len(doc["lines"]), per_page)]
        files.append(text_pdf(folder / f"text-{doc['id']:03d}.pdf", chunks, size=12, leading=20, top=60))
        pages += len(chunks)
    return Workload("text layer", tuple(files), pages, "text-layer")


def write_config(folder: Path, url: str, broker: str, queue: str) -> Path:
    cfg = folder / "config.yaml"
    cfg.write_text(
        f'database: {{url: "{url}"}}\n'
        f'ocr: {{weights: "{ROOT / "archiver/ocr/weights"}", threads: 1}}\n'
        f'rules: {{folder: "{RULES}"}}\n'
        f'site: {{auto_build: false, templates: "{TEMPLATES}"}}\n'
        f'queue: celery\ncelery: {{broker: "{broker}", queue_name: "{queue}"}}\n', encoding="utf-8")
    return cfg


class WorkerProcess:
    """`manage.py --config CFG worker` in its own process, its log in a file."""

    def __init__(self, config: Path, log: Path):
        self.log = log
        self._out = open(log, "w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(MANAGE), "--config", str(config), "worker"],
                                     stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, fragment: str, timeout: float) -> None:
        end = time.monotonic() + timeout
        while fragment not in self.text():
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"worker did not log {fragment!r}:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (a worker finishes what it holds), then SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._out.close()


def cpu_seconds(workers: list[WorkerProcess]) -> float:
    """CPU time the worker processes (all their threads, and the poppler tools they ran) have used, from /proc."""
    total = 0.0
    for w in workers:
        stat = Path(f"/proc/{w.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in stat[11:15])  # utime, stime, cutime, cstime (fields 14–17)
    return total / os.sysconf("SC_CLK_TCK")


def wait_consuming(settings, workers: list[WorkerProcess], timeout: float = 60) -> None:
    """Until every worker answers a Celery ping: past "taking jobs", it is consuming the queue."""
    from archiver.workers.app import make_app

    names = [f"archiver-{w.proc.pid}@{socket.gethostname()}" for w in workers]  # as worker.run_worker names them
    app = make_app(settings)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if len(app.control.ping(destination=names, timeout=0.5)) == len(names):
                return
        raise RuntimeError(f"not every worker answered a ping in {timeout:.0f} s")
    finally:
        app.close()


def delete_queue(broker: str, queue: str) -> None:
    """The run's queue and kombu's bookkeeping of it (and of the pings' reply queues)."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
        deadlines = "_kombu.binding_deadlines"
        if client.type(deadlines) == b"zset":
            ours = [m for m in client.zrange(deadlines, 0, -1) if queue.encode() in m or m.endswith(b"celery.pidbox")]
            if ours:
                client.zrem(deadlines, *ours)
    finally:
        client.close()


def wait_stored(url: str, count: int, workers: list[WorkerProcess], timeout: float) -> None:
    """Poll the documents table until it holds `count` rows; stop at a failure, a dead worker or the timeout."""
    engine = create_engine(url)
    end = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                stored, failed = conn.execute(text("SELECT (SELECT count(*) FROM documents), "
                                                   "(SELECT count(*) FROM failures)")).one()
            if stored >= count:
                return
            dead = [w for w in workers if w.proc.poll() is not None]
            if failed or dead or time.monotonic() > end:
                why = f"{failed} failures" if failed else "a worker exited" if dead else f"timeout after {timeout:.0f} s"
                raise RuntimeError(f"workers stopped short ({why}):\n" + "\n---\n".join(w.tail() for w in workers))
            time.sleep(0.1)
    finally:
        engine.dispose()


def worker_run(backend: str, load: Workload, workers: int, args, folder: Path) -> tuple[float, float]:
    """Seconds from the first enqueue until every file of the workload is a stored document, and the
    CPU seconds the workers used meanwhile."""
    from archiver.workers.dispatch import Dispatcher

    queue = f"archiver-scale-{uuid.uuid4().hex[:10]}"
    procs: list[WorkerProcess] = []
    with fresh_database(backend, args.pg, folder) as url:
        db = migrated(url)
        try:
            cfg = write_config(folder, url, args.broker, queue)
            settings = config.load(cfg)
            settings.paths.inbox.mkdir(parents=True, exist_ok=True)
            inbox = [Path(shutil.copy(f, settings.paths.inbox / f.name)) for f in load.files]
            procs = [WorkerProcess(cfg, folder / f"worker-{i}.log") for i in range(workers)]
            for p in procs:
                p.wait_for("taking jobs", 120)
            wait_consuming(settings, procs)
            dispatch = Dispatcher(settings, db)
            cpu, start = cpu_seconds(procs), time.perf_counter()
            for path in inbox:
                out = dispatch(path)
                if out.status != "queued":
                    raise RuntimeError(f"{path.name}: {out.status}: {out.message}")
            wait_stored(url, len(inbox), procs, args.run_timeout)
            seconds, cpu = time.perf_counter() - start, cpu_seconds(procs) - cpu
            check_stored(url, load)
            return seconds, cpu
        finally:
            for p in procs:
                p.stop()
            db.close()
            delete_queue(args.broker, queue)


def check_stored(url: str, load: Workload) -> None:
    """Every page stored, each read the way the workload means (OCR or text layer), and text found on them."""
    pages = count_rows(url, "SELECT count(*) FROM pages")
    kind = count_rows(url, f"SELECT count(*) FROM pages WHERE source = '{load.expected_source}'")
    chars = count_rows(url, "SELECT sum(length(text)) FROM documents")
    if pages != load.pages or kind != pages or chars < 100 * pages:
        raise RuntimeError(f"{load.name}: expected {load.pages} pages ({load.expected_source}) with text; "
                           f"stored {pages}, {kind} of them {load.expected_source}, {chars} characters in all")


def part_workers(args, tmp: Path) -> tuple[str, dict]:
    loads = []
    if "scanned" in args.workloads:
        loads.append(scanned_workload(tmp / "inputs-scanned", args.scanned, 2, args.seed))
    if "text" in args.workloads:
        loads.append(text_workload(tmp / "inputs-text", args.text, args.seed))
    rows, rates = [], {}
    for backend in args.backends:
        for load in loads:
            for n in args.workers:
                times, cpus = [], []
                for r in range(args.runs):
                    run_dir = tmp / f"run-{backend}-{load.expected_source}-{n}-{r}"
                    run_dir.mkdir()
                    try:
                        seconds, cpu = worker_run(backend, load, n, args, run_dir)
                    finally:
                        shutil.rmtree(run_dir, ignore_errors=True)
                    times.append(seconds)
                    cpus.append(cpu)
                    say(f"workers: {backend}, {load.name}, {n} worker(s), run {r + 1}: {seconds:.1f} s, "
                        f"{cpu:.1f} CPU s")
                t, cpu = statistics.median(times), statistics.median(cpus)
                rates[(backend, load.expected_source, n)] = len(load.files) / t
                rows.append([backend, load.name, n, len(load.files), load.pages, f"{t:.1f}",
                             f"{load.pages / t * 60:.0f}", f"{len(load.files) / t:.2f}", f"{cpu / load.pages:.2f}",
                             f"{cpu / t:.1f}"])
    table = md_table(["backend", "workload", "workers", "docs", "pages", "seconds (median)", "pages/min", "docs/s",
                      "worker CPU s/page", "CPUs busy (workers)"], rows, right_from=2)
    note = (f"Median of {args.runs} run(s); this machine has {os.cpu_count()} CPUs. Each worker runs one document "
            "at a time with `ocr: {threads: 1}`. The clock runs from the first enqueue to the last stored "
            "document and includes each worker's first-document start-up (imports; the recogniser is loaded "
            "on the first OCR page). Worker CPU: the worker processes' own (all threads, and the poppler tools "
            "they ran) over the same span, from /proc; the database server's is not in it.")
    return f"### Workers (`queue: celery`)\n\n{table}\n\n{note}\n", rates


# --- part 2: search latency --------------------------------------------------------------------
def load_archive(db: Database, count: int, seed: int, chunk: int = 2000) -> dict:
    """Bulk-load generated documents with their index; returns timings and notes."""
    postgres = db.backend == "postgresql"
    start = time.perf_counter()
    if postgres:
        with db.session() as s:
            s.execute(text(f"DROP INDEX {GIN_INDEX}"))
    docs = light_documents(count, seed)
    while True:
        batch = [d for _, d in zip(range(chunk), docs)]
        if not batch:
            break
        with db.session() as s:
            s.execute(insert(DocumentRow.__table__), [{k: v for k, v in d.items() if k not in ("lines", "phash")}
                                                      for d in batch])
            s.execute(insert(PageRow.__table__), [
                {"document_id": d["id"], "number": 1, "width": 1240, "height": 1754, "source": "ocr",
                 "phash": d["phash"], "thumbnail": None, "text": d["text"]} for d in batch])
            for d in batch:
                search.index_document(s, d["id"], title=d["title"], body=d["text"],
                                      meta=search.meta_text(d["issuer"], d["doc_number"], d["original_name"]))
        if batch[-1]["id"] % 20000 < chunk:
            say(f"search: {db.backend}: {batch[-1]['id']} documents loaded ({time.perf_counter() - start:.0f} s)")
    rows_done = time.perf_counter() - start
    index_s = 0.0
    if postgres:
        t = time.perf_counter()
        with db.session() as s:
            s.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            s.execute(text(f"CREATE INDEX {GIN_INDEX} ON {FTS_TABLE} USING gin (grams)"))
        index_s = time.perf_counter() - t
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return {"load": time.perf_counter() - start, "rows": rows_done, "index": index_s}


def query_mix(count: int, seed: int) -> list[tuple[str, str]]:
    """count queries: every one of QUERIES in turn, shuffled at a fixed seed."""
    mix = (QUERIES * (count // len(QUERIES) + 1))[:count]
    random.Random(seed).shuffle(mix)
    return mix


def time_queries(db: Database, mix: list[tuple[str, str]]) -> list[tuple[str, str, float, float]]:
    """(query, class, seconds, of which snippets) for each query of the mix."""
    out = []
    with db.session() as s:
        for q, _ in QUERIES:  # warm-up, untimed
            search.search(s, q, limit=20)
        for q, cls in mix:
            t = time.perf_counter()
            hits = search.search(s, q, limit=20)
            seconds = time.perf_counter() - t
            out.append((q, cls, seconds, snippet_seconds(s, q, hits)))
    return out


def snippet_seconds(s, query: str, hits) -> float:
    """The time the snippets of these hits take: made again from their texts, as search() made them."""
    phrases = search.parse_query(query).phrases
    texts = [repository.document_text(s, h.document_id) for h in hits]
    t = time.perf_counter()
    for body in texts:
        search.snippet(body, phrases)
    return time.perf_counter() - t


def match_count(db: Database, query: str) -> int:
    """Documents matching the query on this backend (all of them, not the first 20)."""
    parsed = search.parse_query(query)
    with db.session() as s:
        if db.backend == "postgresql":
            sub, params = pg_search.matching_documents(parsed.groups, parsed.excluded)
            return s.scalar(text(f"SELECT count(*) FROM ({sub}) AS m"), params)
        return s.scalar(text(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m"),
                        {"m": parsed.match_expression()})


def captured_search_sql(db: Database, query: str) -> tuple[str, dict]:
    """The statement and parameters search.search() sends for this query."""
    seen: list[tuple[str, dict]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        if FTS_TABLE in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        with db.session() as s:
            search.search(s, query, limit=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return seen[-1]


AGGREGATES = {"Hashed": "HashAggregate", "Sorted": "GroupAggregate", "Mixed": "MixedAggregate"}


def _plan_line(node: dict) -> str:
    """One plan node and its children on a line: `Hash Join → [Seq Scan on documents (rows 20); ...]`."""
    name = AGGREGATES.get(node.get("Strategy"), node["Node Type"])
    if node.get("Index Name"):
        name += f" on {node['Index Name']}"
    elif node.get("Relation Name"):
        name += f" on {node['Relation Name']}"
    if "Scan" in node["Node Type"]:
        removed = node.get("Rows Removed by Filter") or node.get("Rows Removed by Index Recheck")
        name += f" (rows {node.get('Actual Rows', '?')}" + (f", {removed} removed" if removed else "") + ")"
    kids = [_plan_line(k) for k in node.get("Plans", [])]
    if not kids:
        return name
    return name + " → " + (kids[0] if len(kids) == 1 else "[" + "; ".join(kids) + "]")


def explain(db: Database, query: str) -> str:
    statement, params = captured_search_sql(db, query)
    with db.engine.connect() as conn:
        for name, value in pg_search.PLANNER.items():  # as search() sets them for its statement
            conn.execute(text("SELECT set_config(:n, :v, false)"), {"n": name, "v": value})
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).scalar()
    plan = plan[0] if isinstance(plan, list) else plan
    return f"{_plan_line(plan['Plan'])}; {plan['Execution Time']:.1f} ms"


def dedup_lookup(db: Database) -> tuple[float, float]:
    """Seconds of the near-duplicate lookup under the store lock: a worker's first store (it reads every
    page hash into its PageHashIndex) and each store after that (only the new pages, then one compare)."""
    from archiver import dedup
    from archiver.storage import repository

    new = next(light_documents(1, 999_999, first_id=10**9))
    index = dedup.PageHashIndex()
    with db.session() as s:
        t = time.perf_counter()
        index.add(repository.page_hashes_after(s, index.last_page_id))
        first = time.perf_counter() - t
        t = time.perf_counter()
        index.add(repository.page_hashes_after(s, index.last_page_id))
        dedup.find_near_duplicate([new["phash"]], new["text"], index,
                                  lambda i: repository.document_text_or_none(s, i), 10, 0.82)
        return first, time.perf_counter() - t


def part_search(args, tmp: Path) -> str:
    mix = query_mix(args.queries, args.seed)
    results, counts, plans = {}, {}, []
    overall = []
    for backend in args.backends:
        with fresh_database(backend, args.pg, tmp / f"search-{backend}") as url:
            db = migrated(url)
            try:
                loaded = load_archive(db, args.docs, args.seed)
                size = database_bytes(db)
                say(f"search: {backend}: {args.docs} documents loaded in {loaded['load']:.0f} s, {mb(size)}")
                timed = time_queries(db, mix)
                results[backend] = timed
                counts[backend] = {q: match_count(db, q) for q, _ in QUERIES}
                lookups = [dedup_lookup(db) for _ in range(3)]
                lookup = (statistics.median(a for a, _ in lookups), statistics.median(b for _, b in lookups))
                if backend == "postgresql":
                    plans = [(q, explain(db, q)) for q in EXPLAINED]
            finally:
                db.close()
        lat = [t for _, _, t, _ in timed]
        load_note = f"{loaded['load']:.0f}"
        if backend == "postgresql":
            load_note += f" (GIN index built after: {loaded['index']:.0f})"
        overall.append([backend, f"{args.docs:,}", load_note, mb(size), len(lat), ms(statistics.median(lat)),
                        ms(p95(lat)), ms(max(lat)), ms(statistics.median(x for *_, x in timed)), f"{ms(lookup[1])} ({ms(lookup[0])})"])
    parts = ["### Search latency\n",
             md_table(["backend", "documents", "load s", "database size", "queries", "median ms", "p95 ms", "max ms",
                       "snippets ms (median)", "dedup ms per store (first)"], overall, right_from=1),
             "\n**By query class** (median / p95 ms)\n",
             md_table(["class"] + list(args.backends),
                      [[cls] + [_class_cell(results[b], cls) for b in args.backends] for cls in CLASSES]),
             "\n**By query** (median ms; matching documents)\n",
             md_table(["query", "class"] + [f"{b} ms" for b in args.backends] + [f"{b} matches" for b in args.backends],
                      [[f"`{q}`", cls] + [ms(statistics.median(t for qq, _, t, _ in results[b] if qq == q))
                                          for b in args.backends] + [f"{counts[b][q]:,}" for b in args.backends]
                       for q, cls in QUERIES], right_from=2)]
    notes = [f"{args.docs:,} generated one-page documents (500–1000 characters; one `pages` row each, no `lines`), "
             f"bulk-loaded in transactions of 2,000 through search.index_document. "
             f"{args.queries} queries through search.search(limit=20), after one untimed pass; the latency includes "
             "making the 20 snippets (their share is shown apart). "
             "Dedup: the near-duplicate check every store makes under the store lock; a worker's first store "
             "reads every stored page hash into memory (in brackets), later ones only the pages stored since "
             "(median of 3)."]
    if "postgresql" in args.backends:
        notes.append("On PostgreSQL the GIN index was dropped during the load and created afterwards "
                     "(maintenance_work_mem 512MB for that statement), then ANALYZE; search() sets pg_search.PLANNER (no sequential or plain index scans) for its statement.")
    disagreement = disagreement_note(counts, args.backends)
    if disagreement:
        notes.append(disagreement)
    if plans:
        notes.append("PostgreSQL plans (EXPLAIN ANALYZE of the statement search() sends):\n\n"
                     + "\n".join(f"- `{q}`: {p}" for q, p in plans))
    return "\n".join(parts) + "\n\n" + "\n\n".join(notes) + "\n"


def disagreement_note(counts: dict[str, dict[str, int]], backends: list[str]) -> str:
    """The queries on which the backends found different numbers of matching documents, as a note ("" if none)."""
    mismatched = [q for q, _ in QUERIES if len({counts[b][q] for b in backends}) > 1]
    return "**The backends disagree on the matches of: " + ", ".join(mismatched) + "**" if mismatched else ""


def _class_cell(timed: list[tuple[str, str, float, float]], cls: str) -> str:
    lat = [t for _, c, t, _ in timed if c == cls]
    return f"{ms(statistics.median(lat))} / {ms(p95(lat))}" if lat else "–"


# --- part 3: the single-writer limit -----------------------------------------------------------
def writer_documents(count: int, seed: int, sources: Path):
    """Pre-built one-page Documents, each with an original file and a thumbnail on disk (Pipeline.store copies them)."""
    from PIL import Image

    from archiver.document import Classification, Document, Line, Metadata, Page, SourceFile

    sources.mkdir(parents=True, exist_ok=True)
    thumb = sources / "thumb.jpg"
    Image.new("RGB", (300, 424), "white").save(thumb, quality=80)
    docs = []
    for d in light_documents(count, seed):
        src = sources / f"w{seed}-{d['id']}.pdf"
        src.write_bytes(os.urandom(40_000))
        lines = tuple(Line(t, (120, 180 + 60 * n, 1120, 220 + 60 * n), 0.95) for n, t in enumerate(d["lines"]))
        docs.append(Document(
            source=SourceFile(src, src.name, "pdf", d["sha256"], 40_000),
            pages=(Page(1, 1240, 1754, "ocr", lines, d["phash"]),),
            metadata=Metadata(title=d["title"], issuer=d["issuer"], doc_number=d["doc_number"], doc_type=d["doc_type"],
                              date=d["date"], year=d["year"]),
            classification=Classification(d["category"], (), ()),
            page_images=(thumb,)))
    return docs


def _retrying(step, counter: list[int]):
    from archiver.errors import StorageBusy

    while True:
        try:
            return step()
        except StorageBusy:
            counter[0] += 1


def writer_process(config_path: str, index: int, count: int, seed: int, barrier, results) -> None:
    """One writer: store `count` documents as a Celery worker would, once every writer is ready."""
    try:
        from archiver.app import make_pipeline

        pipeline = make_pipeline(config.load(Path(config_path)), keep_source=True, worker=f"writer-{index}")
        docs = writer_documents(count, seed * 1000 + index, Path(config_path).parent / f"sources-{index}")
        busy, each = [0], []
        barrier.wait(timeout=300)
        start = time.time()
        for doc in docs:
            t = time.perf_counter()
            _retrying(lambda: pipeline.begin_job(doc.source), busy)
            out = _retrying(lambda: pipeline.store(doc, time.monotonic()), busy)
            if out.status not in ("stored", "duplicate"):
                raise RuntimeError(f"{doc.source.name}: {out.status} {out.message}")
            each.append(time.perf_counter() - t)
        results.put(("ok", index, start, time.time(), each, busy[0]))
    except BaseException:
        results.put(("error", index, traceback.format_exc()))
        with suppress(Exception):
            barrier.abort()


def writers_run(backend: str, writers: int, args, folder: Path) -> dict:
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no engine or lock shared by fork
    with fresh_database(backend, args.pg, folder) as url:
        migrated(url).close()
        cfg = folder / "config.yaml"
        cfg.write_text(f'database: {{url: "{url}"}}\nrules: {{folder: "{RULES}"}}\n'
                       f'site: {{auto_build: false, templates: "{TEMPLATES}"}}\n', encoding="utf-8")
        barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
        procs = [ctx.Process(target=writer_process, args=(str(cfg), i, args.writer_docs, args.seed, barrier, results))
                 for i in range(writers)]
        try:
            for p in procs:
                p.start()
            barrier.wait(timeout=300)
            done = [results.get(timeout=args.run_timeout) for _ in procs]
            errors = [d[2] for d in done if d[0] == "error"]
            if errors:
                raise RuntimeError("a writer failed:\n" + errors[0])
            stored = count_rows(url, "SELECT count(*) FROM documents")
        finally:
            for p in procs:
                p.join(timeout=30)
                if p.is_alive():
                    p.terminate()
                    p.join()
    each = [t for d in done for t in d[4]]
    seconds = max(d[3] for d in done) - min(d[2] for d in done)
    if stored != writers * args.writer_docs:
        raise RuntimeError(f"{stored} documents stored of {writers * args.writer_docs}")
    return {"docs": stored, "seconds": seconds, "each": each, "busy": sum(d[5] for d in done)}


def part_writers(args, tmp: Path, ocr_rates: dict) -> str:
    rows, best = [], {}
    for backend in args.backends:
        for n in args.writer_counts:
            run_dir = tmp / f"writers-{backend}-{n}"
            run_dir.mkdir()
            try:
                r = writers_run(backend, n, args, run_dir)
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
            rate = r["docs"] / r["seconds"]
            best[backend] = max(best.get(backend, 0.0), rate)
            say(f"writers: {backend}, {n} writer(s): {rate:.1f} docs/s")
            rows.append([backend, n, r["docs"], f"{r['seconds']:.1f}", f"{rate:.1f}", ms(statistics.median(r["each"])),
                         ms(p95(r["each"])), r["busy"]])
    table = md_table(["backend", "writers", "docs", "seconds", "docs/s", "median ms per doc", "p95 ms per doc",
                      "busy retries"], rows, right_from=1)
    notes = [f"Each writer process stores {args.writer_docs} pre-built one-page documents (500–1000 characters) into "
             "a fresh, empty archive: Pipeline.begin_job (the job row, under the store lock) and Pipeline.store "
             "(under the lock: near-duplicate lookup, add_document with its search-index row, 档号, copies of a "
             "40 kB original and a thumbnail with fsync, the job's outcome). No reading or OCR. ms per doc is "
             "what one writer waited for its two transactions, lock waits included."]
    feed = []
    for backend in args.backends:
        ocr = ocr_rates.get((backend, "ocr", 1))
        if ocr:
            feed.append(f"{backend}: one OCR worker stores {ocr:.3f} scanned 2-page docs/s, so one store lock "
                        f"({best[backend]:.1f} docs/s at best) could feed about {best[backend] / ocr:.0f} OCR workers")
    if feed:
        notes.append("Compared with part 1: " + "; ".join(feed) + " (into an empty archive: see the dedup lookup "
                     "in the search part for what each store adds as the archive grows).")
    else:
        notes.append("Run with the workers part too to compare with the OCR rate.")
    return f"### The single-writer limit\n\n{table}\n\n" + "\n\n".join(notes) + "\n"


# --- main --------------------------------------------------------------------------------------
def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ints(value: str) -> list[int]:
    return [int(x) for x in value.split(",") if x]


def _names(allowed: tuple[str, ...]):
    def parse(value: str) -> list[str]:
        names = [x.strip() for x in value.split(",") if x.strip()]
        bad = [x for x in names if x not in allowed]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return names
    return parse


def command_line(argv: list[str]) -> str:
    """The command as run, with any password in a URL masked."""
    shown = [re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", a) for a in argv]
    return " ".join(["python -m bench.scale", *map(shlex.quote, shown)])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", type=_names(PARTS), default=list(PARTS), help="workers,search,writers (default: all)")
    ap.add_argument("--backends", type=_names(BACKENDS), default=list(BACKENDS), help="sqlite,postgresql (default: both)")
    ap.add_argument("--docs", type=int, default=100_000, help="documents in the search archive")
    ap.add_argument("--queries", type=int, default=100, help="timed search queries per backend")
    ap.add_argument("--runs", type=int, default=1, help="worker runs per setting (the median is reported)")
    ap.add_argument("--workers", type=_ints, default=[1, 2], help="worker process counts (default 1,2)")
    ap.add_argument("--workloads", type=_names(("scanned", "text")), default=["scanned", "text"])
    ap.add_argument("--scanned", type=int, default=12, help="scanned PDFs (2 pages each) in the OCR workload")
    ap.add_argument("--text", type=int, default=60, help="text-layer PDFs in the text workload")
    ap.add_argument("--writer-counts", type=_ints, default=[1, 2, 4], help="concurrent writers (default 1,2,4)")
    ap.add_argument("--writer-docs", type=int, default=200, help="documents each writer stores")
    ap.add_argument("--run-timeout", type=float, default=1800, help="seconds one run may take")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL whose role may CREATE DATABASE")
    ap.add_argument("--broker", default=DEFAULT_BROKER, help="Redis URL for Celery (its own db number)")
    ap.add_argument("--out", type=Path, default=None, help="write the tables as the 'scale' section of this file")
    args = ap.parse_args(argv)

    head = (f"## Scale: workers, search and the store lock (`{command_line(argv)}`)\n\n"
            f"{os.cpu_count()} CPUs ({platform.machine()}), {versions(args.pg, args.backends)}.\n")
    print(head, flush=True)
    sections, ocr_rates = [head], {}
    tmp = Path(tempfile.mkdtemp(prefix="archiver-scale-"))
    try:
        if "workers" in args.parts:
            section, ocr_rates = part_workers(args, tmp)
            sections.append(section)
            print(section, flush=True)
        if "search" in args.parts:
            sections.append(part_search(args, tmp))
            print(sections[-1], flush=True)
        if "writers" in args.parts:
            sections.append(part_writers(args, tmp, ocr_rates))
            print(sections[-1], flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        write_section(args.out, "scale", "\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
