"""Links of the pages the web server renders, with the interface of the static site's PageLinks, so
that the document page template serves both: documents, search and files are the server's own routes;
the browse listings (category, 文种, year, 发文机关) are the built static site under /site/."""
from __future__ import annotations

from urllib.parse import quote

from ..site.links import page_original
from ..site.paths import category_path, doc_type_path, issuer_path, year_path

ROUTES = {"index.html": "/", "search.html": "/search"}


class WebLinks:
    def site(self, path: str) -> str:
        if path in ROUTES:
            return ROUTES[path]
        if path.startswith("static/"):
            return "/" + quote(path)
        return "/site/" + quote(path)

    def doc(self, doc_id: int) -> str:
        return f"/documents/{int(doc_id)}"

    def category(self, name: str | None) -> str:
        return self.site(category_path(name))

    def year(self, year: int | None) -> str:
        return self.site(year_path(year))

    def doc_type(self, name: str | None) -> str:
        return self.site(doc_type_path(name))

    def issuer(self, name: str | None) -> str:
        return self.site(issuer_path(name))

    def archive(self, rel_path: str) -> str:
        return "/archive/" + quote(rel_path.replace("\\", "/"))

    def page_original(self, kind: str, archive_path: str, thumbnail: str | None, number: int) -> str:
        return page_original(self.archive, kind, archive_path, thumbnail, number)
