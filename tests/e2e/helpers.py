"""Helpers for browser tests: log in through the real form, wait for Streamlit to settle."""

from playwright.sync_api import Page, expect


def settle(page: Page) -> None:
    """Wait until no script run is in progress (the 'running' indicator is gone)."""
    page.wait_for_timeout(250)
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=15_000)


def login(page: Page, url: str, username: str, password: str = "demo2563") -> None:
    page.goto(url)
    page.get_by_label("ชื่อผู้ใช้").fill(username)
    page.get_by_label("รหัสผ่าน").fill(password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()
    settle(page)


def wait_for_login_cookie(page: Page, name: str = "reform_dashboard_auth") -> None:
    """The re-login cookie is written by a browser-side component just after login."""
    for _ in range(50):
        if any(c["name"] == name for c in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the re-login cookie was never written")
