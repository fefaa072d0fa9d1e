"""The Excel round trip: a prefilled template per agency and round, and an all-or-nothing upload.

The upload is read into an ImportPlan: its problems (row, column, value, why; the first
`MAX_PROBLEMS_LISTED` of `problem_total`) and, when there are none, every change it would make
and every stored value a blank cell kept. Nothing is written until `apply_import`, which saves
all rows in the caller's single transaction, so a failure part-way leaves the database untouched.

An upload is refused early and cheaply when it cannot be a template of this system: over
`MAX_UPLOAD_BYTES`; not a zip; a zip whose parts would unpack far beyond a template (judged from
the sizes the zip declares, before anything is inflated — Python's zipfile never inflates a part
past its declared size); a sheet past `MAX_ROWS` rows or `MAX_COLUMNS` columns (read streaming
with openpyxl's read-only mode, stopping at the first such row); a missing or damaged `_meta`
sheet. Such a refusal is one problem about the whole file (`ImportProblem.row is None`).

Text cells are text: the template writes every text as a string cell (formula-like text
quote-prefixed, `services.spreadsheet_safety`), and the upload takes a string cell's text as
the user's text even when it starts with "=". Only a real formula cell (openpyxl data type
"f") is refused.
"""

from __future__ import annotations

import io
import json
import zipfile
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
from services.errors import ProgressError, UserFacingError
from services.numbers import NumberError, parse_number
from services.permissions import FOCAL_EDITABLE_STATES, Actor, require_edit
from services.progress import EntryItem, ReportInput, entry_items, save_report, validate
from services.rounds import get_round
from services.spreadsheet_safety import put

SHEET = "รายงานผล"
META_SHEET = "_meta"
META_VERSIONS = "versions"
LISTS_SHEET = "_lists"

# What an upload may be. A template is a few hundred rows of 19 columns and some tens of KB.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # the uploaded file, checked before anything else
MAX_UNPACKED_BYTES = 40 * 1024 * 1024  # every part of the zip together, as the zip declares them
MAX_PART_BYTES = 25 * 1024 * 1024  # any one part (a sheet's XML, the shared strings)
MAX_ZIP_ENTRIES = 100
MAX_COMPRESSION_RATIO = 200  # unpacked ÷ packed, for parts over RATIO_CHECKED_FROM
RATIO_CHECKED_FROM = 1024 * 1024
MAX_ROWS = 1_000  # rows below the header
MAX_SCAN_ROWS = 10_000  # row positions read at most, blank ones included, before refusing
MAX_COLUMNS = 50
MAX_META_ROWS = 50
MAX_PROBLEMS_LISTED = 50  # a screenful; ImportPlan.problem_total counts them all
MAX_VALUE_SHOWN = 200  # characters of a cell quoted in a problem
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
EDITABLE = tuple(key for key, _, editable in COLUMNS if editable)  # the fields a row can set
NUMERIC = {"fiscal_year", "months", "target", "prev_progress", "prev_actual", "progress_pct", "actual_value", "version"}


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
        put(lists.cell(row=i, column=1), status_label(s))
    lists.sheet_state = "hidden"
    meta = wb.create_sheet(META_SHEET)
    versions = {item.sub_issue.code: (item.report.version if item.report else 0) for item in items}
    for i, (k, v) in enumerate(
        [
            ("agency", agency.code),
            ("fiscal_year", rnd.fiscal_year),
            ("months", rnd.months),
            ("round_id", rnd.id),
            ("generated_at", datetime.now(UTC).isoformat()),
            # the version of every row at download: an edited version cell is told apart from a
            # change someone saved since
            (META_VERSIONS, json.dumps(versions, ensure_ascii=False, separators=(",", ":"))),
        ],
        start=1,
    ):
        put(meta.cell(row=i, column=1), k)
        put(meta.cell(row=i, column=2), v)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True

    head_fill, locked_fill = PatternFill("solid", fgColor="1D4ED8"), PatternFill("solid", fgColor="E5E7EB")
    for c, (_key, header, _editable) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=c)
        put(cell, header)
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
            cell = ws.cell(row=r, column=COL[key])
            put(cell, values[key])  # text stays text: "=HYPERLINK(…)" is not a formula here
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
    """One reason the upload is refused. `row` is the sheet's row number (1 = the header), or
    None for a problem with the whole file (then `column` and `value` are "")."""

    row: int | None
    column: str
    value: str
    message_key: str
    params: dict = field(default_factory=dict)

    @property
    def whole_file(self) -> bool:
        return self.row is None


@dataclass(frozen=True)
class ImportChange:
    row: int
    sub_issue_code: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ImportNote:
    """A blank editable cell that kept the stored value (a blank means "not filled in", never "clear it")."""

    row: int
    sub_issue_code: str
    field: str
    value: str  # the stored value that stays, as shown in the preview


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
    problems: list[ImportProblem] = field(default_factory=list)  # the first MAX_PROBLEMS_LISTED
    problem_total: int = 0  # every problem found, listed or not
    kept: list[ImportNote] = field(default_factory=list)
    rows_read: int = 0  # row positions of the sheet read (reading stops at the first structural problem)

    @property
    def ok(self) -> bool:
        return self.problem_total == 0 and not self.problems

    @property
    def file_problem(self) -> ImportProblem | None:
        """The problem with the whole file, when the file was refused as a whole."""
        return next((p for p in self.problems if p.whole_file), None)

    @property
    def problems_not_listed(self) -> int:
        return self.problem_total - len(self.problems)

    def add(self, problem: ImportProblem) -> None:
        self.problem_total += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(problem)


class _FileRefused(Exception):
    """The whole file is refused: one problem, reading stops."""

    def __init__(self, message_key: str, **params: object) -> None:
        super().__init__(message_key)
        self.message_key, self.params = message_key, params


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _show(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 1] + "…"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def _check_zip(data: bytes) -> None:
    """Refuse what is not an xlsx, or would unpack far beyond a template, from the zip's
    directory alone (nothing is inflated)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _FileRefused("error.import.too_large", size_mb=_mb(len(data)), max_mb=_mb(MAX_UPLOAD_BYTES))
    if not data.startswith(b"PK\x03\x04"):  # an xlsx is a zip; a PDF, a CSV or an old .xls is not
        raise _FileRefused("error.import.not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as exc:  # a damaged or truncated zip gets the same plain answer
        raise _FileRefused("error.import.not_xlsx") from exc
    refused = _FileRefused("error.import.unpacks_too_large", max_mb=_mb(MAX_UNPACKED_BYTES))
    if len(parts) > MAX_ZIP_ENTRIES or sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
        raise refused
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            raise refused
        if part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
            raise refused


def check_xlsx_upload(data: bytes) -> None:
    """The zip checks of an uploaded workbook, for every reader of one: a UserFacingError."""
    try:
        _check_zip(data)
    except _FileRefused as exc:
        raise UserFacingError(exc.message_key, **exc.params) from exc


def _read_meta(wb) -> dict[str, str]:  # a read-only openpyxl Workbook
    if META_SHEET not in wb.sheetnames:
        raise _FileRefused("error.import.not_our_template")
    meta: dict[str, str] = {}
    for row in wb[META_SHEET].iter_rows(max_row=MAX_META_ROWS, max_col=2, values_only=True):
        if len(row) == 2 and row[0] is not None:
            meta[_text(row[0])] = _text(row[1])
    return meta


def _meta_versions(meta: dict[str, str]) -> dict[str, int]:
    try:
        versions = json.loads(meta[META_VERSIONS])
    except (KeyError, ValueError) as exc:
        raise _FileRefused("error.import.not_our_template") from exc
    if not isinstance(versions, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in versions.items()
    ):
        raise _FileRefused("error.import.not_our_template")
    return versions


def _has_value(cell) -> bool:
    return cell.value is not None and cell.value != ""


def _read_sheet(ws, plan: ImportPlan) -> tuple[list, list[tuple[int, dict]]]:
    """The header row and every row with something in the template's columns, streamed from a
    read-only sheet; refuses at the first row past the row or column limits."""
    dimension_rows, dimension_columns = ws.max_row, ws.max_column  # the sheet's own <dimension>, when it has one
    if dimension_rows and dimension_rows > MAX_ROWS + 1:
        raise _FileRefused("error.import.too_many_rows", max_rows=MAX_ROWS)
    if dimension_columns and dimension_columns > MAX_COLUMNS:
        raise _FileRefused("error.import.too_many_columns", max_columns=MAX_COLUMNS)
    ws.reset_dimensions()  # a <dimension> smaller than the data must not hide rows: read what is there
    width = len(COLUMNS)
    header: list = []
    rows: list[tuple[int, dict]] = []
    for r, row in enumerate(ws.iter_rows(), start=1):
        plan.rows_read = r
        if r > MAX_SCAN_ROWS + 1:
            raise _FileRefused("error.import.too_many_rows", max_rows=MAX_ROWS)
        if len(row) > MAX_COLUMNS and any(_has_value(c) for c in row[MAX_COLUMNS:]):
            raise _FileRefused("error.import.too_many_columns", max_columns=MAX_COLUMNS)
        if r > MAX_ROWS + 1 and any(_has_value(c) for c in row[:MAX_COLUMNS]):
            raise _FileRefused("error.import.too_many_rows", max_rows=MAX_ROWS)
        cells = list(row[:width]) + [None] * (width - len(row[:width]))
        if r == 1:
            header = [None if c is None else c.value for c in cells]
        elif any(c is not None and _has_value(c) for c in cells):
            rows.append((r, {key: cells[COL[key] - 1] for key, _, _ in COLUMNS}))
    return header, rows


class _Blank:
    value = None
    data_type = "n"


_BLANK = _Blank()


def read_upload(*, session: Session, actor: Actor, round_id: int, agency_id: int, data: bytes) -> ImportPlan:
    """Validate an uploaded workbook completely; never writes. A file that cannot be a template
    of this system is refused as a whole with one problem (`ImportPlan.file_problem`), as soon as
    that is clear; row problems are counted in `problem_total` and the first
    `MAX_PROBLEMS_LISTED` listed."""
    plan = ImportPlan(round_id=round_id, agency_id=agency_id)
    try:
        _read_upload(plan, session=session, actor=actor, data=data)
    except _FileRefused as exc:
        plan.problems.clear()
        plan.problem_total = 0
        plan.add(ImportProblem(None, "", "", exc.message_key, exc.params))
    if plan.problem_total:
        plan.updates.clear()
        plan.changes.clear()
        plan.kept.clear()
    return plan


def _read_upload(plan: ImportPlan, *, session: Session, actor: Actor, data: bytes) -> None:
    rnd = get_round(session=session, round_id=plan.round_id)
    agency = session.get(Agency, plan.agency_id)
    try:
        require_edit(actor, agency_id=plan.agency_id, rnd=rnd, report=None, correction_reason="")
    except UserFacingError as exc:
        raise _FileRefused(exc.message_key, **exc.params) from exc
    _check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # any unreadable file gets the same plain answer
        raise _FileRefused("error.import.not_xlsx") from exc
    try:
        if SHEET not in wb.sheetnames:
            raise _FileRefused("error.import.missing_sheet", sheet=SHEET)
        meta = _read_meta(wb)
        versions = _meta_versions(meta)
        if (meta.get("agency"), meta.get("fiscal_year"), meta.get("months")) != (
            agency.code,
            str(rnd.fiscal_year),
            str(rnd.months),
        ):
            raise _FileRefused(
                "error.import.template_mismatch",
                agency=meta.get("agency", ""),
                fy=meta.get("fiscal_year", ""),
                months=meta.get("months", ""),
            )
        header, rows = _read_sheet(wb[SHEET], plan)
    except _FileRefused:
        raise
    except Exception as exc:  # damaged XML inside a valid zip
        raise _FileRefused("error.import.not_xlsx") from exc
    finally:
        wb.close()
    if [_text(v) for v in header] != [h for _, h, _ in COLUMNS]:
        raise _FileRefused("error.import.bad_header")

    items = {
        i.sub_issue.code: i for i in entry_items(session=session, actor=actor, round_id=plan.round_id, agency_id=plan.agency_id)
    }
    is_focal = actor.role is not None and Role(actor.role) == Role.focal_point
    seen: dict[str, int] = {}
    for r, raw in rows:
        cells = {key: raw[key] if raw[key] is not None else _BLANK for key in raw}
        _read_row(plan, r, cells, rnd=rnd, agency=agency, items=items, versions=versions, seen=seen, is_focal=is_focal)


def _read_row(  # one row's rules, in the order a person fixes them
    plan: ImportPlan,
    r: int,
    cells: dict,
    *,
    rnd,
    agency: Agency,
    items: dict[str, EntryItem],
    versions: dict[str, int],
    seen: dict[str, int],
    is_focal: bool,
) -> None:
    found = 0

    def problem(key: str, message_key: str, **params: object) -> None:
        nonlocal found
        found += 1
        plan.add(ImportProblem(r, HEADER[key], _show(cells[key].value), message_key, params))

    for key, cell in cells.items():
        if cell.data_type == "f":  # a real formula; a text cell starting with "=" is the user's text
            problem(key, "error.number.formula" if key in NUMERIC else "error.import.formula_in_text")
    if found:
        return
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
    downloaded = versions.get(code)  # the row's version when the template was made
    if not version_text.isdigit() or (downloaded is not None and int(version_text) != downloaded):
        problem("version", "error.import.version_edited")
    if found or item is None:
        return
    current = ReportInput.from_report(item.report)
    stored = current.normalized()
    filled: dict[str, object] = {
        "progress_pct": values["progress_pct"],
        "actual_value": values["actual_value"],
        "status": values["status"],
        **{key: _text(cells[key].value) for key in ("status_reason", "achievements", "obstacles", "next_steps", "evidence")},
    }
    kept: list[ImportNote] = []
    for key in EDITABLE:  # a blank cell is "not filled in": the stored value stays
        if filled[key] in (None, "") and getattr(stored, key) not in (None, ""):
            filled[key] = getattr(stored, key)
            kept.append(ImportNote(r, code, key, _fmt(getattr(stored, key))))
    data = ReportInput(**filled, notable=item.report.notable if item.report else False)
    # a status set with no progress in the cell nor stored (a cancelled item needs none)
    status_alone = data.status not in (None, stored.status, ProgressStatus.cancelled) and data.progress_pct is None
    if status_alone:
        problem("progress_pct", "error.import.status_without_progress")
    for p in validate(data, assignment=item.assignment, expected=item.expected, for_submit=False):
        if status_alone and p.field == "progress_pct" and p.message_key == "error.progress_needed_for_status":
            continue  # the same rule as the form's, said above in the file's words
        problem(p.field if p.field in HEADER else "progress_pct", p.message_key, **p.params)
    changed = data.differs_from(current) if item.report else [f for f in data.differs_from(ReportInput()) if f != "notable"]
    current_version = item.report.version if item.report else 0
    expected_version = downloaded if downloaded is not None else int(version_text)
    if changed and expected_version != current_version:
        problem("version", "error.import.changed_since_download")
    if changed and is_focal and item.report is not None and item.report.submission_state not in FOCAL_EDITABLE_STATES:
        problem("sub_issue", "error.already_submitted")
    if found:
        return
    plan.kept.extend(kept)
    if not changed:
        return
    plan.updates.append(
        RowUpdate(
            row=r,
            sub_issue_code=code,
            assignment_id=item.assignment.id,
            expected_version=item.report.version if item.report else None,
            data=data,
        )
    )
    norm_new = data.normalized()
    for f in changed:
        plan.changes.append(ImportChange(r, code, f, _fmt(getattr(stored, f)), _fmt(getattr(norm_new, f))))


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, ProgressStatus):
        return status_label(value)
    return str(value)


def apply_import(*, session: Session, actor: Actor, plan: ImportPlan) -> int:
    """Write every row of a valid plan in the caller's transaction; any refusal undoes them all."""
    if not plan.ok:
        raise ProgressError("error.import.has_problems", count=plan.problem_total)
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
