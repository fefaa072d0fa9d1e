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

import io
import json
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

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
    return _grid_frame(agencies, subs, _items(session, rnd, prev, only))


def _items(session: Session, rnd: Round, prev: Round | None, only: sa.ColumnElement[bool]) -> list:
    """The round's items (assignments of active agencies that are items of the round) with their
    report, their previous round's progress and who last saved them: one row per item."""
    report, previous = aliased(ProgressReport), aliased(ProgressReport)
    real = sa.Float

    def number(column):
        return sa.cast(column, real)

    return session.execute(
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
        .outerjoin(report, (report.assignment_id == Assignment.id) & (report.round_id == rnd.id))
        .outerjoin(previous, (previous.assignment_id == Assignment.id) & (previous.round_id == (prev.id if prev else -1)))
        .outerjoin(User, User.id == report.updated_by_id)
        .where(MainIssue.plan_id == rnd.plan_id, Agency.active == sa.true(), only, plans.in_round(report, rnd.id))
    ).all()


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


def _unassigned(size: int) -> dict:
    """The item columns of `size` cells that have no item (editable arrays, CELL_COLUMNS' types)."""
    out: dict = {name: np.full(size, np.nan) for name in ("assignment_id", "report_id")}
    out |= {name: pd.array(np.full(size, np.nan), dtype="Float64") for name in _ITEM_FLOATS}
    out |= {name: pd.array(np.full(size, None, dtype=object), dtype="str") for name in _ITEM_TEXTS}
    out["state"] = pd.array(np.full(size, NOT_ASSIGNED, dtype=object), dtype="str")
    out["updated_at"] = pd.array(np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")).tz_localize("UTC")
    return out


def _put_items(columns: dict, found: pd.DataFrame, at: np.ndarray) -> None:
    """Set the cells `at` of the item `columns` (as _unassigned) from the items `found` (_ITEM_PART)."""
    if not len(at):
        return
    floats = {name: found[name].to_numpy(dtype="float64", na_value=np.nan) for name in _ITEM_PART if name in _ITEM_FLOATS}
    floats["change_pct"] = floats["progress_pct"] - floats["previous_progress_pct"]
    for name in ("assignment_id", "report_id"):
        columns[name][at] = found[name].to_numpy(dtype="float64", na_value=np.nan)
    for name, values in floats.items():
        columns[name][at] = pd.array(values, dtype="Float64")
    for name in ("unit", "unit_en", "updated_by"):
        columns[name][at] = found[name].to_numpy(dtype=object)
    columns["status"][at] = np.array([getattr(v, "value", v) for v in found["status"]], dtype=object)
    reported = found["report_id"].notna().to_numpy()
    state = np.full(len(found), NOT_REPORTED, dtype=object)
    state[reported] = [getattr(v, "value", v) for v in found["state"].to_numpy()[reported]]
    columns["state"][at] = state
    columns["updated_at"][at] = pd.to_datetime(found["updated_at"], utc=True).array


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
    found = pd.DataFrame(items, columns=_ITEM_PART)
    # where each item lies in the grid: its agency's row block plus its sub-issue's column
    agency_at = pd.Index(left["agency_id"]).get_indexer(found["agency_id"])
    sub_at = pd.Index(right["sub_issue_id"]).get_indexer(found["sub_issue_id"])
    keep = (agency_at >= 0) & (sub_at >= 0)
    columns = _unassigned(len(frame))
    _put_items(columns, found[keep], agency_at[keep] * n_subs + sub_at[keep])
    for name, values in columns.items():
        frame[name] = values
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
    """The assigned cells as numpy arrays, once per grid: what every margin sums."""

    frame: pd.DataFrame  # the assigned cells' key columns
    wp: np.ndarray  # weight × progress (unreported: 0)
    w: np.ndarray
    flags: dict[str, np.ndarray]

    @classmethod
    def of(cls, cells: pd.DataFrame) -> _Items:
        items = cells.loc[cells["assignment_id"].notna().to_numpy(), [c for c in _MARGIN_INPUT if c in cells.columns]]
        weight = items["weight"].to_numpy(dtype="float64", na_value=0.0)
        progress = items["progress_pct"].to_numpy(dtype="float64", na_value=0.0)
        flags = {
            "reported": items["report_id"].notna().to_numpy(),
            "approved": (items["state"] == "approved").to_numpy(dtype=bool, na_value=False),
            "delayed": (items["status"] == "delayed").to_numpy(dtype=bool, na_value=False),
        }
        return cls(items, weight * progress, weight, flags)

    def group(self, keys: list[str], order: list[str] | None = None) -> pd.DataFrame:
        items = self.frame
        if keys:
            codes, uniques = pd.factorize(items[keys[0]], sort=False)
            size = len(uniques)
            first = np.full(size, -1)
            first[codes[::-1]] = np.arange(len(codes))[::-1]  # each group's first row
            out = {key: items[key].to_numpy()[first] for key in keys}
        else:
            codes, size, first, out = np.zeros(len(items), dtype=int), 1 if len(items) else 0, np.zeros(0, dtype=int), {}
        wp = np.bincount(codes, weights=self.wp, minlength=size)
        w = np.bincount(codes, weights=self.w, minlength=size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w != 0, wp / np.where(w != 0, w, 1.0), np.nan)
        frame = pd.DataFrame(out)
        frame["weighted_progress"] = pd.array(ratio, dtype="Float64")
        frame["assigned"] = np.bincount(codes, minlength=size).astype(int)
        for name, flag in self.flags.items():
            frame[name] = np.bincount(codes, weights=flag.astype(float), minlength=size).astype(int)
        for key in keys:
            frame[key] = frame[key].astype(items[key].dtype)
        if order:  # groups in the order of these columns of their first cell (stable)
            rank = np.lexsort([items[c].to_numpy()[first] for c in reversed(order)])
            frame = frame.iloc[rank].reset_index(drop=True)
        return frame[[*keys, *MARGIN_COLUMNS]]


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
    frame = items.group([])
    value = frame["weighted_progress"].iloc[0] if len(frame) else None
    return None if value is None or pd.isna(value) else float(value)


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
    does not change); only the item columns are copied and rewritten."""
    if not agency_ids:
        return grid
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    found = pd.DataFrame(_items(session, rnd, prev, Agency.id.in_(agency_ids)), columns=_ITEM_PART)
    old = grid.cells
    rows = np.flatnonzero(old["agency_id"].isin(agency_ids).to_numpy())
    if len(np.unique(old["agency_id"].to_numpy()[rows])) != len(agency_ids):
        return None  # an agency joined or left the plan
    where = pd.MultiIndex.from_arrays([old["agency_id"].to_numpy()[rows], old["sub_issue_id"].to_numpy()[rows]])
    at = where.get_indexer(pd.MultiIndex.from_arrays([found["agency_id"].to_numpy(), found["sub_issue_id"].to_numpy()]))
    if (at < 0).any():
        return None  # an item on a sub-issue the grid does not show
    columns = {name: old[name].array.copy() for name in ITEM_COLUMNS}
    blank = _unassigned(len(rows))
    for name in ITEM_COLUMNS:  # those agencies' cells as unassigned, then their items set
        columns[name][rows] = blank[name]
    _put_items(columns, found, rows[at])
    frame = old.copy(deep=False)
    for name in ITEM_COLUMNS:
        frame[name] = columns[name]
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
    order = grid.by_agency.set_index("agency_code")
    if sort == "progress":
        cells = cells.assign(agency_order=cells["agency_code"].map(-order["weighted_progress"].fillna(0)))
    elif sort == "missing":
        cells = cells.assign(agency_order=cells["agency_code"].map(-(order["assigned"] - order["reported"])))
    dates = {d: format_local_datetime(d, lang=language) for d in cells["updated_at"].dropna().unique()}
    main_labels = {n: translate("heatmap.main_short", language, n=n) for n in cells["main_issue_number"].unique()}
    agency, sub_issue = open_cell or ("", "")
    return cells.assign(
        updated_at_text=cells["updated_at"].map(dates).fillna(""),
        main_issue_label=cells["main_issue_number"].map(main_labels),
        selected=(cells["agency_code"] == agency) & (cells["sub_issue_code"] == sub_issue),
    )


def view_agencies(grid: RoundGrid, cells: pd.DataFrame) -> pd.DataFrame:
    """The per-agency margins (`by_agency`) of the agencies a view of the cells shows, with their
    short names and the round's counts of services.figures (``submitted``: sent or approved, the
    count the page shows as "ส่งแล้ว x/y"; ``draft``; over the whole round, as the margins are)."""
    sent = figures.counts(grid.cells, "agency_code")[["agency_code", "submitted", "draft"]]
    return grid.by_agency.merge(
        cells[["agency_code", "agency_short_name", "agency_short_name_en"]].drop_duplicates(), on="agency_code"
    ).merge(sent, on="agency_code", how="left")


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
