"""The heatmap's data: every agency × every sub-issue of a plan for one round, as tidy DataFrames.

Aggregation runs in SQL (joins and GROUP BY), not in Python loops over rows. Each cell is in one
of these states, never confused:
- ``not_assigned``  the agency has no indicator for the sub-issue;
- ``not_reported``  assigned, but nothing filed for the round;
- ``draft``, ``submitted``, ``approved``, ``returned``  the report's submission state.

Weighted progress (margins per agency, per sub-issue, per main issue, overall) is
Σ(weight × progress) / Σ(weight) over *assigned* cells (weight: the sub-issue's × the owner's), with unreported cells counted as 0 %,
so a missing report pulls the figure down instead of vanishing from it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.i18n import translate
from core.thaidate import format_local_datetime
from models import (
    Agency,
    Assignment,
    Evidence,
    ExpectedProgress,
    MainIssue,
    ProgressReport,
    ReviewEvent,
    Round,
    SubIssue,
    User,
)
from services import plans, spreadsheet_safety, users
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


def cells(*, session: Session, round_id: int) -> pd.DataFrame:
    """One row per agency × sub-issue of the round's plan, in plan order (agencies, then issues)."""
    rnd = rounds_service.get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    report, previous = aliased(ProgressReport), aliased(ProgressReport)
    query = (
        sa.select(
            Agency.id.label("agency_id"),
            Agency.code.label("agency_code"),
            Agency.short_name_th.label("agency_short_name"),
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


def _weighted(group_by: list, round_id: int) -> sa.Select:
    """Σ(weight × progress) / Σ(weight) over assigned cells, unreported counted as 0, in SQL."""
    progress = sa.func.coalesce(ProgressReport.progress_pct, 0)
    return (
        sa.select(
            *group_by,
            (  # floating division on both backends (NUMERIC division would round to its own scale)
                sa.cast(sa.func.sum(plans.item_weight() * progress), sa.Float)
                / sa.func.nullif(sa.cast(sa.func.sum(plans.item_weight()), sa.Float), 0)
            ).label("weighted_progress"),
            sa.func.count(Assignment.id).label("assigned"),
            sa.func.count(ProgressReport.id).label("reported"),
            sa.func.sum(sa.case((ProgressReport.submission_state == "approved", 1), else_=0)).label("approved"),
            sa.func.sum(sa.case((ProgressReport.status == "delayed", 1), else_=0)).label("delayed"),
        )
        .select_from(Assignment)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .join(Round, (Round.id == round_id) & (Round.plan_id == MainIssue.plan_id))
        .outerjoin(ProgressReport, (ProgressReport.assignment_id == Assignment.id) & (ProgressReport.round_id == round_id))
        .where(Agency.active == sa.true(), plans.in_round(ProgressReport, round_id))
        .group_by(*group_by)
    )


def _frame(session: Session, query: sa.Select) -> pd.DataFrame:
    result = session.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["weighted_progress"] = pd.to_numeric(frame["weighted_progress"], errors="coerce").astype(
        "Float64"
    )  # unrounded: display rounds
    for col in ("assigned", "reported", "approved", "delayed"):
        frame[col] = frame[col].astype(int)
    return frame


def by_agency(*, session: Session, round_id: int) -> pd.DataFrame:
    """Row margins: weighted progress and counts per agency."""
    q = _weighted([Agency.id.label("agency_id"), Agency.code.label("agency_code"), Agency.sort_order], round_id)
    return _frame(session, q.order_by(Agency.sort_order)).drop(columns="sort_order")


def by_sub_issue(*, session: Session, round_id: int) -> pd.DataFrame:
    """Column margins: weighted progress and counts per sub-issue."""
    q = _weighted(
        [SubIssue.id.label("sub_issue_id"), SubIssue.code.label("sub_issue_code"), MainIssue.number, SubIssue.sort_order],
        round_id,
    )
    return _frame(session, q.order_by(MainIssue.number, SubIssue.sort_order)).drop(columns=["number", "sort_order"])


def by_main_issue(*, session: Session, round_id: int) -> pd.DataFrame:
    """Weighted progress and counts per main issue."""
    q = _weighted([MainIssue.number.label("main_issue_number")], round_id)
    return _frame(session, q.order_by(MainIssue.number))


def overall(*, session: Session, round_id: int) -> float | None:
    """Weighted progress of the whole round."""
    frame = _frame(session, _weighted([], round_id))
    value = frame["weighted_progress"].iloc[0] if len(frame) else None
    return None if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class RoundGrid:
    """What the heatmap page draws for one round: the grid and its margins."""

    cells: pd.DataFrame
    by_agency: pd.DataFrame
    by_main_issue: pd.DataFrame
    overall: float | None


def round_grid(*, session: Session, round_id: int) -> RoundGrid:
    return RoundGrid(
        cells=cells(session=session, round_id=round_id),
        by_agency=by_agency(session=session, round_id=round_id),
        by_main_issue=by_main_issue(session=session, round_id=round_id),
        overall=overall(session=session, round_id=round_id),
    )


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
    """The per-agency margins (`by_agency`) of the agencies a view of the cells shows, with their short names."""
    return grid.by_agency.merge(cells[["agency_code", "agency_short_name"]].drop_duplicates(), on="agency_code")


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
