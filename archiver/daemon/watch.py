"""`manage.py watch`: a watchdog observer feeds paths to the readiness tracker; ready files are
processed one at a time; a periodic rescan catches missed events; SIGINT/SIGTERM finish the
current document and stop."""
from __future__ import annotations

import errno
import logging
import os
import queue
import signal
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from archiver.config import Settings
from archiver.errors import ArchiverError
from archiver.ingest.intake import kind_of
from archiver.pipeline import Outcome, Pipeline, Status
from archiver.shown import shown

from .readiness import Readiness, candidates, escapes, ignored
from .recovery import recover

log = logging.getLogger("archiver")


class _Events(FileSystemEventHandler):
    def __init__(self, q: "queue.Queue[Path]"):
        self.q = q

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for attr in ("src_path", "dest_path"):
            p = getattr(event, attr, None)
            if p:
                self.q.put(Path(p))


def _identity(path: Path) -> tuple | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mode, st.st_mtime_ns


class Watcher:
    def __init__(self, settings: Settings, pipeline: Pipeline, after: Callable[[list[Outcome]], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, dispatch: Callable[[Path], Outcome] | None = None,
                 periodic: Callable[[], None] | None = None):
        self.settings = settings
        self.pipeline = pipeline
        self.after = after  # called after a batch of documents, e.g. to rebuild the site
        self.dispatch = dispatch  # queue: celery: registers and enqueues a ready file instead of processing it
        self.periodic = periodic  # called at each rescan (queue: celery: rebuild the site if workers stored any)
        self.ready = Readiness(settings.watch.stable_seconds, clock, settings.watch.empty_seconds)
        self.events: "queue.Queue[Path]" = queue.Queue()
        self.stop = threading.Event()
        self._signalled = False  # set by the signal handler, which must not touch a lock (see below)
        self._left: dict[Path, tuple] = {}  # refused paths that could not be moved, by identity: logged once
        self.clock = clock

    def rescan(self) -> None:
        for p in candidates(self.settings.paths.inbox):
            self.ready.observe(p)

    def drain(self) -> None:
        while True:
            try:
                p = self.events.get_nowait()
            except queue.Empty:
                return
            inbox = self.settings.paths.inbox
            if os.path.lexists(p) and not (p.is_dir() and not p.is_symlink()) and not ignored(p) and inbox in p.parents:
                self.ready.observe(p)

    def step(self) -> list[Outcome]:
        """Process every file that is ready now; stop early when asked to stop."""
        self.drain()
        done = []
        for path in self.ready.ready():
            if self.stopping:
                break
            self.ready.forget(path)
            if not os.path.lexists(path) or self._left.get(path) == _identity(path):
                continue
            outcome = self._process(path, self.refusal(path))
            if outcome.status == Status.HELD:  # queued or in a worker's hands already: seen again at each rescan
                log.debug(outcome.message)
                continue
            log.info(outcome.log_line())
            done.append(outcome)
        if done and self.after:
            try:
                self.after(done)
            except Exception:  # a failed site build must not stop the daemon; documents are stored
                log.exception("after-ingest step failed")
        return done

    def refusal(self, path: Path) -> str | None:
        """Why a path in the inbox must not be read at all, or None: a symlink out of the inbox, dangling
        or looping, or to something that is no file; a pipe, socket or device (opening a FIFO would block)."""
        name = shown(path.name)
        try:
            if not path.is_symlink():
                what = kind_of(path.lstat().st_mode)
                return f"{name}: {what}, not a file: set aside without being opened" if what else None
            target = shown(os.readlink(path))
            mode = path.stat().st_mode  # follows the link; stat() opens nothing, so a FIFO target is safe
        except OSError as exc:
            if not path.is_symlink():
                return None  # gone meanwhile
            if exc.errno == errno.ELOOP:
                return f"{name}: a symlink that loops ({target}): refused, moved aside as a link"
            return f"{name}: a symlink to {target}, which does not exist: refused, moved aside as a link"
        if escapes(path, self.settings.paths.inbox):
            return f"{name}: a symlink to {shown(os.path.realpath(path))}, outside the inbox: refused, its target was not read"
        what = kind_of(mode)
        if what:
            return f"{name}: a symlink to {what} ({target}): refused, its target was not read"
        return None

    def _process(self, path: Path, refusal: str | None) -> Outcome:
        """pipeline.process, which handles every error of the document itself; an error beyond that (the
        failed/ folder unwritable, say) leaves the file in the inbox for the next rescan, never stops us."""
        try:
            if refusal:
                return self.pipeline.fail(path, refusal, time.monotonic())
            if self.dispatch is not None:
                return self.dispatch(path)
            return self.pipeline.process(path)
        except Exception as exc:
            if refusal:  # e.g. a pipe that cannot be moved to failed/ (another file system): left, logged once
                self._left[path] = _identity(path)
                log.error("%s; could not move it to failed/ (%s): left in the inbox", refusal, shown(exc))
                return Outcome(path, Status.FAILED, message=refusal)
            log.exception("could not process or set aside %s", shown(path))
            return Outcome(path, Status.RETRY, message=f"{shown(path.name)}: {type(exc).__name__}: {shown(exc)}; will try again")

    def run(self, max_seconds: float | None = None) -> None:
        inbox = self.settings.paths.inbox
        inbox.mkdir(parents=True, exist_ok=True)
        observer = (PollingObserver(timeout=self.settings.watch.poll_interval) if self.settings.watch.polling
                    else Observer())
        observer.schedule(_Events(self.events), str(inbox), recursive=True)
        observer.start()
        log.info("watching %s (%s), archive %s", inbox, "polling" if self.settings.watch.polling else "events",
                 self.settings.paths.archive)
        started = last_scan = self.clock()
        if self.dispatch is None:
            try:  # before any new work: clear what a crash left half-done
                recover(self.settings, self.pipeline.db)
            except ArchiverError as exc:  # the database busy, say: the debris waits for the next start
                log.warning("recovery skipped: %s", exc.message)
        else:  # workers elsewhere may be mid-store: files they are writing are not debris
            log.info("queue: celery: start-up clean-up left to `manage.py check --repair` with the workers stopped")
        self.rescan()  # files already there at start
        try:
            while not self.stopping:
                now = self.clock()
                if now - last_scan >= self.settings.watch.rescan_seconds:
                    self.rescan()
                    last_scan = now
                    if self.periodic is not None:
                        self._periodic()
                self.step()
                if max_seconds is not None and now - started >= max_seconds:
                    break
                self.stop.wait(0.5)
        finally:
            observer.stop()
            observer.join(timeout=5)
            log.info("stopped")

    def _periodic(self) -> None:
        try:
            self.periodic()
        except Exception:  # like `after`: a failed site build must not stop the daemon
            log.exception("periodic step failed")

    @property
    def stopping(self) -> bool:
        return self._signalled or self.stop.is_set()

    def install_signal_handlers(self) -> None:
        def handler(signum, _frame):
            # Only a plain assignment here. Event.set() takes the Event's lock, and a signal that lands while
            # the main thread holds it (entering or leaving stop.wait) deadlocks the daemon for good: a
            # SIGTERM'd daemon hung like that once in the crash test. The loop sees the flag within 0.5 s.
            self._signalled = True
            log.info("signal %s: finishing the current document, then stopping", signal.Signals(signum).name)

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
