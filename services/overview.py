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

import functools
import math
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote_plus

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from core import frames
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
from services import figures, heatmap, status
from services import rounds as rounds_service
from services.plans import item_weight

OVERALL = "overall"  # the `series` of the whole plan in `trend`
ATTENTION_KINDS = ("not_reported", "returned", "delayed", "no_change")
DONE_STATES = figures.SUBMITTED_STATES  # "ส่งแล้ว": sent or approved (services.figures)
CELL_SEPARATOR = heatmap.CELL_KEY_SEPARATOR  # heatmap?cell=BPS~2.4

EVALUATION_COLUMNS = ["fiscal_year", "component", "score", "level_th", "level_en"]
TREND_COLUMNS = ["fiscal_year", "months", "round_id", "series", "actual", "expected"]
PROJECTION_COLUMNS = [
    "agency_code",
    "agency_short_name",
    "agency_short_name_en",
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
    "agency_short_name_en",
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
    "agency_short_name_en",
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
    "agency_short_name_en",
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
    """The heatmap page's URL query that opens this round with the cell selected (as urlencode writes it)."""
    return _heatmap_link(fiscal_year, months) + quote_plus(heatmap.cell_key(agency_code, sub_issue_code))


def _heatmap_link(fiscal_year: int, months: int) -> str:
    """`heatmap_query` up to the quoted cell key."""
    return f"heatmap?fy={fiscal_year}&m={months}&cell="


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
    banked: dict[int, float] = field(default_factory=dict)  # per assignment: progress banked in earlier years


# ----------------------------------------------------------------------------- helpers
def _round(session: Session, round_id: int) -> Round:
    return rounds_service.get_round(session=session, round_id=round_id)


def _expected(session: Session, plan_id: int) -> dict[int, float]:
    """The plan's expected progress per round length (services.status, the one definition)."""
    return {months: float(pct) for months, pct in status.expected_by_length(session=session, plan_id=plan_id).items()}


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# ----------------------------------------------------------------------------- agency table
class _Texts:
    """A text column factorized once (numpy codes, its distinct values): which of its values are
    among some texts, as numpy bools, without a pandas comparison per text."""

    def __init__(self, values: np.ndarray | pd.api.extensions.ExtensionArray) -> None:
        self.codes, distinct = pd.factorize(values)  # a missing value: code -1
        self.distinct = list(distinct)

    def among(self, texts: tuple[str, ...] | frozenset[str]) -> np.ndarray:
        """Which values are one of `texts` (as ``isin``/``==``: a missing value is not)."""
        return np.array([v in texts for v in self.distinct] + [False], dtype=bool)[self.codes]


def _mapped(values: np.ndarray | pd.api.extensions.ExtensionArray, at: np.ndarray):
    """`values` at the positions `at`, -1 giving a missing value: what ``Series.map`` through an
    index gives (its get_indexer, then this take; no values at all: float64 NaN, as map gives)."""
    if not len(values):
        return np.full(len(at), np.nan)
    return pd.api.extensions.take(values, at, allow_fill=True)


def _agency_table(cells: pd.DataFrame, margins: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The agency table (agency_table) of the grid's `cells`, its per-agency `margins` and the
    agencies' `names` (_agency_names): numpy sums per agency row and one DataFrame built from them."""
    state = _Texts(frames.values(cells["state"]))
    assigned = ~state.among((heatmap.NOT_ASSIGNED,))  # a missing state is not "not assigned"
    ids = frames.values(margins["agency_id"])
    rows = pd.Index(ids).get_indexer(cells["agency_id"].to_numpy()[assigned])  # each item's agency row
    out = {name: frames.values(margins[name]).copy() for name in margins.columns}  # not the margins' own arrays
    for name, texts in (("submitted", DONE_STATES), ("returned", ("returned",)), ("not_reported", (heatmap.NOT_REPORTED,))):
        flag = state.among(texts)[assigned]
        out[name] = np.bincount(rows, weights=flag.astype(float), minlength=len(ids)).astype(int)
    at = pd.Index(frames.values(names["agency_id"])).get_indexer(ids)
    out |= {name: _mapped(frames.values(names[name]), at) for name in names.columns if name != "agency_id"}
    out["complete"] = out["submitted"] == out["assigned"]
    out["all_approved"] = out["approved"] == out["assigned"]
    return frames.frame({name: out[name] for name in AGENCY_COLUMNS})


_NAME_COLUMNS = ["agency_id", "agency_short_name", "agency_short_name_en", "agency_name_th", "agency_name_en"]


@functools.cache
def _agency_names_statement() -> sa.Select:
    """`_agency_names`' statement, built once."""
    return select(Agency.id, Agency.short_name_th, Agency.short_name_en, Agency.name_th, Agency.name_en)


def _agency_names(session: Session) -> pd.DataFrame:
    """Every agency's id and names (_NAME_COLUMNS); each column typed as pandas types a column of
    its values (ids int64, names str), which a DataFrame of the rows would type the same."""
    rows = session.exec(_agency_names_statement()).all()
    if not rows:
        return pd.DataFrame(rows, columns=_NAME_COLUMNS)
    return pd.DataFrame({name: list(values) for name, values in zip(_NAME_COLUMNS, zip(*rows, strict=True), strict=True)})


def _with_english_names(cells: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """The grid's cells plus the agency's English name (for English exports); a shallow copy with
    that one column set (missing for an agency `names` does not hold)."""
    at = pd.Index(frames.values(names["agency_id"])).get_indexer(cells["agency_id"].to_numpy())
    out = cells.copy(deep=False)
    out["agency_name_en"] = _mapped(frames.values(names["agency_name_en"]), at)
    return out


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
def _headline(
    session: Session, rnd: Round, agencies: pd.DataFrame, grid: heatmap.RoundGrid, trend_frame: pd.DataFrame
) -> Headline:
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
    previous_overall = None
    if prev is not None:  # the trend holds every earlier round's overall figure (the same definition)
        earlier = trend_frame[(trend_frame["round_id"] == prev.id) & (trend_frame["series"] == OVERALL)]
        previous_overall = _float(earlier["actual"].iloc[0]) if len(earlier) else None
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
    trend_frame = trend(session=session, plan_id=rnd.plan_id, up_to_round_id=rnd.id, grid=grid)
    return _headline(session, rnd, _agency_table(grid.cells, grid.by_agency, _agency_names(session)), grid, trend_frame)


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
def trend(
    *,
    session: Session,
    plan_id: int,
    up_to_round_id: int | None = None,
    grid: heatmap.RoundGrid | None = None,
    earlier: pd.DataFrame | None = None,
    past: PlanHistory | None = None,
) -> pd.DataFrame:
    """Weighted progress in every round of the plan up to and including `up_to_round_id` (by
    default the plan's current round, services.rounds.current_round), tidy: ``fiscal_year, months,
    round_id, series`` ("overall" or the main issue number as text), ``actual`` (weighted progress,
    as services.heatmap computes it) and ``expected`` (the plan's ExpectedProgress for the round's
    length, NaN without data). The earlier rounds come from one grouped SQL query (or `earlier`,
    the rows of a trend computed before when those rounds have not changed since); the last
    round from its `grid` when given (its margins are the same figures). `past`: the plan's
    `history` up to the round when the caller has it (without the round itself when `grid` is given)."""
    last = (
        session.get(Round, up_to_round_id)
        if up_to_round_id is not None
        else rounds_service.current_round(session=session, plan_id=plan_id)
    )
    if last is None:
        return pd.DataFrame(columns=TREND_COLUMNS)
    if earlier is not None:
        frames = [earlier[earlier["round_id"] != last.id][_TREND_RAW]]
    else:
        frames = [_trend_rows(session, plan_id, last, include_last=grid is None, past=past)]
    if grid is not None:
        mains = grid.by_main_issue
        frames.append(
            pd.DataFrame(
                [(last.id, last.fiscal_year, last.months, OVERALL, grid.overall)]
                + [
                    (last.id, last.fiscal_year, last.months, str(int(n)), _float(v))
                    for n, v in zip(mains["main_issue_number"], mains["weighted_progress"], strict=True)
                ],
                columns=_TREND_RAW,
            )
        )
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


@dataclass(frozen=True)
class PlanHistory:
    """The reports of a plan's rounds up to a round, as arrays (two small queries: the reports
    through an index that holds every column read, and the plan's items' weights), from which the
    trend's sums and the progress banked in earlier years are both computed without another
    query: `history`."""

    rounds: pd.DataFrame  # round_id, fiscal_year, months: the rounds covered, in order
    reports: pd.DataFrame  # round_id, assignment_id, progress_pct (NaN: no figure)
    items: pd.DataFrame  # assignment_id, number (main issue), w, live (an item of new rounds), counted (agency active)


def history(session: Session, plan_id: int, last: Round, *, include_last: bool) -> PlanHistory:
    """The plan's rounds before `last` (and `last` itself with `include_last`) and their reports."""
    until = (Round.months <= last.months) if include_last else (Round.months < last.months)
    in_range = (Round.plan_id == plan_id) & (
        (Round.fiscal_year < last.fiscal_year) | ((Round.fiscal_year == last.fiscal_year) & until)
    )
    rounds = pd.DataFrame(
        session.execute(sa.select(Round.id, Round.fiscal_year, Round.months).where(in_range)).all(),
        columns=["round_id", "fiscal_year", "months"],
    )
    ids = [int(i) for i in rounds["round_id"]]
    reports = pd.DataFrame(
        session.execute(
            sa.select(
                ProgressReport.round_id, ProgressReport.assignment_id, sa.cast(ProgressReport.progress_pct, sa.Float)
            ).where(ProgressReport.round_id.in_(ids))
        ).all()
        if ids
        else [],
        columns=["round_id", "assignment_id", "progress_pct"],
    )
    items = pd.DataFrame(
        session.execute(
            sa.select(
                Assignment.id,
                MainIssue.number,
                sa.cast(item_weight(), sa.Float),
                Assignment.archived_at.is_(None) & SubIssue.archived_at.is_(None),
                Agency.active,
            )
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .where(MainIssue.plan_id == plan_id)
        ).all(),
        columns=["assignment_id", "number", "w", "live", "counted"],
    )
    reports["progress_pct"] = pd.to_numeric(reports["progress_pct"], errors="coerce").astype(float)
    items["w"] = pd.to_numeric(items["w"], errors="coerce").astype(float).fillna(0.0)
    items["live"], items["counted"] = items["live"].astype(bool), items["counted"].astype(bool)
    return PlanHistory(rounds, reports, items)


def _trend_rows(
    session: Session, plan_id: int, last: Round, *, include_last: bool, past: PlanHistory | None = None
) -> pd.DataFrame:
    """Σ(weight × progress) and Σ(weight) per round and main issue, from the plan's `history`: an
    item counts in a round while live, or for ever in a round that holds its report (in_round);
    an unreported item counts 0 (the heatmap's margins). The overall figure of a round is the
    ratio of its sums over the main issues."""
    past = past if past is not None else history(session, plan_id, last, include_last=include_last)
    items = past.items[past.items["counted"]]
    if past.rounds.empty or items.empty:
        return pd.DataFrame(columns=_TREND_RAW)
    reported = past.reports.merge(items, on="assignment_id", how="inner")
    reported = reported.assign(
        wp=reported["w"] * reported["progress_pct"].fillna(0.0), extra=reported["w"].where(~reported["live"], 0.0)
    )
    from_reports = reported.groupby(["round_id", "number"], sort=False)[["wp", "extra"]].sum()
    live = items[items["live"]].groupby("number", sort=False)["w"].sum()
    pairs = pd.MultiIndex.from_product([past.rounds["round_id"], live.index], names=["round_id", "number"]).union(
        from_reports.index
    )
    sums = from_reports.reindex(pairs, fill_value=0.0).reset_index()
    sums["w"] = sums["number"].map(live).fillna(0.0).astype(float) + sums["extra"]
    sums = sums.merge(past.rounds, on="round_id", how="inner")
    mains = sums.assign(series=sums["number"].astype(int).astype(str), actual=sums["wp"] / sums["w"].where(sums["w"] != 0))
    totals = sums.groupby(["round_id", "fiscal_year", "months"], sort=False)[["wp", "w"]].sum().reset_index()
    overall = totals.assign(series=OVERALL, actual=totals["wp"] / totals["w"].where(totals["w"] != 0))
    return pd.concat([overall[_TREND_RAW], mains[_TREND_RAW]], ignore_index=True)


_TREND_RAW = ["round_id", "fiscal_year", "months", "series", "actual"]


# ----------------------------------------------------------------------------- projection
def projection(
    *, session: Session, round_id: int, cells: pd.DataFrame | None = None, banked: dict[int, float] | None = None
) -> pd.DataFrame:
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
    One grouped SQL query for the earlier years (`banked_progress`); the round's own figures come
    from its `cells` (services.heatmap.cells, the grid) when given."""
    rnd = _round(session, round_id)
    plan = session.get(Plan, rnd.plan_id)
    years = plan.last_fiscal_year - plan.first_fiscal_year + 1
    elapsed = (12 * (rnd.fiscal_year - plan.first_fiscal_year) + rnd.months) / (12 * years)
    if cells is None:
        cells = _with_english_names(heatmap.cells(session=session, round_id=rnd.id), _agency_names(session))
    if banked is None:
        banked = banked_progress(session=session, round_id=rnd.id)
    # the items' figures as numpy arrays; each column shown is taken once, at the rows listed
    rows = np.flatnonzero(pd.notna(cells["assignment_id"].to_numpy()))
    progress = cells["progress_pct"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    earlier = np.array([banked.get(a, np.nan) for a in cells["assignment_id"].to_numpy()[rows].astype(int).tolist()], dtype=float)
    earlier[np.isnan(earlier)] = 0.0
    plan_progress = (earlier + np.where(np.isnan(progress), 0.0, progress)) / years
    projected_end = plan_progress / elapsed
    listed = ~_Texts(frames.values(cells["status"])).among(("cancelled",))[rows]  # a missing status is not cancelled
    keep = np.flatnonzero((np.round(projected_end, 6) < 100) & listed)
    # lowest first; figures equal to 9 places tie (a float sum's last bit orders nothing), in grid order
    keep = keep[np.argsort(np.round(projected_end[keep], 9), kind="stable")]
    figures_at = {"progress_pct": progress, "plan_progress": plan_progress, "projected_end": projected_end}
    out = {
        name: figures_at[name][keep] if name in figures_at else frames.values(cells[name]).take(rows[keep])
        for name in PROJECTION_COLUMNS
        if name != "elapsed_share"
    }
    out["elapsed_share"] = np.full(len(keep), elapsed)
    return frames.frame({name: out[name] for name in PROJECTION_COLUMNS})


def banked_progress(*, session: Session, round_id: int, past: PlanHistory | None = None) -> dict[int, float]:
    """Per assignment, the sum of its progress in the 12-month rounds of the plan's fiscal years
    before the round's (the years a projection has banked), from the plan's `history` up to the
    round (`past`, when the caller has it)."""
    rnd = _round(session, round_id)
    plan = session.get(Plan, rnd.plan_id)
    past = past if past is not None else history(session, rnd.plan_id, rnd, include_last=False)
    years = past.rounds[
        (past.rounds["months"] == 12)
        & (past.rounds["fiscal_year"] < rnd.fiscal_year)
        & (past.rounds["fiscal_year"] >= plan.first_fiscal_year)
    ]
    banked = past.reports[past.reports["round_id"].isin(years["round_id"])]
    sums = banked.groupby("assignment_id", sort=False)["progress_pct"].sum(min_count=1).dropna()
    return {int(a): float(v) for a, v in sums.items()}


# ----------------------------------------------------------------------------- attention
def _attention(cells: pd.DataFrame, rnd: Round) -> pd.DataFrame:
    """The attention list (attention) of the grid's `cells`: each reason's rows found with numpy
    masks, each column taken once at them, one DataFrame (a column `cells` lacks: NaN)."""
    state = _Texts(frames.values(cells["state"]))
    status = _Texts(frames.values(cells["status"]))
    progress = cells["progress_pct"].to_numpy(dtype="float64", na_value=np.nan)
    previous = cells["previous_progress_pct"].to_numpy(dtype="float64", na_value=np.nan)
    assigned = ~state.among((heatmap.NOT_ASSIGNED,))  # a missing state is not "not assigned"
    completed = status.among(("completed",)) | (progress >= 100)
    masks = {
        "not_reported": state.among((heatmap.NOT_REPORTED,)),
        "returned": state.among(("returned",)),
        "delayed": status.among(("delayed",)),
        "no_change": ~np.isnan(progress)
        & ~np.isnan(previous)
        & (progress == previous)
        & ~completed
        & ~status.among(("cancelled",)),
    }
    rows = [np.flatnonzero(masks[kind] & assigned) for kind in ATTENTION_KINDS]
    at = np.concatenate(rows)
    figures_at = {"progress_pct": progress, "previous_progress_pct": previous}
    out = {
        name: figures_at[name][at] if name in figures_at else frames.values(cells[name]).take(at)
        for name in ATTENTION_COLUMNS
        if name in cells.columns
    }
    out["kind"] = np.repeat(ATTENTION_KINDS, [len(r) for r in rows])  # numpy text: a str column
    out["fy"] = np.full(len(at), rnd.fiscal_year, dtype=np.int64)
    out["m"] = np.full(len(at), rnd.months, dtype=np.int64)
    out["cell"] = out["agency_code"] + CELL_SEPARATOR + out["sub_issue_code"]  # heatmap.cell_key
    out["heatmap_query"] = pd.array(_heatmap_link(rnd.fiscal_year, rnd.months) + _quoted(out["cell"]), dtype="str")
    return frames.frame({name: out[name] if name in out else np.full(len(at), np.nan) for name in ATTENTION_COLUMNS})


def _quoted(keys: np.ndarray | pd.api.extensions.ExtensionArray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """quote_plus of each of the texts `keys` (a missing one stays missing): `keys` themselves when
    quoting leaves them all as they are (it quotes character by character, so one call over them
    all tells), else quoted once per distinct key."""
    joined = "".join(key for key in keys.tolist() if isinstance(key, str))
    if quote_plus(joined) == joined:
        return keys
    return pd.array(frames.per_distinct(keys, quote_plus, missing=np.nan), dtype="str")


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
    rows = session.execute(_highlights_statement(), {"round_id": rnd.id, "plan_id": rnd.plan_id}).all()
    frame = pd.DataFrame(rows, columns=HIGHLIGHT_COLUMNS)
    frame["progress_pct"] = pd.to_numeric(frame["progress_pct"], errors="coerce").astype(float)
    for name in ("status", "state"):
        frame[name] = frame[name].map(lambda v: getattr(v, "value", v))
    return frame


@functools.cache
def _highlights_statement() -> sa.Select:
    """`highlights`' statement, built once and run with bound parameters ``round_id`` and ``plan_id``."""
    return (
        sa.select(
            Agency.code,
            Agency.short_name_th,
            Agency.short_name_en,
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
            ProgressReport.round_id == sa.bindparam("round_id"),
            ProgressReport.notable == sa.true(),
            MainIssue.plan_id == sa.bindparam("plan_id"),
            Agency.active == sa.true(),
        )
        .order_by(Agency.sort_order, Agency.code, MainIssue.number, SubIssue.sort_order)
    )


# ----------------------------------------------------------------------------- bundle
def round_overview(
    *,
    session: Session,
    round_id: int,
    grid: heatmap.RoundGrid | None = None,
    earlier: RoundOverview | None = None,
) -> RoundOverview:
    """Every figure, table and series of the round's overview, computed once. `grid` is the
    round's heatmap grid (services.heatmap.round_grid) when the caller has it (the page caches
    one per round and data version): its cells and margins are not queried again. `earlier` is
    an overview of the same round computed before saves that wrote only this round's (or later
    rounds') reports (`only_this_round`): its earlier rounds' trend, the progress banked in
    earlier years and the evaluations still hold and are not queried again."""
    rnd = _round(session, round_id)
    plan = session.get(Plan, rnd.plan_id)
    names = _agency_names(session)
    grid = grid if grid is not None else heatmap.round_grid(session=session, round_id=rnd.id)
    cells = _with_english_names(grid.cells, names)
    agencies = _agency_table(cells, grid.by_agency, names)
    past = None
    if earlier is not None and earlier.round.id == rnd.id:
        evaluations, banked, earlier_trend = earlier.evaluations, earlier.banked, earlier.trend
    else:
        # an evaluation of a fiscal year is published after the year ends: the round shows earlier years
        evaluations = evaluation_history(session=session, plan_id=plan.id, up_to_fiscal_year=rnd.fiscal_year - 1)
        past = history(session, plan.id, rnd, include_last=False)  # one read for the trend and the projection
        banked, earlier_trend = banked_progress(session=session, round_id=rnd.id, past=past), None
    trend_frame = trend(session=session, plan_id=plan.id, up_to_round_id=rnd.id, grid=grid, earlier=earlier_trend, past=past)
    by_sub_issue = grid.by_sub_issue if len(grid.by_sub_issue.columns) else heatmap.sub_issue_margins(grid.cells)
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
        headline=_headline(session, rnd, agencies, grid, trend_frame),
        latest_evaluation=_latest(evaluations),
        evaluations=evaluations,
        trend=trend_frame,
        projection=projection(session=session, round_id=rnd.id, cells=cells, banked=banked),
        attention=_attention(cells, rnd),
        highlights=highlights(session=session, round_id=rnd.id),
        agencies=agencies,
        by_sub_issue=by_sub_issue,
        cells=cells,
        banked=banked,
    )


def reach(*, session: Session, round_id: int, changed: set[tuple[int, int]]) -> str:
    """How far saves that wrote the reports `changed` ((round id, agency id) pairs,
    services.heatmap.changes_since) reach into a round's overview: "none" when every round they
    wrote is a later one; "this_round" when they wrote this round too but no earlier one (its
    earlier rounds' trend, banked progress and evaluations still hold: round_overview(earlier=…));
    "earlier" when they wrote an earlier round."""
    rnd = _round(session, round_id)
    written = {r for r, _ in changed}
    others = written - {rnd.id}
    rows = session.execute(sa.select(Round.fiscal_year, Round.months).where(Round.id.in_(others))).all() if others else []
    if any((fy, m) < (rnd.fiscal_year, rnd.months) for fy, m in rows):
        return "earlier"
    return "this_round" if rnd.id in written else "none"


ALIGNMENT_COLUMNS = [
    *("tag_id", "kind", "name_th", "name_en", "sub_issues"),
    *("assigned", "reported", "submitted", "weighted_progress"),
]


def by_alignment(cells: pd.DataFrame, tags: list) -> pd.DataFrame:
    """The round grouped by what its sub-issues serve (plans.alignment entries): per strategy
    goal, master plan or ministry plan, its sub-issues, items, items reported (any report), items
    submitted (sent or approved: services.figures) and weighted progress, by the one definition of the heatmap's margins (an unreported item counts 0)."""
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
                "submitted": int(mine["state"].isin(figures.SUBMITTED_STATES).sum()),
                "weighted_progress": progress,
            }
        )
    return pd.DataFrame(rows, columns=ALIGNMENT_COLUMNS)
