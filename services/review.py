"""The review workflow: a focal point submits the agency's round, the secretariat approves an
item or returns it with a comment, the focal point answers and submits again.

Every step bumps the report's version and adds a review_event, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session, select

from models import Assignment, Plan, ProgressReport, Role, Round, RoundState, SubmissionState
from services.errors import ProgressError, UserFacingError
from services.history import changes_since
from services.permissions import FOCAL_EDITABLE_STATES, Actor, PermissionDenied, require_edit, require_secretariat
from services.progress import (
    EntryItem,
    ReportConflict,
    ReportInput,
    ValidationFailed,
    add_event,
    check_comment,
    entry_items,
    load_for_update,
    now,
    validate,
)
from services.rounds import get_round
from services.text_rules import FieldProblem

TO_SUBMIT = ("missing", "draft", "returned")  # EntryItem.state of the items a submission still sends
REVIEWABLE = ("submitted", "approved")  # the states the secretariat approves or returns


def can_submit(actor: Actor, *, agency_id: int, rnd: Round) -> bool:
    """Whether `actor` may run the agency's round on the form (copy forward, submit): the round
    is open and require_edit lets them edit the agency's items."""
    if rnd.state != RoundState.open:
        return False
    try:
        require_edit(actor, agency_id=agency_id, rnd=rnd, report=None)
    except UserFacingError:
        return False
    return True


def to_submit(items: Sequence[EntryItem]) -> list[EntryItem]:
    """The items a submission of the agency's round would still send."""
    return [item for item in items if item.state in TO_SUBMIT]


def has_evidence(item: EntryItem) -> bool:
    """An item's report carries evidence: a file or link attached, or the evidence text filled."""
    return bool(item.evidence) or bool(item.report is not None and (item.report.evidence or "").strip())


def without_evidence(items: Sequence[EntryItem]) -> list[str]:
    """Sub-issue codes of the items a submission would send with no evidence at all."""
    return [item.sub_issue.code for item in to_submit(items) if not has_evidence(item)]


def can_review(actor: Actor, *, rnd: Round, item: EntryItem) -> bool:
    """Whether the review page offers approve/return for the item."""
    return actor.role == Role.secretariat and rnd.state == RoundState.open and item.state in REVIEWABLE


class SubmitRefused(ValidationFailed):
    """Nothing was submitted (the message says "cannot submit", not "cannot save")."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(problems, "error.submit_refused")


def _record_step(session: Session, actor: Actor, report: ProgressReport, action: str, comment: str = "") -> ProgressReport:
    """Store a workflow step (submit, approve, return, answer): new version plus its review event."""
    report.version += 1
    session.add(report)
    session.flush()
    add_event(session, actor, report, action, comment)
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
    plan = session.get(Plan, rnd.plan_id)
    evidence_required = bool(plan is not None and plan.evidence_required)
    problems: list[FieldProblem] = [FieldProblem("report", "error.submit.unsaved", sub_issue_code=code) for code in unsaved]
    for item in items:
        code = item.sub_issue.code
        if code in unsaved:  # its stored version is not what the person means to send: no more about it
            continue
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
        if evidence_required and item.state in TO_SUBMIT and not has_evidence(item):
            problems.append(FieldProblem("evidence", "error.required.evidence", sub_issue_code=code))
        if item.report.submission_state == SubmissionState.returned and item.report.review_comment:
            problems.append(FieldProblem("review_comment", "error.required.answer", sub_issue_code=code))
    if problems:
        raise SubmitRefused(problems)
    submitted = 0
    for item in items:
        report = load_for_update(session, item.assignment.id, round_id)
        if report.submission_state in FOCAL_EDITABLE_STATES:
            report.submission_state = SubmissionState.submitted
            report.submitted_at = now()
            _record_step(session, actor, report, "submit")
            submitted += 1
    return submitted


def _load_report(session: Session, report_id: int, expected_version: int | None) -> ProgressReport:
    report = session.exec(select(ProgressReport).where(ProgressReport.id == report_id).with_for_update()).first()
    if report is None:
        raise ProgressError("error.unknown_report")
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report.version, changes_since(session, report, expected_version))
    return report


def approve(*, session: Session, actor: Actor, report_id: int, expected_version: int) -> ProgressReport:
    """The secretariat approves a submitted item."""
    require_secretariat(actor)
    report = _load_report(session, report_id, expected_version)
    if report.submission_state != SubmissionState.submitted:
        raise ProgressError("error.not_submitted")
    report.submission_state = SubmissionState.approved
    return _record_step(session, actor, report, "approve")


def return_for_correction(
    *, session: Session, actor: Actor, report_id: int, expected_version: int, comment: str
) -> ProgressReport:
    """The secretariat returns a submitted or approved item with a comment the focal point sees."""
    require_secretariat(actor)
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
