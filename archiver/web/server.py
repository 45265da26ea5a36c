"""The web server: one FastAPI application on uvicorn, in one process. It serves the pages (upload,
search, document, failures, counts), the REST API under /api/v1 with its OpenAPI schema, the stored
originals and thumbnails (nothing else of the archive folder), and the built static site under /site/.
Unless a daemon already watches the inbox, it watches it itself, in a thread, with the daemon's code."""
from __future__ import annotations

import dataclasses
import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from ..config import Settings
from ..errors import (ArchiveLocked, ArchiverError, CorruptFile, NotFound, QueryError, StorageBusy, UnsupportedFile,
                      UsageError)
from . import api, auth, pages
from .receive import Refused
from .service import WebArchive

log = logging.getLogger("archiver")

STATUS = {NotFound: 404, QueryError: 400, UsageError: 400, UnsupportedFile: 415, CorruptFile: 422,
          StorageBusy: 503, ArchiveLocked: 409}


def status_of(exc: ArchiverError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 409)


class InboxWatcher:
    """The daemon's watcher in a thread of the server, when no other process watches this inbox."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.watcher = None
        self.thread: threading.Thread | None = None
        self.locks = ()
        self.note = ""

    def start(self) -> None:
        from ..app import make_watcher, watch_locks

        if not self.settings.web.watch:
            self.note = "web.watch is off: another process must watch the inbox"
            return
        locks = watch_locks(self.settings, "web")
        try:
            locks[0].acquire()
        except ArchiveLocked as exc:
            self.note = f"the inbox is watched by another process ({exc.message})"
            log.info("%s", self.note)
            return
        try:
            locks[1].acquire()
            self.watcher = make_watcher(self.settings)
        except BaseException:
            for lock in reversed(locks):
                lock.release()
            raise
        self.locks = locks
        self.thread = threading.Thread(target=self.watcher.run, name="inbox-watcher", daemon=True)
        self.thread.start()
        self.note = "watching the inbox in this process"

    @property
    def watching(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop.set()
            self.thread.join(timeout=60)
            self.watcher.pipeline.db.close()
        for lock in reversed(self.locks):
            lock.release()


def create_app(settings: Settings, watch: bool | None = None) -> FastAPI:
    """The application over the archive of these settings; watch=None: as web.watch says."""
    archive = WebArchive(settings)
    watcher = InboxWatcher(settings if watch is None else _with_watch(settings, watch))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        watcher.start()
        try:
            yield
        finally:
            watcher.stop()
            archive.close()

    app = FastAPI(title="archiver", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="Archive of scanned 公文: upload, job state, search, documents, OCR without storing.")
    app.state.archive = archive
    app.state.watcher = watcher
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(pages.router)
    # The web pages' own scripts first (the static site does not ship them), then the site's stylesheet
    # and scripts, shared by both.
    app.mount("/static/web", StaticFiles(directory=settings.site.templates / "web" / "static"), name="web-static")
    app.mount("/static", StaticFiles(directory=settings.site.templates / "static"), name="static")
    settings.paths.site.mkdir(parents=True, exist_ok=True)
    app.mount("/site", auth.ReadGuard(StaticFiles(directory=settings.paths.site, html=True)), name="site")
    _error_handlers(app)
    return app


def _with_watch(settings: Settings, watch: bool) -> Settings:
    return dataclasses.replace(settings, web=dataclasses.replace(settings.web, watch=watch))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, headers: dict | None = None):
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    html = pages.render_error(request, status, message)
    return HTMLResponse(html, status_code=status, headers=headers)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ArchiverError)
    async def archiver_error(request: Request, exc: ArchiverError):
        return _error(request, status_of(exc), exc.message)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return _error(request, exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _error(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body"))
        return _error(request, 422, f"{where}: {first.get('msg', 'invalid value')}" if where else "invalid request")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("request %s failed", request.url.path)
        return _error(request, 500, f"internal error ({type(exc).__name__}); the server log has the details")


def serve(settings: Settings, host: str, port: int, watch: bool | None = None) -> None:
    """Run the server until interrupted (uvicorn handles SIGINT/SIGTERM and stops the watcher on the way)."""
    import uvicorn

    app = create_app(settings, watch)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False, server_header=False,
                            limit_concurrency=200, timeout_keep_alive=5)
    server = uvicorn.Server(config)
    log.info("web server on http://%s:%d/ (archive %s)", host, port, settings.paths.archive)
    server.run()
