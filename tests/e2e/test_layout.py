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
