"""The heatmap in Chromium: a pasted deep link opens the same view with the cell's detail; a click
on another cell opens that one and updates the URL; the PNG download is a real image and the
grid downloads hold the view on screen."""

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser import ARTIFACTS, StreamlitServer
from tests.e2e.helpers import download, login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser


def cell(page: Page, agency: str, sub_issue: str):
    """A heatmap cell, found by the accessible description Vega gives each mark (its tooltip)."""
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    return chart.locator(f'path[aria-label*="หน่วยงาน: {agency};"][aria-label*="ประเด็นย่อย: {sub_issue};"]')


def detail(page: Page):
    return page.locator(".st-key-heatmap_detail")


def test_deep_link_opens_the_view_and_a_click_opens_another_cell(page: Page, server):
    login(page, server.url, "chair")
    wait_for_login_cookie(page)  # the pasted link opens in the same browser, logged in by cookie
    page.goto(f"{server.url}/heatmap?fy=2564&m=12&measure=status&cell=BPS~2.4")
    settle(page)
    panel = detail(page)
    expect(panel.get_by_role("heading", name="สนย. · 2.4")).to_be_visible()
    expect(panel).to_contain_text("ส่งกลับแก้ไข")  # its state
    expect(panel).to_contain_text("ขอให้ระบุค่าเป้าหมายที่ทำได้จริง")  # the reviewer's comment
    expect(panel).to_contain_text("ส่งกลับให้แก้ไข")  # the return, in the review conversation
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_contain_text("เป็นไปตามแผน")  # coloured by status: the status legend is drawn

    cell(page, "สนก.", "1.3").first.click()
    settle(page)
    expect(panel.get_by_role("heading", name="สนก. · 1.3")).to_be_visible()
    expect(panel).to_contain_text("ฉบับร่าง")
    expect(panel).to_contain_text("ความก้าวหน้าของรายการนี้ตลอดแผน")  # the trend chart's heading
    expect(panel.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)
    expect(page).to_have_url(re.compile(r"cell=BLA(~|%7E)1\.3"))
    assert "measure=status" in page.url and "fy=2564" in page.url

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "heatmap-demo-scale.png"))

    png = Path(download(page, "ดาวน์โหลดแผนภาพ (PNG)").path()).read_bytes()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 600 and image.height > 250

    # the grid downloads are built when clicked, outside the script run, from the view on screen
    grid = pd.read_csv(download(page, "ดาวน์โหลดตาราง (CSV)").path(), encoding="utf-8-sig", index_col=0)
    assert "สนย." in grid.index and "2.4" in grid.columns and len(grid) == 7
    xlsx = download(page, "ดาวน์โหลดตาราง (Excel)").path()
    cells = pd.read_excel(xlsx, sheet_name="cells", dtype={"sub_issue_code": str})
    assert set(cells["main_issue_label"]) == {"ประเด็นหลักที่ 1", "ประเด็นหลักที่ 2", "ประเด็นหลักที่ 3"}
    assert cells.loc[cells["selected"], ["agency_short_name", "sub_issue_code"]].values.tolist() == [["สนก.", "1.3"]]


def test_a_link_opened_before_login_opens_after_it(page: Page, server):
    """A link pasted into a browser that is not logged in shows the login form at that address;
    the login then opens the linked view and cell, not the home page."""
    link = f"{server.url}/heatmap?fy=2564&m=12&measure=status&cell=BPS~2.4"
    page.goto(link)
    settle(page)
    expect(page.get_by_role("button", name="เข้าสู่ระบบ")).to_be_visible()
    assert page.url == link  # the address is kept while the form shows
    login(page, link, "chair", lands_on="แผนภาพความก้าวหน้ารายหน่วยงาน")
    expect(detail(page).get_by_role("heading", name="สนย. · 2.4")).to_be_visible()
    assert "cell=BPS" in page.url and "measure=status" in page.url


def test_a_link_to_a_cell_that_does_not_exist_explains_itself(page: Page, server):
    login(page, server.url, "secretariat")
    wait_for_login_cookie(page)
    page.goto(f"{server.url}/heatmap?cell=NOPE~1.1")
    settle(page)
    expect(detail(page)).to_contain_text("ไม่พบช่อง NOPE~1.1")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


@pytest.fixture
def wide_server(sqlite_templates, tmp_path):
    """A server on a plan of 100 agencies × 40 sub-issues (the benchmark generator's rows)."""
    import shutil

    from bench.generator import Scale, generate
    from core.db import make_engine

    db_path = tmp_path / "wide.db"
    shutil.copyfile(sqlite_templates["empty"], db_path)
    engine = make_engine(f"sqlite:///{db_path}")
    generate(engine, Scale("wide", 100, (10, 10, 10, 10)))
    engine.dispose()
    server = StreamlitServer(db_path, tmp_path / "wide-server.log")
    yield server
    server.stop()


def test_100_agencies_by_40_sub_issues_stay_readable_and_clickable(page: Page, wide_server):
    login(page, wide_server.url, "chair")
    wait_for_login_cookie(page)
    page.goto(f"{wide_server.url}/heatmap")
    settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible(timeout=30_000)
    labels = chart.locator('[aria-label^="Y-axis"]').first.get_attribute("aria-label")
    assert "100 values" in labels  # every agency has its row label (none dropped for overlap)
    frame = page.locator(".st-key-heatmap_frame")
    sizes = frame.evaluate("e => [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight]")
    assert sizes[2] > sizes[3]  # the grid scrolls inside its frame instead of stretching the page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "heatmap-100x40.png"))
    target = chart.locator('path[aria-label*="ประเด็นย่อย: 4.10;"]').last
    target.scroll_into_view_if_needed()
    agency = re.search(r"หน่วยงาน: ([^;]+);", target.get_attribute("aria-label")).group(1)
    target.click()
    settle(page)
    expect(detail(page).get_by_role("heading", name=f"{agency} · 4.10")).to_be_visible()


def test_every_heatmap_download_works_on_its_first_click_one_after_another(page: Page, server):
    """No retry here (tests.e2e.helpers.download clicks again): each button is clicked once, in a
    row, twice over; each must start its download. A click that reran the page used to drop the
    deferred file before the browser asked for it ("Deferred file … not found")."""
    login(page, server.url, "chair")
    page.goto(f"{server.url}/heatmap?fy=2564&m=12")
    expect(page.get_by_role("button", name="ดาวน์โหลดแผนภาพ (PNG)")).to_be_visible()
    settle(page)
    labels = ["ดาวน์โหลดแผนภาพ (PNG)", "ดาวน์โหลดตาราง (CSV)", "ดาวน์โหลดแผนภาพ (SVG)", "ดาวน์โหลดตาราง (Excel)"]
    sizes = []
    for label in labels * 2:
        with page.expect_download(timeout=60_000) as started:
            page.get_by_role("button", name=label).click()
        sizes.append(Path(started.value.path()).stat().st_size)
    assert all(size > 200 for size in sizes), sizes  # the CSV is the 7 x 13 grid: about 400 bytes
    assert not page.get_by_test_id("stException").count()
    assert "MediaFileStorageError" not in server.log_path.read_text(encoding="utf-8", errors="replace")
