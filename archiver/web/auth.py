"""Who may do what: uploads, OCR and retries need a token (`Authorization: Bearer …`, or the cookie the
login page sets); reading needs one too when web.read_access is `token`."""
from __future__ import annotations

from fastapi import HTTPException, Request

from ..storage import api_tokens

COOKIE = "archiver_token"


def presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(COOKIE)


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
