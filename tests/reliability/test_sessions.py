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


def _start_ticket(server, username: str = "viewer"):
    """A login session with its one-time ticket, made as a password login would make it."""
    from core.db import write_session
    from core.settings import DEMO_COOKIE_KEY
    from services import login_sessions
    from services.permissions import Actor

    engine = make_engine(f"sqlite:///{server.db_path}")
    with write_session(engine, Actor.system("login")) as s:
        user = users.get_by_username(session=s, username=username)
        return login_sessions.start(session=s, user_id=user.id, cookie_expiry_days=1, key=DEMO_COOKIE_KEY)


def test_the_session_routes_take_only_a_small_json_post_of_this_site(browser, server, request):
    """Found by review: another site could post a form (text/plain, no preflight) that plants its
    own login in the victim's browser or logs the victim out; a huge body was read whole."""
    started = _start_ticket(server)
    api = browser.new_context().request
    url, origin = server.url + "/_session/start", server.url
    body = f'{{"ticket":"{started.ticket}","x":"'
    attempts = [
        ({"Origin": "http://evil.invalid", "Content-Type": "text/plain"}, body + '="}', 403),  # the cross-site form
        ({"Origin": "http://evil.invalid", "Content-Type": "application/json"}, f'{{"ticket":"{started.ticket}"}}', 403),
        ({"Origin": origin, "Content-Type": "text/plain"}, f'{{"ticket":"{started.ticket}"}}', 403),
        ({"Origin": origin, "Content-Type": "application/json"}, '{"ticket":"' + "A" * 5000 + '"}', 413),
        ({"Origin": origin, "Content-Type": "application/json"}, '{"ticket":"not-a-ticket"}', 403),
    ]
    for headers, data, status in attempts:
        response = api.post(url, headers=headers, data=data)
        assert response.status == status, (headers, response.status)
        assert "set-cookie" not in {k.lower() for k in response.headers}
    ok = api.post(url, headers={"Origin": origin, "Content-Type": "application/json"}, data=f'{{"ticket":"{started.ticket}"}}')
    assert ok.status == 204 and "HttpOnly" in ok.headers["set-cookie"]  # the ticket was still good: nothing used it
    figures.record(
        request, access_attempts=len(attempts), access_refused=len(attempts), session_checks=1, session_checks_passed=1
    )


def test_a_logout_ends_only_its_own_session_and_cookie(browser, server, request):
    """Found by review: /_session/end revoked whatever cookie the browser held, so a tab that
    logged out could, on a later replay, end the session the browser had logged in with since."""
    from services import login_sessions

    api_context = browser.new_context()
    api, origin = api_context.request, server.url
    older, newer = _start_ticket(server, "viewer"), _start_ticket(server, "chair")
    headers = {"Origin": origin, "Content-Type": "application/json"}
    api.post(
        server.url + "/_session/start", headers=headers, data=f'{{"ticket":"{newer.ticket}"}}'
    )  # the browser's cookie: chair
    replay = api.post(server.url + "/_session/end", headers=headers, data=f'{{"session": {older.session_id}}}')
    assert replay.status == 204 and "set-cookie" not in {k.lower() for k in replay.headers}
    engine = make_engine(f"sqlite:///{server.db_path}")
    with read_session(engine) as s:
        assert login_sessions.active_user(session=s, session_id=newer.session_id).username == "chair"  # untouched
    own = api.post(server.url + "/_session/end", headers=headers, data=f'{{"session": {newer.session_id}}}')
    assert own.status == 204 and "Max-Age=0" in own.headers["set-cookie"]
    with read_session(engine) as s:
        assert login_sessions.active_user(session=s, session_id=newer.session_id) is None
    api_context.close()
    figures.record(request, session_checks=2, session_checks_passed=2)
