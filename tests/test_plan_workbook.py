"""The plan as tables, YAML and Excel, on SQLite and PostgreSQL: each form reads back to the plan
it was written from (no change to apply), an edit in a workbook is the edit applied, renumbering
in the sub-issue table alone is enough, and every fault names its table, row and column in Thai."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.db import read_session
from services import plan_admin, plans
from services import plan_workbook as pw
from services.errors import UserFacingError
from services.plan_admin import Change, PlanEditError
from services.plan_loader import parse_plan
from tests.test_plan_admin import _apply, _preview, _spec


def _problems(exc: pytest.ExceptionInfo[PlanEditError]) -> list[str]:
    return [p.text() for p in exc.value.problems]


def test_every_form_reads_back_to_the_plan(demo_db):
    plan_id, spec = _spec(demo_db)
    assert pw.from_tables(pw.to_tables(spec), demo=True) == spec
    assert pw.from_tables(pw.to_tables(spec, "en"), demo=True) == spec  # English labels too
    assert pw.read_xlsx(pw.to_xlsx(spec), demo=True) == spec
    assert pw.read_upload(pw.to_xlsx(spec, lang="en"), demo=True) == spec
    text = pw.to_yaml(spec)
    assert text.startswith("# แผนปฏิรูปองค์การ") and spec.alignment.strategy[0].name_th in text
    assert _preview(demo_db, plan_id, parse_plan(text)) == []
    assert _preview(demo_db, plan_id, pw.read_upload(text.encode(), demo=True)) == []


def test_the_plan_workbook_prints_landscape_one_page_wide_in_a_thai_font(demo_db):
    """Each sheet prints on A4 landscape with every column on the page's width and the header row
    repeated, and no cell is left in Calibri (which has no Thai)."""
    _, spec = _spec(demo_db)
    wb = load_workbook(io.BytesIO(pw.to_xlsx(spec)))
    assert len(wb.worksheets) > 5
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", int(ws.PAPERSIZE_A4)), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows.replace("$", "") == "1:1", ws.title  # the header row on every page
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
        assert fonts == {"TH Sarabun New"}, (ws.title, fonts)


def test_a_workbook_edit_is_applied(demo_db):
    plan_id, spec = _spec(demo_db)
    wb = load_workbook(io.BytesIO(pw.to_xlsx(spec)))
    owners = wb["หน่วยงานรับผิดชอบและตัวชี้วัด"]
    head = [c.value for c in owners[1]]
    row = next(r for r in owners.iter_rows(min_row=2) if r[head.index("ประเด็นย่อย")].value == "2.1")
    row[head.index("ค่าเป้าหมาย")].value = 7
    agencies = wb["หน่วยงาน"]
    agencies.append(["NEWAG", "สำนักงานทดลองใหม่", "สทม.", "New test office"])
    out = io.BytesIO()
    wb.save(out)
    edited = pw.read_upload(out.getvalue(), demo=True)
    changes = _preview(demo_db, plan_id, edited)
    agency = row[head.index("หน่วยงาน (รหัส)")].value
    assert Change("add", "agency", "NEWAG", new="สทม.") in changes
    assert any(c.key == f"2.1 {agency}" and c.field == "target_value" and c.new == "7" for c in changes)
    _apply(demo_db, plan_id, edited)
    _, after = _spec(demo_db)
    owner = next(
        a for m in after.main_issues for s in m.sub_issues if s.code == "2.1" for a in s.assignments if a.agency == agency
    )
    assert owner.target == Decimal(7)


def test_renumbering_in_the_sub_issue_table_alone_keeps_owners(demo_db):
    plan_id, spec = _spec(demo_db)
    tables = pw.to_tables(spec)
    subs = tables["sub_issues"]
    first = subs.index[subs.code == "1.1"][0]
    sub_id = int(subs.at[first, "id"])
    subs.at[first, "code"] = "1.8"  # the owners table still says 1.1 but carries the id
    edited = pw.from_tables(tables, demo=True)
    assert _preview(demo_db, plan_id, edited) == [Change("update", "sub_issue", "1.8", "code", "1.1", "1.8")]
    _apply(demo_db, plan_id, edited)
    with read_session(demo_db) as s:
        again = plan_admin.export_spec(session=s, plan_id=plans.active_plan(session=s).id)
    moved = next(x for m in again.main_issues for x in m.sub_issues if x.id == sub_id)
    assert moved.code == "1.8" and moved.assignments


@pytest.mark.parametrize(
    ("table", "column", "value", "expected"),
    [
        ("agencies", "code", "bad code!", "ตาราง «หน่วยงาน» แถว 1 · รหัส: รูปแบบไม่ถูกต้อง"),
        ("agencies", "short_name_th", None, "ตาราง «หน่วยงาน» แถว 1 · ชื่อย่อ: ต้องกรอก"),
        ("assignments", "target", "มาก", "ตาราง «หน่วยงานรับผิดชอบและตัวชี้วัด» แถว 1 · ค่าเป้าหมาย: ต้องเป็นตัวเลข"),
        ("assignments", "weight", -1, "ตาราง «หน่วยงานรับผิดชอบและตัวชี้วัด» แถว 1 · น้ำหนัก: ต้องไม่น้อยกว่า 0"),
        ("sub_issues", "main_issue", 9, "ตาราง «ประเด็นย่อย» แถว 1: ไม่มีประเด็นหลักเลขนี้ในตารางประเด็นหลัก"),
        ("sub_issues", "name_th", "ก" * 501, "ตาราง «ประเด็นย่อย» แถว 1 · ชื่อ (ไทย): ยาวเกิน 500 ตัวอักษร"),
        ("alignment", "kind", "อื่น ๆ", "ตาราง «รายการความสอดคล้อง» แถว 1: ช่อง «รายการ» ต้องเป็นหนึ่งใน"),
        ("plan", "first_fiscal_year", "ปีหน้า", "ตาราง «แผน» แถว 1 · ปีงบประมาณแรก (พ.ศ.): ต้องเป็นจำนวนเต็ม"),
    ],
)
def test_a_faulty_cell_names_its_table_row_and_column_in_thai(demo_db, table, column, value, expected):
    _, spec = _spec(demo_db)
    tables = pw.to_tables(spec)
    tables[table] = tables[table].astype(object)
    tables[table].at[0, column] = value
    with pytest.raises(PlanEditError) as exc:
        pw.from_tables(tables, demo=True)
    assert any(text.startswith(expected) for text in _problems(exc)), _problems(exc)


def test_files_that_are_not_plans_are_refused_plainly(demo_db):
    _, spec = _spec(demo_db)
    with pytest.raises(PlanEditError) as exc:
        pw.read_upload(b"plan: [unclosed", demo=True)
    assert _problems(exc)[0].startswith("บรรทัด 2: (syntax): did not find expected")
    with pytest.raises(UserFacingError) as refused:
        pw.read_upload(b"PK\x03\x04 not really a zip", demo=True)
    assert refused.value.message_key == "error.import.not_xlsx"
    wb = load_workbook(io.BytesIO(pw.to_xlsx(spec)))
    wb["หน่วยงาน"].cell(1, 6).value = "คอลัมน์แปลก"
    del wb["ประเด็นย่อย"]
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(PlanEditError) as exc:
        pw.read_upload(out.getvalue(), demo=True)
    assert _problems(exc) == ["หน่วยงาน: มีคอลัมน์ที่ระบบไม่รู้จัก: คอลัมน์แปลก (ใช้ไฟล์ที่ดาวน์โหลดจากหน้านี้เป็นแบบ)"]
    wb["หน่วยงาน"].delete_cols(6)
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(PlanEditError) as exc:
        pw.read_upload(out.getvalue(), demo=True)
    assert _problems(exc) == ["ไม่พบแผ่นงาน: ประเด็นย่อย (ใช้ไฟล์ที่ดาวน์โหลดจากหน้านี้เป็นแบบ)"]


def test_english_short_names_and_units_are_columns_of_every_form(demo_db):
    plan_id, spec = _spec(demo_db)
    tables = pw.to_tables(spec)
    assert "short_name_en" in tables["agencies"] and "unit_en" in tables["assignments"]
    assert tables["agencies"].set_index("code").loc["ICT", "short_name_en"] == "ICT Center"
    assert "percent" in set(tables["assignments"]["unit_en"])
    wb = load_workbook(io.BytesIO(pw.to_xlsx(spec)))
    agencies, owners = wb["หน่วยงาน"], wb["หน่วยงานรับผิดชอบและตัวชี้วัด"]
    a_head, o_head = [c.value for c in agencies[1]], [c.value for c in owners[1]]
    assert "ชื่อย่อ (อังกฤษ)" in a_head and "หน่วยนับ (อังกฤษ)" in o_head
    row = next(r for r in agencies.iter_rows(min_row=2) if r[0].value == "BLA")
    row[a_head.index("ชื่อย่อ (อังกฤษ)")].value = "Legal"
    owner = next(
        r
        for r in owners.iter_rows(min_row=2)
        if (r[o_head.index("ประเด็นย่อย")].value, r[o_head.index("หน่วยงาน (รหัส)")].value) == ("2.1", "ICT")
    )
    owner[o_head.index("หน่วยนับ (อังกฤษ)")].value = "platform"
    out = io.BytesIO()
    wb.save(out)
    edited = pw.read_upload(out.getvalue(), demo=True)
    expected = [
        Change("update", "agency", "BLA", "short_name_en", "BLA", "Legal"),
        Change("update", "assignment", "2.1 ICT", "unit_en", "system", "platform"),
    ]
    assert _preview(demo_db, plan_id, edited) == expected
    text = pw.to_yaml(edited)
    assert "short_name_en: Legal" in text and "unit_en: platform" in text
    assert _preview(demo_db, plan_id, parse_plan(text)) == expected  # the YAML holds the same edit
