"""Every upload control speaks Thai and states one limit; a file over it is refused in Thai, in
plain sight (Streamlit's own drop zone says "Upload", "25MB per file" and refuses with an English
tooltip)."""

import re

import pytest
from playwright.sync_api import Page, expect

from core.i18n import translate
from tests.e2e.helpers import go, login, settle

pytestmark = pytest.mark.browser


def _after(locator) -> str:
    """The text a ::after rule draws (what a person reads where Streamlit's English was)."""
    return locator.evaluate("e => getComputedStyle(e, '::after').content").strip('"')


def _visible_text(locator) -> str:
    """Text of the element whose font size is not 0 (English hidden behind a Thai ::after is not read)."""
    return locator.evaluate(
        """e => Array.from(e.querySelectorAll('*')).filter(n => n.childNodes.length && [...n.childNodes].some(
            c => c.nodeType === 3 && c.textContent.trim()) && parseFloat(getComputedStyle(n).fontSize) > 0
            && n.getClientRects().length).map(n => [...n.childNodes].filter(c => c.nodeType === 3)
            .map(c => c.textContent).join('')).join(' | ')"""
    )


def test_evidence_and_excel_uploaders_state_one_thai_limit_and_refuse_in_thai(page: Page, server, tmp_path):
    login(page, server.url, "focal_bps")  # item 2.4 is returned: its evidence panel is editable
    go(page, "รายงานผลการดำเนินงาน")
    settle(page)
    evidence = page.locator('[data-testid="stFileUploader"]').first
    kinds = translate("upload.kinds.evidence", "th")
    instructions = evidence.locator('[data-testid="stFileUploaderDropzoneInstructions"] span').first
    assert _after(instructions) == translate("upload.limit", "th", mb=20, kinds=kinds)
    button = evidence.locator('[data-testid="stFileUploaderDropzone"] button p').first
    assert _after(button) == "เลือกไฟล์"
    shown = _visible_text(evidence)
    assert "25MB" not in shown and "Upload" not in shown and "Browse" not in shown, shown

    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(big))
    alert = evidence.locator('[data-testid="stFileChip"][aria-invalid="true"] span[role="alert"]')
    expect(alert).to_have_count(1)
    assert _after(alert) == translate("upload.refused", "th", mb=20, kinds=kinds)
    assert alert.bounding_box()["width"] > 100  # drawn in the chip, not only on hover

    page.get_by_role("tab", name="นำเข้า/ส่งออก Excel").click()
    excel = page.locator('[data-testid="stFileUploader"]').last
    xlsx_limit = translate("upload.limit", "th", mb=2, kinds=translate("upload.kinds.xlsx", "th"))
    assert _after(excel.locator('[data-testid="stFileUploaderDropzoneInstructions"] span').first) == xlsx_limit
    page.screenshot(path="test-artifacts/uploads-thai.png", full_page=True)


def test_a_file_that_is_not_a_template_is_one_message_of_the_file_not_a_row(page: Page, server, tmp_path):
    login(page, server.url, "focal_bla")
    go(page, "รายงานผลการดำเนินงาน")
    settle(page)
    page.get_by_role("tab", name="นำเข้า/ส่งออก Excel").click()
    fake = tmp_path / "report.xlsx"
    fake.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")  # a PDF renamed .xlsx
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(fake))
    expect(page.get_by_text(re.compile(translate("excel.file_refused", "th")))).to_be_visible()
    settle(page)
    excel_tab = page.get_by_role("tabpanel").last
    expect(excel_tab.get_by_text("แถว 0")).to_have_count(0)
    expect(excel_tab.locator('[data-testid="stDataFrame"]')).to_have_count(0)  # no table of rows for a file's problem
