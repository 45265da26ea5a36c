"""Start-up recovery: undo what a crash (kill -9, power loss, out of memory) left half-done.

The order of a store makes this small. Archive files are written before the transaction commits
and the inbox file is removed only after it, so a crash leaves at worst (a) temp files of an
atomic write, (b) a complete archive copy and thumbnails whose transaction never committed, or
(c) an inbox file whose document is already stored. (a) and (b) are deleted here; (c) is found by
its sha256 as an exact duplicate when the inbox is scanned. A file set aside has its reason written
before it is moved to failed/ and its record committed after, so a crash there leaves (d) a reason
without its file (the file is still in the inbox: the reason is deleted) or (e) a file in failed/ with
its reason and no record (the record is written from the reason here). Anything else that disagrees with the
database is left for `manage.py check` to report: recovery deletes only what it can prove is debris."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from archiver import archive_files
from archiver.check import check_files, prune_empty_dirs, remove_path, scratch_leftovers
from archiver.config import Settings
from archiver.ingest.intake import sha256_of, sha256_or_empty
from archiver.shown import shown
from archiver.storage import jobs, repository
from archiver.storage.db import Database
from archiver.storage.tables import JobState

log = logging.getLogger("archiver")

SITE_TEMP = ".*.tmp"  # site/files.py writes .<name>.<random>.tmp and renames it over the page


@dataclass
class Recovery:
    interrupted: list[str] = field(default_factory=list)  # names of the files whose processing was cut short
    deleted: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # files found in failed/ without their record


def recover(settings: Settings, db: Database) -> Recovery:
    """Delete crash debris from the archive, site and scratch folders; report the jobs a crash cut short.
    The caller holds the archive lock (archiver.archive_lock): no other run of ours is using them."""
    out = Recovery()
    with db.session() as s:
        _settle_failed(settings.paths.failed, s, out)
        cut = jobs.interrupted(s)
        out.interrupted = [j.name for j in cut]
        cut_shas = {j.sha256 for j in cut}
    root = settings.paths.archive
    if root.is_dir():
        for p in check_files(settings, db, verify_sha=False):  # start-up must not read the whole archive
            path = root / p.where
            if p.kind == "temp-file":
                _delete(path, out)
            elif p.kind == "orphan-file" and _is_thumbnail(Path(p.where)):
                _delete(path, out)  # thumbnails are ours alone and rendered again with their document
            elif p.kind == "orphan-file" and cut_shas and sha256_of(path) in cut_shas:
                _delete(path, out)  # an uncommitted copy of a file that is still in the inbox
        prune_empty_dirs(root / "thumbs")
    if settings.paths.site.is_dir():
        for tmp in settings.paths.site.rglob(SITE_TEMP):
            _delete(tmp, out)
    for p in scratch_leftovers(settings):  # page images and temp folders of runs that were killed
        _delete(Path(p.where), out)
    for name in out.interrupted:
        log.warning("recovery: the last run was cut short while processing %s; it will be tried again", name)
    for d in out.deleted:
        log.info("recovery: deleted %s", d)
    for r in out.recorded:
        log.warning("recovery: %s was moved to failed/ by the last run, which died before recording it; recorded now", r)
    return out


def _settle_failed(failed: Path, s, out: Recovery) -> None:
    """(d) and (e) of the module docstring, for the files move_to_failed put in failed/ (not its folders,
    such as check --repair's orphans/)."""
    if not failed.is_dir():
        return
    notes = {p.name: p for p in failed.iterdir() if p.name.endswith(archive_files.REASON_SUFFIX)}
    recorded = repository.failed_paths(s)
    for name, note in sorted(notes.items()):
        path = failed / name[:-len(archive_files.REASON_SUFFIX)]
        if not os.path.lexists(path):
            _delete(note, out)
            continue
        if shown(path) in recorded:
            continue
        sha = sha256_or_empty(path)
        job = jobs.get(s, sha) if sha else None
        if job is not None and job.state != JobState.RUNNING:
            continue  # its job finished (a near-duplicate set aside by dedup.action skip has no failure row)
        reason = note.read_text(encoding="utf-8", errors="replace").rstrip("\n")
        repository.record_failure(s, shown(archive_files.original_name(path, reason)), sha, reason, shown(path))
        if job is not None:
            jobs.finish(s, sha, JobState.FAILED, message=reason)
        out.recorded.append(shown(path.name))


def _is_thumbnail(rel: Path) -> bool:
    return len(rel.parts) == 3 and rel.parts[0] == "thumbs"


def _delete(path: Path, out: Recovery) -> None:
    remove_path(path)
    out.deleted.append(str(path))

