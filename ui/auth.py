"""Login: streamlit-authenticator's form, our password check, and a login session on the server.

The library renders the form. Its password check is replaced by services.users.authenticate,
which counts failures in the User table (so a lock holds across processes and restarts) and pays
for a bcrypt check whatever the username. Its re-login cookie is not used: that cookie was
written by a browser script (so never HttpOnly), held only the username and an expiry, and
outlived a logout. Instead a successful login starts a row of `login_session`
(services.login_sessions) and the browser trades a one-time ticket for an HttpOnly cookie at the
server (server.py). Every run re-checks the session, so a logout anywhere, a deactivation or a
password reset ends it at the next click, and a copy of the cookie logs nobody in.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.models import cookie_model as _stauth_cookie_model
from streamlit_authenticator.utilities.exceptions import LoginError

from core.i18n import LANGUAGES
from services import login_sessions, users
from services.permissions import Actor
from ui import cache
from ui.boot import settings
from ui.session import ACTOR_KEY, MUST_CHANGE_KEY, write_session
from ui.widgets import LANG_KEY, LANG_PICKED_KEY, t

LOGIN_RESULT_KEY = "login_result"
LANG_SEEDED_KEY = "_lang_seeded_for"  # the login session whose account language this session took
SESSION_KEY = "_login_session"  # id of this browser session's login_session row
TICKET_KEY = "_login_ticket"  # the one-time ticket the browser has yet to trade for its cookie
DROP_COOKIE_KEY = "_drop_login_cookie"  # after a logout: the ended session, whose cookie the browser deletes
AUTHENTICATOR_KEY = "_authenticator"  # this run's Authenticate, for the login page
LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles")


class _NoBrowserCookies:
    """Stands in for the library's cookie component (extra_streamlit_components.CookieManager),
    an iframe on every run that reads and writes document.cookie: the login cookie is HttpOnly
    now, set and deleted by the server, so the component has nothing to do."""

    def __init__(self, key: str = "init") -> None:
        self.cookies: dict[str, str] = {}

    def get(self, cookie: str) -> None:
        return None

    def set(self, *args: object, **kwargs: object) -> None:
        return None

    def delete(self, *args: object, **kwargs: object) -> None:
        return None


_stauth_cookie_model.stx = SimpleNamespace(CookieManager=_NoBrowserCookies)
# Nor is the library's re-login read: it would accept a JWT under COOKIE_KEY in its own cookie
# (never written; the actor only ever comes from a login session, but the form would loop).
_stauth_cookie_model.CookieModel.get_cookie = lambda self: None


def _authenticator() -> stauth.Authenticate:
    s = settings()
    credentials = cache.authenticator_credentials()
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name="_stauth_unused",  # the library's own cookie: never written (see _NoBrowserCookies)
        cookie_key=s.cookie_key,
        cookie_expiry_days=0,
        auto_hash=False,
        login_sleep_time=0,
    )

    def check_credentials(username: str, password: str) -> bool:
        known = username.strip().lower() in credentials["usernames"]  # the library reads the name from here
        with write_session(Actor.system("login")) as session:
            result = users.authenticate(
                session=session,
                username=username,
                password=password or "",
                max_failures=s.login_max_failures,
                lock_minutes=s.login_lock_minutes,
                bcrypt_rounds=s.bcrypt_rounds,
            )
            started = None
            if result.ok and known:
                started = login_sessions.start(
                    session=session, user_id=result.user_id, cookie_expiry_days=s.cookie_expiry_days, key=s.cookie_key
                )
        st.session_state[LOGIN_RESULT_KEY] = result
        if started is not None:
            st.session_state[SESSION_KEY] = started.session_id
            st.session_state[TICKET_KEY] = started.ticket
            st.session_state.pop(DROP_COOKIE_KEY, None)
        return started is not None

    authenticator.authentication_controller.authentication_model.check_credentials = check_credentials
    st.session_state[AUTHENTICATOR_KEY] = authenticator
    return authenticator


def this_run_authenticator() -> stauth.Authenticate:
    """The authenticator app.py built in this run, for the login page."""
    return st.session_state[AUTHENTICATOR_KEY]


def _forget_login() -> None:
    """Drop everything this browser session knew of its login (the library's keys included)."""
    for key in (ACTOR_KEY, SESSION_KEY, TICKET_KEY, LOGIN_RESULT_KEY, MUST_CHANGE_KEY):
        st.session_state.pop(key, None)
    for key in LIBRARY_KEYS:
        st.session_state[key] = None


def _session_from_cookie() -> int | None:
    """The login session the browser's cookie stands for, if it is still live."""
    token = st.context.cookies.get(settings().cookie_name)
    if not isinstance(token, str) or not token:  # (AppTest's context has no real cookies)
        return None
    found = cache.read(login_sessions.by_token, token=token, key=settings().cookie_key)
    return found[0].id if found else None


def current_actor() -> Actor | None:
    """Run the login step: the logged-in actor, or None (the login page then shows the form)."""
    _authenticator()
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is None:
        session_id = _session_from_cookie()  # a reload, or a new tab of a logged-in browser
    # read on every run, not cached: a logout in another tab, a deactivation or a password reset
    # ends the session at the next click
    user = cache.read(login_sessions.active_user, session_id=session_id) if session_id is not None else None
    if user is None:
        for key in (ACTOR_KEY, SESSION_KEY, TICKET_KEY, MUST_CHANGE_KEY):
            st.session_state.pop(key, None)
        if st.session_state.get("authentication_status"):  # the session ended elsewhere
            _forget_login()
        return None
    st.session_state[SESSION_KEY] = session_id
    st.session_state.update(authentication_status=True, username=user.username, name=user.display_name)
    actor = users.actor_for(user)
    st.session_state[ACTOR_KEY] = actor
    st.session_state[MUST_CHANGE_KEY] = bool(user.must_change_password)  # read with the session, every run
    _language_of(actor, user.language)
    return actor


def _language_of(actor: Actor, stored: str) -> None:
    """Once per login session: the account's language, unless the person picked one on the login
    page, which then becomes the account's."""
    if st.session_state.get(LANG_SEEDED_KEY) == st.session_state.get(SESSION_KEY):
        return
    st.session_state[LANG_SEEDED_KEY] = st.session_state.get(SESSION_KEY)
    picked = st.session_state.pop(LANG_PICKED_KEY, None)
    if picked in LANGUAGES and picked != stored:
        with write_session(actor) as session:
            users.set_language(session=session, actor=actor, language=picked)
    elif stored in LANGUAGES:
        st.session_state[LANG_KEY] = stored


def must_change_password() -> bool:
    """Whether the logged-in account holds a temporary password it must change before anything else."""
    return bool(st.session_state.get(MUST_CHANGE_KEY))


def current_session_id() -> int | None:
    """The login session of this browser session (the account page keeps it on a password change)."""
    return st.session_state.get(SESSION_KEY)


def _browser_call(path: str, body: dict | None = None) -> None:
    """Have the browser POST to one of server.py's session routes. Drawn the same way on every run
    while needed, so the element (and its request) is made once, whenever the browser mounts it."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    url = json.dumps(f"/{base}{path}" if base else path)
    payload = json.dumps(json.dumps(body or {}))
    st.sidebar.html(
        f"""<script>fetch({url}, {{method: "POST", credentials: "same-origin", cache: "no-store",
        headers: {{"Content-Type": "application/json"}}, body: {payload}}});</script>""",
        unsafe_allow_javascript=True,
    )


def sync_browser_cookie() -> None:
    """Called by app.py on every run: after a login, until the browser has its HttpOnly cookie,
    hand it the ticket to redeem; after a logout, tell it to delete the cookie."""
    session_id, ticket = st.session_state.get(SESSION_KEY), st.session_state.get(TICKET_KEY)
    if session_id is not None and ticket:
        if cache.read(login_sessions.ticket_redeemed, session_id=session_id):
            st.session_state.pop(TICKET_KEY, None)
        else:
            _browser_call("/_session/start", {"ticket": ticket})
    if st.session_state.get(DROP_COOKIE_KEY):  # the id: a replay can end only that session
        _browser_call("/_session/end", {"session": st.session_state[DROP_COOKIE_KEY]})


def render_login_form(authenticator: stauth.Authenticate) -> None:
    """The login form, then one plain-Thai refusal whatever the reason (a wrong password, an
    unknown name, a locked account), so the answer does not tell which accounts exist."""
    fields = {
        "Form name": t("login.title"),
        "Username": t("login.username"),
        "Password": t("login.password"),
        "Login": t("login.submit"),
    }
    try:
        authenticator.login(location="main", fields=fields, key="login_form")
    except LoginError:
        st.error(t("login.refused"), icon=":material/error:")
        return
    if st.session_state.get("authentication_status") is False and st.session_state.get(LOGIN_RESULT_KEY) is not None:
        st.error(t("login.refused"), icon=":material/error:")
    elif st.session_state.get("authentication_status"):
        st.session_state.pop(LOGIN_RESULT_KEY, None)
        st.rerun()


def logout_button(actor: Actor) -> None:
    if st.sidebar.button(t("account.logout"), key="logout_button", icon=":material/logout:", width="stretch"):
        session_id = st.session_state.get(SESSION_KEY)
        if session_id is not None:
            with write_session(actor) as session:
                login_sessions.revoke(session=session, session_id=session_id, reason="logout")
        _forget_login()
        st.session_state[DROP_COOKIE_KEY] = session_id or -1
        st.rerun()
