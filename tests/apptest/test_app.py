"""The app as each role sees it, through Streamlit's AppTest (no browser)."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.db import make_engine
from core.i18n import translate
from tests.apptest.conftest import APP_FILE, APP_TIMEOUT, login, shown, titles

DEMO_MARKER = "ข้อมูลสาธิต"
REFUSED = translate("login.refused", "th")
USERS_PAGE = str(Path(APP_FILE).parent / "pages" / "users.py")
ACCOUNT_PAGE = str(Path(APP_FILE).parent / "pages" / "account.py")


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success)
    ]
    return "\n".join(shown(str(p)) for p in parts)


def test_login_page_shows_demo_marker_and_accounts(app):
    assert not app.exception
    assert DEMO_MARKER in app.warning[0].value
    assert titles(app)[0] == "ระบบติดตามผลการดำเนินงานตามแผนปฏิรูปองค์การ"
    accounts = app.dataframe[0].value
    assert "focal_bie" in set(accounts.iloc[:, 0]) and "admin" in set(accounts.iloc[:, 0])


def test_wrong_password_shows_plain_thai_error(app):
    at = login(app, "chair", "not-the-password")
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]


def test_a_locked_account_and_an_unknown_name_are_refused_with_the_same_words(app):
    at = app
    for _ in range(5):
        at = login(at, "chair", "not-the-password")
    locked = [e.value for e in at.error]
    at = login(at, "nobody_here", "not-the-password")
    assert locked == [e.value for e in at.error] == [REFUSED]


@pytest.mark.parametrize(
    ("username", "expected_text"),
    [
        ("admin", "ผู้ใช้งานทั้งหมด 12 บัญชี"),
        ("secretariat", "รอตรวจสอบ 2 รายการ"),
        ("chair", "หน่วยงานส่งรายงานครบ 2 จาก 7 หน่วยงาน"),
        ("executive", "หน่วยงานส่งรายงานครบ 2 จาก 7 หน่วยงาน"),
        ("viewer", "ท่านดูข้อมูลได้อย่างเดียว"),
        ("focal_bps", "ประเด็นย่อย 2.4 ถูกส่งกลับให้แก้ไข"),
    ],
)
def test_each_role_lands_on_its_home(app, username, expected_text):
    at = login(app, username)
    assert not at.exception
    assert titles(at)[0] == "หน้าหลัก"
    text = _texts(at)
    assert "ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน" in text
    assert expected_text in text
    assert DEMO_MARKER in text


@pytest.mark.parametrize(
    ("username", "reachable"), [("admin", True), ("secretariat", True), ("chair", False), ("focal_bie", False), ("viewer", False)]
)
def test_users_page_only_for_user_managers(app, username, reachable):
    at = login(app, username)
    if reachable:
        at.switch_page(USERS_PAGE).run()
        assert not at.exception
        assert titles(at)[0] == "ผู้ใช้งาน"
    else:  # the page was never handed to st.navigation: there is nothing to switch to
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(USERS_PAGE)
        assert titles(at)[0] == "หน้าหลัก"


def test_language_switch_to_english_persists_across_pages(app):
    at = login(app, "chair")
    at.sidebar.button_group[0].set_value("en").run()
    assert titles(at)[0] == "Home"
    assert "FY2564 (BE), 12-month round" in _texts(at)
    at.switch_page(ACCOUNT_PAGE).run()
    assert titles(at)[0] == "My account"


def test_logout_returns_to_login(app):
    at = login(app, "viewer")
    at.sidebar.button(key="logout_button").click().run()
    assert titles(at)[0] == "ระบบติดตามผลการดำเนินงานตามแผนปฏิรูปองค์การ"
    assert len(at.text_input) == 2


def test_unsafe_configuration_refuses_to_start(app_env, monkeypatch):
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("COOKIE_KEY", "too-short")
    at = AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run()
    assert not at.exception
    assert "ระบบไม่เริ่มทำงานเพราะการตั้งค่าไม่ปลอดภัย" in at.error[0].value
    assert len(at.text_input) == 0  # no login form


def test_admin_unlocks_a_locked_account_from_the_users_page(app):
    at = login(app, "viewer", "wrong-password")
    for _ in range(4):
        at = login(at, "viewer", "wrong-password")
    assert [e.value for e in at.error] == [REFUSED]  # locked, refused like any wrong password
    at = login(at, "viewer")
    assert [e.value for e in at.error] == [REFUSED]  # the right password cannot open a locked account
    at = login(at, "admin")
    at.switch_page(USERS_PAGE).run()
    assert at.selectbox(key="unlock_who").value == "viewer"
    at.button(key="unlock").click().run()
    assert not at.exception
    assert at.toast[0].value == "ปลดล็อกบัญชีแล้ว"
    assert "viewer" not in [s.value for s in at.selectbox if s.key == "unlock_who"]


def test_a_focal_points_home_names_their_agency_and_counts_its_items_first(app):
    at = login(app, "focal_onie")
    assert not at.exception
    assert any(shown(m.value).startswith("ท่านรายงานในนามของ **สำนักงาน กศน.**") for m in at.markdown)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["รายงานแล้ว"] == "5 จาก 5"  # ONIE's own five items, not the plan's 25/27
    assert metrics["ส่งแล้ว/อนุมัติ"] == "4 จาก 5"
    labels = [m.label for m in at.metric]
    assert labels.index("รายงานแล้ว") < labels.index("รายการที่รายงานแล้ว")  # own counts first


def test_after_the_round_closes_a_focal_point_is_not_asked_to_report(app, app_env):
    at = login(app, "focal_bla")
    assert [w.value for w in at.warning if "ต้องรายงานหรือแก้ไข" in w.value] == ["ยังมี 2 รายการที่ต้องรายงานหรือแก้ไขในรอบนี้"]
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE reporting_round SET state = 'closed' WHERE state = 'open'"))
        conn.execute(sa.text("UPDATE data_version SET version = version + 1"))
    engine.dispose()
    at.run()
    assert not [w.value for w in at.warning if "ต้องรายงานหรือแก้ไข" in w.value]
    assert any(i.value.startswith("รอบนี้ปิดแล้ว ไม่ต้องรายงานเพิ่ม (2 รายการ") for i in at.info)


def test_the_latest_meeting_card_says_when_it_is_from_an_earlier_year(app):
    at = login(app, "chair")  # the demo's latest meeting is 3/2563 (FY2563); its round is in FY2564
    assert any(w.value == "การประชุมนี้อยู่ในปีงบประมาณ พ.ศ. 2563 ยังไม่มีการประชุมที่บันทึกไว้ในปีงบประมาณ พ.ศ. 2564" for w in at.warning)


def _switch_language(at: AppTest, code: str) -> AppTest:
    at.button_group(key="lang_switch").set_value(code)
    return at.run()


def test_the_language_chosen_is_kept_for_the_next_login(app_env):
    first = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "chair")
    assert titles(first)[0] == "หน้าหลัก"
    first = _switch_language(first, "en")
    assert not first.exception and titles(first)[0] == "Home"
    again = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "chair")  # a new browser session
    assert titles(again)[0] == "Home"
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT language FROM app_user WHERE username = 'chair'")).scalar_one() == "en"
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE entity = 'app_user' AND field = 'language' AND new_value = 'en'")
            ).scalar_one()
            == 1
        )
    engine.dispose()
    other = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "executive")
    assert titles(other)[0] == "หน้าหลัก"  # each person's own choice


def test_a_language_picked_on_the_login_page_becomes_the_accounts(app_env):
    at = _switch_language(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "en")
    at = login(at, "viewer")
    assert titles(at)[0] == "Home"
    again = login(AppTest.from_file(APP_FILE, default_timeout=APP_TIMEOUT).run(), "viewer")
    assert titles(again)[0] == "Home"
