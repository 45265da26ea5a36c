"""`manage.py ingest PATH...`: many files at once, analysed by N worker processes, stored by this
one (SQLite has one writer), with a progress bar in pages."""
from __future__ import annotations

import dataclasses
import itertools
import multiprocessing as mp
import os
import queue
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .config import Settings
from .daemon.readiness import candidates, ignored
from .daemon.recovery import recover
from .document import SourceFile
from .errors import ArchiverError
from .ingest import intake, rasterize
from .pipeline import Outcome, Pipeline, analyse, make_reader
from .shown import shown
from .threads import set_threads, worker_threads

_worker_reader = None


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and every non-ignored file under folders named, in order, without repeats."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += list(candidates(p))
        elif os.path.lexists(p) and not ignored(p):  # a pipe or device named here is refused, not skipped
            out.append(p)
        elif not os.path.lexists(p):
            raise ArchiverError(f"{p}: no such file or folder")
    seen: set[Path] = set()
    return [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]


def page_count(source: SourceFile) -> int:
    """Pages the progress bar expects from a file, from its headers (pdfinfo, TIFF frame headers)."""
    try:
        return rasterize.page_count(source)
    except ArchiverError:
        return 1  # it will fail, and count as one step


@dataclass(frozen=True)
class _Job:
    source: SourceFile
    settings: Settings
    rules: tuple


def _reader_for(settings: Settings):
    """One recogniser per process, loaded on the first page that needs OCR."""
    global _worker_reader
    if _worker_reader is None:
        _worker_reader = make_reader(settings)
    return _worker_reader


def _analyse_job(job: _Job, reader=None):
    """Runs in a worker: the heavy part. Returns (path, Document, scratch) or (path, error message, None)."""
    path = job.source.path
    scratch = Path(tempfile.mkdtemp(dir=job.settings.paths.work))
    try:
        return path, analyse(job.source, job.settings, job.rules, reader or (lambda: _reader_for(job.settings)), scratch), scratch
    except ArchiverError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        return path, exc.message, None
    except Exception as exc:  # reported per file; the batch goes on
        shutil.rmtree(scratch, ignore_errors=True)
        return _internal_error(path, exc)


def _internal_error(path: Path, exc: BaseException) -> tuple[Path, str, None]:
    return path, f"{shown(path.name)}: internal error: {type(exc).__name__}: {exc}", None


def ingest(pipeline: Pipeline, paths: list[Path], workers: int, progress: bool = True) -> list[Outcome]:
    """Every file of paths through the daemon's steps (Pipeline.process): taken in (and hashed) once,
    claimed (exact duplicates dropped, the job begun) just before its analysis, analysed by `workers`
    processes, stored here. A busy database leaves a file for a later run; the others go on."""
    files = expand(paths)
    recover(pipeline.settings, pipeline.db)  # what an earlier run, of the daemon or of ingest, left half-done
    todo, refused = _take_in(files, pipeline.settings)
    bar = tqdm(total=len(refused) + sum(n for _, n in todo), unit="page", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    try:
        outcomes = [_refuse(pipeline, path, message, bar) for path, message in refused]
        if workers > 1 and len(todo) > 1:
            outcomes += _parallel(pipeline, todo, workers, bar)
        else:
            outcomes += _serial(pipeline, todo, bar)
    finally:
        bar.close()
    return outcomes


def _take_in(files: list[Path], settings: Settings) -> tuple[list[tuple[SourceFile, int]], list[tuple[Path, str]]]:
    """The files taken in (with the pages the progress bar expects of each), and those refused with why."""
    todo, refused = [], []
    for path in files:
        try:
            src = intake.take_in(path, max_bytes=int(settings.intake.max_file_mb * 2**20))
        except ArchiverError as exc:
            refused.append((path, exc.message))
            continue
        todo.append((src, page_count(src)))
    return todo, refused


def _refuse(pipeline: Pipeline, path: Path, message: str, bar) -> Outcome:
    out = pipeline.fail(path, message, time.monotonic())
    bar.update(1)
    return out


def _claim(pipeline: Pipeline, src: SourceFile, pages: int, bar) -> Outcome | None:
    """The daemon's preflight, before any heavy work: None when the file is to be analysed, else its outcome."""
    out = pipeline.preflight(src, time.monotonic())
    if out is not None:
        bar.update(pages)
    return out


def _store(pipeline: Pipeline, src: SourceFile, pages: int, analysed: tuple, bar) -> Outcome:
    """A claimed file's analysis (a Document, or why it failed) stored; its scratch folder removed."""
    _, result, scratch = analysed
    start = time.monotonic()
    try:
        if isinstance(result, str):
            return pipeline.fail(src.path, result, start, sha=src.sha256)
        return pipeline.store_analysed(result, start)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        bar.update(pages)  # the bar counts what it was sized in, whatever the file held


def _serial(pipeline: Pipeline, todo: list[tuple[SourceFile, int]], bar) -> list[Outcome]:
    """One file at a time in this process, as the daemon takes them: claimed, analysed, stored."""
    outcomes = []
    for src, pages in todo:
        out = _claim(pipeline, src, pages, bar)
        if out is None:
            job = _Job(src, pipeline.settings, pipeline.rules)
            out = _store(pipeline, src, pages, _analyse_job(job, pipeline.reader), bar)
        outcomes.append(out)
    return outcomes


def _parallel(pipeline: Pipeline, todo: list[tuple[SourceFile, int]], workers: int, bar) -> list[Outcome]:
    """`workers` processes, longest document first, so that no worker is left with a long one when the
    others are done."""
    with _Workers(pipeline, workers, bar) as pool:
        return pool.run(sorted(todo, key=lambda item: -item[1]))


class _Workers:
    """Analysis in worker processes. A file is claimed when a worker comes free for it, so a run that is
    killed counts as cut short only the files being read; results are stored in the order handed out."""

    def __init__(self, pipeline: Pipeline, workers: int, bar):
        settings = pipeline.settings
        share = worker_threads(settings.ocr.threads, workers)
        self.settings = dataclasses.replace(settings, ocr=dataclasses.replace(settings.ocr, threads=share))
        self.pipeline, self.workers, self.bar = pipeline, workers, bar
        self.finished: queue.Queue = queue.Queue()  # (ticket, analysis) as each worker ends a file
        self.handed: deque[tuple[int, SourceFile, int]] = deque()  # claimed and sent, in that order
        self.tickets = itertools.count()
        self.outcomes: list[Outcome] = []
        # each worker takes its share of ocr.threads for OpenCV, torch and BLAS, set as it starts
        self.pool = mp.get_context("spawn").Pool(workers, initializer=set_threads, initargs=(share,))

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.close()
        self.pool.join()

    def run(self, todo: list[tuple[SourceFile, int]]) -> list[Outcome]:
        waiting = iter(todo)
        results: dict[int, tuple] = {}
        running = sum(self.hand_out(waiting) for _ in range(self.workers))
        while running:
            ticket, analysed = self.finished.get()
            results[ticket] = analysed
            running += self.hand_out(waiting) - 1  # the worker that finished takes the next file
            while self.handed and self.handed[0][0] in results:
                ticket, src, pages = self.handed.popleft()
                self.outcomes.append(_store(self.pipeline, src, pages, results.pop(ticket), self.bar))
        return self.outcomes

    def hand_out(self, waiting) -> int:
        """Claim the next file that needs analysis and send it to a worker: 1, or 0 when none is left."""
        for src, pages in waiting:
            out = _claim(self.pipeline, src, pages, self.bar)
            if out is not None:
                self.outcomes.append(out)
                continue
            ticket = next(self.tickets)
            self.handed.append((ticket, src, pages))
            done, failed = self.callbacks(ticket, src.path)
            self.pool.apply_async(_analyse_job, (_Job(src, self.settings, self.pipeline.rules),), callback=done,
                                  error_callback=failed)
            return 1
        return 0

    def callbacks(self, ticket: int, path: Path):
        """What the pool calls with a worker's answer, or with the error that kept it from answering."""
        return (lambda analysed: self.finished.put((ticket, analysed)),
                lambda exc: self.finished.put((ticket, _internal_error(path, exc))))
