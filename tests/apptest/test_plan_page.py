"""The Plan page through AppTest: the admin gets an editor per table, the two downloads and a
review that says when nothing differs; the secretariat reads the same tables without editors;
other roles cannot open it. The overview groups by alignment and the heatmap filters by it.
(Editing a cell and uploading a file are driven in Chromium, tests/e2e/test_plan_journey.py.)"""

from pathlib import Path

import pytest

from tests.apptest.conftest import APP_FILE, login, subheaders, titles

PAGES = Path(APP_FILE).parent / "pages"


def _open(app, username, page="plan.py"):
    at = login(app, username)
    at.switch_page(str(PAGES / page)).run()
    assert not at.exception, at.exception
    return at


def test_the_admin_edits_every_table_and_downloads_both_formats(app):
    at = _open(app, "admin")
    assert titles(at)[0] == "แผนและตัวชี้วัด"
    shown_sections = subheaders(at)
    for name in ("แผน", "หน่วยงาน", "ประเด็นย่อย", "หน่วยงานรับผิดชอบและตัวชี้วัด", "รายการความสอดคล้อง", "คะแนนผลการประเมินรายปี"):
        assert name in shown_sections
    assert len(at.dataframe) == 10  # one editor per table (AppTest sees a data editor as a dataframe)
    owners = next(d.value for d in at.dataframe if "target" in d.value.columns)
    assert len(owners) == 27 and owners["sub_issue_id"].notna().all()
    downloads = [d.proto.label for d in at.get("download_button")]
    assert downloads == ["ดาวน์โหลดแผน (Excel)", "ดาวน์โหลดแผน (YAML)"]
    next(b for b in at.button if b.label == "ตรวจทานการเปลี่ยนแปลงจากตาราง").click().run()
    assert not at.exception and [i.value for i in at.info] == ["ไม่มีอะไรต่างจากแผนปัจจุบัน"]
    assert not any(b.label == "บันทึกการเปลี่ยนแปลงแผน" for b in at.button)


def test_the_secretariat_reads_the_plan_without_editing(app):
    at = _open(app, "secretariat")
    assert titles(at)[0] == "แผนและตัวชี้วัด"
    assert "ผู้ดูแลระบบเป็นผู้แก้ไข" in at.caption[0].value
    assert not any(b.label.startswith("ตรวจทาน") for b in at.button)
    assert len(at.get("download_button")) == 2


@pytest.mark.parametrize("username", ["chair", "executive", "viewer", "focal_ict"])
def test_other_roles_cannot_open_the_plan_page(app, username):
    at = login(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not given to the role at all
        at.switch_page(str(PAGES / "plan.py"))


def test_the_overview_groups_by_alignment_and_the_heatmap_filters_by_it(app):
    at = _open(app, "chair", "overview.py")
    assert "ความก้าวหน้าตามความสอดคล้องกับยุทธศาสตร์ชาติและแผน" in subheaders(at)
    at.switch_page(str(PAGES / "heatmap.py")).run()
    pick = next(m for m in at.multiselect if m.label == "กรองตามความสอดคล้องกับยุทธศาสตร์ชาติและแผน")
    assert pick.options and all(
        o.split(":")[0] in ("ยุทธศาสตร์ชาติ 20 ปี", "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ", "แผนของกระทรวง") for o in pick.options
    )
    pick.select(pick.options[-1]).run()
    assert not at.exception
    assert at.query_params["align"]
