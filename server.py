"""The web server: app.py as a Streamlit st.App, with the login cookie and access rules around it.

`streamlit run server.py` (what `make run`, the tests and the benchmark start) serves app.py and
adds what a Streamlit script cannot do itself:

- **The login cookie is set by the server**, HttpOnly, SameSite=Strict (Secure over https). After a
  password login the page posts a one-time ticket to `/_session/start`, which answers with the
  cookie; `/_session/end` deletes it. Both take only a small JSON body posted by a page of this
  site (Origin or Sec-Fetch-Site), so another site cannot plant its login or force a logout. The cookie's token stands for a row of `login_session`
  (services.login_sessions), which a logout revokes, so a copied cookie dies with the session.
- **Anonymous clients reach only what the login page needs** (the page shell, its static files,
  health, the websocket, whose every run checks the login). Media files (downloads), uploads
  and `/_stcore/metrics` need a live login session (metrics: an admin's); the agent API and
  Streamlit's own st.login routes, which the app does not use, answer 404.
- **No outbound connection.** Streamlit looks up the machine's external IP (an HTTP request to
  checkip.amazonaws.com) and its LAN address (a UDP connect to 8.8.8.8) to print URLs and to
  widen its websocket origin check; an internal ministry app asks nobody. Set
  `browser.serverAddress` (or STREAMLIT_BROWSER_SERVER_ADDRESS) to the host name users type.

`streamlit run app.py` still serves the pages, without this layer: logins then last only until
the browser tab is reloaded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from streamlit import config, net_util

from core import db
from core.settings import Settings, load_settings
from models import Role
from services import login_sessions, schema
from services.permissions import Actor

# no outbound look-ups (see the module docstring)
net_util.get_external_ip = lambda: None
net_util.get_internal_ip = lambda: None

log = logging.getLogger("reform.server")
SESSION_START = "/_session/start"
SESSION_END = "/_session/end"
NOT_SERVED = ("/_stcore/agent", "/auth/", "/oauth2callback")  # features the app does not use
NEEDS_LOGIN = ("/media/", "/_stcore/upload_file")
NEEDS_ADMIN = ("/_stcore/metrics",)

_settings: Settings | None = None


def settings() -> Settings:
    global _settings  # read once per process, as the script's runtime.settings does
    if _settings is None:
        _settings = load_settings()
    return _settings


def _engine():
    s = settings()
    return db.get_engine(s.database_url, busy_timeout_ms=s.sqlite_busy_timeout_ms)


def _base_path() -> str:
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _is_https(conn: HTTPConnection) -> bool:
    return conn.url.scheme == "https" or conn.headers.get("x-forwarded-proto", "").lower() == "https"


def _cookie_header(conn: HTTPConnection, value: str, max_age: int | None) -> str:
    parts = [f"{settings().cookie_name}={value}", f"Path={_base_path() or '/'}", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _is_https(conn):
        parts.append("Secure")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- the login cookie
BODY_LIMIT = 1024  # a ticket or a session id: anything longer is not ours


def _same_origin(request: Request) -> bool:
    """The request comes from a page of this site: its Origin names this host (a browser sends
    Origin with every POST), or the browser says so (Sec-Fetch-Site). A form on another site
    posting here (login CSRF: planting its own login; forcing a logout) is refused."""
    origin = request.headers.get("origin")
    if origin:
        return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
    return request.headers.get("sec-fetch-site") == "same-origin"


async def _json_body(request: Request) -> dict | Response:
    """The small JSON object our page posts, or the refusal to answer with."""
    if not _same_origin(request) or request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return PlainTextResponse("not from this site", status_code=403)
    if int(request.headers.get("content-length") or 0) > BODY_LIMIT:
        return PlainTextResponse("too large", status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            return PlainTextResponse("too large", status_code=413)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return PlainTextResponse("not JSON", status_code=400)
    return data if isinstance(data, dict) else PlainTextResponse("not an object", status_code=400)


def _redeem(ticket: str) -> str | None:
    key = settings().cookie_key
    try:
        with db.read_session(_engine()) as session:  # guesses are answered without the write lock
            if not login_sessions.ticket_pending(session=session, ticket=ticket, key=key):
                return None
        with db.write_session(_engine(), Actor.system("session")) as session:
            redeemed = login_sessions.redeem_ticket(session=session, ticket=ticket, key=key)
            return redeemed[0] if redeemed else None
    except Exception:  # refuse, never answer with a traceback
        log.exception("could not redeem a login ticket")
        return None


async def session_start(request: Request) -> Response:
    """Trade the one-time ticket of a password login for the HttpOnly cookie."""
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    ticket = str(body.get("ticket", ""))
    token = await run_in_threadpool(_redeem, ticket) if login_sessions.looks_like_secret(ticket) else None
    if token is None:
        return PlainTextResponse("invalid or used ticket", status_code=403)
    days = settings().cookie_expiry_days
    max_age = int(login_sessions.lifetime(days).total_seconds()) if days > 0 else None
    response = Response(status_code=204)
    response.headers["Set-Cookie"] = _cookie_header(request, token, max_age)
    response.headers["Cache-Control"] = "no-store"
    return response


def _end(token: str, session_id: object) -> bool:
    """End the session `session_id` if this cookie is its cookie; True when the cookie should go
    (it was that session's, or it stands for no live session at all). A cookie of another live
    session (the tab logged out, then this browser logged in as someone else) is left alone."""
    key = settings().cookie_key
    try:
        with db.write_session(_engine(), Actor.system("logout")) as session:
            row = login_sessions.session_of_token(session=session, token=token, key=key)
            if row is None:
                return True
            if row.id == session_id:
                login_sessions.revoke(session=session, session_id=row.id, reason="logout")
                return True
            return login_sessions.by_token(session=session, token=token, key=key) is None
    except Exception:  # the cookie is deleted all the same
        log.exception("could not end a login session")
        return True


async def session_end(request: Request) -> Response:
    """After a logout: delete this browser's cookie and end its session on the server, if the
    cookie is the logged-out session's (idempotent)."""
    body = await _json_body(request)
    if isinstance(body, Response):
        return body
    token = request.cookies.get(settings().cookie_name, "")
    drop = await run_in_threadpool(_end, token, body.get("session")) if token else False
    response = Response(status_code=204)
    if drop:
        response.headers["Set-Cookie"] = _cookie_header(request, "", 0)
    response.headers["Cache-Control"] = "no-store"
    return response


# ----------------------------------------------------------------------------- who may reach what
def _session_role(token: str) -> Role | None:
    """The role of the live session `token` stands for; None for anything else."""
    try:
        with db.read_session(_engine()) as session:
            found = login_sessions.by_token(session=session, token=token, key=settings().cookie_key)
    except Exception:  # no database yet, a broken one: refuse, never serve
        log.exception("could not check a login cookie")
        return None
    return Role(found[1].role) if found else None


class AccessGuard:
    """Pure ASGI middleware (it passes websockets through untouched): media, uploads and metrics
    only for a live login session; routes of unused features not at all."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        base = _base_path()
        if base and path.startswith(base):
            path = path[len(base) :] or "/"
        refusal = await self._refusal(scope, path)
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    async def _refusal(self, scope: dict[str, Any], path: str) -> Response | None:
        if path.startswith(NOT_SERVED):
            return PlainTextResponse("not found", status_code=404)
        admin_only = path.startswith(NEEDS_ADMIN)
        if not (admin_only or path.startswith(NEEDS_LOGIN)):
            return None
        token = HTTPConnection(scope).cookies.get(settings().cookie_name, "")
        role = await run_in_threadpool(_session_role, token) if token else None
        if role is None or (admin_only and role != Role.admin):
            return PlainTextResponse("login required", status_code=403, headers={"Cache-Control": "no-store"})
        return None


def _warm_up() -> None:
    """Load what the first page runs would load anyway (the pages' libraries and PyThaiNLP's
    dictionary, a few hundred thousand objects that live as long as the process), then freeze
    them out of the garbage collector's sight (gc.freeze): a full collection then walks only
    what came after them, not every module and dictionary word again (tens of ms per collection
    at ministry scale, landing in whichever rerun triggers it)."""
    import gc

    from services import committee_pack, meetings, overview  # noqa: F401  (pandas, Altair, the pack's writers)
    from ui import auth, cache, widgets  # noqa: F401

    widgets.thai_words("ความคืบหน้าการปฏิรูป")  # loads PyThaiNLP's word list
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """Migrate (and in demo mode seed) the database before the first request, as app.py would on
    its first run: the session routes and the access guard read it before any page has run."""
    s = settings()
    await run_in_threadpool(schema.prepare, _engine(), s)
    await run_in_threadpool(_warm_up)
    yield


app = st.App(
    "app.py",
    lifespan=lifespan,
    routes=[Route(SESSION_START, session_start, methods=["POST"]), Route(SESSION_END, session_end, methods=["POST"])],
    middleware=[Middleware(AccessGuard)],
)
