"""The chair's journey in Chromium: log in, pick a round, open the attention list, follow an item
to its heatmap cell, go back, step through presentation mode with the keyboard, download the pack."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser import ARTIFACTS
from tests.e2e.helpers import download, go, login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser


def choose_round(page: Page, label: str) -> None:
    box = page.get_by_role("combobox", name="รอบการรายงาน")
    box.click()
    page.get_by_role("option", name=label).click()
    settle(page)
    expect(box).to_have_value(label)


def go_link(page: Page, link: str, heading: str) -> None:
    """Follow a link; a click swallowed by a run that was just starting is repeated."""
    target = page.get_by_role("heading", name=heading, exact=True)
    for _ in range(3):
        page.get_by_role("link", name=link).click()
        try:
            expect(target).to_be_visible(timeout=5000)
            break
        except AssertionError:
            continue
    expect(target).to_be_visible()
    settle(page)


def test_chair_reviews_a_round_follows_an_item_presents_and_takes_the_pack(page: Page, server, tmp_path):
    login(page, server.url, "chair")
    go(page, "ภาพรวมสำหรับประธาน")
    settle(page)

    # pick the 9-month round of 2563 and back to the current one
    choose_round(page, "ปีงบประมาณ พ.ศ. 2563 รอบ 9 เดือน")
    assert "fy=2563" in page.url and "m=9" in page.url
    expect(page.get_by_role("tab", name="ล่าช้ากว่ากำหนด (2)")).to_be_visible()
    choose_round(page, "ปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือน")
    assert "fy=2564" in page.url and "m=12" in page.url

    # the attention list: returned items, then follow one to its heatmap cell
    page.get_by_role("tab", name="ส่งกลับแก้ไข (1)").click()
    page.get_by_role("link", name="สนย. · 2.4").click()
    settle(page)
    expect(page.get_by_role("heading", name="แผนภาพความก้าวหน้ารายหน่วยงาน")).to_be_visible()
    panel = page.locator(".st-key-heatmap_detail")
    expect(panel.get_by_role("heading", name="สนย. · 2.4")).to_be_visible()
    expect(panel).to_contain_text("ขอให้ระบุค่าเป้าหมายที่ทำได้จริง")

    # presentation mode from the overview, stepped with the keyboard
    go(page, "ภาพรวมสำหรับประธาน")
    settle(page)
    page.get_by_role("link", name="เข้าสู่โหมดนำเสนอ").click()
    settle(page)
    expect(page.get_by_role("heading", name="ภาพรวมความก้าวหน้า")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.get_by_text("ข้อมูลสาธิต").first).to_be_visible()  # the demo marker stays on screen
    page.keyboard.press("ArrowRight")
    settle(page)
    expect(page.get_by_role("heading", name="ประเด็นหลักที่ 1", exact=True)).to_be_visible()
    assert "view=main-1" in page.url
    page.keyboard.press("ArrowLeft")
    settle(page)
    expect(page.get_by_role("heading", name="ภาพรวมความก้าวหน้า")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "presentation-summary.png"))

    # a view pasted as a URL opens directly
    wait_for_login_cookie(page)
    page.goto(f"{server.url}/present?fy=2564&m=12&view=agency-BPS")
    settle(page)
    page.wait_for_timeout(1000)  # a fresh page logs in again from the cookie, with one more run
    settle(page)
    expect(page.get_by_role("heading", name="สนย.", exact=True)).to_be_visible()

    # the committee pack
    go_link(page, "ออกจากโหมดนำเสนอ", "ภาพรวมสำหรับประธาน")
    reader = PdfReader(Path(download(page, "เอกสารประกอบการประชุม (PDF)").path()))
    assert len(reader.pages) >= 2
    assert "ความก้าวหน้า" in reader.pages[0].extract_text()
    xlsx = Path(download(page, "ข้อมูลรอบนี้ (Excel)").path())
    assert len(load_workbook(io.BytesIO(xlsx.read_bytes())).sheetnames) >= 4
