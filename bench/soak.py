"""Soak: feed generated documents through a real `manage.py watch` process while injecting faults at
random, then check that nothing was lost, nothing stored twice, nothing left half-done; print pages per
minute and the daemon's memory as the archive grows.

    python -m bench.soak [--pages 2000] [--fault-rate 0.05] [--seed 1] [--work DIR] [--no-site]

Faults (each drawn item is a fault with probability --fault-rate; the kinds are dealt round-robin from a
shuffled list, so a short run still meets every kind): kill -9 of the daemon at a random moment (it is
restarted at once), the database held by another writer past database.busy_timeout, a copy spread over
seconds, the same bytes dropped again, a symlink out of the inbox, bad files (random bytes, zero
bytes, truncated PDF, encrypted PDF, a zip named .pdf, a 20,000-page PDF, a 30,000² image), and hostile
arrivals: a named pipe, a document whose name is not UTF-8, bad bytes under an 80-hanzi name and under
a name that forges a log line, dangling and looping symlinks.
Exit status 0 when every invariant holds."""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import badfiles
from bench.report import write_section
from training import fonts
from archiver.resources import RULES, TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
FONT = fonts.path_of("WenQuanYi Zen Hei")
BAD_KINDS = ("random-bytes", "zero-bytes", "truncated-pdf", "encrypted-pdf", "zip-as-pdf", "page-count-bomb",
             "huge-image")
HOSTILE_KINDS = ("fifo", "non-utf8-name", "long-name", "forged-log-name", "dangling-symlink", "looping-symlink")
FAULT_KINDS = BAD_KINDS + HOSTILE_KINDS + ("kill-9", "db-locked", "slow-copy", "same-bytes-again", "symlink-out")
NON_UTF8 = b"\xb0\xa1\xff"  # GBK-era bytes that are no UTF-8
PHRASES = ["关于加强", "安全生产", "工作的通知", "各区县人民政府", "市政府各部门", "现将有关事项通知如下", "请认真贯彻落实",
           "财政预算", "防汛防台", "信息公开", "档案管理", "疫情防控", "节能减排", "人才引进", "消防检查", "交通整治",
           "垃圾分类", "专项资金", "绩效评价", "政府采购", "值班安排", "请示", "批复", "函", "会议纪要", "特此通知",
           "抄送", "印发", "联系人", "联系电话"]


@dataclass
class Item:
    name: str
    kind: str  # "good" or a fault kind
    sha256: str = ""
    pages: int = 0
    expect: str = "stored"  # stored | failed | duplicate-of-earlier | refused


@dataclass
class Memory:
    """VmRSS samples of the daemon, with how many documents were stored when each was taken."""

    samples: list[tuple[int, float]] = field(default_factory=list)  # (documents stored, RSS MB)
    peak_mb: float = 0.0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_config(work: Path, site: bool) -> Path:
    cfg = work / "config.yaml"
    cfg.write_text(
        f"database: {{url: sqlite:///archive/archive.db, busy_timeout: 1}}\n"
        f"ocr: {{weights: '{ROOT / 'archiver/ocr/weights'}', threads: 1}}\n"
        f"rules: {{folder: '{RULES}'}}\n"
        f"site: {{auto_build: {'true' if site else 'false'}, templates: '{TEMPLATES}'}}\n"
        "watch: {stable_seconds: 0.5, rescan_seconds: 2, empty_seconds: 5, settle_seconds: 5, max_interrupted: 100}\n",
        encoding="utf-8")
    return cfg


def text_pdf(path: Path, pages: list[list[str]], size: int = 14, leading: int = 26, top: int = 80) -> Path:
    """An A4 PDF with a text layer, one list of lines per page, in WenQuanYi Zen Hei."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(FONT), subfontIndex=0))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for lines in pages:
        y = A4[1] - top
        for line in lines:
            c.setFont("WQY", size)
            c.drawString(60, y, line)
            y -= leading
        c.showPage()
    c.save()
    return path


def scan_png(path: Path, lines: list[str]) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1240, 700), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), 40)
    for i, line in enumerate(lines):
        d.text((100, 100 + 80 * i), line, font=font, fill=20)
    img.save(path)
    return path


def document_lines(rng: random.Random, n: int, page: int) -> list[str]:
    head = [f"某市{rng.choice(PHRASES)}文件 某发〔{rng.randint(2000, 2025)}〕{n}号 第{page}页"]
    return head + ["".join(rng.choice(PHRASES) for _ in range(rng.randint(2, 4))) + f"（{n}-{page}-{i}）"
                   for i in range(rng.randint(4, 12))]


class Daemon:
    def __init__(self, cfg: Path, log: Path):
        self.log = open(log, "a", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "--config", str(cfg), "watch"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=120)


def stored_count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def watch_memory(get_pid, db: Path, mem: Memory, stop: threading.Event) -> None:
    last = 0
    while not stop.wait(0.5):
        try:
            status = Path(f"/proc/{get_pid()}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        mem.peak_mb = max(mem.peak_mb, int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
        n = stored_count(db)
        last = n if n >= 0 else last
        mem.samples.append((last, rss))


def plan(pages: int, rate: float, rng: random.Random) -> list[tuple[str, int]]:
    """(kind, pages) of the items to drop: good documents until `pages` pages, faults mixed in at `rate`.
    A good document is a 1-5 page text-layer PDF, or every 25th item a one-page scan that needs OCR."""
    kinds = list(FAULT_KINDS)
    rng.shuffle(kinds)
    out: list[tuple[str, int]] = []
    dealt = total = 0
    while total < pages:
        if out and rng.random() < rate:  # the first item is a document, so a repeat has something to repeat
            out.append((kinds[dealt % len(kinds)], 0))
            dealt += 1
        else:
            count = 1 if len(out) % 25 == 0 else rng.randint(1, 5)
            out.append(("good", count))
            total += count
    return out


def hostile(kind: str, name: str, inbox: Path, gen: Path, rng: random.Random, n: int) -> Item:
    """A hostile arrival (see HOSTILE_KINDS), placed in the inbox; what should become of it."""
    if kind == "fifo":
        os.mkfifo(inbox / f"{name}.pdf")
        return Item(f"{name}.pdf", kind, expect="failed")
    if kind == "non-utf8-name":  # a real document: stored, under an escaped name
        src = text_pdf(gen / f"{name}.pdf", [document_lines(rng, n, 1)])
        item = Item(os.fsdecode(NON_UTF8 + name.encode() + b".pdf"), kind, sha256=sha256(src), pages=1)
        drop(inbox, src, item.name)
        return item
    if kind == "long-name":
        item_name = f"{n:05d}" + ("关于加强安全生产工作的通知" * 7)[:80] + ".pdf"  # 80 hanzi: 249 bytes
    elif kind == "forged-log-name":
        item_name = f"{name}.pdf\n00:00:00 INFO stored id=999 forged.pdf\x1b[2K.pdf"
    else:
        item_name = f"{name}.pdf"
    if kind == "dangling-symlink":
        (inbox / item_name).symlink_to(gen / f"{name}-never-written.pdf")
    elif kind == "looping-symlink":
        (inbox / item_name).symlink_to(inbox / item_name)
    elif kind == "long-name":  # written in place: with ".part" the name would pass 255 bytes itself
        badfiles.random_bytes(inbox / item_name, rng.randint(100, 5000), seed=n)
    else:
        drop(inbox, badfiles.random_bytes(gen / f"{name}.bin", rng.randint(100, 5000), seed=n), item_name)
    return Item(item_name, kind, expect="failed")


def drop(inbox: Path, src: Path, name: str) -> None:
    """As a scanner that writes under a temp name and renames (the common, quick case)."""
    part = inbox / (name + ".part")
    shutil.copyfile(src, part)
    part.rename(inbox / name)


class Feeder:
    """Drops the planned items into the inbox, one by one, keeping the daemon alive and its deaths noted."""

    def __init__(self, work: Path, cfg: Path, rng: random.Random):
        self.work, self.cfg, self.rng = work, cfg, rng
        self.inbox, self.gen, self.outside = work / "inbox", work / "generated", work / "outside"
        for d in (self.inbox, self.gen, self.outside):
            d.mkdir(exist_ok=True)
        self.db = work / "archive" / "archive.db"
        self.items: list[Item] = []
        self.good: list[Item] = []
        self.injected: dict[str, int] = {}
        self.deaths: list[str] = []  # the daemon must only ever stop when we kill it
        self.daemon = Daemon(cfg, work / "daemon.log")

    def keep_alive(self) -> None:
        if self.daemon.proc.poll() is not None:
            self.deaths.append(f"the daemon exited by itself with status {self.daemon.proc.returncode}")
            self.daemon = Daemon(self.cfg, self.work / "daemon.log")

    def feed(self, n: int, kind: str, count: int) -> None:
        """Item n of the plan: a good document of `count` pages, or one fault of the given kind."""
        if kind != "good":
            self.injected[kind] = self.injected.get(kind, 0) + 1
        name = f"{n:05d}-{kind}"
        if kind == "good":
            item = self.good_document(n, name, count)
        elif kind in BAD_KINDS:
            item = self.bad_file(n, name, kind)
        elif kind in HOSTILE_KINDS:
            item = hostile(kind, name, self.inbox, self.gen, self.rng, n)
            if item.expect == "stored":
                self.good.append(item)
        elif kind == "kill-9":
            time.sleep(self.rng.uniform(0, 1.5))
            self.daemon.kill()
            self.daemon = Daemon(self.cfg, self.work / "daemon.log")
            return
        elif kind == "db-locked":
            self.hold_database()
            return
        elif kind == "slow-copy":
            item = self.slow_copy(n, name)
        elif kind == "same-bytes-again":
            item = self.again(name)
            if item is None:
                return
        else:  # symlink-out
            target = text_pdf(self.outside / f"{name}.pdf", [["外部文件，不应归档"]])
            item = Item(f"{name}.pdf", kind, sha256=sha256(target), expect="refused")
            (self.inbox / item.name).symlink_to(target)
        self.items.append(item)

    def good_document(self, n: int, name: str, count: int) -> Item:
        if n % 25 == 0:  # now and then a scan that needs OCR (count is 1)
            src = scan_png(self.gen / f"{name}.png", document_lines(self.rng, n, 1)[:4])
            item = Item(f"{name}.png", "good", pages=1)
        else:
            src = text_pdf(self.gen / f"{name}.pdf", [document_lines(self.rng, n, p) for p in range(1, count + 1)])
            item = Item(f"{name}.pdf", "good", pages=count)
        item.sha256 = sha256(src)
        drop(self.inbox, src, item.name)
        self.good.append(item)
        return item

    def bad_file(self, n: int, name: str, kind: str) -> Item:
        rng, gen = self.rng, self.gen
        src = gen / f"{name}.pdf"
        if kind == "random-bytes":
            badfiles.random_bytes(src, rng.randint(1, 50000), seed=n)
        elif kind == "zero-bytes":
            src.write_bytes(b"")
        elif kind == "truncated-pdf":
            badfiles.truncated(text_pdf(gen / f"{name}-whole.pdf", [document_lines(rng, n, 1)]), src, rng.uniform(0.2, 0.9))
        elif kind == "encrypted-pdf":
            badfiles.encrypted_pdf(src)
        elif kind == "zip-as-pdf":
            badfiles.zip_file(src)
        elif kind == "page-count-bomb":
            badfiles.skeleton_pdf(src, 20000)
        else:
            src = badfiles.huge_png(gen / f"{name}.png", 30000, 30000)
        drop(self.inbox, src, src.name)
        return Item(src.name, kind, expect="failed")

    def hold_database(self) -> None:
        """Another writer holds the database past the daemon's busy_timeout of 1 s, then lets go."""
        wait_until = time.monotonic() + 120
        while stored_count(self.db) < 0 and time.monotonic() < wait_until:  # the daemon is still creating it
            time.sleep(0.2)
        if stored_count(self.db) < 0:
            self.injected["db-locked"] -= 1
            return
        con = sqlite3.connect(self.db, isolation_level=None, timeout=30)
        con.execute("BEGIN IMMEDIATE")
        time.sleep(2.5)
        con.execute("ROLLBACK")
        con.close()

    def slow_copy(self, n: int, name: str) -> Item:
        src = text_pdf(self.gen / f"{name}.pdf", [document_lines(self.rng, n, p) for p in (1, 2)])
        item = Item(src.name, "slow-copy", sha256=sha256(src), pages=2)
        data = src.read_bytes()
        with open(self.inbox / item.name, "wb") as f:  # 8 pieces over ~2 s, gaps under the 0.5 s window
            for i in range(8):
                f.write(data[i * len(data) // 8:(i + 1) * len(data) // 8])
                f.flush()
                time.sleep(0.25)
        self.good.append(item)
        return item

    def again(self, name: str) -> Item | None:
        """The bytes of an earlier good document under a new name: an exact duplicate."""
        if not self.good:
            self.injected["same-bytes-again"] -= 1
            return None
        earlier = self.rng.choice(self.good)
        item = Item(f"{name}-again{Path(earlier.name).suffix}", "same-bytes-again", sha256=earlier.sha256,
                    expect="duplicate-of-earlier")
        drop(self.inbox, next(self.gen.glob(earlier.name)), item.name)
        return item

    def waiting(self) -> int:
        return sum(1 for p in self.inbox.rglob("*") if p.is_file())

    def inbox_empty(self) -> bool:
        return not any(not p.is_dir() or p.is_symlink() for p in self.inbox.rglob("*"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000, help="pages of good documents to feed")
    ap.add_argument("--fault-rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="keep the archive here (default: a temp folder)")
    ap.add_argument("--no-site", action="store_true", help="no HTML rebuild after each batch")
    ap.add_argument("--max-waiting", type=int, default=20, help="files waiting in the inbox before feeding pauses")
    ap.add_argument("--timeout", type=float, default=3600, help="give up (and fail) after this many seconds")
    ap.add_argument("--out", type=Path, default=None, help="write the figures into this markdown file (docs/benchmarks.md)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    cfg = write_config(work, site=not args.no_site)
    kinds = plan(args.pages, args.fault_rate, rng)
    print(f"soak: {len(kinds)} items ({sum(k != 'good' for k, _ in kinds)} faults, "
          f"{sum(c for _, c in kinds)} pages), work folder {work}", flush=True)
    feeder = Feeder(work, cfg, rng)
    mem, stop = Memory(), threading.Event()
    sampler = threading.Thread(target=watch_memory, args=(lambda: feeder.daemon.proc.pid, feeder.db, mem, stop), daemon=True)
    sampler.start()
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    for n, (kind, count) in enumerate(kinds):
        while feeder.waiting() >= args.max_waiting and time.monotonic() < deadline:
            feeder.keep_alive()
            time.sleep(0.2)
        if time.monotonic() >= deadline:
            feeder.deaths.append(f"timed out after {args.timeout:.0f} s with {len(kinds) - n} items not yet fed")
            break
        feeder.feed(n, kind, count)
    while time.monotonic() < deadline and not feeder.inbox_empty():  # the last document lands
        feeder.keep_alive()
        time.sleep(0.5)
    fed_s = time.monotonic() - t0
    time.sleep(3)
    stop.set()
    rc = feeder.daemon.stop()
    lines: list[str] = [f"soak: {args.pages} pages asked, fault rate {args.fault_rate}, seed {args.seed}, "
                        f"site {'on' if not args.no_site else 'off'}"]
    code = report(work, cfg, feeder.items, feeder.good, mem, feeder.injected, fed_s, rc, feeder.deaths, lines)
    print("\n".join(lines[1:]))
    if args.out:
        write_section(args.out, "soak", "## Soak (`python -m bench.soak`)\n\n```\n" + "\n".join(lines) + "\n```\n")
    return code


def report(work: Path, cfg: Path, items: list[Item], good: list[Item], mem: Memory, injected: dict[str, int],
           seconds: float, rc: int, deaths: list[str], lines: list[str]) -> int:
    """Check every invariant; the figures and any broken invariant go to `lines`. Returns the exit status."""
    from archiver import config
    from archiver.archive_files import failed_name
    from archiver.check import check
    from archiver.app import open_db
    from archiver.shown import shown

    settings = config.load(cfg)
    db = open_db(settings)
    problems: list[str] = list(deaths)
    say = lines.append
    with db.engine.connect() as con:
        rows = con.exec_driver_sql("SELECT sha256, page_count FROM documents").fetchall()
        failures = {r[0] for r in con.exec_driver_sql("SELECT original_name FROM failures")}
        running = con.exec_driver_sql("SELECT count(*) FROM jobs WHERE state = 'running'").scalar()
    shas = [r[0] for r in rows]
    if len(shas) != len(set(shas)):
        problems.append(f"{len(shas) - len(set(shas))} documents stored twice")
    missing = [g.name for g in good if g.sha256 not in set(shas)]
    if missing:
        problems.append(f"lost: {missing[:10]}")
    for it in items:
        if it.expect in ("failed", "refused"):
            reason = settings.paths.failed / (failed_name(it.name) + ".reason.txt")
            if shown(it.name) not in failures or not reason.exists():
                problems.append(f"{it.name} ({it.kind}): not in failed/ with a reason and a record")
            if it.expect == "refused" and it.sha256 in set(shas):
                problems.append(f"{it.name}: the symlink's target was archived")
    leftovers = [str(p) for p in settings.paths.inbox.rglob("*")]
    if leftovers:
        problems.append(f"left in the inbox: {leftovers[:5]}")
    problems += [f"check: {p}" for p in check(settings, db)]
    if running:
        problems.append(f"{running} jobs still marked running")
    if settings.site.auto_build:
        tmp = list(settings.paths.site.rglob("*.tmp"))
        half = [p for p in settings.paths.site.rglob("*.html") if not p.read_text(encoding="utf-8").rstrip().endswith("</html>")]
        if tmp or half:
            problems.append(f"site: {len(tmp)} temp files, {len(half)} half-written pages")
    if rc != 0:
        problems.append(f"the daemon exited with {rc} on SIGTERM")
    pages = sum(r[1] for r in rows)
    say(f"documents stored: {len(rows)} ({pages} pages) from {len(good)} good inputs; failed/ holds {len(failures)}")
    say(f"faults injected: {sum(injected.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(injected.items()) if v) + ")")
    say(f"throughput: {pages / seconds * 60:.0f} pages/min ({seconds:.0f} s from first drop to empty inbox)")
    growth_ok = memory_report(mem, len(rows), say)
    if not growth_ok:
        problems.append("memory grew with the number of documents")
    for p in problems:
        say(f"INVARIANT BROKEN: {p}")
    say("invariants: " + ("all hold" if not problems else f"{len(problems)} broken"))
    return 0 if not problems else 1


def memory_report(mem: Memory, documents: int, say) -> bool:
    """Peak RSS, and RSS by tenth of the documents stored; growth is the last tenths against the second/third."""
    say(f"peak memory (VmHWM, any daemon process): {mem.peak_mb:.0f} MB")
    if documents < 200 or not mem.samples:  # a short run is all warm-up (the recogniser loads on the first scan)
        say("memory growth: not judged, fewer than 200 documents")
        return True
    by_tenth: dict[int, list[float]] = {}
    for n, rss in mem.samples:
        by_tenth.setdefault(min(9, n * 10 // documents), []).append(rss)
    medians = {k: statistics.median(v) for k, v in sorted(by_tenth.items())}
    say("RSS median by tenth of documents stored (MB): " + " ".join(f"{k + 1}:{v:.0f}" for k, v in medians.items()))
    early = [medians[k] for k in (1, 2) if k in medians]
    late = [medians[k] for k in (8, 9) if k in medians]
    if not early or not late:
        return True
    ratio = max(late) / max(early)
    say(f"memory growth, last fifth / second-and-third tenths: {ratio:.2f}×")
    return ratio < 1.25


if __name__ == "__main__":
    sys.exit(main())
