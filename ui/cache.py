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
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, TypeVar

import pandas as pd
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
    run_state.wrote = False
    run_state.entries = {}  # the round entries this run was given: one answer per run
    run_state.pages = {}


def data_version() -> int:
    """The committed data version, read once per script run (app.py calls start_run() first), so
    every cache a run touches names the same data."""
    version = getattr(run_state, "version", None)
    if version is None:
        with db.read_session(engine()) as session:
            version, run_state.plan_version = db.data_versions(session)
            run_state.version = version
    return version


def plan_version() -> int:
    """The version at which anything but progress reports last changed (core.db.data_versions),
    read with data_version(): the key of caches of the plan, rounds and accounts."""
    data_version()
    return run_state.plan_version


def data_changed() -> None:
    """This run wrote: its next data_version() reads the database again, and what it reads from
    the round caches is current (it sees its own save)."""
    run_state.version = None
    run_state.wrote = True
    run_state.entries = {}
    st.session_state[_WROTE_AT] = time.monotonic()


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


def cached_plan(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """cached(fn, …) for reads that no progress report changes (the plan, its rounds, the accounts,
    meetings and their directives): kept until anything but a report changes (plan_version), so a
    deadline's saves leave them."""
    name = getattr(fn, "__qualname__", "")
    if not name or "<" in name:
        raise TypeError(f"cached_plan() takes a module-level function, not {fn!r}")
    key = (settings().database_url, ("plan", plan_version()), f"{fn.__module__}.{name}", tuple(sorted(kwargs.items())))
    return _cached(fn, key)


# ----------------------------------------------------------------------------- the cached reads pages use
def plan_rounds() -> tuple[list, Any]:
    """services.rounds.plan_rounds: the active plan's rounds in order and the current one."""
    return cached_plan(rounds.plan_rounds, today=date.today())


def agencies() -> list:
    return cached_plan(plans.agencies)


def alignment(plan_id: int) -> list:
    """services.plans.alignment: the plan's strategy goals and plans with their sub-issues."""
    return cached_plan(plans.alignment, plan_id=plan_id)


def is_demo() -> bool:
    return cached_plan(plans.is_demo)


def authenticator_credentials() -> dict:
    """Every account for streamlit-authenticator, read again only after a write (1,000 users at
    large scale cost ~10 ms a run). Passwords are checked against the database, not this copy."""
    return cached_plan(users.authenticator_credentials)


# A round's grid and overview are kept per process and brought up to date after saves instead of
# computed again: a save records the (round, agency) pairs it wrote (models.audit.DataChange), so
# the next run re-reads those agencies' cells only (services.heatmap.refresh_grid), and the
# overview reuses what only earlier rounds decide (services.overview.round_overview(earlier=…)).
# Writes that touch nothing a round is built from (meetings, evidence, reminders …) leave both as
# they are. `basis` is the data version at which an entry's content last changed: views built
# from it are keyed by it (view(basis=…)), so they survive those writes too.
@dataclass
class _Entry:
    version: int  # the data version the entry is up to date with
    basis: int  # the data version at which its content last changed
    value: Any
    plan_version: int = 0  # plan_version() when it was made
    made_at: float = 0.0  # time.monotonic() when it was made


# During a rush (saves every fraction of a second) a refreshed entry serves the runs of the next
# FIGURES_SETTLE_S seconds instead of being refreshed for each save: one refresh a second, not
# one per save. A run may be shown an entry one save or more behind only when the entry was
# refreshed within that time, no plan change came since, the run did not write, and the
# session's previous run of the same entry was current, and the entry was made after the session's
# own last save: the session's next run is current. So a reader's figures are never more than one
# run behind, and a person sees their own save at once.
_BEHIND = "_cache_shown_behind"  # session_state: the entries this session was last shown behind
_WROTE_AT = "_cache_wrote_at"  # session_state: when this session last wrote (time.monotonic())


def _settled(key: tuple, entry: _Entry | None, version: int) -> bool:
    """Whether this run takes `entry` although saves came after it (see above); marks the session."""
    if entry is None or entry.version >= version or getattr(run_state, "wrote", False):
        return False
    if time.monotonic() - entry.made_at >= settings().figures_settle_s or entry.plan_version != plan_version():
        return False
    if entry.made_at <= st.session_state.get(_WROTE_AT, -1.0):  # made before this person's own save
        return False
    behind = st.session_state.setdefault(_BEHIND, set())
    if key in behind:
        return False
    behind.add(key)
    return True


def _current(key: tuple) -> None:
    """This session was shown the entry `key` up to date."""
    behind = st.session_state.get(_BEHIND)
    if behind:
        behind.discard(key)


_ROUND_ENTRIES = 64  # rounds × databases kept per process (tests open many databases)
_entries: OrderedDict[tuple, _Entry] = OrderedDict()
_entries_lock = threading.Lock()
_key_locks: dict[tuple, threading.Lock] = {}


def forget_rounds() -> None:
    """Drop every kept grid and overview (tests that reuse a database path start afresh)."""
    with _entries_lock:
        _entries.clear()
        _key_locks.clear()


def _lock_for(key: tuple) -> threading.Lock:
    with _entries_lock:
        return _key_locks.setdefault(key, threading.Lock())


def _remember(key: tuple, entry: _Entry) -> _Entry:
    with _entries_lock:
        _entries[key] = entry
        _entries.move_to_end(key)
        while len(_entries) > _ROUND_ENTRIES:
            old, _ = _entries.popitem(last=False)
            _key_locks.pop(old, None)
    return entry


def _given(key: tuple, entry: _Entry) -> _Entry:
    """`entry`, the one every later call of this run gets for `key`."""
    if not hasattr(run_state, "entries"):
        run_state.entries = {}
    run_state.entries[key] = entry
    return entry


def _grid_entry(round_id: int) -> _Entry:
    key = ("grid", settings().database_url, round_id)
    given = getattr(run_state, "entries", {}).get(key)
    if given is not None:
        return given
    version = data_version()
    entry = _entries.get(key)
    if _settled(key, entry, version):
        return _given(key, entry)
    _current(key)
    return _given(key, _grid_refreshed(key, round_id, version))


def _grid_refreshed(key: tuple, round_id: int, version: int) -> _Entry:
    with _lock_for(key):  # one run computes; the sessions rerunning at the same moment wait for it
        entry = _entries.get(key)
        if entry is not None and entry.version >= version:  # (newer: a run that began later refreshed it)
            return entry
        with db.read_session(engine()) as session:
            grid, basis = None, version
            if entry is not None and entry.version < version:
                changed = heatmap.changes_since(session=session, since_version=entry.version, until_version=version)
                if changed is not None:
                    agencies = heatmap.agencies_to_refresh(session=session, round_id=round_id, changed=changed)
                    if not agencies:
                        grid, basis = entry.value, entry.basis
                    else:
                        grid = heatmap.refresh_grid(session=session, grid=entry.value, round_id=round_id, agency_ids=agencies)
            if grid is None:
                grid = heatmap.round_grid(session=session, round_id=round_id)
        return _remember(key, _Entry(version, basis, grid, plan_version(), time.monotonic()))


def _overview_entry(round_id: int) -> _Entry:
    key = ("overview", settings().database_url, round_id)
    given = getattr(run_state, "entries", {}).get(key)
    if given is not None:
        return given
    return _given(key, _overview_refreshed(key, round_id, _grid_entry(round_id)))


def _overview_refreshed(key: tuple, round_id: int, grid_entry: _Entry) -> _Entry:
    version = grid_entry.version
    with _lock_for(key):
        entry = _entries.get(key)
        if entry is not None and entry.version >= version:  # (newer: built on a grid refreshed since)
            return entry
        with db.read_session(engine()) as session:
            earlier, reach = None, "earlier"
            if entry is not None and entry.version < version:
                changed = heatmap.changes_since(session=session, since_version=entry.version, until_version=version)
                if changed is not None:
                    reach = overview.reach(session=session, round_id=round_id, changed=changed)
            if reach == "none":  # only later rounds (or nothing a round is built from) changed
                return _remember(key, _Entry(version, entry.basis, entry.value, grid_entry.plan_version, grid_entry.made_at))
            if reach == "this_round":
                earlier = entry.value
            value = overview.round_overview(session=session, round_id=round_id, grid=grid_entry.value, earlier=earlier)
        return _remember(key, _Entry(version, version, value, grid_entry.plan_version, grid_entry.made_at))


def _own_copy(value: T) -> T:
    """The cached dataclass with its own (shallow) copy of every DataFrame: a page that adds a
    column to one changes its copy, not what every session shares. Cells are not edited in place."""
    copies = {
        f.name: getattr(value, f.name).copy(deep=False) for f in fields(value) if isinstance(getattr(value, f.name), pd.DataFrame)
    }
    return replace(value, **copies)


def round_grid(round_id: int) -> heatmap.RoundGrid:
    """services.heatmap.round_grid: the round's cells and margins (the heatmap, the overview),
    kept up to date after saves by refreshing the agencies they wrote."""
    return _own_copy(_grid_entry(round_id).value)


def grid_basis(round_id: int) -> int:
    """The data version at which the round's grid last changed: the key of views drawn from it."""
    return _grid_entry(round_id).basis


def round_overview(round_id: int) -> overview.RoundOverview:
    """services.overview.round_overview, built from the same grid the heatmap uses."""
    return _own_copy(_overview_entry(round_id).value)


def overview_basis(round_id: int) -> int:
    """The data version at which the round's overview last changed (as grid_basis)."""
    return _overview_entry(round_id).basis


# ----------------------------------------------------------------------------- views of cached data
def shippable(chart) -> dict:  # an Altair chart
    """The chart's spec with its datasets as the Arrow bytes Streamlit ships. Handed JSON rows,
    st.vega_lite_chart rebuilds a DataFrame and its Arrow on every rerun (~0.8 s at 40,000 cells);
    cached this way they are built once per view."""
    data = getattr(chart, "data", None)
    if isinstance(data, pd.DataFrame) and len(data) > 1:
        # Altair turns a frame into JSON rows (and hashes them) and deep-copies them through its
        # schema classes: ~1 s for 3,250 cells. The spec is built on an empty frame of the same
        # columns and the frame itself goes to Arrow: the same dataset, ~5 ms.
        chart.data = data.iloc[:0]
        spec = charts.spec(chart)
        (name,) = spec["datasets"]  # the chart's one dataset, named by Altair
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(data.reset_index(drop=True))}
        return spec
    spec = charts.spec(chart)
    spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(rows) for name, rows in spec["datasets"].items()}
    return spec


@st.cache_data(max_entries=128, show_spinner=False)
def _view(_build: Callable[[], object], key: tuple) -> object:
    return _build()


def view(build: Callable[[], T], *, view_key: tuple, basis: int | None = None) -> T:
    """What `build()` returns (display rows, labels, tables a page derives from cached data),
    built once per data version and `view_key`, which must name everything else it depends on:
    the page, the round, the language … It must be small and picklable: every rerun gets a copy.
    `basis` (grid_basis, overview_basis) replaces the data version when `build` draws only on
    the round's grid or overview: the view then outlives writes that leave those as they were."""
    return _view(build, (settings().database_url, data_version() if basis is None else ("basis", basis), *view_key))


def chart_spec(build: Callable[[], object], *, view_key: tuple, basis: int | None = None) -> dict:
    """The spec of the Altair chart `build()` returns, built once per data version (or `basis`)
    and `view_key` (as view()), for st.vega_lite_chart. Building an Altair chart and converting
    it costs ~4 ms a layer a run."""
    return view(lambda: shippable(build()), view_key=("chart_spec", *view_key), basis=basis)
