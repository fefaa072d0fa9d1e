"""The heatmap's data: every agency × every sub-issue of a plan for one round, as tidy DataFrames.

Aggregation runs in SQL (joins and GROUP BY), not in Python loops over rows. Each cell is in one
of these states, never confused:
- ``not_assigned``  the agency has no indicator for the sub-issue;
- ``not_reported``  assigned, but nothing filed for the round;
- ``draft``, ``submitted``, ``approved``, ``returned``  the report's submission state.

Weighted progress (margins per agency, per sub-issue, per main issue, overall) is
Σ(weight × progress) / Σ(weight) over *assigned* cells (weight: the sub-issue's × the owner's), with unreported cells counted as 0 %,
so a missing report pulls the figure down instead of vanishing from it.

The margins' ``reported`` (a report in any state, drafts included) orders the "most unreported"
sort; the counts people read ("ส่งแล้ว x/y": sent or approved) and the cells' marks are
services.figures', the one definition the pages and the committee pack share.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core import frames
from core.i18n import translate
from core.thaidate import format_local_datetime
from models import (
    Agency,
    Assignment,
    DataChange,
    Evidence,
    ExpectedProgress,
    MainIssue,
    ProgressReport,
    ReviewEvent,
    Round,
    SubIssue,
    User,
)
from services import figures, plans, spreadsheet_safety, users
from services import rounds as rounds_service
from services.permissions import Actor, require_view
from services.status import DEFAULT_EXPECTED

NOT_ASSIGNED = "not_assigned"
NOT_REPORTED = "not_reported"
CELL_STATES = (NOT_ASSIGNED, NOT_REPORTED, "draft", "submitted", "approved", "returned")

CELL_COLUMNS = [
    "agency_id",
    "agency_code",
    "agency_short_name",
    "agency_short_name_en",
    "agency_order",
    "main_issue_number",
    "main_issue_name_th",
    "main_issue_name_en",
    "sub_issue_id",
    "sub_issue_code",
    "sub_issue_name_th",
    "sub_issue_name_en",
    "sub_issue_order",
    "assignment_id",
    "weight",
    "target_value",
    "unit",
    "unit_en",
    "report_id",
    "state",
    "progress_pct",
    "previous_progress_pct",
    "change_pct",
    "status",
    "actual_value",
    "updated_by",
    "updated_at",
]


def cells(*, session: Session, round_id: int, agency_ids: Collection[int] | None = None) -> pd.DataFrame:
    """One row per agency × sub-issue of the round's plan, in plan order (agencies, then issues);
    only the agencies `agency_ids` when given (a grid refreshed after their saves).

    Three queries: the agencies, the sub-issues (names and order, a few hundred rows at most) and
    the round's items with their reports (one row per assignment, not per agency × sub-issue: an
    unassigned cell needs no row from the database); the grid is their cross product, laid out
    with numpy. Numbers are read as floats in SQL, not as Decimals."""
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    only = Agency.id.in_(agency_ids) if agency_ids is not None else sa.true()
    agencies = session.execute(
        sa.select(Agency.id, Agency.code, Agency.short_name_th, Agency.short_name_en, Agency.sort_order)
        .where(Agency.active == sa.true(), only)
        .order_by(Agency.sort_order, Agency.code)
    ).all()
    subs = session.execute(
        sa.select(
            MainIssue.number,
            MainIssue.name_th,
            MainIssue.name_en,
            SubIssue.id,
            SubIssue.code,
            SubIssue.name_th,
            SubIssue.name_en,
            SubIssue.sort_order,
        )
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .where(MainIssue.plan_id == rnd.plan_id, SubIssue.archived_at.is_(None) | _reported_sub(rnd.id))
        .order_by(MainIssue.number, SubIssue.sort_order)
    ).all()
    return _grid_frame(agencies, subs, _items(session, rnd, prev, agency_ids))


def _items(session: Session, rnd: Round, prev: Round | None, agency_ids: Collection[int] | None) -> list:
    """The round's items (assignments of active agencies that are items of the round) with their
    report, their previous round's progress and who last saved them: one row per item (only the
    agencies `agency_ids` when given)."""
    params = {"plan_id": rnd.plan_id, "round_id": rnd.id, "previous_id": prev.id if prev else -1}
    if agency_ids is not None:
        params["agency_ids"] = list(agency_ids)
    return session.execute(_items_statement(agency_ids is not None), params).all()


@functools.cache
def _items_statement(some_agencies: bool) -> sa.Select:
    """`_items`' statement, built once and run with bound parameters ``plan_id``, ``round_id``,
    ``previous_id`` (-1 when there is no previous round) and, when `some_agencies`, the expanding
    ``agency_ids``: building its casts, joins and aliases costs more than running it for one agency."""
    report, previous = aliased(ProgressReport), aliased(ProgressReport)
    real = sa.Float
    round_id = sa.bindparam("round_id")

    def number(column):
        return sa.cast(column, real)

    only = Agency.id.in_(sa.bindparam("agency_ids", expanding=True)) if some_agencies else sa.true()
    return (
        sa.select(
            *(
                column.label(name)
                for name, column in zip(
                    _ITEM_PART,
                    (
                        Assignment.agency_id,
                        Assignment.sub_issue_id,
                        Assignment.id,
                        number(plans.item_weight()),
                        number(Assignment.target_value),
                        Assignment.unit,
                        Assignment.unit_en,
                        report.id,
                        report.submission_state,
                        number(report.progress_pct),
                        number(previous.progress_pct),
                        report.status,
                        number(report.actual_value),
                        User.display_name,
                        report.updated_at,
                    ),
                    strict=True,
                )
            )
        )
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .outerjoin(report, (report.assignment_id == Assignment.id) & (report.round_id == round_id))
        .outerjoin(previous, (previous.assignment_id == Assignment.id) & (previous.round_id == sa.bindparam("previous_id")))
        .outerjoin(User, User.id == report.updated_by_id)
        .where(MainIssue.plan_id == sa.bindparam("plan_id"), Agency.active == sa.true(), only, plans.in_round(report, round_id))
    )


_AGENCY_PART = ["agency_id", "agency_code", "agency_short_name", "agency_short_name_en", "agency_order"]
_SUB_PART = [
    *("main_issue_number", "main_issue_name_th", "main_issue_name_en"),
    *("sub_issue_id", "sub_issue_code", "sub_issue_name_th", "sub_issue_name_en", "sub_issue_order"),
]
_ITEM_PART = [
    *("agency_id", "sub_issue_id", "assignment_id", "weight", "target_value", "unit", "unit_en", "report_id"),
    *("state", "progress_pct", "previous_progress_pct", "status", "actual_value", "updated_by", "updated_at"),
]


_ITEM_FLOATS = ("weight", "target_value", "progress_pct", "previous_progress_pct", "change_pct", "actual_value")
_ITEM_TEXTS = ("unit", "unit_en", "status", "updated_by")
ITEM_COLUMNS = ("assignment_id", "report_id", *_ITEM_FLOATS, *_ITEM_TEXTS, "state", "updated_at")  # what a cell's item decides


def _item_values(items: list) -> dict[str, np.ndarray]:
    """The items' (`_items`) columns as numpy arrays, one entry per item: integer agency and
    sub-issue ids; float64 ids and figures (NaN where none; ``change_pct`` the change from the
    previous round); objects for the texts (enum values, None where none) and the cell's state;
    datetime64[us] in UTC for ``updated_at``."""
    part = dict(zip(_ITEM_PART, zip(*items, strict=True) if items else [()] * len(_ITEM_PART), strict=True))
    out: dict[str, np.ndarray] = {name: np.array(part[name], dtype=np.int64) for name in ("agency_id", "sub_issue_id")}
    for name in ("assignment_id", "report_id", *(n for n in _ITEM_PART if n in _ITEM_FLOATS)):
        out[name] = np.array(part[name], dtype="float64")  # None → NaN
    out["change_pct"] = out["progress_pct"] - out["previous_progress_pct"]
    for name in ("unit", "unit_en", "updated_by"):
        out[name] = np.array(part[name], dtype=object)
    out["status"] = np.array([getattr(v, "value", v) for v in part["status"]], dtype=object)
    reported = ~np.isnan(out["report_id"])
    state = np.full(len(items), NOT_REPORTED, dtype=object)
    state[reported] = [getattr(v, "value", v) for v in np.array(part["state"], dtype=object)[reported]]
    out["state"] = state
    when = pd.to_datetime(np.array(part["updated_at"], dtype=object), utc=True)  # naive: UTC
    out["updated_at"] = when.tz_localize(None).to_numpy().astype("datetime64[us]")
    return out


def _item_columns(size: int, values: dict[str, np.ndarray], at: np.ndarray) -> dict[str, np.ndarray]:
    """The item columns (ITEM_COLUMNS) of `size` cells as numpy arrays (as _item_values): the items
    `values` at the cells `at`, every other cell unassigned."""
    out: dict[str, np.ndarray] = {}
    for name in ("assignment_id", "report_id", *_ITEM_FLOATS):
        out[name] = np.full(size, np.nan)
    for name in _ITEM_TEXTS:
        out[name] = np.full(size, None, dtype=object)
    out["state"] = np.full(size, NOT_ASSIGNED, dtype=object)
    out["updated_at"] = np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
    for name, column in out.items():
        column[at] = values[name]
    return {name: out[name] for name in ITEM_COLUMNS}


def _cell_array(name: str, values: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """An item column (as _item_columns) in CELL_COLUMNS' type: float64 ids, Float64 figures
    (NaN → NA), str texts and state, datetime64[us, UTC]."""
    if name in ("assignment_id", "report_id"):
        return values
    if name in _ITEM_FLOATS:
        return pd.array(values, dtype="Float64")
    if name == "updated_at":
        return pd.array(values).tz_localize("UTC")
    return pd.array(values, dtype="str")


def _patched(
    column: np.ndarray | pd.api.extensions.ExtensionArray, rows: np.ndarray, patch: np.ndarray | pd.api.extensions.ExtensionArray
) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A copy of `column` with its entries `rows` (ascending) replaced by `patch`; `column` is left
    as it was. An extension array is joined to the patch and taken from once (cheaper than setting
    items, which converts and checks the values)."""
    if isinstance(column, np.ndarray):
        out = column.copy()
        out[rows] = patch
        return out
    if patch.dtype != column.dtype:  # not the grid's own types: let pandas convert
        out = column.copy()
        out[rows] = patch
        return out
    index = np.arange(len(column))
    index[rows] = len(column) + np.arange(len(rows))
    return type(column)._concat_same_type([column, patch]).take(index)


def _grid_frame(agencies: list, subs: list, items: list) -> pd.DataFrame:
    """The agencies × sub-issues cross product (agencies outer, in their order), each cell with
    its item's columns where it has one (CELL_COLUMNS)."""
    n_agencies, n_subs = len(agencies), len(subs)
    left = pd.DataFrame(agencies, columns=_AGENCY_PART)
    right = pd.DataFrame(subs, columns=_SUB_PART)
    frame = pd.concat(
        [
            left.iloc[np.repeat(np.arange(n_agencies), n_subs)].reset_index(drop=True),
            right.iloc[np.tile(np.arange(n_subs), n_agencies)].reset_index(drop=True),
        ],
        axis=1,
    )
    found = _item_values(items)
    # where each item lies in the grid: its agency's row block plus its sub-issue's column
    agency_at = pd.Index(left["agency_id"]).get_indexer(found["agency_id"])
    sub_at = pd.Index(right["sub_issue_id"]).get_indexer(found["sub_issue_id"])
    keep = (agency_at >= 0) & (sub_at >= 0)
    kept = {name: values[keep] for name, values in found.items()}
    columns = _item_columns(len(frame), kept, agency_at[keep] * n_subs + sub_at[keep])
    for name, values in columns.items():
        frame[name] = _cell_array(name, values)
    return frame[CELL_COLUMNS]


def _reported_sub(round_id: int) -> sa.Exists:
    """The sub-issue (of the query) holds a report in the round: an archived one stays there."""
    held = aliased(Assignment)
    return (
        sa.exists()
        .where(held.sub_issue_id == SubIssue.id, ProgressReport.assignment_id == held.id)
        .where(ProgressReport.round_id == round_id)
    )


MARGIN_COLUMNS = ["weighted_progress", "assigned", "reported", "approved", "delayed"]


_MARGIN_INPUT = [
    "agency_id",
    "agency_code",
    "sub_issue_id",
    "sub_issue_code",
    "main_issue_number",
    "sub_issue_order",
    "weight",
    "progress_pct",
    "report_id",
    "state",
    "status",
]


@dataclass(frozen=True)
class _Items:
    """The assigned cells as numpy arrays, once per grid: what every margin sums. Each margin is
    numpy sums per group and one DataFrame built from them (pandas' per-operation overhead, not
    the sums, is what a margin of a few thousand cells would otherwise cost)."""

    cells: pd.DataFrame  # the grid's cells
    rows: np.ndarray  # the positions of the assigned ones
    wp: np.ndarray  # weight × progress (unreported: 0)
    w: np.ndarray
    flags: dict[str, np.ndarray]

    @classmethod
    def of(cls, cells: pd.DataFrame) -> _Items:
        rows = np.flatnonzero(pd.notna(cells["assignment_id"].to_numpy()))
        weight = cells["weight"].to_numpy(dtype="float64", na_value=0.0)[rows]
        progress = cells["progress_pct"].to_numpy(dtype="float64", na_value=0.0)[rows]
        flags = {
            "reported": pd.notna(_margin_input(cells, "report_id"))[rows],
            "approved": _equals(_margin_input(cells, "state"), "approved")[rows],
            "delayed": _equals(_margin_input(cells, "status"), "delayed")[rows],
        }
        return cls(cells, rows, weight * progress, weight, flags)

    def group(self, keys: list[str], order: list[str] | None = None) -> pd.DataFrame:
        rows = self.rows
        if keys:
            codes, uniques = pd.factorize(_margin_input(self.cells, keys[0])[rows], sort=False)
            size = len(uniques)
            first = np.full(size, -1)
            first[codes[::-1]] = np.arange(len(codes))[::-1]  # each group's first row
        else:
            codes, size, first = np.zeros(len(rows), dtype=int), 1 if len(rows) else 0, np.zeros(0, dtype=int)
        labels = {key: _margin_input(self.cells, key) for key in keys}
        wp = np.bincount(codes, weights=self.wp, minlength=size)
        w = np.bincount(codes, weights=self.w, minlength=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w != 0, wp / np.where(w != 0, w, 1.0), np.nan)
        sums = {"weighted_progress": ratio, "assigned": np.bincount(codes, minlength=size).astype(int)}
        for name, flag in self.flags.items():
            sums[name] = np.bincount(codes, weights=flag.astype(float), minlength=size).astype(int)
        if order:  # groups in the order of these columns of their first cell (stable)
            rank = np.lexsort([np.asarray(_margin_input(self.cells, c)[rows[first]]) for c in reversed(order)])
            first, sums = first[rank], {name: values[rank] for name, values in sums.items()}
        out = {key: values[rows[first]] for key, values in labels.items()}  # each group's labels, in their types
        out |= {
            name: pd.array(sums[name], dtype="Float64") if name == "weighted_progress" else sums[name] for name in MARGIN_COLUMNS
        }
        frame = frames.frame(out)
        return frame if len(out) == len(keys) + len(MARGIN_COLUMNS) else frame[[*keys, *MARGIN_COLUMNS]]


def _margin_input(cells: pd.DataFrame, name: str) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A column of every cell that margins read (_MARGIN_INPUT: they read no other)."""
    if name not in _MARGIN_INPUT:
        raise KeyError(name)
    return frames.values(cells[name])


def _equals(values: np.ndarray | pd.api.extensions.ExtensionArray, value: str) -> np.ndarray:
    """Which `values` are `value` (a missing one is not), as a numpy bool array."""
    found = values == value
    if isinstance(found, pd.api.extensions.ExtensionArray):
        return found.to_numpy(dtype=bool, na_value=False)
    return np.asarray(found, dtype=bool)


def margins(cells: pd.DataFrame, keys: list[str], order: list[str] | None = None) -> pd.DataFrame:
    """Σ(weight × progress) / Σ(weight) over the assigned cells of each group of `keys`, an
    unreported cell counted as 0 (None where the weights sum to 0), with the counts of items
    assigned, reported, approved and delayed; groups in the order the cells first show them, or
    by `order` (columns of the group's first cell). `keys[0]` names the group; the other keys are
    labels of it. The one definition of every margin: computed from the round's cells (no second
    query), so a grid refreshed for a few agencies recomputes its margins without the database;
    numpy sums per group (a few ms on 40,000 cells, where a pandas groupby on text keys costs tens)."""
    return _Items.of(cells).group(keys, order)


def agency_margins(cells: pd.DataFrame) -> pd.DataFrame:
    """Row margins: weighted progress and counts per agency (agencies with an item), in plan order."""
    return margins(cells, ["agency_id", "agency_code"])


def sub_issue_margins(cells: pd.DataFrame) -> pd.DataFrame:
    """Column margins: weighted progress and counts per sub-issue (with an item), in plan order."""
    return margins(cells, ["sub_issue_id", "sub_issue_code"], order=["main_issue_number", "sub_issue_order"])


def main_issue_margins(cells: pd.DataFrame) -> pd.DataFrame:
    """Weighted progress and counts per main issue, by number."""
    return margins(cells, ["main_issue_number"], order=["main_issue_number"])


def overall_progress(cells: pd.DataFrame) -> float | None:
    """Weighted progress of the whole round."""
    return _overall(_Items.of(cells))


def _overall(items: _Items) -> float | None:
    """`items.group([])`'s weighted progress (the same sums), without building its frame."""
    if not len(items.rows):
        return None
    codes = np.zeros(len(items.rows), dtype=int)
    wp = np.bincount(codes, weights=items.wp, minlength=1)[0]
    w = np.bincount(codes, weights=items.w, minlength=1)[0]
    if w == 0:
        return None
    value = wp / w
    return None if np.isnan(value) else float(value)


def by_agency(*, session: Session, round_id: int) -> pd.DataFrame:
    return agency_margins(cells(session=session, round_id=round_id))


def by_sub_issue(*, session: Session, round_id: int) -> pd.DataFrame:
    return sub_issue_margins(cells(session=session, round_id=round_id))


def by_main_issue(*, session: Session, round_id: int) -> pd.DataFrame:
    return main_issue_margins(cells(session=session, round_id=round_id))


def overall(*, session: Session, round_id: int) -> float | None:
    return overall_progress(cells(session=session, round_id=round_id))


@dataclass(frozen=True)
class RoundGrid:
    """What the heatmap page draws for one round: the grid and its margins."""

    cells: pd.DataFrame
    by_agency: pd.DataFrame
    by_main_issue: pd.DataFrame
    overall: float | None
    by_sub_issue: pd.DataFrame = field(default_factory=pd.DataFrame)


def grid_of(frame: pd.DataFrame) -> RoundGrid:
    """A round's cells with the margins computed from them."""
    items = _Items.of(frame)  # the arrays every margin sums, once
    return RoundGrid(
        cells=frame,
        by_agency=items.group(["agency_id", "agency_code"]),
        by_main_issue=items.group(["main_issue_number"], order=["main_issue_number"]),
        overall=_overall(items),
        by_sub_issue=items.group(["sub_issue_id", "sub_issue_code"], order=["main_issue_number", "sub_issue_order"]),
    )


def round_grid(*, session: Session, round_id: int) -> RoundGrid:
    """The round's cells (one query) and every margin computed from them."""
    return grid_of(cells(session=session, round_id=round_id))


# ----------------------------------------------------------------------------- refreshing a grid after saves
def changes_since(*, session: Session, since_version: int, until_version: int, limit: int = 500) -> set[tuple[int, int]] | None:
    """The (round id, agency id) pairs whose reports the data versions after `since_version` up to
    `until_version` wrote (models.audit.DataChange), or None when any of them changed something
    else a round is built from, or is not recorded (a restore; pruned; more than `limit`
    versions): then a cached grid is computed again instead of refreshed."""
    if until_version <= since_version:
        return set()
    if until_version - since_version > limit:
        return None
    rows = session.execute(
        sa.select(DataChange.version, DataChange.everything, DataChange.cells).where(
            DataChange.version > since_version, DataChange.version <= until_version
        )
    ).all()
    if len(rows) != until_version - since_version or any(row.everything for row in rows):
        return None
    return {(int(r), int(a)) for row in rows for r, a in json.loads(row.cells)}


def agencies_to_refresh(*, session: Session, round_id: int, changed: set[tuple[int, int]]) -> set[int]:
    """The agencies of a round's grid that `changed` (changes_since) touches: their reports in
    the round, or in the round before it (a cell's change from the previous round)."""
    if not changed:
        return set()
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    rounds_seen = {rnd.id} | ({prev.id} if prev else set())
    return {agency for r, agency in changed if r in rounds_seen}


def refresh_grid(*, session: Session, grid: RoundGrid, round_id: int, agency_ids: set[int]) -> RoundGrid | None:
    """`grid` with the items of `agency_ids` read again (one query) and the margins recomputed;
    None when those agencies are no longer the grid's (the plan changed): the grid is then
    computed again. The cells keep their agency and sub-issue columns (the plan's, which a save
    does not change); only the item columns are copied and rewritten: those agencies' cells are
    laid out in numpy (as cells() does) and each column is patched with them in one step."""
    if not agency_ids:
        return grid
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    found = _item_values(_items(session, rnd, prev, agency_ids))
    old = grid.cells
    agency = old["agency_id"].to_numpy()
    rows = np.flatnonzero(np.isin(agency, list(agency_ids)))
    if len(np.unique(agency[rows])) != len(agency_ids):
        return None  # an agency joined or left the plan
    where = {
        cell: i for i, cell in enumerate(zip(agency[rows].tolist(), old["sub_issue_id"].to_numpy()[rows].tolist(), strict=True))
    }
    at = np.array(
        [where.get(cell, -1) for cell in zip(found["agency_id"].tolist(), found["sub_issue_id"].tolist(), strict=True)],
        dtype=np.intp,
    )
    if (at < 0).any():
        return None  # an item on a sub-issue the grid does not show
    patch = _item_columns(len(rows), found, at)  # those agencies' cells: unassigned, with their items set
    frame = old.copy(deep=False)
    for name in ITEM_COLUMNS:
        frame[name] = _patched(frames.values(old[name]), rows, _cell_array(name, patch[name]))
    return grid_of(frame)


# ----------------------------------------------------------------------------- one view of the grid
VIEW_SORTS = ("plan", "progress", "missing")
STATE_FILTERS = frozenset({NOT_REPORTED, "returned"})  # a status filter may also name these states


def view_cells(
    grid: RoundGrid,
    *,
    sort: str = "plan",
    main_filter: tuple[int, ...] = (),
    status_filter: tuple[str, ...] = (),
    sub_issue_filter: tuple[int, ...] = (),
    open_cell: tuple[str, str] | None = None,
    language: str = "th",
) -> pd.DataFrame:
    """The grid's cells as one heatmap view shows them: only the chosen main issues (and, with
    `sub_issue_filter`, sub-issues: those an alignment filter leaves); with a status
    filter, every cell of each agency that has a matching one (`match` marks those); ordered by
    `agency_order` (plan order, weighted progress, or most unreported first); labelled in
    `language`; the open cell `selected`. Vectorised: one translation per main issue and one
    formatted date per distinct value. The page's chart and its CSV/Excel downloads use it."""
    cells = grid.cells
    if main_filter:
        cells = cells[cells["main_issue_number"].isin(main_filter)]
    if sub_issue_filter:  # the sub-issues serving the chosen strategy goals or plans
        cells = cells[cells["sub_issue_id"].isin(sub_issue_filter)]
    if status_filter:
        chosen = set(status_filter)
        match = cells["status"].isin(chosen) | cells["state"].isin(chosen & STATE_FILTERS)
        keep = set(cells.loc[match, "agency_code"])
        cells = cells.assign(match=match)[cells["agency_code"].isin(keep)]
    if sort == "progress":
        order = grid.by_agency.set_index("agency_code")
        cells = cells.assign(agency_order=cells["agency_code"].map(-order["weighted_progress"].fillna(0)))
    elif sort == "missing":
        order = grid.by_agency.set_index("agency_code")
        cells = cells.assign(agency_order=cells["agency_code"].map(-(order["assigned"] - order["reported"])))
    agency, sub_issue = open_cell or ("", "")
    return cells.assign(
        updated_at_text=_each_distinct(cells["updated_at"], lambda d: format_local_datetime(d, lang=language), missing=""),
        main_issue_label=_each_distinct(
            cells["main_issue_number"], lambda n: translate("heatmap.main_short", language, n=n), missing=None
        ),
        selected=_equals(frames.values(cells["agency_code"]), agency)
        & _equals(frames.values(cells["sub_issue_code"]), sub_issue),
    )


def _each_distinct(column: pd.Series, label, *, missing: str | None) -> pd.Series | pd.api.extensions.ExtensionArray:
    """`label` of each of the column's values as a text column, worked out once per distinct value;
    a missing value is `missing` (None: missing too). What ``column.map({v: label(v) for v in
    distinct values})`` (then ``.fillna(missing)``) gives, without pandas' per-cell dict look-up;
    a column with no value at all is mapped so (its type is then pandas' choice, not text)."""
    if not column.notna().any():
        mapped = column.map({})
        return mapped if missing is None else mapped.fillna(missing)
    return pd.array(
        frames.per_distinct(frames.values(column), label, missing=np.nan if missing is None else missing), dtype="str"
    )


def view_agencies(grid: RoundGrid, cells: pd.DataFrame) -> pd.DataFrame:
    """The per-agency margins (`by_agency`) of the agencies a view of the cells shows, with their
    short names and the round's counts of services.figures (``submitted``: sent or approved, the
    count the page shows as "ส่งแล้ว x/y"; ``draft``; over the whole round, as the margins are).

    What ``by_agency.merge(the view's distinct names, on="agency_code").merge(counts, how="left")``
    gives, laid out with numpy; those merges themselves where the numpy lay-out does not apply
    (`_agencies_shown`)."""
    sent = figures.counts(grid.cells, "agency_code")[["agency_code", "submitted", "draft"]]
    by = grid.by_agency
    found = _agencies_shown(cells, by, sent)
    if found is not None:
        rows, first, counted = found
        out = {name: frames.values(by[name])[rows] for name in by.columns}
        out |= {name: frames.values(cells[name])[first] for name in ("agency_short_name", "agency_short_name_en")}
        out |= {name: frames.values(sent[name])[counted] for name in ("submitted", "draft")}
        return frames.frame(out)
    return by.merge(
        cells[["agency_code", "agency_short_name", "agency_short_name_en"]].drop_duplicates(), on="agency_code"
    ).merge(sent, on="agency_code", how="left")


def _agencies_shown(cells: pd.DataFrame, by: pd.DataFrame, sent: pd.DataFrame) -> tuple[np.ndarray, ...] | None:
    """The rows of the margins `by` whose agency the view `cells` shows, each one's first cell in
    the view and its row of the counts `sent` (all matched on ``agency_code``); None unless those
    merges would give one row per such margin with its counts (not for: no such margin, an agency
    shown under two names, or without counts, or counted twice, a missing code)."""
    keys = [frames.values(frame["agency_code"]) for frame in (cells, by, sent)]
    if not all(type(key) is type(keys[0]) and key.dtype == keys[0].dtype for key in keys):
        return None
    joined = np.concatenate(keys) if isinstance(keys[0], np.ndarray) else type(keys[0])._concat_same_type(keys)
    codes, distinct = pd.factorize(joined)  # one code per agency code, across the three
    if (codes < 0).any():
        return None
    shown, margin, counted = np.split(codes, np.cumsum([len(key) for key in keys])[:2])
    first = np.full(len(distinct), -1)
    first[shown[::-1]] = np.arange(len(shown))[::-1]  # each agency's first cell in the view
    for name in ("agency_short_name", "agency_short_name_en"):
        names, _ = pd.factorize(frames.values(cells[name]), use_na_sentinel=False)  # a missing name is one name
        if (names != names[first[shown]]).any():
            return None
    rows = np.flatnonzero(first[margin] >= 0)
    row_of = np.full(len(distinct), -1)
    row_of[counted] = np.arange(len(counted))
    if not len(rows) or len(np.unique(counted)) != len(counted) or (row_of[margin[rows]] < 0).any():
        return None
    return rows, first[margin[rows]], row_of[margin[rows]]


def progress_grid(cells: pd.DataFrame) -> pd.DataFrame:
    """Agencies × sub-issues of progress (%), rows and columns in the grid's order."""
    return cells.pivot_table(
        index="agency_short_name", columns="sub_issue_code", values="progress_pct", aggfunc="first", sort=False
    ).astype("float64")


def grid_csv(cells: pd.DataFrame) -> bytes:
    """The progress grid as CSV with a byte-order mark, so Excel reads the Thai names. Agency
    names and sub-issue codes that a spreadsheet would read as formulas get a leading
    apostrophe (`spreadsheet_safety.neutralise_csv`); the figures are numbers."""
    grid = progress_grid(cells)
    grid.index = spreadsheet_safety.neutralise_csv_labels(grid.index)
    grid.columns = spreadsheet_safety.neutralise_csv_labels(grid.columns)
    return grid.to_csv().encode("utf-8-sig")


def grid_xlsx(cells: pd.DataFrame) -> bytes:
    """A workbook of two sheets: ``progress`` (the grid: agency names down column A, sub-issue
    codes across row 1) and ``cells`` (one row per cell, every field). Written straight with
    XlsxWriter in one pass over the values (several times faster than openpyxl, and than pandas'
    ``to_excel``, on 40,000 cells); every text is a string cell, formula-like ones quote-prefixed
    (`spreadsheet_safety.xlsxwriter_frame`)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, **spreadsheet_safety.XLSXWRITER_OPTIONS})
    quote = book.add_format(spreadsheet_safety.QUOTE_PREFIX_FORMAT)
    grid = progress_grid(cells)
    spreadsheet_safety.xlsxwriter_frame(book.add_worksheet("progress"), grid.reset_index(), quote_prefix=quote)
    spreadsheet_safety.xlsxwriter_frame(
        book.add_worksheet("cells"), cells.drop(columns=["updated_at"], errors="ignore"), quote_prefix=quote
    )
    book.close()
    return buf.getvalue()


# ----------------------------------------------------------------------------- one cell
CELL_KEY_SEPARATOR = "~"  # heatmap?cell=BPS~2.4


def cell_key(agency_code: str, sub_issue_code: str) -> str:
    return f"{agency_code}{CELL_KEY_SEPARATOR}{sub_issue_code}"


def parse_cell_key(value: str | None) -> tuple[str, str] | None:
    """`"BPS~2.4"` → `("BPS", "2.4")`; anything else → None."""
    if not value or value.count(CELL_KEY_SEPARATOR) != 1:
        return None
    agency, sub = (part.strip() for part in value.split(CELL_KEY_SEPARATOR))
    return (agency, sub) if agency and sub else None


@dataclass(frozen=True)
class CellDetail:
    """Everything the detail panel beside the heatmap shows for one agency × sub-issue."""

    agency: Agency
    sub_issue: SubIssue
    main_issue: MainIssue
    assignment: Assignment | None
    report: ProgressReport | None
    state: str
    updated_by: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    conversation: list[ReviewEvent] = field(default_factory=list)  # newest first
    people: dict[int, str] = field(default_factory=dict)  # the conversation's people: id → display name
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)  # every round of the plan

    @property
    def key(self) -> str:
        return cell_key(self.agency.code, self.sub_issue.code)


TREND_COLUMNS = ["round_id", "fiscal_year", "months", "progress_pct", "expected_pct", "selected"]


def cell_detail(*, session: Session, actor: Actor, round_id: int, agency_code: str, sub_issue_code: str) -> CellDetail | None:
    """One cell of the round's heatmap: narrative, evidence, the review conversation and the
    item's progress over every round of the plan. None when the plan has no such agency or
    sub-issue (a stale or mistyped link)."""
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    found = session.exec(
        select(Agency, SubIssue, MainIssue)
        .select_from(Agency)
        .join(MainIssue, MainIssue.plan_id == rnd.plan_id)
        .join(SubIssue, SubIssue.main_issue_id == MainIssue.id)
        .where(Agency.code == agency_code, SubIssue.code == sub_issue_code, Agency.active == sa.true())
    ).first()
    if found is None:
        return None
    agency, sub, main = found
    require_view(actor, agency.id)
    assignment = session.exec(
        select(Assignment).where(Assignment.agency_id == agency.id, Assignment.sub_issue_id == sub.id)
    ).first()
    if assignment is None:
        return CellDetail(agency=agency, sub_issue=sub, main_issue=main, assignment=None, report=None, state=NOT_ASSIGNED)
    report = session.exec(
        select(ProgressReport).where(ProgressReport.assignment_id == assignment.id, ProgressReport.round_id == round_id)
    ).first()
    if report is None:
        state, updated_by, evidence, conversation, people = NOT_REPORTED, "", [], [], {}
    else:
        state = getattr(report.submission_state, "value", report.submission_state)
        user = session.get(User, report.updated_by_id) if report.updated_by_id else None
        updated_by = user.display_name if user else ""
        evidence = list(
            session.exec(
                select(Evidence).where(Evidence.report_id == report.id, Evidence.removed == sa.false()).order_by(Evidence.id)
            )
        )
        conversation = list(
            session.exec(select(ReviewEvent).where(ReviewEvent.report_id == report.id).order_by(sa.desc(ReviewEvent.at)))
        )
        people = users.display_names(session=session, user_ids={e.user_id for e in conversation})
    return CellDetail(
        agency=agency,
        sub_issue=sub,
        main_issue=main,
        assignment=assignment,
        report=report,
        state=state,
        updated_by=updated_by,
        evidence=evidence,
        conversation=conversation,
        people=people,
        trend=_item_trend(session, rnd, assignment.id),
    )


def _item_trend(session: Session, rnd: Round, assignment_id: int) -> pd.DataFrame:
    """The item's progress in every round of the plan (None where nothing was filed), beside the
    progress each round length expects — one query."""
    rows = session.execute(
        sa.select(
            Round.id,
            Round.fiscal_year,
            Round.months,
            ProgressReport.progress_pct,
            ExpectedProgress.pct,
        )
        .select_from(Round)
        .outerjoin(ProgressReport, (ProgressReport.round_id == Round.id) & (ProgressReport.assignment_id == assignment_id))
        .outerjoin(ExpectedProgress, (ExpectedProgress.plan_id == Round.plan_id) & (ExpectedProgress.months == Round.months))
        .where(Round.plan_id == rnd.plan_id)
        .order_by(Round.fiscal_year, Round.months)
    ).all()
    frame = pd.DataFrame(
        [
            (rid, fy, months, progress, expected if expected is not None else DEFAULT_EXPECTED[months], rid == rnd.id)
            for rid, fy, months, progress, expected in rows
        ],
        columns=TREND_COLUMNS,
    )
    for col_name in ("progress_pct", "expected_pct"):
        frame[col_name] = pd.to_numeric(frame[col_name], errors="coerce").astype("Float64")
    return frame
