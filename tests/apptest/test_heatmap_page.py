"""The heatmap page through AppTest: the chart's Vega-Lite spec, the URL state, the margins."""

import json
from pathlib import Path

import pytest

from tests.apptest.conftest import APP_FILE, login

HEATMAP = str(Path(APP_FILE).parent / "pages" / "heatmap.py")


def _spec(at):
    return json.loads(at.get("vega_lite_chart")[0].proto.spec)


def _rows(at):
    """The chart's data, as Streamlit ships it to the browser (Arrow), back as a DataFrame."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[0].proto
    (dataset,) = proto.datasets
    return pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()


def _open(app, username="chair", **query):
    at = login(app, username)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(HEATMAP).run()
    assert not at.exception
    return at


def test_chart_has_the_four_cell_layers_and_every_cell(app):
    at = _open(app)
    spec = _spec(at)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "rect", "rect", "text"]
    assert spec["layer"][1]["mark"]["strokeDash"] == [4, 3]  # not reported: dashed border
    rows = _rows(at)
    assert len(rows) == 7 * 13
    assert set(rows["state"]) == {"not_assigned", "not_reported", "draft", "submitted", "approved", "returned"}
    assert spec["layer"][2]["encoding"]["color"]["scale"]["scheme"] == "viridis"
    assert at.title[0].value == "แผนภาพความก้าวหน้ารายหน่วยงาน"


def test_deep_link_selects_round_measure_and_filter(app):
    at = _open(app, fy="2563", m="9", measure="status", main="2")
    assert at.selectbox[0].value == (2563, 9)
    spec = _spec(at)
    assert spec["layer"][2]["encoding"]["color"]["field"] == "status"
    assert set(_rows(at)["main_issue_number"]) == {2}
    assert at.query_params["measure"] in ("status", ["status"]) and at.query_params["fy"] in ("2563", ["2563"])


@pytest.mark.parametrize("username", ["focal_bps"])
def test_focal_points_do_not_get_the_heatmap(app, username):
    at = login(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(HEATMAP)


def test_margins_show_overall_and_per_main_issue(app):
    at = _open(app)
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["ความก้าวหน้ารวม (ถ่วงน้ำหนัก)", "ประเด็นหลักที่ 1", "ประเด็นหลักที่ 2", "ประเด็นหลักที่ 3"]
    assert all(m.value.endswith("%") for m in at.metric[:4])
