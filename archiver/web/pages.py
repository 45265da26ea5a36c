"""The HTML pages of the web server (jinja2, the static site's templates and look): upload with live
states, server-side search, the document page, failures with retry, counts with charts, login."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from markupsafe import Markup, escape

from ..site.build import SiteOptions, make_environment
from ..site.fields import metadata_rows
from ..site.groups import category_of, doc_type_of, issuer_of
from ..storage import api_tokens, search
from . import auth
from .api import MEDIA, filters_of
from .charts import bar_chart
from .links import WebLinks

router = APIRouter(include_in_schema=False)
LINKS = WebLinks()
TITLE = SiteOptions().title
PER_PAGE = 20

STATE_LABELS = {"queued": "排队中 Queued", "processing": "处理中 Processing", "stored": "已归档 Stored",
                "duplicate": "重复件 Duplicate", "failed": "失败 Failed"}


def _env(request: Request):
    env = getattr(request.app.state, "jinja", None)
    if env is None:
        env = make_environment(request.app.state.archive.settings.site.templates)
        request.app.state.jinja = env
    return env


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    html = _env(request).get_template(template).render(site_title=TITLE, links=LINKS, web=True,
                                                       signed_in=auth.token_name(request) is not None, **context)
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, message: str) -> str:
    return _env(request).get_template("web/error.html").render(site_title=TITLE, links=LINKS, web=True,
                                                                signed_in=False, status=status, message=message)


def marked(snippet: str) -> Markup:
    """A search snippet with its hits in <mark>, everything else escaped."""
    return Markup(str(escape(snippet)).replace(search.MARK_START, "<mark>").replace(search.MARK_END, "</mark>"))


def _archive(request: Request):
    return request.app.state.archive


Reader = Annotated[str | None, Depends(auth.require_read)]


@router.get("/", response_class=HTMLResponse)
def upload_page(request: Request, _: Reader):
    a = _archive(request)
    return render(request, "web/upload.html", max_mb=a.max_upload_bytes / 2**20, max_files=a.settings.web.max_files,
                  state_labels=STATE_LABELS, watch_note=request.app.state.watcher.note)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, _: Reader, q: Annotated[str, Query(max_length=search.MAX_QUERY_CHARS)] = "",
                category: str | None = None, type: str | None = None, issuer: str | None = None,
                year: Annotated[str | None, Query(max_length=4)] = None,
                page: Annotated[int, Query(ge=1, le=10000)] = 1,
                per_page: Annotated[int, Query(ge=1, le=100)] = PER_PAGE):
    a = _archive(request)
    year_n = int(year) if year and year.isdigit() else None
    filters = filters_of(category, type, issuer, None, year_n, None, None)
    hits, more = ([], False) if not q.strip() and not filters.any() else a.search(q, filters, page, per_page)
    counts = a.facets()  # the filters' choices (no page or line counts: this runs on every search)
    params = {k: v for k, v in (("q", q), ("category", category), ("type", type), ("issuer", issuer),
                                ("year", year), ("per_page", per_page if per_page != PER_PAGE else None)) if v}
    return render(request, "web/search.html", q=q, hits=hits, page=page, more=more, marked=marked,
                  chosen={"category": category or "", "type": type or "", "issuer": issuer or "", "year": year or ""},
                  categories=[k for k in counts["by_category"] if k], types=[k for k in counts["by_type"] if k],
                  years=sorted((k for k in counts["by_year"] if k), reverse=True),
                  prev_url=f"/search?{urlencode({**params, 'page': page - 1})}" if page > 1 else None,
                  next_url=f"/search?{urlencode({**params, 'page': page + 1})}" if more else None)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: int, _: Reader):
    a = _archive(request)
    doc = a.document(document_id)
    by_id = a.documents({i for i in (doc.duplicate_of, *doc.duplicates) if i is not None} | {doc.id})
    return render(request, "doc.html", doc=doc, fields=metadata_rows(doc), category=category_of(doc),
                  doc_type=doc_type_of(doc), issuer=issuer_of(doc), by_id=by_id,
                  low_confidence=a.settings.ocr.low_confidence)


@router.get("/archive/{rel:path}")
def archive_file(request: Request, rel: str, _: Reader):
    """A stored original or thumbnail (what document pages link to); nothing else of the archive folder."""
    path = _archive(request).archive_file(rel)
    return FileResponse(path, media_type=MEDIA.get(path.suffix.lstrip(".").lower(), "application/octet-stream"))


@router.get("/failures", response_class=HTMLResponse)
def failures_page(request: Request, _: Reader):
    return render(request, "web/failures.html", failures=_archive(request).failures())


@router.post("/failures/{failure_id}/retry")
def retry_from_page(request: Request, failure_id: int, _: Annotated[str, Depends(auth.require_token)]):
    _archive(request).retry(failure_id)
    return RedirectResponse("/failures?retried=" + str(failure_id), status_code=303)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, _: Reader):
    st = _archive(request).stats()
    years = sorted(((str(k), n) for k, n in st["by_year"].items() if k is not None), reverse=True)
    types = [(k or "未识别 Unknown", n) for k, n in st["by_type"].items()]
    return render(request, "web/stats.html", st=st,
                  year_chart=bar_chart(years, label="每年文件数 Documents per year"),
                  type_chart=bar_chart(types, label="各文种文件数 Documents per type"))


@router.get("/api", response_class=HTMLResponse)
def api_page(request: Request):
    schema = request.app.openapi()
    routes = [(method.upper(), path, op.get("summary", ""), op.get("description", ""))
              for path, ops in schema["paths"].items() for method, op in ops.items()]
    return render(request, "web/api.html", routes=routes)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "web/login.html", next=_local(next), failed=False)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "/"):
    with _archive(request).db.session() as s:
        name = api_tokens.verify(s, token.strip())
    if name is None:
        return render(request, "web/login.html", status=401, next=_local(next), failed=True)
    response = RedirectResponse(_local(next), status_code=303)
    # HttpOnly: scripts cannot read it; SameSite=Strict: another site's form cannot send it.
    response.set_cookie(auth.COOKIE, token.strip(), httponly=True, samesite="strict", max_age=30 * 86400,
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout():
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.COOKIE)
    return response


def _local(target: str) -> str:
    """Only a path on this server is a place to go after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
