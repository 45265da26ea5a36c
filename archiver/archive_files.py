"""Where files go: archive names from the template, atomic copies, thumbnails, the failed folder."""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .document import Metadata
from .errors import ConfigError
from .faults import crash_point
from .fields import ARCHIVAL_NAMES

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
TEMPLATE_FIELDS = ("id", "year", "category", "title", "doc_type", "issuer", "doc_number", "date", "name", "sha8", "ext")


def safe_part(value: object, empty: str, limit: int = 60) -> str:
    """A value made safe as one path component: no separators or control characters, not empty."""
    s = _UNSAFE.sub("_", str(value) if value not in (None, "") else empty).strip(" .")
    return (s or empty)[:limit]


def archive_name(template: str, *, doc_id: int, metadata: Metadata, category: str | None,
                 original_name: str, sha256: str, ext: str, extra: dict | None = None) -> Path:
    """Relative archive path of a stored original, from config archive.name_template. Every 公文
    field of the metadata can be named, and whatever `extra` holds (the 档号 and its parts)."""
    values = {k: safe_part(v, "无") for k, v in vars(metadata).items() if k != "spans"}
    values |= {k: safe_part(v, "无") for k, v in (extra or {}).items()}
    values |= {
        "id": doc_id, "year": safe_part(metadata.year, "无年份"), "category": safe_part(category, "未分类"),
        "title": safe_part(metadata.title, safe_part(Path(original_name).stem, "untitled")),
        "doc_type": safe_part(metadata.doc_type, "other"), "issuer": safe_part(metadata.issuer, "未知机关"),
        "doc_number": safe_part(metadata.doc_number, "无文号"), "date": safe_part(metadata.date, "无日期"),
        "name": safe_part(Path(original_name).stem, "untitled"), "sha8": sha256[:8], "ext": ext,
    }
    try:
        rel = template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"config: archive.name_template has an unknown field {exc}; known: {', '.join(TEMPLATE_FIELDS)}, "
                          f"the 公文 fields and {' '.join(ARCHIVAL_NAMES)}") from None
    parts = [p for p in Path(rel).parts if p not in ("", ".", "..", "/")]
    return Path(*parts)


def check_template(template: str) -> None:
    """ConfigError now, at config load, for a name_template that names an unknown field; not at store
    time, after OCR, for every file."""
    archive_name(template, doc_id=1, metadata=Metadata(), category=None, original_name="x.pdf", sha256="0" * 64,
                 ext=".pdf", extra=dict.fromkeys(ARCHIVAL_NAMES, ""))


def atomic_copy(src: Path, dest: Path) -> None:
    """Copy so that dest is either absent or complete, never half-written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)  # the rename itself must reach the disk before the row that names it commits
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unique_path(path: Path) -> Path:
    """path, or path with -2, -3... before the suffix when it exists already."""
    if not path.exists():
        return path
    for i in range(2, 100000):
        cand = path.with_name(f"{path.stem}-{i}{path.suffix}")
        if not cand.exists():
            return cand
    raise OSError(f"no free name for {path}")


def write_thumbnail(rgb: np.ndarray, dest: Path, width: int) -> None:
    """A JPEG of the page `width` pixels wide. Shrunk by pixel-area averaging (cv2 INTER_AREA): as sharp
    as Lanczos at a fifth of a page's width and a tenth of its time (4 ms against 39 on an A4 page at
    200 dpi); an enlargement (a page narrower than the thumbnail) is interpolated."""
    H, W = rgb.shape[:2]
    h = max(1, round(H * width / W))
    small = cv2.resize(np.ascontiguousarray(rgb), (width, h), interpolation=cv2.INTER_AREA if width < W else cv2.INTER_CUBIC)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(".tmp-" + dest.name)
    Image.fromarray(small).save(tmp, "JPEG", quality=80)
    os.replace(tmp, dest)


NAME_MAX = 255  # bytes in one file name on ext4, xfs, btrfs
REASON_SUFFIX = ".reason.txt"
ORIGINAL_NAME = "\n(original name: "  # the reason's last line when failed/ renamed the file
_REPEAT_ROOM = 6  # unique_path's "-99999"


def failed_name(name: str) -> str:
    """The name a file gets in failed/: its own, or, when <name>.reason.txt would pass the file-system
    limit of 255 bytes (80 hanzi are 240), its start, a tag from a hash of the whole name, its suffix."""
    room = NAME_MAX - len(REASON_SUFFIX) - _REPEAT_ROOM
    if len(os.fsencode(name)) <= room:
        return name
    suffix = Path(name).suffix if len(os.fsencode(Path(name).suffix)) <= 16 else ""
    tag = "~" + hashlib.sha1(os.fsencode(name)).hexdigest()[:8]
    budget = room - len(os.fsencode(suffix + tag))
    kept, used = [], 0
    for ch in name[:len(name) - len(suffix)]:
        n = len(os.fsencode(ch))
        if used + n > budget:
            break
        kept.append(ch)
        used += n
    return "".join(kept) + tag + suffix


def failed_destination(path: Path, failed_dir: Path) -> Path:
    """Where move_to_failed will put path: its (shortened) name, with -2, -3... if taken."""
    return unique_path(failed_dir / failed_name(path.name))


def move_to_failed(path: Path, failed_dir: Path, reason: str, dest: Path | None = None) -> Path:
    """Move a file out of the inbox into failed/ (to dest, or failed_destination's), with <name>.reason.txt
    beside it. The reason is written first, so that a file in failed/ always has one, even if the process
    dies right after the move (recovery then records the failure from it); then the file (or pipe, or
    symlink: moved as itself, never opened or followed). A reason that cannot be written is logged, and the
    caller still records it in the database."""
    failed_dir.mkdir(parents=True, exist_ok=True)
    dest = dest or failed_destination(path, failed_dir)
    if dest.name != path.name:
        from .shown import shown

        reason += f"{ORIGINAL_NAME}{shown(path.name)})"
    note = reason_path(dest)
    try:
        note.write_text(reason + "\n", encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        logging.getLogger("archiver").error("could not write the reason beside %s: %s", dest, exc.strerror)
    crash_point("reason-written")
    try:
        os.rename(path, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            note.unlink(missing_ok=True)  # the file stays where it was: no reason without its file
            raise
        shutil.move(str(path), dest)  # another file system: copied (a symlink as a symlink), then removed
    return dest


def reason_path(failed_file: Path) -> Path:
    """Where the reason of a file in failed/ is written."""
    return failed_file.with_name(failed_file.name + REASON_SUFFIX)


def original_name(failed_file: Path, reason: str) -> str:
    """The name a file in failed/ had in the inbox: its own, or the one its reason records."""
    mark = reason.rfind(ORIGINAL_NAME)
    if mark < 0:
        return failed_file.name
    return reason[mark + len(ORIGINAL_NAME):].rstrip().removesuffix(")")
