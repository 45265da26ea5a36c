"""Has a file finished arriving? Scanners and network copies write slowly, so a file is ready
only once its size and mtime have held still for a while. The clock is injected for tests."""
from __future__ import annotations

import fnmatch
import os
import stat
import time
from pathlib import Path
from typing import Callable, Iterator

IGNORED = (".*", "~$*", "*.part", "*.partial", "*.tmp", "*.crdownload", "*.download", "Thumbs.db", "desktop.ini")


def ignored(path: Path) -> bool:
    """Temp, hidden and system files that are never documents (checked on every path component)."""
    return any(fnmatch.fnmatch(part, pat) for part in path.parts[-1:] for pat in IGNORED)


def candidates(inbox: Path) -> Iterator[Path]:
    """Every regular file under inbox that is not ignored, skipping hidden folders."""
    for root, dirs, files in os.walk(inbox):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            p = Path(root) / name
            if not ignored(p):
                yield p


def escapes(path: Path, inbox: Path) -> bool:
    """A symlink whose target lies outside the inbox: reading it would archive a file nobody dropped."""
    if not path.is_symlink():
        return False
    target = Path(os.path.realpath(path))
    root = Path(os.path.realpath(inbox))
    return target != root and root not in target.parents


class Readiness:
    """Tracks (size, mtime) per path; `ready()` gives paths unchanged for `stable_seconds` (a zero-byte
    file only after `empty_seconds`: an empty file is usually one whose copy has not started yet)."""

    def __init__(self, stable_seconds: float, clock: Callable[[], float] = time.monotonic,
                 empty_seconds: float | None = None):
        self.stable_seconds = stable_seconds
        self.empty_seconds = empty_seconds  # None: an empty file is never ready
        self.clock = clock
        self._seen: dict[Path, tuple[tuple[int, float], float]] = {}

    def observe(self, path: Path) -> None:
        """Record the file's current signature; a change restarts its quiet period."""
        try:
            st = path.lstat()  # a symlink is judged (and refused) as itself, even when it dangles
        except OSError:
            self._seen.pop(path, None)
            return
        # A pipe, socket or device has no copy in progress to wait for: it is judged (refused) as soon as
        # it holds still, like any file, not after the wait for an empty file.
        size = st.st_size if stat.S_ISREG(st.st_mode) else max(1, st.st_size)
        sig = (size, st.st_mtime)
        old = self._seen.get(path)
        if old is None or old[0] != sig:
            self._seen[path] = (sig, self.clock())

    def ready(self) -> list[Path]:
        """Paths whose signature is still what it was stable_seconds ago (re-checked now)."""
        now = self.clock()
        out = []
        for path in list(self._seen):
            self.observe(path)
            entry = self._seen.get(path)
            if not entry:
                continue
            wait = self.stable_seconds if entry[0][0] > 0 else self.empty_seconds
            if wait is not None and now - entry[1] >= wait:
                out.append(path)
        return sorted(out)

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)

    def __len__(self) -> int:
        return len(self._seen)
