"""The Excel round trip: template contents, all-or-nothing validation, preview, apply."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.db import read_session, write_session
from services import excel_io
from services.progress import ReportConflict
from tests.helpers import actor, agency_id, open_round, report

COL = excel_io.COL


def template(engine, who="focal_bla", agency="BLA"):
    a = actor(engine, who)
    with read_session(engine) as s:
        return excel_io.build_template(session=s, actor=a, round_id=open_round(engine).id, agency_id=agency_id(engine, agency))


def upload(engine, data, who="focal_bla", agency="BLA"):
    a = actor(engine, who)
    with read_session(engine) as s:
        return excel_io.read_upload(
            session=s, actor=a, round_id=open_round(engine).id, agency_id=agency_id(engine, agency), data=data
        )


def edit(data: bytes, changes: dict[tuple[int, str], object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[excel_io.SHEET]
    for (row, key), value in changes.items():
        ws.cell(row=row, column=COL[key], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(data: bytes, sub_code: str) -> int:
    ws = load_workbook(io.BytesIO(data))[excel_io.SHEET]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=COL["sub_issue"]).value == sub_code)


def test_template_is_prefilled_with_thai_headers_dropdown_and_locked_keys(demo_db):
    wb = load_workbook(io.BytesIO(template(demo_db)))
    ws = wb[excel_io.SHEET]
    assert [c.value for c in ws[1]][:4] == ["รหัสหน่วยงาน", "ปีงบประมาณ", "รอบ (เดือน)", "ประเด็นย่อย"]
    assert [ws.cell(row=r, column=COL["sub_issue"]).value for r in (2, 3)] == ["1.1", "1.3"]
    assert ws.cell(row=3, column=COL["prev_progress"]).value is not None  # previous round for reference
    assert ws.protection.sheet is True
    assert ws.cell(row=2, column=COL["sub_issue"]).protection.locked is True
    assert ws.cell(row=2, column=COL["progress_pct"]).protection.locked is False
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert lists and "_lists" in lists[0].formula1
    assert [c.value for c in wb["_lists"]["A"]] == ["ยังไม่ดำเนินการ", "เป็นไปตามแผน", "ดำเนินการแล้วเสร็จ", "ล่าช้ากว่ากำหนด", "ยกเลิก"]
    assert ws.column_dimensions["S"].hidden is True


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("๑๐๐", Decimal(100)), ("ร้อยละ 100", Decimal(100)), ("100%", Decimal(100)), (100, Decimal(100))],
)
def test_upload_accepts_what_people_type(demo_db, typed, expected):
    data = template(demo_db)
    r = row_of(data, "1.1")
    plan = upload(
        demo_db,
        edit(
            data,
            {
                (r, "progress_pct"): typed,
                (r, "actual_value"): "1,234",
                (r, "status"): "ดำเนินการแล้วเสร็จ",
                (r, "achievements"): "ครบ",
            },
        ),
    )
    assert plan.ok, plan.problems
    (update,) = plan.updates
    assert update.data.progress_pct == expected and update.data.actual_value == Decimal(1234)


@pytest.mark.parametrize(
    ("key", "value", "message_key"),
    [
        ("progress_pct", "=50+50", "error.number.formula"),
        ("progress_pct", 150, "error.progress_range"),
        ("progress_pct", "nan", "error.number.nan"),
        ("progress_pct", "ครึ่งหนึ่ง", "error.number.not_a_number"),
        ("actual_value", -3, "error.actual_negative"),
        ("sub_issue", "9.9", "error.import.unknown_sub_issue"),
        ("agency", "ICT", "error.import.other_agency"),
        ("months", 9, "error.import.wrong_round"),
        ("status", "เสร็จแล้วมั้ง", "error.import.unknown_status"),
    ],
)
def test_each_bad_value_is_named_with_its_row_and_column(demo_db, key, value, message_key):
    data = template(demo_db)
    r = row_of(data, "1.1")
    plan = upload(demo_db, edit(data, {(r, key): value, (r, "achievements"): "x"}))
    assert not plan.ok and plan.updates == []
    problem = next(p for p in plan.problems if p.message_key == message_key)
    assert problem.row == r and problem.column == excel_io.HEADER[key]


def test_duplicate_rows_are_refused(demo_db):
    data = template(demo_db)
    plan = upload(
        demo_db,
        edit(
            data,
            {
                (4, key): value
                for key, value in [
                    ("agency", "BLA"),
                    ("fiscal_year", 2564),
                    ("months", 12),
                    ("sub_issue", "1.1"),
                    ("progress_pct", 10),
                    ("status", "ล่าช้ากว่ากำหนด"),
                    ("version", 0),
                ]
            },
        ),
    )
    assert [(p.row, p.message_key) for p in plan.problems] == [(4, "error.import.duplicate")]


def test_one_bad_row_blocks_every_row_then_the_fixed_file_applies(demo_db):
    data = template(demo_db)
    r11, r13 = row_of(data, "1.1"), row_of(data, "1.3")
    good = {
        (r11, "progress_pct"): 100,
        (r11, "actual_value"): 3,
        (r11, "status"): "ดำเนินการแล้วเสร็จ",
        (r11, "achievements"): "แก้ไขระเบียบครบ",
    }
    bad = edit(data, good | {(r13, "progress_pct"): "=A1"})
    plan = upload(demo_db, bad)
    assert [(p.row, p.column) for p in plan.problems] == [(r13, "ความก้าวหน้า (ร้อยละ)")]
    assert plan.updates == [] and plan.changes == []
    rid = open_round(demo_db).id
    assert report(demo_db, "BLA", "1.1", rid) is None
    fixed = upload(demo_db, edit(data, good))
    assert fixed.ok
    assert {(c.sub_issue_code, c.field) for c in fixed.changes} >= {("1.1", "progress_pct"), ("1.1", "achievements")}
    a = actor(demo_db, "focal_bla")
    with write_session(demo_db, a) as s:
        assert excel_io.apply_import(session=s, actor=a, plan=fixed) == 1
    saved = report(demo_db, "BLA", "1.1", rid)
    assert saved.progress_pct == Decimal(100) and saved.achievements == "แก้ไขระเบียบครบ"


def test_a_file_older_than_the_data_is_refused(demo_db):
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    current = report(demo_db, "BLA", "1.3", open_round(demo_db).id)
    plan = upload(
        demo_db, edit(data, {(r13, "achievements"): "แก้จากไฟล์", (r13, "version"): current.version - 1}), who="secretariat"
    )
    assert [p.message_key for p in plan.problems] == ["error.import.changed_since_download"]


def test_apply_is_all_or_nothing_when_a_row_conflicts_at_apply_time(demo_db):
    data = template(demo_db)
    r11, r13 = row_of(data, "1.1"), row_of(data, "1.3")
    plan = upload(
        demo_db,
        edit(data, {(r11, "progress_pct"): 50, (r11, "status"): "ล่าช้ากว่ากำหนด", (r13, "achievements"): "จากไฟล์"}),
        who="secretariat",
    )
    assert plan.ok and len(plan.updates) == 2
    # someone edits 1.3 between preview and apply
    from services import progress
    from services.progress import ReportInput

    sec = actor(demo_db, "secretariat")
    rid = open_round(demo_db).id
    current = report(demo_db, "BLA", "1.3", rid)
    data13 = ReportInput.from_report(current)
    data13.next_steps = "เลขาฯ เพิ่ม"
    with write_session(demo_db, sec) as s:
        progress.save_report(
            session=s, actor=sec, assignment_id=current.assignment_id, round_id=rid, expected_version=current.version, data=data13
        )
    with pytest.raises(ReportConflict), write_session(demo_db, sec) as s:
        excel_io.apply_import(session=s, actor=sec, plan=plan)
    assert report(demo_db, "BLA", "1.1", rid) is None  # the first row was rolled back too
    assert report(demo_db, "BLA", "1.3", rid).achievements != "จากไฟล์"


def test_focal_point_cannot_change_an_approved_item_by_file(demo_db):
    data = template(demo_db, who="focal_bps", agency="BPS")
    r12 = row_of(data, "1.2")  # approved in the open round
    plan = upload(demo_db, edit(data, {(r12, "achievements"): "แก้หลังอนุมัติ"}), who="focal_bps", agency="BPS")
    assert [(p.row, p.message_key) for p in plan.problems] == [(r12, "error.already_submitted")]


def test_not_an_excel_file(demo_db):
    plan = upload(demo_db, b"this is not a workbook")
    assert [p.message_key for p in plan.problems] == ["error.import.not_xlsx"]


def test_focal_point_cannot_upload_for_another_agency(demo_db):
    plan = upload(demo_db, template(demo_db), who="focal_ict", agency="BLA")
    assert [p.message_key for p in plan.problems] == ["error.other_agency"]
