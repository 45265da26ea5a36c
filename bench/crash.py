"""Crash: a real `manage.py watch` killed with SIGKILL at random moments, round after round, while good
documents and hostile arrivals come in; then the invariants, in a table.

    python -m bench.crash [--rounds 25] [--docs 40] [--seed 1] [--work DIR] [--out docs/benchmarks.md]

Each round starts the daemon and kills it with SIGKILL: one round in five at a random moment of its
first 2.5 s (imports, migrations, the site check, recovery), the others 0-2 s after it says it is watching
(recovery, reading, OCR, storing, the site build, or idle); between rounds, while it is down, new files are dropped in the inbox.
The mix: good documents (1-3 page text-layer PDFs, every fifth a scan that goes through OCR), one of them
under a name that is not UTF-8, and hostile arrivals: a named pipe, bad bytes under an 80-hanzi name and
under a name that forges a log line, a dangling and a looping symlink, a truncated PDF.
After every kill: nothing lost, nothing stored twice. At the end the daemon runs until the inbox is empty
and is stopped with SIGTERM; then every good document is stored exactly once (sha256 unique), every hostile
arrival is in failed/ once with its reason file and one failure row, the inbox is empty, `manage.py check`
is clean, no scratch folder is left in the work folder, the site is whole and no log holds a traceback.
Exit status 0 when every invariant holds.

`kill_loop` is the loop of tests/test_crash.py::test_random_kill_9_loop too."""
from __future__ import annotations

import argparse
import math
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bench import badfiles, soak
from bench.report import write_section
from tests.support.crashkit import (Daemon, assert_nothing_lost_nothing_twice, assert_site_whole, db_location,
                                    stored_shas)

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ("fifo", "long-name", "forged-log-name", "dangling-symlink", "looping-symlink", "truncated-pdf")
STARTUP_KILLS = 0.2  # share of the rounds killed during start-up
STARTUP_S = 2.5  # a random moment of the first STARTUP_S seconds of such a round
WINDOW_S = 2.0  # the other rounds: a random moment of the first WINDOW_S seconds after "watching"


@dataclass
class Loop:
    rounds: int = 0
    kills: int = 0  # SIGKILLs that hit a live daemon
    in_startup: int = 0  # of them, before it was watching (start-up recovery comes just after)
    mid_document: int = 0  # of them, after it was watching and while a job it had begun was running
    problems: list[str] = field(default_factory=list)


def running_jobs(where: Path | str, since: float) -> int:
    """Jobs taken in at or after the time `since` (whole seconds: jobs.updated_at's precision) whose outcome
    has not committed, read without the archiver's code."""
    from sqlalchemy import create_engine, text

    stamp = datetime.fromtimestamp(math.ceil(since), timezone.utc).isoformat(timespec="seconds")
    engine = create_engine(where if isinstance(where, str) else f"sqlite:///{where}")
    try:
        with engine.connect() as con:
            return con.execute(text("SELECT count(*) FROM jobs WHERE state = 'running' AND updated_at >= :t"),
                               {"t": stamp}).scalar() or 0
    except Exception:  # killed before the first migration finished: no table yet
        return 0
    finally:
        engine.dispose()


def kill_loop(cfg: Path, inbox: Path, db: Path | str, present: dict[str, str], rounds: int, rng: random.Random,
              logs: Path, between: Callable[[int], dict[str, str]] = lambda _round: {},
              startup_kills: float = 0.0, window: float = 1.5) -> Loop:
    """`rounds` times: start `manage.py watch`, kill it with SIGKILL at a random moment (a share
    `startup_kills` of the rounds during start-up, the others within `window` seconds after "watching"),
    check that none of `present` (name -> sha256 of the good documents dropped so far) is lost or stored
    twice, then call between(round), which may drop files and returns the good ones it dropped.
    A daemon that does not reach "watching" in 90 s or exits by itself is a problem, as is a broken invariant."""
    out = Loop(rounds=rounds)
    present = dict(present)
    for r in range(rounds):
        started = time.time()  # after the last kill; this round's jobs begin after its start-up (over a second)
        d = Daemon(cfg, logs / f"round{r:02d}.log")
        if startup_kills and rng.random() < startup_kills:
            time.sleep(rng.uniform(0.0, STARTUP_S))
        else:
            if not d.wait_for("watching", 90):
                out.problems.append(f"round {r}: not watching after 90 s: {d.text()[-2000:]}")
            time.sleep(rng.uniform(0.0, window))
        alive = d.proc.poll() is None
        watching = "watching" in d.text()
        busy = alive and watching and running_jobs(db, started) > 0
        d.kill()
        if not alive:
            out.problems.append(f"round {r}: the daemon exited by itself with status {d.proc.returncode}: "
                                f"{d.text()[-2000:]}")
        else:
            out.kills += 1
            out.in_startup += not watching
            out.mid_document += busy
        try:
            assert_nothing_lost_nothing_twice(present, inbox, db)
        except AssertionError as e:
            out.problems.append(f"after kill {r + 1}: {e}")
        present.update(between(r))
    return out


@dataclass
class Arrival:
    name: str
    kind: str  # good | non-utf8-name (good too) | one of HOSTILE
    sha256: str = ""
    pages: int = 0

    @property
    def good(self) -> bool:
        return bool(self.sha256)


class Feed:
    """Builds the arrivals and drops them in the inbox in portions."""

    def __init__(self, work: Path, docs: int, rng: random.Random):
        self.inbox, self.gen = work / "inbox", work / "generated"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.gen.mkdir(exist_ok=True)
        self.rng = rng
        kinds = ["good"] * (docs - 1) + ["non-utf8-name"] + list(HOSTILE)
        rng.shuffle(kinds)
        self.plan = list(enumerate(kinds))
        self.dropped: list[Arrival] = []

    def drop(self, count: int) -> dict[str, str]:
        """The next `count` arrivals into the inbox; name -> sha256 of the good ones."""
        batch, self.plan = self.plan[:count], self.plan[count:]
        new = [self.arrive(n, kind) for n, kind in batch]
        self.dropped += new
        return {a.name: a.sha256 for a in new if a.good}

    def arrive(self, n: int, kind: str) -> Arrival:
        name, rng = f"{n:05d}-{kind}", self.rng
        if kind == "good":
            if n % 5 == 0:  # a scan: OCR, so kills land in recognition too
                src = soak.scan_png(self.gen / f"{name}.png", soak.document_lines(rng, n, 1)[:4])
                item = Arrival(src.name, kind, soak.sha256(src), 1)
            else:
                count = rng.randint(1, 3)
                src = soak.text_pdf(self.gen / f"{name}.pdf", [soak.document_lines(rng, n, p) for p in range(1, count + 1)])
                item = Arrival(src.name, kind, soak.sha256(src), count)
            soak.drop(self.inbox, src, item.name)
            return item
        if kind == "truncated-pdf":
            whole = soak.text_pdf(self.gen / f"{name}-whole.pdf", [soak.document_lines(rng, n, 1)])
            src = badfiles.truncated(whole, self.gen / f"{name}.pdf", rng.uniform(0.2, 0.9))
            soak.drop(self.inbox, src, src.name)
            return Arrival(src.name, kind)
        it = soak.hostile(kind, name, self.inbox, self.gen, rng, n)  # the soak's hostile arrivals
        return Arrival(it.name, kind, it.sha256, it.pages)


def finish(cfg: Path, inbox: Path, db: Path | str, good: int, log: Path, timeout: float) -> list[str]:
    """Run the daemon until the inbox is empty and every good document is stored, then SIGTERM it."""
    problems = []
    d = Daemon(cfg, log)
    if not d.wait_for("watching", 90):
        problems.append(f"final run: not watching after 90 s: {d.text()[-2000:]}")
    end = time.monotonic() + timeout
    while time.monotonic() < end and (os.listdir(inbox) or len(stored_shas(db)) < good):
        time.sleep(0.3)
    if os.listdir(inbox):
        problems.append(f"final run: the inbox was not empty after {timeout:.0f} s")
    time.sleep(1.5)  # the site build after the last document
    rc = d.stop()
    if rc != 0:
        problems.append(f"final run: exit status {rc} on SIGTERM")
    return problems


def report(work: Path, cfg: Path, arrivals: list[Arrival], loop: Loop, problems: list[str], seconds: float,
           final_s: float) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """(what, figure, holds) rows of the table, and every broken invariant in words."""
    from archiver import config
    from archiver.app import open_db
    from archiver.archive_files import failed_name
    from archiver.shown import shown

    s = config.load(cfg)
    rows: list[tuple[str, str, bool]] = []
    broken = list(problems) + list(loop.problems)
    db = open_db(s)
    with db.engine.connect() as con:
        docs = con.exec_driver_sql("SELECT sha256, page_count FROM documents").fetchall()
        failures: dict[str, int] = dict(con.exec_driver_sql(
            "SELECT original_name, count(*) FROM failures GROUP BY original_name").fetchall())
        running = con.exec_driver_sql("SELECT count(*) FROM jobs WHERE state = 'running'").scalar()
    db.close()
    good = [a for a in arrivals if a.good]
    bad = [a for a in arrivals if not a.good]
    shas = [r[0] for r in docs]
    twice = len(shas) - len(set(shas))
    stored = sum(a.sha256 in set(shas) for a in good)
    failed = s.paths.failed
    in_failed = sorted(os.listdir(failed)) if failed.is_dir() else []
    expected = {failed_name(a.name) for a in bad}
    expected |= {n + ".reason.txt" for n in expected}
    once = [a for a in bad if os.path.lexists(failed / failed_name(a.name))
            and (failed / (failed_name(a.name) + ".reason.txt")).is_file() and failures.get(shown(a.name)) == 1]
    extra = [n for n in in_failed if n not in expected]
    lost = [a.name for a in good if a.sha256 not in set(shas)] + [a.name for a in bad if a not in once]
    kills = (f"{loop.kills} in {loop.rounds} rounds: {loop.in_startup} before it was watching (imports, database, "
             f"site), {loop.mid_document} with a document in progress, {loop.kills - loop.in_startup - loop.mid_document} "
             "at other moments (recovery, waiting for a file to settle, site build, idle)")
    rows.append(("kills (SIGKILL, then a restart)", kills, loop.kills == loop.rounds))
    pages = sum(r[1] for r in docs)
    rows.append(("good documents stored, each once", f"{stored} of {len(good)} ({len(docs)} rows, "
                 f"{len(set(shas))} distinct sha256, {pages} pages)", stored == len(good) == len(docs) and not twice))
    rows.append(("hostile arrivals in failed/ once, with reason file and failure row",
                 f"{len(once)} of {len(bad)} ({', '.join(sorted(a.kind for a in bad))})", len(once) == len(bad)))
    rows.append(("lost (neither archived nor in failed/ with its reason)", ", ".join(map(shown, lost)) or "none", not lost))
    rows.append(("anything else in failed/", ", ".join(map(shown, extra)) or "nothing", not extra))
    left = os.listdir(s.paths.inbox)
    rows.append(("inbox", "empty" if not left else f"{len(left)} left", not left))
    chk = subprocess.run([sys.executable, str(ROOT / "manage.py"), "--config", str(cfg), "check"],
                         capture_output=True, text=True, timeout=300)
    last = (chk.stdout.strip().splitlines() or [chk.stderr.strip()])[-1]
    rows.append(("`manage.py check`", f"exit {chk.returncode}: {last}", chk.returncode == 0))
    if chk.returncode:
        broken.append(f"manage.py check: {chk.stdout}{chk.stderr}")
    scratch = os.listdir(s.paths.work) if s.paths.work.is_dir() else []
    rows.append(("scratch folders left in the work folder", str(len(scratch)), not scratch))
    rows.append(("jobs still marked running", str(running), running == 0))
    try:
        assert_site_whole(s.paths.site)
        site = "whole (no temp file, every page complete)"
    except AssertionError as e:
        site = f"broken: {e}"
    rows.append(("site", site, site.startswith("whole")))
    logs = sorted(work.glob("logs/*.log"))
    traced = [p.name for p in logs if "Traceback" in p.read_text(encoding="utf-8", errors="replace")]
    rows.append(("tracebacks in the logs", f"{len(traced)} of {len(logs)} logs" + (f" ({', '.join(traced)})" if traced else ""),
                 not traced))
    rows.append(("seconds", f"{seconds:.0f} ({seconds - final_s:.0f} kill loop, {final_s:.0f} final run to an "
                 "empty inbox and SIGTERM)", True))
    broken += [f"{what}: {figure}" for what, figure, ok in rows if not ok]
    return rows, broken


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=25, help="kill -9 rounds")
    ap.add_argument("--docs", type=int, default=40, help="good documents (one of them under a non-UTF-8 name)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="keep the archive and logs here (default: a temp folder)")
    ap.add_argument("--timeout", type=float, default=600, help="the final run's limit to empty the inbox, seconds")
    ap.add_argument("--out", type=Path, default=None, help="write the table into this markdown file (docs/benchmarks.md)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="crash-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "logs").mkdir(exist_ok=True)
    rng = random.Random(args.seed)
    cfg = soak.write_config(work, site=True)
    from archiver import config

    db = db_location(config.load(cfg))
    feed = Feed(work, max(1, args.docs), rng)
    total = len(feed.plan)
    first = feed.drop(total // 3)  # waiting in the inbox at the first start; the rest arrive between rounds
    per_round = [len(feed.plan) * (r + 1) // (args.rounds + 1) - len(feed.plan) * r // (args.rounds + 1)
                 for r in range(args.rounds + 1)]  # the last portion arrives before the final run
    load = os.getloadavg()[0]
    print(f"crash: {args.rounds} rounds, {total} arrivals ({args.docs} good documents, {len(HOSTILE)} hostile), "
          f"seed {args.seed}, work folder {work}", flush=True)
    t0 = time.monotonic()
    loop = kill_loop(cfg, feed.inbox, db, first, args.rounds, rng, work / "logs",
                     between=lambda r: feed.drop(per_round[r]), startup_kills=STARTUP_KILLS, window=WINDOW_S)
    feed.drop(len(feed.plan))
    t1 = time.monotonic()
    good = sum(a.good for a in feed.dropped)
    problems = finish(cfg, feed.inbox, db, good, work / "logs" / "final.log", args.timeout)
    seconds = time.monotonic() - t0
    rows, broken = report(work, cfg, feed.dropped, loop, problems, seconds, time.monotonic() - t1)
    scans = sum(a.name.endswith(".png") for a in feed.dropped)
    head = (f"{args.rounds} rounds, seed {args.seed}: {total} arrivals, {good} good documents "
            f"({sum(a.pages for a in feed.dropped)} pages, {scans} scans through OCR, one named in non-UTF-8 bytes) "
            f"and {len(HOSTILE)} hostile; {os.cpu_count()} CPUs, load average {load:.1f} at the start")
    table = ["| | figure | holds |", "|---|---|:---:|"]
    table += [f"| {what} | {figure.replace('|', '/')} | {'yes' if ok else '**NO**'} |" for what, figure, ok in rows]
    verdict = "invariants: " + ("all hold" if not broken else f"{len(broken)} broken")
    print(head)
    print("\n".join(table))
    for b in broken:
        print(f"INVARIANT BROKEN: {b}")
    print(verdict)
    if args.out:
        command = "python -m bench.crash " + shlex.join(argv)
        write_section(args.out, "crash", "## Crash: kill -9 loop with hostile arrivals (`python -m bench.crash`)\n\n"
                      f"`{command.strip()}`\n\n{head}.\n\n" + "\n".join(table) + f"\n\n{verdict}\n")
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
