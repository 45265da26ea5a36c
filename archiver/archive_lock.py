"""One process at a time takes files into an archive (local mode): `watch`, `ingest` and
`check --repair` hold an exclusive lock on a file in the archive folder while they run. A second
one refuses to start with a clear message instead of racing the first over the same inbox files
(two daemons, or a daemon and an `ingest --move`, once put valid files in failed/ with false
reasons). The kernel drops the lock when its holder dies, kill -9 included: no stale lock files.
Celery workers do not take it; they share the archive with their watcher by design."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .errors import ArchiveLocked

LOCK_NAME = ".archiver.lock"  # in the archive folder; `check` does not count it as an archive file


class ArchiveLock:
    def __init__(self, archive: Path, purpose: str):
        self.path = Path(archive) / LOCK_NAME
        self.purpose = purpose
        self.fd: int | None = None

    def acquire(self) -> "ArchiveLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise ArchiveLocked(f"the archive {self.path.parent} is in use by {holder}; stop it first "
                                f"(or drop the files into its inbox) before `{self.purpose}`") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"`manage.py {self.purpose}` (pid {os.getpid()})\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "ArchiveLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
