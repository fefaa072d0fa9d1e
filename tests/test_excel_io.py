"""The Excel round trip: template contents, all-or-nothing validation, preview, apply; text
that starts like a formula stays text (read back by openpyxl, from the XML and by LibreOffice)."""

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.db import read_session, write_session
from core.i18n import translate
from models import ProgressReport
from services import excel_io
from services.progress import ReportConflict
from tests.conftest import missing_part
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


def edit(data: bytes, changes: dict[tuple[int, str], object], *, as_text: bool = False) -> bytes:
    """The workbook with cells changed as openpyxl writes them ("=…" becomes a formula), or, with
    `as_text`, as a person types text into a text cell (a string cell whatever it starts with)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[excel_io.SHEET]
    for (row, key), value in changes.items():
        cell = ws.cell(row=row, column=COL[key])
        cell.value = value  # None empties the cell
        if as_text and isinstance(value, str):
            cell.data_type = "s"
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


def _save_as_secretariat(engine, sub_code: str, **fields) -> None:
    from services import progress
    from services.progress import ReportInput

    sec = actor(engine, "secretariat")
    current = report(engine, "BLA", sub_code, open_round(engine).id)
    data = ReportInput.from_report(current)
    for name, value in fields.items():
        setattr(data, name, value)
    with write_session(engine, sec) as s:
        progress.save_report(
            session=s,
            actor=sec,
            assignment_id=current.assignment_id,
            round_id=current.round_id,
            expected_version=current.version,
            data=data,
        )


def test_a_file_older_than_the_data_is_refused(demo_db):
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    _save_as_secretariat(demo_db, "1.3", next_steps="เลขาฯ แก้หลังดาวน์โหลด")  # someone saves after the download
    plan = upload(demo_db, edit(data, {(r13, "achievements"): "แก้จากไฟล์"}))
    assert [(p.row, p.message_key) for p in plan.problems] == [(r13, "error.import.changed_since_download")]
    untouched = upload(demo_db, data)  # the old file as it was would undo the secretariat's save: refused too
    assert [(p.row, p.message_key) for p in untouched.problems] == [(r13, "error.import.changed_since_download")]


@pytest.mark.parametrize("edited", [0, 7, "abc", 1.5])
def test_an_edited_version_cell_is_named_as_such_not_blamed_on_someone_else(demo_db, edited):
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    plan = upload(demo_db, edit(data, {(r13, "achievements"): "แก้จากไฟล์", (r13, "version"): edited}))
    assert [(p.row, p.column, p.message_key) for p in plan.problems] == [
        (r13, excel_io.HEADER["version"], "error.import.version_edited")
    ]
    assert plan.updates == [] and plan.problem_total == 1


def test_the_template_records_each_rows_version_in_its_hidden_meta_sheet(demo_db):
    wb = load_workbook(io.BytesIO(template(demo_db)))
    meta = {row[0]: row[1] for row in wb[excel_io.META_SHEET].iter_rows(values_only=True)}
    current = report(demo_db, "BLA", "1.3", open_round(demo_db).id)
    assert json.loads(meta[excel_io.META_VERSIONS]) == {"1.1": 0, "1.3": current.version}
    assert wb[excel_io.META_SHEET].sheet_state == "hidden" and wb[excel_io.META_SHEET].protection.sheet


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


# ----------------------------------------------------------------------------- file-level refusals
def test_file_level_problems_name_the_file_not_row_0(demo_db):
    plan = upload(demo_db, b"this is not a workbook")
    (problem,) = plan.problems
    assert problem.row is None and problem.column == "" and problem.whole_file
    assert plan.file_problem == problem and plan.problem_total == 1 and not plan.ok


def test_an_upload_over_the_byte_cap_is_refused_before_it_is_read(demo_db):
    plan = upload(demo_db, b"PK\x03\x04" + bytes(excel_io.MAX_UPLOAD_BYTES))
    assert [p.message_key for p in plan.problems] == ["error.import.too_large"]
    assert plan.problems[0].params == {"size_mb": "2.0", "max_mb": "2.0"} and plan.rows_read == 0
    assert "MB" in translate("error.import.too_large", **plan.problems[0].params)


def _without_meta(data: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    del wb[excel_io.META_SHEET]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _meta_edited(data: bytes, versions: str) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[excel_io.META_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == excel_io.META_VERSIONS)
    ws.cell(row=row, column=2).value = versions
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        _without_meta,
        lambda d: _meta_edited(d, "{broken"),
        lambda d: _meta_edited(d, '{"1.1": -1}'),
        lambda d: _meta_edited(d, "[]"),
    ],
    ids=["no-meta", "not-json", "negative", "not-a-mapping"],
)
def test_a_missing_or_damaged_meta_sheet_refuses_the_file(demo_db, damage):
    plan = upload(demo_db, damage(template(demo_db)))
    assert [(p.row, p.message_key) for p in plan.problems] == [(None, "error.import.not_our_template")]


def test_another_agencys_template_is_refused_as_a_whole(demo_db):
    ict = template(demo_db, who="secretariat", agency="ICT")
    plan = upload(demo_db, ict, who="secretariat", agency="BLA")
    assert [(p.row, p.message_key) for p in plan.problems] == [(None, "error.import.template_mismatch")]
    assert plan.problems[0].params == {"agency": "ICT", "fy": "2564", "months": "12"}


def test_problems_are_listed_up_to_a_screenful_and_all_counted(demo_db):
    data = template(demo_db)
    rows = {}
    for i in range(60):
        r = 10 + i
        rows |= {(r, "agency"): "BLA", (r, "fiscal_year"): 2564, (r, "months"): 12, (r, "sub_issue"): f"9.{i}"}
    plan = upload(demo_db, edit(data, rows))
    assert plan.problem_total == 60 and len(plan.problems) == excel_io.MAX_PROBLEMS_LISTED == 50
    assert plan.problems_not_listed == 10 and plan.file_problem is None
    assert [p.row for p in plan.problems] == list(range(10, 60))
    assert {p.message_key for p in plan.problems} == {"error.import.unknown_sub_issue"}
    with pytest.raises(excel_io.ProgressError) as refused, write_session(demo_db, actor(demo_db, "focal_bla")) as s:
        excel_io.apply_import(session=s, actor=actor(demo_db, "focal_bla"), plan=plan)
    assert refused.value.params == {"count": 60}


# ----------------------------------------------------------------------------- blank cells
def test_a_blank_cell_keeps_the_stored_value_and_the_plan_says_so(demo_db):
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    before = report(demo_db, "BLA", "1.3", open_round(demo_db).id)
    plan = upload(
        demo_db, edit(data, {(r13, "progress_pct"): None, (r13, "achievements"): "  ", (r13, "obstacles"): "ติดขัดงบประมาณ"})
    )
    assert plan.ok, plan.problems
    assert [(c.field, c.new) for c in plan.changes] == [("obstacles", "ติดขัดงบประมาณ")]
    assert [(n.row, n.sub_issue_code, n.field, n.value) for n in plan.kept] == [
        (r13, "1.3", "progress_pct", str(before.progress_pct)),
        (r13, "1.3", "achievements", before.achievements),
    ]
    a = actor(demo_db, "focal_bla")
    with write_session(demo_db, a) as s:
        assert excel_io.apply_import(session=s, actor=a, plan=plan) == 1
    after = report(demo_db, "BLA", "1.3", open_round(demo_db).id)
    assert after.progress_pct == before.progress_pct and after.achievements == before.achievements
    assert after.obstacles == "ติดขัดงบประมาณ"


def test_a_status_without_any_progress_is_refused(demo_db):
    data = template(demo_db)
    r11 = row_of(data, "1.1")  # not reported yet: no stored progress to keep
    plan = upload(demo_db, edit(data, {(r11, "status"): "เป็นไปตามแผน", (r11, "achievements"): "เริ่มแล้ว"}))
    assert [(p.row, p.column, p.message_key) for p in plan.problems] == [
        (r11, excel_io.HEADER["progress_pct"], "error.import.status_without_progress")
    ]
    assert re.search("[\u0e00-\u0e7f]", translate("error.import.status_without_progress"))


# ----------------------------------------------------------------------------- text stays text
FORMULA_LIKE = ['=HYPERLINK("http://example.invalid","x")', "+1", "-ดำเนินการ", "@SUM(A1)", "\tx"]
TEXT_KEYS = ("achievements", "obstacles", "next_steps", "evidence", "status_reason")
LO_CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"  # UTF-8, every sheet


def store_texts(engine, agency: str, sub_code: str, **fields: str) -> None:
    """Put texts into a report as they are (no trimming), as data loaded from elsewhere could be."""
    current = report(engine, agency, sub_code, open_round(engine).id)
    with write_session(engine, actor(engine, "secretariat")) as s:
        row = s.get(ProgressReport, current.id)
        for name, value in fields.items():
            setattr(row, name, value)
        row.version += 1
        s.add(row)


def formula_parts(data: bytes) -> list[str]:
    """The sheets of an xlsx that hold a formula element (<f>) anywhere."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and re.search(rb"<(\w+:)?f[\s>/]", archive.read(name))
        ]


def soffice_convert(files: dict[str, bytes], target: str, work: Path, infilter: str | None = None) -> Path:
    """Convert files with LibreOffice headless (one start for all); returns the output folder."""
    soffice = shutil.which("soffice")
    if soffice is None:
        missing_part("REQUIRE_OFFICE", "libreoffice", "no soffice (apt-get install libreoffice-calc-nogui)")
    work.mkdir(parents=True, exist_ok=True)
    sources = []
    for name, data in files.items():
        (work / name).write_bytes(data)
        sources.append(str(work / name))
    out = work / "out"
    command = [soffice, f"-env:UserInstallation={(work / 'lo-profile').as_uri()}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    subprocess.run(
        [*command, "--convert-to", target, "--outdir", str(out), *sources], check=True, capture_output=True, timeout=300
    )
    return out


def libreoffice_csv(files: dict[str, bytes], work: Path) -> dict[str, dict[str, list[list[str]]]]:
    """Every sheet of each workbook as LibreOffice computes it, through its CSV export:
    {file stem: {sheet name: rows}}. A formula comes out evaluated, text literally."""
    out = soffice_convert(files, LO_CSV_ALL_SHEETS, work)
    books: dict[str, dict[str, list[list[str]]]] = {}
    for name in files:
        stem = Path(name).stem
        for path in out.glob(f"{stem}-*.csv"):
            rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
            books.setdefault(stem, {})[path.stem.removeprefix(f"{stem}-")] = rows
    return books


def real_formula_control() -> bytes:
    """A workbook whose A1 is a real formula: LibreOffice must show "x", so a text check means something."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "control"
    wb.active["A1"] = FORMULA_LIKE[0]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_formula_like_text_is_written_as_text_and_the_unchanged_file_uploads_cleanly(demo_db, tmp_path):
    store_texts(demo_db, "BLA", "1.3", **dict(zip(TEXT_KEYS, FORMULA_LIKE, strict=True)))
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    ws = load_workbook(io.BytesIO(data))[excel_io.SHEET]
    for key, text in zip(TEXT_KEYS, FORMULA_LIKE, strict=True):
        cell = ws.cell(row=r13, column=COL[key])
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True), key
    assert ws.cell(row=r13, column=COL["sub_issue"]).quotePrefix is False  # only formula-like text is prefixed
    assert formula_parts(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert 'quotePrefix="1"' in archive.read("xl/styles.xml").decode()

    plan = upload(demo_db, data)
    assert plan.ok and plan.problems == [] and plan.problem_total == 0
    assert plan.changes == [] and plan.updates == [] and plan.kept == []

    books = libreoffice_csv({"template.xlsx": data, "control.xlsx": real_formula_control()}, tmp_path)
    assert books["control"]["control"][0][0] == "x"  # LibreOffice evaluates a real formula
    row = books["template"][excel_io.SHEET][r13 - 1]
    assert [row[COL[key] - 1] for key in TEXT_KEYS] == FORMULA_LIKE  # the template's text comes out literally


@pytest.mark.parametrize("text", FORMULA_LIKE[:4] + ["=1+1", "#N/A", "'=quoted"])
def test_achievements_that_look_like_formulas_round_trip_exactly(demo_db, text):
    _save_as_secretariat(demo_db, "1.3", achievements=text)
    data = template(demo_db)
    cell = load_workbook(io.BytesIO(data))[excel_io.SHEET].cell(row=row_of(data, "1.3"), column=COL["achievements"])
    assert (cell.value, cell.data_type) == (text, "s")
    assert formula_parts(data) == []
    plan = upload(demo_db, data)
    assert plan.ok and plan.changes == [] and plan.kept == []


def test_text_typed_with_a_leading_equals_is_the_users_text_but_a_real_formula_is_refused(demo_db):
    data = template(demo_db)
    r13 = row_of(data, "1.3")
    typed = upload(demo_db, edit(data, {(r13, "achievements"): "=ครบทุกข้อ"}, as_text=True))
    assert typed.ok, typed.problems
    assert [(c.field, c.new) for c in typed.changes] == [("achievements", "=ครบทุกข้อ")]
    a = actor(demo_db, "focal_bla")
    with write_session(demo_db, a) as s:
        excel_io.apply_import(session=s, actor=a, plan=typed)
    assert report(demo_db, "BLA", "1.3", open_round(demo_db).id).achievements == "=ครบทุกข้อ"

    formula = upload(demo_db, edit(template(demo_db), {(r13, "achievements"): "=SUM(1,2)"}))
    assert [(p.row, p.column, p.message_key) for p in formula.problems] == [
        (r13, excel_io.HEADER["achievements"], "error.import.formula_in_text")
    ]
    numeric = upload(demo_db, edit(template(demo_db), {(r13, "progress_pct"): "=50+50"}, as_text=True))
    assert [p.message_key for p in numeric.problems] == ["error.number.formula"]  # numbers never take "=…"


def test_a_template_saved_again_by_libreoffice_uploads_unchanged(demo_db, tmp_path):
    store_texts(demo_db, "BLA", "1.3", achievements=FORMULA_LIKE[0], obstacles="-ดำเนินการ")
    out = soffice_convert({"template.xlsx": template(demo_db)}, "xlsx:Calc MS Excel 2007 XML", tmp_path)
    resaved = (out / "template.xlsx").read_bytes()
    assert formula_parts(resaved) == []
    plan = upload(demo_db, resaved)
    assert plan.ok, plan.problems
    assert plan.changes == [] and plan.kept == []
