"""Login through streamlit-authenticator, with credentials and lockout kept in the database.

The library renders the form and handles the re-login cookie. Its password check is replaced by
services.users.authenticate, which counts failures in the User table (so a lock holds across
processes and restarts) and pays for a bcrypt check whatever the username.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities.exceptions import LoginError

from core import runtime
from core.ui import fmt_datetime, t
from services import users
from services.permissions import Actor

LOGIN_RESULT_KEY = "login_result"
LOGIN_COOKIE_KEY = "_login_cookie"  # (token, expiry) of the re-login cookie this session wrote
AUTHENTICATOR_KEY = "_authenticator"  # this run's Authenticate (it owns a cookie widget: one per run)


def _authenticator() -> stauth.Authenticate:
    s = runtime.settings()
    credentials = runtime.authenticator_credentials()
    authenticator = stauth.Authenticate(
        credentials,
        cookie_name=s.cookie_name,
        cookie_key=s.cookie_key,
        cookie_expiry_days=s.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )

    def check_credentials(username: str, password: str) -> bool:
        with runtime.write_session(Actor.system("login")) as session:
            result = users.authenticate(
                session=session,
                username=username,
                password=password or "",
                max_failures=s.login_max_failures,
                lock_minutes=s.login_lock_minutes,
                bcrypt_rounds=s.bcrypt_rounds,
            )
        st.session_state[LOGIN_RESULT_KEY] = result
        # The library reads the user's name and roles from its credentials after a success.
        return result.ok and username.strip().lower() in credentials["usernames"]

    authenticator.authentication_controller.authentication_model.check_credentials = check_credentials
    st.session_state[AUTHENTICATOR_KEY] = authenticator
    return authenticator


def this_run_authenticator() -> stauth.Authenticate:
    """The authenticator app.py built in this run, for the login page."""
    return st.session_state[AUTHENTICATOR_KEY]


def _forget_login(authenticator: stauth.Authenticate) -> None:
    """Log out: the library clears its session keys and the cookie; we drop the actor."""
    authenticator.logout(location="unrendered")
    st.session_state.pop(runtime.ACTOR_KEY, None)
    st.session_state.pop(LOGIN_COOKIE_KEY, None)


def current_actor() -> tuple[Actor | None, stauth.Authenticate]:
    """Run the login step; return the logged-in actor (or None) and the authenticator."""
    authenticator = _authenticator()
    try:
        authenticator.login(location="unrendered")  # re-login from a valid cookie, if any
    except LoginError:  # a cookie for an account that no longer exists or is inactive
        authenticator.cookie_controller.delete_cookie()
    username = st.session_state.get("username") if st.session_state.get("authentication_status") else None
    if not username:
        st.session_state.pop(runtime.ACTOR_KEY, None)
        return None, authenticator
    user = runtime.user(username)
    if user is None or not user.active:
        _forget_login(authenticator)
        return None, authenticator
    actor = users.actor_for(user)
    st.session_state[runtime.ACTOR_KEY] = actor
    _keep_login_cookie(authenticator)
    return actor, authenticator


def _keep_login_cookie(authenticator: stauth.Authenticate) -> None:
    """Render the cookie writer with the same token on every run of a logged-in session.

    The login run ends in st.rerun(), which can remove the library's cookie component before
    the browser has run it. Rendering one with unchanging arguments on every later run lets the
    browser write the cookie once, whenever the component first mounts, and never again.
    """
    stored = st.session_state.get(LOGIN_COOKIE_KEY)
    if stored is None:
        return
    token, expires_at = stored
    model = authenticator.cookie_controller.cookie_model
    model.cookie_manager.set(model.cookie_name, token, key="keep_login_cookie", expires_at=expires_at)


def _issue_login_cookie(authenticator: stauth.Authenticate) -> None:
    s = runtime.settings()
    if s.cookie_expiry_days <= 0:
        return
    model = authenticator.cookie_controller.cookie_model
    model.exp_date = model._set_exp_date()
    st.session_state[LOGIN_COOKIE_KEY] = (model._token_encode(), datetime.fromtimestamp(model.exp_date))


def render_login_form(authenticator: stauth.Authenticate) -> None:
    """The login form, then a plain-Thai reason when a login is refused."""
    fields = {
        "Form name": t("login.title"),
        "Username": t("login.username"),
        "Password": t("login.password"),
        "Login": t("login.submit"),
    }
    try:
        authenticator.login(location="main", fields=fields, key="login_form")
    except LoginError:
        st.error(t("login.invalid"))
        return
    result = st.session_state.get(LOGIN_RESULT_KEY)
    if st.session_state.get("authentication_status") is False and result is not None:
        if result.reason == "locked" and result.locked_until is not None:
            st.error(t("login.locked", until=fmt_datetime(result.locked_until)), icon=":material/lock:")
        else:
            st.error(t("login.invalid"), icon=":material/error:")
    elif st.session_state.get("authentication_status"):
        st.session_state.pop(LOGIN_RESULT_KEY, None)
        _issue_login_cookie(authenticator)
        st.rerun()


def logout_button(authenticator: stauth.Authenticate) -> None:
    if st.sidebar.button(t("account.logout"), key="logout_button", icon=":material/logout:", width="stretch"):
        _forget_login(authenticator)
        st.rerun()
