"""Reads for pages: uncached (`read`) or cached per process and keyed by the database's data
version (`cached`, and the named reads below), plus display views derived from cached data.

Every write transaction that changes data increments the single row of `data_version`
(core.db.write_session). A cached read names the database, the version, the service function
and its arguments: one primary-key read per script run decides whether a cached result still
holds, in this process and in every other behind the same load balancer. `start_run` (app.py,
first thing) makes the next `data_version()` read the database again, and so does the end of a
write in this run (ui.session.write_session), so what a run draws after its own save includes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st
from streamlit import dataframe_util

from core import charts, db
from services import heatmap, overview, plans, rounds, users
from ui.boot import engine, settings

T = TypeVar("T")
run_state = threading.local()  # this script run's data version and pages (a session's script runs in one thread)


def start_run() -> None:
    """Called first thing by app.py: the next data_version() reads the database again, and the
    pages registered by the previous run are forgotten."""
    run_state.version = None
    run_state.pages = {}


def data_version() -> int:
    """The committed data version, read once per script run (app.py calls start_run() first), so
    every cache a run touches names the same data."""
    version = getattr(run_state, "version", None)
    if version is None:
        with db.read_session(engine()) as session:
            version = run_state.version = db.data_version(session)
    return version


def data_changed() -> None:
    """This run wrote: its next data_version() reads the database again."""
    run_state.version = None


def read(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`fn(session=…, **kwargs)` in a read session, not cached: reads an actor's own view (entry
    items, a cell's detail, a file), which are cheap and must be current."""
    with db.read_session(engine()) as session:
        return fn(session=session, **kwargs)


# Results of older data versions never hit again: they leave by age (ttl) or by count.
@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _cached(_fn: Callable[..., Any], key: tuple) -> Any:
    return read(_fn, **dict(key[-1]))


def cached(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """`read(fn, **kwargs)`, cached until the data changes. `fn` is a module-level function (its
    module and name are its part of the key: a lambda or a nested function would share one);
    `kwargs` must be hashable (ids, dates, strings); the result is pickled, so every rerun gets
    its own copy."""
    name = getattr(fn, "__qualname__", "")
    if not name or "<" in name:  # "<lambda>", "f.<locals>.g", a functools.partial (no name)
        raise TypeError(f"cached() takes a module-level function, not {fn!r}")
    key = (settings().database_url, data_version(), f"{fn.__module__}.{name}", tuple(sorted(kwargs.items())))
    return _cached(fn, key)


# ----------------------------------------------------------------------------- the cached reads pages use
def plan_rounds() -> tuple[list, Any]:
    """services.rounds.plan_rounds: the active plan's rounds in order and the current one."""
    return cached(rounds.plan_rounds, today=date.today())


def agencies() -> list:
    return cached(plans.agencies)


def alignment(plan_id: int) -> list:
    """services.plans.alignment: the plan's strategy goals and plans with their sub-issues."""
    return cached(plans.alignment, plan_id=plan_id)


def is_demo() -> bool:
    return cached(plans.is_demo)


def authenticator_credentials() -> dict:
    """Every account for streamlit-authenticator, read again only after a write (1,000 users at
    large scale cost ~10 ms a run). Passwords are checked against the database, not this copy."""
    return cached(users.authenticator_credentials)


def round_grid(round_id: int) -> heatmap.RoundGrid:
    """services.heatmap.round_grid: the round's cells and margins (the heatmap, the overview)."""
    return cached(heatmap.round_grid, round_id=round_id)


def _overview_from_grid(*, session, round_id: int) -> overview.RoundOverview:  # session: a Session
    return overview.round_overview(session=session, round_id=round_id, grid=round_grid(round_id))


def round_overview(round_id: int) -> overview.RoundOverview:
    """services.overview.round_overview, built from the same cached grid the heatmap uses."""
    return cached(_overview_from_grid, round_id=round_id)


# ----------------------------------------------------------------------------- views of cached data
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
