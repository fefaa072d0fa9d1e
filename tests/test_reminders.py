"""Reminders on SQLite and PostgreSQL, with a real SMTP server on loopback (aiosmtpd): who is
reminded, what the e-mail says, the focal point's notice until the agency has nothing left to
send, and e-mail off, no address and a refusing server each said plainly and never marked sent."""

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from models import Reminder, User
from services import reminders
from services.permissions import PermissionDenied
from services.reminders import ReminderError
from tests.helpers import actor, open_round, round_of
from tests.smtp import free_port, mail_settings


def _send(engine, username, settings, **kwargs):
    """The three steps the page and the CLI take: log, send outside the transaction, record."""
    who = actor(engine, username)
    with write_session(engine, who) as s:
        prepared = reminders.prepare(session=s, actor=who, round_id=open_round(engine).id, settings=settings, **kwargs)
    with read_session(engine) as s:  # logged before any mail goes out
        assert {s.get(Reminder, p.reminder_id).email_status for p in prepared} <= {"pending", "off", "no_address"}
    sent = reminders.deliver(settings, prepared)
    with write_session(engine, who) as s:
        reminders.record(session=s, prepared=prepared, delivered=sent)
    return sent


def _give_addresses(engine):
    with write_session(engine, actor(engine, "admin")) as s:
        for user in s.exec(select(User).where(User.username.in_(["focal_bla", "focal_bps"]))):
            user.email = f"{user.username}@example.go.th"
            s.add(user)


def test_reminders_go_to_the_agencies_behind_by_e_mail_and_are_logged(demo_db, smtp):
    inbox, port = smtp
    _give_addresses(demo_db)
    sent = _send(demo_db, "secretariat", mail_settings(port))
    # behind: not started, draft or returned (submitted items wait for the secretariat, not the agency)
    assert {s.agency_short_name: s.email_status for s in sent} == {
        "สำนักงาน กศน.": "no_address",
        "สช.": "no_address",
        "สนย.": "sent",
        "สนก.": "sent",
        "ศทก.": "no_address",
    }
    assert sorted(m["To"] for m in inbox.messages) == ["focal_bla@example.go.th", "focal_bps@example.go.th"]
    bla = next(m for m in inbox.messages if m["To"] == "focal_bla@example.go.th")
    assert bla["Subject"] == "แจ้งเตือน: รายงานผลการดำเนินงานปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน"
    body = bla.get_content()
    assert "เรียน ผู้ประสานงานสนก." in body and "15 ตุลาคม 2564" in body
    assert "ยังไม่เริ่มรายงาน 1 · ฉบับร่างที่ยังไม่ส่ง 1 · ส่งกลับแก้ไขที่ยังไม่ส่งคืน 0 รายการ" in body
    with read_session(demo_db) as s:
        log = reminders.sent_for(session=s, actor=actor(demo_db, "secretariat"), round_id=open_round(demo_db).id)
    assert len(log) == 5 and {r.email_status for r in log} == {"sent", "no_address"}


def test_with_e_mail_off_the_notice_is_posted_and_no_mail_is_marked_sent(demo_db):
    _give_addresses(demo_db)
    sent = _send(demo_db, "secretariat", mail_settings(None))
    assert len(sent) == 5 and {s.email_status for s in sent} == {"off"}
    with read_session(demo_db) as s:
        assert reminders.notice_for(session=s, actor=actor(demo_db, "focal_bla")) is not None


def test_a_refusing_mail_server_is_reported_and_not_marked_sent(demo_db, smtp):
    inbox, port = smtp
    inbox.refuse = True
    _give_addresses(demo_db)
    sent = _send(demo_db, "secretariat", mail_settings(port))
    bla = next(s for s in sent if s.agency_short_name == "สนก.")
    assert bla.email_status == "failed" and "554" in bla.email_error
    closed = mail_settings(free_port())  # nothing listens there
    again = _send(demo_db, "secretariat", closed)
    assert next(s for s in again if s.agency_short_name == "สนก.").email_status == "failed"
    with read_session(demo_db) as s:
        assert not s.exec(select(Reminder).where(Reminder.email_status == "sent")).all()


def test_the_notice_shows_until_the_agency_has_nothing_left_to_send(demo_db):
    from services import review

    _send(demo_db, "secretariat", mail_settings(None))
    who = actor(demo_db, "focal_opec")  # OPEC is behind by one draft (3.1)
    with read_session(demo_db) as s:
        notice = reminders.notice_for(session=s, actor=who)
        assert notice is not None and "ฉบับร่างที่ยังไม่ส่ง 1" in notice.missing
        assert (notice.fiscal_year, notice.months) == (2564, 12)
        assert reminders.notice_for(session=s, actor=actor(demo_db, "focal_bie")) is None  # BIE was not behind
    with write_session(demo_db, who) as s:  # OPEC sends its draft
        review.submit_agency_round(session=s, actor=who, agency_id=who.agency_id, round_id=open_round(demo_db).id)
    with read_session(demo_db) as s:
        assert reminders.notice_for(session=s, actor=who) is None


def test_only_the_secretariat_reminds_and_only_in_an_open_round(demo_db):
    with pytest.raises(PermissionDenied):
        _send(demo_db, "chair", mail_settings(None))
    sec = actor(demo_db, "secretariat")
    with pytest.raises(ReminderError, match="round_closed"), write_session(demo_db, sec) as s:
        reminders.prepare(session=s, actor=sec, round_id=round_of(demo_db, 2564, 9).id, settings=mail_settings(None))
    with pytest.raises(ReminderError, match="nobody_behind"):
        _send(demo_db, "secretariat", mail_settings(None), agency_ids=[-1])
