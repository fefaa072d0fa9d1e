"""Presentation mode read from the back of a room, in Chromium at the projector sizes 1280×720 and
1920×1080: every slide fits the screen (nothing below the fold, nothing to scroll); at 1080p the
smallest text on a slide, the charts' axis ticks, labels and numbers included, is 24 px or more
and contrasts 7:1 or more with what lies behind it; the heatmap fills the slide's width; every bar
carries its number. Each slide is screenshotted into test-artifacts/ at both sizes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.i18n import translate
from tests.browser import ARTIFACTS
from tests.e2e.helpers import login, settle, wait_for_login_cookie

pytestmark = pytest.mark.browser

SIZES = [(1280, 720), (1920, 1080)]
NUMBER = re.compile(r"^\d{1,3}(\.\d)?$")

# Everything measured in one pass in the page. Text is every visible text node: HTML text at its
# computed size, SVG <text> at its computed size times the scale the SVG is drawn at. Its
# background is the nearest opaque background behind it: for SVG text the topmost filled shape
# painted before it that holds its centre, else the backgrounds of its ancestors over white.
MEASURE = """() => {
  const H = innerHeight, W = innerWidth;
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const colour = (el, prop) => {  // an SVG paint or a CSS colour as [r, g, b, a]
    const probe = document.createElement('span');
    probe.style.color = getComputedStyle(el)[prop];
    document.body.appendChild(probe);
    const c = parse(getComputedStyle(probe).color);
    probe.remove();
    return c;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const htmlBackground = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const opacity = (el) => {  // what the element and its ancestors' opacities leave of its ink
    let o = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const visible = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const svgBackground = (text) => {
    const svg = text.ownerSVGElement;
    const r = text.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    let found = null;
    for (const shape of svg.querySelectorAll('path, rect, circle, polygon')) {
      if (!(shape.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
      const cs = getComputedStyle(shape);
      if (cs.fill === 'none' || Number(cs.fillOpacity) === 0 || Number(cs.opacity) === 0 || !visible(shape)) continue;
      const b = shape.getBoundingClientRect();
      if (x < b.left || x > b.right || y < b.top || y > b.bottom) continue;
      found = shape;
    }
    const base = htmlBackground(svg);
    if (!found) return base;
    const c = colour(found, 'fill');
    c[3] *= Number(getComputedStyle(found).fillOpacity) * Number(getComputedStyle(found).opacity);
    return over(c, base);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };

  const below = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.bottom > H + 0.5 && r.top < 10 * H) below.push(`${el.tagName}.${el.getAttribute('data-testid') || el.className.baseVal || el.className} ${Math.round(r.top)}-${Math.round(r.bottom)}: ${(el.textContent || '').trim().slice(0, 40)}`);
  }
  const scrollers = [];
  for (const el of document.body.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    if (/(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 1 && visible(el)) scrollers.push(`${el.tagName}.${el.getAttribute('data-testid') || el.className} ${el.scrollHeight}>${el.clientHeight}`);
  }
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const value = node.textContent.trim();
    if (!value || !el || ['STYLE', 'SCRIPT', 'TITLE', 'NOSCRIPT'].includes(el.tagName) || !visible(el)) continue;
    const inSvg = el instanceof SVGElement;
    const r = el.getBoundingClientRect();
    if (r.bottom < 0 || r.top > H || r.right < 0 || r.left > W) continue;
    const cs = getComputedStyle(el);
    let size = parseFloat(cs.fontSize);
    let fg, bg;
    if (inSvg) {
      const text = el.closest('text');
      size *= Math.abs(text.getScreenCTM().d);
      fg = colour(text, 'fill');
      fg[3] *= Number(getComputedStyle(text).fillOpacity) * opacity(text);
      bg = svgBackground(text);
    } else {
      fg = parse(cs.color);
      fg[3] *= opacity(el);
      bg = htmlBackground(el);
    }
    const ratio = contrast(over(fg, bg), bg);
    texts.push({text: value.slice(0, 50), size: Math.round(size * 10) / 10, contrast: Math.round(ratio * 100) / 100, svg: inSvg});
  }
  const cutShort = [...document.querySelectorAll('[data-testid="stMain"] *')].filter(el => visible(el)
      && getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1).map(el => el.textContent.trim());
  const canvases = [...document.querySelectorAll('[data-testid="stMain"] canvas')].filter(visible).length;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const mcs = getComputedStyle(main);
  const contentWidth = main.clientWidth - parseFloat(mcs.paddingLeft) - parseFloat(mcs.paddingRight);
  const charts = [...document.querySelectorAll('[data-testid="stMain"] .marks')].filter(visible)
    .map(el => Math.round(el.getBoundingClientRect().width));
  const bars = [...document.querySelectorAll('[data-testid="stMain"] svg g.bar_marks > path')].filter(visible).map(p => {
    const b = p.getBoundingClientRect();
    return {top: b.top, bottom: b.bottom, right: b.right};
  });
  const values = [...document.querySelectorAll('[data-testid="stMain"] svg g.bar_value_marks text')].filter(visible).map(t => {
    const b = t.getBoundingClientRect();
    return {text: t.textContent.trim(), middle: b.top + b.height / 2, left: b.left};
  });
  return {
    scrollHeight: document.scrollingElement.scrollHeight, innerHeight: H, below, scrollers, texts, canvases, cutShort,
    contentWidth, charts, bars, values,
  };
}"""


def _open_slides(page: Page, server, width: int, height: int, language: str = "th") -> None:
    page.set_viewport_size({"width": width, "height": height})
    login(page, server.url, "chair")
    if language == "en":
        page.get_by_role("radio", name="English").click()
        settle(page)
        expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    page.locator('[data-testid="stSidebarNav"] a', has_text=translate("nav.present", language)).click()
    expect(page.get_by_role("heading", name=translate("present.summary_title", language), exact=True)).to_be_visible()


def _slides(page: Page, language: str = "th"):
    """Step through every slide with the next button, yielding each slide's view name once it has
    drawn, until the slides wrap round to the summary."""
    seen: list[str] = []
    for _ in range(40):
        settle(page)
        page.wait_for_timeout(300)  # a chart is drawn just after the run
        settle(page)
        view = re.search(r"view=([^&]+)", page.url).group(1)
        if view in seen:
            assert view == seen[0] == "summary", seen
            return
        seen.append(view)
        yield view
        before = page.url
        page.get_by_role("button", name=translate("present.next", language)).click()
        expect(page).not_to_have_url(before)
    raise AssertionError(f"the slides never came back to the summary: {seen}")


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["720p", "1080p"])
def test_every_slide_fits_the_screen_and_reads_from_the_back_of_the_room(page: Page, server, width, height):
    ARTIFACTS.mkdir(exist_ok=True)
    _open_slides(page, server, width, height)
    views, problems, figures = [], [], {"min_font": 1e9, "min_contrast": 1e9, "heatmap_ratio": []}
    for view in _slides(page):
        views.append(view)
        page.screenshot(path=str(ARTIFACTS / f"present-{width}x{height}-{view}.png"))
        m = page.evaluate(MEASURE)
        if m["scrollHeight"] > m["innerHeight"]:
            problems.append(f"{view}: the page scrolls ({m['scrollHeight']} > {m['innerHeight']})")
        if m["below"]:
            problems.append(f"{view}: below the fold: {m['below'][:5]}")
        if m["scrollers"]:
            problems.append(f"{view}: a part scrolls: {m['scrollers'][:3]}")
        if not m["charts"]:
            problems.append(f"{view}: no chart")
        # the smallest text at 1080p is 24 px (16 px at 720p: the slide scales with the screen)
        floor = 24 * height / 1080
        small = [x for x in m["texts"] if x["size"] < floor - 0.05]
        if small:
            problems.append(f"{view}: text smaller than {floor:.0f} px: {small[:6]}")
        if m["canvases"]:
            problems.append(f"{view}: a chart drawn on a canvas (its text cannot be read or measured)")
        faint = [x for x in m["texts"] if x["contrast"] < 7]
        if faint:
            problems.append(f"{view}: text with contrast under 7:1: {faint[:6]}")
        if m["texts"]:
            figures["min_font"] = min(figures["min_font"], min(x["size"] for x in m["texts"]))
            figures["min_contrast"] = min(figures["min_contrast"], min(x["contrast"] for x in m["texts"]))
        if not any(x["svg"] for x in m["texts"]):
            problems.append(f"{view}: no chart text found")
        cut = [x["text"] for x in m["texts"] if x["svg"] and "…" in x["text"]] + m["cutShort"]
        if cut:
            problems.append(f"{view}: text cut short: {cut}")
        if view.startswith("main-"):
            ratio = max(m["charts"], default=0) / m["contentWidth"]
            figures["heatmap_ratio"].append(round(ratio, 3))
            if ratio < 0.9:
                problems.append(f"{view}: the heatmap is {ratio:.0%} of the slide's width")
        else:  # the summary's main issues and an agency's items: one bar each, each with its number
            if not m["bars"]:
                problems.append(f"{view}: no bars")
            for bar in m["bars"]:
                label = [
                    v
                    for v in m["values"]
                    if bar["top"] - 1 <= v["middle"] <= bar["bottom"] + 1 and abs(v["left"] - bar["right"]) < 40 * height / 1080
                ]
                if len(label) != 1 or not NUMBER.match(label[0]["text"]):
                    problems.append(f"{view}: a bar without its number at its end: {bar}, {label}")
    print(f"{width}x{height}: {len(views)} slides, {figures}")
    assert views[0] == "summary" and any(v.startswith("main-") for v in views) and any(v.startswith("agency-") for v in views)
    assert not problems, "\n".join(problems)


def test_english_slides_fit_the_screen_too(page: Page, server):
    """The English words are longer than the Thai ones: the slides still fit at 1280×720."""
    _open_slides(page, server, 1280, 720, language="en")
    for view in _slides(page, language="en"):
        page.screenshot(path=str(ARTIFACTS / f"present-en-1280x720-{view}.png"))
        m = page.evaluate(MEASURE)
        assert not m["below"] and m["scrollHeight"] <= m["innerHeight"] and not m["scrollers"], (view, m["below"], m["scrollers"])
        small = [x for x in m["texts"] if x["size"] < 16 - 0.05]
        assert not small, (view, small[:6])
        assert not m["cutShort"], (view, m["cutShort"])


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["720p", "1080p"])
def test_an_agency_slide_with_a_highlight_still_fits(page: Page, server, width, height):
    """The 9-month round of 2563 has a highlight for สตป. (BIE): it is shown under the bars, cut to
    a slide's length with a note saying so, and the slide still fits the screen."""
    _open_slides(page, server, width, height)
    wait_for_login_cookie(page)
    page.goto(f"{server.url}/present?fy=2563&m=9&view=agency-BIE")
    settle(page)
    page.wait_for_timeout(1000)  # a fresh page logs in again from the cookie, with one more run
    settle(page)
    expect(page.get_by_role("heading", name="สตป.", exact=True)).to_be_visible()
    box = page.locator('[data-testid="stAlert"]', has_text="1.4")
    expect(box).to_be_visible()
    expect(box).to_contain_text("ตัดข้อความ")
    page.screenshot(path=str(ARTIFACTS / f"present-{width}x{height}-highlight.png"))
    m = page.evaluate(MEASURE)
    assert not m["below"] and m["scrollHeight"] <= m["innerHeight"] and not m["scrollers"], (m["below"], m["scrollers"])
    small = [x for x in m["texts"] if x["size"] < 24 * height / 1080 - 0.05 or x["contrast"] < 7]
    assert not small, small[:6]
    assert len(m["bars"]) == 3 and len(m["values"]) == 3, (m["bars"], m["values"])
