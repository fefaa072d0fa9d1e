"""What the home page shows: the current round and what this user has to do in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlmodel import Session, col, func, select

from models import (
    Agency,
    AgendaItem,
    Assignment,
    MainIssue,
    Meeting,
    MinutesState,
    ProgressReport,
    Role,
    Round,
    SubIssue,
    SubmissionState,
    User,
)
from services import plans, rounds
from services.permissions import Actor
from services.plans import in_round
from services.users import is_locked

MISSING = "missing"  # an assignment with no report in the round


@dataclass(frozen=True)
class ItemState:
    """One assignment of the focal point's agency in the current round."""

    sub_issue_code: str
    sub_issue_name_th: str
    sub_issue_name_en: str
    main_issue_number: int
    state: str  # MISSING or a SubmissionState value
    progress_pct: float | None
    review_comment: str


@dataclass(frozen=True)
class RoundCounts:
    assignments: int
    reported: int  # any report, draft included
    submitted: int
    approved: int
    returned: int
    missing: int
    agencies_total: int
    agencies_reported: int  # agencies whose every assignment is submitted or approved


@dataclass(frozen=True)
class AgencyCounts:
    """A focal point's own agency in the current round."""

    items: int
    reported: int  # any report, draft included
    sent: int  # submitted or approved
    returned: int
    missing: int


@dataclass
class HomeSummary:
    plan_name_th: str | None = None
    plan_name_en: str | None = None
    is_demo: bool = False
    current_round: Round | None = None
    days_to_due: int | None = None
    counts: RoundCounts | None = None
    my_agency: Agency | None = None  # the agency a focal point reports for
    my_items: list[ItemState] = field(default_factory=list)
    agencies_not_submitted: list[AgencyLabel] = field(default_factory=list)
    locked_users: list[str] = field(default_factory=list)
    user_count: int = 0
    last_meeting: Meeting | None = None
    last_meeting_resolutions: tuple[tuple[str, str], ...] = ()  # (form, text) of its items 4 and 5

    @property
    def my_counts(self) -> AgencyCounts:
        """The focal point's own items, counted as the whole round is (RoundCounts)."""
        states = [i.state for i in self.my_items]
        sent = {SubmissionState.submitted.value, SubmissionState.approved.value}
        return AgencyCounts(
            items=len(states),
            reported=sum(s != MISSING for s in states),
            sent=sum(s in sent for s in states),
            returned=sum(s == SubmissionState.returned.value for s in states),
            missing=sum(s == MISSING for s in states),
        )


def item_states(session: Session, rnd: Round) -> list[tuple[int, str, str, SubmissionState | None, str]]:
    """(agency id, code, short name, submission state or None, English short name) of every item
    of the round held by an active agency, in agency order: the counts of the home page and of the
    Rounds page."""
    return session.exec(
        select(Agency.id, Agency.code, Agency.short_name_th, ProgressReport.submission_state, Agency.short_name_en)
        .select_from(Assignment)
        .join(Agency, Agency.id == Assignment.agency_id)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .outerjoin(ProgressReport, (ProgressReport.assignment_id == Assignment.id) & (ProgressReport.round_id == rnd.id))
        .where(MainIssue.plan_id == rnd.plan_id, Agency.active == True, in_round(ProgressReport, rnd.id))
        .order_by(col(Agency.sort_order), col(Agency.code))
    ).all()


class AgencyLabel(NamedTuple):
    """An agency's short names (core.names.agency_name picks one)."""

    short_name_th: str
    short_name_en: str


def round_counts(session: Session, rnd: Round) -> tuple[RoundCounts, list[AgencyLabel]]:
    """The round's counts and the agencies not done yet (not every item submitted or approved)."""
    rows = [(code, AgencyLabel(th, en), state) for _, code, th, state, en in item_states(session, rnd)]
    done_states = {SubmissionState.submitted, SubmissionState.approved}
    by_agency: dict[str, tuple[AgencyLabel, bool]] = {}
    for code, short_name, state in rows:
        _, complete = by_agency.get(code, (short_name, True))
        by_agency[code] = (short_name, complete and state in done_states)
    states = [state for _, _, state in rows]
    counts = RoundCounts(
        assignments=len(rows),
        reported=sum(s is not None for s in states),
        submitted=sum(s == SubmissionState.submitted for s in states),
        approved=sum(s == SubmissionState.approved for s in states),
        returned=sum(s == SubmissionState.returned for s in states),
        missing=sum(s is None for s in states),
        agencies_total=len(by_agency),
        agencies_reported=sum(complete for _, complete in by_agency.values()),
    )
    return counts, [name for name, complete in by_agency.values() if not complete]


def _my_items(session: Session, rnd: Round, agency_id: int) -> list[ItemState]:
    rows = session.exec(
        select(SubIssue, MainIssue.number, ProgressReport)
        .select_from(Assignment)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .outerjoin(ProgressReport, (ProgressReport.assignment_id == Assignment.id) & (ProgressReport.round_id == rnd.id))
        .where(Assignment.agency_id == agency_id, MainIssue.plan_id == rnd.plan_id, in_round(ProgressReport, rnd.id))
        .order_by(col(MainIssue.number), col(SubIssue.sort_order))
    ).all()
    return [
        ItemState(
            sub_issue_code=sub.code,
            sub_issue_name_th=sub.name_th,
            sub_issue_name_en=sub.name_en,
            main_issue_number=number,
            state=SubmissionState(report.submission_state).value if report else MISSING,
            progress_pct=float(report.progress_pct) if report and report.progress_pct is not None else None,
            review_comment=report.review_comment if report else "",
        )
        for sub, number, report in rows
    ]


def summary_for(*, session: Session, actor: Actor, today: date | None = None) -> HomeSummary:
    """Everything the home page needs for this actor, in one call."""
    today = today or date.today()
    summary = HomeSummary(is_demo=plans.is_demo(session=session))
    plan = plans.active_plan(session=session)
    if plan is None:
        summary.user_count = session.exec(select(func.count(col(User.id)))).one()
        return summary
    summary.plan_name_th, summary.plan_name_en = plan.name_th, plan.name_en
    rnd = rounds.current_round(session=session, plan_id=plan.id, today=today)
    summary.current_round = rnd
    if rnd is not None:
        summary.days_to_due = (rnd.due_date - today).days
        summary.counts, summary.agencies_not_submitted = round_counts(session, rnd)
        if actor.role == Role.focal_point and actor.agency_id is not None:
            summary.my_items = _my_items(session, rnd, actor.agency_id)
    if actor.role == Role.focal_point and actor.agency_id is not None:
        summary.my_agency = session.get(Agency, actor.agency_id)
    if actor.role in (Role.admin, Role.secretariat):
        all_users = session.exec(select(User)).all()
        summary.user_count = len(all_users)
        summary.locked_users = sorted(u.username for u in all_users if is_locked(u))
    summary.last_meeting = session.exec(  # the latest meeting held, not one called for later
        select(Meeting)
        .where(Meeting.plan_id == plan.id, Meeting.held_on <= today)
        .order_by(col(Meeting.held_on).desc(), col(Meeting.number).desc())
    ).first()
    if summary.last_meeting is not None and summary.last_meeting.minutes_state != MinutesState.draft:
        items = session.exec(  # resolutions of circulated or adopted minutes only: a draft's are not yet said
            select(AgendaItem)
            .where(AgendaItem.meeting_id == summary.last_meeting.id, col(AgendaItem.section).in_([4, 5]))
            .order_by(col(AgendaItem.section), col(AgendaItem.position))
        ).all()
        summary.last_meeting_resolutions = tuple(
            (i.resolution_kind, i.resolution) for i in items if i.resolution_kind or i.resolution
        )
    return summary
