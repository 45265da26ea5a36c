"""Build the static site: render every page with one jinja2 environment and write what changed."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from archiver.errors import ConfigError
from archiver.site.files import SiteWriter
from archiver.site.groups import (
    category_of,
    dimensions,
    doc_type_of,
    issuer_of,
    recently_archived,
)
from archiver.site.links import PageLinks
from archiver.site.pager import paginate
from archiver.site.paths import (
    INDEX_PATH,
    PAGE_FOLDERS,
    SEARCH_INDEX_PATH,
    SEARCH_PATH,
    STYLE_PATH,
    doc_path,
    folder_index_path,
)
from archiver.site.fields import metadata_rows
from archiver.site.search_index import search_index_js
from archiver.site.state import BuildState, page_fingerprint, templates_digest
from archiver.storage.views import DocumentView


@dataclass(frozen=True)
class SiteOptions:
    title: str = "公文档案 Document Archive"
    recent_count: int = 20
    low_confidence: float = 0.6  # lines below this are marked for a reader to check
    per_page: int = 50  # documents per listing page
    home_top: int = 12  # rows per count table on the home page before "all …"
    prune: bool = True  # delete pages of documents and groups no longer present

    def __post_init__(self):
        if self.recent_count < 0:
            raise ValueError("recent_count must be >= 0")
        if not 0.0 <= self.low_confidence <= 1.0:
            raise ValueError("low_confidence must be between 0 and 1")
        if self.per_page < 1 or self.home_top < 1:
            raise ValueError("per_page and home_top must be >= 1")


@dataclass(frozen=True)
class BuildReport:
    written: int
    unchanged: int  # includes the reused pages
    removed: int = 0
    reused: int = 0  # document pages not rendered at all: their inputs had not changed


def make_environment(templates_dir: Path) -> Environment:
    """The one jinja2 environment for a build; autoescaping on for every template."""
    if not Path(templates_dir).is_dir():
        raise ConfigError(f"templates folder not found: {templates_dir}")
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build renders thousands of pages: skip the per-render mtime check
    )


def build_site(
    documents: list[DocumentView],
    out_dir: Path,
    *,
    templates_dir: Path,
    archive_dir: Path,
    options: SiteOptions = SiteOptions(),
) -> BuildReport:
    """Render home, listing, document and search pages into out_dir; rewrite only changed files."""
    out_dir, templates_dir, archive_dir = Path(out_dir), Path(templates_dir), Path(archive_dir)
    env = make_environment(templates_dir)
    by_id = {d.id: d for d in documents}
    if len(by_id) != len(documents):
        raise ValueError("documents contain the same id more than once")
    dims = dimensions(documents)
    writer = SiteWriter(out_dir)

    def render(template: str, page_path: str, **context) -> None:
        links = PageLinks(page_path, out_dir, archive_dir)
        html = env.get_template(template).render(site_title=options.title, links=links, **context)
        writer.put(page_path, html.encode("utf-8"))

    _render_browse(render, documents, dims, options)
    state = BuildState(out_dir, templates_digest(templates_dir, repr((options, _archive_link_base(out_dir, archive_dir)))))
    reused = _render_documents(render, writer, state, by_id, options)
    render("search.html", SEARCH_PATH, dimensions=dims)
    writer.put(SEARCH_INDEX_PATH, search_index_js(documents).encode("utf-8"))
    _copy_static(templates_dir / "static", writer)
    if STYLE_PATH not in writer.paths:
        raise ConfigError(f"{templates_dir / STYLE_PATH} is missing")
    removed = writer.prune(PAGE_FOLDERS) if options.prune else 0
    state.save()  # last: pages listed in the state file are on disk
    return BuildReport(written=writer.written, unchanged=writer.unchanged, removed=removed, reused=reused)


def _render_browse(render, documents: list[DocumentView], dims, options: SiteOptions) -> None:
    """The home page, and per dimension (category, 文种, 发文机关, year) its index and paged listings."""
    render("index.html", INDEX_PATH, document_count=len(documents), page_count=sum(d.page_count for d in documents),
           dimensions=dims, top=options.home_top, recent=recently_archived(documents, options.recent_count))
    for dim in dims:
        render("groups.html", folder_index_path(dim.folder), dimension=dim)
        for group in dim.groups:
            for listing in paginate(group, options.per_page):
                render("listing.html", listing.path, listing=listing, group=group, heading=dim.heading)


def _render_documents(render, writer: SiteWriter, state: BuildState, by_id: dict[int, DocumentView],
                      options: SiteOptions) -> int:
    """A page per document, except those whose page is current (same view, same related titles);
    returns how many were reused."""
    reused = 0
    for doc in by_id.values():
        page_path = doc_path(doc.id)
        related = [(i, by_id[i].display_title if i in by_id else None) for i in (doc.duplicate_of, *doc.duplicates)]
        if state.is_current(page_path, page_fingerprint(doc, related)):
            writer.keep(page_path)
            reused += 1
            continue
        render("doc.html", page_path, doc=doc, fields=metadata_rows(doc), category=category_of(doc),
               doc_type=doc_type_of(doc), issuer=issuer_of(doc), by_id=by_id, low_confidence=options.low_confidence)
    return reused


def _archive_link_base(out_dir: Path, archive_dir: Path) -> str:
    """Where the archive lies seen from the site: links in every document page depend on it."""
    try:
        return os.path.relpath(os.path.abspath(archive_dir), os.path.abspath(out_dir))
    except ValueError:  # Windows: another drive
        return os.path.abspath(archive_dir)


def _copy_static(static_dir: Path, writer: SiteWriter) -> None:
    if not static_dir.is_dir():
        return
    for path in sorted(static_dir.rglob("*")):
        if path.is_file():
            writer.put("static/" + path.relative_to(static_dir).as_posix(), path.read_bytes())
