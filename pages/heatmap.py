"""Heatmap: every agency across the sub-issues for a chosen round, with margins, a detail panel
for the clicked cell and downloads. The URL carries round, measure, sort, filters and the open
cell, so a pasted link opens the same view."""

from __future__ import annotations

import functools

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import charts, names
from services import figures, heatmap, progress
from services.errors import UserFacingError
from services.overview import fmt_pct
from ui import boot, cache
from ui.nav import round_picker
from ui.session import require_actor
from ui.widgets import chart_labels, clip, evidence_item, fmt_datetime, lang, md, show_refusal, subheader, t, thai_words, title

actor = require_actor("heatmap")
settings = boot.settings()
title(t("heatmap.title"))

SORTS = heatmap.VIEW_SORTS
# the status filter: a report's status, or one of the two states that need action
FILTERS = ("delayed", "not_started", "on_track", "completed", "cancelled", "not_reported", "returned")


def _param_list(name: str, allowed) -> list:
    return [v for v in st.query_params.get(name, "").split(",") if v in allowed]


params = st.query_params
measure_param = params.get("measure", "progress")
sort_param = params.get("sort", "plan")

c1, c2, c3 = st.columns([2, 3, 2])
rnd = round_picker(c1, key="heatmap_round")
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
measure = (
    c2.segmented_control(
        t("heatmap.measure"),
        list(charts.MEASURES),
        format_func=lambda m: t(f"heatmap.measure.{m}"),
        default=measure_param if measure_param in charts.MEASURES else "progress",
    )
    or "progress"
)
sort = c3.selectbox(
    t("heatmap.sort"),
    SORTS,
    format_func=lambda s: t(f"heatmap.sort.{s}"),
    index=SORTS.index(sort_param) if sort_param in SORTS else 0,
)
grid_data = cache.round_grid(rnd.id)
main_margin, total = grid_data.by_main_issue, grid_data.overall

mains = sorted(grid_data.cells["main_issue_number"].unique().tolist())
f1, f2 = st.columns(2)
main_filter = f1.pills(
    t("heatmap.filter_main"),
    mains,
    selection_mode="multi",
    format_func=lambda n: t("heatmap.main_pill", n=n),
    default=[int(x) for x in params.get("main", "").split(",") if x.isdigit() and int(x) in mains] or None,
)
# pills, not a multiselect: a multiselect's chosen tags are cut to a few letters ("ยังไม่ราย…");
# the pills wrap onto more rows instead of scrolling out of sight, each label whole
st.html(
    "<style>.st-key-heatmap_status div:has(> button){flex-wrap:wrap;overflow-x:visible}"
    ".st-key-heatmap_status button,.st-key-heatmap_status button *{overflow:visible;text-overflow:clip}</style>"
)
status_filter = f2.pills(
    t("heatmap.filter_status"),
    FILTERS,
    selection_mode="multi",
    help=t("layout.filter_status_help"),
    key="heatmap_status",
    format_func=lambda s: (
        t("state.missing") if s == "not_reported" else t(f"status.{s}" if s != "returned" else "state.returned")
    ),
    default=_param_list("status", FILTERS) or None,
)
tags = cache.alignment(rnd.plan_id)
tag_of = {a.tag_id: a for a in tags if a.sub_issue_ids}
align_filter = (
    st.multiselect(
        t("heatmap.filter_alignment"),
        list(tag_of),
        placeholder=t("heatmap.filter_alignment_all"),
        format_func=lambda i: f"{t('plan.kind.' + tag_of[i].kind)}: {names.pick(tag_of[i].name_th, tag_of[i].name_en, lang())}",
        default=[int(x) for x in params.get("align", "").split(",") if x.isdigit() and int(x) in tag_of],
    )
    if tag_of
    else []
)
aligned_subs = tuple(sorted(set().union(*(tag_of[i].sub_issue_ids for i in align_filter)))) if align_filter else ()

# ---------------------------------------------------------------- which cell is open
# A click on the chart wins when it is new; otherwise the URL decides (a pasted link, or a link
# from the overview's attention list opened in this same session).
chart_event_key = "heatmap_chart"
picked = (st.session_state.get(chart_event_key) or {}).get("selection", {}).get(charts.SELECTION) or []
open_cell = heatmap.parse_cell_key(params.get("cell"))
if picked:
    clicked = (picked[0]["agency_code"], picked[0]["sub_issue_code"])
    if clicked != st.session_state.get("_heatmap_last_click"):
        st.session_state["_heatmap_last_click"] = open_cell = clicked

st.query_params.update(
    {
        "fy": str(rnd.fiscal_year),
        "m": str(rnd.months),
        "measure": measure,
        "sort": sort,
        "main": ",".join(str(n) for n in main_filter or []),
        "status": ",".join(status_filter or []),
        "align": ",".join(str(i) for i in align_filter),
        "cell": heatmap.cell_key(*open_cell) if open_cell else "",
    }
)


# ---------------------------------------------------------------- the grid
def _grid_view(grid: heatmap.RoundGrid, measure: str, **view) -> dict:
    """What the page draws from the view's cells (the chart's spec, the main-issue names, the
    per-agency table), built once per view and data version instead of on every rerun."""
    cells = heatmap.view_cells(grid, **view)
    main_names = (
        cells.assign(main_name=names.column(cells, "main_issue_name_th", lang()))[["main_issue_number", "main_name"]]
        .drop_duplicates()
        .sort_values("main_issue_number")
    )
    table = heatmap.view_agencies(grid, cells)
    return {
        "spec": cache.shippable(charts.heatmap_spec(cells, measure=measure, labels=chart_labels())),
        "empty": cells.empty,
        "tall": cells["agency_code"].nunique() > charts.COMPACT_AT,  # 100 agencies: scroll down too
        # plan names joined into one line by the app: broken between PyThaiNLP's words, not inside them
        "names": " · ".join(
            thai_words(f"{t('heatmap.main_short', n=n)}: {name}") for n, name in main_names.itertuples(index=False)
        ),
        "table": pa.Table.from_pandas(
            pd.DataFrame(
                {
                    t("users.agency"): names.column(table, "agency_short_name", lang()),
                    t("col.progress"): table["weighted_progress"].astype(float).round(1),
                    # sent or approved of assigned: the count the overview and every pack file show
                    t("overview.col.submitted"): [
                        figures.fraction(x, y) for x, y in zip(table["submitted"], table["assigned"], strict=True)
                    ],
                    t("status.delayed"): table["delayed"],
                }
            ),
            preserve_index=False,
            nthreads=1,  # (a thread pool costs more than it saves on a few hundred rows)
        ),
    }


view_args = {
    "sort": sort,
    "main_filter": tuple(main_filter or ()),
    "status_filter": tuple(status_filter or ()),
    "sub_issue_filter": aligned_subs,
    "open_cell": open_cell,
    "language": lang(),
}
grid_view = cache.view(
    functools.partial(_grid_view, grid_data, measure, **view_args),
    view_key=("heatmap_grid", rnd.id, measure, *view_args.values()),
    basis=cache.grid_basis(rnd.id),  # built again only when the grid changed, not after every write
)
chart = grid_view["spec"]

m1, *rest = st.columns(1 + len(main_margin))
m1.metric(t("heatmap.overall"), t("overview.pct", value=fmt_pct(total)))  # aggregates: as the overview shows them
for col, (_, row) in zip(rest, main_margin.iterrows(), strict=False):
    col.metric(
        t("heatmap.main_short", n=int(row["main_issue_number"])), t("overview.pct", value=fmt_pct(row["weighted_progress"]))
    )

labels = chart_labels()


def detail_panel() -> None:
    if open_cell is None:
        st.info(t("heatmap.detail_hint"), icon=":material/touch_app:")
        return
    try:
        detail = cache.read(
            heatmap.cell_detail, actor=actor, round_id=rnd.id, agency_code=open_cell[0], sub_issue_code=open_cell[1]
        )
    except UserFacingError as exc:
        show_refusal(exc)
        return
    if detail is None:
        st.warning(t("heatmap.detail_missing", cell=md(heatmap.cell_key(*open_cell))), icon=":material/help:")
        return
    agency_name, sub_name = names.agency_full_name(detail.agency, lang()), names.sub_issue_name(detail.sub_issue, lang())
    subheader(f"{names.agency_name(detail.agency, lang())} · {detail.sub_issue.code}")
    st.caption(f"{md(agency_name)} — {md(sub_name)}")
    state_key = "state.missing" if detail.state == "not_reported" else f"state.{detail.state}"
    if detail.state == "not_assigned":
        st.info(t("heatmap.not_assigned"), icon=":material/block:")
        return
    report, assignment = detail.report, detail.assignment
    unit = md(names.unit_name(assignment, lang())) if assignment is not None else ""
    st.markdown(f"**{t('col.state')}:** {t(state_key)}")
    if report is None:
        st.warning(t("heatmap.detail_not_reported"), icon=":material/report:")
    else:
        figures = {
            t("col.progress"): "-" if report.progress_pct is None else f"{float(report.progress_pct):.2f}%",
            t("entry.target"): "-" if assignment.target_value is None else f"{float(assignment.target_value):,.2f} {unit}",
            t("field.actual_value"): "-" if report.actual_value is None else f"{float(report.actual_value):,.2f} {unit}",
        }
        st.markdown("  \n".join(f"**{name}:** {value}" for name, value in figures.items()))
        status = t(f"status.{getattr(report.status, 'value', report.status)}") if report.status else "-"
        st.markdown(f"**{t('field.status')}:** {status}" + (f" — {md(report.status_reason)}" if report.status_reason else ""))
        if report.updated_at:
            st.caption(t("heatmap.updated", who=md(detail.updated_by or "-"), when=fmt_datetime(report.updated_at)))
        for field in ("achievements", "obstacles", "next_steps", "evidence"):
            text = getattr(report, field)
            if text:
                st.markdown(f"**{t('field.' + field)}**")
                st.text(clip(text, progress.TEXT_LIMITS[field]))
        st.markdown(f"**{t('evidence.title')}**")
        if not detail.evidence:
            st.caption(t("evidence.none"))
        for ev in detail.evidence:
            evidence_item(st, ev, actor=actor, evidence_dir=settings.evidence_dir, key=f"hm_dl_{ev.id}")
        st.markdown(f"**{t('heatmap.comments')}**")
        if report.review_comment:
            st.warning(md(clip(report.review_comment, progress.COMMENT_LIMIT)), icon=":material/rate_review:")
        if not detail.conversation:
            st.caption(t("heatmap.no_comments"))
        for event in detail.conversation:
            line = f"{fmt_datetime(event.at)} · {md(detail.people.get(event.user_id, event.username))} · {t('review.' + event.action)}"
            st.markdown(f"- {line}" + (f": {md(clip(event.comment, progress.COMMENT_LIMIT))}" if event.comment else ""))
    st.markdown(f"**{t('heatmap.trend')}**")
    trend = detail.trend.assign(
        round_label=[
            t("round.short", fy=fy, months=m) for fy, m in zip(detail.trend["fiscal_year"], detail.trend["months"], strict=True)
        ]
    )
    st.altair_chart(charts.item_trend(trend, labels=labels), width="stretch")
    st.caption(t("layout.trend_key"))


# wide grids scroll inside their frame instead of spilling over the detail panel
st.html("<style>.st-key-heatmap_frame { overflow-x: auto; }</style>")
left, right = st.columns([7, 4], gap="medium")
with left:
    if grid_view["empty"]:
        st.info(t("heatmap.no_match"), icon=":material/filter_alt_off:")
    else:
        tall = grid_view["tall"]
        with st.container(height=720 if tall else "content", border=tall, key="heatmap_frame"):
            st.vega_lite_chart(chart, width="content", on_select="rerun", selection_mode=charts.SELECTION, key=chart_event_key)
        st.caption(figures.legend_text(lang()))  # the marks the pack files draw too
        st.html(f'<p class="thai-caption">{grid_view["names"]}</p>')
with right, st.container(border=True, key="heatmap_detail"):
    detail_panel()

subheader(t("heatmap.by_agency"))  # "(ถ่วงน้ำ|หนัก)" otherwise
st.dataframe(
    grid_view["table"],
    hide_index=True,
    width="stretch",
    column_config={t("col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f%%")},
)
st.caption(t("figures.submitted_rule"))

stem = f"heatmap-{rnd.fiscal_year}-{rnd.months}m"


# every download is built when clicked, not on each rerun
def _svg() -> bytes:
    return charts.render_svg(chart).encode("utf-8")


def _png() -> bytes:
    return charts.render_png(chart, scale=2)


def _cells_download(build):
    """The view's cells through `build` (grid_csv, grid_xlsx), made when the button is clicked."""
    return lambda: build(heatmap.view_cells(grid_data, **view_args))


d1, d2, d3, d4 = st.columns(4)
d1.download_button(
    t("heatmap.download_csv"),
    _cells_download(heatmap.grid_csv),
    file_name=f"{stem}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
d2.download_button(
    t("heatmap.download_xlsx"),
    _cells_download(heatmap.grid_xlsx),
    file_name=f"{stem}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    on_click="ignore",
)
# A deferred file is made when its request arrives; a click that also reran the page would drop
# it first (MediaFileStorageError: "Deferred file ... not found"), so no download click reruns.
d3.download_button(
    t("heatmap.download_svg"), _svg, file_name=f"{stem}.svg", mime="image/svg+xml", icon=":material/image:", on_click="ignore"
)
d4.download_button(
    t("heatmap.download_png"), _png, file_name=f"{stem}.png", mime="image/png", icon=":material/image:", on_click="ignore"
)
