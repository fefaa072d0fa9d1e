"""Sessions in a real browser: the login cookie is the server's (HttpOnly), a logout ends it in the
browser and on the server, a copy of it logs nobody in, anonymous clients reach no media, uploads
or metrics, and a lockout holds across a restart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.db import make_engine, read_session
from core.i18n import translate
from models import LoginSession
from services import users
from tests import figures
from tests.e2e.helpers import download, fail_logins, go, login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser
COOKIE = "reform_dashboard_auth"


def _cookie(page: Page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE), None)


def _wait_until_gone(page: Page, timeout_ms: int = 10_000) -> bool:
    for _ in range(timeout_ms // 100):
        if _cookie(page) is None:
            return True
        page.wait_for_timeout(100)
    return False


def _sessions(server) -> list[LoginSession]:
    with read_session(make_engine(f"sqlite:///{server.db_path}")) as s:
        return list(s.exec(LoginSession.__table__.select()).all())


def test_logout_ends_the_session_in_the_browser_and_on_the_server(browser, server, request):
    checks = 0
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login(page, server.url, "viewer")
    wait_for_login_cookie(page)
    cookie = _cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"  # no script can read it
    assert page.evaluate("document.cookie").find(COOKIE) == -1
    checks += 2
    page.reload()
    settle(page)
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()  # a reload keeps the login
    checks += 1

    # a second tab of the same browser is logged in by the cookie, and logged out with the first
    other_tab = context.new_page()
    other_tab.goto(server.url)
    expect(other_tab.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()
    checks += 1

    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    assert _wait_until_gone(page), "the login cookie was still in the browser 10 s after logout"
    assert [s.revoked_reason for s in _sessions(server)] == ["logout"]
    checks += 2
    page.reload()
    settle(page)
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_have_count(0)
    checks += 1
    go_home = other_tab.locator('[data-testid="stSidebarNav"] a').first
    if go_home.count():
        go_home.click()
    expect(other_tab.get_by_label("ชื่อผู้ใช้")).to_be_visible()  # its next click finds the session over
    checks += 1

    # the cookie copied before the logout, into a fresh browser, opens nothing
    thief = browser.new_context(viewport={"width": 1366, "height": 900})
    thief.add_cookies([cookie])
    stolen = thief.new_page()
    stolen.goto(server.url + "/heatmap")
    settle(stolen)
    stolen.wait_for_timeout(500)
    expect(stolen.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    expect(stolen.get_by_role("heading", name="หน้าหลัก", exact=True)).to_have_count(0)
    checks += 1
    thief.close()
    context.close()
    figures.record(request, session_checks=checks, session_checks_passed=checks)


def test_a_cookie_copied_into_another_browser_works_only_until_logout(browser, server, request):
    first = browser.new_context(viewport={"width": 1366, "height": 900})
    page = first.new_page()
    login(page, server.url, "chair")
    wait_for_login_cookie(page)
    copy = browser.new_context(viewport={"width": 1366, "height": 900})
    copy.add_cookies([_cookie(page)])
    twin = copy.new_page()
    twin.goto(server.url)
    expect(twin.get_by_role("heading", name="หน้าหลัก", exact=True)).to_be_visible()  # the same session
    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    twin.reload()
    settle(twin)
    expect(twin.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    first.close()
    copy.close()
    figures.record(request, session_checks=2, session_checks_passed=2)


def test_anonymous_clients_reach_no_media_uploads_or_metrics(browser, server, request, tmp_path):
    attempts = refused = 0
    anonymous = browser.new_context()
    for path, expected in [
        ("/_stcore/metrics", 403),
        ("/media/0123456789abcdef.csv", 403),
        ("/_stcore/agent/openapi.json", 404),
        ("/auth/login", 404),
    ]:
        response = anonymous.request.get(server.url + path)
        assert response.status == expected, (path, response.status)
        attempts, refused = attempts + 1, refused + 1
    upload = anonymous.request.put(server.url + "/_stcore/upload_file/x/y", multipart={"file": "x"})
    assert upload.status == 403
    attempts, refused = attempts + 1, refused + 1
    assert anonymous.request.get(server.url + "/_stcore/health").status == 200  # what the login page needs

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    login(page, server.url, "chair")
    wait_for_login_cookie(page)
    go(page, translate("nav.heatmap", "th"), translate("heatmap.title", "th"))
    media_url = download(page, translate("heatmap.download_csv", "th")).url
    assert "/media/" in media_url
    assert context.request.get(media_url).status == 200  # the logged-in browser gets its file
    assert anonymous.request.get(media_url).status == 403  # its address alone gets nothing
    assert context.request.get(server.url + "/_stcore/metrics").status == 403  # metrics: admins only
    attempts, refused = attempts + 2, refused + 2
    page.get_by_role("button", name="ออกจากระบบ").click()
    expect(page.get_by_label("ชื่อผู้ใช้")).to_be_visible()
    _wait_until_gone(page)
    assert context.request.get(media_url).status == 403
    attempts, refused = attempts + 1, refused + 1
    anonymous.close()
    context.close()
    figures.record(request, access_attempts=attempts, access_refused=refused)


def test_a_lockout_holds_across_a_restart(browser, start_server, request):
    refused = translate("login.refused", "th")
    server = start_server()
    page = browser.new_page()
    page.goto(server.url)
    fail_logins(page, "executive", 5)
    server.restart()
    page.goto(server.url)
    settle(page)
    page.get_by_label("ชื่อผู้ใช้").fill("executive")
    page.get_by_label("รหัสผ่าน").fill("demo2563")
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    settle(page)
    expect(page.get_by_text(refused)).to_be_visible()
    expect(page.get_by_role("heading", name="หน้าหลัก", exact=True)).to_have_count(0)
    with read_session(make_engine(f"sqlite:///{server.db_path}")) as s:
        assert users.is_locked(users.get_by_username(session=s, username="executive"))
    page.close()
    figures.record(request, session_checks=1, session_checks_passed=1)
