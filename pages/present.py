"""Presentation mode for committee sessions: large type, no sidebar and no editing controls, one
view for the summary, one per main issue and one per agency, stepped with the buttons or the
keyboard (← →), each view addressable by URL (?fy=2564&m=12&view=main-2 / agency-BPS).

Each view is one 16:9 slide that fits the screen without scrolling, at 1280×720 as at 1920×1080:
every size on it is in rem and the root size follows the screen's height (SLIDE_CSS), and each
chart is an SVG drawn for 1920×1080 (core.charts.slide_*) scaled to the slide's width, so the whole
slide grows and shrinks together. Its smallest type is 24 px or more at 1080p, ink on white.
A main issue with more agencies, or an agency with more items, than a slide holds takes several
slides (main-1, main-1-2 …). tests/e2e/test_present.py measures every slide at both sizes."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core import charts, names, palette
from core.charts import cell_number
from services import figures
from services.committee_pack.text import COMBINING, words
from services.overview import fmt_pct
from ui import cache, widgets
from ui.nav import url_round
from ui.session import require_actor
from ui.widgets import clip, lang, md, round_label, t

actor = require_actor("present")
rnd = url_round()
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
data = cache.round_overview(rnd.id)
head = data.headline
language = lang()

# One rem is 1/43.5 of the screen's height: 24.8 px at 1080p, 16.6 px at 720p. The slide's parts
# (CSS px at 1080p, so the chart's SVG, drawn 1846 px wide there, is as tall as planned).
REM = 1080 / 43.5
CHART_REM = 24.5  # the chart's height, below the banner, the buttons and the heading row
CAPTION_REM = 3.0  # two lines of caption
HIGHLIGHT_REM = 3.3  # one highlight box of two lines
MAX_HIGHLIGHTS = 2
HIGHLIGHT_CHARS = 150
HEATMAP_ROW = 58  # px at 1080p: a row of cells holding a 32 px number
HEATMAP_HEADER = 60
BAR_LINE = charts.SLIDE_TYPE * 1.3

# Nothing but the slide: the sidebar, Streamlit's header and toolbar are hidden; every text is
# 1rem or more and ink on white (the demo marker and the highlights too).
SLIDE_CSS = f"""<style>
html {{font-size: calc(100vh / 43.5) !important;}}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stHeader"], [data-testid="stDecoration"] {{display: none !important;}}
[data-testid="stMain"] {{overflow: hidden;}}
[data-testid="stMainBlockContainer"] {{padding: 0.5rem 1.5rem 0 1.5rem !important; max-width: 100% !important; font-size: 1rem;}}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{gap: 0.45rem;}}
[data-testid="stMainBlockContainer"] [data-testid="stHorizontalBlock"] {{gap: 0.8rem;}}
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] button, [data-testid="stMainBlockContainer"] a,
[data-testid="stMainBlockContainer"] kbd, [data-testid="stMainBlockContainer"] span {{font-size: 1rem;}}
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p {{margin: 0; line-height: 1.45;}}
[data-testid="stMainBlockContainer"] h1 {{font-size: 2.1rem; padding: 0 0 0.1rem 0; line-height: 1.3;}}
[data-testid="stMainBlockContainer"] h1 span, [data-testid="stMainBlockContainer"] h2 span {{font-size: inherit;}}
[data-testid="stMainBlockContainer"] h2 {{font-size: 1.25rem; padding: 0; line-height: 1.4; font-weight: 600;}}
[data-testid="stHeadingWithActionElements"] a {{display: none;}}
[data-testid="stMetric"] {{padding: 0.35rem 0.7rem !important;}}
[data-testid="stMetricLabel"] p {{font-size: 1rem !important; line-height: 1.3;}}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {{font-size: 1.9rem !important; line-height: 1.25;}}
[data-testid="stMetricValue"] *, [data-testid="stMetricLabel"] * {{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}}
[data-testid="stAlert"] > div {{padding: 0.3rem 0.8rem; min-height: 0;}}
[data-testid="stAlert"] *, [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stMainBlockContainer"] a * {{color: {palette.DARK_TEXT} !important; font-size: 1rem; opacity: 1 !important;}}
[data-testid="stButton"] button {{min-height: 2.1rem; padding: 0.1rem 0.6rem;}}
[data-testid="stButton"] button * {{color: {palette.DARK_TEXT} !important; opacity: 1 !important;}}
[data-testid="stMainBlockContainer"] [data-testid="stIconMaterial"] {{font-size: 1.2rem !important;}}
[class*="st-key-slide_chart"] [data-testid="stVegaLiteChart"], [class*="st-key-slide_chart"] .vega-embed {{width: 100% !important;}}
[class*="st-key-slide_chart"] svg.marks {{display: block; width: 100% !important; height: auto !important; overflow: visible;}}
</style>"""
st.html(SLIDE_CSS)


def lines(text: str, per_line: int, most: int = 3) -> str:
    """`text` broken between words (Thai dictionary words) into lines of about `per_line`
    characters (tone marks and vowels above or below count nothing), "\\n" between them; the last
    of `most` lines takes the rest."""
    out: list[str] = []
    line = ""
    for word in words(text):
        width = len(COMBINING.sub("", line + word))
        if line.strip() and width > per_line and len(out) < most - 1:
            out.append(line.rstrip())
            line = word.lstrip()
        else:
            line += word
    out.append(line.rstrip())
    return "\n".join(out)


def pages_of(count: int, per_slide: int) -> int:
    return max(1, math.ceil(count / max(per_slide, 1)))


# ----------------------------------------------------------------------------- the slides
cells = names.localize(data.cells, language, "agency_short_name", "sub_issue_name_th")
heatmap_rows = int((CHART_REM * REM - HEATMAP_HEADER) // HEATMAP_ROW)
bar_rows = int(CHART_REM * REM // (BAR_LINE * 2 + 16))  # two-line labels
slides: list[tuple[str, str, int, int]] = [("summary", "summary", 1, 1)]  # (view, what, part, parts)
for m in head.main_issues:
    mine = cells[cells["main_issue_number"] == m.number]
    count = mine.loc[mine["state"] != "not_assigned", "agency_code"].nunique()
    parts = pages_of(count, heatmap_rows)
    slides += [(f"main-{m.number}" + (f"-{p}" if p > 1 else ""), f"main-{m.number}", p, parts) for p in range(1, parts + 1)]
for code in data.agencies["agency_code"]:
    count = int(((cells["agency_code"] == code) & (cells["state"] != "not_assigned")).sum())
    parts = pages_of(count, bar_rows)
    slides += [(f"agency-{code}" + (f"-{p}" if p > 1 else ""), f"agency-{code}", p, parts) for p in range(1, parts + 1)]
views = [s[0] for s in slides]
view = st.query_params.get("view", "summary")
index = views.index(view) if view in views else 0
current_view, what, part, parts = slides[index]


def go(step: int) -> None:
    st.query_params["view"] = views[(index + step) % len(views)]


nav_prev, nav_where, nav_next, nav_exit = st.columns([2, 6, 2, 2.6], vertical_alignment="center")
nav_prev.button(t("present.prev"), icon=":material/arrow_back:", shortcut="Left", on_click=go, args=(-1,), width="stretch")
nav_next.button(t("present.next"), icon=":material/arrow_forward:", shortcut="Right", on_click=go, args=(1,), width="stretch")
nav_where.markdown(f"**{round_label(rnd.fiscal_year, rnd.months)}** · {t('present.step', n=index + 1, total=len(views))}")
nav_exit.page_link(
    "pages/overview.py",
    label=t("present.exit"),
    icon=":material/close:",
    query_params={"fy": str(rnd.fiscal_year), "m": str(rnd.months)},
)
st.query_params.update({"fy": str(rnd.fiscal_year), "m": str(rnd.months), "view": current_view})


def heading(title: str, subtitle: str | None, metrics: list[tuple[str, str]]) -> None:
    """The slide's heading row: its title (and the name under it) beside its figures."""
    left, *cards = st.columns([3.6] + [2.4] * len(metrics), vertical_alignment="top")
    suffix = f" {t('present.part', n=part, total=parts)}" if parts > 1 else ""
    widgets.title(title + suffix, left)
    if subtitle:
        widgets.title(clip(subtitle, 120), left, level=2)
    for card, (label, value) in zip(cards, metrics, strict=True):
        card.metric(label, value, border=True)


def chart(build, *, height_rem: float) -> None:
    """A slide chart (a core.charts.slide_* builder taking its height in px at 1080p), drawn
    1846 px wide and scaled by SLIDE_CSS to the slide's width; built once per data version, view
    and language."""
    height = int(height_rem * REM)
    spec = cache.chart_spec(lambda: build(height), view_key=("present", rnd.id, current_view, language, height))
    key = f"slide_chart_{round(height_rem * 10)}"
    st.html(f"<style>.st-key-{key} svg.marks {{max-height: {height_rem:.2f}rem}}</style>")  # a screen wider than 16:9
    with st.container(key=key):
        st.vega_lite_chart(spec, width="content", theme=None)


def item_rows(items: pd.DataFrame) -> pd.DataFrame:
    colours = {**palette.STATUS_COLOURS, "not_reported": palette.NOT_REPORTED_BORDER}
    progress = items["progress_pct"].astype("float64")
    return pd.DataFrame(
        {
            "label": [lines(f"{c} {n}", 40, 2) for c, n in zip(items["sub_issue_code"], items["sub_issue_name_th"], strict=True)],
            "value": progress.fillna(0).to_numpy(),
            "value_text": [cell_number(p) if not pd.isna(p) else "0" for p in progress],
            "colour": [colours[s] for s in items["status"].fillna("not_reported")],
            "note": [
                t("state.missing") if state == "not_reported" else t(f"status.{status}") if status else ""
                for state, status in zip(items["state"], items["status"], strict=True)
            ],
        }
    )


if what == "summary":
    heading(
        t("present.summary_title"),
        None,
        [
            (t("overview.overall"), t("overview.pct", value=fmt_pct(head.overall))),
            (t("overview.agencies_reported"), t("overview.x_of_y", x=head.agencies_reported, y=head.agencies_total)),
            (t("overview.items_delayed"), str(head.items_delayed)),
        ],
    )
    bars = pd.DataFrame(
        {
            "label": [
                t("heatmap.main_short", n=m.number) + "\n" + lines(names.main_issue_name(m, language), 38, 3)
                for m in head.main_issues
            ],
            "value": [m.weighted_progress or 0.0 for m in head.main_issues],
            "value_text": [fmt_pct(m.weighted_progress or 0.0) for m in head.main_issues],
            "colour": palette.STATUS_COLOURS["completed"],
            "expected": [m.expected_progress for m in head.main_issues],
        }
    )
    chart(lambda h: charts.slide_bars(bars, height=h, label_width=700, title=t("col.progress")), height_rem=CHART_REM)
    st.caption(t("present.expected_tick"))
elif what.startswith("main-"):
    number = int(what.removeprefix("main-"))
    main = next(m for m in head.main_issues if m.number == number)
    heading(
        t("heatmap.main_short", n=number),
        names.main_issue_name(main, language),
        [
            (t("overview.overall"), t("overview.pct", value=fmt_pct(main.weighted_progress))),
            (t("overview.expected"), t("overview.pct", value=fmt_pct(main.expected_progress))),
        ],
    )
    mine = cells[cells["main_issue_number"] == number]
    assigned = list(
        dict.fromkeys(mine.sort_values("agency_order", kind="stable").loc[lambda d: d["state"] != "not_assigned", "agency_code"])
    )
    shown = assigned[(part - 1) * heatmap_rows : part * heatmap_rows]
    grid = mine[mine["agency_code"].isin(shown)]
    chart(lambda h: charts.slide_heatmap(grid, height=h), height_rem=CHART_REM)
    st.caption(figures.legend_text(lang()))
else:
    code = what.removeprefix("agency-")
    row = data.agencies[data.agencies["agency_code"] == code].iloc[0]
    heading(
        names.pick(row["agency_short_name"], row.get("agency_short_name_en"), language),
        names.agency_full_name(row, language),
        [
            (t("overview.col.weighted"), t("overview.pct", value=fmt_pct(row["weighted_progress"]))),
            (t("chair.col.submitted"), t("overview.x_of_y", x=int(row["submitted"]), y=int(row["assigned"]))),
            (t("overview.col.delayed"), str(int(row["delayed"]))),
        ],
    )
    items = cells[(cells["agency_code"] == code) & (cells["state"] != "not_assigned")]
    items = items.sort_values(["main_issue_number", "sub_issue_order"], kind="stable").iloc[
        (part - 1) * bar_rows : part * bar_rows
    ]
    notable = data.highlights[data.highlights["agency_code"] == code] if part == parts else data.highlights.iloc[0:0]
    boxes = min(len(notable), MAX_HIGHLIGHTS)
    rows = item_rows(items)
    chart(
        lambda h: charts.slide_bars(rows, height=h, label_width=700, note_width=420, title=t("col.progress")),
        height_rem=CHART_REM + CAPTION_REM - 1 - boxes * HIGHLIGHT_REM,
    )
    for _, h in notable.head(MAX_HIGHLIGHTS).iterrows():
        st.success(f"**{md(h['sub_issue_code'])}** {md(clip(h['achievements'], HIGHLIGHT_CHARS))}", icon=":material/star:")
    if len(notable) > MAX_HIGHLIGHTS:
        st.caption(t("present.more_highlights", n=len(notable) - MAX_HIGHLIGHTS))
