"""Progress reports: validation, suggested status, permissions, versions, submission and review."""

from decimal import Decimal

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from models import AuditLog, ProgressStatus, ReviewEvent, SubmissionState
from services import errors, history, progress, review, round_admin, status
from services.permissions import PermissionDenied
from services.progress import ReportConflict, ReportInput, ValidationFailed
from services.status import suggest_status
from tests.helpers import actor, agency_id, assignment, open_round, report, round_of


def save(engine, who, agency, sub, data, version, round_id=None, reason=""):
    rid = round_id or open_round(engine).id
    a = actor(engine, who)
    with write_session(engine, a) as s:
        return progress.save_report(
            session=s,
            actor=a,
            assignment_id=assignment(engine, agency, sub).id,
            round_id=rid,
            expected_version=version,
            data=data,
            correction_reason=reason,
        )


GOOD = ReportInput(
    progress_pct=Decimal(100), actual_value=Decimal(3), status=ProgressStatus.completed, achievements="แก้ไขระเบียบครบ 3 ฉบับ"
)


@pytest.mark.parametrize(
    ("progress_pct", "expected", "status"),
    [
        (None, 50, None),
        (0, 50, ProgressStatus.not_started),
        (49.99, 50, ProgressStatus.delayed),
        (50, 50, ProgressStatus.on_track),
        (99, 100, ProgressStatus.delayed),
        (100, 100, ProgressStatus.completed),
    ],
)
def test_suggest_status(progress_pct, expected, status):
    value = None if progress_pct is None else Decimal(str(progress_pct))
    assert suggest_status(value, Decimal(expected)) == status


def test_expected_progress_comes_from_the_plan(demo_db):
    rnd = round_of(demo_db, 2563, 9)
    with read_session(demo_db) as s:
        assert status.expected_progress(session=s, plan_id=rnd.plan_id, months=9) == Decimal(75)


def test_focal_point_saves_a_draft_for_a_missing_item_with_audit(demo_db):
    saved = save(demo_db, "focal_bla", "BLA", "1.1", GOOD, None)
    assert saved.version == 1 and saved.submission_state == SubmissionState.draft
    with read_session(demo_db) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.entity == "progress_report", AuditLog.entity_id == str(saved.id))).all()
    assert Decimal(next(r.new_value for r in rows if r.field == "progress_pct")) == 100
    assert all(r.username == "focal_bla" for r in rows)


@pytest.mark.parametrize(
    ("data", "field", "key"),
    [
        (ReportInput(progress_pct=Decimal(101)), "progress_pct", "error.progress_range"),
        (ReportInput(progress_pct=Decimal(-1)), "progress_pct", "error.progress_range"),
        (ReportInput(actual_value=Decimal(-5)), "actual_value", "error.actual_negative"),
        (ReportInput(progress_pct=Decimal(10), status=ProgressStatus.on_track), "status_reason", "error.status_reason_required"),
        (ReportInput(status=ProgressStatus.cancelled), "status_reason", "error.status_reason_required"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(demo_db, data, field, key):
    with pytest.raises(ValidationFailed) as exc:
        save(demo_db, "focal_bla", "BLA", "1.1", data, None)
    assert [(p.field, p.message_key) for p in exc.value.problems] == [(field, key)]
    assert report(demo_db, "BLA", "1.1", open_round(demo_db).id) is None


def test_status_override_with_a_reason_is_kept(demo_db):
    data = ReportInput(progress_pct=Decimal(10), status=ProgressStatus.on_track, status_reason="งานหลักเริ่มไตรมาส 4 ตามแผน")
    saved = save(demo_db, "focal_bla", "BLA", "1.1", data, None)
    assert saved.status == ProgressStatus.on_track and saved.status_reason.startswith("งานหลัก")


@pytest.mark.parametrize(
    ("who", "agency", "sub"),
    [("focal_bps", "BLA", "1.1"), ("chair", "BLA", "1.1"), ("viewer", "BLA", "1.1"), ("admin", "BLA", "1.1")],
)
def test_others_cannot_write_an_agencys_report(demo_db, who, agency, sub):
    with pytest.raises(PermissionDenied):
        save(demo_db, who, agency, sub, GOOD, None)
    assert report(demo_db, agency, sub, open_round(demo_db).id) is None


def test_focal_point_cannot_write_to_a_closed_round(demo_db):
    closed = round_of(demo_db, 2564, 9)
    current = report(demo_db, "BLA", "1.3", closed.id)
    with pytest.raises(PermissionDenied) as exc:
        save(demo_db, "focal_bla", "BLA", "1.3", GOOD, current.version, round_id=closed.id)
    assert exc.value.message_key == "error.round_closed"
    assert report(demo_db, "BLA", "1.3", closed.id).version == current.version


def test_after_closing_only_the_secretariat_corrects_and_only_with_a_reason(demo_db):
    closed = round_of(demo_db, 2564, 9)
    current = report(demo_db, "BLA", "1.3", closed.id)
    data = ReportInput.from_report(current)
    data.actual_value = Decimal(4)
    with pytest.raises(errors.ProgressError) as exc:
        save(demo_db, "secretariat", "BLA", "1.3", data, current.version, round_id=closed.id)
    assert exc.value.message_key == "error.correction_reason_required"
    saved = save(
        demo_db, "secretariat", "BLA", "1.3", data, current.version, round_id=closed.id, reason="ตัวเลขตามหนังสือแจ้งแก้ไขจาก สนก."
    )
    assert saved.actual_value == Decimal(4)
    with read_session(demo_db) as s:
        event = s.exec(select(ReviewEvent).where(ReviewEvent.report_id == saved.id, ReviewEvent.action == "correct")).one()
    assert event.username == "secretariat" and "หนังสือแจ้งแก้ไข" in event.comment


def test_a_stale_version_is_refused_showing_who_changed_what(demo_db):
    first = save(
        demo_db,
        "focal_bla",
        "BLA",
        "1.1",
        ReportInput(progress_pct=Decimal(80), achievements="ร่างแรก", status=ProgressStatus.delayed),
        None,
    )
    save(
        demo_db,
        "secretariat",
        "BLA",
        "1.1",
        ReportInput(progress_pct=Decimal(90), achievements="ร่างแรก", status=ProgressStatus.delayed),
        first.version,
    )
    mine = ReportInput(progress_pct=Decimal(85), achievements="ของฉัน", status=ProgressStatus.delayed)
    with pytest.raises(ReportConflict) as exc:
        save(demo_db, "focal_bla", "BLA", "1.1", mine, first.version)
    changes = exc.value.changes
    assert [(c.username, c.field) for c in changes] == [("secretariat", "progress_pct")]
    assert Decimal(changes[0].old) == 80 and Decimal(changes[0].new) == 90
    assert exc.value.current_version == 2
    stored = report(demo_db, "BLA", "1.1", open_round(demo_db).id)
    assert stored.progress_pct == Decimal(90)  # the later save did not overwrite silently
    resaved = save(demo_db, "focal_bla", "BLA", "1.1", mine, exc.value.current_version)  # reconciled on purpose
    assert resaved.progress_pct == Decimal(85) and resaved.version == 3


def test_two_people_creating_the_same_report_conflict(demo_db):
    save(demo_db, "focal_bla", "BLA", "1.1", GOOD, None)
    with pytest.raises(ReportConflict):
        save(demo_db, "secretariat", "BLA", "1.1", GOOD, None)


def test_submit_lists_exactly_what_is_missing_and_changes_nothing(demo_db):
    rid = open_round(demo_db).id
    save(demo_db, "focal_bla", "BLA", "1.1", ReportInput(progress_pct=Decimal(40), status=ProgressStatus.delayed), None)
    a = actor(demo_db, "focal_bla")
    with pytest.raises(ValidationFailed) as exc, write_session(demo_db, a) as s:
        review.submit_agency_round(session=s, actor=a, agency_id=agency_id(demo_db, "BLA"), round_id=rid)
    found = {(p.sub_issue_code, p.message_key) for p in exc.value.problems}
    assert found == {
        ("1.1", "error.required.actual"),
        ("1.1", "error.required.achievements"),
        ("1.1", "error.required.obstacles"),
    }
    assert report(demo_db, "BLA", "1.1", rid).submission_state == SubmissionState.draft


def test_submit_then_return_answer_resubmit_and_approve(demo_db):
    rid = open_round(demo_db).id
    opec = agency_id(demo_db, "OPEC")
    draft = report(demo_db, "OPEC", "3.1", rid)
    assert draft.submission_state == SubmissionState.draft
    focal, sec = actor(demo_db, "focal_opec"), actor(demo_db, "secretariat")
    with write_session(demo_db, focal) as s:
        assert review.submit_agency_round(session=s, actor=focal, agency_id=opec, round_id=rid) == 1
    submitted = report(demo_db, "OPEC", "3.1", rid)
    assert submitted.submission_state == SubmissionState.submitted
    with write_session(demo_db, sec) as s:
        review.return_for_correction(
            session=s, actor=sec, report_id=submitted.id, expected_version=submitted.version, comment="ขอหลักฐานจำนวนเครือข่าย"
        )
    returned = report(demo_db, "OPEC", "3.1", rid)
    assert returned.submission_state == SubmissionState.returned and returned.review_comment == "ขอหลักฐานจำนวนเครือข่าย"
    with pytest.raises(ValidationFailed) as exc, write_session(demo_db, focal) as s:
        review.submit_agency_round(session=s, actor=focal, agency_id=opec, round_id=rid)
    assert [p.message_key for p in exc.value.problems] == ["error.required.answer"]
    with write_session(demo_db, focal) as s:
        review.answer_return(session=s, actor=focal, report_id=returned.id, answer="แนบรายชื่อเครือข่าย 20 แห่งแล้ว")
    with write_session(demo_db, focal) as s:
        assert review.submit_agency_round(session=s, actor=focal, agency_id=opec, round_id=rid) == 1
    again = report(demo_db, "OPEC", "3.1", rid)
    with write_session(demo_db, sec) as s:
        review.approve(session=s, actor=sec, report_id=again.id, expected_version=again.version)
    assert report(demo_db, "OPEC", "3.1", rid).submission_state == SubmissionState.approved
    with read_session(demo_db) as s:
        actions = [
            (e.action, e.username)
            for e in s.exec(select(ReviewEvent).where(ReviewEvent.report_id == again.id).order_by(ReviewEvent.id))
        ]
        hist = history.history(session=s, actor=focal, report_id=again.id)
    assert actions == [
        ("submit", "focal_opec"),
        ("return", "secretariat"),
        ("answer", "focal_opec"),
        ("submit", "focal_opec"),
        ("approve", "secretariat"),
    ]
    assert any(h.kind == "answer" and "20 แห่ง" in h.comment for h in hist)


def test_only_the_secretariat_reviews(demo_db):
    rid = open_round(demo_db).id
    submitted = report(demo_db, "OTEPC", "1.5", rid)
    for who in ("focal_otepc", "chair", "admin"):
        a = actor(demo_db, who)
        with pytest.raises(PermissionDenied), write_session(demo_db, a) as s:
            review.approve(session=s, actor=a, report_id=submitted.id, expected_version=submitted.version)
    assert report(demo_db, "OTEPC", "1.5", rid).submission_state == SubmissionState.submitted


def test_submitted_items_are_locked_for_the_focal_point(demo_db):
    rid = open_round(demo_db).id
    submitted = report(demo_db, "OTEPC", "1.5", rid)
    with pytest.raises(PermissionDenied) as exc:
        save(demo_db, "focal_otepc", "OTEPC", "1.5", GOOD, submitted.version)
    assert exc.value.message_key == "error.already_submitted"


def test_copy_forward_fills_missing_items_from_the_previous_round(demo_db):
    rid = open_round(demo_db).id
    a = actor(demo_db, "focal_bla")
    with write_session(demo_db, a) as s:
        created = progress.copy_forward(session=s, actor=a, agency_id=agency_id(demo_db, "BLA"), round_id=rid)
    assert created == 1
    copied = report(demo_db, "BLA", "1.1", rid)
    previous = report(demo_db, "BLA", "1.1", round_of(demo_db, 2564, 9).id)
    assert copied.achievements == previous.achievements and copied.progress_pct == previous.progress_pct
    assert copied.submission_state == SubmissionState.draft


def test_entry_items_for_a_focal_point_are_their_agency_only(demo_db):
    rid = open_round(demo_db).id
    a = actor(demo_db, "focal_bps")
    with read_session(demo_db) as s:
        items = progress.entry_items(session=s, actor=a, round_id=rid, agency_id=agency_id(demo_db, "BPS"))
        with pytest.raises(PermissionDenied):
            progress.entry_items(session=s, actor=a, round_id=rid, agency_id=agency_id(demo_db, "ICT"))
    assert [i.sub_issue.code for i in items] == ["1.2", "2.1", "2.2", "2.4", "3.2"]
    assert all(i.previous is not None for i in items)
    assert items[0].main_issue.number == 1 and items[0].assignment.target_value is not None


def test_secretariat_closes_and_reopens_a_round(demo_db):
    rid = open_round(demo_db).id
    sec = actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:
        shown = round_admin.outstanding(session=s, actor=sec, round_id=rid)
        round_admin.close_round(session=s, actor=sec, round_id=rid, shown=shown)
    with pytest.raises(PermissionDenied):
        save(demo_db, "focal_bla", "BLA", "1.1", GOOD, None, round_id=rid)
    focal = actor(demo_db, "focal_bla")
    with pytest.raises(PermissionDenied), write_session(demo_db, focal) as s:
        round_admin.open_round(session=s, actor=focal, round_id=rid, reason="ขอแก้ไข")


def test_an_out_of_range_figure_reports_one_problem_not_two(demo_db):
    data = ReportInput(progress_pct=Decimal(150), status=ProgressStatus.delayed)
    with pytest.raises(ValidationFailed) as exc:
        save(demo_db, "focal_bla", "BLA", "1.1", data, None)
    assert [p.message_key for p in exc.value.problems] == ["error.progress_range"]


def _submit(engine, who, agency, **kwargs):
    a = actor(engine, who)
    with write_session(engine, a) as s:
        return review.submit_agency_round(
            session=s, actor=a, agency_id=agency_id(engine, agency), round_id=open_round(engine).id, **kwargs
        )


def test_submit_with_unsaved_edits_on_screen_is_refused_and_names_them(demo_db):
    with pytest.raises(review.SubmitRefused) as exc:
        _submit(demo_db, "focal_onie", "ONIE", unsaved=["3.3"])
    assert exc.value.message_key == "error.submit_refused"  # "cannot submit", not "cannot save"
    assert [(p.sub_issue_code, p.message_key) for p in exc.value.problems] == [("3.3", "error.submit.unsaved")]
    assert report(demo_db, "ONIE", "3.3", open_round(demo_db).id).submission_state == SubmissionState.draft


def test_submit_refuses_when_an_item_changed_since_the_screen_was_drawn(demo_db):
    rid = open_round(demo_db).id
    stored = report(demo_db, "ONIE", "3.3", rid)
    shown = {assignment(demo_db, "ONIE", "3.3").id: stored.version}
    changed = ReportInput.from_report(stored)
    changed.next_steps = "เลขานุการแก้ไขระหว่างนั้น"
    save(demo_db, "secretariat", "ONIE", "3.3", changed, stored.version)
    with pytest.raises(review.SubmitRefused) as exc:
        _submit(demo_db, "focal_onie", "ONIE", shown_versions=shown)
    assert [(p.sub_issue_code, p.message_key) for p in exc.value.problems] == [("3.3", "error.submit.changed_since_shown")]
    assert report(demo_db, "ONIE", "3.3", rid).submission_state == SubmissionState.draft
    assert _submit(demo_db, "focal_onie", "ONIE", shown_versions={shown.popitem()[0]: stored.version + 1}) == 1


@pytest.mark.parametrize(
    ("data", "field", "key"),
    [
        (ReportInput(achievements="ก" * 4001), "achievements", "error.text_too_long"),
        (ReportInput(evidence="x" * 1001), "evidence", "error.text_too_long"),
        (
            ReportInput(status_reason="ก" * 501, progress_pct=Decimal(5), status=ProgressStatus.on_track),
            "status_reason",
            "error.text_too_long",
        ),
        (ReportInput(obstacles="ไม่มี\x00ปัญหา"), "obstacles", "error.text_control_chars"),
        (ReportInput(next_steps="ระฆัง\x07"), "next_steps", "error.text_control_chars"),
        (ReportInput(status=ProgressStatus.completed), "progress_pct", "error.progress_needed_for_status"),
    ],
    ids=["achievements-4001", "evidence-1001", "reason-501", "nul", "bell", "status-without-progress"],
)
def test_text_past_its_limit_or_with_control_characters_is_refused(demo_db, data, field, key):
    with pytest.raises(ValidationFailed) as exc:
        save(demo_db, "focal_bla", "BLA", "1.1", data, None)
    assert [(p.field, p.message_key) for p in exc.value.problems] == [(field, key)]
    assert report(demo_db, "BLA", "1.1", open_round(demo_db).id) is None


def test_text_at_its_limit_with_tabs_bidi_and_zero_width_characters_is_stored_exactly(demo_db):
    text = "ผลงาน\tแถวที่ 1\r\nแถวที่ 2 \u202eกลับด้าน\u202c \u200bศูนย์กว้าง".ljust(4000, "ก")
    saved = save(demo_db, "focal_bla", "BLA", "1.1", ReportInput(achievements=text), None)
    assert report(demo_db, "BLA", "1.1", open_round(demo_db).id).achievements == text.strip() == saved.achievements


@pytest.mark.parametrize("comment", ["ก" * 2001, "ขอเอกสาร\x00"], ids=["2001-chars", "nul"])
def test_review_comments_have_the_same_limits(demo_db, comment):
    rid = open_round(demo_db).id
    submitted = report(demo_db, "BIE", "3.2", rid)
    sec = actor(demo_db, "secretariat")
    with pytest.raises(errors.ProgressError), write_session(demo_db, sec) as s:
        review.return_for_correction(
            session=s, actor=sec, report_id=submitted.id, expected_version=submitted.version, comment=comment
        )
    assert report(demo_db, "BIE", "3.2", rid).submission_state == SubmissionState.submitted


def test_a_correction_reason_obeys_the_text_rules(demo_db):
    """Found by review: a NUL in a closed round's correction reason reached PostgreSQL as a
    DataError (a traceback), not a refusal."""
    rnd = round_of(demo_db, 2564, 9)
    stored = report(demo_db, "BIE", "1.4", rnd.id)
    data = ReportInput.from_report(stored)
    data.next_steps = "แก้ไขหลังปิดรอบ"
    with pytest.raises(errors.ProgressError) as exc:
        save(demo_db, "secretariat", "BIE", "1.4", data, stored.version, round_id=rnd.id, reason="เหตุผล\x00ซ่อน")
    assert exc.value.message_key == "error.text_control_chars"
    assert report(demo_db, "BIE", "1.4", rnd.id).version == stored.version


def test_the_plan_decides_whether_evidence_is_required_to_submit(demo_db):
    """OPEC's draft 3.1 is complete; with its evidence emptied, a plan that requires evidence
    refuses the submission naming the item, one that does not submits it and lists it as bare."""
    from models import Evidence, Plan

    rid = open_round(demo_db).id
    opec, focal = agency_id(demo_db, "OPEC"), actor(demo_db, "focal_opec")
    draft = report(demo_db, "OPEC", "3.1", rid)
    with write_session(demo_db, actor(demo_db, "admin")) as s:
        row = s.get(type(draft), draft.id)
        row.evidence = ""
        for ev in s.exec(select(Evidence).where(Evidence.report_id == draft.id)):
            ev.removed = True
        s.exec(select(Plan)).one().evidence_required = True
    with read_session(demo_db) as s:
        items = progress.entry_items(session=s, actor=focal, round_id=rid, agency_id=opec)
    assert review.without_evidence(items) == ["3.1"]
    with pytest.raises(ValidationFailed) as exc, write_session(demo_db, focal) as s:
        review.submit_agency_round(session=s, actor=focal, agency_id=opec, round_id=rid)
    assert [(p.sub_issue_code, p.field, p.message_key) for p in exc.value.problems] == [
        ("3.1", "evidence", "error.required.evidence")
    ]
    assert report(demo_db, "OPEC", "3.1", rid).submission_state == SubmissionState.draft
    with write_session(demo_db, actor(demo_db, "admin")) as s:
        s.exec(select(Plan)).one().evidence_required = False
    with write_session(demo_db, focal) as s:
        assert review.submit_agency_round(session=s, actor=focal, agency_id=opec, round_id=rid) == 1
