"""Progress entry: what a report holds (ReportInput), its validation, the agency's items for a
round, saving a draft or a correction with optimistic concurrency, and copy-forward.

Who may edit is services.permissions, the expected progress and the suggested status
services.status, the review workflow services.review, the history services.history. Every write
function takes a write session (core.db.write_session) and re-checks permissions itself,
whatever the page showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Agency,
    Assignment,
    Evidence,
    MainIssue,
    ProgressReport,
    ProgressStatus,
    ReviewEvent,
    Role,
    Round,
    RoundState,
    SubIssue,
    SubmissionState,
)
from services import rounds as rounds_service
from services.errors import ProgressError, UserFacingError
from services.history import Change, changes_since
from services.permissions import Actor, require_edit, require_view
from services.rounds import get_round
from services.status import expected_progress, needs_status_reason, suggest_status
from services.text_rules import FieldProblem, text_problems

TEXT_FIELDS = ("achievements", "obstacles", "next_steps", "evidence")
# Longest text a field takes (the form counts down to it, an import refuses past it): a report is
# read on a projector and printed in the committee pack, not a place for whole documents.
TEXT_LIMITS = {"achievements": 4000, "obstacles": 4000, "next_steps": 4000, "evidence": 1000, "status_reason": 500}
COMMENT_LIMIT = 2000  # a reviewer's comment or a focal point's answer
EDITABLE_FIELDS = ("progress_pct", "actual_value", "status", "status_reason", *TEXT_FIELDS, "notable")


# ----------------------------------------------------------------------------- errors
class ValidationFailed(ProgressError):
    """Nothing was saved: every problem, each with its field (and item, for a whole round)."""

    def __init__(self, problems: list[FieldProblem], message_key: str = "error.validation_failed") -> None:
        super().__init__(message_key, count=len(problems))
        self.problems = problems


class ReportConflict(ProgressError):
    """The report changed since the user loaded it: nothing was written."""

    def __init__(self, current_version: int, changes: list[Change]) -> None:
        who = ", ".join(sorted({c.who or c.username for c in changes})) or "?"
        super().__init__("error.conflict", who=who)
        self.current_version = current_version
        self.changes = changes


# ----------------------------------------------------------------------------- input
@dataclass
class ReportInput:
    progress_pct: Decimal | None = None
    actual_value: Decimal | None = None
    status: ProgressStatus | None = None
    status_reason: str = ""
    achievements: str = ""
    obstacles: str = ""
    next_steps: str = ""
    evidence: str = ""
    notable: bool = False

    @classmethod
    def from_report(cls, report: ProgressReport | None) -> ReportInput:
        if report is None:
            return cls()
        return cls(**{name: getattr(report, name) for name in EDITABLE_FIELDS})

    def normalized(self) -> ReportInput:
        def dec(v: object) -> Decimal | None:
            return None if v is None else Decimal(str(v))

        return ReportInput(
            progress_pct=dec(self.progress_pct),
            actual_value=dec(self.actual_value),
            status=ProgressStatus(self.status) if self.status else None,
            status_reason=(self.status_reason or "").strip(),
            achievements=(self.achievements or "").strip(),
            obstacles=(self.obstacles or "").strip(),
            next_steps=(self.next_steps or "").strip(),
            evidence=(self.evidence or "").strip(),
            notable=bool(self.notable),
        )

    def differs_from(self, other: ReportInput) -> list[str]:
        """Names of the fields whose values differ (numbers compared by value)."""
        a, b = self.normalized(), other.normalized()
        return [name for name in EDITABLE_FIELDS if getattr(a, name) != getattr(b, name)]


# ----------------------------------------------------------------------------- validation
def check_comment(text: str) -> str:
    """A review comment or an answer, stripped; refused when too long or holding control characters."""
    problems = text_problems("review_comment", text.strip(), COMMENT_LIMIT)
    if problems:
        raise ProgressError(problems[0].message_key, **problems[0].params)
    return text.strip()


def validate(data: ReportInput, *, assignment: Assignment, expected: Decimal, for_submit: bool) -> list[FieldProblem]:
    """Problems with one report; a draft needs only sane values, a submission needs them all."""
    d = data.normalized()
    problems: list[FieldProblem] = []
    for name, limit in TEXT_LIMITS.items():
        problems += text_problems(name, getattr(d, name), limit)
    progress_ok = d.progress_pct is None or Decimal(0) <= d.progress_pct <= Decimal(100)
    if not progress_ok:
        problems.append(FieldProblem("progress_pct", "error.progress_range", {"value": d.progress_pct}))
    if d.actual_value is not None and d.actual_value < 0:
        problems.append(FieldProblem("actual_value", "error.actual_negative", {"value": d.actual_value}))
    # no suggestion from an impossible figure: the range error above is the one to fix
    suggested = suggest_status(d.progress_pct, expected) if progress_ok else None
    if needs_status_reason(d.status, suggested) and not d.status_reason:
        problems.append(FieldProblem("status_reason", "error.status_reason_required"))
    if d.status is not None and d.status != ProgressStatus.cancelled and d.progress_pct is None and not for_submit:
        problems.append(FieldProblem("progress_pct", "error.progress_needed_for_status"))
    if for_submit:
        if d.progress_pct is None:
            problems.append(FieldProblem("progress_pct", "error.required.progress"))
        if d.status is None:
            problems.append(FieldProblem("status", "error.required.status"))
        if assignment.target_value is not None and d.actual_value is None:
            problems.append(FieldProblem("actual_value", "error.required.actual"))
        if not d.achievements:
            problems.append(FieldProblem("achievements", "error.required.achievements"))
        if d.status == ProgressStatus.delayed and not d.obstacles:
            problems.append(FieldProblem("obstacles", "error.required.obstacles"))
    return problems


# ----------------------------------------------------------------------------- reading
@dataclass
class EntryItem:
    assignment: Assignment
    sub_issue: SubIssue
    main_issue: MainIssue
    report: ProgressReport | None
    previous: ProgressReport | None
    expected: Decimal
    evidence: list[Evidence]

    @property
    def missing(self) -> bool:
        return self.report is None

    @property
    def state(self) -> str:
        return "missing" if self.report is None else SubmissionState(self.report.submission_state).value

    @property
    def suggested_status(self) -> ProgressStatus | None:
        return suggest_status(self.report.progress_pct if self.report else None, self.expected)


def now() -> datetime:
    return datetime.now(UTC)


def _items(session: Session, rnd: Round, agency_ids: list[int] | None) -> list[tuple[Agency, EntryItem]]:
    """The items of `agency_ids` (None: every active agency) in plan order, each with this round's
    and the previous round's report and its evidence: four queries whatever the agency count."""
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
    query = (
        select(Agency, Assignment, SubIssue, MainIssue)
        .join(Assignment, Assignment.agency_id == Agency.id)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .where(MainIssue.plan_id == rnd.plan_id)
        .order_by(col(Agency.sort_order), col(Agency.code), col(MainIssue.number), col(SubIssue.sort_order))
    )
    query = query.where(Agency.active == True) if agency_ids is None else query.where(col(Agency.id).in_(agency_ids))
    rows = session.exec(query).all()
    ids = [a.id for _, a, _, _ in rows]

    def reports_of(round_id: int) -> dict[int, ProgressReport]:
        reports = select(ProgressReport).where(ProgressReport.round_id == round_id)
        if agency_ids is not None:  # one agency's page: only its items; the review page: the whole round
            reports = reports.where(col(ProgressReport.assignment_id).in_(ids))
        return {r.assignment_id: r for r in session.exec(reports)}

    reports = reports_of(rnd.id)
    previous = reports_of(prev.id) if prev is not None else {}
    evidence: dict[int, list[Evidence]] = {}
    if reports:
        attached = select(Evidence).where(Evidence.removed == False).order_by(col(Evidence.id))
        if agency_ids is not None:
            attached = attached.where(col(Evidence.report_id).in_([r.id for r in reports.values()]))
        else:
            attached = attached.join(ProgressReport, ProgressReport.id == Evidence.report_id).where(
                ProgressReport.round_id == rnd.id
            )
        for ev in session.exec(attached):
            evidence.setdefault(ev.report_id, []).append(ev)
    rows = [row for row in rows if (row[1].archived_at is None and row[2].archived_at is None) or row[1].id in reports]
    return [
        (
            agency,
            EntryItem(
                assignment=a,
                sub_issue=s,
                main_issue=m,
                report=reports.get(a.id),
                previous=previous.get(a.id),
                expected=expected,
                evidence=evidence.get(reports[a.id].id, []) if a.id in reports else [],
            ),
        )
        for agency, a, s, m in rows
    ]


def entry_items(*, session: Session, actor: Actor, round_id: int, agency_id: int) -> list[EntryItem]:
    """The agency's assignments in plan order, with this round's and the previous round's reports."""
    require_view(actor, agency_id)
    rnd = get_round(session=session, round_id=round_id)
    return [item for _, item in _items(session, rnd, [agency_id])]


def round_items(*, session: Session, actor: Actor, round_id: int) -> list[tuple[Agency, EntryItem]]:
    """Every active agency's items of a round with its agency (the review page), in plan order;
    a focal point gets their own agency's only."""
    rnd = get_round(session=session, round_id=round_id)
    if actor.role is not None and Role(actor.role) == Role.focal_point:
        return _items(session, rnd, [actor.agency_id])
    return _items(session, rnd, None)


def can_edit(actor: Actor, *, agency_id: int, rnd: Round, report: ProgressReport | None) -> bool:
    """Whether the form should let `actor` change the item (services.permissions.require_edit,
    with a correction's reason to be asked for after a round closes)."""
    try:
        require_edit(actor, agency_id=agency_id, rnd=rnd, report=report, correction_reason="(asked for)")
    except UserFacingError:
        return False
    return True


# ----------------------------------------------------------------------------- writing
def load_for_update(session: Session, assignment_id: int, round_id: int) -> ProgressReport | None:
    return session.exec(
        select(ProgressReport)
        .where(ProgressReport.assignment_id == assignment_id, ProgressReport.round_id == round_id)
        .with_for_update()
    ).first()


def add_event(session: Session, actor: Actor, report: ProgressReport, action: str, comment: str = "") -> None:
    session.add(
        ReviewEvent(
            report_id=report.id,
            at=now(),
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            comment=comment,
            version=report.version,
        )
    )


def save_report(
    *,
    session: Session,
    actor: Actor,
    assignment_id: int,
    round_id: int,
    expected_version: int | None,
    data: ReportInput,
    correction_reason: str = "",
) -> ProgressReport:
    """Save a draft (or a correction). Refused with ReportConflict when the stored version is not
    the one the user started from: nothing is overwritten silently."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise ProgressError("error.unknown_assignment")
    rnd = get_round(session=session, round_id=round_id)
    report = load_for_update(session, assignment_id, round_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, correction_reason=correction_reason)
    reason = check_comment(correction_reason) if rnd.state != RoundState.open else ""  # the same text rules
    current_version = report.version if report is not None else None
    if current_version != expected_version:
        changes = changes_since(session, report, expected_version) if report is not None else []
        raise ReportConflict(current_version or 0, changes)
    expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
    problems = validate(data, assignment=assignment, expected=expected, for_submit=False)
    if problems:
        raise ValidationFailed(problems)
    d = data.normalized()
    if report is None:
        report = ProgressReport(assignment_id=assignment_id, round_id=round_id, version=0)
    changed = ReportInput.from_report(report).differs_from(d) if report.id else list(EDITABLE_FIELDS)
    for name in EDITABLE_FIELDS:
        setattr(report, name, getattr(d, name))
    if report.id is not None and not changed:
        return report  # nothing to write: no new version, no audit rows
    report.version += 1
    report.updated_by_id = actor.user_id
    report.updated_at = now()
    session.add(report)
    try:
        session.flush()
    except IntegrityError as exc:  # another writer created this report a moment ago (PostgreSQL)
        raise ReportConflict(1, []) from exc
    if rnd.state != RoundState.open:
        add_event(session, actor, report, "correct", reason)
    return report


def copy_forward(*, session: Session, actor: Actor, agency_id: int, round_id: int) -> int:
    """Start this round from the previous round's text (and figures, within one fiscal year):
    creates drafts for items not yet reported. Returns how many drafts were created."""
    rnd = get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    if prev is None:
        raise ProgressError("error.no_previous_round")
    created = 0
    for item in entry_items(session=session, actor=actor, round_id=round_id, agency_id=agency_id):
        if item.report is not None or item.previous is None:
            continue
        data = ReportInput(**{name: getattr(item.previous, name) for name in TEXT_FIELDS})
        if prev.fiscal_year == rnd.fiscal_year:  # rounds are cumulative within a fiscal year
            data.progress_pct, data.actual_value = item.previous.progress_pct, item.previous.actual_value
            data.status = suggest_status(data.progress_pct, item.expected)
        save_report(
            session=session, actor=actor, assignment_id=item.assignment.id, round_id=round_id, expected_version=None, data=data
        )
        created += 1
    return created
