"""Web server benchmark: uploads from concurrent clients and search requests, on SQLite and PostgreSQL,
next to the same queries run in-process (what `manage.py search` spends past its start-up).

    python -m bench.web [--docs 5000] [--uploads 64] [--clients 8] [--queries 200]
                        [--backends sqlite,postgresql] [--pg URL]

For each backend a fresh database is bulk-loaded with --docs generated one-page documents (bench.scale's
loader: rows, pages and the real search index). A real server (`manage.py web --no-watch` in its own
process, so that the figures are the HTTP side's: nothing is OCR'd meanwhile) is started on a free
127.0.0.1 port. Then:
- uploads: --uploads distinct small text-layer PDFs (bench.scale's text workload), sent by --clients
  threads, one file per POST /api/v1/documents, each with its token; time to accepted is the time to
  the 202 answer (the file streamed to disk, hashed, its page count read, renamed into the inbox).
- search: --queries GET /api/v1/documents?q=… of bench.scale's fixed mix (1-, 2-, 3+-character terms,
  digits, AND, OR, NOT) from --clients threads; and the same mix in-process through search.search.
Timings on a shared 2-core machine are noisy: read the ratios, not the absolute numbers.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archiver.storage import api_tokens

from .scale import (DEFAULT_PG, fresh_database, load_archive, md_table, migrated, p95, query_mix, text_workload,
                    time_queries)

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
               "Content-Type: application/pdf\r\n\r\n".encode())
    body.write(data)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def call(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, float]:
    start = time.perf_counter()
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            body, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return status, body, time.perf_counter() - start


class ServerProcess:
    def __init__(self, config: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "--config", str(config), "web",
                                      "--port", str(port), "--no-watch"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, cwd=config.parent)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                if call(self.url + "/api/v1/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the web server did not start: " + self.proc.stderr.read().decode()[-2000:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def concurrently(one, items: list, clients: int) -> tuple[float, float, float]:
    """Each item through one() (which returns its seconds) from `clients` threads: (items per second of
    wall time, median and 95th percentile seconds)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(one, items))
    wall = time.perf_counter() - start
    return len(items) / wall, statistics.median(times), p95(times)


def run_uploads(server: ServerProcess, token: str, files: list[Path], clients: int) -> dict:
    payloads = [multipart(f.name, f.read_bytes()) for f in files]

    def one(item):
        body, ctype = item
        status, _, seconds = call(server.url + "/api/v1/documents", body,
                                  {"Content-Type": ctype, "Authorization": f"Bearer {token}"})
        if status != 202:
            raise RuntimeError(f"upload answered {status}")
        return seconds

    rate, p50, p95_ = concurrently(one, payloads, clients)
    return {"files_s": rate, "p50": p50, "p95": p95_, "mb": sum(len(b) for b, _ in payloads) / 2**20}


def run_searches(server: ServerProcess, mix: list[tuple[str, str]], clients: int) -> dict:
    urls = [server.url + "/api/v1/documents?" + urllib.parse.urlencode({"q": q}) for q, _ in mix]
    for u in dict.fromkeys(urls):  # one untimed pass over the distinct queries, as bench.scale does
        call(u)

    def one(u):
        status, body, seconds = call(u)
        if status != 200:
            raise RuntimeError(f"search answered {status}: {body[:200]!r}")
        return seconds

    rate, p50, p95_ = concurrently(one, urls, clients)
    return {"req_s": rate, "p50": p50, "p95": p95_}


def bench_backend(backend: str, args, tmp: Path) -> dict:
    folder = tmp / backend
    folder.mkdir(parents=True)
    with fresh_database(backend, args.pg, folder / "db") as url:
        db = migrated(url)
        load_archive(db, args.docs, seed=11)
        with db.session() as s:
            token = api_tokens.create(s, "bench")
        mix = query_mix(args.queries, seed=5)
        inproc = [t for _, _, t, _ in time_queries(db, mix)]
        db.close()
        cfg = folder / "config.yaml"
        cfg.write_text(f'database: {{url: "{url}"}}\nsite: {{auto_build: false}}\nweb: {{watch: false}}\n',
                       encoding="utf-8")
        files = list(text_workload(folder / "pdfs", args.uploads, seed=3).files)
        server = ServerProcess(cfg, free_port())
        try:
            up = run_uploads(server, token, files, args.clients)
            found = run_searches(server, mix, args.clients)
        finally:
            server.stop()
    return {"uploads": up, "search": found,
            "inproc": {"q_s": len(inproc) / sum(inproc), "p50": statistics.median(inproc), "p95": p95(inproc)}}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench.web", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--uploads", type=int, default=64)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--out", type=Path, default=None, help="write the table as the 'web' section of this file")
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        for backend in args.backends.split(","):
            print(f"bench.web: {backend}: loading {args.docs} documents …", file=sys.stderr, flush=True)
            results[backend] = bench_backend(backend, args, Path(tmp))
    head = (f"bench.web: {args.docs} generated documents, {args.uploads} uploads (text-layer PDFs) and "
            f"{args.queries} searches from {args.clients} clients ({os.cpu_count()} CPUs); the server started with "
            f"--no-watch (nothing processed meanwhile); in-process = the same queries through search.search")
    print("\n" + head + "\n")
    rows = []
    for backend, r in results.items():
        u, s, c = r["uploads"], r["search"], r["inproc"]
        rows.append([backend, f"{u['files_s']:.1f}", ms(u["p50"]), ms(u["p95"]), f"{s['req_s']:.1f}", ms(s["p50"]),
                     ms(s["p95"]), f"{c['q_s']:.1f}", ms(c["p50"]), ms(c["p95"])])
    md = md_table(["backend", "uploads/s", "accept p50", "accept p95", "searches/s (HTTP)", "p50", "p95",
                   "searches/s (in-process)", "p50", "p95"], rows)
    print(md)
    if args.out:
        from bench.report import write_section

        command = (f"python -m bench.web --docs {args.docs} --uploads {args.uploads} --clients {args.clients} "
                   f"--queries {args.queries} --backends {args.backends} --out {args.out}")
        write_section(args.out, "web", f"## Web server (issue 15)\n\n{head}.\n\n{md}\n\nCommand: `{command}`")
    print("\n" + json.dumps(results, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
