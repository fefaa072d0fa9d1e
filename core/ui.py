"""Small Streamlit building blocks shared by pages: translation, language, demo marker, dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import streamlit as st

from core import thaidate
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from services.errors import UserFacingError

LANG_KEY = "lang"
LANG_WIDGET_KEY = "lang_switch"
LOCAL_TZ = ZoneInfo("Asia/Bangkok")


def lang() -> str:
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: object) -> str:
    return translate(key, lang(), **params)


def fmt_date(d: date, *, short: bool = False) -> str:
    return thaidate.format_date(d, short=short, lang=lang())


def fmt_datetime(dt: datetime) -> str:
    local = dt.astimezone(LOCAL_TZ) if dt.tzinfo else dt
    return thaidate.format_datetime(local, lang=lang())


def round_label(fiscal_year: int, months: int) -> str:
    return t("round.label", fy=fiscal_year, months=months)


def _language_changed() -> None:
    choice = st.session_state.get(LANG_WIDGET_KEY)
    if choice in LANGUAGES:  # clicking the active option deselects it: keep the language
        st.session_state[LANG_KEY] = choice


def language_switch() -> None:
    """Thai/English toggle in the sidebar; the choice lasts for the browser session."""
    current = lang()
    st.session_state[LANG_KEY] = current
    st.session_state[LANG_WIDGET_KEY] = current
    st.sidebar.segmented_control(
        translate("lang.label", current),
        options=list(LANGUAGES),
        key=LANG_WIDGET_KEY,
        format_func=lambda code: translate(f"lang.{code}", code),
        selection_mode="single",
        on_change=_language_changed,
    )


def demo_banner() -> None:
    """The visible marker shown on every page while the demo database is in use."""
    st.warning(t("demo.banner"), icon=":material/science:")


def show_refusal(exc: UserFacingError, icon: str = ":material/error:") -> None:
    """A service's refusal, in the user's language."""
    st.error(t(exc.message_key, **exc.params), icon=icon)


FLASH_KEY = "_flash"


def flash(message: str) -> None:
    """A toast shown on the next run (a toast raised just before st.rerun would be lost)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(message, icon=":material/check_circle:")
