"""`manage.py ingest PATH...`: many files at once, analysed by N worker processes, stored by this
one (SQLite has one writer), with a progress bar in pages."""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
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
        return path, f"{shown(path.name)}: internal error: {type(exc).__name__}: {exc}", None


def ingest(pipeline: Pipeline, paths: list[Path], workers: int, progress: bool = True) -> list[Outcome]:
    """Every file of paths through the same steps as the daemon's Pipeline.process: taken in (and hashed)
    once, exact duplicates dropped before any heavy work, analysed by `workers` processes, stored here."""
    files = expand(paths)
    settings = pipeline.settings
    recover(settings, pipeline.db)  # what an earlier run, of the daemon or of ingest, left half-done
    outcomes: list[Outcome] = []
    todo: list[tuple[SourceFile, int]] = []
    failed_early: list[tuple[Path, str]] = []
    for p in files:
        try:
            src = intake.take_in(p, max_bytes=int(settings.intake.max_file_mb * 2**20))
        except ArchiverError as exc:
            failed_early.append((p, exc.message))
            continue
        todo.append((src, page_count(src)))
    bar = tqdm(total=len(failed_early) + sum(n for _, n in todo), unit="page", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    for p, message in failed_early:
        outcomes.append(pipeline.fail(p, message, time.monotonic()))
        bar.update(1)
    heavy: list[tuple[SourceFile, int]] = []
    for src, n in todo:  # exact duplicates are found before any heavy work
        existing = pipeline.exact_duplicate(src)
        if existing is not None:
            outcomes.append(pipeline.drop_exact_duplicate(src, existing, time.monotonic()))
            bar.update(n)
        else:
            heavy.append((src, n))
    expected = {src.path: n for src, n in heavy}
    parallel = workers > 1 and len(heavy) > 1
    share = worker_threads(settings.ocr.threads, workers) if parallel else settings.ocr.threads
    job_settings = dataclasses.replace(settings, ocr=dataclasses.replace(settings.ocr, threads=share))
    if parallel:  # longest first, so that no worker is left with a long document when the others are done
        heavy.sort(key=lambda item: -item[1])
    jobs = [_Job(src, job_settings, pipeline.rules) for src, _ in heavy]
    if parallel:  # each worker takes its share of ocr.threads for OpenCV, torch and BLAS, set as it starts
        pool = mp.get_context("spawn").Pool(workers, initializer=set_threads, initargs=(share,))
        results = pool.imap(_analyse_job, jobs)
    else:
        pool = None
        results = (_analyse_job(j, pipeline.reader) for j in jobs)
    try:
        for path, result, scratch in results:
            start = time.monotonic()
            if isinstance(result, str):
                outcomes.append(pipeline.fail(path, result, start))
            else:
                try:
                    outcomes.append(pipeline.store_analysed(result, start))
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
            bar.update(expected[path])  # the bar counts what it was sized in, whatever the file held
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        bar.close()
    return outcomes
