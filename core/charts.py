"""Altair chart builders (pure: DataFrame in, chart out), shared by pages and exports."""

from __future__ import annotations

import base64
import functools
from pathlib import Path

import altair as alt
import pandas as pd

from core.palette import DARK_TEXT, NOT_ASSIGNED_FILL, NOT_REPORTED_BORDER, SELECTED_OUTLINE, STATUS_COLOURS

MEASURES = ("progress", "status", "change")
# workflow-state marks drawn after the figure; all of them are glyphs of the bundled Sarabun, so
# the page and the PNG/SVG/PDF exports draw the same symbol
STATE_MARKS = {"draft": "*", "submitted": "→", "approved": "√", "returned": "←"}


def cell_number(progress: float) -> str:
    """A cell's progress as a whole number that never claims what is not there: 99.8 is "99",
    not "100" (a delayed item drawn as "100√" reads as done); 0.3 is "0"."""
    whole = round(progress)
    if whole >= 100 > progress:
        whole = 99
    return f"{whole:.0f}"


FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT = "Sarabun"
SELECTION = "cell"  # the click selection's name; its value carries agency_code and sub_issue_code
COMPACT_AT = 24
BOTTOM = alt.Legend(
    orient="bottom", gradientLength=240
)  # more agencies or sub-issues than this: smaller cells, state marks without numbers


def heatmap(cells: pd.DataFrame, *, measure: str, labels: dict[str, str], large: bool = False) -> alt.FacetChart:
    """Agencies × sub-issues, one column group per main issue (in plan order, headed by its name).

    Not-assigned cells are pale and empty; not-reported cells are white with a dashed red border
    and "?"; reported cells are coloured by `measure` and marked with their workflow state
    (* draft, → submitted, √ approved, ← returned), so no state relies on colour alone.
    Optional columns: ``match`` (False dims the cell: it is outside the status filter),
    ``selected`` (True outlines the cell shown in the detail panel), ``main_issue_label`` (the
    column-group header: keep it short, the groups are only a few cells wide).
    Clicking a cell sets the point selection ``cell``. ``large`` draws big cells and type for a
    projector (presentation mode).
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    data = cells.copy()
    data["progress"] = data["progress_pct"].astype("float64")
    data["change"] = data["change_pct"].astype("float64")
    n_agencies, n_subs = data["agency_code"].nunique(), data["sub_issue_code"].nunique()
    compact = n_agencies > COMPACT_AT or n_subs > COMPACT_AT
    mark = data["state"].map(STATE_MARKS).fillna("")
    number = data["progress"].map(lambda p: "" if pd.isna(p) or compact else cell_number(p))
    data["label"] = (number + mark).where(data["state"] != "not_reported", "?").where(data["state"] != "not_assigned", "")
    data["state_label"] = data["state"].map(lambda s: labels.get(f"state.{s}", s))
    data["status_label"] = data["status"].map(lambda s: labels.get(f"status.{s}", "") if s else "")
    data["match"] = data["match"].astype(bool) if "match" in data else True
    data["selected"] = data["selected"].astype(bool) if "selected" in data else False
    if "main_issue_label" not in data:
        data["main_issue_label"] = data["main_issue_number"].astype(str)
    data = data.drop(columns=[c for c in ("updated_at", "progress_pct", "change_pct") if c in data])

    x_order = list(dict.fromkeys(data.sort_values(["main_issue_number", "sub_issue_order"])["sub_issue_code"]))
    y_order = list(dict.fromkeys(data.sort_values(["agency_order"], kind="stable")["agency_short_name"]))
    main_order = list(dict.fromkeys(data.sort_values("main_issue_number")["main_issue_label"]))
    step_x, step_y, font_size = (26, 20, 10) if compact else (34, 28, 11)
    label_size = 11 if compact else 12
    if large and not compact:
        step_x, step_y, font_size, label_size = 72, 48, 18, 20
    x = alt.X(
        "sub_issue_code:N",
        sort=x_order,
        title=None,
        axis=alt.Axis(orient="top", labelAngle=-90 if compact else 0, labelFontSize=label_size, labelOverlap=False, ticks=False),
    )
    y = alt.Y(
        "agency_short_name:N",
        sort=y_order,
        title=None,
        axis=alt.Axis(labelLimit=320, labelFontSize=label_size, labelOverlap=False, ticks=False),
    )
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
    dim = alt.condition("datum.match", alt.value(1.0), alt.value(0.18))
    base = alt.Chart().encode(x=x, y=y)
    empty = base.transform_filter(alt.datum.state == "not_assigned").mark_rect(fill=NOT_ASSIGNED_FILL, stroke="white")
    missing = (
        base.transform_filter(alt.datum.state == "not_reported")
        .mark_rect(fill="white", stroke=NOT_REPORTED_BORDER, strokeDash=[4, 3], strokeWidth=2)
        .encode(opacity=dim)
    )
    reported = base.transform_filter((alt.datum.state != "not_assigned") & (alt.datum.state != "not_reported"))
    if measure == "progress":
        colour = alt.Color(
            "progress:Q", title=labels["progress"], scale=alt.Scale(scheme="viridis", domain=[0, 100]), legend=BOTTOM
        )
    elif measure == "change":
        colour = alt.Color("change:Q", title=labels["change"], scale=alt.Scale(scheme="blueorange", domainMid=0), legend=BOTTOM)
    else:
        colour = alt.Color(
            "status:N",
            title=labels["status"],
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=alt.Legend(
                orient="bottom",
                columns=3,
                labelLimit=200,
                labelExpr=_label_expr({k: labels.get(f"status.{k}", k) for k in STATUS_COLOURS}),
            ),
        )
    filled = reported.mark_rect(stroke="white", strokeWidth=1).encode(color=colour, opacity=dim)
    if measure == "progress":  # viridis is dark at the low end, pale yellow at the top
        dark_text = "datum.state == 'not_reported' || datum.progress >= 70"
    elif measure == "change":
        dark_text = "true"
    else:
        dark_text = "datum.state == 'not_reported'"
    text = (
        base.transform_filter(alt.datum.state != "not_assigned")
        .mark_text(fontSize=font_size, fontWeight="bold")
        .encode(
            text="label:N",
            color=alt.condition(dark_text, alt.value(DARK_TEXT), alt.value("white")),
            opacity=dim,
        )
    )
    chosen = base.transform_filter(alt.datum.selected).mark_rect(filled=False, stroke=SELECTED_OUTLINE, strokeWidth=3)
    # an invisible cell-sized layer on top takes the clicks and the tooltips for every assigned cell
    cell = alt.selection_point(name=SELECTION, fields=["agency_code", "sub_issue_code"], on="click", clear=False)
    hits = (
        base.transform_filter(alt.datum.state != "not_assigned")
        .mark_rect(fill="#000000", fillOpacity=0, cursor="pointer")
        .encode(tooltip=tooltip)
        .add_params(cell)
    )
    layers = alt.layer(empty, missing, filled, text, chosen, hits).properties(width=alt.Step(step_x), height=alt.Step(step_y))
    return (
        layers.facet(
            column=alt.Column(
                "main_issue_label:N",
                sort=main_order,
                title=None,
                header=alt.Header(labelFontSize=12, labelFontWeight="bold", labelOrient="top"),
            ),
            data=data,
            spacing=8,
        )
        .resolve_scale(x="independent")
        .configure(font=FONT)
        .configure_view(strokeWidth=0)
    )


def spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The chart's Vega-Lite dict, its data inlined whatever its size. Altair refuses more than
    5,000 rows by default; a heatmap of 1,000 agencies × 40 sub-issues has 40,000 cells."""
    if isinstance(chart, dict):
        return dict(chart)
    with alt.data_transformers.disable_max_rows():
        return chart.to_dict(validate=False)


def round_trend(lines: pd.DataFrame, *, expected_line: str, labels: dict[str, str]) -> alt.Chart:
    """The overview's trend: one line per series over the rounds, `expected_line` dashed.
    ``lines``: ``round`` (label, in order), ``line`` (series label), ``actual`` (%)."""
    order = list(dict.fromkeys(lines["round"]))
    domain = list(dict.fromkeys(lines["line"]))
    return (
        alt.Chart(lines[["round", "line", "actual"]])
        .mark_line(point=True)
        .encode(
            x=alt.X("round:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("actual:Q", title=labels["progress"], scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=domain, scheme="tableau10"),
                legend=alt.Legend(orient="bottom", columns=3, labelLimit=220),  # wraps instead of running off a phone
            ),
            strokeDash=alt.condition(alt.datum.line == expected_line, alt.value([5, 4]), alt.value([1, 0])),
            tooltip=[
                alt.Tooltip("round:N", title=labels["round"]),
                alt.Tooltip("line:N", title=" "),
                alt.Tooltip("actual:Q", title=labels["progress"], format=".1f"),
            ],
        )
        .properties(height=320)
    )


def item_trend(trend: pd.DataFrame, *, labels: dict[str, str]) -> alt.LayerChart:
    """One item's progress over the plan's rounds (points joined by a line; gaps where nothing
    was filed) against the progress each round expects (dashed). Needs ``round_label``."""
    data = trend.assign(progress=trend["progress_pct"].astype("float64"), expected=trend["expected_pct"].astype("float64"))[
        ["round_label", "progress", "expected", "selected"]
    ]
    order = list(data["round_label"])
    x = alt.X("round_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45))
    y = alt.Y("value:Q", title=labels["progress"], scale=alt.Scale(domain=[0, 100]))
    long = data.melt(id_vars=["round_label", "selected"], value_vars=["progress", "expected"], var_name="series")
    long["series_label"] = long["series"].map({"progress": labels["progress"], "expected": labels["expected"]})
    colour = alt.Color(
        "series_label:N",
        title=None,
        scale=alt.Scale(domain=[labels["progress"], labels["expected"]], range=["#0072B2", "#999999"]),
        legend=alt.Legend(orient="bottom"),
    )
    dash = alt.StrokeDash(
        "series_label:N", scale=alt.Scale(domain=[labels["progress"], labels["expected"]], range=[[1, 0], [4, 3]]), legend=None
    )
    lines = alt.Chart(long).mark_line(point=True).encode(x=x, y=y, color=colour, strokeDash=dash)
    now = (
        alt.Chart(long)
        .transform_filter(alt.datum.selected & (alt.datum.series == "progress"))
        .mark_point(size=140, filled=False, color=SELECTED_OUTLINE, strokeWidth=2)
        .encode(x=x, y=y)
    )
    return alt.layer(lines, now).properties(height=200)


def render_svg(chart: alt.TopLevelMixin | dict) -> str:
    """A static SVG of the chart (text kept as text, Sarabun embedded), for downloads."""
    import vl_convert as vlc

    _register_fonts(vlc)
    svg = vlc.vegalite_to_svg(_static(chart))
    style = (
        "<defs><style>@font-face{font-family:'Sarabun';"
        f"src:url(data:font/ttf;base64,{_font_b64('Sarabun-Regular.ttf')}) format('truetype');font-weight:400}}"
        "@font-face{font-family:'Sarabun';"
        f"src:url(data:font/ttf;base64,{_font_b64('Sarabun-Bold.ttf')}) format('truetype');font-weight:700}}"
        "</style></defs>"
    )
    head_end = svg.index(">", svg.index("<svg")) + 1
    return svg[:head_end] + style + svg[head_end:]


def render_png(chart: alt.TopLevelMixin | dict, *, scale: float = 2.0) -> bytes:
    """A PNG of the chart with Thai shaped correctly.

    vl-convert's own PNG path misplaces Thai vowels and tone marks (สำ, ที่ and ผู้ come out
    wrong), so the SVG is rasterised by resvg, which shapes text with HarfBuzz's port and the
    bundled Sarabun."""
    import resvg_py
    import vl_convert as vlc

    _register_fonts(vlc)
    svg = vlc.vegalite_to_svg(_static(chart))
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, font_dirs=[str(FONT_DIR)], zoom=scale))


def _static(chart: alt.TopLevelMixin | dict) -> dict:
    static = spec(chart)
    if any(isinstance(rows, bytes) for rows in static.get("datasets", {}).values()):
        static["datasets"] = {name: _rows(data) for name, data in static["datasets"].items()}
    static.setdefault("config", {})["font"] = FONT
    static.setdefault("background", "white")
    return static


def _rows(data: bytes | list) -> list:
    """A dataset as JSON rows, also from the Arrow IPC bytes a page's cached spec carries."""
    if not isinstance(data, bytes):
        return data
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().to_pylist()


_FONTS_REGISTERED = False


def _register_fonts(vlc) -> None:
    global _FONTS_REGISTERED  # once per process: vl-convert keeps a global font database
    if not _FONTS_REGISTERED:
        vlc.register_font_directory(str(FONT_DIR))
        _FONTS_REGISTERED = True


@functools.cache
def _font_b64(name: str) -> str:
    return base64.b64encode((FONT_DIR / name).read_bytes()).decode("ascii")


def _label_expr(mapping: dict[str, str]) -> str:
    parts = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in mapping.items())
    return f"{parts} : datum.label"
