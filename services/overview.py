"""The chair's overview of one reporting round: headline figures, trend, projection, the items
that need attention, highlights and the per-agency table — one bundle (`round_overview`) that the
overview page and every committee-pack file consume, so page and files show the same numbers.

Weighted progress comes from `services.heatmap` (Σ weight × progress / Σ weight over assigned
items of active agencies, an unreported item counted as 0 %); every other figure is counted over
the same set of items: the assignments of the round's plan held by *active* agencies.
Aggregation runs in SQL or in pandas over the heatmap's one-query grid, never as a Python loop
over report rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import (
    Agency,
    Assignment,
    EvaluationScore,
    MainIssue,
    Plan,
    ProgressReport,
    Round,
    SubIssue,
)
from services import heatmap, status
from services import rounds as rounds_service
from services.plans import in_round, item_weight

OVERALL = "overall"  # the `series` of the whole plan in `trend`
ATTENTION_KINDS = ("not_reported", "returned", "delayed", "no_change")
DONE_STATES = ("submitted", "approved")
CELL_SEPARATOR = heatmap.CELL_KEY_SEPARATOR  # heatmap?cell=BPS~2.4

EVALUATION_COLUMNS = ["fiscal_year", "component", "score", "level_th", "level_en"]
TREND_COLUMNS = ["fiscal_year", "months", "round_id", "series", "actual", "expected"]
PROJECTION_COLUMNS = [
    "agency_code",
    "agency_short_name",
    "agency_name_en",
    "main_issue_number",
    "sub_issue_code",
    "sub_issue_name_th",
    "sub_issue_name_en",
    "progress_pct",
    "plan_progress",
    "elapsed_share",
    "projected_end",
]
ATTENTION_COLUMNS = [
    "kind",
    "agency_code",
    "agency_short_name",
    "agency_name_en",
    "main_issue_number",
    "sub_issue_code",
    "sub_issue_name_th",
    "sub_issue_name_en",
    "progress_pct",
    "previous_progress_pct",
    "status",
    "state",
    "fy",
    "m",
    "cell",
    "heatmap_query",
]
HIGHLIGHT_COLUMNS = [
    "agency_code",
    "agency_short_name",
    "agency_name_en",
    "main_issue_number",
    "sub_issue_code",
    "sub_issue_name_th",
    "sub_issue_name_en",
    "progress_pct",
    "status",
    "state",
    "achievements",
]
AGENCY_COLUMNS = [
    "agency_id",
    "agency_code",
    "agency_short_name",
    "agency_name_th",
    "agency_name_en",
    "weighted_progress",
    "assigned",
    "reported",
    "submitted",
    "approved",
    "delayed",
    "returned",
    "not_reported",
    "complete",
    "all_approved",
]


# ----------------------------------------------------------------------------- formatting
def fmt_pct(value: float | None, digits: int = 1) -> str:
    """A percentage as every view shows it: '78.3'; '–' when there is none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{round(float(value), digits) + 0.0:.{digits}f}"  # + 0.0: never "-0.0"


def fmt_change(value: float | None, digits: int = 1) -> str:
    """A signed change in percentage points: '+2.4', '-1.0', '0.0'; '–' when there is none."""
    if value is None or pd.isna(value):
        return "–"
    rounded = round(float(value), digits)
    return f"{rounded:+.{digits}f}" if rounded != 0 else f"{0:.{digits}f}"


def heatmap_query(fiscal_year: int, months: int, agency_code: str, sub_issue_code: str) -> str:
    """The heatmap page's URL query that opens this round with the cell selected."""
    return "heatmap?" + urlencode({"fy": fiscal_year, "m": months, "cell": heatmap.cell_key(agency_code, sub_issue_code)})


# ----------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class PlanInfo:
    id: int
    name_th: str
    name_en: str
    first_fiscal_year: int
    last_fiscal_year: int
    is_demo: bool


@dataclass(frozen=True)
class RoundInfo:
    id: int
    fiscal_year: int
    months: int
    period_start: date
    period_end: date
    due_date: date
    state: str  # "open" or "closed"


@dataclass(frozen=True)
class MainIssueFigure:
    number: int
    name_th: str
    name_en: str
    weighted_progress: float | None  # None when the main issue has no assigned item
    expected_progress: float | None  # services.status.expected_by_length for the round's length
    assigned: int


@dataclass(frozen=True)
class Evaluation:
    fiscal_year: int
    component: str
    score: float
    level_th: str
    level_en: str


@dataclass(frozen=True)
class Headline:
    """The round's headline figures. Every count is over *items*: the assignments of the round's
    plan held by active agencies (the heatmap's assigned cells).

    - ``overall``: weighted progress of the round (services.heatmap.overall), None with no item.
    - ``expected_progress``: the progress the plan expects by the end of a round of this length
      (services.status: the plan's data, 25/50/75/100 for a length it leaves out).
    - ``agencies_total``: active agencies holding at least one item.
    - ``agencies_reported``: of those, agencies whose every item has a report in this round whose
      submission state is ``submitted`` or ``approved`` (drafts and returned items do not count).
    - ``agencies_approved``: of those, agencies whose every item's report is ``approved``.
    - ``items_assigned``: all items.
    - ``items_delayed``: items whose report in this round has status ``delayed`` (any submission
      state, drafts included).
    - ``items_returned``: items whose report is in submission state ``returned``.
    - ``items_not_reported``: items with no report row at all in this round (a draft counts as
      reported).
    - ``previous_overall`` / ``change``: overall weighted progress of the round before this one in
      plan order (crossing fiscal years) and ``overall - previous_overall`` in percentage points;
      None when there is no previous round. Progress is a share of the *year's* target, so the
      first round of a fiscal year normally shows a fall.
    """

    round_id: int
    fiscal_year: int
    months: int
    overall: float | None
    expected_progress: float | None
    main_issues: tuple[MainIssueFigure, ...]
    agencies_total: int
    agencies_reported: int
    agencies_approved: int
    items_assigned: int
    items_delayed: int
    items_returned: int
    items_not_reported: int
    previous_round_id: int | None
    previous_fiscal_year: int | None
    previous_months: int | None
    previous_overall: float | None
    change: float | None


@dataclass(frozen=True)
class RoundOverview:
    """Everything the overview page and the committee pack show for one round.

    DataFrames (columns as in this module's ``*_COLUMNS``): ``cells`` (services.heatmap.cells),
    ``by_sub_issue`` (services.heatmap.by_sub_issue), ``agencies`` (agency_table), ``trend``,
    ``projection``, ``attention``, ``highlights``, ``evaluations`` (evaluation_history up to the
    round's fiscal year).
    """

    plan: PlanInfo
    round: RoundInfo
    headline: Headline
    latest_evaluation: Evaluation | None
    evaluations: pd.DataFrame
    trend: pd.DataFrame
    projection: pd.DataFrame
    attention: pd.DataFrame
    highlights: pd.DataFrame
    agencies: pd.DataFrame
    by_sub_issue: pd.DataFrame
    cells: pd.DataFrame


# ----------------------------------------------------------------------------- helpers
def _round(session: Session, round_id: int) -> Round:
    return rounds_service.get_round(session=session, round_id=round_id)


def _expected(session: Session, plan_id: int) -> dict[int, float]:
    """The plan's expected progress per round length (services.status, the one definition)."""
    return {months: float(pct) for months, pct in status.expected_by_length(session=session, plan_id=plan_id).items()}


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# ----------------------------------------------------------------------------- agency table
def _agency_table(cells: pd.DataFrame, margins: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
    counts = (
        assigned.assign(
            _submitted=assigned["state"].isin(DONE_STATES),
            _returned=assigned["state"] == "returned",
            _not_reported=assigned["state"] == heatmap.NOT_REPORTED,
        )
        .groupby("agency_id", sort=False)[["_submitted", "_returned", "_not_reported"]]
        .sum()
        .rename(columns=lambda c: c.lstrip("_"))
        .reset_index()
    )
    frame = margins.merge(counts, on="agency_id", how="left").merge(names, on="agency_id", how="left")
    for name in ("submitted", "returned", "not_reported"):
        frame[name] = frame[name].fillna(0).astype(int)
    frame["complete"] = frame["submitted"] == frame["assigned"]
    frame["all_approved"] = frame["approved"] == frame["assigned"]
    return frame[AGENCY_COLUMNS].reset_index(drop=True)


def _agency_names(session: Session) -> pd.DataFrame:
    rows = session.exec(select(Agency.id, Agency.short_name_th, Agency.name_th, Agency.name_en)).all()
    return pd.DataFrame(rows, columns=["agency_id", "agency_short_name", "agency_name_th", "agency_name_en"])


def _with_english_names(cells: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The grid's cells plus the agency's English name (for English exports)."""
    return cells.merge(names[["agency_id", "agency_name_en"]], on="agency_id", how="left")


def agency_table(*, session: Session, round_id: int) -> pd.DataFrame:
    """Per active agency holding at least one item, in plan order: ``agency_id, agency_code,
    agency_short_name, agency_name_th, agency_name_en, weighted_progress`` (services.heatmap.by_agency),
    ``assigned`` items, ``reported`` (a report in any state, drafts included), ``submitted``
    (submitted or approved), ``approved``, ``delayed``, ``returned``, ``not_reported`` (no report),
    ``complete`` (submitted == assigned) and ``all_approved`` (approved == assigned)."""
    cells = heatmap.cells(session=session, round_id=round_id)
    margins = heatmap.by_agency(session=session, round_id=round_id)
    return _agency_table(cells, margins, _agency_names(session))


# ----------------------------------------------------------------------------- headline
def _headline(session: Session, rnd: Round, agencies: pd.DataFrame, grid: heatmap.RoundGrid) -> Headline:
    overall = grid.overall
    expected = _expected(session, rnd.plan_id).get(rnd.months)
    mains = session.exec(
        select(MainIssue.number, MainIssue.name_th, MainIssue.name_en)
        .where(MainIssue.plan_id == rnd.plan_id)
        .order_by(col(MainIssue.number))
    ).all()
    margins = grid.by_main_issue.set_index("main_issue_number")
    main_figures = tuple(
        MainIssueFigure(
            number=int(number),
            name_th=name_th,
            name_en=name_en,
            weighted_progress=_float(margins["weighted_progress"].get(number)) if number in margins.index else None,
            expected_progress=expected,
            assigned=int(margins["assigned"].get(number, 0)) if number in margins.index else 0,
        )
        for number, name_th, name_en in mains
    )
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    previous_overall = heatmap.overall(session=session, round_id=prev.id) if prev else None
    change = overall - previous_overall if overall is not None and previous_overall is not None else None
    return Headline(
        round_id=rnd.id,
        fiscal_year=rnd.fiscal_year,
        months=rnd.months,
        overall=overall,
        expected_progress=expected,
        main_issues=main_figures,
        agencies_total=len(agencies),
        agencies_reported=int(agencies["complete"].sum()),
        agencies_approved=int(agencies["all_approved"].sum()),
        items_assigned=int(agencies["assigned"].sum()),
        items_delayed=int(agencies["delayed"].sum()),
        items_returned=int(agencies["returned"].sum()),
        items_not_reported=int(agencies["not_reported"].sum()),
        previous_round_id=prev.id if prev else None,
        previous_fiscal_year=prev.fiscal_year if prev else None,
        previous_months=prev.months if prev else None,
        previous_overall=previous_overall,
        change=change,
    )


def headline(*, session: Session, round_id: int) -> Headline:
    """The round's headline figures (see `Headline` for the definition of every count)."""
    rnd = _round(session, round_id)
    grid = heatmap.round_grid(session=session, round_id=round_id)
    return _headline(session, rnd, _agency_table(grid.cells, grid.by_agency, _agency_names(session)), grid)


# ----------------------------------------------------------------------------- evaluation
def evaluation_history(*, session: Session, plan_id: int, up_to_fiscal_year: int | None = None) -> pd.DataFrame:
    """The plan's evaluation scores in year order: ``fiscal_year, component, score`` (float),
    ``level_th, level_en``; only years up to `up_to_fiscal_year` when given."""
    query = select(
        EvaluationScore.fiscal_year,
        EvaluationScore.component,
        EvaluationScore.score,
        EvaluationScore.level_th,
        EvaluationScore.level_en,
    ).where(EvaluationScore.plan_id == plan_id)
    if up_to_fiscal_year is not None:
        query = query.where(EvaluationScore.fiscal_year <= up_to_fiscal_year)
    rows = session.exec(query.order_by(col(EvaluationScore.fiscal_year), col(EvaluationScore.component))).all()
    frame = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    frame["score"] = pd.to_numeric(frame["score"]).astype(float)
    frame["fiscal_year"] = frame["fiscal_year"].astype(int)
    return frame


def latest_evaluation(*, session: Session, plan_id: int, up_to_fiscal_year: int | None = None) -> Evaluation | None:
    """The most recent score (latest fiscal year; the last component in name order on ties)."""
    frame = evaluation_history(session=session, plan_id=plan_id, up_to_fiscal_year=up_to_fiscal_year)
    return _latest(frame)


def _latest(frame: pd.DataFrame) -> Evaluation | None:
    if frame.empty:
        return None
    row = frame.iloc[-1]
    return Evaluation(
        fiscal_year=int(row["fiscal_year"]),
        component=str(row["component"]),
        score=float(row["score"]),
        level_th=str(row["level_th"]),
        level_en=str(row["level_en"] or ""),
    )


# ----------------------------------------------------------------------------- trend
def trend(*, session: Session, plan_id: int, up_to_round_id: int | None = None) -> pd.DataFrame:
    """Weighted progress in every round of the plan up to and including `up_to_round_id` (by
    default the plan's current round, services.rounds.current_round), tidy: ``fiscal_year, months,
    round_id, series`` ("overall" or the main issue number as text), ``actual`` (weighted progress,
    as services.heatmap computes it) and ``expected`` (the plan's ExpectedProgress for the round's
    length, NaN without data). Two grouped SQL queries for all rounds."""
    last = (
        session.get(Round, up_to_round_id)
        if up_to_round_id is not None
        else rounds_service.current_round(session=session, plan_id=plan_id)
    )
    if last is None:
        return pd.DataFrame(columns=TREND_COLUMNS)
    progress = sa.func.coalesce(ProgressReport.progress_pct, 0)
    weighted = (
        sa.cast(sa.func.sum(item_weight() * progress), sa.Float)
        / sa.func.nullif(sa.cast(sa.func.sum(item_weight()), sa.Float), 0)
    ).label("actual")
    keys = [Round.id.label("round_id"), Round.fiscal_year.label("fiscal_year"), Round.months.label("months")]

    def grouped(extra: list) -> sa.Select:
        return (
            sa.select(*keys, *extra, weighted)
            .select_from(Round)
            .join(MainIssue, MainIssue.plan_id == Round.plan_id)
            .join(SubIssue, SubIssue.main_issue_id == MainIssue.id)
            .join(Assignment, Assignment.sub_issue_id == SubIssue.id)
            .join(Agency, (Agency.id == Assignment.agency_id) & (Agency.active == sa.true()))
            .outerjoin(ProgressReport, (ProgressReport.assignment_id == Assignment.id) & (ProgressReport.round_id == Round.id))
            .where(
                in_round(ProgressReport, Round.id),
                Round.plan_id == plan_id,
                (Round.fiscal_year < last.fiscal_year)
                | ((Round.fiscal_year == last.fiscal_year) & (Round.months <= last.months)),
            )
            .group_by(*keys, *extra)
        )

    overall_rows = session.execute(grouped([])).all()
    main_rows = session.execute(grouped([MainIssue.number.label("number")])).all()
    frames = [
        pd.DataFrame([(r.round_id, r.fiscal_year, r.months, OVERALL, r.actual) for r in overall_rows], columns=_TREND_RAW),
        pd.DataFrame([(r.round_id, r.fiscal_year, r.months, str(r.number), r.actual) for r in main_rows], columns=_TREND_RAW),
    ]
    frame = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    expected = _expected(session, plan_id)
    frame["actual"] = pd.to_numeric(frame["actual"], errors="coerce").astype(float)
    frame["expected"] = frame["months"].map(lambda m: expected.get(int(m), math.nan)).astype(float)
    frame["_order"] = frame["series"].map(lambda s: -1 if s == OVERALL else int(s))
    frame = frame.sort_values(["fiscal_year", "months", "_order"], kind="stable").drop(columns="_order")
    frame["fiscal_year"] = frame["fiscal_year"].astype(int)
    frame["months"] = frame["months"].astype(int)
    frame["round_id"] = frame["round_id"].astype(int)
    return frame[TREND_COLUMNS].reset_index(drop=True)


_TREND_RAW = ["round_id", "fiscal_year", "months", "series", "actual"]


# ----------------------------------------------------------------------------- projection
def projection(*, session: Session, round_id: int) -> pd.DataFrame:
    """Items that, at their current linear pace, will not reach 100 % of the plan by its end
    (the 12-month round of the plan's last fiscal year), with the projected end value.

    Progress is reported as a share of each *fiscal year's* target, so the plan's target is the
    sum of its years' targets. For round r (fiscal year f, m months) of a plan of Y fiscal years:

    - plan progress so far P = (Σ progress of the item's 12-month reports of the plan's years
      before f  +  progress in round r) / Y, a missing report counting as 0 (as in the margins);
    - elapsed share E = (12·(f − first fiscal year) + m) / (12·Y);
    - projected end value = P / E (linear pace: progress per elapsed plan time, carried to the end).

    Listed: items with projected end value < 100, except those whose status in round r is
    ``cancelled``. Columns: ``agency_code, agency_short_name, agency_name_en, main_issue_number,
    sub_issue_code, sub_issue_name_th, sub_issue_name_en, progress_pct`` (in round r, NaN when
    unreported), ``plan_progress`` (P), ``elapsed_share`` (E), ``projected_end``; lowest first.
    One SQL query (a correlated sum for the earlier years)."""
    rnd = _round(session, round_id)
    plan = session.get(Plan, rnd.plan_id)
    years = plan.last_fiscal_year - plan.first_fiscal_year + 1
    elapsed = (12 * (rnd.fiscal_year - plan.first_fiscal_year) + rnd.months) / (12 * years)
    earlier, year_end = aliased(ProgressReport), aliased(Round)
    banked = (
        sa.select(sa.func.coalesce(sa.func.sum(earlier.progress_pct), 0))
        .join(year_end, year_end.id == earlier.round_id)
        .where(
            earlier.assignment_id == Assignment.id,
            year_end.plan_id == rnd.plan_id,
            year_end.months == 12,
            year_end.fiscal_year < rnd.fiscal_year,
            year_end.fiscal_year >= plan.first_fiscal_year,
        )
        .correlate(Assignment)
        .scalar_subquery()
    )
    current = aliased(ProgressReport)
    rows = session.execute(
        sa.select(
            Agency.code,
            Agency.short_name_th,
            Agency.name_en,
            MainIssue.number,
            SubIssue.code,
            SubIssue.name_th,
            SubIssue.name_en,
            current.progress_pct,
            current.status,
            banked.label("banked"),
        )
        .select_from(Assignment)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .outerjoin(current, (current.assignment_id == Assignment.id) & (current.round_id == rnd.id))
        .where(MainIssue.plan_id == rnd.plan_id, Agency.active == sa.true(), in_round(current, rnd.id))
        .order_by(Agency.sort_order, Agency.code, MainIssue.number, SubIssue.sort_order)
    ).all()
    raw = pd.DataFrame(
        rows,
        columns=[
            "agency_code",
            "agency_short_name",
            "agency_name_en",
            "main_issue_number",
            "sub_issue_code",
            "sub_issue_name_th",
            "sub_issue_name_en",
            "progress_pct",
            "status",
            "banked",
        ],
    )
    raw["progress_pct"] = pd.to_numeric(raw["progress_pct"], errors="coerce").astype(float)
    raw["status"] = raw["status"].map(lambda v: getattr(v, "value", v))
    raw["plan_progress"] = (pd.to_numeric(raw["banked"]).astype(float) + raw["progress_pct"].fillna(0.0)) / years
    raw["elapsed_share"] = elapsed
    raw["projected_end"] = raw["plan_progress"] / elapsed
    keep = (raw["projected_end"].round(6) < 100) & (raw["status"] != "cancelled")
    out = raw[keep].sort_values("projected_end", kind="stable")
    return out[PROJECTION_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------- attention
def _attention(cells: pd.DataFrame, rnd: Round) -> pd.DataFrame:
    assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
    progress = assigned["progress_pct"].astype(float)
    previous = assigned["previous_progress_pct"].astype(float)
    completed = (assigned["status"] == "completed") | (progress >= 100)
    masks = {
        "not_reported": assigned["state"] == heatmap.NOT_REPORTED,
        "returned": assigned["state"] == "returned",
        "delayed": assigned["status"] == "delayed",
        "no_change": progress.notna()
        & previous.notna()
        & (progress == previous)
        & ~completed
        & (assigned["status"] != "cancelled"),
    }
    parts = []
    for kind in ATTENTION_KINDS:
        part = assigned[masks[kind].fillna(False).astype(bool)].copy()
        part["kind"] = kind
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["fy"] = rnd.fiscal_year
    frame["m"] = rnd.months
    frame["cell"] = frame["agency_code"] + CELL_SEPARATOR + frame["sub_issue_code"]
    frame["heatmap_query"] = [
        heatmap_query(rnd.fiscal_year, rnd.months, a, s)
        for a, s in zip(frame["agency_code"], frame["sub_issue_code"], strict=True)
    ]
    for name in ("progress_pct", "previous_progress_pct"):
        frame[name] = frame[name].astype(float)
    return frame.reindex(columns=ATTENTION_COLUMNS).reset_index(drop=True)


def attention(*, session: Session, round_id: int) -> pd.DataFrame:
    """Items that need the chair, one row per item and reason (an item can have several):

    - ``not_reported``: assigned, no report in the round;
    - ``returned``: the report was returned for correction;
    - ``delayed``: the report's status is ``delayed``;
    - ``no_change``: reported in this and the previous round (services.rounds.previous_round) with
      the same progress, neither completed (status ``completed`` or progress ≥ 100) nor cancelled.

    Ordered by kind (as above), then agency and sub-issue in plan order. Columns: ``kind,
    agency_code, agency_short_name, agency_name_en, main_issue_number, sub_issue_code,
    sub_issue_name_th, sub_issue_name_en, progress_pct, previous_progress_pct, status, state`` and
    the heatmap deep link: ``fy, m, cell`` ("AGENCY~SUB") and ``heatmap_query``
    ("heatmap?fy=2564&m=12&cell=BLA~1.1")."""
    rnd = _round(session, round_id)
    return _attention(_with_english_names(heatmap.cells(session=session, round_id=round_id), _agency_names(session)), rnd)


# ----------------------------------------------------------------------------- highlights
def highlights(*, session: Session, round_id: int) -> pd.DataFrame:
    """Reports of the round marked notable (ProgressReport.notable), in plan order: ``agency_code,
    agency_short_name, agency_name_en, main_issue_number, sub_issue_code, sub_issue_name_th,
    sub_issue_name_en, progress_pct, status, state, achievements``."""
    rnd = _round(session, round_id)
    rows = session.execute(
        sa.select(
            Agency.code,
            Agency.short_name_th,
            Agency.name_en,
            MainIssue.number,
            SubIssue.code,
            SubIssue.name_th,
            SubIssue.name_en,
            ProgressReport.progress_pct,
            ProgressReport.status,
            ProgressReport.submission_state,
            ProgressReport.achievements,
        )
        .select_from(ProgressReport)
        .join(Assignment, Assignment.id == ProgressReport.assignment_id)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(
            ProgressReport.round_id == rnd.id,
            ProgressReport.notable == sa.true(),
            MainIssue.plan_id == rnd.plan_id,
            Agency.active == sa.true(),
        )
        .order_by(Agency.sort_order, Agency.code, MainIssue.number, SubIssue.sort_order)
    ).all()
    frame = pd.DataFrame(rows, columns=HIGHLIGHT_COLUMNS)
    frame["progress_pct"] = pd.to_numeric(frame["progress_pct"], errors="coerce").astype(float)
    for name in ("status", "state"):
        frame[name] = frame[name].map(lambda v: getattr(v, "value", v))
    return frame


# ----------------------------------------------------------------------------- bundle
def round_overview(*, session: Session, round_id: int, grid: heatmap.RoundGrid | None = None) -> RoundOverview:
    """Every figure, table and series of the round's overview, computed once. `grid` is the
    round's heatmap grid (services.heatmap.round_grid) when the caller has it (the page caches
    one per round and data version): its cells and margins are not queried again."""
    rnd = _round(session, round_id)
    plan = session.get(Plan, rnd.plan_id)
    names = _agency_names(session)
    grid = grid if grid is not None else heatmap.round_grid(session=session, round_id=rnd.id)
    cells = _with_english_names(grid.cells, names)
    agencies = _agency_table(cells, grid.by_agency, names)
    # an evaluation of a fiscal year is published after the year ends: the round shows earlier years
    evaluations = evaluation_history(session=session, plan_id=plan.id, up_to_fiscal_year=rnd.fiscal_year - 1)
    return RoundOverview(
        plan=PlanInfo(
            id=plan.id,
            name_th=plan.name_th,
            name_en=plan.name_en,
            first_fiscal_year=plan.first_fiscal_year,
            last_fiscal_year=plan.last_fiscal_year,
            is_demo=bool(plan.is_demo),
        ),
        round=RoundInfo(
            id=rnd.id,
            fiscal_year=rnd.fiscal_year,
            months=rnd.months,
            period_start=rnd.period_start,
            period_end=rnd.period_end,
            due_date=rnd.due_date,
            state=getattr(rnd.state, "value", rnd.state),
        ),
        headline=_headline(session, rnd, agencies, grid),
        latest_evaluation=_latest(evaluations),
        evaluations=evaluations,
        trend=trend(session=session, plan_id=plan.id, up_to_round_id=rnd.id),
        projection=projection(session=session, round_id=rnd.id),
        attention=_attention(cells, rnd),
        highlights=highlights(session=session, round_id=rnd.id),
        agencies=agencies,
        by_sub_issue=heatmap.by_sub_issue(session=session, round_id=rnd.id),
        cells=cells,
    )


ALIGNMENT_COLUMNS = ["tag_id", "kind", "name_th", "name_en", "sub_issues", "assigned", "reported", "weighted_progress"]


def by_alignment(cells: pd.DataFrame, tags: list) -> pd.DataFrame:
    """The round grouped by what its sub-issues serve (plans.alignment entries): per strategy
    goal, master plan or ministry plan, its sub-issues, items, items reported and weighted
    progress, by the one definition of the heatmap's margins (an unreported item counts 0)."""
    items = cells[cells["assignment_id"].notna()]
    rows = []
    for tag in tags:
        mine = items[items["sub_issue_id"].isin(tag.sub_issue_ids)]
        weight = mine["weight"].astype(float)
        total = float(weight.sum())
        progress = float((weight * mine["progress_pct"].astype(float).fillna(0)).sum()) / total if total else None
        rows.append(
            {
                "tag_id": tag.tag_id,
                "kind": tag.kind,
                "name_th": tag.name_th,
                "name_en": tag.name_en,
                "sub_issues": int(mine["sub_issue_id"].nunique()),
                "assigned": len(mine),
                "reported": int(mine["report_id"].notna().sum()),
                "weighted_progress": progress,
            }
        )
    return pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)
