"""One process at a time takes files into an archive (local mode): `watch`, `ingest` and
`check --repair` hold an exclusive lock on a file in the archive folder while they run, and `watch`
one on its inbox folder itself too (two daemons of different configs on one drop folder; no file is
put in the drop folder for it). A second one refuses to
start with a clear message instead of racing the first over the same inbox files (two daemons, or a
daemon and an `ingest --move`, once put valid files in failed/ with false reasons). The kernel drops
the lock when its holder dies, kill -9 included: no stale lock files. Celery workers do not take it;
they share the archive with their watcher by design."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import ArchiveLocked

LOCK_NAME = ".archiver.lock"  # hidden: `check` does not count it as an archive file, the inbox scan skips it


class ArchiveLock:
    def __init__(self, folder: Path, purpose: str, what: str = "the archive", on_folder: bool = False):
        """A lock file in folder; with on_folder, the folder itself is locked (nothing is written in it)."""
        self.path = Path(folder) if on_folder else Path(folder) / LOCK_NAME
        self.on_folder = on_folder
        self.what = what
        self.purpose = purpose
        self.fd: int | None = None

    def acquire(self) -> "ArchiveLock":
        folder = self.path if self.on_folder else self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if self.on_folder:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        else:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = "" if self.on_folder else os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise ArchiveLocked(f"{self.what} {folder} is in use by {holder or 'another archiver process'}; stop it "
                                f"first (or drop the files into its inbox) before `{self.purpose}`") from None
        if not self.on_folder:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"`manage.py {self.purpose}` (pid {os.getpid()})\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            if not self.on_folder:
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "ArchiveLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
