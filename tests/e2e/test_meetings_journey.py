"""The meeting cycle in Chromium: the secretariat creates a meeting, drafts its agenda, records a
chair's directive and exports the minutes; the focal point answers the directive on the home
page; the next meeting's agenda carries the directive with that answer."""

import io
import re
from datetime import date

import pytest
from docx import Document as read_docx
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pypdf import PdfReader

from tests.e2e.helpers import download, go, login, settle

pytestmark = pytest.mark.browser
DIRECTIVE = "ให้สำนักนโยบายและยุทธศาสตร์จัดทำแผนเร่งรัดประเด็นที่ล่าช้าเสนอในการประชุมครั้งต่อไป"
ANSWER = "จัดทำแผนเร่งรัดและเสนอผู้บริหารแล้ว"


def expander(page: Page, title: str):
    return page.locator(f'[data-testid="stExpander"]:has(> details > summary:has-text("{title}"))').first


def pick(page: Page, scope, label: str, option: str) -> None:
    scope.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def pick_typed(page: Page, widget, option: str) -> None:
    """Open a select box, type to filter its list (a long list renders only what is in view), pick
    the option. On a loaded machine the list can close before the click (a rerun redraws the
    widget): it is opened again, as a person would."""
    for attempt in range(3):
        settle(page)
        widget.click()
        page.keyboard.type(option)
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.click(timeout=5000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def create_meeting(sec: Page, venue: str) -> None:
    go(sec, "การประชุม", "การประชุมคณะทำงาน")
    create = expander(sec, "สร้างการประชุมใหม่")
    if create.locator("> details").get_attribute("open") is None:
        create.locator("> details > summary").click()
    create.get_by_label("สถานที่ประชุม").fill(venue)
    create.get_by_label("ชื่อประธาน").fill("ประธานคณะทำงาน")
    settle(sec)
    create.get_by_role("button", name="สร้างการประชุม").click()
    expect(sec.get_by_text("สร้างการประชุมแล้ว").first).to_be_visible()
    settle(sec)


def draft(sec: Page) -> None:
    sec.get_by_role("tab", name="ระเบียบวาระและมติ").click()
    sec.get_by_role("button", name="ร่างระเบียบวาระจากข้อมูล").click()
    expect(sec.get_by_text("ร่างระเบียบวาระแล้ว").first).to_be_visible()
    settle(sec)
    sec.get_by_role("tab", name="ระเบียบวาระและมติ").click()


def test_secretariat_records_a_directive_the_focal_point_answers_the_next_agenda_carries_it(browser, server, tmp_path):
    sec = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="th-TH").new_page()
    sec.set_default_timeout(20_000)
    login(sec, server.url, "secretariat")
    create_meeting(sec, "ห้องประชุมสำนักงานปลัดกระทรวงศึกษาธิการ ชั้น 2")
    draft(sec)
    results = expander(sec, "ผลการดำเนินงานตามแผนปฏิรูปองค์การ")
    results.locator("> details > summary").click()
    expect(results.get_by_label("รายละเอียด")).to_have_value(re.compile("หน่วยงานในสังกัดจำนวน 7 หน่วยงาน"))
    sec.screenshot(path="test-artifacts/meetings-agenda.png", full_page=True)

    pop = results.locator('[data-testid="stForm"]').filter(has_text="บันทึกข้อสั่งการ").last
    for _ in range(3):  # the toggle reruns the page; a click landing in another rerun is repeated
        settle(sec)
        if pop.count():
            break
        results.get_by_text("บันทึกข้อสั่งการของประธาน").click()
        try:
            expect(pop.get_by_label("ข้อสั่งการ")).to_be_visible(timeout=8000)
        except AssertionError:
            continue
    settle(sec)
    pop.get_by_label("ข้อสั่งการ").fill(DIRECTIVE)
    pick_typed(sec, pop.locator('[data-testid="stMultiSelect"]'), "สนย.")
    sec.keyboard.press("Escape")
    selects = pop.locator('[data-testid="stSelectbox"]')
    year = str(date.today().year + 544)  # a year after this one, in the Buddhist Era
    for index, option in ((0, "31"), (1, "ธันวาคม"), (2, year)):
        pick_typed(sec, selects.nth(index), option)
    pop.get_by_role("button", name="บันทึกข้อสั่งการ").click()
    expect(sec.get_by_text("บันทึกข้อสั่งการแล้ว").first).to_be_visible()
    settle(sec)

    sec.get_by_role("tab", name="เอกสารและการรับรอง").click()
    minutes_docx = download(sec, "รายงานการประชุม (Word)")
    text = "\n".join(p.text for p in read_docx(io.BytesIO(minutes_docx.path().read_bytes())).paragraphs)
    assert DIRECTIVE in text and "ห้องประชุมสำนักงานปลัดกระทรวงศึกษาธิการ ชั้น 2" in text
    minutes_pdf = download(sec, "รายงานการประชุม (PDF)")
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(minutes_pdf.path().read_bytes())).pages)
    assert "รายงานการประชุม" in pdf_text

    focal = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="th-TH").new_page()
    focal.set_default_timeout(20_000)
    login(focal, server.url, "focal_bps")
    card = focal.locator('[class*="st-key-home_directive_"]', has_text=DIRECTIVE)
    expect(card).to_be_visible()
    card.get_by_label("ผลการดำเนินงานตามข้อสั่งการ").fill(ANSWER)
    settle(focal)
    card.get_by_role("button", name="ส่งผลการดำเนินงาน").click()
    expect(focal.get_by_text("ส่งผลการดำเนินงานตามข้อสั่งการแล้ว").first).to_be_visible()
    focal.screenshot(path="test-artifacts/meetings-focal-home.png", full_page=True)

    create_meeting(sec, "ห้องประชุมสำนักงานปลัดกระทรวงศึกษาธิการ ชั้น 3")
    draft(sec)
    carried = expander(sec, "ข้อสั่งการของประธานจากการประชุม")
    carried.first.locator("> details > summary").click()
    body = sec.locator('[data-testid="stExpander"]', has_text="ข้อสั่งการของประธานจากการประชุม").get_by_label("รายละเอียด")
    expect(body.first).to_be_attached()
    values = [body.nth(i).input_value() for i in range(body.count())]
    assert any(DIRECTIVE in v and "สนย. รายงานผลการดำเนินงาน" in v and ANSWER in v for v in values), values
    sec.screenshot(path="test-artifacts/meetings-next-agenda.png", full_page=True)
    for p in (sec, focal):
        p.context.close()
