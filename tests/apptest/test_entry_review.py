"""The entry and review pages through AppTest: draft save, unsaved marker, conflict, submit, review."""

from decimal import Decimal
from pathlib import Path

from core.db import make_engine, write_session
from core.i18n import translate
from models import ProgressStatus, SubmissionState
from services import progress
from services.progress import ReportInput
from tests.apptest.conftest import APP_FILE, login, shown, titles
from tests.helpers import actor, assignment, open_round, report

ENTRY = str(Path(APP_FILE).parent / "pages" / "entry.py")
REVIEW = str(Path(APP_FILE).parent / "pages" / "review.py")


def _engine(path):
    return make_engine(f"sqlite:///{path}")


def _key(engine, agency, sub, name):
    return f"e{open_round(engine).id}_{assignment(engine, agency, sub).id}_{name}"


def _texts(at):
    return "\n".join(shown(str(e.value)) for e in (*at.error, *at.warning, *at.markdown, *at.success, *at.info))


def test_focal_point_saves_a_draft_and_sees_unsaved_marker_first(app, app_env):
    engine = _engine(app_env)
    at = login(app, "focal_bla")
    at.switch_page(ENTRY).run()
    assert not at.exception
    assert titles(at)[0] == "รายงานผลการดำเนินงาน"
    at.number_input(key=_key(engine, "BLA", "1.1", "progress_pct")).set_value(100.0)
    at.number_input(key=_key(engine, "BLA", "1.1", "actual_value")).set_value(3.0)
    at.selectbox(key=_key(engine, "BLA", "1.1", "status")).set_value(ProgressStatus.completed)
    at.text_area(key=_key(engine, "BLA", "1.1", "achievements")).input("แก้ไขระเบียบครบ 3 ฉบับ").run()
    assert "มีการแก้ไขที่ยังไม่บันทึก" in _texts(at)
    assert report(engine, "BLA", "1.1", open_round(engine).id) is None  # nothing saved yet
    at.button(key=_key(engine, "BLA", "1.1", "save")).click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["บันทึกแล้ว"]
    saved = report(engine, "BLA", "1.1", open_round(engine).id)
    assert saved.progress_pct == Decimal(100) and saved.achievements == "แก้ไขระเบียบครบ 3 ฉบับ"
    assert "มีการแก้ไขที่ยังไม่บันทึก" not in _texts(at)


def test_out_of_range_progress_is_refused_not_clamped(app, app_env):
    engine = _engine(app_env)
    at = login(app, "focal_bla")
    at.switch_page(ENTRY).run()
    at.number_input(key=_key(engine, "BLA", "1.1", "progress_pct")).set_value(150.0).run()
    at.button(key=_key(engine, "BLA", "1.1", "save")).click().run()
    assert "ความก้าวหน้าต้องอยู่ระหว่าง 0 ถึง 100" in _texts(at)
    assert at.number_input(key=_key(engine, "BLA", "1.1", "progress_pct")).value == 150.0  # input kept
    assert report(engine, "BLA", "1.1", open_round(engine).id) is None


def test_a_concurrent_edit_is_refused_with_who_changed_what_and_input_kept(app, app_env):
    engine = _engine(app_env)
    at = login(app, "focal_bla")
    at.switch_page(ENTRY).run()
    rid = open_round(engine).id
    # the secretariat saves item 1.3 while the focal point has the page open
    current = report(engine, "BLA", "1.3", rid)
    theirs = ReportInput.from_report(current)
    theirs.next_steps = "เลขานุการเพิ่มขั้นตอนถัดไป"
    sec = actor(engine, "secretariat")
    with write_session(engine, sec) as s:
        progress.save_report(
            session=s, actor=sec, assignment_id=current.assignment_id, round_id=rid, expected_version=current.version, data=theirs
        )
    at.text_area(key=_key(engine, "BLA", "1.3", "achievements")).input("ข้อความของผู้ประสานงาน").run()
    at.button(key=_key(engine, "BLA", "1.3", "save")).click().run()
    assert not at.exception
    text = _texts(at)
    # people are named by display name, not username
    assert "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร) แก้ไขรายการนี้หลังจากที่ท่านเปิดหน้านี้" in text
    changes = at.dataframe[-1].value
    assert "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)" in set(changes["ผู้แก้ไข"])
    assert "การดำเนินงานขั้นต่อไป" in set(changes.iloc[:, 2])
    assert at.text_area(key=_key(engine, "BLA", "1.3", "achievements")).value == "ข้อความของผู้ประสานงาน"
    assert report(engine, "BLA", "1.3", rid).next_steps == "เลขานุการเพิ่มขั้นตอนถัดไป"
    # reconcile on purpose: keep mine over theirs
    at.button(key=_key(engine, "BLA", "1.3", "keep_mine")).click().run()
    at.button(key=_key(engine, "BLA", "1.3", "save")).click().run()
    assert report(engine, "BLA", "1.3", rid).achievements == "ข้อความของผู้ประสานงาน"


def test_submit_lists_what_is_missing(app, app_env):
    at = login(app, "focal_bla")
    at.switch_page(ENTRY).run()
    at.button(key="submit_round").click().run()
    assert "1.1 · รายงาน: ยังไม่ได้รายงานรายการนี้" in _texts(at)
    assert report(_engine(app_env), "BLA", "1.3", open_round(_engine(app_env)).id).submission_state == SubmissionState.draft


def test_secretariat_approves_from_the_review_page(app, app_env):
    engine = _engine(app_env)
    at = login(app, "secretariat")
    at.switch_page(REVIEW).run()
    assert not at.exception
    target = report(engine, "OTEPC", "1.5", open_round(engine).id)
    at.button(key=f"rv_{target.id}_approve").click().run()
    assert [t.value for t in at.toast] == ["อนุมัติแล้ว"]
    assert report(engine, "OTEPC", "1.5", open_round(engine).id).submission_state == SubmissionState.approved


def test_the_review_panel_shows_what_the_item_is_judged_against(app, app_env):
    at = login(app, "secretariat")
    at.switch_page(REVIEW).run()
    assert not at.exception
    panels = [e for e in at.expander if "1.5" in shown(e.label) and "สำนักงาน ก.ค.ศ." in shown(e.label)]
    assert panels
    texts = [shown(m.value) for m in panels[0].markdown]
    assert any(x.startswith("**ค่าเป้าหมาย:** ") and "**ความก้าวหน้าที่คาดหวังในรอบนี้:** ร้อยละ 100" in x for x in texts), texts
    assert any(x.startswith("**ผลผลิต / ตัวชี้วัด:** ") for x in texts)
    evidence = [c.value for c in panels[0].caption] + texts
    assert any(x.startswith("หลักฐานที่แนบ") or x == "ไม่มีหลักฐานแนบมากับรายการนี้" for x in evidence)


def test_return_needs_a_comment(app, app_env):
    engine = _engine(app_env)
    at = login(app, "secretariat")
    at.switch_page(REVIEW).run()
    target = report(engine, "BIE", "3.2", open_round(engine).id)
    at.button(key=f"rv_{target.id}_return").click().run()
    assert "กรุณาระบุข้อสังเกตที่ต้องการให้แก้ไข" in _texts(at)
    assert report(engine, "BIE", "3.2", open_round(engine).id).submission_state == SubmissionState.submitted


def test_leaving_and_returning_keeps_stored_values_and_unsaved_input(app, app_env):
    """Regression: Streamlit drops widget values on other pages; a save after coming back must
    not blank the fields the user never touched."""
    engine = _engine(app_env)
    rid = open_round(engine).id
    before = report(engine, "BLA", "1.3", rid)
    at = login(app, "focal_bla")
    at.switch_page(ENTRY).run()
    at.text_area(key=_key(engine, "BLA", "1.3", "obstacles")).input("ยังไม่บันทึก: รอความเห็นกรมบัญชีกลาง").run()
    at.switch_page(str(Path(APP_FILE).parent / "pages" / "home.py")).run()
    at.switch_page(ENTRY).run()
    assert at.text_area(key=_key(engine, "BLA", "1.3", "obstacles")).value == "ยังไม่บันทึก: รอความเห็นกรมบัญชีกลาง"
    assert at.text_area(key=_key(engine, "BLA", "1.3", "achievements")).value == before.achievements
    at.text_area(key=_key(engine, "BLA", "1.3", "next_steps")).input("เสนอร่างต่อคณะกรรมการ").run()
    at.button(key=_key(engine, "BLA", "1.3", "save")).click().run()
    after = report(engine, "BLA", "1.3", rid)
    assert after.next_steps == "เสนอร่างต่อคณะกรรมการ"
    assert after.obstacles == "ยังไม่บันทึก: รอความเห็นกรมบัญชีกลาง"
    assert (after.achievements, after.status, after.progress_pct) == (before.achievements, before.status, before.progress_pct)


def test_submit_with_unsaved_edits_on_screen_submits_nothing_and_names_the_items(app, app_env):
    """The probe: item 3.3 changed to 95 % and its narrative cleared, the save refused, then
    "submit" said "submitted" and sent the stored 100 % while the form still showed 95."""
    engine = _engine(app_env)
    rid = open_round(engine).id
    at = login(app, "focal_onie")
    at.switch_page(ENTRY).run()
    at.number_input(key=_key(engine, "ONIE", "3.3", "progress_pct")).set_value(95.0)
    at.text_area(key=_key(engine, "ONIE", "3.3", "achievements")).input("").run()
    at.button(key=_key(engine, "ONIE", "3.3", "save")).click().run()
    assert "ยังบันทึกไม่ได้" in _texts(at)  # 95 % against a "completed" status needs a reason
    at.button(key="submit_round").click().run()
    assert not at.exception
    text = shown(_texts(at))
    assert "ยังส่งรายงานไม่ได้" in text and "ยังไม่ได้บันทึก" not in [t.value for t in at.toast]
    assert "3.3" in text and "ยังไม่บันทึก" in text  # which item, and why
    assert [t.value for t in at.toast] == []  # no "submitted" toast
    stored = report(engine, "ONIE", "3.3", rid)
    assert stored.submission_state == SubmissionState.draft and stored.progress_pct == Decimal(100)
    assert at.number_input(key=_key(engine, "ONIE", "3.3", "progress_pct")).value == 95.0  # the input is kept


def test_after_a_submit_the_form_shows_what_was_submitted(app, app_env):
    engine = _engine(app_env)
    rid = open_round(engine).id
    at = login(app, "focal_onie")
    at.switch_page(ENTRY).run()
    at.button(key="submit_round").click().run()
    assert not at.exception
    assert [shown(t.value) for t in at.toast] == [
        translate("entry.submitted_no_evidence", n=1, codes="3.3")
    ]  # sent, bare, and said
    stored = report(engine, "ONIE", "3.3", rid)
    assert stored.submission_state == SubmissionState.submitted
    assert at.number_input(key=_key(engine, "ONIE", "3.3", "progress_pct")).value == float(stored.progress_pct)
    assert at.number_input(key=_key(engine, "ONIE", "3.3", "progress_pct")).disabled  # submitted: locked


def test_history_shows_every_figure_in_one_number_format(app, app_env):
    engine = _engine(app_env)
    at = login(app, "focal_onie")
    at.switch_page(ENTRY).run()
    at.number_input(key=_key(engine, "ONIE", "3.3", "progress_pct")).set_value(60.0).run()  # the reason box appears
    at.text_input(key=_key(engine, "ONIE", "3.3", "status_reason")).input("ทบทวนตัวเลขใหม่").run()
    at.button(key=_key(engine, "ONIE", "3.3", "save")).click().run()
    assert not at.exception and [t.value for t in at.toast] == ["บันทึกแล้ว"]
    histories = [df.value for df in at.dataframe if "ค่าเดิม" in df.value.columns]
    mine = next(h for h in histories if "ทบทวนตัวเลขใหม่" in set(h["ค่าใหม่"]))  # item 3.3's history
    progress_rows = mine[mine["รายการ"] == "ความก้าวหน้า (ร้อยละ)"]
    assert list(zip(progress_rows["ค่าเดิม"], progress_rows["ค่าใหม่"], strict=True)) == [("100.00", "60.00"), ("", "100.00")]
    assert "ฉบับร่าง" in set(mine["ค่าใหม่"])  # a submission state in words, not "draft"


def test_submit_refuses_an_item_someone_changed_after_the_screen_was_drawn(app, app_env):
    """Found by review: the page reloaded a changed item before checking, so the submit sent the
    secretariat's text the focal point never saw."""
    engine = _engine(app_env)
    rid = open_round(engine).id
    at = login(app, "focal_onie")
    at.switch_page(ENTRY).run()
    stored = report(engine, "ONIE", "3.3", rid)
    changed = ReportInput.from_report(stored)
    changed.next_steps = "เลขานุการแก้ไขหลังจากหน้าจอแสดงผลแล้ว"
    sec = actor(engine, "secretariat")
    with write_session(engine, sec) as s:
        progress.save_report(
            session=s, actor=sec, assignment_id=stored.assignment_id, round_id=rid, expected_version=stored.version, data=changed
        )
    at.button(key="submit_round").click().run()
    assert not at.exception
    assert "ยังส่งรายงานไม่ได้" in _texts(at) and [t.value for t in at.toast] == []
    assert report(engine, "ONIE", "3.3", rid).submission_state == SubmissionState.draft
    # the screen now shows the latest: the next click submits what it shows
    assert at.text_area(key=_key(engine, "ONIE", "3.3", "next_steps")).value == "เลขานุการแก้ไขหลังจากหน้าจอแสดงผลแล้ว"
    at.button(key="submit_round").click().run()
    assert [shown(t.value) for t in at.toast] == [
        translate("entry.submitted_no_evidence", n=1, codes="3.3")
    ]  # sent, bare, and said
