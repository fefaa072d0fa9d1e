"""The heatmap's data: every agency × every sub-issue of a plan for one round, as tidy DataFrames.

Aggregation runs in SQL (joins and GROUP BY), not in Python loops over rows. Each cell is in one
of these states, never confused:
- ``not_assigned``  the agency has no indicator for the sub-issue;
- ``not_reported``  assigned, but nothing filed for the round;
- ``draft``, ``submitted``, ``approved``, ``returned``  the report's submission state.

Weighted progress (margins per agency, per sub-issue, per main issue, overall) is
Σ(weight × progress) / Σ(weight) over *assigned* cells, with unreported cells counted as 0 %,
so a missing report pulls the figure down instead of vanishing from it.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models import Agency, Assignment, MainIssue, ProgressReport, Round, SubIssue, User
from services import rounds as rounds_service

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
    rnd = session.get(Round, round_id)
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
            Assignment.weight.label("weight"),
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
        .outerjoin(Assignment, (Assignment.agency_id == Agency.id) & (Assignment.sub_issue_id == SubIssue.id))
        .outerjoin(report, (report.assignment_id == Assignment.id) & (report.round_id == rnd.id))
        .outerjoin(previous, (previous.assignment_id == Assignment.id) & (previous.round_id == (prev.id if prev else -1)))
        .outerjoin(User, User.id == report.updated_by_id)
        .where(Agency.active == sa.true())
        .order_by(Agency.sort_order, Agency.code, MainIssue.number, SubIssue.sort_order)
    )
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=CELL_COLUMNS)
    for col in ("weight", "target_value", "progress_pct", "previous_progress_pct", "change_pct", "actual_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Float64")
    frame["state"] = frame["state"].map(lambda v: getattr(v, "value", v))
    frame["status"] = frame["status"].map(lambda v: getattr(v, "value", v))
    return frame


def _weighted(group_by: list, round_id: int) -> sa.Select:
    """Σ(weight × progress) / Σ(weight) over assigned cells, unreported counted as 0, in SQL."""
    progress = sa.func.coalesce(ProgressReport.progress_pct, 0)
    return (
        sa.select(
            *group_by,
            (  # floating division on both backends (NUMERIC division would round to its own scale)
                sa.cast(sa.func.sum(Assignment.weight * progress), sa.Float)
                / sa.func.nullif(sa.cast(sa.func.sum(Assignment.weight), sa.Float), 0)
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
        .where(Agency.active == sa.true())
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
