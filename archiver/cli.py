"""manage.py commands. A thin layer over the library; the one place that turns typed errors into
a one-line message and an exit code."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import unicodedata
from pathlib import Path

from . import config as config_mod
from .app import make_pipeline, make_watcher, open_db, pipeline_when_free, rebuild_site, watch_locks
from .archive_lock import ArchiveLock
from .errors import ArchiverError, ExitCode
from .fields import ARCHIVAL, GONGWEN
from .shown import ShownFormatter, shown

CHECKOUT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"  # beside manage.py in a checkout


def config_path(given: Path | None) -> Path | None:
    """The config file to read: --config, else $ARCHIVER_CONFIG, else ./config.yaml, else the checkout's
    config.yaml beside manage.py; None (built-in defaults, folders under the current one) when none exists."""
    if given is not None:
        return given
    if os.environ.get("ARCHIVER_CONFIG"):
        return Path(os.environ["ARCHIVER_CONFIG"])
    return next((p for p in (Path("config.yaml"), CHECKOUT_CONFIG) if p.is_file()), None)


# --- commands ---------------------------------------------------------------------------
def cmd_watch(args, settings) -> int:
    # A second daemon on this archive, or on this inbox under another config, refuses to start.
    archive_lock, inbox_lock = watch_locks(settings, "watch")
    with archive_lock, inbox_lock:
        w = make_watcher(settings)
        w.install_signal_handlers()
        w.run(max_seconds=args.max_seconds)
    return ExitCode.OK


def cmd_web(args, settings) -> int:
    from .web.server import serve

    serve(settings, args.host or settings.web.host, settings.web.port if args.port is None else args.port,
          watch=False if args.no_watch else None)
    return ExitCode.OK


def cmd_token(args, settings) -> int:
    from .errors import UsageError
    from .storage import api_tokens

    if args.action != "list" and not args.name:
        raise UsageError(f"manage.py token {args.action} NAME")
    db = open_db(settings)
    with db.session() as s:
        if args.action == "create":
            secret = api_tokens.create(s, args.name)
        elif args.action == "revoke":
            api_tokens.revoke(s, args.name)
        else:
            rows = api_tokens.names(s)
    if args.action == "create":
        print(secret)
        print(f"token {args.name} created; it is shown once: keep it (send it as `Authorization: Bearer …`)",
              file=sys.stderr)
    elif args.action == "revoke":
        print(f"token {args.name} revoked")
    else:
        for name, created, used in rows:
            print(f"{name}\tcreated {created}\tlast used {used or 'never'}")
    return ExitCode.OK


def cmd_worker(args, settings) -> int:
    from .errors import UsageError
    from .workers.worker import run_worker, worker_name

    if settings.queue != "celery":
        raise UsageError("manage.py worker takes jobs from Celery: set `queue: celery` in the config first "
                         "(with `queue: local`, `manage.py watch` processes files itself)")
    pipeline = pipeline_when_free(settings, worker=worker_name())
    pipeline.warm_up()
    run_worker(pipeline)
    return ExitCode.OK


def cmd_ingest(args, settings) -> int:
    with ArchiveLock(settings.paths.archive, "ingest"):
        return _ingest(args, settings)


def _ingest(args, settings) -> int:
    from .batch import ingest
    from .pipeline import Status

    pipeline = make_pipeline(settings, keep_source=not args.move)
    workers = args.workers or settings.workers
    if workers == 1:  # with more, each worker process loads its own
        pipeline.warm_up()
    outcomes = ingest(pipeline, [Path(p) for p in args.paths], workers=workers, progress=not args.quiet)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
        if o.status in (Status.FAILED, Status.RETRY):
            print(f"{o.status}: {o.message}", file=sys.stderr)
    pages = sum(o.pages for o in outcomes)
    print(f"{len(outcomes)} files, {pages} pages: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if settings.site.auto_build and any(o.document_id for o in outcomes):
        rebuild_site(settings, pipeline.db)
    return ExitCode.FILES_FAILED if counts.get(Status.FAILED) or counts.get(Status.RETRY) else ExitCode.OK


def _rjust(text: str, width: int) -> str:
    """Right-justify by display width: a hanzi takes two terminal columns."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return " " * max(0, width - cols) + text


def _mark(snippet: str, tty: bool) -> str:
    return snippet.replace("\x02", "\x1b[1;31m" if tty else "【").replace("\x03", "\x1b[0m" if tty else "】")


def cmd_search(args, settings) -> int:
    from .storage.search import search

    db = open_db(settings)
    with db.session() as s:
        hits = search(s, " ".join(args.query), category=args.category, doc_type=args.type, year=args.year,
                      date_from=args.date_from, date_to=args.date_to, limit=args.limit, issuer=args.issuer,
                      doc_number=args.doc_no)
    if args.json:
        print(json.dumps([{"id": h.document_id, "title": h.title, "file": h.original_name, "category": h.category,
                           "type": h.doc_type, "year": h.year, "score": h.score,
                           "snippet": h.snippet.replace("\x02", "").replace("\x03", ""),
                           "snippet_marked": _mark(h.snippet, False)} for h in hits], ensure_ascii=False, indent=2))
        return ExitCode.OK
    tty = sys.stdout.isatty()
    for h in hits:
        print(f"#{h.document_id}  {h.title or h.original_name}  [{h.category or '-'} {h.doc_type or ''} {h.year or ''}]".rstrip())
        print(f"    {_mark(h.snippet, tty)}")
    print(f"{len(hits)} result{'s' if len(hits) != 1 else ''}")
    return ExitCode.OK


def cmd_show(args, settings) -> int:
    from .storage import repository

    db = open_db(settings)
    with db.session() as s:
        d = repository.get_document(s, args.id)
    # (key in --json, label on a terminal, value): the stored facts, then every field of archiver.fields.
    rows = [("id", "id", d.id), ("file", "file", d.original_name), ("title", "标题", d.title)]
    rows += [(f.name, f.zh, getattr(d, f.name)) for f in ARCHIVAL + GONGWEN if f.name != "title"]
    rows += [("category", "category", d.category), ("tags", "tags", ", ".join(d.tags)), ("pages", "pages", d.page_count),
             ("sha256", "sha256", d.sha256), ("archive", "archive", d.archive_path),
             ("duplicate_of", "duplicate_of", d.duplicate_of), ("duplicates", "duplicates", ", ".join(map(str, d.duplicates)))]
    if args.json:
        print(json.dumps({k: v for k, _, v in rows} | {"issuers": list(d.issuers),
                                                       "text": [[ln.text for ln in p.lines] for p in d.pages]},
                         ensure_ascii=False, indent=2))
        return ExitCode.OK
    for _, label, v in rows:
        if v not in (None, ""):
            print(f"{_rjust(label, 12)}: {v}")
    for h in d.hits:
        print(f"{_rjust('rule', 12)}: {h.rule} → {h.category or ''} {' '.join(h.tags)} ({h.field}: {', '.join(h.matched)})")
    if args.text:
        for p in d.pages:
            print(f"--- page {p.number} ({p.source})")
            for ln in p.lines:
                print(ln.text)
    return ExitCode.OK


def cmd_explain(args, settings) -> int:
    from .classify.explain import explain_data, explain_lines
    from .storage import repository

    with open_db(settings).session() as s:
        d = repository.get_document(s, args.id)
    if args.json:
        print(json.dumps(explain_data(d), ensure_ascii=False, indent=2))
    else:
        print("\n".join(explain_lines(d)))
    return ExitCode.OK


def cmd_ocr(args, settings) -> int:
    from .ocr_cli import run_ocr

    return run_ocr(args, settings)


def cmd_stats(args, settings) -> int:
    from .storage import repository

    with open_db(settings).session() as s:
        st = repository.stats(s)
    if args.json:
        print(json.dumps(st, ensure_ascii=False, indent=2))
        return ExitCode.OK
    for k, v in st.items():
        if isinstance(v, dict):
            print(f"{k}:")
            for kk, vv in sorted(v.items(), key=lambda kv: str(kv[0])):
                print(f"  {kk if kk is not None else '-'}: {vv}")
        else:
            print(f"{k}: {v}")
    return ExitCode.OK


def cmd_duplicates(args, settings) -> int:
    from .storage import repository

    with open_db(settings).session() as s:
        groups = [(repository.get_document(s, original), [repository.get_document(s, d) for d in dups])
                  for original, dups in repository.duplicate_groups(s)]
    if args.json:
        print(json.dumps([{"id": o.id, "title": o.display_title, "file": o.original_name,
                           "duplicates": [{"id": d.id, "file": d.original_name} for d in dups]} for o, dups in groups],
                         ensure_ascii=False, indent=2))
        return ExitCode.OK
    for o, dups in groups:
        print(f"#{o.id} {o.display_title}")
        for d in dups:
            print(f"  = #{d.id} {d.original_name}")
    print(f"{len(groups)} group{'s' if len(groups) != 1 else ''}")
    return ExitCode.OK


def cmd_reclassify(args, settings) -> int:
    pipeline = make_pipeline(settings)
    changed = pipeline.reclassify()
    print(f"reclassified: {changed} document{'s' if changed != 1 else ''} changed")
    if settings.site.auto_build:
        rebuild_site(settings, pipeline.db)
    return ExitCode.OK


def cmd_migrate(args, settings) -> int:
    from .storage.db import open_database

    db = open_database(settings.database.url)
    before = db.current_revision()
    if args.downgrade:
        db.downgrade(args.downgrade)
    else:
        db.migrate(args.revision)
    print(f"database {settings.database.url}: {before or 'empty'} -> {db.current_revision() or 'empty'}")
    return ExitCode.OK


def cmd_check(args, settings) -> int:
    from .errors import ArchiveLocked

    lock = ArchiveLock(settings.paths.archive, "check --repair" if args.repair else "check")
    try:
        lock.acquire()
    except ArchiveLocked:
        if args.repair:  # repairing under a running daemon would delete what it is writing
            raise
        lock = None  # a daemon runs: its scratch folder is in use, not debris; the rest is checked
    try:
        return _check(args, settings, scratch=lock is not None)
    finally:
        if lock is not None:
            lock.release()


def _check(args, settings, scratch: bool) -> int:
    from .check import check, document_count, repair

    db = open_db(settings)
    problems = check(settings, db, scratch=scratch)
    for p in problems:
        print(p)
    if args.repair and problems:
        for line in repair(settings, db, problems):
            print(f"repaired: {line}")
        problems = check(settings, db, scratch=scratch)
        for p in problems:
            print(f"still: {p}")
    print(f"{document_count(db)} documents checked: " + (f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
                                           if problems else "archive, database and search index agree"))
    return ExitCode.FILES_FAILED if problems else ExitCode.OK


def cmd_build_site(args, settings) -> int:
    rebuild_site(settings, open_db(settings))
    print(settings.paths.site / "index.html")
    return ExitCode.OK


def cmd_serve(args, settings) -> int:
    from .site.serve import make_server, site_url, stored_files

    db = open_db(settings)
    if not args.no_build:
        rebuild_site(settings, db)
    server = make_server(settings.paths.site, settings.paths.archive, port=args.port, archive_allows=stored_files(db))
    print(f"serving {settings.paths.site} at {site_url(server)} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return ExitCode.OK


def cmd_train_ocr(args, settings) -> int:
    from training import train  # in a checkout: training/ sits beside the package

    train.main(args.train_args)
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manage.py", description="archiver: a searchable archive of scanned 公文")
    p.add_argument("--config", type=Path, default=None, help="config file (default: $ARCHIVER_CONFIG, else ./config.yaml, else the one beside manage.py)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _archiving_commands(sub)
    _reading_commands(sub)
    _upkeep_commands(sub)
    return p


def _archiving_commands(sub) -> None:
    """Commands that take files in: watch, worker, ingest, ocr."""
    c = sub.add_parser("watch", help="watch the inbox and archive every file dropped there")
    c.add_argument("--max-seconds", type=float, default=None, help="stop after this long (tests, cron)")
    c.set_defaults(func=cmd_watch)
    c = sub.add_parser("worker", help="take queued files from Celery and archive them (queue: celery)")
    c.set_defaults(func=cmd_worker)
    c = sub.add_parser("ingest", help="archive files and folders now, with a progress bar")
    c.add_argument("paths", nargs="+")
    c.add_argument("--workers", type=int, default=None, help="analysis processes (default: config workers)")
    c.add_argument("--move", action="store_true", help="remove each file once stored (as the inbox does)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=cmd_ingest)
    c = sub.add_parser("ocr", help="print the text of files without storing them")
    c.add_argument("files", nargs="+")
    c.add_argument("--lines", action="store_true", help="each image is one text line: path<TAB>text<TAB>confidence")
    c.add_argument("--force-ocr", action="store_true", help="OCR PDF pages even when they carry a text layer")
    c.set_defaults(func=cmd_ocr)


def _reading_commands(sub) -> None:
    """Commands that read the archive: search, show, explain, stats, duplicates."""
    c = sub.add_parser("search", help="full-text search: terms (AND), OR, NOT/-term, \"phrases\"")
    c.add_argument("query", nargs="*", help="words to find; may be left out when a filter is given")
    c.add_argument("--category")
    c.add_argument("--type", help="文种, e.g. 通知")
    c.add_argument("--issuer", help="发文机关 contains this, e.g. 人民政府")
    c.add_argument("--doc-no", dest="doc_no", help="发文字号 contains this, e.g. 国办发 or 〔2024〕")
    c.add_argument("--year", type=int)
    c.add_argument("--from", dest="date_from", help="成文日期 from (YYYY-MM-DD)")
    c.add_argument("--to", dest="date_to", help="成文日期 to (YYYY-MM-DD)")
    c.add_argument("--limit", type=int, default=20)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_search)
    c = sub.add_parser("show", help="one stored document")
    c.add_argument("id", type=int)
    c.add_argument("--text", action="store_true", help="print the text too")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_show)
    c = sub.add_parser("explain", help="a document's 公文 fields with their source text, 档号, rules fired and why")
    c.add_argument("id", type=int)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_explain)
    for name, func, hlp in (("stats", cmd_stats, "counts"), ("duplicates", cmd_duplicates, "near-duplicate groups")):
        c = sub.add_parser(name, help=hlp)
        c.add_argument("--json", action="store_true")
        c.set_defaults(func=func)


def _upkeep_commands(sub) -> None:
    """Commands that maintain or publish the archive: reclassify, migrate, check, build-site, serve, web, token,
    train-ocr."""
    c = sub.add_parser("reclassify", help="re-apply rules/ to stored documents (no OCR)")
    c.set_defaults(func=cmd_reclassify)
    c = sub.add_parser("migrate", help="create or upgrade the database schema")
    c.add_argument("--revision", default="head")
    c.add_argument("--downgrade", metavar="REV", help="downgrade to REV (e.g. base)")
    c.set_defaults(func=cmd_migrate)
    c = sub.add_parser("check", help="verify archive files, database rows and the search index agree")
    c.add_argument("--repair", action="store_true", help="fix what can be fixed (index rows, temp files, orphans)")
    c.set_defaults(func=cmd_check)
    c = sub.add_parser("build-site", help="render the static HTML index")
    c.set_defaults(func=cmd_build_site)
    c = sub.add_parser("serve", help="serve the HTML index on 127.0.0.1 (builds it first)")
    c.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    c.add_argument("--no-build", action="store_true", help="serve site/ as it is")
    c.set_defaults(func=cmd_serve)
    c = sub.add_parser("web", help="the web server: upload, live states, search, documents, REST API (/api/v1)")
    c.add_argument("--host", default=None, help="address to listen on (default: web.host, 127.0.0.1)")
    c.add_argument("--port", type=int, default=None, help="port (default: web.port, 8000; 0: any free port)")
    c.add_argument("--no-watch", action="store_true", help="do not watch the inbox here (a daemon does)")
    c.set_defaults(func=cmd_web)
    c = sub.add_parser("token", help="tokens for the web API: create NAME | list | revoke NAME")
    c.add_argument("action", choices=("create", "list", "revoke"))
    c.add_argument("name", nargs="?")
    c.set_defaults(func=cmd_token)
    c = sub.add_parser("train-ocr", help="train the recogniser (see python -m training.train --help)")
    c.add_argument("train_args", nargs=argparse.REMAINDER)
    c.set_defaults(func=cmd_train_ocr)


def negations_as_terms(argv: list[str]) -> list[str]:
    """`search -预算`: a query term written with a leading minus (NOT) is a term, not an unknown option.
    After the word `search`, a token of one `-` and more that is not one of search's own options (only
    -h is short) is rewritten `NOT <term>`; `--` still ends the options as usual."""
    out, in_search, ended = [], False, False
    for tok in argv:
        if in_search and not ended and tok.startswith("-") and not tok.startswith("--") and len(tok) > 1 \
                and tok != "-h":
            tok = "NOT " + tok[1:]  # a token with a space is never taken for an option
        if tok == "--" and in_search:
            ended = True
        in_search = in_search or tok == "search"
        out.append(tok)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = negations_as_terms(sys.argv[1:] if argv is None else list(argv))
    args = build_parser().parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    # Names and messages from outside (file names above all) never reach the log raw: no forged lines.
    handler.setFormatter(ShownFormatter("%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[handler])
    for noisy in ("alembic", "watchdog", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = config_mod.load(config_path(args.config))
        code = args.func(args, settings)
        sys.stdout.flush()  # inside the try: a reader that left (| head) is met here, not at exit
        return code
    except ArchiverError as exc:
        print(f"error: {shown(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `manage.py stats | head`: the reader has gone; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
        return ExitCode.BROKEN_PIPE  # 128 + SIGPIPE, as a shell reports a writer its pipe closed on

