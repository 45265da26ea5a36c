"""Links of the pages the web server renders (the static site's Links, so the document page template
serves both): documents, search and files are the server's own routes; the browse listings (category,
文种, year, 发文机关) are the built static site under /site/."""
from __future__ import annotations

from urllib.parse import quote

from ..site.links import Links

ROUTES = {"index.html": "/", "search.html": "/search"}


class WebLinks(Links):
    def site(self, path: str) -> str:
        if path in ROUTES:
            return ROUTES[path]
        if path.startswith("static/"):
            return "/" + quote(path)
        return "/site/" + quote(path)

    def doc(self, doc_id: int) -> str:
        return f"/documents/{int(doc_id)}"

    def archive(self, rel_path: str) -> str:
        return "/archive/" + quote(rel_path.replace("\\", "/"))
