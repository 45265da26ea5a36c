"""`manage.py check`: does the archive folder agree with the database?

Every document row has its original with the recorded sha256 and its page thumbnails; every file
in the archive belongs to a row; the FTS index holds exactly one up-to-date row per document.
`repair` fixes what can be fixed without guessing: the index is rebuilt row by row, temp files
left by a crash are deleted, a file belonging to no row is moved to failed/orphans/ (never deleted),
and a missing or damaged original is put back when an orphan with its exact bytes turns up."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .archive_lock import LOCK_NAME
from .config import Settings
from .ingest.intake import sha256_of
from .storage import repository, search
from .storage.db import Database
from .storage.tokens import index_text

TEMP_PREFIXES = (".tmp-",)  # archive_files.atomic_copy and write_thumbnail write through these names


@dataclass(frozen=True)
class Problem:
    kind: str  # missing-file | bad-sha256 | missing-thumbnail | orphan-file | temp-file | scratch | fts-missing | fts-extra | fts-stale
    where: str  # archive-relative path, or "document N"
    detail: str
    document_id: int | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


def _database_files(settings: Settings, db: Database) -> set[Path]:
    """The database and its companions, which may live in the archive folder but are not archive files."""
    path = db.path
    if path is None:
        return set()
    path = path.resolve()
    return {p.resolve() for p in path.parent.glob(path.name + "*")}


def files_in_archive(settings: Settings, db: Database) -> list[Path]:
    """Every file under the archive folder, archive-relative, the database's own files excepted."""
    root = settings.paths.archive
    skip = _database_files(settings, db) | {(root / LOCK_NAME).resolve()}
    return sorted(p.relative_to(root) for p in root.rglob("*") if (p.is_file() or p.is_symlink()) and p.resolve() not in skip)


def _rows(db: Database) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    with db.session() as s:
        return repository.stored_files(s)


def check_files(settings: Settings, db: Database, verify_sha: bool = True) -> list[Problem]:
    root = settings.paths.archive
    docs, thumbs = _rows(db)
    problems: list[Problem] = []
    referenced: set[str] = set()
    for doc_id, rel, sha in docs:
        referenced.add(rel)
        path = root / rel
        if not rel or not path.is_file():
            problems.append(Problem("missing-file", rel or f"document {doc_id}", f"document {doc_id} has no file", doc_id))
        elif verify_sha and sha256_of(path) != sha:
            problems.append(Problem("bad-sha256", rel, f"document {doc_id}: the file's sha256 is not {sha[:12]}…", doc_id))
    for doc_id, number, rel in thumbs:
        referenced.add(rel)
        if not (root / rel).is_file():
            problems.append(Problem("missing-thumbnail", rel, f"document {doc_id} page {number}", doc_id))
    for rel in files_in_archive(settings, db):
        if rel.name.startswith(TEMP_PREFIXES):
            problems.append(Problem("temp-file", str(rel), "left by an interrupted write"))
        elif str(rel) not in referenced:
            problems.append(Problem("orphan-file", str(rel), "no document row refers to it"))
    return problems


def _expected_index(s) -> dict[int, tuple[str, str, str]]:
    return {doc_id: tuple(index_text(x) for x in parts) for doc_id, parts in repository.index_inputs(s).items()}


def check_index(db: Database) -> list[Problem]:
    problems: list[Problem] = []
    with db.session() as s:
        expected = _expected_index(s)
        actual = search.indexed_rows(s)
    for doc_id, want in expected.items():
        got = actual.get(doc_id)
        if not got:
            problems.append(Problem("fts-missing", f"document {doc_id}", "not in the search index", doc_id))
        elif got != [want]:
            problems.append(Problem("fts-stale", f"document {doc_id}", "index row differs from the stored text", doc_id))
    for doc_id in sorted(set(actual) - set(expected)):
        problems.append(Problem("fts-extra", f"index row {doc_id}", "no such document", doc_id))
    return problems


def document_count(db: Database) -> int:
    with db.session() as s:
        return repository.count_and_last_id(s)[0]


def scratch_leftovers(settings: Settings) -> list[Problem]:
    """Entries of the scratch folder (paths.work): page images and temp folders of runs that were killed.
    Call only while holding the archive lock: then no live run of ours is using them."""
    work = settings.paths.work
    if not work.is_dir():
        return []
    return [Problem("scratch", str(p), "left in the scratch folder by a run that was cut short")
            for p in sorted(work.iterdir())]


def check(settings: Settings, db: Database, scratch: bool = False) -> list[Problem]:
    """Everything that disagrees between the database, the archive folder and the search index; with
    scratch=True (the caller holds the archive lock) also what killed runs left in paths.work."""
    return check_files(settings, db) + check_index(db) + (scratch_leftovers(settings) if scratch else [])


def repair(settings: Settings, db: Database, problems: list[Problem]) -> list[str]:
    """Fix what can be fixed (see the module docstring); returns one line per action taken."""
    root = settings.paths.archive
    done: list[str] = []
    orphans = {sha256_of(root / p.where): p for p in problems if p.kind == "orphan-file"}
    restored: set[str] = set()
    docs = {doc_id: (rel, sha) for doc_id, rel, sha in _rows(db)[0]}
    for p in problems:
        if p.kind in ("missing-file", "bad-sha256") and p.document_id in docs:
            rel, sha = docs[p.document_id]
            source = orphans.get(sha)
            if source is not None and rel:
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / source.where).replace(root / rel)
                restored.add(source.where)
                done.append(f"restored {rel} from {source.where} (same sha256)")
    for p in problems:
        if p.kind == "temp-file":
            (root / p.where).unlink(missing_ok=True)
            done.append(f"deleted {p.where}")
        elif p.kind == "scratch":
            remove_path(Path(p.where))
            done.append(f"deleted {p.where}")
        elif p.kind == "orphan-file" and p.where not in restored:
            dest = settings.paths.failed / "orphans" / p.where
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(root / p.where), dest)
            dest.with_name(dest.name + ".reason.txt").write_text(
                f"{p.where}: in the archive folder but no document row refers to it (moved by check --repair)\n",
                encoding="utf-8")
            done.append(f"moved {p.where} to {dest}")
    with db.session() as s:
        for p in problems:
            if p.kind in ("fts-missing", "fts-stale"):
                repository.reindex(s, p.document_id)
                done.append(f"re-indexed document {p.document_id}")
            elif p.kind == "fts-extra":
                search.remove_document(s, p.document_id)
                done.append(f"removed index row {p.document_id}")
    prune_empty_dirs(root)
    return done


def remove_path(path: Path) -> None:
    """Delete a file, a symlink (not its target) or a folder tree."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def prune_empty_dirs(root: Path) -> None:
    """Remove empty folders under root (deepest first), leaving root itself."""
    if not root.is_dir():
        return
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()  # only succeeds when empty
        except OSError:
            pass
