"""Login sessions behind the re-login cookie: started by a password login, ended by a logout.

The cookie holds a random token and nothing else; the table keeps its HMAC-SHA256 under the
cookie key (`digest`), the user and when the session ends. The flow:

1. a password login succeeds → `start` makes a session and returns its id and a one-time ticket;
2. the browser trades the ticket at the server's /_session/start for an HttpOnly cookie
   (`redeem_ticket` makes the token then, so no script ever sees it);
3. a new browser tab or a reload sends the cookie → `by_token` finds the session and its user;
4. every script run re-checks the session by id (`active_user`), so a logout elsewhere, a
   deactivation or a password reset ends it at the next click;
5. logout → `revoke`; the browser is told to delete the cookie, and a copy of it no longer works.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from models import LoginSession, User

TICKET_SECONDS = 120  # the browser redeems its ticket a moment after the login run
# A cookie that ends with the browser (COOKIE_EXPIRY_DAYS=0) still needs an end on the server.
BROWSER_SESSION_HOURS = 12


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def digest(secret: str, *, key: str) -> str:
    """What the table keeps of a token or a ticket: its HMAC-SHA256 under the cookie key, so
    neither a copy of the table nor a row written into it yields a working cookie without the
    key (and a new COOKIE_KEY ends every session)."""
    return hmac.new(key.encode("utf-8"), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def lifetime(cookie_expiry_days: float) -> timedelta:
    """How long a session lasts on the server for a cookie of `cookie_expiry_days` (0: a browser
    session cookie)."""
    return timedelta(days=cookie_expiry_days) if cookie_expiry_days > 0 else timedelta(hours=BROWSER_SESSION_HOURS)


@dataclass(frozen=True)
class Started:
    session_id: int
    ticket: str


def start(*, session: Session, user_id: int, cookie_expiry_days: float, key: str, now: datetime | None = None) -> Started:
    """A new session for `user_id`, with the one-time ticket its browser redeems for the cookie."""
    now = now or _now()
    ticket = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user_id,
        created_at=now,
        expires_at=now + lifetime(cookie_expiry_days),
        ticket_hash=digest(ticket, key=key),
        ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS),
    )
    session.add(row)
    session.flush()
    return Started(session_id=row.id, ticket=ticket)


TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32): what a ticket and a token look like


def looks_like_secret(value: str) -> bool:
    """A ticket or a token is 43 URL-safe characters; anything else is refused before any lookup."""
    return bool(TOKEN_PATTERN.match(value or ""))


def ticket_pending(*, session: Session, ticket: str, key: str, now: datetime | None = None) -> bool:
    """Whether `ticket` is a live, unused ticket (a read: the write lock is taken only for one)."""
    if not looks_like_secret(ticket):
        return False
    row = session.exec(select(LoginSession).where(LoginSession.ticket_hash == digest(ticket, key=key))).first()
    now = now or _now()
    return row is not None and row.revoked_at is None and _aware(row.ticket_expires_at) > now and _aware(row.expires_at) > now


def session_of_token(*, session: Session, token: str, key: str) -> LoginSession | None:
    """The session row a cookie token names, live or not (logout: is this cookie that session's?)."""
    if not looks_like_secret(token):
        return None
    return session.exec(select(LoginSession).where(LoginSession.token_hash == digest(token, key=key))).first()


def redeem_ticket(*, session: Session, ticket: str, key: str, now: datetime | None = None) -> tuple[str, LoginSession] | None:
    """The cookie token for a valid, unused ticket (which is used up); None otherwise."""
    now = now or _now()
    if not looks_like_secret(ticket):
        return None
    row = session.exec(select(LoginSession).where(LoginSession.ticket_hash == digest(ticket, key=key)).with_for_update()).first()
    if row is None or row.revoked_at is not None or _aware(row.ticket_expires_at) <= now or _aware(row.expires_at) <= now:
        return None
    token = secrets.token_urlsafe(32)
    row.ticket_hash = None  # one use only
    row.ticket_expires_at = None
    row.token_hash = digest(token, key=key)
    session.add(row)
    session.flush()
    return token, row


def ticket_redeemed(*, session: Session, session_id: int) -> bool:
    """Whether the session's browser has traded its ticket for the cookie."""
    row = session.get(LoginSession, session_id)
    return row is not None and row.token_hash is not None


def _valid(row: LoginSession | None, user: User | None, now: datetime) -> bool:
    return row is not None and user is not None and user.active and row.revoked_at is None and _aware(row.expires_at) > now


def by_token(*, session: Session, token: str, key: str, now: datetime | None = None) -> tuple[LoginSession, User] | None:
    """The live session a cookie token stands for, and its user; None for anything else."""
    if not looks_like_secret(token):
        return None
    found = session.exec(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == digest(token, key=key))
    ).first()
    if found is None or not _valid(found[0], found[1], now or _now()):
        return None
    return found[0], found[1]


def active_user(*, session: Session, session_id: int, now: datetime | None = None) -> User | None:
    """The user of a live session; None once it was revoked, expired, or the account deactivated."""
    found = session.exec(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id).where(LoginSession.id == session_id)
    ).first()
    if found is None or not _valid(found[0], found[1], now or _now()):
        return None
    return found[1]


def revoke(
    *, session: Session, session_id: int | None = None, token: str | None = None, key: str = "", reason: str = "logout"
) -> bool:
    """End one session, named by id or by its cookie token (with the cookie `key`). True if a
    live session was ended."""
    if session_id is not None:
        row = session.exec(select(LoginSession).where(LoginSession.id == session_id).with_for_update()).first()
    elif token:
        row = session.exec(
            select(LoginSession).where(LoginSession.token_hash == digest(token, key=key)).with_for_update()
        ).first()
    else:
        return False
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = _now()
    row.revoked_reason = reason[:40]
    row.ticket_hash = None
    session.add(row)
    return True


def revoke_all_for_user(*, session: Session, user_id: int, reason: str) -> int:
    """End every live session of a user (deactivated, password changed or reset)."""
    rows = session.exec(
        select(LoginSession).where(LoginSession.user_id == user_id, col(LoginSession.revoked_at).is_(None)).with_for_update()
    ).all()
    now = _now()
    for row in rows:
        row.revoked_at = now
        row.revoked_reason = reason[:40]
        row.ticket_hash = None
        session.add(row)
    return len(rows)
