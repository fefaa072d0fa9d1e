"""What people see of the page frame in Chromium: the demo banner lies wholly below the page header
(which Streamlit draws over the page), so its first line and its Thai tone marks are never cut."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import go, login, settle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_demo_banner_is_below_the_page_header_on_every_page(page: Page, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, server.url, "secretariat")
    for name in ("หน้าหลัก", "ภาพรวมสำหรับประธาน", "รอบการรายงาน"):
        if width > 600:
            go(page, name)
        else:
            page.goto(f"{server.url}/{ {'หน้าหลัก': 'home', 'ภาพรวมสำหรับประธาน': 'overview', 'รอบการรายงาน': 'rounds'}[name] }")
            expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        settle(page)
        banner = page.locator('[data-testid="stAlert"]', has_text="ข้อมูลสาธิต").first
        expect(banner).to_be_visible()
        header = page.locator('[data-testid="stHeader"]').bounding_box()
        box = banner.bounding_box()
        assert box["y"] >= header["y"] + header["height"], (name, width, box, header)


@pytest.mark.parametrize("width", [1280, 390])
def test_no_overview_card_cuts_its_label_or_its_comparison(page: Page, server, width):
    """Every metric's label and delta is shown whole (wrapped between Thai words), and each delta
    says what it compares with."""
    page.set_viewport_size({"width": width, "height": 900})
    login(page, server.url, "chair")
    page.goto(f"{server.url}/overview?fy=2564&m=12")
    expect(page.get_by_role("heading", name="ภาพรวมสำหรับประธาน", exact=True)).to_be_visible()
    settle(page)
    expect(page.get_by_text("จุด จากรอบก่อน").first).to_be_visible()
    cut = page.evaluate(
        """() => [...document.querySelectorAll(
                '[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,'
                + ' [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] *')]
              .filter(el => el.textContent.trim() && el.clientWidth > 0)
              .filter(el => el.scrollWidth > el.clientWidth + 1
                            || (getComputedStyle(el).textOverflow === 'ellipsis' && getComputedStyle(el).whiteSpace === 'nowrap'))
              .map(el => el.textContent.trim())"""
    )
    assert cut == [], cut
    deltas = page.locator('[data-testid="stMetricDelta"]').all_inner_texts()
    assert deltas and all("จากรอบก่อน" in d or "เทียบค่าที่คาดหวัง" in d.replace("\n", "") for d in deltas), deltas
