"""`manage.py ingest PATH...`: many files at once, analysed by N worker processes, stored by this
one (SQLite has one writer), with a progress bar in pages."""
from __future__ import annotations

import multiprocessing as mp
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
from .errors import ArchiverError, StorageBusy
from .ingest import intake, rasterize
from .pipeline import Outcome, Pipeline, analyse, make_reader

_worker_reader = None


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and every non-ignored file under folders named, in order, without repeats."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += list(candidates(p))
        elif p.is_file() and not ignored(p):
            out.append(p)
        elif not p.exists():
            raise ArchiverError(f"{p}: no such file or folder")
    seen: set[Path] = set()
    return [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]


def page_count(path: Path) -> int:
    try:
        src = intake.take_in(path)
        return rasterize.pdf_page_count(path) if src.kind == "pdf" else 1
    except ArchiverError:
        return 1


@dataclass(frozen=True)
class _Job:
    path: Path
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
    scratch = Path(tempfile.mkdtemp(dir=job.settings.paths.work))
    try:
        src = intake.take_in(job.path)
        return job.path, analyse(src, job.settings, job.rules, reader or (lambda: _reader_for(job.settings)), scratch), scratch
    except ArchiverError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        return job.path, exc.message, None
    except Exception as exc:  # reported per file; the batch goes on
        shutil.rmtree(scratch, ignore_errors=True)
        return job.path, f"{job.path.name}: internal error: {type(exc).__name__}: {exc}", None


def ingest(pipeline: Pipeline, paths: list[Path], workers: int, progress: bool = True) -> list[Outcome]:
    files = expand(paths)
    settings = pipeline.settings
    recover(settings, pipeline.db)  # what an earlier run, of the daemon or of ingest, left half-done
    total = sum(page_count(p) for p in files)
    outcomes: list[Outcome] = []
    bar = tqdm(total=total, unit="page", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    todo: list[Path] = []
    for p in files:  # exact duplicates are found before any heavy work
        start = time.monotonic()
        try:
            src = intake.take_in(p, max_bytes=int(settings.intake.max_file_mb * 2**20))
        except ArchiverError as exc:
            outcomes.append(pipeline.fail(p, exc.message, start))
            bar.update(1)
            continue
        existing = pipeline.exact_duplicate(src)
        if existing is not None:
            outcomes.append(pipeline.drop_exact_duplicate(src, existing, start))
            bar.update(page_count(p))
        else:
            todo.append(p)
    jobs = [_Job(p, settings, pipeline.rules) for p in todo]
    if workers > 1 and len(jobs) > 1:
        pool = mp.get_context("spawn").Pool(workers)
        results = pool.imap(_analyse_job, jobs)
    else:
        pool = None
        results = (_analyse_job(j, pipeline.reader) for j in jobs)
    try:
        for path, result, scratch in results:
            start = time.monotonic()
            if isinstance(result, str):
                outcomes.append(pipeline.fail(path, result, start))
                bar.update(page_count(path))
                continue
            try:
                pipeline.begin_job(result.source)  # the job log lets a crash mid-store be cleaned up at next start
                outcomes.append(pipeline.store(result, start))
            except StorageBusy as exc:
                outcomes.append(Outcome(path, "retry", message=exc.message))
            except ArchiverError as exc:
                outcomes.append(pipeline.fail(path, exc.message, start))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            bar.update(len(result.pages))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        bar.close()
    return outcomes
