"""Build the static site: render every page with one jinja2 environment and write what changed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from archiver.errors import ConfigError
from archiver.site.files import SiteWriter
from archiver.site.groups import (
    by_category,
    by_year,
    category_of,
    doc_type_counts,
    recently_archived,
)
from archiver.site.links import PageLinks
from archiver.site.paths import INDEX_PATH, STYLE_PATH, doc_path
from archiver.storage.views import DocumentView

_PAGE_FOLDERS = ("category", "year", "doc")


@dataclass(frozen=True)
class SiteOptions:
    title: str = "公文档案 Document Archive"
    recent_count: int = 20
    low_confidence: float = 0.6  # lines below this are marked for a reader to check
    prune: bool = True  # delete pages of documents, categories and years no longer present

    def __post_init__(self):
        if self.recent_count < 0:
            raise ValueError("recent_count must be >= 0")
        if not 0.0 <= self.low_confidence <= 1.0:
            raise ValueError("low_confidence must be between 0 and 1")


@dataclass(frozen=True)
class BuildReport:
    written: int
    unchanged: int
    removed: int = 0


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
    )


def build_site(
    documents: list[DocumentView],
    out_dir: Path,
    *,
    templates_dir: Path,
    archive_dir: Path,
    options: SiteOptions = SiteOptions(),
) -> BuildReport:
    """Render index, category, year and document pages into out_dir; rewrite only changed files."""
    out_dir, templates_dir, archive_dir = Path(out_dir), Path(templates_dir), Path(archive_dir)
    env = make_environment(templates_dir)
    by_id = {d.id: d for d in documents}
    if len(by_id) != len(documents):
        raise ValueError("documents contain the same id more than once")
    categories = by_category(documents)
    years = by_year(documents)
    writer = SiteWriter(out_dir)

    def render(template: str, page_path: str, **context) -> None:
        links = PageLinks(page_path, out_dir, archive_dir)
        html = env.get_template(template).render(
            site_title=options.title,
            nav_categories=categories,
            nav_years=years,
            links=links,
            **context,
        )
        writer.put(page_path, html.encode("utf-8"))

    render(
        "index.html",
        INDEX_PATH,
        document_count=len(documents),
        page_count=sum(d.page_count for d in documents),
        category_rows=[(g.label, g.path, g.count) for g in categories],
        year_rows=[(g.label, g.path, g.count) for g in years],
        doc_type_rows=[(label, None, n) for label, n in doc_type_counts(documents)],
        recent=recently_archived(documents, options.recent_count),
    )
    for group in categories:
        render("listing.html", group.path, group=group, heading="分类 Category")
    for group in years:
        render("listing.html", group.path, group=group, heading="年份 Year")
    for doc in documents:
        render(
            "doc.html",
            doc_path(doc.id),
            doc=doc,
            category=category_of(doc),
            by_id=by_id,
            low_confidence=options.low_confidence,
        )
    _copy_static(templates_dir / "static", writer)
    if STYLE_PATH not in writer.paths:
        raise ConfigError(f"{templates_dir / STYLE_PATH} is missing")
    removed = writer.prune(_PAGE_FOLDERS) if options.prune else 0
    return BuildReport(written=writer.written, unchanged=writer.unchanged, removed=removed)


def _copy_static(static_dir: Path, writer: SiteWriter) -> None:
    if not static_dir.is_dir():
        return
    for path in sorted(static_dir.rglob("*")):
        if path.is_file():
            writer.put("static/" + path.relative_to(static_dir).as_posix(), path.read_bytes())
