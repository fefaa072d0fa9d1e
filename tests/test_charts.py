"""Chart builders: the heatmap's layout at both scales, and the static SVG/PNG renderings."""

import io
import random
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from PIL import Image

from core import charts

LABELS = {k: k for k in ("agency", "sub_issue", "progress", "expected", "status", "state", "target", "actual")} | {
    k: k for k in ("unit", "updated_by", "updated_at", "change")
}


def synthetic_cells(n_agencies: int, n_mains: int, subs_per_main: int, seed: int = 7) -> pd.DataFrame:
    """A grid shaped like heatmap.cells() with every state present."""
    rng = random.Random(seed)
    states = ["not_assigned", "not_reported", "draft", "submitted", "approved", "returned"]
    rows = []
    for a in range(n_agencies):
        for m in range(1, n_mains + 1):
            for k in range(subs_per_main):
                state = states[(a + k + m) % len(states)]
                progress = None if state in ("not_assigned", "not_reported") else float(rng.randint(0, 100))
                rows.append(
                    {
                        "agency_code": f"A{a:03d}",
                        "agency_short_name": f"สำนักงานเขตพื้นที่ที่ {a + 1}",
                        "agency_order": a,
                        "main_issue_number": m,
                        "main_issue_label": f"ประเด็นหลักที่ {m}",
                        "sub_issue_code": f"{m}.{k + 1}",
                        "sub_issue_order": k,
                        "sub_issue_name_th": "การพัฒนาผู้ตรวจราชการ",
                        "state": state,
                        "progress_pct": progress,
                        "change_pct": None if progress is None else 5.0,
                        "status": None if progress is None else "on_track",
                        "target_value": None,
                        "actual_value": None,
                        "unit": "",
                        "updated_by": "",
                        "updated_at_text": "",
                    }
                )
    return pd.DataFrame(rows)


def _layers(chart):
    return chart.to_dict()["spec"]["layer"]


@pytest.mark.parametrize(("agencies", "mains", "subs", "compact"), [(7, 3, 5, False), (100, 4, 10, True)])
def test_cell_size_and_labels_follow_the_scale(agencies, mains, subs, compact):
    chart = charts.heatmap(synthetic_cells(agencies, mains, subs), measure="progress", labels=LABELS)
    spec = chart.to_dict()
    assert spec["spec"]["width"]["step"] == (26 if compact else 34)
    assert spec["spec"]["height"]["step"] == (20 if compact else 28)
    x_axis = spec["spec"]["layer"][0]["encoding"]["x"]["axis"]
    assert x_axis["labelAngle"] == (-90 if compact else 0)  # many columns: vertical codes, no overlap
    y_axis = spec["spec"]["layer"][0]["encoding"]["y"]["axis"]
    assert x_axis["labelOverlap"] is False and y_axis["labelOverlap"] is False  # every agency keeps its label
    assert y_axis["labelFontSize"] * 1.6 <= spec["spec"]["height"]["step"]  # and it fits its row
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    reported = data[data["state"].isin(["draft", "submitted", "approved", "returned"])]
    if compact:  # small cells carry the state mark only; the figure is in the tooltip
        assert set(reported["label"]) <= set(charts.STATE_MARKS.values())
    else:
        assert reported["label"].str.match(r"^\d+[*→√←]$").all()
    assert set(data.loc[data["state"] == "not_reported", "label"]) == {"?"}
    assert set(data.loc[data["state"] == "not_assigned", "label"]) == {""}


def test_every_state_mark_is_a_glyph_of_the_bundled_font():
    from fontTools.ttLib import TTFont

    cmap = TTFont(charts.FONT_DIR / "Sarabun-Bold.ttf").getBestCmap()
    assert all(ord(mark) in cmap for mark in [*charts.STATE_MARKS.values(), "?"])


def test_unknown_measure_is_refused():
    with pytest.raises(ValueError, match="unknown measure"):
        charts.heatmap(synthetic_cells(2, 1, 2), measure="colour", labels=LABELS)


def test_a_grid_over_altairs_row_limit_still_becomes_a_spec():
    """Large scale is 1,000 agencies × 40 sub-issues: 40,000 cells, over Altair's 5,000-row limit
    (the heatmap page failed there with MaxRowsError)."""
    cells = synthetic_cells(130, 4, 10)  # 5,200 cells
    chart = charts.heatmap(cells, measure="progress", labels=LABELS)
    with pytest.raises(Exception, match="5000"):
        chart.to_dict()  # Altair's default: what the page used to call
    spec = charts.spec(chart)
    assert len(spec["datasets"][spec["data"]["name"]]) == len(cells) == 5200


def test_svg_export_keeps_thai_text_and_embeds_sarabun():
    svg = charts.render_svg(charts.heatmap(synthetic_cells(7, 3, 5), measure="status", labels=LABELS))
    root = ET.fromstring(svg)  # well-formed
    assert root.tag.endswith("svg")
    assert "ประเด็นหลักที่ 1" in svg and "สำนักงานเขตพื้นที่ที่ 7" in svg  # text, not paths: selectable and searchable
    assert svg.count("@font-face") == 2 and "data:font/ttf;base64," in svg


def test_exports_read_a_page_spec_whose_cells_are_arrow_bytes():
    """The pages cache the spec with its cells as the Arrow bytes Streamlit ships (ui.cache);
    the SVG drawn from it is the one drawn from the JSON rows."""
    from streamlit import dataframe_util

    json_spec = charts.spec(charts.heatmap(synthetic_cells(7, 3, 5), measure="status", labels=LABELS))
    arrow_spec = json_spec | {
        "datasets": {k: dataframe_util.convert_anything_to_arrow_bytes(v) for k, v in json_spec["datasets"].items()}
    }
    assert all(isinstance(v, bytes) for v in arrow_spec["datasets"].values())
    assert charts.render_svg(arrow_spec) == charts.render_svg(json_spec)


@pytest.mark.parametrize(("agencies", "mains", "subs"), [(7, 3, 5), (100, 4, 10)])
def test_png_export_draws_the_whole_grid(agencies, mains, subs):
    png = charts.render_png(charts.heatmap(synthetic_cells(agencies, mains, subs), measure="progress", labels=LABELS), scale=1)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    step_x, step_y = (26, 20) if agencies > charts.COMPACT_AT else (34, 28)
    assert width >= mains * subs * step_x and height >= agencies * step_y
    colours = image.resize((200, 200)).getcolors(maxcolors=200 * 200)
    assert len(colours) > 20  # a coloured grid, not a blank page


@pytest.mark.parametrize(
    ("progress", "shown"), [(99.8, "99"), (99.49, "99"), (100.0, "100"), (112.0, "112"), (0.3, "0"), (45.6, "46")]
)
def test_a_cells_number_never_rounds_up_to_100(progress, shown):
    from core.charts import cell_number

    assert cell_number(progress) == shown
