"""Thai as people read it, in Chromium at a laptop's and a phone's width: lines break only between
words (PyThaiNLP's dictionary), headings stay within two lines on a phone, tables, charts and
filters show their text whole, and a focal point's phone shows their items before the figures."""

from __future__ import annotations

import functools
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import login, settle

pytestmark = pytest.mark.browser

THAI = re.compile(r"[\u0e00-\u0e7f]")

# Per text node on the page: its text and where each of its lines begins (a character whose box
# lies a line below the previous line's), from the boxes the browser laid out (Range rects).
_LINE_STARTS = """root => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let node;
  while ((node = walker.nextNode())) {
    const text = node.textContent, el = node.parentElement;
    if (!/[\\u0e00-\\u0e7f]/.test(text) || !el || !el.getClientRects().length) continue;
    if (el.closest('svg, canvas, [data-testid="stSidebar"]')) continue;
    const starts = [];
    let line = null;
    for (let i = 0; i < text.length; i++) {
      if (/\\s|\\u200b/.test(text[i])) continue;
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (!box || !box.width) continue;          // a combining vowel or tone mark
      if (line !== null && box.top > line + box.height / 2) starts.push(i);
      if (line === null || box.top > line + box.height / 2) line = box.top;
    }
    const heading = !!el.closest('h1, h2, h3, h4');
    if (starts.length) out.push({text, starts, heading, where: (el.closest('[data-testid]') || el).dataset.testid || el.tagName});
  }
  return out;
}"""


@functools.cache
def _boundaries(text: str) -> frozenset[int]:
    """Offsets in `text` between two PyThaiNLP words (zero-width spaces count as boundaries)."""
    from pythainlp.tokenize import word_tokenize

    bounds, at = {0, len(text)}, 0
    for part in text.split("\u200b"):
        for word in word_tokenize(part, engine="newmm", keep_whitespace=True):
            at += len(word)
            bounds.add(at)
        at += 1  # the zero-width space
        bounds.add(at - 1)
        bounds.add(at)
    return frozenset(bounds)


@functools.cache
def _words() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def _compound_split(text: str, i: int) -> bool:
    """Whether a break at `i` splits a PyThaiNLP word into pieces that are each made of words of its
    dictionary (ความ|ก้าวหน้า, การดำเนิน|งาน): where the browser's dictionary (ICU's) sees two
    words in a compound. A break that leaves a piece that is no word ("กระจา|ยอำนาจ", "ขั้นต|อน")
    is inside a word."""
    bounds = sorted(_boundaries(text))
    start = max(b for b in bounds if b < i)
    end = min(b for b in bounds if b > i)
    return _all_words(text[start:i]) and _all_words(text[i:end])


def _all_words(piece: str) -> bool:
    from pythainlp.tokenize import word_tokenize

    return all(w in _words() for w in word_tokenize(piece, engine="newmm"))


def mid_word_breaks(page: Page, root: str = '[data-testid="stMain"]') -> list[str]:
    """Every line break that falls inside a Thai word, shown as "…before|after…"."""
    bad = []
    for node in page.evaluate(_LINE_STARTS, root):
        text = node["text"]
        for i in node["starts"]:
            # a heading breaks between PyThaiNLP's words only; body text may also split a compound
            lenient = not node["heading"] and _compound_split(text, i)
            if THAI.match(text[i - 1]) and THAI.match(text[i]) and i not in _boundaries(text) and not lenient:
                bad.append(f"{node['where']}: {text[max(0, i - 12) : i]}|{text[i : i + 12]}")
    return bad


def heading_lines(page: Page) -> dict[str, int]:
    """Each visible heading's text and the number of lines its text takes."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3')]
            .filter(h => h.getClientRects().length && h.textContent.trim())
            .map(h => { const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT), r = document.createRange();
                        const lines = []; let n;
                        while ((n = walker.nextNode())) { r.selectNodeContents(n);
                          for (const b of r.getClientRects()) if (b.width > 1 && !lines.some(top => Math.abs(top - b.top) < b.height / 2)) lines.push(b.top); }
                        return [h.textContent.trim(), lines.length]; }))"""
    )


PHONE_PAGES = [
    ("focal_ict", "home", "หน้าหลัก"),
    ("focal_ict", "entry", "รายงานผลการดำเนินงาน"),
    ("chair", "overview?fy=2564&m=12", "ภาพรวมสำหรับประธาน"),
    ("chair", "heatmap?fy=2564&m=12&cell=BPS~2.4", "แผนภาพความก้าวหน้ารายหน่วยงาน"),
    ("secretariat", "review", "ตรวจสอบรายงาน"),
    ("secretariat", "rounds", "รอบการรายงาน"),
    ("secretariat", "meetings", "การประชุมคณะทำงาน"),
    ("admin", "plan", "แผนและตัวชี้วัด"),
    ("admin", "users", "ผู้ใช้งาน"),
    ("admin", "backup", "สำรองและกู้คืนข้อมูล"),
    ("focal_ict", "account", "บัญชีของฉัน"),
]


@pytest.mark.parametrize("user,path,heading", PHONE_PAGES, ids=[p[1].split("?")[0] for p in PHONE_PAGES])
def test_thai_breaks_only_between_words_and_headings_keep_to_two_lines_on_a_phone(page: Page, server, user, path, heading):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, server.url, user)
    page.goto(f"{server.url}/{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    settle(page)
    page.wait_for_timeout(500)
    assert mid_word_breaks(page) == []
    tall = {text: lines for text, lines in heading_lines(page).items() if lines > 2}
    assert tall == {}, tall


# ---------------------------------------------------------------- nothing cut on the right
_CLIPPED = """el => [el, ...el.querySelectorAll('*')]
    .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
                 && ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX))
    .map(e => `${e.tagName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)"""


def _section(page: Page, heading: str):
    """The vertical block a subheader opens (the column it stands in)."""
    return page.get_by_role("heading", name=heading, exact=True).locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_table_of_items_expected_to_miss_the_plan_end_shows_every_column(page: Page, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, server.url, "chair")
    page.goto(f"{server.url}/overview?fy=2564&m=12")
    section = _section(page, "รายการที่คาดว่าจะไม่แล้วเสร็จภายในสิ้นแผน")
    expect(section).to_be_visible()
    settle(page)
    table = section.locator('[data-testid="stTable"], [data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    expect(table).to_contain_text("คาดการณ์ ณ สิ้นแผน")
    assert table.evaluate(_CLIPPED) == []
    column = section.bounding_box()
    box = table.bounding_box()
    assert box["x"] + box["width"] <= column["x"] + column["width"] + 1, (box, column)
    headers = table.locator("th").all_inner_texts()
    assert [h.replace("\n", " ").replace("\u200b", "") for h in headers if h.strip()] == [
        "หน่วยงาน",
        "ประเด็นย่อย",
        "ความก้าวหน้าของแผน (ร้อยละ)",
        "คาดการณ์ ณ สิ้นแผน (ร้อยละ)",
    ]


# ---------------------------------------------------------------- the cell detail's trend
@pytest.mark.parametrize("width", [1280, 390])
def test_the_cell_detail_trend_keeps_its_axis_apart_and_its_legend_whole(page: Page, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, server.url, "chair")
    page.goto(f"{server.url}/heatmap?fy=2564&m=12&cell=BPS~2.4")
    expect(page.get_by_role("heading", name="แผนภาพความก้าวหน้ารายหน่วยงาน", exact=True)).to_be_visible()
    settle(page)
    chart = page.locator('.st-key-heatmap_detail [data-testid="stVegaLiteChart"]').last
    chart.scroll_into_view_if_needed()
    from core.i18n import translate

    key = page.locator(".st-key-heatmap_detail").get_by_text(translate("layout.trend_key", "th"))
    expect(key).to_be_visible()  # what each line is, in text that wraps (a legend in the chart was cut)
    assert key.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    texts = chart.evaluate(
        """c => { const svg = c.querySelector('svg').getBoundingClientRect();
                  return [...c.querySelectorAll('svg text')].map(t => { const b = t.getBoundingClientRect();
                    return {text: t.textContent, top: b.top, bottom: b.bottom, left: b.left, right: b.right,
                            inside: b.left >= svg.left - 1 && b.right <= svg.right + 1 && b.top >= svg.top - 1 && b.bottom <= svg.bottom + 1}; }); }"""
    )
    assert not [x["text"] for x in texts if x["text"].endswith("…")], texts
    assert not [x["text"] for x in texts if not x["inside"]], texts
    ticks = {x["text"]: x for x in texts if x["text"] in ("0", "100")}
    assert set(ticks) == {"0", "100"}, texts
    assert ticks["0"]["top"] - ticks["100"]["bottom"] > 120, ticks  # a plot, not a squashed strip
    rounds = [x for x in texts if x["text"].startswith("รอบ ")]
    assert len(rounds) >= 2, texts  # the rounds along the axis are named, whole


# ---------------------------------------------------------------- the status filter
STATUS_KEYS = ["status.delayed", "status.not_started", "status.on_track", "status.completed", "status.cancelled"]
STATUS_KEYS += ["state.missing", "state.returned"]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_status_filter_label_is_shown_whole(page: Page, server, width):
    from core.i18n import translate

    page.set_viewport_size({"width": width, "height": 900})
    login(page, server.url, "chair")
    every = "delayed,not_started,on_track,completed,cancelled,not_reported,returned"
    page.goto(f"{server.url}/heatmap?fy=2564&m=12&status={every}")
    expect(page.get_by_role("heading", name="แผนภาพความก้าวหน้ารายหน่วยงาน", exact=True)).to_be_visible()
    settle(page)
    widget = page.locator('[data-testid="stElementContainer"]', has_text=translate("heatmap.filter_status", "th")).last
    for name in [translate(k, "th") for k in STATUS_KEYS]:
        label = widget.get_by_text(name, exact=True)
        expect(label).to_be_visible()
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && getComputedStyle(e).textOverflow !== 'ellipsis'"), name
    assert widget.evaluate(_CLIPPED) == []
    assert "…" not in widget.inner_text()


# ---------------------------------------------------------------- a focal point's phone
def _top(locator) -> float:
    locator.first.wait_for()
    return locator.first.bounding_box()["y"]


def test_a_focal_points_phone_shows_their_items_before_the_figures(page: Page, server):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, server.url, "focal_ict")
    items = page.locator('[data-testid="stDataFrame"]')
    assert _top(items) < _top(page.locator('[data-testid="stMetric"]')), "home: the figures come before the items"
    page.goto(f"{server.url}/entry")
    expect(page.get_by_role("heading", name="รายงานผลการดำเนินงาน", exact=True)).to_be_visible()
    settle(page)
    expanders = page.locator('[data-testid="stExpander"]')
    assert _top(expanders) < _top(page.locator('[data-testid="stMetric"]')), "entry: the figures come before the items"


# ---------------------------------------------------------------- evidence in one step
def test_evidence_is_saved_when_chosen_the_picker_empties_and_a_wrong_type_is_named_in_thai(page: Page, server, tmp_path):
    from core.i18n import translate
    from tests.test_evidence import make_pdf

    login(page, server.url, "focal_bps")  # item 2.4 is returned: its evidence panel is editable
    page.goto(f"{server.url}/entry")
    expect(page.get_by_role("heading", name="รายงานผลการดำเนินงาน", exact=True)).to_be_visible()
    settle(page)
    uploader = page.locator('[data-testid="stFileUploader"]').first
    panel = uploader.locator("xpath=ancestor::div[@data-testid='stExpander'][1]")
    good = tmp_path / "หลักฐานรอบ12.pdf"
    good.write_bytes(make_pdf())
    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    expect(page.get_by_text(translate("evidence.added", "th")).first).to_be_visible()  # no second click
    settle(page)
    expect(panel.get_by_role("button", name=re.compile("หลักฐานรอบ12.pdf"))).to_be_visible()  # listed with the evidence
    uploader = panel.locator('[data-testid="stFileUploader"]')
    expect(uploader.locator('[data-testid="stFileChip"]')).to_have_count(0)  # the picker is empty again

    bad = tmp_path / "setup.exe"
    bad.write_bytes(b"MZ\x90\x00" + b"\x00" * 512)
    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    settle(page)
    refusal = translate("error.evidence.type", "th", name="setup.exe", allowed=".doc, .docx")[:40]
    expect(panel.get_by_text(re.compile(re.escape(refusal)))).to_be_visible()
    expect(panel.get_by_text(re.compile("PDF, Word, Excel"))).not_to_have_count(0)
    assert "not allowed" not in page.inner_text("body") and "application/" not in page.inner_text("body")
