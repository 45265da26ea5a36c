"""Serve the generated site on 127.0.0.1 for people who prefer a URL to file://.

Only what the site links to is served: its own pages and assets, and from the archive folder the
originals and thumbnails of stored documents, nothing else there (not the database, not the lock,
not a stray file). No directory is ever listed; hidden files are never served."""
from __future__ import annotations

import os
import posixpath
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from archiver.errors import UsageError

NOWHERE = "/nonexistent/archiver-refused"  # a path that is not there: http.server answers 404


def archive_url_prefix(site_dir: Path, archive_dir: Path) -> str | None:
    """The first URL segment under which pages' relative links reach the archive over HTTP.

    Pages link to originals and thumbnails as e.g. "../../archive/x.jpg"; a browser clamps ".."
    at the server root, so over HTTP such links arrive as "/archive/x.jpg". None when the archive
    lies inside the site folder (served as it is) or is not a sibling-like relative path.
    """
    try:
        rel = Path(os.path.relpath(Path(archive_dir).resolve(), Path(site_dir).resolve())).as_posix()
    except ValueError:
        return None
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or parts[0] != "..":
        return None
    rest = [p for p in parts if p != ".."]
    return "/".join(rest) or None


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Files from the site folder, and archive files under their clamped URL prefix."""

    archive_dir: Path | None = None
    archive_prefix: str | None = None
    archive_allows: Callable[[str], bool] | None = None  # is this archive-relative path a stored file?

    def translate_path(self, path: str) -> str:
        url_path = posixpath.normpath(unquote(urlsplit(path).path))
        if any(part.startswith(".") for part in url_path.split("/")):
            return NOWHERE  # temp files of a build in progress, the lock: never served
        if self.archive_dir is not None and self.archive_prefix:
            prefix = "/" + self.archive_prefix
            if url_path == prefix or url_path.startswith(prefix + "/"):
                rest = url_path[len(prefix):].lstrip("/")
                target = (self.archive_dir / rest).resolve()
                inside = self.archive_dir in target.parents
                if inside and target.is_file() and self.archive_allows is not None and self.archive_allows(rest):
                    return str(target)
                return NOWHERE
        return super().translate_path(path)

    def list_directory(self, path):  # noqa: ANN001 - http.server's signature
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass  # quiet: serve prints its URL; a log line per thumbnail helps nobody


def make_server(site_dir: Path, archive_dir: Path | None = None, port: int = 8000,
                host: str = "127.0.0.1", archive_allows: Callable[[str], bool] | None = None) -> ThreadingHTTPServer:
    """A server for site_dir (and the stored files of the archive it links to: those archive_allows
    accepts, e.g. repository.is_archive_file); port 0 picks a free port."""
    site_dir = Path(site_dir).resolve()
    attrs = {}
    if archive_dir is not None:
        prefix = archive_url_prefix(site_dir, archive_dir)
        if prefix:
            attrs = {"archive_dir": Path(archive_dir).resolve(), "archive_prefix": prefix,
                     "archive_allows": staticmethod(archive_allows) if archive_allows else None}
    handler = type("BoundSiteRequestHandler", (SiteRequestHandler,), attrs)
    if not (site_dir / "index.html").is_file():
        raise UsageError(f"no site to serve in {site_dir}: run `manage.py build-site` first")
    try:
        return ThreadingHTTPServer((host, port), partial(handler, directory=str(site_dir)))
    except OSError as exc:  # port taken, or not allowed (< 1024)
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def stored_files(db) -> Callable[[str], bool]:
    """archive_allows for make_server: the originals and thumbnails of the archive's stored documents."""
    from archiver.storage import repository

    def allows(rel: str) -> bool:
        with db.session() as s:
            return repository.is_archive_file(s, rel)

    return allows


def site_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/index.html"
