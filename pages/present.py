"""Presentation mode for committee sessions: large type, no sidebar and no editing controls, one
view for the summary, one per main issue and one per agency, stepped with the buttons or the
keyboard (← →), each view addressable by URL (?fy=2564&m=12&view=main-2 / agency-BPS)."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd
import streamlit as st

from core import charts, palette
from services.overview import fmt_pct
from ui import cache
from ui.nav import url_round
from ui.session import require_actor
from ui.widgets import chart_labels, clip, lang, md, round_label, t

actor = require_actor("present")
rnd = url_round()
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
data = cache.round_overview(rnd.id)
head = data.headline
en = lang() == "en"

views = ["summary"] + [f"main-{m.number}" for m in head.main_issues] + [f"agency-{c}" for c in data.agencies["agency_code"]]
view = st.query_params.get("view", "summary")
index = views.index(view) if view in views else 0

# large type, nothing but the content: the sidebar and Streamlit's toolbar are hidden here
st.html(
    """<style>
    [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"] {display: none;}
    [data-testid="stMainBlockContainer"] {font-size: 1.4rem;}
    [data-testid="stMainBlockContainer"] h1 {font-size: 3rem;}
    [data-testid="stMetricValue"] {font-size: 3.6rem;}
    [data-testid="stMetricLabel"] p {font-size: 1.3rem;}
    </style>"""
)


def go(step: int) -> None:
    st.query_params["view"] = views[(index + step) % len(views)]


nav_prev, nav_where, nav_next, nav_exit = st.columns([2, 5, 2, 2], vertical_alignment="center")
nav_prev.button(t("present.prev"), icon=":material/arrow_back:", shortcut="Left", on_click=go, args=(-1,), width="stretch")
nav_next.button(t("present.next"), icon=":material/arrow_forward:", shortcut="Right", on_click=go, args=(1,), width="stretch")
nav_where.markdown(f"**{round_label(rnd.fiscal_year, rnd.months)}** · {t('present.step', n=index + 1, total=len(views))}")
nav_exit.page_link(
    "pages/overview.py",
    label=t("present.exit"),
    icon=":material/close:",
    query_params={"fy": str(rnd.fiscal_year), "m": str(rnd.months)},
)
st.query_params.update({"fy": str(rnd.fiscal_year), "m": str(rnd.months), "view": views[index]})

labels = chart_labels()
current_view = views[index]


def _main_issue_heatmap(cells: pd.DataFrame, number: int, labels: dict[str, str]):  # an Altair chart
    """One main issue's heatmap, of the agencies assigned any of its sub-issues."""
    cells = cells[cells["main_issue_number"] == number].assign(
        main_issue_label=t("heatmap.main_short", n=number), updated_at_text=""
    )
    assigned_agencies = set(cells.loc[cells["state"] != "not_assigned", "agency_code"])
    return charts.heatmap(cells[cells["agency_code"].isin(assigned_agencies)], measure="progress", labels=labels, large=True)


if current_view == "summary":
    st.title(t("present.summary_title"))
    a, b, c = st.columns(3)
    a.metric(t("overview.overall"), t("overview.pct", value=fmt_pct(head.overall)), border=True)
    b.metric(t("overview.agencies_reported"), t("overview.x_of_y", x=head.agencies_reported, y=head.agencies_total), border=True)
    c.metric(t("overview.items_delayed"), head.items_delayed, border=True)
    bars = pd.DataFrame(
        {
            "label": [t("heatmap.main_short", n=m.number) for m in head.main_issues],
            "progress": [m.weighted_progress or 0.0 for m in head.main_issues],
            "expected": [m.expected_progress for m in head.main_issues],
        }
    )
    base = alt.Chart(bars).encode(y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelFontSize=22, labelLimit=400)))
    chart = alt.layer(
        base.mark_bar(color=palette.STATUS_COLOURS["completed"], height=40).encode(
            x=alt.X("progress:Q", title=None, scale=alt.Scale(domain=[0, 100]))
        ),
        base.mark_tick(color=palette.STATUS_COLOURS["delayed"], thickness=4, size=52).encode(x="expected:Q"),
        base.mark_text(align="left", dx=8, fontSize=24, fontWeight="bold").encode(
            x="progress:Q", text=alt.Text("progress:Q", format=".1f")
        ),
    ).properties(height=80 * len(bars))
    st.altair_chart(chart.configure_axis(labelFontSize=18), width="stretch")
    st.caption(t("present.expected_tick"))
elif current_view.startswith("main-"):
    number = int(current_view.removeprefix("main-"))
    main = next(m for m in head.main_issues if m.number == number)
    st.title(f"{t('heatmap.main_short', n=number)}")
    st.markdown(f"### {md(main.name_en if en and main.name_en else main.name_th)}")
    a, b = st.columns(2)
    a.metric(t("overview.overall"), t("overview.pct", value=fmt_pct(main.weighted_progress)), border=True)
    b.metric(t("overview.expected"), t("overview.pct", value=fmt_pct(main.expected_progress)), border=True)
    st.vega_lite_chart(
        cache.chart_spec(
            functools.partial(_main_issue_heatmap, data.cells, number, labels), view_key=("present", rnd.id, current_view, lang())
        ),
        width="content",
    )
    st.caption(t("heatmap.legend"))
else:
    code = current_view.removeprefix("agency-")
    row = data.agencies[data.agencies["agency_code"] == code].iloc[0]
    st.title(md(row["agency_short_name"]))
    st.markdown(f"### {md(row['agency_name_en'] if en and row['agency_name_en'] else row['agency_name_th'])}")
    a, b, c = st.columns(3)
    a.metric(t("overview.col.weighted"), t("overview.pct", value=fmt_pct(row["weighted_progress"])), border=True)
    b.metric(
        t("chair.col.submitted"),
        t("overview.x_of_y", x=int(row["submitted"]), y=int(row["assigned"])),
        border=True,
    )
    c.metric(t("overview.col.delayed"), int(row["delayed"]), border=True)
    items = data.cells[(data.cells["agency_code"] == code) & (data.cells["state"] != "not_assigned")].copy()
    items["label"] = items["sub_issue_code"] + " " + items["sub_issue_name_en" if en else "sub_issue_name_th"]
    items["progress"] = items["progress_pct"].astype("float64").fillna(0)
    items["status_text"] = items.apply(
        lambda r: t("state.missing") if r["state"] == "not_reported" else t(f"status.{r['status']}") if r["status"] else "",
        axis=1,
    )
    items["status_key"] = items["status"].fillna("not_reported")
    colours = {**palette.STATUS_COLOURS, "not_reported": palette.NOT_REPORTED_BORDER}
    base = alt.Chart(items).encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelFontSize=18, labelLimit=520)),
    )
    chart = alt.layer(
        base.mark_bar(height=30).encode(
            x=alt.X("progress:Q", title=t("col.progress"), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("status_key:N", scale=alt.Scale(domain=list(colours), range=list(colours.values())), legend=None),
        ),
        base.mark_text(align="left", dx=10, fontSize=18).encode(x=alt.datum(100), text=alt.Text("status_text:N")),
    ).properties(height=max(120, 56 * len(items)), padding={"right": 220, "left": 5, "top": 5, "bottom": 5})
    st.altair_chart(chart, width="stretch")
    notable = data.highlights[data.highlights["agency_code"] == code]
    for _, h in notable.iterrows():
        st.success(f"**{md(h['sub_issue_code'])}** {md(clip(h['achievements'], 300))}", icon=":material/star:")
