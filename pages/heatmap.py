"""Heatmap: every agency across the sub-issues for a chosen round, with margins and downloads.
The URL carries round, measure and filters, so a pasted link opens the same view."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from core import charts, runtime
from core.ui import fmt_datetime, round_label, t
from services import heatmap, rounds

actor = runtime.require_actor("heatmap")
st.title(t("heatmap.title"))
with runtime.read_session() as session:
    all_rounds, current = rounds.plan_rounds(session=session)
if not all_rounds:
    st.info(t("home.no_round"))
    st.stop()

params = st.query_params
by_key = {(r.fiscal_year, r.months): r for r in all_rounds}
keys = [(r.fiscal_year, r.months) for r in reversed(all_rounds)]
try:
    wanted = (int(params.get("fy", "")), int(params.get("m", "")))
except ValueError:
    wanted = (current.fiscal_year, current.months) if current else keys[0]
if wanted not in by_key:
    wanted = (current.fiscal_year, current.months) if current else keys[0]
measure_param = params.get("measure", "progress")
c1, c2, c3 = st.columns([2, 2, 2])
chosen = c1.selectbox(t("entry.round"), keys, index=keys.index(wanted), format_func=lambda k: round_label(*k))
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
    ["plan", "progress", "missing"],
    format_func=lambda s: t(f"heatmap.sort.{s}"),
    index=["plan", "progress", "missing"].index(params.get("sort", "plan"))
    if params.get("sort", "plan") in ("plan", "progress", "missing")
    else 0,
)
rnd = by_key[chosen]

with runtime.read_session() as session:
    cells = heatmap.cells(session=session, round_id=rnd.id)
    agency_margin = heatmap.by_agency(session=session, round_id=rnd.id)
    main_margin = heatmap.by_main_issue(session=session, round_id=rnd.id)
    total = heatmap.overall(session=session, round_id=rnd.id)

mains = sorted(cells["main_issue_number"].unique().tolist())
main_filter = st.pills(
    t("heatmap.filter_main"),
    mains,
    selection_mode="multi",
    format_func=lambda n: t("heatmap.main_short", n=n),
    default=[int(x) for x in params.get("main", "").split(",") if x.isdigit() and int(x) in mains] or None,
)
if main_filter:
    cells = cells[cells["main_issue_number"].isin(main_filter)]

# keep the view in the URL
st.query_params.update(
    {
        "fy": str(rnd.fiscal_year),
        "m": str(rnd.months),
        "measure": measure,
        "sort": sort,
        "main": ",".join(str(n) for n in main_filter or []),
    }
)

order = agency_margin.set_index("agency_code")
if sort == "progress":
    cells = cells.assign(agency_order=cells["agency_code"].map(-order["weighted_progress"].fillna(0)))
elif sort == "missing":
    missing = order["assigned"] - order["reported"]
    cells = cells.assign(agency_order=cells["agency_code"].map(-missing))
cells = cells.assign(updated_at_text=cells["updated_at"].map(lambda d: fmt_datetime(d) if pd.notna(d) and d else ""))

m1, *rest = st.columns(1 + len(main_margin))
m1.metric(t("heatmap.overall"), "-" if total is None else f"{total:.2f}%")
for col, (_, row) in zip(rest, main_margin.iterrows(), strict=False):
    col.metric(t("heatmap.main_short", n=int(row["main_issue_number"])), f"{row['weighted_progress']:.2f}%")

labels = {
    "x": t("col.sub_issue"),
    "agency": t("users.agency"),
    "sub_issue": t("col.sub_issue"),
    "progress": t("col.progress"),
    "status": t("field.status"),
    "state": t("col.state"),
    "target": t("entry.target"),
    "actual": t("field.actual_value"),
    "unit": t("heatmap.unit"),
    "updated_by": t("history.who"),
    "updated_at": t("history.when"),
    "change": t("heatmap.measure.change"),
}
labels |= {
    f"state.{s}": t(f"state.{'missing' if s == 'not_reported' else s}") for s in heatmap.CELL_STATES if s != "not_assigned"
}
labels |= {f"status.{s}": t(f"status.{s}") for s in charts.STATUS_COLOURS}
st.altair_chart(charts.heatmap(cells, measure=measure, labels=labels), width="stretch")
st.caption(t("heatmap.legend"))

st.subheader(t("heatmap.by_agency"))
table = agency_margin.merge(cells[["agency_code", "agency_short_name"]].drop_duplicates(), on="agency_code")
st.dataframe(
    pd.DataFrame(
        {
            t("users.agency"): table["agency_short_name"],
            t("col.progress"): table["weighted_progress"].astype(float).round(2),
            t("heatmap.reported"): table["reported"].astype(str) + "/" + table["assigned"].astype(str),
            t("status.delayed"): table["delayed"],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={t("col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.2f%%")},
)

grid = cells.pivot_table(
    index="agency_short_name", columns="sub_issue_code", values="progress_pct", aggfunc="first", sort=False
).astype("float64")
d1, d2 = st.columns(2)
d1.download_button(
    t("heatmap.download_csv"),
    grid.to_csv().encode("utf-8-sig"),
    icon=":material/download:",
    file_name=f"heatmap-{rnd.fiscal_year}-{rnd.months}m.csv",
    mime="text/csv",
)


def _excel() -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        grid.to_excel(writer, sheet_name="progress")
        cells.drop(columns=["updated_at"]).to_excel(writer, sheet_name="cells", index=False)
    return buf.getvalue()


d2.download_button(
    t("heatmap.download_xlsx"),
    _excel,
    icon=":material/download:",
    file_name=f"heatmap-{rnd.fiscal_year}-{rnd.months}m.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
