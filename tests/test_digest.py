"""The chair's digest on SQLite and PostgreSQL, with a real SMTP server on loopback (aiosmtpd): the
round's committee-pack PDF arrives attached with a Thai summary whose figures are the overview's;
e-mail off, no recipients and a refusing or absent server are each logged as such and never as
sent; the recipient list is kept with every change audited; only the secretariat and admins
manage and send it; `cli.py digest` does the same for a cron job."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import make_engine, read_session, write_session
from core.i18n import catalog, translate
from models import AuditLog, DigestLog, DigestRecipient, Role
from services import digest, overview
from services.digest import DigestError
from services.overview import fmt_pct
from services.permissions import Actor, PermissionDenied
from tests.helpers import actor, open_round, round_of
from tests.smtp import free_port, mail_settings

ROOT = Path(__file__).resolve().parent.parent
SUBJECT_2564_12 = "สรุปผลการดำเนินงานตามแผนปฏิรูปองค์การ ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน"


def _add(engine, username, name, address):
    who = actor(engine, username)
    with write_session(engine, who) as s:
        return digest.add_recipient(session=s, actor=who, name=name, email=address).id


def _send(engine, username, settings, round_id=None):
    return digest.send_digest(
        engine=engine,
        actor=actor(engine, username),
        round_id=round_id or open_round(engine).id,
        settings=settings,
        as_of=date(2021, 10, 20),
    )


def _logs(engine) -> list[DigestLog]:
    with read_session(engine) as s:
        return list(s.exec(select(DigestLog).order_by(DigestLog.id)))


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _attachments(message) -> list:
    return list(message.iter_attachments())


def test_the_digest_arrives_with_the_pdf_and_the_overview_figures(demo_db, smtp):
    inbox, port = smtp
    _add(demo_db, "secretariat", "ประธานคณะทำงาน", "Chair@Example.go.th")
    _add(demo_db, "secretariat", "รองปลัดกระทรวง", "deputy@example.go.th")
    off = _add(demo_db, "secretariat", "ผู้บริหารที่ย้ายไปแล้ว", "gone@example.go.th")
    sec = actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:
        digest.set_recipient_active(session=s, actor=sec, recipient_id=off, active=False)
    seen_while_sending = []
    inbox.on_data = lambda: seen_while_sending.extend(log.status for log in _logs(demo_db))

    done = _send(demo_db, "secretariat", mail_settings(port))

    assert (done.status, done.error) == ("sent", "")
    assert done.recipients == ("chair@example.go.th", "deputy@example.go.th")
    assert seen_while_sending == ["pending"]  # logged before the mail went out, not yet "sent"
    (message,) = inbox.messages  # one e-mail to every active recipient
    assert sorted(message.envelope_to) == ["chair@example.go.th", "deputy@example.go.th"]
    assert message["Subject"] == SUBJECT_2564_12
    (pdf,) = _attachments(message)
    assert pdf.get_content_type() == "application/pdf" and pdf.get_filename() == "committee-pack-2564-12.pdf"
    data = pdf.get_content()
    assert data.startswith(b"%PDF") and len(data) > 10_000

    with read_session(demo_db) as s:
        head = overview.headline(session=s, round_id=open_round(demo_db).id)
    body = _body(message)
    assert body.startswith("เรียน ประธานคณะทำงานและผู้บริหาร")
    assert "ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน ข้อมูล ณ วันที่ 20 ตุลาคม 2564" in body
    assert f"ความก้าวหน้าโดยรวมร้อยละ {fmt_pct(head.overall)} (ความก้าวหน้าที่คาดหวังในรอบนี้ร้อยละ 100.0)" in body
    assert "ความก้าวหน้าโดยรวมร้อยละ 89.6" in body and "เปลี่ยนแปลง +12.8 จุดจากปีงบประมาณ พ.ศ. 2564 รอบ 9 เดือน" in body
    assert f"หน่วยงานที่ส่งรายงานครบ {head.agencies_reported} จาก {head.agencies_total} หน่วยงาน" in body
    assert "หน่วยงานที่ส่งรายงานครบ 2 จาก 7 หน่วยงาน · ได้รับอนุมัติครบ 0 จาก 7 หน่วยงาน" in body
    assert "ตัวชี้วัดทั้งหมด 27 รายการ: เป็นไปตามแผนหรือแล้วเสร็จ 22 · ล่าช้า 3 · ส่งกลับแก้ไข 1 · ยังไม่รายงาน 2 รายการ" in body
    assert "- ประเด็นหลักที่ 3 การเปิดโอกาสทุกภาคส่วน" in body and "ข้อมูลสาธิต" in body  # the demo plan says so

    (log,) = _logs(demo_db)
    assert (log.status, log.error, log.by_id, log.pdf_bytes) == ("sent", "", sec.user_id, len(data))
    assert log.recipients == "chair@example.go.th, deputy@example.go.th"
    with read_session(demo_db) as s:
        (entry,) = digest.history(session=s, actor=sec)
    assert (entry.by_name, entry.status, entry.fiscal_year, entry.months) == ("ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "sent", 2564, 12)


def test_with_e_mail_off_nothing_is_sent_and_the_log_says_off(demo_db, smtp):
    inbox, _ = smtp
    _add(demo_db, "secretariat", "ประธาน", "chair@example.go.th")
    done = _send(demo_db, "secretariat", mail_settings(None))
    assert done.status == "off" and not inbox.messages
    (log,) = _logs(demo_db)
    assert (log.status, log.pdf_bytes) == ("off", 0)
    assert translate(digest.outcome_key(done.status), "th").startswith("ยังไม่ได้ส่ง: ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล")


def test_without_active_recipients_nothing_is_sent(demo_db, smtp):
    inbox, port = smtp
    assert _send(demo_db, "secretariat", mail_settings(port)).status == "no_recipients"
    only = _add(demo_db, "secretariat", "ประธาน", "chair@example.go.th")
    sec = actor(demo_db, "secretariat")
    with write_session(demo_db, sec) as s:
        digest.set_recipient_active(session=s, actor=sec, recipient_id=only, active=False)
    assert _send(demo_db, "secretariat", mail_settings(port)).status == "no_recipients"
    assert not inbox.messages
    assert [(log.status, log.recipients) for log in _logs(demo_db)] == [("no_recipients", ""), ("no_recipients", "")]


def test_a_refusing_or_absent_mail_server_is_logged_failed_never_sent(demo_db, smtp):
    inbox, port = smtp
    inbox.refuse = True
    _add(demo_db, "secretariat", "ประธาน", "chair@example.go.th")
    refused = _send(demo_db, "secretariat", mail_settings(port))
    assert refused.status == "failed" and "554" in refused.error and "refused by the test server" in refused.error
    absent = _send(demo_db, "secretariat", mail_settings(free_port()))  # nothing listens there
    assert absent.status == "failed" and "ConnectionRefusedError" in absent.error
    logs = _logs(demo_db)
    assert [log.status for log in logs] == ["failed", "failed"] and all(log.error for log in logs)
    assert not inbox.messages
    line = translate(digest.outcome_key("failed"), "th", round=refused.round_name, error=refused.error)
    assert line.startswith("ส่งไม่สำเร็จ ไม่มีผู้ใดได้รับสรุปผลปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน: SMTPDataError")


def test_a_closed_round_can_be_sent_too(demo_db, smtp):
    inbox, port = smtp
    _add(demo_db, "secretariat", "ประธาน", "chair@example.go.th")
    done = _send(demo_db, "secretariat", mail_settings(port), round_id=round_of(demo_db, 2564, 9).id)
    assert done.status == "sent"
    assert inbox.messages[0]["Subject"] == "สรุปผลการดำเนินงานตามแผนปฏิรูปองค์การ ปีงบประมาณ พ.ศ. 2564 รอบ 9 เดือน"


def test_recipients_are_added_switched_and_removed_with_every_change_audited(db):
    sec = Actor(None, "sec-test", Role.secretariat)
    with write_session(db, sec) as s:
        rid = digest.add_recipient(session=s, actor=sec, name="  ประธาน คณะทำงาน ", email=" Chair@MOE.go.th ").id
    with read_session(db) as s:
        (row,) = digest.list_recipients(session=s, actor=sec)
    assert (row.name, row.email, row.active) == ("ประธาน คณะทำงาน", "chair@moe.go.th", True)

    with pytest.raises(DigestError) as taken, write_session(db, sec) as s:
        digest.add_recipient(session=s, actor=sec, name="อีกคน", email="CHAIR@moe.go.th")
    assert taken.value.message_key == "error.digest.email_taken"
    assert translate(taken.value.message_key, "th", **taken.value.params).startswith("อีเมล chair@moe.go.th อยู่ในรายชื่อผู้รับแล้ว")

    with write_session(db, sec) as s:
        digest.set_recipient_active(session=s, actor=sec, recipient_id=rid, active=False)
    with read_session(db) as s:
        assert digest.list_recipients(session=s, actor=sec)[0].active is False
        assert digest.active_addresses(session=s) == []
    with write_session(db, sec) as s:
        digest.set_recipient_active(session=s, actor=sec, recipient_id=rid, active=True)
    with write_session(db, sec) as s:
        assert digest.remove_recipient(session=s, actor=sec, recipient_id=rid) == "chair@moe.go.th"
    with read_session(db) as s:
        assert digest.list_recipients(session=s, actor=sec) == []
        trail = s.exec(select(AuditLog).where(AuditLog.entity == "digest_recipient").order_by(AuditLog.id)).all()
    assert {a.username for a in trail} == {"sec-test"}
    assert [a.action for a in trail if a.field in ("email", "*")] == ["create", "delete"]
    switched = [(a.old_value, a.new_value) for a in trail if a.field == "active" and a.action == "update"]
    assert switched == [("True", "False"), ("False", "True")]
    with pytest.raises(DigestError, match="unknown_recipient"), write_session(db, sec) as s:
        digest.remove_recipient(session=s, actor=sec, recipient_id=rid)


@pytest.mark.parametrize(
    "address",
    ["", "chair", "chair@", "@moe.go.th", "chair@moe", "chair@@moe.go.th", "two@moe.go.th, three@moe.go.th", "a b@moe.go.th",
     "chair@moe..go.th", "chair@-moe.go.th", "chair@moe.go.th\nBcc: x@evil.example", "x" * 200 + "@moe.go.th", "chair@1.2.3.4"],
)  # fmt: skip
def test_an_address_that_is_not_one_is_refused_in_thai(db, address):
    sec = Actor(None, "sec-test", Role.secretariat)
    with pytest.raises(DigestError) as refused, write_session(db, sec) as s:
        digest.add_recipient(session=s, actor=sec, name="ประธาน", email=address)
    assert refused.value.message_key == "error.digest.email_invalid"
    assert translate(refused.value.message_key, "th", **refused.value.params).startswith("อีเมล «")
    with read_session(db) as s:
        assert not s.exec(select(DigestRecipient)).all()


def test_a_recipient_needs_a_plain_name(db):
    sec = Actor(None, "sec-test", Role.secretariat)
    for name, key in (("  ", "error.digest.name_required"), ("ประธาน\x00", "error.text_control_chars")):
        with pytest.raises(DigestError) as refused, write_session(db, sec) as s:
            digest.add_recipient(session=s, actor=sec, name=name, email="chair@moe.go.th")
        assert refused.value.message_key == key


@pytest.mark.parametrize("username", ["focal_bla", "chair", "executive"])
def test_only_the_secretariat_and_admins_manage_and_send_the_digest(demo_db, smtp, username):
    inbox, port = smtp
    rid = _add(demo_db, "secretariat", "ประธาน", "chair@example.go.th")
    who = actor(demo_db, username)
    with pytest.raises(PermissionDenied) as denied, write_session(demo_db, who) as s:
        digest.add_recipient(session=s, actor=who, name="ใครก็ได้", email="x@example.go.th")
    assert denied.value.message_key == "error.digest.not_allowed"
    for attempt in (
        lambda s: digest.set_recipient_active(session=s, actor=who, recipient_id=rid, active=False),
        lambda s: digest.remove_recipient(session=s, actor=who, recipient_id=rid),
    ):
        with pytest.raises(PermissionDenied), write_session(demo_db, who) as s:
            attempt(s)
    with pytest.raises(PermissionDenied), read_session(demo_db) as s:
        digest.list_recipients(session=s, actor=who)
    with pytest.raises(PermissionDenied), read_session(demo_db) as s:
        digest.history(session=s, actor=who)
    with pytest.raises(PermissionDenied):
        _send(demo_db, username, mail_settings(port))
    assert not inbox.messages and not _logs(demo_db)
    with read_session(demo_db) as s:
        assert [r.active for r in digest.list_recipients(session=s, actor=actor(demo_db, "secretariat"))] == [True]
    admin = actor(demo_db, "admin")  # the administrator may, like the secretariat
    assert _send(demo_db, "admin", mail_settings(port)).status == "sent"
    with read_session(demo_db) as s:
        assert digest.history(session=s, actor=admin)[0].by_name


def test_an_unknown_round_is_refused_and_nothing_is_logged(demo_db):
    from services.errors import UserFacingError

    with pytest.raises(UserFacingError, match="unknown_round"):
        _send(demo_db, "secretariat", mail_settings(None), round_id=99999)
    assert not _logs(demo_db)


def test_every_status_has_its_sentence_and_its_label():
    for status in digest.STATUSES:
        assert f"digest.result.{status}" in catalog() and f"digest.status.{status}" in catalog()


# ----------------------------------------------------------------------------- cli.py digest
def _cli(*args, env_extra):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY") and not k.startswith("SMTP_")
    }
    env.update(env_extra)
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cli_digest_sends_the_current_round_and_exits_non_zero_when_it_did_not(demo_sqlite_path, smtp):
    inbox, port = smtp
    env = {"SQLITE_PATH": str(demo_sqlite_path), "BCRYPT_ROUNDS": "4"}
    engine = make_engine(f"sqlite:///{demo_sqlite_path}")
    try:
        none = _cli("digest", env_extra=env | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)})
        assert none.returncode == 1 and "digest: ยังไม่ได้ส่ง: ไม่มีผู้รับที่เปิดใช้อยู่ในรายชื่อ" in none.stderr
        _add(engine, "secretariat", "ประธาน", "chair@example.go.th")
        off = _cli("digest", env_extra=env)
        assert off.returncode == 1 and "ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล (SMTP_HOST)" in off.stderr
        done = _cli("digest", env_extra=env | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)})
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            "digest: ส่งสรุปผลปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือนทางอีเมลถึงผู้รับ 1 รายแล้ว พร้อมแนบเอกสารประกอบการประชุม (PDF)"
        )
        (message,) = inbox.messages
        assert message["Subject"] == SUBJECT_2564_12 and _attachments(message)[0].get_content().startswith(b"%PDF")
        nine = round_of(engine, 2564, 9).id
        failed = _cli("digest", "--round", str(nine), env_extra=env | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port())})
        assert failed.returncode == 1 and "ส่งไม่สำเร็จ ไม่มีผู้ใดได้รับสรุปผลปีงบประมาณ พ.ศ. 2564 รอบ 9 เดือน" in failed.stderr
        unknown = _cli("digest", "--round", "99999", env_extra=env)
        assert unknown.returncode == 1 and "unknown_round" in unknown.stderr
        assert "Traceback" not in unknown.stderr + failed.stderr + off.stderr
        logs = _logs(engine)
        assert [(log.status, log.by_id) for log in logs] == [
            ("no_recipients", None),
            ("off", None),
            ("sent", None),
            ("failed", None),
        ]
        with read_session(engine) as s:
            assert digest.history(session=s, actor=actor(engine, "secretariat"))[0].by_name == ""
    finally:
        engine.dispose()
