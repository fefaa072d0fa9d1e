"""The meetings service on SQLite and PostgreSQL: the record, attendance, the agenda draft, the
minutes' states, the chair's directives carried from meeting to meeting, and every refusal."""

from datetime import date, time

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.db import read_session, write_session
from models import AgendaItem, AuditLog, Directive, Meeting, MinutesCorrection
from services import meetings
from services.errors import UserFacingError
from services.meetings import AttendanceInput, MeetingError
from services.permissions import PermissionDenied
from tests.helpers import actor, agency_id, round_of


def _demo_meeting(engine) -> Meeting:
    with read_session(engine) as s:
        return s.exec(select(Meeting).where(Meeting.number == 3, Meeting.year_be == 2563)).one()


def _write(engine, username, fn, **kwargs):
    who = actor(engine, username)
    with write_session(engine, who) as s:
        return fn(session=s, actor=who, **kwargs)


def _read(engine, username, fn, **kwargs):
    with read_session(engine) as s:
        return fn(session=s, actor=actor(engine, username), **kwargs)


def _new_meeting(engine, held_on=date(2020, 9, 25), **kwargs) -> Meeting:
    values = {
        "held_on": held_on,
        "starts_at": time(13, 30),
        "venue": "ห้องประชุม 1",
        "chair_name": "ประธาน",
        "chair_title": "ผู้ช่วยปลัดกระทรวงศึกษาธิการ",
        "round_id": round_of(engine, 2563, 12).id,
    } | kwargs
    return _write(engine, "secretariat", meetings.create_meeting, **values)


def _items(engine, meeting_id) -> list[AgendaItem]:
    with read_session(engine) as s:
        return list(
            s.exec(
                select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.section, AgendaItem.position)
            )
        )


# ----------------------------------------------------------------------------- the record
def test_the_next_number_is_suggested_within_the_be_year_and_the_group_carries_over(demo_db):
    m = _new_meeting(demo_db)
    assert (m.number, m.year_be) == (4, 2563)  # after the demo's 3/2563
    assert m.group_name == _demo_meeting(demo_db).group_name
    assert m.note_taker_name and m.checker_name  # carried from the previous meeting
    nxt = _new_meeting(demo_db, held_on=date(2021, 1, 15))
    assert (nxt.number, nxt.year_be) == (1, 2564)  # a new calendar BE year starts again at 1
    detail = _read(demo_db, "chair", meetings.detail, meeting_id=m.id)
    assert len(detail.present()) == 9  # every active member starts as present


def test_a_duplicate_number_in_a_year_is_refused_and_nothing_is_written(demo_db):
    with read_session(demo_db) as s:
        before = s.exec(sa.select(sa.func.count()).select_from(Meeting)).one()[0]
    with pytest.raises(MeetingError) as exc:
        _new_meeting(demo_db, held_on=date(2020, 8, 1), number=3)
    assert exc.value.message_key == "error.meeting.duplicate_number"
    assert exc.value.params == {"number": 3, "year": 2563}
    with read_session(demo_db) as s:
        assert s.exec(sa.select(sa.func.count()).select_from(Meeting)).one()[0] == before


def test_an_end_time_before_the_start_is_refused(demo_db):
    m = _demo_meeting(demo_db)
    with pytest.raises(MeetingError, match="end_before_start"):
        _write(demo_db, "secretariat", meetings.update_meeting, meeting_id=m.id, expected_version=m.version, ends_at=time(9, 0))
    assert _demo_meeting(demo_db).ends_at == time(11, 30)


def test_a_stale_version_is_a_conflict_not_an_overwrite(demo_db):
    m = _demo_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.update_meeting, meeting_id=m.id, expected_version=m.version, venue="ห้อง A")
    with pytest.raises(meetings.MeetingConflict):
        _write(demo_db, "secretariat", meetings.update_meeting, meeting_id=m.id, expected_version=m.version, venue="ห้อง B")
    assert _demo_meeting(demo_db).venue == "ห้อง A"


@pytest.mark.parametrize("username", ["chair", "executive", "viewer", "focal_bps", "admin"])
def test_only_the_secretariat_creates_and_edits_meetings(demo_db, username):
    m = _demo_meeting(demo_db)
    with pytest.raises(PermissionDenied):
        _write(
            demo_db,
            username,
            meetings.create_meeting,
            held_on=date(2020, 9, 1),
            starts_at=None,
            venue="x",
            chair_name="x",
            chair_title="",
            round_id=None,
        )
    with pytest.raises(PermissionDenied):
        _write(demo_db, username, meetings.update_meeting, meeting_id=m.id, expected_version=None, venue="x")
    with pytest.raises(PermissionDenied):
        _write(demo_db, username, meetings.draft_agenda, meeting_id=m.id)


def test_focal_points_do_not_read_meetings_but_everyone_else_does(demo_db):
    with pytest.raises(PermissionDenied):
        _read(demo_db, "focal_bps", meetings.list_meetings)
    for username in ("chair", "executive", "viewer", "admin", "secretariat"):
        assert [r.number for r in _read(demo_db, username, meetings.list_meetings)] == [3]


# ----------------------------------------------------------------------------- attendance
def test_attendance_needs_a_stand_in_name_and_an_absence_reason(demo_db):
    m = _demo_meeting(demo_db)
    members = _read(demo_db, "secretariat", meetings.list_members)
    chair = members[0]
    cases = [
        (AttendanceInput(kind="substitute", member_id=chair.id, name=chair.name), "error.meeting.stand_in_required"),
        (AttendanceInput(kind="absent", member_id=chair.id, name=chair.name), "error.meeting.reason_required"),
        (AttendanceInput(kind="present", name="คนนอก"), "error.meeting.participant_only"),
        (AttendanceInput(kind="maybe", member_id=chair.id, name=chair.name), "error.meeting.attendance_kind"),
    ]
    before = _read(demo_db, "chair", meetings.detail, meeting_id=m.id).attendance
    for row, key in cases:
        with pytest.raises(MeetingError) as exc:
            _write(demo_db, "secretariat", meetings.set_attendance, meeting_id=m.id, rows=[row], expected_version=None)
        assert exc.value.message_key == key
    after = _read(demo_db, "chair", meetings.detail, meeting_id=m.id).attendance
    assert [(a.name, a.kind) for a in after] == [(a.name, a.kind) for a in before]


def test_attendance_is_kept_as_it_was_when_a_member_changes_later(demo_db):
    m = _new_meeting(demo_db)
    members = _read(demo_db, "secretariat", meetings.list_members)
    rows = [
        AttendanceInput(kind="absent", member_id=members[1].id, name=members[1].name, reason="ติดราชการ"),
        AttendanceInput(kind="present", member_id=members[0].id, name=members[0].name, position=members[0].position),
        AttendanceInput(kind="participant", name="ผู้สังเกตการณ์", position="นักวิชาการ"),
    ]
    _write(demo_db, "secretariat", meetings.set_attendance, meeting_id=m.id, rows=rows, expected_version=None)
    _write(demo_db, "secretariat", meetings.save_member, member_id=members[1].id, name="ชื่อใหม่", position="ตำแหน่งใหม่")
    detail = _read(demo_db, "chair", meetings.detail, meeting_id=m.id)
    assert [(a.name, a.reason) for a in detail.absent()] == [(members[1].name, "ติดราชการ")]
    assert [a.name for a in detail.participants()] == ["ผู้สังเกตการณ์"]


# ----------------------------------------------------------------------------- directives
def _directive(engine, meeting_id, codes=("BPS",), due=date(2020, 12, 31)) -> Directive:
    item = next(i for i in _items(engine, meeting_id) if i.section == 4)
    return _write(
        engine,
        "secretariat",
        meetings.add_directive,
        item_id=item.id,
        text="ให้จัดทำแผนเร่งรัดประเด็นที่ล่าช้า",
        agency_ids=[agency_id(engine, c) for c in codes],
        due_on=due,
    )


def test_a_directive_needs_an_agency_and_a_due_date_not_before_the_meeting(demo_db):
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    with pytest.raises(MeetingError, match="directive_no_agency"):
        _directive(demo_db, m.id, codes=())
    with pytest.raises(MeetingError, match="directive_due_before_meeting"):
        _directive(demo_db, m.id, due=date(2020, 9, 24))
    with read_session(demo_db) as s:
        assert s.exec(select(Directive).where(Directive.meeting_id == m.id)).all() == []


def test_an_open_directive_is_carried_into_item_3_until_it_is_closed(demo_db):
    first = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=first.id)
    directive = _directive(demo_db, first.id, codes=("BPS", "ICT"))
    _write(demo_db, "focal_bps", meetings.answer_directive, directive_id=directive.id, text="ส่งแผนเร่งรัดแล้ว")

    second = _new_meeting(demo_db, held_on=date(2020, 11, 20))
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=second.id)
    carried = [i for i in _items(demo_db, second.id) if i.section == 3]
    keys = [i.auto_key for i in carried]
    assert f"directive:{directive.id}" in keys
    item = next(i for i in carried if i.auto_key == f"directive:{directive.id}")
    assert "ครั้งที่ 4/2563" in item.title and "ให้จัดทำแผนเร่งรัดประเด็นที่ล่าช้า" in item.body
    assert "สนย. รายงานผลการดำเนินงาน" in item.body and "ส่งแผนเร่งรัดแล้ว" in item.body
    assert "ศทก. ยังไม่ได้รายงานผลการดำเนินงาน" in item.body
    # the demo's directive of 3/2563 is still open too, with its two answers
    assert any("ครั้งที่ 3/2563" in i.title for i in carried)

    current = next(d for d in _read(demo_db, "chair", meetings.directives) if d.id == directive.id)
    _write(
        demo_db,
        "secretariat",
        meetings.follow_up,
        directive_id=directive.id,
        done=True,
        note="ครบถ้วน",
        expected_version=current.version,
    )
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=second.id)  # re-draft: the closed one leaves
    assert f"directive:{directive.id}" not in [i.auto_key for i in _items(demo_db, second.id)]
    third = _new_meeting(demo_db, held_on=date(2021, 1, 22))
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=third.id)
    assert f"directive:{directive.id}" not in [i.auto_key for i in _items(demo_db, third.id)]


def test_focal_points_see_and_answer_only_their_own_agencys_directives(demo_db):
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    directive = _directive(demo_db, m.id, codes=("BPS",))
    assert directive.id in [d.id for d in _read(demo_db, "focal_bps", meetings.directives)]
    assert directive.id not in [d.id for d in _read(demo_db, "focal_ict", meetings.directives)]
    with pytest.raises(PermissionDenied, match="other_agency"):
        _write(demo_db, "focal_ict", meetings.answer_directive, directive_id=directive.id, text="ไม่ใช่ของเรา")
    with pytest.raises(PermissionDenied):
        _write(demo_db, "secretariat", meetings.answer_directive, directive_id=directive.id, text="แทน")
    with pytest.raises(MeetingError):
        _write(demo_db, "focal_bps", meetings.answer_directive, directive_id=directive.id, text="  ")


def test_an_answer_with_a_bad_link_or_file_is_refused_and_stores_nothing(demo_db, tmp_path):
    files = tmp_path / "evidence"
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    directive = _directive(demo_db, m.id, codes=("BPS",))
    with pytest.raises(UserFacingError):
        _write(
            demo_db,
            "focal_bps",
            meetings.answer_directive,
            directive_id=directive.id,
            text="ok",
            evidence_url="javascript:alert(1)",
        )
    with pytest.raises(UserFacingError):
        _write(
            demo_db,
            "focal_bps",
            meetings.answer_directive,
            directive_id=directive.id,
            text="ok",
            file_name="a.pdf",
            file_data=b"not a pdf",
            evidence_dir=files,
        )
    assert not files.exists() or list(files.iterdir()) == []
    view = next(d for d in _read(demo_db, "focal_bps", meetings.directives) if d.id == directive.id)
    assert view.answered_by(agency_id(demo_db, "BPS")) is None


def test_overdue_directives_are_the_open_ones_past_due(demo_db):
    overdue = _read(demo_db, "chair", meetings.overdue_directives, today=date(2020, 10, 1))
    assert [(d.meeting_number, d.meeting_year, d.due_on) for d in overdue] == [(3, 2563, date(2020, 9, 30))]
    assert _read(demo_db, "chair", meetings.overdue_directives, today=date(2020, 9, 30)) == []


# ----------------------------------------------------------------------------- minutes states
def test_adoption_at_the_next_meeting_records_item_2_and_locks_the_minutes(demo_db):
    demo = _demo_meeting(demo_db)
    assert demo.minutes_state == "circulated"
    nxt = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=nxt.id)
    item_2 = next(i for i in _items(demo_db, nxt.id) if i.section == 2)
    assert item_2.auto_key == "previous_minutes" and "ครั้งที่ 3/2563" in item_2.title

    with pytest.raises(PermissionDenied):
        _write(demo_db, "executive", meetings.adopt, meeting_id=demo.id, at_meeting_id=nxt.id, expected_version=demo.version)
    with pytest.raises(MeetingError, match="adopt_not_circulated"):  # the new meeting's minutes are a draft
        _write(demo_db, "chair", meetings.adopt, meeting_id=nxt.id, at_meeting_id=demo.id, expected_version=None)
    earlier = _new_meeting(demo_db, held_on=date(2020, 6, 1), number=2)
    with pytest.raises(MeetingError, match="adopt_at_later"):
        _write(demo_db, "chair", meetings.adopt, meeting_id=demo.id, at_meeting_id=earlier.id, expected_version=demo.version)
    _write(
        demo_db,
        "chair",
        meetings.adopt,
        meeting_id=demo.id,
        at_meeting_id=nxt.id,
        corrections="แก้ไขชื่อห้องประชุมในหน้า 1",
        expected_version=demo.version,
    )
    adopted = _demo_meeting(demo_db)
    assert adopted.minutes_state == "adopted" and adopted.adopted_in_meeting_id == nxt.id
    item_2 = next(i for i in _items(demo_db, nxt.id) if i.section == 2)
    assert item_2.resolution_kind == "adopt"
    assert item_2.resolution == "ที่ประชุมรับรองรายงานการประชุมครั้งที่ 3/2563 โดยมีการแก้ไข ดังนี้ แก้ไขชื่อห้องประชุมในหน้า 1"

    # locked: a change needs a reason, and the reason is kept with the old and new text
    results = next(i for i in _items(demo_db, demo.id) if i.auto_key == "round_results")
    change = {"title": results.title, "body": results.body, "resolution_kind": "acknowledge", "resolution": "ที่ประชุมรับทราบ"}
    with pytest.raises(MeetingError, match="adopted_needs_reason"):
        _write(demo_db, "secretariat", meetings.update_item, item_id=results.id, expected_version=results.version, **change)
    with pytest.raises(MeetingError, match="adopted_locked"):
        _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=demo.id)
    _write(
        demo_db,
        "secretariat",
        meetings.update_item,
        item_id=results.id,
        expected_version=results.version,
        reason="ประธานขอให้ใช้ถ้อยคำมาตรฐาน",
        **change,
    )
    with read_session(demo_db) as s:
        corrections = s.exec(select(MinutesCorrection).where(MinutesCorrection.meeting_id == demo.id)).all()
    assert [(c.field_name, c.new_value, c.reason) for c in corrections] == [
        ("resolution", "ที่ประชุมรับทราบ", "ประธานขอให้ใช้ถ้อยคำมาตรฐาน")
    ]
    assert corrections[0].old_value.startswith("ที่ประชุมรับทราบผลการดำเนินงานตามแผนฯ รอบ 9 เดือน")


def test_only_draft_minutes_circulate_and_a_meeting_with_directives_is_not_deleted(demo_db):
    demo = _demo_meeting(demo_db)
    with pytest.raises(MeetingError, match="not_draft"):
        _write(demo_db, "secretariat", meetings.circulate, meeting_id=demo.id, expected_version=demo.version)
    empty = _new_meeting(demo_db)
    with pytest.raises(MeetingError, match="no_items"):
        _write(demo_db, "secretariat", meetings.circulate, meeting_id=empty.id, expected_version=None)
    _write(demo_db, "secretariat", meetings.delete_meeting, meeting_id=empty.id)
    with pytest.raises(MeetingError, match="delete_not_draft"):
        _write(demo_db, "secretariat", meetings.delete_meeting, meeting_id=demo.id)


def test_sub_items_are_added_reordered_and_removed(demo_db):
    m = _new_meeting(demo_db)
    for title in ("ก", "ข", "ค"):
        _write(demo_db, "secretariat", meetings.add_item, meeting_id=m.id, section=5, title=title)
    third = next(i for i in _items(demo_db, m.id) if i.title == "ค")
    _write(demo_db, "secretariat", meetings.move_item, item_id=third.id, step=-1)
    assert [i.title for i in _items(demo_db, m.id) if i.section == 5] == ["ก", "ค", "ข"]
    _write(demo_db, "secretariat", meetings.delete_item, item_id=third.id)
    assert [i.title for i in _items(demo_db, m.id) if i.section == 5] == ["ก", "ข"]
    with pytest.raises(MeetingError, match="bad_section"):
        _write(demo_db, "secretariat", meetings.add_item, meeting_id=m.id, section=7, title="x")


@pytest.mark.parametrize(
    ("value", "key"),
    [("x" * 501, "error.meeting.too_long"), ("ห้อง\x00ประชุม", "error.meeting.control_chars"), ("  ", "error.meeting.required")],
)
def test_texts_obey_the_limits_and_rules(demo_db, value, key):
    m = _demo_meeting(demo_db)
    with pytest.raises(MeetingError) as exc:
        _write(demo_db, "secretariat", meetings.update_meeting, meeting_id=m.id, expected_version=None, venue=value)
    assert exc.value.message_key == key and exc.value.params["field"] == "venue"


def test_every_meeting_write_is_audited(demo_db):
    with read_session(demo_db) as s:
        before = s.exec(sa.select(sa.func.count()).select_from(AuditLog)).one()[0]
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    with read_session(demo_db) as s:
        rows = s.exec(select(AuditLog).order_by(AuditLog.id)).all()[before:]
    entities = {r.entity for r in rows}
    assert {"meeting", "meeting_attendance", "agenda_item"} <= entities
    assert {r.username for r in rows} == {"secretariat"}


def test_an_answer_keeps_its_file_for_whoever_may_see_it(demo_db, tmp_path):
    import io

    from pypdf import PdfWriter

    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    files = tmp_path / "evidence"
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    directive = _directive(demo_db, m.id, codes=("BPS",))
    answer = _write(
        demo_db,
        "focal_bps",
        meetings.answer_directive,
        directive_id=directive.id,
        text="แนบแผนเร่งรัด",
        evidence_url="https://www.moe.go.th/plan",
        file_name="C:\\เอกสาร\\แผนเร่งรัด.pdf",
        file_data=buffer.getvalue(),
        evidence_dir=files,
    )
    assert answer.file_name == "แผนเร่งรัด.pdf" and answer.stored_name != answer.file_name
    for username in ("secretariat", "chair", "focal_bps"):
        got = _read(demo_db, username, meetings.read_answer_file, answer_id=answer.id, evidence_dir=files)
        assert got.data == buffer.getvalue() and got.name == "แผนเร่งรัด.pdf"
    with pytest.raises(PermissionDenied):
        _read(demo_db, "focal_ict", meetings.read_answer_file, answer_id=answer.id, evidence_dir=files)
    view = next(d for d in _read(demo_db, "chair", meetings.directives) if d.id == directive.id)
    latest = view.answered_by(agency_id(demo_db, "BPS"))
    assert (latest.text, latest.evidence_url, latest.file_name) == ("แนบแผนเร่งรัด", "https://www.moe.go.th/plan", "แผนเร่งรัด.pdf")


# ----------------------------------------------------------------------------- found in review
def test_a_redraft_keeps_a_carried_item_that_holds_a_new_directive(demo_db):
    first = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=first.id)
    old = _directive(demo_db, first.id)
    second = _new_meeting(demo_db, held_on=date(2020, 11, 20))
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=second.id)
    carried = next(i for i in _items(demo_db, second.id) if i.auto_key == f"directive:{old.id}")
    new = _write(
        demo_db,
        "secretariat",
        meetings.add_directive,
        item_id=carried.id,
        text="ให้รายงานผลภายในเดือนหน้า",
        agency_ids=[agency_id(demo_db, "BPS")],
        due_on=date(2020, 12, 31),
    )
    view = next(d for d in _read(demo_db, "chair", meetings.directives) if d.id == old.id)
    _write(demo_db, "secretariat", meetings.follow_up, directive_id=old.id, done=True, note="", expected_version=view.version)
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=second.id)  # no crash, the item stays
    assert carried.id in [i.id for i in _items(demo_db, second.id)]
    assert new.agenda_item_id == carried.id


def test_a_meeting_that_adopted_earlier_minutes_is_not_deleted(demo_db):
    demo = _demo_meeting(demo_db)
    nxt = _new_meeting(demo_db)
    _write(demo_db, "chair", meetings.adopt, meeting_id=demo.id, at_meeting_id=nxt.id, expected_version=demo.version)
    with pytest.raises(MeetingError, match="delete_adopted_others"):
        _write(demo_db, "secretariat", meetings.delete_meeting, meeting_id=nxt.id)


def test_two_minutes_adopted_at_one_meeting_each_keep_their_own_item_2(demo_db):
    demo = _demo_meeting(demo_db)
    fourth = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.add_item, meeting_id=fourth.id, section=4, title="เรื่องเพื่อทราบ")
    fourth = _read(demo_db, "chair", meetings.detail, meeting_id=fourth.id).meeting
    _write(demo_db, "secretariat", meetings.circulate, meeting_id=fourth.id, expected_version=fourth.version)
    sixth = _new_meeting(demo_db, held_on=date(2020, 12, 18))
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=sixth.id)  # its 2.1 names 4/2563, the one before
    _write(demo_db, "chair", meetings.adopt, meeting_id=demo.id, at_meeting_id=sixth.id, expected_version=demo.version)
    fourth = _read(demo_db, "chair", meetings.detail, meeting_id=fourth.id).meeting
    _write(demo_db, "chair", meetings.adopt, meeting_id=fourth.id, at_meeting_id=sixth.id, expected_version=fourth.version)
    item_2 = [(i.title, i.resolution) for i in _items(demo_db, sixth.id) if i.section == 2]
    assert sorted(item_2) == sorted(
        [
            ("รับรองรายงานการประชุมครั้งที่ 4/2563", "ที่ประชุมรับรองรายงานการประชุมครั้งที่ 4/2563 โดยไม่มีการแก้ไข"),
            ("รับรองรายงานการประชุมครั้งที่ 3/2563", "ที่ประชุมรับรองรายงานการประชุมครั้งที่ 3/2563 โดยไม่มีการแก้ไข"),
        ]
    )


def test_minutes_are_not_adopted_at_a_meeting_whose_own_minutes_are_locked(demo_db):
    demo = _demo_meeting(demo_db)
    later = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.add_item, meeting_id=later.id, section=4, title="ก")
    later = _read(demo_db, "chair", meetings.detail, meeting_id=later.id).meeting
    _write(demo_db, "secretariat", meetings.circulate, meeting_id=later.id, expected_version=later.version)
    latest = _new_meeting(demo_db, held_on=date(2020, 12, 18))
    later = _read(demo_db, "chair", meetings.detail, meeting_id=later.id).meeting
    _write(demo_db, "chair", meetings.adopt, meeting_id=later.id, at_meeting_id=latest.id, expected_version=later.version)
    # 4/2563 is adopted now: 3/2563 cannot be adopted "at" it without touching locked minutes
    with pytest.raises(MeetingError, match="adopt_at_adopted"):
        _write(demo_db, "chair", meetings.adopt, meeting_id=demo.id, at_meeting_id=later.id, expected_version=demo.version)


def test_editing_the_agenda_leaves_the_meeting_record_version_alone(demo_db):
    m = _new_meeting(demo_db)
    _write(demo_db, "secretariat", meetings.add_item, meeting_id=m.id, section=5, title="ก")
    _write(demo_db, "secretariat", meetings.draft_agenda, meeting_id=m.id)
    # a record form drawn before those agenda edits still saves: no false conflict
    _write(demo_db, "secretariat", meetings.update_meeting, meeting_id=m.id, expected_version=m.version, venue="ห้องใหม่")
