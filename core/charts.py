"""Altair chart builders (pure: DataFrame in, chart out), shared by pages and exports."""

from __future__ import annotations

import base64
import copy
import functools
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from core import frames, names
from core.palette import DARK_TEXT, NOT_ASSIGNED_FILL, NOT_REPORTED_BORDER, SELECTED_OUTLINE, STATUS_COLOURS, VIRIDIS

MEASURES = ("progress", "status", "change")
# workflow-state marks drawn after the figure; all of them are glyphs of the bundled Sarabun, so
# the page and the PNG/SVG/PDF exports draw the same symbol
# (services.figures names and explains them; the page, the presentation and every pack file use them)
STATE_MARKS = {"draft": "*", "submitted": "→", "approved": "√", "returned": "←"}
NOT_REPORTED_MARK = "?"  # an assigned item with nothing filed in the round


def cell_number(progress: float) -> str:
    """A cell's progress as a whole number that never claims what is not there: 99.8 is "99",
    not "100" (a delayed item drawn as "100√" reads as done); 0.3 is "0"."""
    whole = round(progress)
    if whole >= 100 > progress:
        whole = 99
    return f"{whole:.0f}"


def cell_label(state: str, progress: float | None, *, numbers: bool = True) -> str:
    """What a heatmap cell says, on the page, the PNG/SVG and every pack file: nothing when not
    assigned, "?" when nothing is filed, else its number (`cell_number`) and its workflow mark
    ("78√"); only the mark when `numbers` is off (a compact grid) or there is no figure."""
    if state == "not_assigned":
        return ""
    if state == "not_reported":
        return NOT_REPORTED_MARK
    number = "" if not numbers or progress is None or pd.isna(progress) else cell_number(float(progress))
    return number + STATE_MARKS.get(state, "")


def cell_labels(states: pd.Series, progress: pd.Series, *, numbers: bool = True) -> list[str]:
    """`cell_label` of every cell, each distinct (state, number) worked out once."""
    values = progress.to_numpy(dtype="float64", na_value=np.nan)
    shown = {v: cell_number(float(v)) for v in pd.unique(values[~np.isnan(values)])} if numbers else {}
    out = []
    for state, value in zip(states.tolist(), values.tolist(), strict=True):
        if state == "not_assigned":
            out.append("")
        elif state == "not_reported":
            out.append(NOT_REPORTED_MARK)
        else:
            out.append(shown.get(value, "") + STATE_MARKS.get(state, ""))
    return out


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
    data, compact = _heatmap_frame(cells, labels)
    return _heatmap_chart(data, measure=measure, labels=labels, compact=compact, large=large)


def heatmap_spec(cells: pd.DataFrame, *, measure: str, labels: dict[str, str], large: bool = False) -> dict:
    """`spec(heatmap(...))` with the cells as a DataFrame in its one dataset (ui.cache.shippable
    turns it into the Arrow bytes Streamlit ships). The chart's structure is built once per
    measure, labels and size (`_heatmap_template`): building Altair's objects costs ~0.2 s a
    heatmap whatever its cells, so a grid refreshed after a save pays only for its data."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    data, compact = _heatmap_frame(cells, labels)
    template = _heatmap_template(measure, tuple(sorted(labels.items())), compact, large, tuple(data.columns))
    return with_data(template, data)


@functools.lru_cache(maxsize=64)
def _heatmap_template(measure: str, labels: tuple, compact: bool, large: bool, columns: tuple) -> dict:
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return spec(_heatmap_chart(empty, measure=measure, labels=dict(labels), compact=compact, large=large))


def _heatmap_frame(cells: pd.DataFrame, labels: dict[str, str]) -> tuple[pd.DataFrame, bool]:
    """The cells as the heatmap draws them (names in the reader's language, labels, ranks).

    The frame `_heatmap_frame_steps` gives, laid out column by column in numpy (each label worked
    out once per distinct value) and built as one DataFrame, a fraction of pandas' cost per
    column; a frame without cells or states goes through those steps (pandas' types for them)."""
    states = pd.factorize(frames.values(cells["state"]))[1] if "state" in cells else ()
    if not len(cells) or not len(states):
        return _heatmap_frame_steps(cells, labels)
    # agency and sub-issue names and units in the reader's language (labels["lang"]; core.names)
    source = names.localize(cells, labels.get("lang", "th"), "agency_short_name", "sub_issue_name_th", "unit")
    # the columns kept as they are (an object column as a Series: built from its array, it would become text)
    data = {name: column if column.dtype == object else frames.values(column) for name, column in source.items()}
    progress = source["progress_pct"].to_numpy(dtype="float64", na_value=np.nan)
    data["progress"] = progress
    data["change"] = source["change_pct"].to_numpy(dtype="float64", na_value=np.nan)
    n_agencies, n_subs = (len(pd.factorize(frames.values(source[c]))[1]) for c in ("agency_code", "sub_issue_code"))
    compact = n_agencies > COMPACT_AT or n_subs > COMPACT_AT
    state = frames.values(source["state"])
    data["label"] = pd.array(_cell_label_array(state, progress, numbers=not compact), dtype="str")
    data["state_label"] = pd.array(frames.per_distinct(state, lambda s: labels.get(f"state.{s}", s), missing=np.nan), dtype="str")
    status = frames.per_distinct(
        frames.values(source["status"]), lambda s: labels.get(f"status.{s}", "") if s else "", missing=""
    )
    data["status_label"] = pd.array(status, dtype="str")
    size = len(source)
    data["match"] = source["match"].to_numpy(dtype=bool) if "match" in source else np.ones(size, dtype=bool)
    data["selected"] = source["selected"].to_numpy(dtype=bool) if "selected" in source else np.zeros(size, dtype=bool)
    if "main_issue_label" not in data:
        data["main_issue_label"] = source["main_issue_number"].astype(str).array
    for name in ("updated_at", "progress_pct", "change_pct"):
        data.pop(name, None)

    # the order of columns, rows and column groups as fields of the data (sorted by Vega-Lite), so
    # the chart's structure does not depend on the cells and is built once (heatmap_spec)
    data["x_rank"] = source["main_issue_number"].to_numpy(dtype=int) * 10_000 + source["sub_issue_order"].to_numpy(dtype=int)
    order = np.argsort(source["agency_order"].to_numpy(dtype="float64", na_value=np.nan), kind="stable")  # missing last
    rank, _ = pd.factorize(frames.values(source["agency_short_name"])[order])  # each name's first place in that order
    y_rank = np.empty(size, dtype=np.int64)
    y_rank[order] = rank
    data["y_rank"] = y_rank
    return pd.DataFrame(data, index=source.index), compact


def _cell_label_array(states, progress: np.ndarray, *, numbers: bool) -> np.ndarray:
    """`cell_labels` as an object array, each distinct (state, progress) pair worked out once."""
    state_codes, distinct_states = pd.factorize(states, use_na_sentinel=False)
    state_values = list(distinct_states)  # Python values: an extension array's items cost a call each
    value_codes, values = pd.factorize(progress)  # NaN: -1
    width = len(values) + 1
    pairs, at = np.unique(state_codes * width + (value_codes + 1), return_inverse=True)
    texts = []
    for pair in pairs.tolist():
        state, value = state_values[pair // width], pair % width - 1
        figure = float(values[value]) if value >= 0 and numbers else None
        if isinstance(state, str):
            texts.append(cell_label(state, figure, numbers=numbers))
        else:  # no state: cell_labels gives the number alone
            texts.append("" if figure is None else cell_number(figure))
    return np.array(texts, dtype=object)[at.reshape(-1)]


def _heatmap_frame_steps(cells: pd.DataFrame, labels: dict[str, str]) -> tuple[pd.DataFrame, bool]:
    """_heatmap_frame step by step in pandas: the frame it lays out in numpy, and an empty one's."""
    # agency and sub-issue names and units in the reader's language (labels["lang"]; core.names)
    data = names.localize(cells, labels.get("lang", "th"), "agency_short_name", "sub_issue_name_th", "unit").copy()
    data["progress"] = data["progress_pct"].astype("float64")
    data["change"] = data["change_pct"].astype("float64")
    n_agencies, n_subs = data["agency_code"].nunique(), data["sub_issue_code"].nunique()
    compact = n_agencies > COMPACT_AT or n_subs > COMPACT_AT
    data["label"] = cell_labels(data["state"], data["progress"], numbers=not compact)
    # one look-up per distinct value, not per cell
    data["state_label"] = data["state"].map({s: labels.get(f"state.{s}", s) for s in data["state"].dropna().unique()})
    statuses = {s: labels.get(f"status.{s}", "") if s else "" for s in data["status"].dropna().unique()}
    data["status_label"] = data["status"].map(statuses).fillna("").astype(str)
    data["match"] = data["match"].astype(bool) if "match" in data else True
    data["selected"] = data["selected"].astype(bool) if "selected" in data else False
    if "main_issue_label" not in data:
        data["main_issue_label"] = data["main_issue_number"].astype(str)
    data = data.drop(columns=[c for c in ("updated_at", "progress_pct", "change_pct") if c in data])

    # the order of columns, rows and column groups as fields of the data (sorted by Vega-Lite), so
    # the chart's structure does not depend on the cells and is built once (heatmap_spec)
    data["x_rank"] = data["main_issue_number"].astype(int) * 10_000 + data["sub_issue_order"].astype(int)
    rows = data.sort_values("agency_order", kind="stable")["agency_short_name"]
    data["y_rank"] = data["agency_short_name"].map(pd.Series(range(rows.nunique()), index=pd.unique(rows)))
    return data, compact


def _heatmap_chart(data: pd.DataFrame, *, measure: str, labels: dict[str, str], compact: bool, large: bool) -> alt.FacetChart:
    step_x, step_y, font_size = (26, 20, 10) if compact else (34, 28, 11)
    label_size = 11 if compact else 12
    if large and not compact:
        step_x, step_y, font_size, label_size = 72, 48, 18, 20
    x = alt.X(
        "sub_issue_code:N",
        sort=alt.EncodingSortField(field="x_rank", op="min"),
        title=None,
        axis=alt.Axis(orient="top", labelAngle=-90 if compact else 0, labelFontSize=label_size, labelOverlap=False, ticks=False),
    )
    y = alt.Y(
        "agency_short_name:N",
        sort=alt.EncodingSortField(field="y_rank", op="min"),
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
                sort=alt.EncodingSortField(field="main_issue_number", op="min"),
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


def round_trend_spec(lines: pd.DataFrame, *, expected_line: str, labels: dict[str, str]) -> dict:
    """The overview's trend as a spec: one line per series over the rounds, `expected_line`
    dashed. ``lines``: ``round`` (label, in order), ``line`` (series label), ``actual`` (%). Its
    structure is built once per rounds, series and labels (a save moves the figures, not the
    rounds): only the data is new (as heatmap_spec)."""
    order, domain = tuple(dict.fromkeys(lines["round"])), tuple(dict.fromkeys(lines["line"]))
    template = _round_trend_template(order, domain, expected_line, tuple(sorted(labels.items())))
    return with_data(template, lines[["round", "line", "actual"]])


@functools.lru_cache(maxsize=64)
def _round_trend_template(order: tuple, domain: tuple, expected_line: str, labels: tuple) -> dict:
    empty = pd.DataFrame(
        {"round": pd.Series(dtype="object"), "line": pd.Series(dtype="object"), "actual": pd.Series(dtype="float64")}
    )
    return spec(_round_trend_chart(empty, list(order), list(domain), expected_line, dict(labels)))


def with_data(template: dict, data: pd.DataFrame) -> dict:
    """A copy of a chart's spec with `data` (a DataFrame) in its one dataset."""
    out = copy.deepcopy(template)
    (name,) = out["datasets"]
    out["datasets"] = {name: data.reset_index(drop=True)}
    return out


def _round_trend_chart(lines: pd.DataFrame, order: list, domain: list, expected_line: str, labels: dict[str, str]) -> alt.Chart:
    return (
        alt.Chart(lines)
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
    # a panel a third of the page wide: round labels slanted and thinned, never cut; the y axis
    # needs no title (the caption under the chart names both lines) and keeps its ticks apart
    x = alt.X("round_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45, labelLimit=0, labelOverlap="parity"))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=[0, 25, 50, 75, 100]))
    long = data.melt(id_vars=["round_label", "selected"], value_vars=["progress", "expected"], var_name="series")
    long["series_label"] = long["series"].map({"progress": labels["progress"], "expected": labels["expected"]})
    colour = alt.Color(
        "series_label:N",
        title=None,
        scale=alt.Scale(domain=[labels["progress"], labels["expected"]], range=["#0072B2", "#999999"]),
        legend=None,  # said under the chart, where a narrow panel cannot cut it ("ความก้า…")
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
    # fit-x: the width follows the panel and the plot keeps its height (Streamlit's default "fit"
    # squeezes axes, labels and legend into 200 px, and 0 lands on 100)
    # (the left padding holds the first round's slanted label)
    return alt.layer(lines, now).properties(
        height=220,
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        padding={"left": 48, "top": 8, "right": 8, "bottom": 4},
    )


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


# ----------------------------------------------------------------------------- presentation slides
# A slide's chart is drawn for a 1920×1080 screen, in CSS px there, and its SVG is scaled to the
# slide's width (pages/present.py), so it grows and shrinks with the screen as the rest of the
# slide does. Its smallest type is SLIDE_TYPE at 1080p (24 px or more, as a projector needs), its
# text is ink on white or on pale cells (contrast 7:1 or more), and nothing is truncated.
SLIDE_WIDTH = 1846
SLIDE_TYPE = 28
SLIDE_INK = "#000000"
SLIDE_CELL_LIGHTEN = 0.6  # viridis 60 % of the way to white: black numbers on any cell reach 8:1
SLIDE_FONT = "sans-serif"  # the page's own (the browser draws and measures the slide's text)


def _lighten(colour: str, amount: float) -> str:
    r, g, b = (round(c + (255 - c) * amount) for c in _rgb(colour))
    return f"#{r:02x}{g:02x}{b:02x}"


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _slide_config(chart: alt.TopLevelMixin, type_size: int) -> alt.TopLevelMixin:
    ink = {"labelColor": SLIDE_INK, "titleColor": SLIDE_INK, "labelFontSize": type_size, "titleFontSize": type_size}
    return (
        chart.configure(font=SLIDE_FONT, autosize=alt.AutoSizeParams(type="fit", contains="padding"))
        .configure_axis(**ink, labelFontWeight="normal", titleFontWeight="normal", labelOverlap=False, domainColor="#555555")
        .configure_header(labelColor=SLIDE_INK, labelFontSize=type_size, titleColor=SLIDE_INK, titleFontSize=type_size)
        .configure_legend(**ink)
        .configure_text(color=SLIDE_INK, fontSize=type_size)
        .configure_view(strokeWidth=0)
    )


def slide_heatmap(
    cells: pd.DataFrame, *, height: int, width: int = SLIDE_WIDTH, type_size: int = SLIDE_TYPE, label_width: int = 300
) -> alt.LayerChart:
    """One main issue's agencies × sub-issues as a slide: the cells fill ``width``, each holding its
    number (cell_number: 99.8 is never "100") and workflow mark in black on a pale viridis fill
    (or "?" on white with the dashed red border when not reported; pale and empty when not
    assigned). No legend: every cell says its number. Needs the heatmap.cells() columns."""
    data = cells.copy()
    data["progress"] = data["progress_pct"].astype("float64")
    data["label"] = [cell_label(s, p) for s, p in zip(data["state"], data["progress"], strict=True)]  # as every heatmap
    data = data[["agency_short_name", "agency_order", "sub_issue_code", "sub_issue_order", "state", "progress", "label"]]
    x_order = list(dict.fromkeys(data.sort_values("sub_issue_order", kind="stable")["sub_issue_code"]))
    y_order = list(dict.fromkeys(data.sort_values("agency_order", kind="stable")["agency_short_name"]))
    x = alt.X(
        "sub_issue_code:N",
        sort=x_order,
        title=None,
        axis=alt.Axis(orient="top", labelAngle=0, ticks=False, domain=False, labelFontWeight="bold", labelPadding=8),
    )
    y = alt.Y(
        "agency_short_name:N",
        sort=y_order,
        title=None,
        axis=alt.Axis(ticks=False, domain=False, labelLimit=label_width, labelPadding=12),
    )
    base = alt.Chart(data).encode(x=x, y=y)
    stops = [_lighten(c, SLIDE_CELL_LIGHTEN) for c in VIRIDIS]
    return _slide_config(
        alt.layer(
            base.transform_filter(alt.datum.state == "not_assigned").mark_rect(
                fill=NOT_ASSIGNED_FILL, stroke="white", strokeWidth=3
            ),
            base.transform_filter(alt.datum.state == "not_reported").mark_rect(
                fill="white", stroke=NOT_REPORTED_BORDER, strokeDash=[8, 5], strokeWidth=3
            ),
            base.transform_filter((alt.datum.state != "not_assigned") & (alt.datum.state != "not_reported"))
            .mark_rect(stroke="white", strokeWidth=3)
            .encode(color=alt.Color("progress:Q", scale=alt.Scale(domain=[0, 100], range=stops), legend=None)),
            base.transform_filter(alt.datum.state != "not_assigned")
            .mark_text(fontSize=round(type_size * 1.15), fontWeight="bold", color=SLIDE_INK)
            .encode(text="label:N"),
        ).properties(width=width, height=height, padding={"left": 4, "right": 8, "top": 10, "bottom": 4}),
        type_size,
    )


def slide_bars(
    rows: pd.DataFrame,
    *,
    height: int,
    width: int = SLIDE_WIDTH,
    type_size: int = SLIDE_TYPE,
    label_width: int = 600,
    note_width: int = 0,
    title: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars 0–100 for a slide, each with its number at its end (a text mark named
    ``bar_value``; the bars are named ``bar``). ``rows``: ``label`` (lines joined by "\\n"),
    ``value``, ``value_text`` (the number as the page rounds it), ``colour``; optional
    ``expected`` (a tick where the round expects the bar to reach) and ``note`` (a word after
    the bars, e.g. the status, in a column ``note_width`` wide)."""
    data = rows.reset_index(drop=True).assign(key=lambda d: d.index.astype(str))
    order = list(data["key"])
    labels = dict(zip(data["key"], data["label"], strict=True))
    label_expr = " : ".join(f"datum.value == '{k}' ? {_js_lines(v)}" for k, v in labels.items()) + " : ''"
    y = alt.Y(
        "key:N",
        sort=order,
        title=None,
        axis=alt.Axis(
            labelExpr=label_expr, labelLimit=label_width, ticks=False, labelPadding=12, labelLineHeight=type_size * 1.3
        ),
    )
    x = alt.X(
        "value:Q",
        title=title,
        scale=alt.Scale(domain=[0, 100]),
        axis=alt.Axis(values=[0, 25, 50, 75, 100], grid=True, gridColor="#d4d4d8", tickColor="#555555"),
    )
    base = alt.Chart(data).encode(y=y)
    band = max(12, min(64, round(height / max(len(data), 1) * 0.55)))
    layers = [
        base.mark_bar(height=band).encode(x=x, color=alt.Color("colour:N", scale=None, legend=None)),
        base.mark_text(align="left", dx=10, fontWeight="bold", fontSize=round(type_size * 1.1), color=SLIDE_INK).encode(
            x="value:Q", text="value_text:N"
        ),
    ]
    layers[0].name, layers[1].name = "bar", "bar_value"
    if "expected" in data and data["expected"].notna().any():
        layers.append(base.mark_tick(color=STATUS_COLOURS["delayed"], thickness=5, size=band + 22).encode(x="expected:Q"))
    if note_width and "note" in data:
        layers.append(
            base.mark_text(align="left", dx=type_size * 4, color=SLIDE_INK, limit=note_width - type_size * 4).encode(
                x=alt.datum(100), text="note:N"
            )
        )
    # the plot narrows to leave room for the numbers and notes beyond 100 (autosize "fit" counts them)
    chart = alt.layer(*layers).properties(width=width, height=height, padding={"left": 4, "right": 12, "top": 8, "bottom": 4})
    return _slide_config(chart, type_size)


def _js_lines(text: str) -> str:
    """A label's lines as a Vega expression array literal (quotes and backslashes escaped)."""
    escapes = {"\\": "\\\\", "'": "\\'", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}
    lines = ["".join(escapes.get(ch, ch) for ch in line) for line in str(text).split("\n")]
    return "[" + ", ".join(f"'{line}'" for line in lines) + "]"
