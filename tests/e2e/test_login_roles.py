"""Log in through the real form as each role, in Chromium; check pages seen and unreachable."""

import pytest
from playwright.sync_api import Page, expect

from core.db import make_engine, read_session
from core.i18n import translate
from services import users
from tests.e2e.helpers import fail_logins, go, login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser

NAV = {"หน้าหลัก", "ผู้ใช้งาน", "บัญชีของฉัน"}


def nav_links(page: Page) -> set[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}  # after the icon


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        (
            "admin",
            {
                "หน้าหลัก",
                "ภาพรวมสำหรับประธาน",
                "แผนภาพความก้าวหน้า",
                "โหมดนำเสนอ",
                "การประชุม",
                "แผนและตัวชี้วัด",
                "ผู้ใช้งาน",
                "สำรองและกู้คืนข้อมูล",
                "บัญชีของฉัน",
            },
        ),
        (
            "secretariat",
            {
                "หน้าหลัก",
                "รายงานผลการดำเนินงาน",
                "ตรวจสอบรายงาน",
                "รอบการรายงาน",
                "ภาพรวมสำหรับประธาน",
                "แผนภาพความก้าวหน้า",
                "โหมดนำเสนอ",
                "การประชุม",
                "แผนและตัวชี้วัด",
                "ผู้ใช้งาน",
                "บัญชีของฉัน",
            },
        ),
        ("chair", {"หน้าหลัก", "ภาพรวมสำหรับประธาน", "แผนภาพความก้าวหน้า", "โหมดนำเสนอ", "การประชุม", "บัญชีของฉัน"}),
        ("executive", {"หน้าหลัก", "ภาพรวมสำหรับประธาน", "แผนภาพความก้าวหน้า", "โหมดนำเสนอ", "การประชุม", "บัญชีของฉัน"}),
        ("viewer", {"หน้าหลัก", "ภาพรวมสำหรับประธาน", "แผนภาพความก้าวหน้า", "โหมดนำเสนอ", "การประชุม", "บัญชีของฉัน"}),
        ("focal_ict", {"หน้าหลัก", "รายงานผลการดำเนินงาน", "บัญชีของฉัน"}),
    ],
)
def test_each_role_sees_its_pages_and_cannot_open_others(page: Page, server, username, pages):
    login(page, server.url, username)
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()
    expect(page.get_by_text("ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน").first).to_be_visible()
    expect(page.get_by_text("ข้อมูลสาธิต").first).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible()
    assert nav_links(page) == pages
    # Typing the address of a page the role was not given shows no trace of it.
    wait_for_login_cookie(page)
    page.goto(f"{server.url}/users")
    page.wait_for_load_state("networkidle")
    if "ผู้ใช้งาน" in pages:
        expect(page.get_by_role("heading", name="ผู้ใช้งาน", exact=True)).to_be_visible()
        expect(page.get_by_text("focal_bla").first).to_be_attached()  # a grid cell (canvas-drawn)
    else:
        expect(
            page.get_by_role("heading", name="หน้าหลัก", exact=True).or_(page.get_by_role("heading", name="เข้าสู่ระบบ"))
        ).to_be_visible()
        expect(page.get_by_role("heading", name="ผู้ใช้งาน", exact=True)).to_have_count(0)
        expect(page.get_by_text("focal_bla")).to_have_count(0)


def test_first_request_of_a_fresh_server_to_a_page_url_shows_only_login(page: Page, start_server):
    server = start_server()  # nothing has run on this process yet
    page.goto(f"{server.url}/users")
    # a fresh process's first run imports the app and checks the schema: slow on a busy CI machine
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="ผู้ใช้งาน", exact=True)).to_have_count(0)
    # nothing of the users page (its accounts table is a canvas; the login page's demo-accounts
    # table lists focal_bla too, so the account names are no sign): its sections are not there
    for section in ("users.unlock", "users.deactivate", "users.create"):
        expect(page.get_by_text(translate(section, "th"), exact=True)).to_have_count(0)


def test_language_switch_to_english_and_back(page: Page, server):
    login(page, server.url, "chair")
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()
    page.get_by_role("radio", name="English").click()
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_text("FY2564 (BE), 12-month round")).to_be_visible()
    settle(page)
    go(page, "My account")
    settle(page)
    page.get_by_role("radio", name="ไทย").click()
    expect(page.get_by_role("heading", name="บัญชีของฉัน", exact=True)).to_be_visible()


def test_five_wrong_passwords_lock_the_account(page: Page, server):
    refused = translate("login.refused", "th")
    page.goto(server.url)
    settle(page)
    fail_logins(page, "viewer", 5)  # the same words, locked or not
    settle(page)
    page.get_by_label("ชื่อผู้ใช้").fill("viewer")
    page.get_by_label("รหัสผ่าน").fill("demo2563")
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    settle(page)
    expect(page.get_by_text(refused)).to_be_visible()
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_have_count(0)
    with read_session(make_engine(f"sqlite:///{server.db_path}")) as s:
        assert users.is_locked(users.get_by_username(session=s, username="viewer"))


def test_logout_then_back_to_login(page: Page, server):
    login(page, server.url, "executive")
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()
    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
