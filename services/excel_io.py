"""The Excel round trip: a prefilled template per agency and round, and an all-or-nothing upload.

The upload is read into an ImportPlan: every problem (row, column, value, why) and, when there
are none, every change it would make. Nothing is written until `apply_import`, which saves all
rows in the caller's single transaction, so a failure part-way leaves the database untouched.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from core.i18n import translate
from models import Agency, ProgressStatus, Role
from services.errors import UserFacingError
from services.numbers import NumberError, parse_number
from services.permissions import Actor
from services.progress import (
    FOCAL_EDITABLE_STATES,
    EntryItem,
    ProgressError,
    ReportInput,
    entry_items,
    get_round,
    require_edit,
    save_report,
    validate,
)

SHEET = "รายงานผล"
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
# (key, Thai header, editable)
COLUMNS: list[tuple[str, str, bool]] = [
    ("agency", "รหัสหน่วยงาน", False),
    ("fiscal_year", "ปีงบประมาณ", False),
    ("months", "รอบ (เดือน)", False),
    ("sub_issue", "ประเด็นย่อย", False),
    ("sub_issue_name", "ชื่อประเด็นย่อย", False),
    ("output", "ตัวชี้วัด (ผลผลิต)", False),
    ("target", "ค่าเป้าหมาย", False),
    ("unit", "หน่วยนับ", False),
    ("prev_progress", "ความก้าวหน้ารอบก่อน (ร้อยละ)", False),
    ("prev_actual", "ผลรอบก่อน", False),
    ("progress_pct", "ความก้าวหน้า (ร้อยละ)", True),
    ("actual_value", "ผลที่ทำได้", True),
    ("status", "สถานะ", True),
    ("status_reason", "เหตุผล (เมื่อสถานะต่างจากที่ระบบแนะนำ)", True),
    ("achievements", "ผลการดำเนินงาน", True),
    ("obstacles", "ปัญหาอุปสรรค", True),
    ("next_steps", "การดำเนินงานขั้นต่อไป", True),
    ("evidence", "หลักฐาน/เอกสารประกอบ", True),
    ("version", "เวอร์ชัน (ห้ามแก้ไข)", False),
]
COL = {key: i + 1 for i, (key, _, _) in enumerate(COLUMNS)}
HEADER = {key: header for key, header, _ in COLUMNS}


def status_label(status: ProgressStatus | str | None) -> str:
    return "" if not status else translate(f"status.{ProgressStatus(status).value}", "th")


def _status_from_text(text: str) -> ProgressStatus | None:
    text = text.strip()
    if not text:
        return None
    for s in ProgressStatus:
        if text in (s.value, translate(f"status.{s.value}", "th"), translate(f"status.{s.value}", "en")):
            return s
    raise ProgressError("error.import.unknown_status")


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# ----------------------------------------------------------------------------- template
def build_template(*, session: Session, actor: Actor, round_id: int, agency_id: int) -> bytes:
    """A prefilled workbook: Thai headers, a status drop-down, key columns locked, previous figures."""
    rnd = get_round(session=session, round_id=round_id)
    agency = session.get(Agency, agency_id)
    items = entry_items(session=session, actor=actor, round_id=round_id, agency_id=agency_id)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    for i, s in enumerate(ProgressStatus, start=1):
        lists.cell(row=i, column=1, value=status_label(s))
    lists.sheet_state = "hidden"
    meta = wb.create_sheet(META_SHEET)
    for i, (k, v) in enumerate(
        [
            ("agency", agency.code),
            ("fiscal_year", rnd.fiscal_year),
            ("months", rnd.months),
            ("round_id", rnd.id),
            ("generated_at", datetime.now(UTC).isoformat()),
        ],
        start=1,
    ):
        meta.cell(row=i, column=1, value=k)
        meta.cell(row=i, column=2, value=v)
    meta.sheet_state = "hidden"

    head_fill, locked_fill = PatternFill("solid", fgColor="1D4ED8"), PatternFill("solid", fgColor="E5E7EB")
    for c, (_key, header, _editable) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=c, value=header)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = 14 if c <= 10 else 24
    ws.column_dimensions[get_column_letter(COL["sub_issue_name"])].width = 40
    ws.row_dimensions[1].height = 48
    for r, item in enumerate(items, start=2):
        rep, prev = item.report, item.previous
        values = {
            "agency": agency.code,
            "fiscal_year": rnd.fiscal_year,
            "months": rnd.months,
            "sub_issue": item.sub_issue.code,
            "sub_issue_name": item.sub_issue.name_th,
            "output": item.assignment.output_text,
            "target": _num(item.assignment.target_value),
            "unit": item.assignment.unit,
            "prev_progress": _num(prev.progress_pct) if prev else None,
            "prev_actual": _num(prev.actual_value) if prev else None,
            "progress_pct": _num(rep.progress_pct) if rep else None,
            "actual_value": _num(rep.actual_value) if rep else None,
            "status": status_label(rep.status) if rep else "",
            "status_reason": rep.status_reason if rep else "",
            "achievements": rep.achievements if rep else "",
            "obstacles": rep.obstacles if rep else "",
            "next_steps": rep.next_steps if rep else "",
            "evidence": rep.evidence if rep else "",
            "version": rep.version if rep else 0,
        }
        for key, _header, editable in COLUMNS:
            cell = ws.cell(row=r, column=COL[key], value=values[key])
            cell.protection = Protection(locked=not editable)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if not editable:
                cell.fill = locked_fill
    last = max(len(items) + 1, 2)
    dv = DataValidation(
        type="list",
        formula1=f"='{LISTS_SHEET}'!$A$1:$A${len(ProgressStatus)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="สถานะ",
        error="เลือกสถานะจากรายการ",
    )
    ws.add_data_validation(dv)
    dv.add(f"{get_column_letter(COL['status'])}2:{get_column_letter(COL['status'])}{last}")
    pct = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="ความก้าวหน้า",
        error="ใส่ตัวเลข 0–100",
    )
    ws.add_data_validation(pct)
    pct.add(f"{get_column_letter(COL['progress_pct'])}2:{get_column_letter(COL['progress_pct'])}{last}")
    ws.column_dimensions[get_column_letter(COL["version"])].hidden = True
    ws.freeze_panes = ws.cell(row=2, column=COL["progress_pct"])
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- upload
@dataclass(frozen=True)
class ImportProblem:
    row: int
    column: str
    value: str
    message_key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImportChange:
    row: int
    sub_issue_code: str
    field: str
    old: str
    new: str


@dataclass
class RowUpdate:
    row: int
    sub_issue_code: str
    assignment_id: int
    expected_version: int | None
    data: ReportInput


@dataclass
class ImportPlan:
    round_id: int
    agency_id: int
    updates: list[RowUpdate] = field(default_factory=list)
    changes: list[ImportChange] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _show(value: object) -> str:
    return "" if value is None else str(value)


def read_upload(*, session: Session, actor: Actor, round_id: int, agency_id: int, data: bytes) -> ImportPlan:
    """Validate an uploaded workbook completely; never writes."""
    plan = ImportPlan(round_id=round_id, agency_id=agency_id)
    rnd = get_round(session=session, round_id=round_id)
    agency = session.get(Agency, agency_id)
    try:
        require_edit(actor, agency_id=agency_id, rnd=rnd, report=None, correction_reason="")
    except UserFacingError as exc:
        plan.problems.append(ImportProblem(0, "-", "", exc.message_key, exc.params))
        return plan
    try:
        wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same plain answer
        plan.problems.append(ImportProblem(0, "-", "", "error.import.not_xlsx"))
        return plan
    if SHEET not in wb.sheetnames:
        plan.problems.append(ImportProblem(0, "-", "", "error.import.bad_header"))
        return plan
    ws = wb[SHEET]
    headers = [_text(ws.cell(row=1, column=c).value) for c in range(1, len(COLUMNS) + 1)]
    if headers != [h for _, h, _ in COLUMNS]:
        plan.problems.append(ImportProblem(1, "-", "", "error.import.bad_header"))
        return plan

    items = {i.sub_issue.code: i for i in entry_items(session=session, actor=actor, round_id=round_id, agency_id=agency_id)}
    seen: dict[str, int] = {}
    for r in range(2, ws.max_row + 1):
        cells = {key: ws.cell(row=r, column=COL[key]) for key, _, _ in COLUMNS}
        if all(c.value in (None, "") for c in cells.values()):
            continue
        problems_before = len(plan.problems)

        def problem(key: str, message_key: str, _r: int = r, _cells: dict = cells, **params: object) -> None:
            plan.problems.append(ImportProblem(_r, HEADER[key], _show(_cells[key].value), message_key, params))

        for key, cell in cells.items():
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                problem(key, "error.number.formula")
        if len(plan.problems) > problems_before:
            continue
        if _text(cells["agency"].value) != agency.code:
            problem("agency", "error.import.other_agency", expected=agency.code)
        if _text(cells["fiscal_year"].value) != str(rnd.fiscal_year) or _text(cells["months"].value) != str(rnd.months):
            problem("months", "error.import.wrong_round", fy=rnd.fiscal_year, months=rnd.months)
        code = _text(cells["sub_issue"].value)
        item: EntryItem | None = items.get(code)
        if item is None:
            problem("sub_issue", "error.import.unknown_sub_issue")
        elif code in seen:
            problem("sub_issue", "error.import.duplicate", first_row=seen[code])
        seen.setdefault(code, r)
        values: dict[str, object] = {}
        for key in ("progress_pct", "actual_value"):
            try:
                values[key] = parse_number(cells[key].value)
            except NumberError as exc:
                problem(key, exc.message_key)
        try:
            values["status"] = _status_from_text(_text(cells["status"].value))
        except ProgressError as exc:
            problem("status", exc.message_key)
        version_text = _text(cells["version"].value) or "0"
        if not version_text.isdigit():
            problem("version", "error.import.bad_version")
        if len(plan.problems) > problems_before or item is None:
            continue
        data = ReportInput(
            progress_pct=values["progress_pct"],
            actual_value=values["actual_value"],
            status=values["status"],
            status_reason=_text(cells["status_reason"].value),
            achievements=_text(cells["achievements"].value),
            obstacles=_text(cells["obstacles"].value),
            next_steps=_text(cells["next_steps"].value),
            evidence=_text(cells["evidence"].value),
            notable=item.report.notable if item.report else False,
        )
        for p in validate(data, assignment=item.assignment, expected=item.expected, for_submit=False):
            problem(p.field if p.field in HEADER else "progress_pct", p.message_key, **p.params)
        current = ReportInput.from_report(item.report)
        changed = data.differs_from(current) if item.report else [f for f in data.differs_from(ReportInput()) if f != "notable"]
        current_version = item.report.version if item.report else 0
        if changed and int(version_text) != current_version:
            problem("version", "error.import.changed_since_download")
        is_focal = actor.role is not None and Role(actor.role) == Role.focal_point
        if changed and is_focal and item.report is not None and item.report.submission_state not in FOCAL_EDITABLE_STATES:
            problem("sub_issue", "error.already_submitted")
        if len(plan.problems) > problems_before or not changed:
            continue
        plan.updates.append(
            RowUpdate(
                row=r,
                sub_issue_code=code,
                assignment_id=item.assignment.id,
                expected_version=item.report.version if item.report else None,
                data=data,
            )
        )
        norm_new, norm_old = data.normalized(), current.normalized()
        for f in changed:
            old, new = getattr(norm_old, f), getattr(norm_new, f)
            plan.changes.append(ImportChange(r, code, f, _fmt(old), _fmt(new)))
    if plan.problems:
        plan.updates.clear()
        plan.changes.clear()
    return plan


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, ProgressStatus):
        return status_label(value)
    return str(value)


def apply_import(*, session: Session, actor: Actor, plan: ImportPlan) -> int:
    """Write every row of a valid plan in the caller's transaction; any refusal undoes them all."""
    if not plan.ok:
        raise ProgressError("error.import.has_problems", count=len(plan.problems))
    for update in plan.updates:
        save_report(
            session=session,
            actor=actor,
            assignment_id=update.assignment_id,
            round_id=plan.round_id,
            expected_version=update.expected_version,
            data=update.data,
        )
    return len(plan.updates)
