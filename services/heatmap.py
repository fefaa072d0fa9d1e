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
    only the agencies `agency_ids` when given (a grid refreshed after their saves)."""
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    report, previous = aliased(ProgressReport), aliased(ProgressReport)
    query = (
        sa.select(
            Agency.id.label("agency_id"),
            Agency.code.label("agency_code"),
            Agency.short_name_th.label("agency_short_name"),
            Agency.short_name_en.label("agency_short_name_en"),
            Agency.sort_order.label("agency_order"),
            MainIssue.number.label("main_issue_number"),
            MainIssue.name_th.label("main_issue_name_th"),
            MainIssue.name_en.label("main_issue_name_en"),
            SubIssue.id.label("sub_issue_id"),
            SubIssue.code.label("sub_issue_code"),
            SubIssue.name_th.label("sub_issue_name_th"),
            SubIssue.name_en.label("sub_issue_name_en"),
            SubIssue.sort_order.label("sub_issue_order"),
            Assignment.id.label("assignment_id"),
            plans.item_weight().label("weight"),
            Assignment.target_value.label("target_value"),
            Assignment.unit.label("unit"),
            Assignment.unit_en.label("unit_en"),
            report.id.label("report_id"),
            sa.case(
                (Assignment.id.is_(None), sa.literal(NOT_ASSIGNED)),
                (report.id.is_(None), sa.literal(NOT_REPORTED)),
                else_=report.submission_state,
            ).label("state"),
            report.progress_pct.label("progress_pct"),
            previous.progress_pct.label("previous_progress_pct"),
            (report.progress_pct - previous.progress_pct).label("change_pct"),
            report.status.label("status"),
            report.actual_value.label("actual_value"),
            User.display_name.label("updated_by"),
            report.updated_at.label("updated_at"),
        )
        .select_from(Agency)
        .join(MainIssue, MainIssue.plan_id == rnd.plan_id)
        .join(SubIssue, SubIssue.main_issue_id == MainIssue.id)
        .outerjoin(
            Assignment,
            (Assignment.agency_id == Agency.id) & (Assignment.sub_issue_id == SubIssue.id) & plans.in_round(None, rnd.id),
        )
        .outerjoin(report, (report.assignment_id == Assignment.id) & (report.round_id == rnd.id))
        .outerjoin(previous, (previous.assignment_id == Assignment.id) & (previous.round_id == (prev.id if prev else -1)))
        .outerjoin(User, User.id == report.updated_by_id)
        .where(Agency.active == sa.true(), SubIssue.archived_at.is_(None) | _reported_sub(rnd.id))
        .where(Agency.id.in_(agency_ids) if agency_ids is not None else sa.true())
        .order_by(Agency.sort_order, Agency.code, MainIssue.number, SubIssue.sort_order)
    )
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=CELL_COLUMNS)
    for col in ("weight", "target_value", "progress_pct", "previous_progress_pct", "change_pct", "actual_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Float64")
    frame["state"] = frame["state"].map(lambda v: getattr(v, "value", v))
    frame["status"] = frame["status"].map(lambda v: getattr(v, "value", v))
    return frame


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
    """`grid` with the cells of `agency_ids` read again (one query) and the margins recomputed;
    None when those agencies' cells are no longer the same items (the plan changed): the grid is
    then computed again."""
    if not agency_ids:
        return grid
    fresh = cells(session=session, round_id=round_id, agency_ids=agency_ids)
    old = grid.cells
    mask = old["agency_id"].isin(agency_ids).to_numpy()
    same_items = (
        len(fresh) == int(mask.sum()) and (fresh["sub_issue_id"].to_numpy() == old.loc[mask, "sub_issue_id"].to_numpy()).all()
    )
    if not same_items or fresh["agency_id"].nunique() != len(agency_ids):
        return None
    rows = np.flatnonzero(mask)  # the rows they replace, in the grid's (plan) order
    columns = {}
    for name in old.columns:  # column by column, in place in a copy: a concat and sort of the grid costs 10×
        values = old[name].array.copy()
        values[rows] = fresh[name].astype(old[name].dtype).array
        columns[name] = values
    return grid_of(pd.DataFrame(columns, index=old.index))


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
