"""Helpers for browser tests: log in through the real form, wait for Streamlit to settle."""

from playwright.sync_api import Page, expect


def settle(page: Page) -> None:
    """Wait until no script run is in progress (the 'running' indicator is gone)."""
    page.wait_for_timeout(250)
    expect(page.get_by_test_id("stStatusWidgetRunningIcon")).to_have_count(0, timeout=15_000)


def login(page: Page, url: str, username: str, password: str = "demo2563", *, lands_on: str = "หน้าหลัก") -> None:
    """Log in through the form. A new session reruns once or twice on its own at start (the
    cookie component reports back); typing is done once those runs have finished, and a submit
    swallowed by one of them is repeated, as a person would. `lands_on`: the heading of the page
    the login should open (home, or the page `url` links to)."""
    page.goto(url)
    home = page.get_by_role("heading", name=lands_on, exact=True)
    for _ in range(3):
        settle(page)
        if home.count():  # a slow submit went through after all
            break
        page.get_by_label("ชื่อผู้ใช้").fill(username)
        page.get_by_label("รหัสผ่าน").fill(password)
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
        try:
            expect(home).to_be_visible(timeout=8000)
            break
        except AssertionError:
            continue
    expect(home).to_be_visible()
    settle(page)


def fail_logins(page: Page, username: str, times: int) -> None:
    """Type a wrong password `times` times; each refusal shows the one refusal text."""
    from core.i18n import translate

    for attempt in range(times):
        settle(page)
        page.get_by_label("ชื่อผู้ใช้").fill(username)
        page.get_by_label("รหัสผ่าน").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="เข้าสู่ระบบ").click()
        settle(page)
        expect(page.get_by_text(translate("login.refused", "th"))).to_be_visible()


def wait_for_login_cookie(page: Page, name: str = "reform_dashboard_auth") -> None:
    """The re-login cookie is written by a browser-side component just after login."""
    for _ in range(50):
        if any(c["name"] == name for c in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the re-login cookie was never written")


def go(page: Page, name: str, heading_name: str | None = None) -> None:
    """Open a page from the sidebar. The login cookie component reruns the current page once
    just after login; a click landing in that instant is replayed, as a user would click again."""
    heading = page.get_by_role("heading", name=heading_name or name, exact=True)
    for _ in range(3):
        page.locator('[data-testid="stSidebarNav"] a', has_text=name).click()
        try:
            expect(heading).to_be_visible(timeout=4000)
            return
        except AssertionError:
            continue
    expect(heading).to_be_visible()


def download(page: Page, button: str, *, timeout: float = 120_000):  # a Playwright Download
    """Click a download button once the page is idle and return the download. A button whose
    file is built on click (a deferred download) is replaced by every rerun; a click that lands
    on the old one starts nothing, so it is clicked again on the new one, as a person would. While
    a file is being built the button is disabled (a spinner): on a loaded machine that can take
    a while, so each click waits for the button to be enabled again first."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        settle(page)
        target = page.get_by_role("button", name=button)
        expect(target).to_be_enabled(timeout=timeout / 2)
        try:
            with page.expect_download(timeout=timeout / 2) as started:
                target.click()
            return started.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
