"""Relative URLs from one generated page, so the site works from file:// with no server."""
from __future__ import annotations

import os
import posixpath
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from archiver.site.paths import category_path, doc_path, doc_type_path, issuer_path, year_path


@lru_cache(maxsize=65536)
def _site_relative(path: str, page_dir: str) -> str:
    # Thousands of pages share a handful of folders and link to the same few targets.
    return quote(posixpath.relpath(path, page_dir))


class Links:
    """The links a page template asks for, built from two: site(path) for a page of the site and
    archive(rel_path) for a file in the archive folder. PageLinks (the static site) and the web
    server's WebLinks say where those are."""

    def site(self, path: str) -> str:
        raise NotImplementedError

    def archive(self, rel_path: str) -> str:
        raise NotImplementedError

    def doc(self, doc_id: int) -> str:
        return self.site(doc_path(doc_id))

    def category(self, name: str | None) -> str:
        return self.site(category_path(name))

    def year(self, year: int | None) -> str:
        return self.site(year_path(year))

    def doc_type(self, name: str | None) -> str:
        return self.site(doc_type_path(name))

    def issuer(self, name: str | None) -> str:
        return self.site(issuer_path(name))

    def page_original(self, kind: str, archive_path: str, thumbnail: str | None, number: int) -> str:
        """Where a page thumbnail leads: the PDF at that page, the image itself, or the thumbnail."""
        if kind == "pdf":
            return f"{self.archive(archive_path)}#page={int(number)}"
        if kind in ("png", "jpeg", "bmp") or thumbnail is None:
            return self.archive(archive_path)
        return self.archive(thumbnail)  # browsers do not show TIFF; the thumbnail they do


class PageLinks(Links):
    """URLs to site pages and archive files, relative to the page at page_path (site-relative)."""

    def __init__(self, page_path: str, out_dir: Path, archive_dir: Path):
        self._page_dir = posixpath.dirname(page_path) or "."
        self._abs_page_dir = os.path.join(os.path.abspath(out_dir), self._page_dir)
        self._archive_dir = os.path.abspath(archive_dir)
        try:
            self._archive_prefix: str | None = Path(os.path.relpath(self._archive_dir, self._abs_page_dir)).as_posix()
        except ValueError:  # Windows: archive on another drive, no relative path exists
            self._archive_prefix = None

    def site(self, path: str) -> str:
        return _site_relative(path, self._page_dir)

    def archive(self, rel_path: str) -> str:
        """Link to a file in the archive folder (original or thumbnail), percent-encoded."""
        if self._archive_prefix is not None and not os.path.isabs(rel_path):
            # Same result as relpath(target) below, without resolving two absolute paths per link.
            return quote(posixpath.normpath(posixpath.join(self._archive_prefix, rel_path.replace(os.sep, "/"))))
        target = os.path.join(self._archive_dir, rel_path)
        try:
            rel = os.path.relpath(target, self._abs_page_dir)
        except ValueError:  # Windows: archive on another drive, no relative path exists
            return Path(target).as_uri()
        # quote() keeps "/" and encodes "#", "?", "%", spaces and CJK, which would otherwise
        # be read as a fragment, a query or a broken escape.
        return quote(Path(rel).as_posix())
