"""What the last build rendered, so the next one can skip document pages whose inputs are unchanged.

Rendering every document page is most of a build. A page depends only on its document, the titles
of the documents it links to as duplicates, the templates and the build settings; a fingerprint of
those is kept per page in `.build-state.json` beside the site. A missing or unreadable state file,
or one from other templates or settings, only means everything is rendered again.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from archiver.site.files import write_if_changed

STATE_NAME = ".build-state.json"
_VERSION = 1


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def templates_digest(templates_dir: Path, settings: str) -> str:
    """One digest of every template and static file, plus the build settings that reach every page."""
    h = hashlib.blake2b(digest_size=16)
    h.update(settings.encode("utf-8"))
    for path in sorted(Path(templates_dir).rglob("*")):
        if path.is_file():
            h.update(path.relative_to(templates_dir).as_posix().encode("utf-8") + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def page_fingerprint(*inputs) -> str:
    """A stable fingerprint of a page's inputs (frozen dataclasses and plain values: repr is exact)."""
    return _digest(repr(inputs))


class BuildState:
    """Fingerprints of the pages of the previous build, and those of this one."""

    def __init__(self, out_dir: Path, templates: str):
        self.path = Path(out_dir) / STATE_NAME
        self.templates = templates
        self.previous: dict[str, str] = {}
        self.current: dict[str, str] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == _VERSION and data.get("templates") == templates:
                self.previous = dict(data.get("pages", {}))
        except (OSError, ValueError, AttributeError):
            pass  # no usable state: render everything

    def is_current(self, rel_path: str, fingerprint: str) -> bool:
        """Record the page's fingerprint; True when the page on disk was rendered from the same inputs."""
        self.current[rel_path] = fingerprint
        return self.previous.get(rel_path) == fingerprint and (self.path.parent / rel_path).is_file()

    def forget(self, rel_path: str) -> None:
        self.current.pop(rel_path, None)

    def save(self) -> None:
        data = {"version": _VERSION, "templates": self.templates, "pages": dict(sorted(self.current.items()))}
        write_if_changed(self.path, json.dumps(data, ensure_ascii=False, indent=0).encode("utf-8"))
