"""Start-up recovery: undo what a crash (kill -9, power loss, out of memory) left half-done.

The order of a store makes this small. Archive files are written before the transaction commits
and the inbox file is removed only after it, so a crash leaves at worst (a) temp files of an
atomic write, (b) a complete archive copy and thumbnails whose transaction never committed, or
(c) an inbox file whose document is already stored. (a) and (b) are deleted here; (c) is found by
its sha256 as an exact duplicate when the inbox is scanned. Anything else that disagrees with the
database is left for `manage.py check` to report: recovery deletes only what it can prove is debris."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from archiver.check import check_files, prune_empty_dirs, remove_path, scratch_leftovers
from archiver.config import Settings
from archiver.ingest.intake import sha256_of
from archiver.storage import jobs
from archiver.storage.db import Database

log = logging.getLogger("archiver")

SITE_TEMP = ".*.tmp"  # site/files.py writes .<name>.<random>.tmp and renames it over the page


@dataclass
class Recovery:
    interrupted: list[str] = field(default_factory=list)  # names of the files whose processing was cut short
    deleted: list[str] = field(default_factory=list)


def recover(settings: Settings, db: Database) -> Recovery:
    """Delete crash debris from the archive, site and scratch folders; report the jobs a crash cut short.
    The caller holds the archive lock (archiver.archive_lock): no other run of ours is using them."""
    out = Recovery()
    with db.session() as s:
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
    return out


def _is_thumbnail(rel: Path) -> bool:
    return len(rel.parts) == 3 and rel.parts[0] == "thumbs"


def _delete(path: Path, out: Recovery) -> None:
    remove_path(path)
    out.deleted.append(str(path))

