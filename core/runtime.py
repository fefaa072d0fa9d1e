"""The running app's shared objects: settings, engine, current user and session scopes.

Only pages and app.py use this module (it imports Streamlit); services take what they need as
arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit import dataframe_util

from core import charts, db
from core.settings import Settings, load_settings
from services import heatmap, login_sessions, overview, plans, rounds, schema, users
from services.permissions import Actor, can_view_page

ACTOR_KEY = "actor"
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def _prepared_engine(url: str, busy_timeout_ms: int) -> Engine:
    """One engine per process; the schema is upgraded (and demo data made) once, at first use."""
    engine = db.get_engine(url, busy_timeout_ms=busy_timeout_ms)
    schema.prepare(engine, settings())
    return engine


def engine() -> Engine:
    s = settings()
    return _prepared_engine(s.database_url, s.sqlite_busy_timeout_ms)


def actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def leave_folder_page_mode() -> None:
    """Make sure pages are only reached through app.py's role-based st.navigation.

    With a pages/ folder beside app.py, Streamlit serves the first run of a fresh process in its
    old folder-based mode, where every file in pages/ is listed and reachable by URL. app.py's
    st.navigation call ends that mode, but only from the next run on; so the first run turns it
    off here and starts again, before anything is shown.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def require_actor(page: str | None = None) -> Actor:
    """The logged-in actor, allowed to see `page`; otherwise the page stops here.

    Navigation only hands a role its own pages; this second check covers the first run of a
    fresh server process, which Streamlit routes through its folder-based page mode.
    """
    leave_folder_page_mode()
    current = actor()
    if current is None or (page is not None and not can_view_page(current, page)):
        st.stop()
    return current


@contextmanager
def read_session() -> Iterator[Session]:
    with db.read_session(engine()) as session:
        yield session


@contextmanager
def write_session(actor: Actor | None = None) -> Iterator[Session]:
    """A write as `actor` (default: the logged-in actor). Once it ends, this run's next
    data_version() reads the database again, so what the run draws after a save includes it."""
    try:
        with db.write_session(engine(), actor or require_actor()) as session:
            yield session
    finally:
        _run.version = None


# ----------------------------------------------------------------------------- reads for pages
@st.cache_data(max_entries=16, show_spinner=False)
def _plan_rounds(database_url: str, version: int, today: date) -> tuple[list, object]:
    with read_session() as session:
        return rounds.plan_rounds(session=session, today=today)


def plan_rounds() -> tuple[list, object]:
    """services.rounds.plan_rounds: the active plan's rounds in order and the current one (by
    today's date), cached until the data changes."""
    return _plan_rounds(settings().database_url, data_version(), date.today())


@st.cache_data(max_entries=16, show_spinner=False)
def _is_demo(database_url: str, version: int) -> bool:
    with read_session() as session:
        return plans.is_demo(session=session)


def is_demo() -> bool:
    """services.plans.is_demo, cached until the data changes."""
    return _is_demo(settings().database_url, data_version())


def session_user(session_id: int) -> users.User | None:
    """The user of a live login session, read from the database on every run (not cached): a
    logout in another tab, a deactivation or a password reset ends the session at the next click."""
    with read_session() as session:
        return login_sessions.active_user(session=session, session_id=session_id)


def login_session_by_token(token: str):  # (LoginSession, User) or None
    """services.login_sessions.by_token: the live session a re-login cookie stands for."""
    with read_session() as session:
        return login_sessions.by_token(session=session, token=token, key=settings().cookie_key)


def ticket_redeemed(session_id: int) -> bool:
    with read_session() as session:
        return login_sessions.ticket_redeemed(session=session, session_id=session_id)


def cell_detail(actor: Actor, round_id: int, agency_code: str, sub_issue_code: str) -> heatmap.CellDetail | None:
    """services.heatmap.cell_detail (which re-checks that `actor` may see the agency)."""
    with read_session() as session:
        return heatmap.cell_detail(
            session=session, actor=actor, round_id=round_id, agency_code=agency_code, sub_issue_code=sub_issue_code
        )


# ----------------------------------------------------------------------------- cached reads
# Aggregates are cached per process and keyed by the database's data version (one primary-key
# read per rerun, see models.audit.DataVersion): a save in any process, this one or another
# behind the same load balancer, changes the version, so the next rerun everywhere recomputes.
_run = threading.local()  # this script run's data version (Streamlit runs a session's script in one thread)


def start_run() -> None:
    """Called first thing by app.py: the next data_version() reads the database again, and the
    pages registered by the previous run are forgotten."""
    _run.version = None
    _run.pages = {}


def register_pages(pages: dict[str, st.Page]) -> None:
    """app.py hands over the pages it gave st.navigation this run, by key (see nav_page)."""
    _run.pages = dict(pages)


def nav_page(key: str, path: str):  # a StreamlitPage, or `path`
    """The page registered as `key` this run, for st.page_link; `path` if none was. A link to a
    page object skips Streamlit's lookup by path (a realpath and a scan of every page, ~0.4 ms a
    link), which the overview's dozens of attention links paid on every rerun."""
    return getattr(_run, "pages", {}).get(key, path)


def data_version() -> int:
    """The committed data version, read once per script run (app.py calls start_run() first), so
    every cache a run touches names the same data."""
    version = getattr(_run, "version", None)
    if version is None:
        with read_session() as session:
            version = _run.version = db.data_version(session)
    return version


@st.cache_data(max_entries=64, show_spinner=False)
def _round_grid(database_url: str, round_id: int, version: int) -> heatmap.RoundGrid:
    with read_session() as session:
        return heatmap.round_grid(session=session, round_id=round_id)


def round_grid(round_id: int) -> heatmap.RoundGrid:
    """services.heatmap.round_grid, cached until the data changes."""
    return _round_grid(settings().database_url, round_id, data_version())


@st.cache_data(max_entries=64, show_spinner=False)
def _round_overview(database_url: str, round_id: int, version: int) -> overview.RoundOverview:
    with read_session() as session:
        return overview.round_overview(session=session, round_id=round_id)


def round_overview(round_id: int) -> overview.RoundOverview:
    """services.overview.round_overview, cached until the data changes."""
    return _round_overview(settings().database_url, round_id, data_version())


@st.cache_data(max_entries=16, show_spinner=False)
def _credentials(database_url: str, version: int) -> dict:
    with read_session() as session:
        return users.authenticator_credentials(session=session)


def authenticator_credentials() -> dict:
    """Every account for streamlit-authenticator, read again only after a write (1,000 users at
    large scale cost ~10 ms a run). Passwords are checked against the database, not this copy."""
    return _credentials(settings().database_url, data_version())


def shippable(chart) -> dict:  # an Altair chart
    """The chart's spec with its datasets as the Arrow bytes Streamlit ships. Handed JSON rows,
    st.vega_lite_chart rebuilds a DataFrame and its Arrow on every rerun (~0.8 s at 40,000 cells);
    cached this way they are built once per view."""
    spec = charts.spec(chart)
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(rows) for name, rows in spec["datasets"].items()}
    return spec


@st.cache_data(max_entries=128, show_spinner=False)
def _view(_build: Callable[[], object], key: tuple) -> object:
    return _build()


def view(build: Callable[[], T], *, view_key: tuple) -> T:
    """What `build()` returns (display rows, labels, tables a page derives from cached data),
    built once per data version and `view_key`, which must name everything else it depends on:
    the page, the round, the language … It must be small and picklable: every rerun gets a copy."""
    return _view(build, (settings().database_url, data_version(), *view_key))


def chart_spec(build: Callable[[], object], *, view_key: tuple) -> dict:
    """The spec of the Altair chart `build()` returns, built once per data version and `view_key`
    (as view()), for st.vega_lite_chart. Building an Altair chart and converting it costs ~4 ms
    a layer a run."""
    return view(lambda: shippable(build()), view_key=("chart_spec", *view_key))
