"""Accounts through AppTest: the edit form (saved with a toast that says what changed; a stale
edit refused in Thai and reloaded), a temporary password behind a confirmation, the account's
history with display names, and the forced change of a temporary password at the next login."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from core.db import make_engine, read_session, write_session
from services import users
from tests.apptest.conftest import APP_FILE, APP_TIMEOUT, login, shown, titles

PAGES = Path(APP_FILE).parent / "pages"
USERS_PAGE = str(PAGES / "users.py")
ACCOUNT_PAGE = str(PAGES / "account.py")
SECRETARIAT = "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"


def _engine(db_path):
    return make_engine(f"sqlite:///{db_path}")


def _user(db_path, username):
    engine = _engine(db_path)
    with read_session(engine) as s:
        user = users.get_by_username(session=s, username=username)
    engine.dispose()
    return user


def _as(db_path, who, action, **kwargs):
    """A users.* call as `who`, straight through the service (another admin, elsewhere)."""
    engine = _engine(db_path)
    with read_session(engine) as s:
        actor = users.actor_for(users.get_by_username(session=s, username=who))
    with write_session(engine, actor) as s:
        result = action(session=s, actor=actor, **kwargs)
    engine.dispose()
    return result


def _users_page(app, who="viewer"):
    at = login(app, "admin")
    at.switch_page(USERS_PAGE).run()
    assert not at.exception, at.exception
    at.selectbox(key="edit_who").set_value(who).run()
    return at


def _edit_input(at, label):
    return next(i for i in at.text_input if i.label == label and i.form_id.startswith("edit_"))


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_an_admin_edits_an_account_and_the_toast_says_what_changed(app, app_env):
    at = _users_page(app)
    assert _edit_input(at, "ชื่อที่แสดง").value == "ผู้ติดตามผล"  # prefilled
    _edit_input(at, "ชื่อที่แสดง").input("นางสาวสมใจ ใจดี")
    _edit_input(at, "อีเมล").input("somjai@moe.go.th")
    next(s for s in at.selectbox if s.label == "บทบาท" and s.form_id.startswith("edit_")).set_value("executive")
    _button(at, "บันทึกการแก้ไข").click().run()
    assert not at.exception and not at.error
    assert [shown(t.value).replace("\u2060", "") for t in at.toast] == [  # (a word joiner keeps the address from linking)
        "บันทึกบัญชี viewer แล้ว: ชื่อที่แสดง: ผู้ติดตามผล → นางสาวสมใจ ใจดี, อีเมล: — → somjai@moe.go.th, บทบาท: ผู้ติดตามผล → ผู้บริหาร"
    ]
    user = _user(app_env, "viewer")
    assert (user.display_name, user.email, user.role) == ("นางสาวสมใจ ใจดี", "somjai@moe.go.th", "executive")
    assert _edit_input(at, "ชื่อที่แสดง").value == "นางสาวสมใจ ใจดี"  # the form shows what was stored
    history = at.dataframe[1].value
    assert set(history["ผู้แก้ไข"][:3]) == {"ผู้ดูแลระบบ"}  # the admin's display name, not "admin"
    be_year = str(datetime.now(ZoneInfo("Asia/Bangkok")).year + 543)[-2:]
    assert re.fullmatch(rf"\d{{1,2}} \S+ {be_year} \d{{2}}\.\d{{2}} น\.", history["เมื่อ"][0])  # a Buddhist-Era date
    assert list(history["ช่อง"][:3]) == ["บทบาท", "อีเมล", "ชื่อที่แสดง"]


def test_a_focal_point_needs_an_agency_and_other_roles_none(app, app_env):
    at = _users_page(app, "focal_bps")
    next(s for s in at.selectbox if s.label == "บทบาท" and s.form_id.startswith("edit_")).set_value("viewer")
    _button(at, "บันทึกการแก้ไข").click().run()
    assert [e.value for e in at.error] == ["ระบุหน่วยงานได้เฉพาะบทบาทผู้ประสานงานหน่วยงาน กรุณาเลือก “— ไม่ระบุ —” ในช่องหน่วยงาน"]
    assert _user(app_env, "focal_bps").role == "focal_point"


def test_a_stale_edit_is_refused_in_thai_and_the_form_reloads(app, app_env):
    at = _users_page(app)
    _edit_input(at, "ชื่อที่แสดง").input("ชื่อจากผู้ดูแล")
    # meanwhile the secretariat saves the same account
    form = _as(app_env, "secretariat", users.account_form, username="viewer")
    _as(
        app_env,
        "secretariat",
        users.update_user,
        username="viewer",
        display_name="ชื่อจากฝ่ายเลขานุการ",
        email="",
        role="viewer",
        agency_id=None,
        expected_version=form.version,
    )
    _button(at, "บันทึกการแก้ไข").click().run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        f"ยังไม่ได้บันทึก เพราะ {SECRETARIAT} แก้ไขบัญชีนี้หลังจากที่ท่านเปิดแบบฟอร์ม ระบบโหลดข้อมูลล่าสุดให้แล้ว กรุณาตรวจสอบแล้วแก้ไขอีกครั้ง"
    ]
    assert not at.toast
    assert _user(app_env, "viewer").display_name == "ชื่อจากฝ่ายเลขานุการ"  # nothing overwritten
    assert _edit_input(at, "ชื่อที่แสดง").value == "ชื่อจากฝ่ายเลขานุการ"  # reloaded
    their = at.dataframe[1].value  # what they changed, beside the refusal
    assert list(their["ผู้แก้ไข"]) == [SECRETARIAT] and list(their["ค่าใหม่"]) == ["ชื่อจากฝ่ายเลขานุการ"]
    _edit_input(at, "ชื่อที่แสดง").input("ชื่อจากผู้ดูแล")  # now the save goes through
    _button(at, "บันทึกการแก้ไข").click().run()
    assert not at.error and _user(app_env, "viewer").display_name == "ชื่อจากผู้ดูแล"


def test_a_temporary_password_needs_the_confirmation(app, app_env):
    at = _users_page(app, "focal_bie")
    temp = next(i for i in at.text_input if i.label == "รหัสผ่านชั่วคราว")
    temp.input("temporary-2568")
    assert _button(at, "ตั้งรหัสผ่านชั่วคราว").disabled  # never pre-ticked
    confirm = next(c for c in at.checkbox if c.label.startswith("ยืนยันการตั้งรหัสผ่านชั่วคราวให้"))
    assert confirm.value is False and _user(app_env, "focal_bie").display_name in shown(confirm.label)
    confirm.check().run()
    _button(at, "ตั้งรหัสผ่านชั่วคราว").click().run()
    assert not at.exception and not at.error
    assert [shown(t.value) for t in at.toast][0].startswith("ตั้งรหัสผ่านชั่วคราวให้ ผู้ประสานงาน")
    assert _user(app_env, "focal_bie").must_change_password
    assert next(i for i in at.text_input if i.label == "รหัสผ่านชั่วคราว").value == ""  # emptied after the save


def test_a_user_with_a_temporary_password_sees_only_the_change_form_until_it_is_changed(app, app_env):
    _as(app_env, "admin", users.set_temporary_password, username="focal_bie", temp_password="temporary-2568", bcrypt_rounds=4)
    at = login(app, "focal_bie", "temporary-2568")
    assert not at.exception
    assert titles(at)[0] == "ตั้งรหัสผ่านใหม่ก่อนเริ่มใช้งาน"
    assert "ผู้ดูแลระบบตั้งรหัสผ่านชั่วคราวให้บัญชีนี้" in at.warning[-1].value
    for page in ("home.py", "entry.py"):  # no other page is handed to the navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(str(PAGES / page))
    labels = [i.label for i in at.text_input]
    assert labels == ["รหัสผ่านชั่วคราว", "รหัสผ่านใหม่", "ยืนยันรหัสผ่านใหม่"]
    at.text_input[0].input("temporary-2568")
    at.text_input[1].input("temporary-2568")
    at.text_input[2].input("temporary-2568")
    _button(at, "บันทึกรหัสผ่าน").click().run()
    assert [e.value for e in at.error] == ["รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านชั่วคราว"]
    assert titles(at)[0] == "ตั้งรหัสผ่านใหม่ก่อนเริ่มใช้งาน"
    at.text_input[0].input("temporary-2568")
    at.text_input[1].input("my-own-2568")
    at.text_input[2].input("my-own-2568")
    _button(at, "บันทึกรหัสผ่าน").click().run()
    assert not at.exception and not at.error
    assert not _user(app_env, "focal_bie").must_change_password
    at.switch_page(str(PAGES / "home.py")).run()  # every page of the role is back
    assert titles(at)[0] == "หน้าหลัก"


def test_the_forced_change_holds_for_a_new_browser_session_too(app_env):
    _as(app_env, "admin", users.set_temporary_password, username="viewer", temp_password="temporary-2568", bcrypt_rounds=4)
    at = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "viewer", "temporary-2568")
    assert titles(at)[0] == "ตั้งรหัสผ่านใหม่ก่อนเริ่มใช้งาน"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(PAGES / "overview.py"))
