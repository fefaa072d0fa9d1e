"""The quarterly journey in Chromium: a focal point fills two items, saves, reloads, submits;
the secretariat returns one; the focal point answers and re-submits. Then the Excel round trip."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from services import excel_io
from tests.e2e.helpers import download, go, login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser


def expander(page: Page, title: str):
    """The expander whose own summary (not a nested one) contains `title`."""
    return page.locator(f'[data-testid="stExpander"]:has(> details > summary:has-text("{title}"))').first


def item(page: Page, code: str):
    return expander(page, f"{code} ")


def open_item(page: Page, code: str):
    box = item(page, code)
    if box.locator("> details").get_attribute("open") is None:
        box.locator("> details > summary").click()
    return box


def choose(box, label: str, option: str) -> None:
    box.get_by_label(label).click()
    box.page.get_by_role("option", name=option).click()


def test_focal_point_secretariat_round_trip(browser, server):
    focal = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
    focal.set_default_timeout(20_000)
    login(focal, server.url, "focal_bla")
    go(focal, "รายงานผลการดำเนินงาน")

    one = open_item(focal, "1.1")
    one.get_by_label("ความก้าวหน้า (ร้อยละ)").fill("100")
    one.get_by_label("ผลที่ทำได้ (ฉบับ)").fill("3")
    choose(one, "สถานะ", "ดำเนินการแล้วเสร็จ")
    one.get_by_label("ผลการดำเนินงาน").fill("แก้ไขระเบียบให้รองรับบริการอิเล็กทรอนิกส์ครบ 3 ฉบับ")
    one.get_by_label("ผลการดำเนินงาน").press("Tab")
    expect(one.get_by_text("มีการแก้ไขที่ยังไม่บันทึก")).to_be_visible()
    one.get_by_role("button", name="บันทึกฉบับร่าง").click()
    expect(focal.get_by_text("บันทึกแล้ว").first).to_be_visible()
    expect(item(focal, "1.1").locator("> details > summary")).to_contain_text("ฉบับร่าง")
    expect(item(focal, "1.1").get_by_text("มีการแก้ไขที่ยังไม่บันทึก")).to_have_count(0)

    three = open_item(focal, "1.3")
    three.get_by_label("การดำเนินงานขั้นต่อไป").fill("เสนอร่างระเบียบต่อคณะกรรมการในไตรมาสหน้า")
    three.get_by_label("การดำเนินงานขั้นต่อไป").press("Tab")
    expect(three.get_by_text("มีการแก้ไขที่ยังไม่บันทึก")).to_be_visible()
    three.get_by_role("button", name="บันทึกฉบับร่าง").click()
    expect(three.get_by_text("มีการแก้ไขที่ยังไม่บันทึก")).to_have_count(0)

    wait_for_login_cookie(focal)
    focal.reload()
    go(focal, "รายงานผลการดำเนินงาน")
    expect(open_item(focal, "1.1").get_by_label("ผลการดำเนินงาน")).to_have_value("แก้ไขระเบียบให้รองรับบริการอิเล็กทรอนิกส์ครบ 3 ฉบับ")
    expect(open_item(focal, "1.3").get_by_label("การดำเนินงานขั้นต่อไป")).to_have_value("เสนอร่างระเบียบต่อคณะกรรมการในไตรมาสหน้า")
    settle(focal)
    focal.get_by_role("button", name="ส่งรายงานของหน่วยงาน").click()
    try:
        expect(item(focal, "1.1").locator("> details > summary")).to_contain_text("ส่งแล้ว รอตรวจสอบ")
    finally:
        focal.screenshot(path="test-artifacts/entry-flow-submit.png")

    sec = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
    sec.set_default_timeout(20_000)
    login(sec, server.url, "secretariat")
    go(sec, "ตรวจสอบรายงาน")
    row = expander(sec, "สนก. · 1.1")
    try:
        row.locator("> details > summary").click()
    finally:
        sec.screenshot(path="test-artifacts/entry-flow-review.png")
    row.get_by_label("ข้อสังเกต (จำเป็นเมื่อส่งกลับ)").fill("ขอสำเนาระเบียบทั้ง 3 ฉบับ")
    row.get_by_label("ข้อสังเกต (จำเป็นเมื่อส่งกลับ)").press("Tab")
    settle(sec)
    row.get_by_role("button", name="ส่งกลับให้แก้ไข").click()
    expect(sec.get_by_text("ส่งกลับแล้ว").first).to_be_visible()

    focal.reload()
    go(focal, "รายงานผลการดำเนินงาน")
    one = open_item(focal, "1.1")
    expect(one.get_by_text("ฝ่ายเลขานุการส่งกลับให้แก้ไข: ขอสำเนาระเบียบทั้ง 3 ฉบับ")).to_be_visible()
    one.get_by_label("คำตอบถึงฝ่ายเลขานุการ").fill("แนบสำเนาระเบียบเป็นลิงก์แล้ว")
    one.get_by_label("คำตอบถึงฝ่ายเลขานุการ").press("Tab")
    settle(focal)
    one.get_by_role("button", name="ส่งคำตอบ").click()
    expect(focal.get_by_text("ส่งคำตอบแล้ว").first).to_be_visible()
    focal.get_by_role("button", name="ส่งรายงานของหน่วยงาน").click()
    expect(focal.get_by_text("ส่งรายงานเรียบร้อยแล้ว").first).to_be_visible()
    expect(item(focal, "1.1")).to_contain_text("ส่งแล้ว รอตรวจสอบ")

    # the secretariat sees the answer in the item's conversation
    sec.reload()
    go(sec, "ตรวจสอบรายงาน")
    row = expander(sec, "สนก. · 1.1")
    row.locator("> details > summary").click()
    expect(row.get_by_text(re.compile("ตอบข้อสังเกต: แนบสำเนาระเบียบเป็นลิงก์แล้ว"))).to_be_visible()
    for p in (focal, sec):
        p.screenshot(path=f"test-artifacts/entry-flow-{'focal' if p is focal else 'secretariat'}.png")
        p.context.close()


def test_excel_template_bad_row_refused_then_fixed_and_applied(page: Page, server, tmp_path):
    login(page, server.url, "focal_bla")
    go(page, "รายงานผลการดำเนินงาน")
    settle(page)
    page.get_by_role("tab", name="นำเข้า/ส่งออก Excel").click()
    template = tmp_path / "template.xlsx"
    download(page, "ดาวน์โหลดแบบฟอร์ม Excel").save_as(template)
    wb = load_workbook(template)
    ws = wb[excel_io.SHEET]
    rows = {ws.cell(row=r, column=excel_io.COL["sub_issue"]).value: r for r in range(2, ws.max_row + 1)}
    r11, r13 = rows["1.1"], rows["1.3"]
    ws.cell(row=r11, column=excel_io.COL["progress_pct"], value="ร้อยละ ๕๐")
    ws.cell(row=r11, column=excel_io.COL["status"], value="ล่าช้ากว่ากำหนด")
    ws.cell(row=r11, column=excel_io.COL["achievements"], value="ยกร่างระเบียบแล้ว 2 ฉบับ")
    ws.cell(row=r13, column=excel_io.COL["progress_pct"], value=150)  # the bad row
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(bad))
    expect(page.get_by_text(re.compile("พบ 1 ปัญหา ยังไม่ได้บันทึกข้อมูลใด ๆ"))).to_be_visible()
    problems = page.locator('[data-testid="stDataFrame"]').last
    expect(problems).to_contain_text(str(r13))
    expect(problems.get_by_text("ความก้าวหน้าต้องอยู่ระหว่าง 0 ถึง 100 (ได้รับ 150)")).to_be_attached()

    ws.cell(row=r13, column=excel_io.COL["progress_pct"], value="45%")
    ws.cell(row=r13, column=excel_io.COL["status"], value="ล่าช้ากว่ากำหนด")
    good = tmp_path / "good.xlsx"
    wb.save(good)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(good))
    expect(page.get_by_text(re.compile("ตรวจผ่าน: จะบันทึก 2 รายการ"))).to_be_visible()
    settle(page)
    page.get_by_role("button", name="ยืนยันนำเข้า").click()
    expect(page.get_by_text("นำเข้าแล้ว 2 รายการ").first).to_be_visible()
    page.get_by_role("tab", name="กรอกในหน้าจอ").click()
    expect(open_item(page, "1.1").get_by_label("ผลการดำเนินงาน")).to_have_value("ยกร่างระเบียบแล้ว 2 ฉบับ")
    expect(open_item(page, "1.3").get_by_label("ความก้าวหน้า (ร้อยละ)")).to_have_value("45.00")
