"""The Meetings page, the home page's directives and the overview's overdue directives through
AppTest: what each role sees, the secretariat's create → draft path, a focal point's answer, and a
refusal that shows a plain Thai error and changes nothing."""

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import make_engine
from tests.apptest.conftest import APP_FILE, login, shown, subheaders

ROOT = Path(APP_FILE).parent
MEETINGS = str(ROOT / "pages" / "meetings.py")
HOME = str(ROOT / "pages" / "home.py")
OVERVIEW = str(ROOT / "pages" / "overview.py")


def _open(app, page, username, **query):
    at = login(app, username)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    parts = [shown(m.value) for m in at.markdown] + [shown(c.value) for c in at.caption] + [x.value for x in at.text]
    parts += [shown(e.value) for e in at.error] + [shown(w.value) for w in at.warning] + [shown(i.value) for i in at.info]
    return "\n".join(parts)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _count(db_path, sql: str) -> int:
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return value


def test_the_chair_reads_meeting_3_2563_without_editing_forms(app):
    at = _open(app, MEETINGS, "chair")
    table = at.dataframe[0].value
    assert list(table["ครั้งที่"]) == ["ครั้งที่ 3/2563"]
    assert list(table["วันที่ประชุม"]) == ["26 มิถุนายน 2563"]
    assert list(table["รายงานการประชุม"]) == ["เวียนให้คณะทำงานพิจารณาแล้ว"]
    text = _texts(at)
    assert "ห้องประชุมจันทรเกษม ชั้น 1 อาคารราชวัลลภ กระทรวงศึกษาธิการ" in text
    assert "ระเบียบวาระที่ 4 เรื่องเพื่อทราบ" in text
    assert "ดร.เกศทิพย์ ศุภวานิช" in text
    labels = {b.label for b in at.button}
    assert "ร่างระเบียบวาระจากข้อมูล" not in labels and "บันทึก" not in labels
    assert "รับรองรายงานการประชุมได้ในการประชุมครั้งถัดไป" in text  # the chair may adopt, once there is a next meeting
    assert len(at.download_button) == 4


def test_the_secretariat_creates_the_next_meeting_and_drafts_its_agenda(app, app_env):
    at = _open(app, MEETINGS, "secretariat")
    at.text_input(key="mc_venue").input("ห้องประชุมจันทรเกษม ชั้น 1 อาคารราชวัลลภ กระทรวงศึกษาธิการ")
    _button(at, "สร้างการประชุม").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    this_year = date.today().year + 543  # the form's date defaults to today: the first meeting of this BE year
    assert f"ครั้งที่ 1/{this_year}" in at.selectbox(key="meeting_pick").format_func(at.selectbox(key="meeting_pick").value)
    _button(at, "ร่างระเบียบวาระจากข้อมูล").click()
    at.run()
    assert not at.exception and not at.error
    labels = [e.label for e in at.expander]
    assert any("รับรองรายงานการประชุมครั้งที่ 3/2563" in shown(label) for label in labels)
    assert any("ข้อสั่งการของประธานจากการประชุมครั้งที่ 3/2563" in shown(label) for label in labels)
    assert _count(app_env, "SELECT count(*) FROM agenda_item WHERE auto_key LIKE 'directive:%'") == 1


def test_a_meeting_without_a_venue_is_refused_in_thai_and_nothing_is_created(app, app_env):
    at = _open(app, MEETINGS, "secretariat")
    at.text_input(key="mc_venue").input("   ")
    _button(at, "สร้างการประชุม").click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["กรุณากรอกสถานที่ประชุม"]
    assert _count(app_env, "SELECT count(*) FROM meeting") == 1


def test_a_focal_point_answers_the_directive_on_the_home_page(app, app_env):
    at = _open(app, HOME, "focal_bps")
    text = _texts(at)
    assert "ข้อสั่งการจากการประชุมครั้งที่ 3/2563" in text
    assert "ให้หน่วยงานทั้ง 7 หน่วยงานผลักดันการดำเนินงาน" in text
    area = next(a for a in at.text_area if a.label == "ผลการดำเนินงานตามข้อสั่งการ")
    area.input("ทบทวนแผนและเร่งรัดประเด็น 2.4 ที่ถูกส่งกลับ")
    returned_note = [e.value for e in at.error]  # item 2.4 of BPS is returned in the demo: shown before and after
    _button(at, "ส่งผลการดำเนินงาน").click()
    at.run()
    assert not at.exception and [e.value for e in at.error] == returned_note
    assert _count(app_env, "SELECT count(*) FROM directive_answer") == 3
    assert "ทบทวนแผนและเร่งรัดประเด็น 2.4 ที่ถูกส่งกลับ" in _texts(at)  # shown as the agency's latest answer


def test_an_empty_answer_is_refused_and_the_focal_point_keeps_the_form(app, app_env):
    at = _open(app, HOME, "focal_bps")
    next(i for i in at.text_input if i.label == "ลิงก์หลักฐาน").input("https://example.go.th/plan")
    before = [e.value for e in at.error]
    _button(at, "ส่งผลการดำเนินงาน").click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [*before, "กรุณากรอกผลการดำเนินงานตามข้อสั่งการ"]
    assert next(i for i in at.text_input if i.label == "ลิงก์หลักฐาน").value == "https://example.go.th/plan"
    assert _count(app_env, "SELECT count(*) FROM directive_answer") == 2


def test_the_overview_lists_the_overdue_directive_beside_the_attention_list(app):
    at = _open(app, OVERVIEW, "chair")
    assert "ข้อสั่งการที่เกินกำหนด (1)" in subheaders(at)
    links = [shown(p.label) for p in at.get("page_link")]
    assert "ครั้งที่ 3/2563 · กำหนด 30 ก.ย. 63" in links, links
    assert any(shown(c.value).startswith("รายงานแล้ว 2/7 หน่วยงาน · ให้หน่วยงานทั้ง 7 หน่วยงาน") for c in at.caption)


def test_focal_points_get_no_meetings_page(app):
    at = login(app, "focal_bps")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(MEETINGS)


def test_a_link_to_a_directive_opens_the_directives_tab_with_it_first(app, app_env):
    directive_id = _count(app_env, "SELECT id FROM directive")
    meeting_id = _count(app_env, "SELECT meeting_id FROM directive")
    at = _open(app, MEETINGS, "chair", meeting=str(meeting_id), directive=str(directive_id))
    assert "ข้อสั่งการที่เปิดจากลิงก์" in [c.value for c in at.caption]
    assert at.tabs[3].proto.label == "ข้อสั่งการของประธาน"
