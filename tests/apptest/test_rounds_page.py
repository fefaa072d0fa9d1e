"""The Rounds page through AppTest: the close confirmation names what is outstanding and starts
unticked (also right after a reopen), the toast says what happened, a reopen without a reason is
refused in Thai and changes nothing."""

from pathlib import Path

import sqlalchemy as sa

from core.db import make_engine
from tests.apptest.conftest import APP_FILE, login, shown, subheaders

ROUNDS = str(Path(APP_FILE).parent / "pages" / "rounds.py")


def _state(db_path, fy, months) -> str:
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT state FROM reporting_round WHERE fiscal_year = :f AND months = :m"), {"f": fy, "m": months}
        ).scalar_one()
    engine.dispose()
    return value


def _open(app):
    at = login(app, "secretariat")
    at.switch_page(ROUNDS).run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_closing_names_what_is_left_then_reopening_needs_a_reason(app, app_env):
    at = _open(app)
    confirm = next(c for c in at.checkbox if c.label.startswith("ยืนยันการปิดรอบ"))
    assert confirm.value is False
    assert "ยังไม่รายงาน 2 ส่งกลับ 1 และยังไม่อนุมัติ 5 รายการ" in confirm.label
    assert _button(at, "ปิดรอบการรายงาน").disabled
    confirm.check().run()
    _button(at, "ปิดรอบการรายงาน").click().run()
    assert not at.exception and _state(app_env, 2564, 12) == "closed"
    assert [shown(t.value) for t in at.toast] == ["ปิดปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือนแล้ว (ค้าง: ยังไม่รายงาน 2 ส่งกลับ 1 ยังไม่อนุมัติ 5)"]
    _button(at, "เปิดรอบอีกครั้ง").click().run()  # no reason typed
    assert [e.value for e in at.error] == ["รอบนี้มีรายงานแล้ว กรุณาระบุเหตุผลที่เปิดอีกครั้ง"]
    assert _state(app_env, 2564, 12) == "closed"
    next(i for i in at.text_input if i.label == "เหตุผล").input("สนก. ขอส่งรายการ 1.1")
    _button(at, "เปิดรอบอีกครั้ง").click().run()
    assert _state(app_env, 2564, 12) == "open"
    confirm = next(c for c in at.checkbox if c.label.startswith("ยืนยันการปิดรอบ"))
    assert confirm.value is False  # never pre-ticked after a change
    history = [shown(m.value) for m in at.markdown if "สนก. ขอส่งรายการ 1.1" in shown(m.value)]  # in the round's history
    assert history and "โดย ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)" in history[0]  # by display name


def test_the_page_lists_the_agencies_behind_with_whom_to_contact(app):
    at = _open(app)
    table = at.dataframe[1].value
    assert len(table) == 7
    bla = table[table["หน่วยงาน"] == "สนก."].iloc[0]
    assert (bla["ยังไม่เริ่มรายงาน"], bla["ฉบับร่าง"]) == (1, 1)
    assert bla["ผู้ประสานงานที่ติดต่อได้"] == "ผู้ประสานงาน สนก."


def test_reminders_are_sent_logged_and_shown_on_the_focal_points_home(app_env):
    from streamlit.testing.v1 import AppTest

    at = _open(AppTest.from_file(APP_FILE, default_timeout=60).run())
    assert any("ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล" in i.value for i in at.info)  # e-mail off: said before sending
    _button(at, "ส่งการแจ้งเตือน").click().run()
    assert not at.exception
    assert [shown(t.value) for t in at.toast] == ["แจ้งเตือนแล้ว 5 หน่วยงาน · ส่งอีเมลสำเร็จ 0 · ส่งไม่สำเร็จ 0 · ไม่มีอีเมล 0"]
    log = at.dataframe[2].value
    assert len(log) == 5 and set(log["อีเมล"]) == {"ไม่ได้ส่ง (ปิดการส่งอีเมล)"}
    assert set(log["ผู้ส่ง"]) == {"ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"}
    home = login(AppTest.from_file(APP_FILE, default_timeout=60).run(), "focal_bla")
    assert any("ฝ่ายเลขานุการแจ้งเตือนเรื่องปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน" in shown(w.value) for w in home.warning)


def test_a_close_confirmed_before_a_save_elsewhere_does_not_go_through(app, app_env):
    """Ticked with "5 not approved", then a report is approved by someone else: the click closes
    nothing, and the page shows the new counts in a fresh, unticked confirmation."""
    at = _open(app)
    next(c for c in at.checkbox if c.label.startswith("ยืนยันการปิดรอบ")).check().run()
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.begin() as conn:  # another secretariat session approves a submitted item
        conn.execute(
            sa.text(
                "UPDATE progress_report SET submission_state = 'approved', version = version + 1 WHERE id = "
                "(SELECT p.id FROM progress_report p JOIN reporting_round r ON r.id = p.round_id "
                "WHERE r.state = 'open' AND p.submission_state = 'submitted' LIMIT 1)"
            )
        )
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
    engine.dispose()
    _button(at, "ปิดรอบการรายงาน").click().run()
    assert not at.exception
    assert _state(app_env, 2564, 12) == "open"
    confirm = next(c for c in at.checkbox if c.label.startswith("ยืนยันการปิดรอบ"))
    assert confirm.value is False and "ยังไม่อนุมัติ 4 รายการ" in confirm.label


# --- the chair's digest (issue 15) ---
def _read(markdown: str) -> str:
    return shown(markdown).replace("\u2060", "")  # md() breaks an address with a word joiner (no autolink)


def _digest_table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_digest_section_adds_a_recipient_and_says_e_mail_is_off(app, app_env):
    at = _open(app)
    assert "ส่งสรุปผลให้ประธานและผู้บริหารทางอีเมล" in subheaders(at)
    assert any("ยังไม่มีผู้รับ" in c.value for c in at.caption)
    next(i for i in at.text_input if i.label == "ชื่อ ตำแหน่ง").input("ประธานคณะทำงาน")
    next(i for i in at.text_input if i.label == "อีเมล").input("not-an-address")
    _button(at, "เพิ่มผู้รับ").click().run()
    assert [e.value for e in at.error] == ["อีเมล «not\\-an\\-address» ไม่ถูกต้อง กรุณากรอกอีเมลเดียวในรูปแบบ ชื่อ@หน่วยงาน.go.th"]
    next(i for i in at.text_input if i.label == "อีเมล").input("Chair@Example.go.th")  # the form kept the name
    _button(at, "เพิ่มผู้รับ").click().run()
    assert not at.exception and not at.error
    assert [_read(t.value) for t in at.toast] == ["เพิ่ม chair@example.go.th ในรายชื่อผู้รับแล้ว"]
    people = _digest_table(at, "ส่งถึง")
    assert people[["ชื่อ", "อีเมล", "ส่งถึง"]].values.tolist() == [["ประธานคณะทำงาน", "chair@example.go.th", "ใช่"]]
    assert next(i for i in at.text_input if i.label == "อีเมล").value == ""  # emptied after the save

    assert any("ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล (SMTP_HOST) จึงส่งสรุปผล" in i.value for i in at.info)
    _button(at, "ส่งสรุปผลรอบนี้ทันที").click().run()
    assert not at.exception
    assert any(w.value.startswith("ยังไม่ได้ส่ง: ยังไม่ได้ตั้งค่าเซิร์ฟเวอร์อีเมล") for w in at.warning)
    log = _digest_table(at, "ผู้ส่ง")
    assert log[["รอบ", "ผู้ส่ง", "ผล"]].values.tolist() == [
        ["ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน", "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)", "ไม่ได้ส่ง (ปิดการส่งอีเมล)"]
    ]


def test_the_digest_section_stops_and_removes_a_recipient_after_a_confirmation(app, app_env):
    at = _open(app)
    next(i for i in at.text_input if i.label == "ชื่อ ตำแหน่ง").input("รองปลัดกระทรวง")
    next(i for i in at.text_input if i.label == "อีเมล").input("deputy@example.go.th")
    _button(at, "เพิ่มผู้รับ").click().run()
    _button(at, "หยุดส่งถึงผู้รับนี้").click().run()
    assert _digest_table(at, "ส่งถึง")["ส่งถึง"].tolist() == ["ปิดไว้"]
    assert _button(at, "ลบออกจากรายชื่อ").disabled  # never pre-ticked
    next(c for c in at.checkbox if c.label.startswith("ยืนยันการลบ")).check().run()
    _button(at, "ลบออกจากรายชื่อ").click().run()
    assert not at.exception
    assert [_read(t.value) for t in at.toast] == ["ลบ deputy@example.go.th ออกจากรายชื่อผู้รับแล้ว"]
    assert any("ยังไม่มีผู้รับ" in c.value for c in at.caption)
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM digest_recipient")).scalar_one() == 0
        actions = conn.execute(
            sa.text("SELECT action FROM audit_log WHERE entity = 'digest_recipient' AND field IN ('email', '*') ORDER BY id")
        ).scalars()
        assert list(actions) == ["create", "delete"]
    engine.dispose()


def test_the_digest_button_sends_the_pack_through_a_mail_server(app_env, monkeypatch):
    import email
    import socket
    from email.policy import default as default_policy

    from aiosmtpd.controller import Controller
    from streamlit.testing.v1 import AppTest

    class Inbox:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(port))
        at = _open(AppTest.from_file(APP_FILE, default_timeout=60).run())
        assert not any("SMTP_HOST" in i.value for i in at.info)
        next(i for i in at.text_input if i.label == "ชื่อ ตำแหน่ง").input("ประธานคณะทำงาน")
        next(i for i in at.text_input if i.label == "อีเมล").input("chair@example.go.th")
        _button(at, "เพิ่มผู้รับ").click().run()
        _button(at, "ส่งสรุปผลรอบนี้ทันที").click().run()
        assert not at.exception and not at.error
        assert [s.value for s in at.success][-1] == (
            "ส่งสรุปผลปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือนทางอีเมลถึงผู้รับ 1 รายแล้ว พร้อมแนบเอกสารประกอบการประชุม (PDF)"
        )
        (message,) = inbox.messages
        assert next(message.iter_attachments()).get_content().startswith(b"%PDF")
        assert _digest_table(at, "ผู้ส่ง")["ผล"].tolist() == ["ส่งแล้ว"]
    finally:
        controller.stop()
