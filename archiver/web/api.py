"""The REST API (/api/v1): JSON in and out, errors as {"error": message}. Described in the OpenAPI
schema at /api/v1/openapi.json (and as a page at /api)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from ..fields import ARCHIVAL, GONGWEN
from ..storage import search
from ..storage.uploads import UploadState
from ..storage.views import DocumentView
from . import auth
from .receive import Refused, receive

router = APIRouter()

ERRORS = {400: {"description": "bad request"}, 401: {"description": "no or bad token"},
          404: {"description": "not found"}, 413: {"description": "too large or too many pages"},
          415: {"description": "not a PDF or image"}, 422: {"description": "unreadable file or bad parameter"}}
MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                             "description": "one or more PDFs or images (PNG, JPEG, TIFF, BMP)"}}}}}}}
ONE_FILE = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "string", "format": "binary", "description": "one PDF or image"}}}}}}}


def job_json(u: UploadState) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "size": u.size, "state": u.state, "document_id": u.document_id,
            "duplicate_of": u.duplicate_of, "message": u.message, "created_at": u.created_at,
            "url": f"/api/v1/jobs/{u.id}",
            "document_url": f"/api/v1/documents/{u.document_id}" if u.document_id is not None else None}


def fields_json(doc: DocumentView) -> dict[str, Any]:
    return {f.name: getattr(doc, f.name) for f in GONGWEN + ARCHIVAL}


def document_json(doc: DocumentView, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": doc.id, "title": doc.display_title, "original_name": doc.original_name, "kind": doc.kind,
        "size": doc.size, "sha256": doc.sha256, "page_count": doc.page_count, "category": doc.category,
        "tags": list(doc.tags), "fields": fields_json(doc), "issuers": list(doc.issuers), "duplicate_of": doc.duplicate_of,
        "duplicates": list(doc.duplicates), "created_at": doc.created_at,
        "original_url": f"/api/v1/documents/{doc.id}/original", "page_url": f"/documents/{doc.id}",
    }
    if full:
        out["rules"] = [{"rule": h.rule, "category": h.category, "tags": list(h.tags), "field": h.field,
                         "matched": list(h.matched)} for h in doc.hits]
        out["spans"] = [{"field": sp.field, "page": sp.page, "line": sp.line, "text": sp.text} for sp in doc.spans]
        out["pages"] = [{"number": p.number, "width": p.width, "height": p.height, "source": p.source,
                         "image_url": f"/api/v1/documents/{doc.id}/pages/{p.number}" if p.thumbnail else None,
                         "lines": [{"text": ln.text, "box": list(ln.box), "confidence": ln.confidence}
                                   for ln in p.lines]} for p in doc.pages]
    return out


def _archive(request: Request):
    return request.app.state.archive


@router.get("/health", summary="Is the server up, and is the inbox being watched")
def health(request: Request) -> dict[str, Any]:
    a = _archive(request)
    w = request.app.state.watcher
    return {"status": "ok", "documents": a.stats()["documents"], "queue": a.settings.queue,
            "watching": w.watching, "watch_note": w.note}


@router.post("/documents", status_code=202, summary="Upload one or more files into the archive",
             responses=ERRORS, openapi_extra=MULTIPART)
async def upload(request: Request, who: Annotated[str, Depends(auth.require_token)]) -> dict[str, Any]:
    """Each file is streamed to a temp file on the inbox's file system and renamed into the inbox only
    when complete. Returns a job per file; `GET /jobs/{id}` tells what became of it."""
    a = _archive(request)
    files = await receive(request, a.spool, a.max_upload_bytes, a.settings.web.max_files)
    states = await run_in_threadpool(a.accept, files, who)
    return {"jobs": [job_json(u) for u in states]}


@router.get("/jobs/{job_id}", summary="What became of an upload", responses=ERRORS)
def job(request: Request, job_id: int, _: Annotated[str | None, Depends(auth.require_read)]) -> dict[str, Any]:
    """state: queued, processing, stored, duplicate (of `document_id`, or stored as a near-duplicate of
    `duplicate_of`), failed (with the reason in `message`)."""
    return job_json(_archive(request).upload_state(job_id))


@router.get("/jobs", summary="The states of several uploads", responses=ERRORS)
def jobs(request: Request, _: Annotated[str | None, Depends(auth.require_read)],
         ids: Annotated[str, Query(max_length=2000, description="comma-separated job ids")] = "") -> dict[str, Any]:
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()][:500]
    except ValueError:
        raise Refused(400, "ids: comma-separated numbers") from None
    return {"jobs": [job_json(u) for u in _archive(request).upload_states(wanted)]}


def filters_of(category: str | None, doc_type: str | None, issuer: str | None, doc_no: str | None,
               year: int | None, date_from: str | None, date_to: str | None) -> search.Filters:
    return search.Filters(category=category or None, doc_type=doc_type or None, year=year, date_from=date_from or None,
                          date_to=date_to or None, issuer=issuer or None, doc_number=doc_no or None)


@router.get("/documents", summary="Search, or list with filters", responses=ERRORS)
def documents(request: Request, _: Annotated[str | None, Depends(auth.require_read)],
              q: Annotated[str, Query(max_length=search.MAX_QUERY_CHARS)] = "",
              category: str | None = None, type: Annotated[str | None, Query(description="文种")] = None,
              issuer: Annotated[str | None, Query(description="发文机关 contains")] = None,
              doc_no: Annotated[str | None, Query(description="发文字号 contains")] = None,
              year: int | None = None, date_from: Annotated[str | None, Query(alias="from")] = None,
              date_to: Annotated[str | None, Query(alias="to")] = None,
              page: Annotated[int, Query(ge=1, le=10000)] = 1,
              per_page: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """The same engine as `manage.py search`: terms (AND), OR, NOT/-term, "phrases"; with no query and a
    filter, every document passing the filters, newest first. Snippets mark hits with 【】."""
    a = _archive(request)
    filters = filters_of(category, type, issuer, doc_no, year, date_from, date_to)
    if not q.strip() and not filters.any():
        raise Refused(400, "give a query (q) or at least one filter")
    hits, more = a.search(q, filters, page, per_page)
    return {"page": page, "per_page": per_page, "next": more, "results": [
        {"id": h.hit.document_id, "title": h.hit.title or h.hit.original_name, "original_name": h.hit.original_name,
         "category": h.hit.category, "doc_type": h.hit.doc_type, "year": h.hit.year, "score": round(h.hit.score, 4),
         "snippet": h.hit.snippet.replace(search.MARK_START, "【").replace(search.MARK_END, "】"),
         "hit_page": h.page, "hit_line": h.line,
         "page_url": f"/documents/{h.hit.document_id}" + (f"#L{h.page}-{h.line}" if h.line else "")}
        for h in hits]}


@router.get("/documents/{document_id}", summary="One document: fields, 档号, rules, pages and lines",
            responses=ERRORS)
def document(request: Request, document_id: int, _: Annotated[str | None, Depends(auth.require_read)]) -> dict:
    return document_json(_archive(request).document(document_id))


@router.get("/documents/{document_id}/original", summary="The original file", responses=ERRORS,
            response_class=FileResponse)
def original(request: Request, document_id: int, _: Annotated[str | None, Depends(auth.require_read)]):
    path, doc = _archive(request).original(document_id)
    return FileResponse(path, filename=doc.original_name, media_type=MEDIA.get(doc.kind, "application/octet-stream"))


@router.get("/documents/{document_id}/pages/{number}", summary="A page's image (the thumbnail)", responses=ERRORS,
            response_class=FileResponse)
def page_image(request: Request, document_id: int, number: int,
               _: Annotated[str | None, Depends(auth.require_read)]):
    path = _archive(request).page_image(document_id, number)
    return FileResponse(path, media_type=MEDIA.get(path.suffix.lstrip(".").lower(), "application/octet-stream"))


@router.post("/ocr", summary="Read one file without storing it", responses=ERRORS, openapi_extra=ONE_FILE)
async def ocr(request: Request, _: Annotated[str, Depends(auth.require_token)]) -> dict[str, Any]:
    """Text, lines with boxes (page pixels) and confidences, `processing_time_ms`; the same bytes again are
    answered from a cache keyed by their sha256 (`cached: true`)."""
    a = _archive(request)
    files = await receive(request, a.spool, a.max_upload_bytes, 1)
    try:
        return await run_in_threadpool(a.ocr, files[0])
    finally:
        files[0].path.unlink(missing_ok=True)


@router.get("/failures", summary="Files that could not be processed, with their reasons", responses=ERRORS)
def failures(request: Request, _: Annotated[str | None, Depends(auth.require_read)]) -> dict[str, Any]:
    return {"failures": [vars(f) for f in _archive(request).failures()]}


@router.post("/failures/{failure_id}/retry", status_code=202, summary="Put a failed file back into the inbox",
             responses=ERRORS)
def retry(request: Request, failure_id: int, _: Annotated[str, Depends(auth.require_token)]) -> dict[str, Any]:
    return {"inbox_name": _archive(request).retry(failure_id)}


@router.get("/stats", summary="Counts: documents, pages, failures, duplicates, by category, year, 文种",
            responses=ERRORS)
def stats(request: Request, _: Annotated[str | None, Depends(auth.require_read)]) -> dict[str, Any]:
    st = _archive(request).stats()
    return {k: ({str(key): n for key, n in v.items()} if isinstance(v, dict) else v) for k, v in st.items()}


MEDIA = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg",
         "tiff": "image/tiff", "tif": "image/tiff", "bmp": "image/bmp", "webp": "image/webp"}
