"""Altair chart builders (pure: DataFrame in, chart out), shared by pages and exports."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
STATUS_COLOURS = {
    "completed": "#0072B2",
    "on_track": "#009E73",
    "delayed": "#D55E00",
    "not_started": "#999999",
    "cancelled": "#000000",
}
NOT_ASSIGNED_FILL = "#eef2f7"
MEASURES = ("progress", "status", "change")


def heatmap(cells: pd.DataFrame, *, measure: str, labels: dict[str, str]) -> alt.LayerChart:
    """Agencies × sub-issues. Not-assigned cells are pale and empty; not-reported cells are white
    with a dashed red border; reported cells are coloured by `measure` and marked with their
    workflow state (✎ draft, ↩ returned, ✓ approved, • submitted)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    data = cells.copy()
    data["progress"] = data["progress_pct"].astype("float64")
    data["change"] = data["change_pct"].astype("float64")
    data["mark"] = data["state"].map({"draft": "✎", "returned": "↩", "approved": "✓", "submitted": "•"}).fillna("")
    data["label"] = data.apply(
        lambda r: (
            ""
            if r["state"] in ("not_assigned",)
            else ("?" if r["state"] == "not_reported" else f"{r['progress']:.0f}{r['mark']}")
        ),
        axis=1,
    )
    data["state_label"] = data["state"].map(lambda s: labels.get(f"state.{s}", s))
    data["status_label"] = data["status"].map(lambda s: labels.get(f"status.{s}", "") if s else "")
    x_order = list(dict.fromkeys(data.sort_values(["main_issue_number", "sub_issue_order"])["sub_issue_code"]))
    y_order = list(dict.fromkeys(data.sort_values(["agency_order"])["agency_short_name"]))
    x = alt.X("sub_issue_code:N", sort=x_order, title=labels["x"], axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("agency_short_name:N", sort=y_order, title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("agency_short_name:N", title=labels["agency"]),
        alt.Tooltip("sub_issue_code:N", title=labels["sub_issue"]),
        alt.Tooltip("sub_issue_name_th:N", title=" "),
        alt.Tooltip("progress:Q", title=labels["progress"], format=".2f"),
        alt.Tooltip("status_label:N", title=labels["status"]),
        alt.Tooltip("state_label:N", title=labels["state"]),
        alt.Tooltip("target_value:Q", title=labels["target"]),
        alt.Tooltip("actual_value:Q", title=labels["actual"]),
        alt.Tooltip("unit:N", title=labels["unit"]),
        alt.Tooltip("updated_by:N", title=labels["updated_by"]),
        alt.Tooltip("updated_at_text:N", title=labels["updated_at"]),
    ]
    base = alt.Chart(data).encode(x=x, y=y)
    empty = base.transform_filter(alt.datum.state == "not_assigned").mark_rect(fill=NOT_ASSIGNED_FILL, stroke="white")
    missing = (
        base.transform_filter(alt.datum.state == "not_reported")
        .mark_rect(fill="white", stroke="#dc2626", strokeDash=[4, 3], strokeWidth=2)
        .encode(tooltip=tooltip)
    )
    reported = base.transform_filter((alt.datum.state != "not_assigned") & (alt.datum.state != "not_reported"))
    if measure == "progress":
        colour = alt.Color("progress:Q", title=labels["progress"], scale=alt.Scale(scheme="viridis", domain=[0, 100]))
    elif measure == "change":
        colour = alt.Color("change:Q", title=labels["change"], scale=alt.Scale(scheme="blueorange", domainMid=0))
    else:
        colour = alt.Color(
            "status:N",
            title=labels["status"],
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=alt.Legend(labelExpr=_label_expr({k: labels.get(f"status.{k}", k) for k in STATUS_COLOURS})),
        )
    filled = reported.mark_rect(stroke="white", strokeWidth=1).encode(color=colour, tooltip=tooltip)
    if measure == "progress":  # viridis is dark at the low end, pale yellow at the top
        dark_text = "datum.state == 'not_reported' || datum.progress >= 70"
    elif measure == "change":
        dark_text = "true"
    else:
        dark_text = "datum.state == 'not_reported'"
    text = (
        base.transform_filter(alt.datum.state != "not_assigned")
        .mark_text(fontSize=13, fontWeight="bold")
        .encode(
            text="label:N",
            color=alt.condition(dark_text, alt.value("#111827"), alt.value("white")),
            tooltip=tooltip,
        )
    )
    width = max(320, 48 * len(x_order))
    height = max(220, 42 * len(y_order))
    return alt.layer(empty, missing, filled, text).properties(width=width, height=height)


def _label_expr(mapping: dict[str, str]) -> str:
    parts = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in mapping.items())
    return f"{parts} : datum.label"
