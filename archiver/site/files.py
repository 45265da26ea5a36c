"""Writing output files atomically, skipping files whose bytes did not change."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write data to path atomically unless the file already holds exactly these bytes.

    Returns True when the file was written.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp file lives in the same folder so os.replace is a rename within one file system.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a web server or other users must read it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


class SiteWriter:
    """Writes pages under out_dir and counts what was written and what was left as it was."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.written = 0
        self.unchanged = 0
        self.paths: set[str] = set()

    def put(self, rel_path: str, data: bytes) -> None:
        if rel_path in self.paths:
            raise ValueError(f"two pages would be written to {rel_path}")
        self.paths.add(rel_path)
        if write_if_changed(self.out_dir / rel_path, data):
            self.written += 1
        else:
            self.unchanged += 1

    def keep(self, rel_path: str) -> None:
        """Count a file this build knows to be current without rendering it again."""
        if rel_path in self.paths:
            raise ValueError(f"two pages would be written to {rel_path}")
        self.paths.add(rel_path)
        self.unchanged += 1

    def prune(self, folders: tuple[str, ...]) -> int:
        """Delete .html files in the given sub-folders that this build did not produce."""
        removed = 0
        for folder in folders:
            for page in sorted((self.out_dir / folder).glob("*.html")):
                if f"{folder}/{page.name}" not in self.paths:
                    page.unlink()
                    removed += 1
        return removed
