"""The heatmap page through AppTest: the chart's Vega-Lite spec, the URL state, the margins."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import read_session
from services import heatmap
from services.demo import RETURN_COMMENT
from tests.apptest.conftest import APP_FILE, login, shown, subheaders, titles
from tests.helpers import round_of

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


def test_chart_groups_sub_issues_by_main_issue_with_distinct_cell_layers(app):
    at = _open(app)
    spec = _spec(at)
    assert spec["facet"]["column"]["field"] == "main_issue_label"  # one column group per main issue
    assert spec["resolve"]["scale"]["x"] == "independent"
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["rect", "rect", "rect", "text", "rect", "rect"]
    assert layers[1]["mark"]["strokeDash"] == [4, 3]  # not reported: dashed border
    assert layers[2]["encoding"]["color"]["scale"]["scheme"] == "viridis"
    (param,) = spec["params"]
    assert param["name"] == "cell" and param["select"]["fields"] == ["agency_code", "sub_issue_code"]
    rows = _rows(at)
    assert len(rows) == 7 * 13
    assert set(rows["state"]) == {"not_assigned", "not_reported", "draft", "submitted", "approved", "returned"}
    assert rows.loc[(rows["agency_code"] == "BPS") & (rows["sub_issue_code"] == "2.4"), "label"].item() == "71←"
    assert titles(at)[0] == "แผนภาพความก้าวหน้ารายหน่วยงาน"
    assert "คลิกช่องในแผนภาพ" in at.info[0].value  # the detail panel's empty state says what to do


def test_deep_link_selects_round_measure_and_filter(app):
    at = _open(app, fy="2563", m="9", measure="status", main="2")
    assert at.selectbox[0].value == (2563, 9)
    spec = _spec(at)
    assert spec["spec"]["layer"][2]["encoding"]["color"]["field"] == "status"
    assert set(_rows(at)["main_issue_number"]) == {2}
    assert at.query_params["measure"] in ("status", ["status"]) and at.query_params["fy"] in ("2563", ["2563"])


def test_deep_link_to_a_cell_opens_its_detail_beside_the_chart(app):
    at = _open(app, cell="BPS~2.4")
    assert subheaders(at)[0] == "สนย. · 2.4"
    text = " ".join(m.value for m in at.markdown)
    assert "ส่งกลับแก้ไข" in text  # its state
    assert any("ส่งกลับให้แก้ไข" in m.value for m in at.markdown)  # the return in the review conversation
    assert any(shown(w.value) == RETURN_COMMENT for w in at.warning)  # the reviewer's comment
    trend = json.loads(at.get("vega_lite_chart")[1].proto.spec)
    assert trend["layer"][0]["mark"]["type"] == "line"
    rows = _rows(at)
    assert rows.loc[rows["selected"], ["agency_code", "sub_issue_code"]].values.tolist() == [["BPS", "2.4"]]


def test_a_stale_cell_link_says_so_instead_of_failing(app):
    at = _open(app, cell="NOPE~9.9")
    assert any("NOPE~9.9" in shown(w.value) for w in at.warning)


def test_status_filter_keeps_matching_agencies_and_dims_the_rest(app):
    at = _open(app, status="returned,not_reported")
    rows = _rows(at)
    assert set(rows["agency_code"]) == {"BPS", "BLA", "ICT"}  # agencies with a returned or missing item
    assert set(rows.loc[rows["match"], "state"]) == {"returned", "not_reported"}
    dim = _spec(at)["spec"]["layer"][2]["encoding"]["opacity"]
    assert dim["condition"]["test"] == "datum.match"


@pytest.mark.parametrize("username", ["focal_bps"])
def test_focal_points_do_not_get_the_heatmap(app, username):
    at = login(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(HEATMAP)


def test_margins_show_overall_and_per_main_issue(app, app_env):
    """The margins are the service's figures, with one decimal as on the chair's overview."""
    at = _open(app, fy="2564", m="12")
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["ความก้าวหน้ารวม (ถ่วงน้ำหนัก)", "ประเด็นหลักที่ 1", "ประเด็นหลักที่ 2", "ประเด็นหลักที่ 3"]
    engine = sa.create_engine(f"sqlite:///{app_env}")
    try:
        round_id = round_of(engine, 2564, 12).id
        with read_session(engine) as s:
            figures = [heatmap.overall(session=s, round_id=round_id)]
            figures += list(heatmap.by_main_issue(session=s, round_id=round_id)["weighted_progress"])
    finally:
        engine.dispose()
    expected = [f"ร้อยละ {round(float(v), 1):.1f}" for v in figures]
    assert [m.value for m in at.metric[:4]] == expected
