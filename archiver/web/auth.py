"""Who may do what: uploads, OCR and retries need a token (`Authorization: Bearer …`, or the cookie the
login page sets); reading needs one too when web.read_access is `token`. A request that changes
something and signs in with the cookie must come from a page of this server (its Origin, when sent,
names this host): another site cannot make the browser act for the user."""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ..storage import api_tokens

COOKIE = "archiver_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def presented(request: Request) -> str | None:
    return _bearer(request) or request.cookies.get(COOKIE)


def cross_site(request: Request) -> bool:
    """A state-changing request signed in by the cookie whose Origin names another host (CSRF)."""
    if request.method in SAFE_METHODS or _bearer(request) or COOKIE not in request.cookies:
        return False
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.headers.get("host")


def token_name(request: Request) -> str | None:
    """The name of the valid token this request carries, or None; looked up once per request (the access
    check and the page's "signed in" both ask)."""
    if not hasattr(request.state, "token_name"):
        secret = presented(request)
        name = None
        if secret:
            with request.app.state.archive.db.session() as s:
                name = api_tokens.verify(s, secret)
        request.state.token_name = name
    return request.state.token_name


def require_token(request: Request) -> str:
    if cross_site(request):
        raise HTTPException(403, "a request from another site cannot use the sign-in cookie "
                                 "(send the token as `Authorization: Bearer <token>`)")
    name = token_name(request)
    if name is None:
        message = ("this needs a token: send `Authorization: Bearer <token>` (manage.py token create NAME)"
                   if not presented(request) else "the token is not valid (revoked, or mistyped)")
        raise HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})
    return name


def require_read(request: Request) -> str | None:
    if request.app.state.archive.settings.web.read_access == "token":
        return require_token(request)
    return None


class ReadGuard:
    """An ASGI app in front of another that lets a request through only past require_read: the built
    site under /site/ is exactly as readable as the pages."""

    def __init__(self, inner: ASGIApp):
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await run_in_threadpool(require_read, Request(scope))  # a database look-up: not on the loop
        await self.inner(scope, receive, send)
