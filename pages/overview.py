"""The chair's overview of a round: headline figures, evaluation, trend and projection, what needs
the chair's attention (each linking to its heatmap cell), highlights, per-agency table, and the
committee pack. Every number comes from one cached services.overview.round_overview bundle, the
same one the pack files are built from."""

from __future__ import annotations

import functools
import itertools
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from core import charts, names
from services import committee_pack, figures, heatmap, meetings, overview
from services.overview import OVERALL, RoundOverview, fmt_change, fmt_pct
from ui import cache
from ui.nav import nav_page, round_picker
from ui.session import require_actor
from ui.widgets import clip, fmt_date, lang, md, subheader, t, title

actor = require_actor("overview")
top_left, top_right = st.columns([3, 2], vertical_alignment="bottom")
title(t("overview.title"), where=top_left)
rnd = round_picker(top_right, key="overview_round")
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
data = cache.round_overview(rnd.id)
basis = cache.overview_basis(rnd.id)  # views drawn from `data` are built again only when it changed
head = data.headline
en = lang() == "en"


ATTENTION_LINKS = 10
# what an attention link names: the agency, the sub-issue (in either language) and its progress
_ATTENTION_LINK_COLUMNS = (
    *("agency_code", "agency_short_name", "agency_short_name_en", "sub_issue_code", "sub_issue_name_th", "sub_issue_name_en"),
    "progress_pct",
)
HIGHLIGHT_CARDS = 8


def pct(value: float | None) -> str:
    return t("chair.pct", value=fmt_pct(value))


# ---------------------------------------------------------------- headline figures
st.caption(md(data.plan.name_en if en and data.plan.name_en else data.plan.name_th))
cols = st.columns(2 + len(head.main_issues))
cols[0].metric(
    t("chair.m.overall"),
    pct(head.overall),
    # each delta says what it compares with, on the card (a tooltip is lost on a projector)
    delta=None if head.change is None else t("overview.points_vs_previous", value=fmt_change(head.change)),
    help=t("chair.change_help"),
    border=True,
)
cols[1].metric(t("chair.m.expected"), pct(head.expected_progress), border=True)
for col, main in zip(cols[2:], head.main_issues, strict=True):
    gap = None
    if main.weighted_progress is not None and main.expected_progress is not None:
        gap = t("overview.points_vs_expected", value=fmt_change(main.weighted_progress - main.expected_progress))
    col.metric(
        t("heatmap.main_short", n=main.number),
        pct(main.weighted_progress),
        delta=gap,
        help=md(names.main_issue_name(main, lang())) + " — " + t("chair.vs_expected_help"),
        border=True,
    )
c = st.columns(5)
c[0].metric(
    t("chair.m.reported"),
    t("overview.x_of_y", x=head.agencies_reported, y=head.agencies_total),
    help=t("overview.agencies_reported"),
    border=True,
)
c[1].metric(
    t("chair.m.approved"),
    t("overview.x_of_y", x=head.agencies_approved, y=head.agencies_total),
    help=t("overview.agencies_approved"),
    border=True,
)
c[2].metric(t("chair.m.delayed"), head.items_delayed, help=t("overview.items_delayed"), border=True)
c[3].metric(t("chair.m.returned"), head.items_returned, help=t("overview.items_returned"), border=True)
c[4].metric(t("chair.m.not_reported"), head.items_not_reported, help=t("overview.items_not_reported"), border=True)

# ---------------------------------------------------------------- pack and presentation
# One row that wraps, each control as wide as its label: in four equal columns the Thai label
# of the PDF button was cut ("เอกสารประกอบการประชุม (…").
actions = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="center")
actions.page_link(
    nav_page("present", "pages/present.py"),
    label=t("chair.present"),
    icon=":material/slideshow:",
    query_params={"fy": str(rnd.fiscal_year), "m": str(rnd.months), "view": "summary"},
)
stem = committee_pack.file_name(data, "").rstrip(".")


def _pack(kind: str):
    def build() -> bytes:
        builder = {"pdf": committee_pack.build_pdf, "pptx": committee_pack.build_pptx, "xlsx": committee_pack.build_xlsx}
        # the meeting the pack is prepared for (its next, else its latest, of the round)
        meeting = cache.read(committee_pack.meeting_for, round_id=rnd.id)
        return builder[kind](data, lang=lang(), meeting=meeting)

    return build


for kind, mime in (
    ("pdf", "application/pdf"),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
):
    actions.download_button(
        t(f"chair.pack_{kind}"),
        _pack(kind),
        file_name=f"{stem}.{kind}",
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        width="content",
    )


# ---------------------------------------------------------------- attention
def _attention_tabs(
    attention: pd.DataFrame, fy: int, months: int
) -> list[tuple[str, list[tuple[str, dict]], tuple[str, dict] | None]]:
    """Per kind that has items: the tab label, at most ATTENTION_LINKS (label, query) links to
    heatmap cells (each link is a widget) and the link to the rest, which are one click away in
    the heatmap filtered to the same kind. Built once per round, language and data version."""
    round_query = {"fy": str(fy), "m": str(months)}
    language = lang()
    kinds = attention["kind"].to_numpy()
    wanted = [c for c in _ATTENTION_LINK_COLUMNS if c in attention.columns]
    found = {kind: np.flatnonzero(kinds == kind) for kind in pd.unique(kinds)}  # in the order the kinds come
    # every kind's first few rows as dicts, in one take: itertuples over every column, or a take per
    # kind, costs several ms a rebuild
    first = np.concatenate([rows[:ATTENTION_LINKS] for rows in found.values()])
    records = iter(attention[wanted].take(first).to_dict("records"))
    tabs = []
    for kind, rows in found.items():
        links = []
        for row in itertools.islice(records, min(len(rows), ATTENTION_LINKS)):
            sub_name, agency = names.sub_issue_name(row, language), names.agency_name(row, language)
            value = row["progress_pct"]
            progress = "" if pd.isna(value) else f" · {t('overview.pct', value=fmt_pct(value))}"
            label = f"{md(agency)} · {md(row['sub_issue_code'])} {md(sub_name)}{progress}"
            links.append((label, round_query | {"cell": heatmap.cell_key(row["agency_code"], row["sub_issue_code"])}))
        rest = None
        if len(rows) > ATTENTION_LINKS:
            status = {"not_reported": "not_reported", "returned": "returned", "delayed": "delayed"}.get(kind)
            rest = (
                t("chair.more_in_heatmap", n=len(rows) - ATTENTION_LINKS),
                round_query | ({"status": status} if status else {}),
            )
        tabs.append((f"{t('overview.kind.' + kind)} ({len(rows)})", links, rest))
    return tabs


OVERDUE_SHOWN = 5  # overdue directives linked on the overview; the Meetings page lists them all
# meetings' directives: no report changes them, so a deadline's saves leave this cached
overdue = cache.cached_plan(meetings.overdue_directives, actor=actor, today=date.today())
attention_col, directives_col = st.columns([2, 1]) if overdue else (st.container(), None)
with attention_col:
    subheader(t("overview.attention"))
    if data.attention.empty:
        st.success(t("overview.no_attention"), icon=":material/task_alt:")
    else:
        attention_tabs = cache.view(
            functools.partial(_attention_tabs, data.attention, rnd.fiscal_year, rnd.months),
            view_key=("overview_attention", rnd.id, lang()),
            basis=basis,
        )
        heatmap_page = nav_page("heatmap", "pages/heatmap.py")
        for tab, (_, links, rest) in zip(st.tabs([label for label, _, _ in attention_tabs]), attention_tabs, strict=True):
            with tab:
                for label, query in links:
                    st.page_link(heatmap_page, label=label, icon=":material/grid_on:", query_params=query)
                if rest is not None:
                    st.page_link(heatmap_page, label=rest[0], icon=":material/more_horiz:", query_params=rest[1])
if directives_col is not None:  # the chair's directives past their due date, beside the attention list
    with directives_col:
        subheader(t("overview.overdue_directives", n=len(overdue)))
        meetings_page = nav_page("meetings", "pages/meetings.py")
        for d in overdue[:OVERDUE_SHOWN]:  # a short link (a page link is one line) and the directive below it
            label = t(
                "overview.overdue_directive",
                ref=t("meeting.number", number=d.meeting_number, year=d.meeting_year),
                due=fmt_date(d.due_on, short=True),
            )
            st.page_link(
                meetings_page,
                label=label,
                icon=":material/assignment_late:",
                query_params={"meeting": str(d.meeting_id), "directive": str(d.id)},
            )
            answered = sum(a.answer_id is not None for a in d.agencies)
            st.caption(f"{t('overview.overdue_answered', answered=answered, total=len(d.agencies))} · {md(clip(d.text, 160))}")
        if len(overdue) > OVERDUE_SHOWN:
            st.caption(t("overview.overdue_more", n=len(overdue) - OVERDUE_SHOWN))


# ---------------------------------------------------------------- trend, projection, evaluation
def _trend_chart(series: pd.DataFrame) -> dict:  # a chart spec, built once per view
    trend = series.copy()
    rounds = dict.fromkeys(zip(trend["fiscal_year"], trend["months"], strict=True))  # one label per round, not per row
    label = {(fy, m): t("round.short", fy=fy, months=m) for fy, m in rounds}
    trend["round"] = [label[key] for key in zip(trend["fiscal_year"], trend["months"], strict=True)]
    trend["line"] = trend["series"].map(
        {s: t("overview.series.overall") if s == OVERALL else t("heatmap.main_short", n=int(s)) for s in trend["series"].unique()}
    )
    expected_line = t("overview.series.expected")
    expected = trend[trend["series"] == OVERALL].assign(line=expected_line, actual=lambda f: f["expected"])
    return charts.round_trend_spec(  # the chart's structure built once; a save brings new figures only
        pd.concat([trend, expected], ignore_index=True),
        expected_line=expected_line,
        labels={"progress": t("col.progress"), "round": t("entry.round")},
    )


def _arrow(columns: dict[str, pd.Series]) -> pa.Table:
    # one thread: on a few hundred rows a thread pool costs more than it saves
    return pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False, nthreads=1)


def _tables(data: RoundOverview) -> dict[str, object]:
    """The page's tables as Arrow, which st.dataframe ships as they are, and its highlight cards:
    built once per round, language and data version instead of on every rerun."""
    history, projection, highlights, agencies = data.evaluations, data.projection, data.highlights, data.agencies
    more = highlights.iloc[HIGHLIGHT_CARDS:]
    level = "level_en" if en else "level_th"
    return {
        "evaluations": None
        if len(history) <= 1
        else _arrow(
            {
                t("overview.col.fiscal_year"): history["fiscal_year"],
                t("overview.col.score"): history["score"],
                t("overview.col.level"): history[level],
            }
        ),
        "projection": None
        if projection.empty
        else _arrow(
            {
                t("overview.col.agency"): names.column(projection, "agency_short_name", lang()),
                t("overview.col.sub_issue"): projection["sub_issue_code"],
                t("overview.col.plan_progress"): projection["plan_progress"].astype(float).round(1),
                t("overview.col.projected_end"): projection["projected_end"].astype(float).round(1),
            }
        ),
        # the first HIGHLIGHT_CARDS as cards; at ministry scale a round has dozens, so the rest are
        # rows of one table (a card is three elements per run and a wall of cards reads badly on a projector)
        "cards": [
            (
                f"**{md(names.agency_name(row, lang()))} · {md(row['sub_issue_code'])} {md(names.sub_issue_name(row, lang()))}**",
                clip(row["achievements"]),
            )
            for row in highlights.head(HIGHLIGHT_CARDS).to_dict("records")
        ],
        "more_highlights": None
        if more.empty
        else _arrow(
            {
                t("overview.col.agency"): names.column(more, "agency_short_name", lang()),
                t("overview.col.sub_issue"): more["sub_issue_code"],
                t("overview.col.achievements"): more["achievements"],
            }
        ),
        "agencies": _arrow(
            {
                t("overview.col.agency"): names.column(agencies, "agency_short_name", lang()),
                t("overview.col.weighted"): agencies["weighted_progress"].astype(float).round(1),
                t("chair.col.submitted"): agencies["submitted"].astype(int),
                t("chair.col.assigned"): agencies["assigned"].astype(int),
                t("overview.col.approved"): agencies["approved"].astype(int),
                t("overview.col.delayed"): agencies["delayed"].astype(int),
                t("overview.col.returned"): agencies["returned"].astype(int),
                t("overview.col.not_reported"): agencies["not_reported"].astype(int),
            }
        ),
    }


PROJECTION_ROWS_SHOWN = 12  # the rest are one click away, in a data grid
tables = cache.view(functools.partial(_tables, data), view_key=("overview_tables", rnd.id, lang()), basis=basis)
left, right = st.columns([3, 2], gap="medium")
with left:
    subheader(t("overview.trend"))
    if data.trend.empty:
        st.info(t("chair.no_trend"))
    else:
        trend_key = ("overview_trend", rnd.id, lang())  # with the overview's basis: everything the chart shows
        st.vega_lite_chart(
            cache.chart_spec(functools.partial(_trend_chart, data.trend), view_key=trend_key, basis=basis), width="stretch"
        )
        st.caption(t("overview.trend_note"))
with right:
    subheader(t("overview.evaluation"))
    ev = data.latest_evaluation
    if ev is None:
        st.info(t("overview.no_evaluation"))
    else:
        st.metric(
            t("overview.evaluation_level", level=md(ev.level_en if en and ev.level_en else ev.level_th), fy=ev.fiscal_year),
            f"{ev.score:.2f}",
            border=True,
        )
        if tables["evaluations"] is not None:
            st.dataframe(tables["evaluations"], hide_index=True, width="stretch")
    subheader(t("overview.projection"))
    if tables["projection"] is None:
        st.success(t("overview.no_projection"), icon=":material/task_alt:")
    else:
        # a table that wraps its headers and cells between Thai words, so all four columns fit a
        # third of a laptop screen and a phone (a data grid keeps one line per header and is cut)
        # the lowest PROJECTION_ROWS_SHOWN as that table; at ministry scale hundreds of items can
        # miss, and a styled table of all of them costs ~60 ms a rerun: the rest in a data grid
        rows = tables["projection"]
        # st.table reads its cells as Markdown: names are escaped as md() does, so they show as text
        shown = rows.slice(0, PROJECTION_ROWS_SHOWN).to_pandas()
        for column in shown.columns[shown.dtypes.map(lambda d: not pd.api.types.is_numeric_dtype(d))]:
            shown[column] = shown[column].map(md)
        st.table(shown.style.format(precision=1).hide(axis="index"))
        if rows.num_rows > PROJECTION_ROWS_SHOWN:
            with st.expander(t("overview.projection_all", n=rows.num_rows)):
                st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(t("overview.projection_rule"))

# ---------------------------------------------------------------- highlights
subheader(t("overview.highlights"))
if not tables["cards"]:
    st.caption(t("overview.no_highlights"))
for card_title, achievements in tables["cards"]:
    with st.container(border=True):
        st.markdown(card_title)
        st.text(achievements)
if tables["more_highlights"] is not None:
    with st.expander(t("overview.more_highlights", n=tables["more_highlights"].num_rows)):
        st.dataframe(tables["more_highlights"], hide_index=True, width="stretch")

# ---------------------------------------------------------------- alignment
aligned = cache.view(  # once per change of the round's figures (basis) or of the plan's alignment (plan version)
    functools.partial(overview.by_alignment, data.cells, cache.alignment(rnd.plan_id)),
    view_key=("overview_alignment", rnd.id, cache.plan_version()),
    basis=basis,
)
if not aligned.empty:
    subheader(t("overview.alignment"))
    kinds = [k for k in ("strategy", "master_plan", "ministry_plan") if (aligned["kind"] == k).any()]
    for tab, kind in zip(st.tabs([t(f"plan.kind.{k}") for k in kinds]), kinds, strict=True):
        part = aligned[aligned["kind"] == kind]
        tab.dataframe(
            pd.DataFrame(
                {
                    t("overview.col.alignment"): names.column(part, "name_th", lang()),
                    t("overview.col.sub_issues"): part["sub_issues"],
                    t("overview.col.submitted"): [
                        figures.fraction(x, y) for x, y in zip(part["submitted"], part["assigned"], strict=True)
                    ],
                    t("overview.col.weighted"): part["weighted_progress"].astype(float).round(1),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                t("overview.col.weighted"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f%%"),
            },
        )
    st.caption(t("overview.alignment_rule"))

# ---------------------------------------------------------------- per agency
subheader(t("overview.agencies"))
st.dataframe(
    tables["agencies"],
    hide_index=True,
    width="stretch",
    column_config={
        t("overview.col.weighted"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f%%"),
    },
)
st.caption(t("chair.sort_hint"))
