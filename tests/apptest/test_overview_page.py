"""The chair's overview and presentation mode through AppTest: the figures on the page equal an
independent computation from the database; links lead to heatmap cells; views step and are
addressable by URL."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import make_engine
from core.i18n import translate
from services.overview import fmt_change, fmt_pct
from tests.apptest.conftest import APP_FILE, login, shown, titles
from tests.test_overview_service import _independent_headline

ROOT = Path(APP_FILE).parent
OVERVIEW = str(ROOT / "pages" / "overview.py")
PRESENT = str(ROOT / "pages" / "present.py")


def _open(app, page, username="chair", **query):
    at = login(app, username)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _round_id(db_path, fy, months):
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        rid = conn.execute(
            sa.text("SELECT id FROM reporting_round WHERE fiscal_year = :f AND months = :m"), {"f": fy, "m": months}
        ).scalar_one()
    return engine, rid


@pytest.mark.parametrize(("fy", "months"), [(2564, 12), (2563, 9)])
def test_every_headline_on_the_page_equals_the_independent_computation(app, app_env, fy, months):
    engine, rid = _round_id(app_env, fy, months)
    expected = _independent_headline(engine, rid)
    engine.dispose()
    at = _open(app, OVERVIEW, fy=str(fy), m=str(months))
    metrics = {m.label: m for m in at.metric}
    assert metrics["ความก้าวหน้ารวม"].value == f"{fmt_pct(expected['overall'])}%"
    assert metrics["ความก้าวหน้ารวม"].proto.delta == f"{fmt_change(expected['change'])} จุด จากรอบก่อน"  # says its comparison
    assert metrics["ค่าที่คาดหวัง"].value == f"{fmt_pct(expected['expected_progress'])}%"
    for number, value in expected["mains"].items():
        assert metrics[f"ประเด็นหลักที่ {number}"].value == f"{fmt_pct(value)}%"
        assert metrics[f"ประเด็นหลักที่ {number}"].proto.delta.endswith(" จุด เทียบค่าที่คาดหวัง")
    total = expected["agencies_total"]
    assert metrics["หน่วยงานส่งครบ"].value == f"{expected['agencies_reported']} จาก {total}"
    assert metrics["หน่วยงานอนุมัติครบ"].value == f"{expected['agencies_approved']} จาก {total}"
    assert metrics["รายการล่าช้า"].value == str(expected["items_delayed"])
    assert metrics["รายการส่งกลับ"].value == str(expected["items_returned"])
    assert metrics["รายการยังไม่รายงาน"].value == str(expected["items_not_reported"])


def test_attention_items_link_to_their_heatmap_cell(app):
    at = _open(app, OVERVIEW)
    links = {el.proto.label: el.proto for el in at.get("page_link")}
    to_heatmap = {label: p.query_string for label, p in links.items() if p.page == "heatmap"}
    returned = next(q for label, q in to_heatmap.items() if shown(label).startswith("สนย. · 2.4"))
    missing = next(q for label, q in to_heatmap.items() if shown(label).startswith("สนก. · 1.1"))
    assert "cell=BPS~2.4" in returned.replace("%7E", "~") and "fy=2564" in returned and "m=12" in returned
    assert "cell=BLA~1.1" in missing.replace("%7E", "~")


def test_evaluation_score_and_level_are_shown(app):
    at = _open(app, OVERVIEW)
    ev = next(m for m in at.metric if "มาตรฐานขั้นสูง" in m.label)
    assert ev.value == "85.00" and "2562" in ev.label


def test_trend_chart_draws_each_series_with_the_expected_line_dashed(app, app_env):
    import json

    import pyarrow as pa

    (chart,) = _open(app, OVERVIEW, fy="2564", m="12").get("vega_lite_chart")
    rows = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()  # as shipped
    assert set(rows["line"]) == {"ภาพรวม", "ค่าที่คาดหวัง", "ประเด็นหลักที่ 1", "ประเด็นหลักที่ 2", "ประเด็นหลักที่ 3"}
    overall = rows[rows["line"] == "ภาพรวม"]
    assert overall["round"].iloc[-1] == translate("round.short", fy=2564, months=12)  # up to the chosen round
    dash = json.loads(chart.proto.spec)["encoding"]["strokeDash"]
    assert dash["condition"]["test"] == "(datum.line === 'ค่าที่คาดหวัง')" and dash["condition"]["value"] == [5, 4]
    engine, rid = _round_id(app_env, 2564, 12)
    expected = _independent_headline(engine, rid)
    engine.dispose()
    last = overall.iloc[-1]
    assert round(float(last["actual"]), 1) == round(expected["overall"], 1)  # the line ends at this round's figure


def test_a_long_attention_list_shows_ten_links_and_one_to_the_rest(app, app_env):
    engine, rid = _round_id(app_env, 2564, 12)
    with engine.begin() as conn:  # nothing filed this round: every assigned item is not reported
        for child in ("evidence", "review_event"):
            conn.execute(
                sa.text(f"DELETE FROM {child} WHERE report_id IN (SELECT id FROM progress_report WHERE round_id = :r)"),
                {"r": rid},
            )
        conn.execute(sa.text("DELETE FROM progress_report WHERE round_id = :r"), {"r": rid})
        assigned = conn.execute(sa.text("SELECT count(*) FROM assignment")).scalar_one()
    engine.dispose()
    at = _open(app, OVERVIEW, fy="2564", m="12")
    links = [el.proto for el in at.get("page_link") if el.proto.page == "heatmap"]
    cells = [p for p in links if "cell=" in p.query_string]
    (rest,) = [p for p in links if "cell=" not in p.query_string]
    assert len(cells) == 10 and assigned > 10
    assert rest.label.startswith(f"และอีก {assigned - 10} รายการ")
    assert "status=not_reported" in rest.query_string and "fy=2564" in rest.query_string


def test_many_highlights_show_eight_cards_and_the_rest_in_one_table(app, app_env):
    engine, rid = _round_id(app_env, 2564, 12)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE progress_report SET notable = :t WHERE round_id = :r"), {"t": True, "r": rid})
        notable = conn.execute(sa.text("SELECT count(*) FROM progress_report WHERE round_id = :r"), {"r": rid}).scalar_one()
    engine.dispose()
    assert notable > 8
    at = _open(app, OVERVIEW, fy="2564", m="12")
    cards = [m for m in at.main.markdown if m.value.startswith("**") and m.value.endswith("**") and " · " in m.value]
    assert len(cards) == 8
    (more,) = [e for e in at.expander if e.label == f"ผลงานเด่นอีก {notable - 8} รายการ"]
    table = more.dataframe[0].value
    assert len(table) == notable - 8 and list(table.columns) == ["หน่วยงาน", "ประเด็นย่อย", "ผลการดำเนินงาน"]
    in_cards = {(a, rest.split(" ", 1)[0]) for a, rest in (c.value.strip("*").split(" · ", 1) for c in cards)}
    in_table = set(zip(table["หน่วยงาน"], table["ประเด็นย่อย"], strict=True))
    assert not in_cards & in_table and len(in_cards | in_table) == notable  # every highlight once


@pytest.mark.parametrize("username", ["focal_bps"])
def test_focal_points_get_neither_overview_nor_presentation(app, username):
    at = login(app, username)
    for page in (OVERVIEW, PRESENT):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_presentation_steps_through_summary_main_issues_and_agencies(app):
    at = _open(app, PRESENT)
    assert titles(at)[0] == "ภาพรวมความก้าวหน้า"
    assert not at.text_input and not at.number_input and not at.text_area  # nothing to edit
    seen = [at.query_params["view"]]
    for _ in range(1 + 3 + 7):
        next(b for b in at.button if b.label == "ถัดไป").click()
        at.run()
        seen.append(at.query_params["view"])
    assert seen[:5] == ["summary", "main-1", "main-2", "main-3", "agency-OTEPC"]
    assert seen[-1] == "summary"  # wraps round
    next(b for b in at.button if b.label == "ก่อนหน้า").click()
    at.run()
    assert at.query_params["view"] == "agency-ICT"
    assert titles(at)[0] == "ศทก."


def test_a_view_opens_from_its_url(app):
    at = _open(app, PRESENT, view="agency-BPS", fy="2564", m="12")
    assert titles(at)[0] == "สนย."
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ส่งรายงานแล้ว"] == "4 จาก 5"
    at.query_params["view"] = "main-2"
    at.run()
    assert titles(at)[0] == "ประเด็นหลักที่ 2"
