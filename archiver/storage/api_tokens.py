"""Bearer tokens of the web API (`manage.py token create NAME`). A token is 32 random bytes shown once;
the database keeps only its SHA-256, which is enough for a secret of that entropy (no slow hash needed)."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..errors import NotFound, UsageError
from .tables import TokenRow, utc_now

PREFIX = "arc_"  # a token is recognisable in a config file or a log
NAME = re.compile(r"^[\w.@-]{1,100}$")
TOUCH_SECONDS = 60  # last_used_at is written at most this often: not a database write on every request


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(s: Session, name: str) -> str:
    """A new token for `name`; returns its secret (never stored)."""
    if not NAME.match(name):
        raise UsageError(f"token name {name!r}: use 1-100 letters, digits, . @ _ or -")
    if s.scalar(select(TokenRow.id).where(TokenRow.name == name)) is not None:
        raise UsageError(f"a token named {name} exists: revoke it first (manage.py token revoke {name})")
    secret = PREFIX + secrets.token_urlsafe(32)
    s.add(TokenRow(name=name, token_sha256=_digest(secret)))
    s.flush()
    return secret


def verify(s: Session, secret: str) -> str | None:
    """The name of the token with this secret, or None; notes when it was last used (to the minute)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = s.scalar(select(TokenRow).where(TokenRow.token_sha256 == _digest(secret)))
    if row is None:
        return None
    if _stale(row.last_used_at):
        s.execute(update(TokenRow).where(TokenRow.id == row.id).values(last_used_at=utc_now()))
    return row.name


def _stale(last_used_at: str | None) -> bool:
    if last_used_at is None:
        return True
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=TOUCH_SECONDS)
    return last_used_at < cutoff.isoformat(timespec="seconds")  # utc_now's form: compares as text


def names(s: Session) -> list[tuple[str, str, str | None]]:
    """(name, created_at, last_used_at) of every token."""
    return [tuple(r) for r in s.execute(select(TokenRow.name, TokenRow.created_at, TokenRow.last_used_at)
                                        .order_by(TokenRow.name))]


def revoke(s: Session, name: str) -> None:
    if s.execute(delete(TokenRow).where(TokenRow.name == name)).rowcount == 0:
        raise NotFound(f"no token named {name}")
