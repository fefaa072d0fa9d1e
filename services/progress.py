"""Progress reports: entry, validation, status suggestion, optimistic concurrency, submission,
review, corrections after a round closes, copy-forward and history.

Every write function takes a write session (core.db.write_session) and re-checks permissions
itself, whatever the page showed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Assignment,
    AuditLog,
    Evidence,
    ExpectedProgress,
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
from services.errors import UserFacingError
from services.permissions import Actor, PermissionDenied
from services.text_rules import FieldProblem, text_problems

TEXT_FIELDS = ("achievements", "obstacles", "next_steps", "evidence")
# Longest text a field takes (the form counts down to it, an import refuses past it): a report is
# read on a projector and printed in the committee pack, not a place for whole documents.
TEXT_LIMITS = {"achievements": 4000, "obstacles": 4000, "next_steps": 4000, "evidence": 1000, "status_reason": 500}
COMMENT_LIMIT = 2000  # a reviewer's comment or a focal point's answer

EDITABLE_FIELDS = ("progress_pct", "actual_value", "status", "status_reason", *TEXT_FIELDS, "notable")
DEFAULT_EXPECTED = {3: Decimal(25), 6: Decimal(50), 9: Decimal(75), 12: Decimal(100)}
FOCAL_EDITABLE_STATES = {SubmissionState.draft, SubmissionState.returned}
SYSTEM_FIELDS = {"version", "updated_at", "updated_by_id", "submitted_at"}


# ----------------------------------------------------------------------------- errors
class ProgressError(UserFacingError):
    """A refusal of a progress-report action."""


class ValidationFailed(ProgressError):
    """Nothing was saved: every problem, each with its field (and item, for a whole round)."""

    def __init__(self, problems: list[FieldProblem], message_key: str = "error.validation_failed") -> None:
        super().__init__(message_key, count=len(problems))
        self.problems = problems


class SubmitRefused(ValidationFailed):
    """Nothing was submitted (the message says "cannot submit", not "cannot save")."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(problems, "error.submit_refused")


@dataclass(frozen=True)
class Change:
    """One field changed by someone else since the version the user started from."""

    username: str
    at: datetime
    field: str
    old: str | None
    new: str | None


class ReportConflict(ProgressError):
    """The report changed since the user loaded it: nothing was written."""

    def __init__(self, current_version: int, changes: list[Change]) -> None:
        who = ", ".join(sorted({c.username for c in changes})) or "?"
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


# ----------------------------------------------------------------------------- status
def expected_progress(*, session: Session, plan_id: int, months: int) -> Decimal:
    """Progress expected by the end of a round (data, with 25/50/75/100 as the fallback)."""
    row = session.exec(
        select(ExpectedProgress.pct).where(ExpectedProgress.plan_id == plan_id, ExpectedProgress.months == months)
    ).first()
    return Decimal(row) if row is not None else DEFAULT_EXPECTED[months]


def suggest_status(progress: Decimal | None, expected: Decimal) -> ProgressStatus | None:
    """Completed at 100 %, not started at 0, delayed below what the round expects, else on track."""
    if progress is None:
        return None
    if progress >= 100:
        return ProgressStatus.completed
    if progress == 0:
        return ProgressStatus.not_started
    if progress < expected:
        return ProgressStatus.delayed
    return ProgressStatus.on_track


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
    if d.status is not None and d.status != ProgressStatus.cancelled and suggested is not None and d.status != suggested:
        if not d.status_reason:
            problems.append(FieldProblem("status_reason", "error.status_reason_required"))
    if d.status == ProgressStatus.cancelled and not d.status_reason:
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


# ----------------------------------------------------------------------------- permissions
def can_view_agency(actor: Actor, agency_id: int) -> bool:
    """Focal points see their own agency; every other role sees every agency."""
    if actor.role is None:
        return False
    if Role(actor.role) == Role.focal_point:
        return actor.agency_id == agency_id
    return True


def require_view(actor: Actor, agency_id: int) -> None:
    if not can_view_agency(actor, agency_id):
        raise PermissionDenied("error.other_agency")


def require_edit(
    actor: Actor,
    *,
    agency_id: int,
    rnd: Round,
    report: ProgressReport | None,
    correction_reason: str = "",
    figures: bool = True,
) -> None:
    """Focal points edit their own agency's drafts and returned items in an open round; the
    secretariat edits any item, and after a round closes changes figures only with a reason."""
    role = Role(actor.role) if actor.role else None
    if role == Role.focal_point:
        if actor.agency_id != agency_id:
            raise PermissionDenied("error.other_agency")
        if rnd.state != RoundState.open:
            raise PermissionDenied("error.round_closed")
        if report is not None and report.submission_state not in FOCAL_EDITABLE_STATES:
            raise PermissionDenied("error.already_submitted")
        return
    if role == Role.secretariat:
        if rnd.state != RoundState.open and figures and not correction_reason.strip():
            raise ProgressError("error.correction_reason_required")
        return
    raise PermissionDenied()


def _require_secretariat(actor: Actor) -> None:
    if actor.role is None or Role(actor.role) != Role.secretariat:
        raise PermissionDenied("error.secretariat_only")


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


def _now() -> datetime:
    return datetime.now(UTC)


def get_round(*, session: Session, round_id: int) -> Round:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ProgressError("error.unknown_round")
    return rnd


def entry_items(*, session: Session, actor: Actor, round_id: int, agency_id: int) -> list[EntryItem]:
    """The agency's assignments in plan order, with this round's and the previous round's reports."""
    require_view(actor, agency_id)
    rnd = get_round(session=session, round_id=round_id)
    prev = rounds_service.previous_round(session=session, rnd=rnd)
    expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
    rows = session.exec(
        select(Assignment, SubIssue, MainIssue)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        .where(Assignment.agency_id == agency_id, MainIssue.plan_id == rnd.plan_id)
        .order_by(col(MainIssue.number), col(SubIssue.sort_order))
    ).all()
    ids = [a.id for a, _, _ in rows]
    reports = {
        r.assignment_id: r
        for r in session.exec(
            select(ProgressReport).where(ProgressReport.round_id == rnd.id, col(ProgressReport.assignment_id).in_(ids))
        )
    }
    previous = {}
    if prev is not None:
        previous = {
            r.assignment_id: r
            for r in session.exec(
                select(ProgressReport).where(ProgressReport.round_id == prev.id, col(ProgressReport.assignment_id).in_(ids))
            )
        }
    report_ids = [r.id for r in reports.values()]
    evidence: dict[int, list[Evidence]] = {}
    if report_ids:
        for ev in session.exec(
            select(Evidence).where(col(Evidence.report_id).in_(report_ids), Evidence.removed == False).order_by(col(Evidence.id))
        ):
            evidence.setdefault(ev.report_id, []).append(ev)
    return [
        EntryItem(
            assignment=a,
            sub_issue=s,
            main_issue=m,
            report=reports.get(a.id),
            previous=previous.get(a.id),
            expected=expected,
            evidence=evidence.get(reports[a.id].id, []) if a.id in reports else [],
        )
        for a, s, m in rows
    ]


def _changes_since(session: Session, report: ProgressReport, version: int | None) -> list[Change]:
    """Field changes other people made to `report` after `version` (None: since it was created)."""
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "progress_report", AuditLog.entity_id == str(report.id))
        .order_by(col(AuditLog.id))
    ).all()
    start_id = 0
    if version is not None:
        marker = next((r for r in rows if r.field == "version" and r.new_value == str(version + 1)), None)
        start_id = marker.id if marker else 0
        if marker is not None:  # include the other fields written in the same flush as the marker
            start_id = min(r.id for r in rows if r.at == marker.at and r.username == marker.username)
    return [
        Change(username=r.username, at=r.at, field=r.field, old=r.old_value, new=r.new_value)
        for r in rows
        if r.id >= start_id
        and r.field not in SYSTEM_FIELDS
        and r.field not in ("assignment_id", "round_id")
        and not (r.action == "create" and r.new_value in (None, "", "False"))
    ]


# ----------------------------------------------------------------------------- writing
def _load_for_update(session: Session, assignment_id: int, round_id: int) -> ProgressReport | None:
    return session.exec(
        select(ProgressReport)
        .where(ProgressReport.assignment_id == assignment_id, ProgressReport.round_id == round_id)
        .with_for_update()
    ).first()


def _event(session: Session, actor: Actor, report: ProgressReport, action: str, comment: str = "") -> None:
    session.add(
        ReviewEvent(
            report_id=report.id,
            at=_now(),
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            comment=comment,
            version=report.version,
        )
    )


def _record_step(session: Session, actor: Actor, report: ProgressReport, action: str, comment: str = "") -> ProgressReport:
    """Store a workflow step (submit, approve, return, answer): new version plus its review event."""
    report.version += 1
    session.add(report)
    session.flush()
    _event(session, actor, report, action, comment)
    return report


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
    report = _load_for_update(session, assignment_id, round_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, correction_reason=correction_reason)
    current_version = report.version if report is not None else None
    if current_version != expected_version:
        changes = _changes_since(session, report, expected_version) if report is not None else []
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
    report.updated_at = _now()
    session.add(report)
    try:
        session.flush()
    except IntegrityError as exc:  # another writer created this report a moment ago (PostgreSQL)
        raise ReportConflict(1, []) from exc
    if rnd.state != RoundState.open:
        _event(session, actor, report, "correct", correction_reason.strip())
    return report


def submit_agency_round(
    *,
    session: Session,
    actor: Actor,
    agency_id: int,
    round_id: int,
    unsaved: Sequence[str] = (),
    shown_versions: Mapping[int, int | None] | None = None,
) -> int:
    """Submit every draft or returned item of the agency; refuse (listing every problem) unless
    all items are complete. Returns how many items were submitted.

    What is submitted is what the person saw: `unsaved` names the items (sub-issue codes) with
    edits on screen that were never saved, and `shown_versions` (assignment id → the version
    the screen shows, None for "not reported") the stored versions the screen was drawn from.
    Unsaved edits, or an item someone else changed since, refuse the whole submission."""
    rnd = get_round(session=session, round_id=round_id)
    require_edit(actor, agency_id=agency_id, rnd=rnd, report=None, correction_reason="")
    if rnd.state != RoundState.open:
        raise PermissionDenied("error.round_closed")
    items = entry_items(session=session, actor=actor, round_id=round_id, agency_id=agency_id)
    problems: list[FieldProblem] = [FieldProblem("report", "error.submit.unsaved", sub_issue_code=code) for code in unsaved]
    for item in items:
        code = item.sub_issue.code
        stored = item.report.version if item.report else None
        if shown_versions is not None and item.assignment.id in shown_versions and shown_versions[item.assignment.id] != stored:
            problems.append(FieldProblem("report", "error.submit.changed_since_shown", sub_issue_code=code))
            continue
        if item.report is None:
            problems.append(FieldProblem("report", "error.required.report", sub_issue_code=code))
            continue
        for p in validate(
            ReportInput.from_report(item.report), assignment=item.assignment, expected=item.expected, for_submit=True
        ):
            problems.append(FieldProblem(p.field, p.message_key, p.params, sub_issue_code=code))
        if item.report.submission_state == SubmissionState.returned and item.report.review_comment:
            problems.append(FieldProblem("review_comment", "error.required.answer", sub_issue_code=code))
    if problems:
        raise SubmitRefused(problems)
    submitted = 0
    for item in items:
        report = _load_for_update(session, item.assignment.id, round_id)
        if report.submission_state in FOCAL_EDITABLE_STATES:
            report.submission_state = SubmissionState.submitted
            report.submitted_at = _now()
            _record_step(session, actor, report, "submit")
            submitted += 1
    return submitted


def _load_report(session: Session, report_id: int, expected_version: int | None) -> ProgressReport:
    report = session.exec(select(ProgressReport).where(ProgressReport.id == report_id).with_for_update()).first()
    if report is None:
        raise ProgressError("error.unknown_report")
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report.version, _changes_since(session, report, expected_version))
    return report


def approve(*, session: Session, actor: Actor, report_id: int, expected_version: int) -> ProgressReport:
    """The secretariat approves a submitted item."""
    _require_secretariat(actor)
    report = _load_report(session, report_id, expected_version)
    if report.submission_state != SubmissionState.submitted:
        raise ProgressError("error.not_submitted")
    report.submission_state = SubmissionState.approved
    return _record_step(session, actor, report, "approve")


def return_for_correction(
    *, session: Session, actor: Actor, report_id: int, expected_version: int, comment: str
) -> ProgressReport:
    """The secretariat returns a submitted or approved item with a comment the focal point sees."""
    _require_secretariat(actor)
    if not comment.strip():
        raise ProgressError("error.return_comment_required")
    comment = check_comment(comment)
    report = _load_report(session, report_id, expected_version)
    if report.submission_state not in (SubmissionState.submitted, SubmissionState.approved):
        raise ProgressError("error.not_submitted")
    rnd = get_round(session=session, round_id=report.round_id)
    if rnd.state != RoundState.open:
        raise PermissionDenied("error.round_closed")
    report.submission_state = SubmissionState.returned
    report.review_comment = comment.strip()
    return _record_step(session, actor, report, "return", comment.strip())


def answer_return(*, session: Session, actor: Actor, report_id: int, answer: str) -> ProgressReport:
    """The focal point answers the secretariat's comment; the item can then be re-submitted."""
    report = _load_report(session, report_id, None)
    assignment = session.get(Assignment, report.assignment_id)
    rnd = get_round(session=session, round_id=report.round_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, correction_reason="")
    if report.submission_state != SubmissionState.returned or not report.review_comment:
        raise ProgressError("error.nothing_to_answer")
    if not answer.strip():
        raise ProgressError("error.answer_required")
    answer = check_comment(answer)
    report.review_comment = ""
    return _record_step(session, actor, report, "answer", answer.strip())


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


def set_round_state(*, session: Session, actor: Actor, round_id: int, state: RoundState) -> Round:
    """The secretariat opens or closes a round."""
    _require_secretariat(actor)
    rnd = get_round(session=session, round_id=round_id)
    rnd.state = RoundState(state)
    session.add(rnd)
    return rnd


# ----------------------------------------------------------------------------- history
@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    username: str
    kind: str  # "field" or a review action
    field: str = ""
    old: str | None = None
    new: str | None = None
    comment: str = ""


def history(*, session: Session, actor: Actor, report_id: int) -> list[HistoryEntry]:
    """Who changed what and when (old → new), with the review conversation, newest first."""
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise ProgressError("error.unknown_report")
    require_view(actor, session.get(Assignment, report.assignment_id).agency_id)
    entries = [
        HistoryEntry(at=r.at, username=r.username, kind="field", field=r.field, old=r.old_value, new=r.new_value)
        for r in session.exec(select(AuditLog).where(AuditLog.entity == "progress_report", AuditLog.entity_id == str(report_id)))
        if r.field not in SYSTEM_FIELDS
        and r.field not in ("assignment_id", "round_id")
        and not (r.action == "create" and r.new_value in (None, "", "False"))
    ]
    entries += [
        HistoryEntry(at=e.at, username=e.username, kind=e.action, comment=e.comment)
        for e in session.exec(select(ReviewEvent).where(ReviewEvent.report_id == report_id))
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)
