"""The plan as tables: what the Plan page's editors show, what the Excel download holds and what
an Excel upload is read from, with the YAML plan file as the other written form.

One table per kind of row (agencies, main issues, sub-issues, owners, ...), in plan order; the
tables become a `PlanFileSpec`, the one shape `services.plan_admin` compares and applies. A
fault names the table (sheet), the row and the column, in Thai.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from pydantic import ValidationError

from core.i18n import translate
from services import spreadsheet_safety
from services.excel_io import check_xlsx_upload
from services.plan_admin import Change, EditProblem, PlanEditError, problem
from services.plan_loader import ALIGNMENT_KINDS, PlanFileError, PlanFileSpec, decode_plan_bytes, parse_plan

# table key -> its columns (spec field names); labels are catalog keys plan.col.<column>
TABLES: dict[str, tuple[str, ...]] = {
    "plan": ("first_fiscal_year", "last_fiscal_year", "name_th", "name_en", "evidence_required"),
    "agencies": ("code", "name_th", "short_name_th", "name_en", "short_name_en"),
    "alignment": ("kind", "name_th", "name_en"),
    "main_issues": ("id", "number", "name_th", "name_en"),
    "sub_issues": ("id", "main_issue", "code", "name_th", "name_en", "description", "weight"),
    "sub_alignment": ("sub_issue_id", "sub_issue", "kind", "name_th"),
    "assignments": ("sub_issue_id", "sub_issue", "agency", "output", "outcome", "target", "unit", "unit_en", "weight"),
    "expected": ("months", "pct"),
    "bands": ("fiscal_year", "min", "max", "level_th", "level_en"),
    "scores": ("fiscal_year", "component", "score"),
}
NUMERIC = {"first_fiscal_year", "last_fiscal_year", "id", "number", "main_issue", "sub_issue_id", "target", "weight"}
NUMERIC |= {"months", "pct", "fiscal_year", "min", "max", "score"}
YEARS = {"first_fiscal_year", "last_fiscal_year", "fiscal_year", "number", "main_issue", "months"}
MAX_ROWS = 25_000  # per table: above a real plan's owners (see plan_loader.MAX_ASSIGNMENTS)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def kind_label(kind: str, lang: str = "th") -> str:
    return translate(f"plan.kind.{kind}", lang)


def _kind(value: Any) -> str | None:
    """An alignment list's key from its Thai or English label (or the key itself)."""
    text = str(value or "").strip()
    for kind in ALIGNMENT_KINDS:
        if text in (kind, kind_label(kind, "th"), kind_label(kind, "en")):
            return kind
    return None


def label(column: str, lang: str = "th") -> str:
    return translate(f"plan.col.{column}", lang)


def sheet_name(table: str, lang: str = "th") -> str:
    return translate(f"plan.table.{table}", lang)


# database fields of plan_admin.Change -> the column a person edits
_CHANGE_FIELDS = {"target_value": "target", "output_text": "output", "outcome_text": "outcome", "main_issue": "main_issue"}


def change_field_label(change: Change, lang: str = "th") -> str:
    """The label of what a Change changed, in the words of the tables."""
    if not change.field:
        return ""
    if change.field in ALIGNMENT_KINDS:
        return kind_label(change.field, lang)
    column = _CHANGE_FIELDS.get(change.field, change.field)
    if column == "sort_order":
        return translate("plan.field.sort_order", lang)
    return label(column, lang)


# ----------------------------------------------------------------------------- spec -> tables
def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def to_tables(spec: PlanFileSpec, lang: str = "th") -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in TABLES}
    h = spec.plan
    rows["plan"].append(
        {
            "name_th": h.name_th,
            "name_en": h.name_en,
            "first_fiscal_year": h.first_fiscal_year,
            "last_fiscal_year": h.last_fiscal_year,
            "evidence_required": h.evidence_required,
        }
    )
    rows["agencies"] = [a.model_dump(include=set(TABLES["agencies"])) for a in spec.agencies]
    for kind in ALIGNMENT_KINDS:
        rows["alignment"] += [
            {"kind": kind_label(kind, lang), "name_th": t.name_th, "name_en": t.name_en} for t in getattr(spec.alignment, kind)
        ]
    for m in spec.main_issues:
        rows["main_issues"].append({"id": m.id, "number": m.number, "name_th": m.name_th, "name_en": m.name_en})
        for s in m.sub_issues:
            rows["sub_issues"].append(
                {
                    "id": s.id,
                    "main_issue": m.number,
                    "code": s.code,
                    "name_th": s.name_th,
                    "name_en": s.name_en,
                    "description": s.description,
                    "weight": _num(s.weight),
                }
            )
            for kind in ALIGNMENT_KINDS:
                rows["sub_alignment"] += [
                    {"sub_issue_id": s.id, "sub_issue": s.code, "kind": kind_label(kind, lang), "name_th": n}
                    for n in getattr(s, kind)
                ]
            for a in s.assignments:
                rows["assignments"].append(
                    {
                        "sub_issue_id": s.id,
                        "sub_issue": s.code,
                        "agency": a.agency,
                        "output": a.output,
                        "outcome": a.outcome,
                        "target": _num(a.target),
                        "unit": a.unit,
                        "unit_en": a.unit_en,
                        "weight": _num(a.weight),
                    }
                )
    rows["expected"] = [{"months": k, "pct": _num(v)} for k, v in sorted(spec.expected_progress.items())]
    rows["bands"] = [
        {"fiscal_year": b.fiscal_year, "min": _num(b.min), "max": _num(b.max), "level_th": b.level_th, "level_en": b.level_en}
        for b in spec.evaluation_bands
    ]
    rows["scores"] = [
        {"fiscal_year": s.fiscal_year, "component": s.component, "score": _num(s.score)} for s in spec.evaluation_scores
    ]
    return {key: pd.DataFrame(rows[key], columns=list(cols)) for key, cols in TABLES.items()}


# ----------------------------------------------------------------------------- tables -> spec
def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()


def _cell(value: Any, column: str) -> Any:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer() and column in NUMERIC:
        return int(value)
    if isinstance(value, str):
        value = value.strip()
    if column in NUMERIC and isinstance(value, float):
        return Decimal(repr(value))
    return value


def _records(frame: pd.DataFrame | None, table: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number as a person counts it, the row's non-blank cells) of every non-empty row."""
    if frame is None:
        return []
    out = []
    for i, raw in enumerate(frame.to_dict("records"), start=1):
        row = {c: _cell(raw.get(c), c) for c in TABLES[table]}
        if any(v is not None for v in row.values()):
            out.append((i, {k: v for k, v in row.items() if v is not None}))
    return out


@dataclass
class _Where:
    table: str
    row: int


_TYPE_KEYS = {
    "missing": "plan.problem.missing",
    "string_too_short": "plan.problem.missing",
    "string_too_long": "plan.problem.too_long",
    "too_long": "plan.problem.too_many",
    "greater_than_equal": "plan.problem.at_least",
    "greater_than": "plan.problem.at_least",
    "less_than_equal": "plan.problem.at_most",
    "less_than": "plan.problem.at_most",
    "string_pattern_mismatch": "plan.problem.pattern",
    "decimal_parsing": "plan.problem.number",
    "decimal_type": "plan.problem.number",
    "float_parsing": "plan.problem.number",
    "int_parsing": "plan.problem.whole",
    "int_from_float": "plan.problem.whole",
    "int_type": "plan.problem.whole",
    "string_type": "plan.problem.text",
    "bool_parsing": "plan.problem.yes_no",
    "extra_forbidden": "plan.problem.extra",
}


def _validation_problem(error: Mapping[str, Any], where: dict[tuple, _Where], lang: str) -> EditProblem:
    loc = tuple(error["loc"])
    place, column = None, ""
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in where:
            place = where[loc[:cut]]
            rest = [p for p in loc[cut:] if not isinstance(p, int)]
            column = rest[0] if rest else ""
            break
    key = _TYPE_KEYS.get(error["type"])
    ctx = error.get("ctx") or {}
    limit = ctx.get("max_length", ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt", "")))))
    text = translate(key, lang, limit=limit) if key else str(error["msg"])
    spot = []
    if place is not None:
        spot.append(translate("plan.problem.where", lang, table=sheet_name(place.table, lang), row=place.row))
    if column and column in {c for cols in TABLES.values() for c in cols}:
        spot.append(label(str(column), lang))
    return problem(" · ".join(spot), "error.plan.file_rule", message=text)


def from_tables(tables: Mapping[str, pd.DataFrame | None], *, demo: bool, lang: str = "th") -> PlanFileSpec:
    """The plan the tables describe. Rows are matched to their parents by code (sub-issues to a
    main issue's number, owners and alignment to a sub-issue's code, or to its id when an owner
    row carries one, so that renumbering a sub-issue in its own table is enough)."""
    problems: list[EditProblem] = []
    where: dict[tuple, _Where] = {}
    for key, frame in tables.items():
        if frame is not None and len(frame) > MAX_ROWS:
            problems.append(problem(sheet_name(key, lang), "plan.problem.too_many_rows", limit=MAX_ROWS))
    if problems:
        raise PlanEditError(problems)

    def at(table: str, row: int) -> str:
        return translate("plan.problem.where", lang, table=sheet_name(table, lang), row=row)

    header = _records(tables.get("plan"), "plan")
    data: dict[str, Any] = {"plan": dict(header[0][1]) if header else {}}
    data["plan"]["demo"] = demo
    where[("plan",)] = _Where("plan", header[0][0] if header else 1)
    data["agencies"] = []
    for n, row in _records(tables.get("agencies"), "agencies"):
        where[("agencies", len(data["agencies"]))] = _Where("agencies", n)
        data["agencies"].append(row)
    data["alignment"] = {kind: [] for kind in ALIGNMENT_KINDS}
    for n, row in _records(tables.get("alignment"), "alignment"):
        kind = _kind(row.pop("kind", None))
        if kind is None:
            problems.append(
                problem(at("alignment", n), "plan.problem.kind", kinds=", ".join(kind_label(k, lang) for k in ALIGNMENT_KINDS))
            )
            continue
        where[("alignment", kind, len(data["alignment"][kind]))] = _Where("alignment", n)
        data["alignment"][kind].append(row)
    mains: dict[Any, dict[str, Any]] = {}
    data["main_issues"] = []
    for n, row in _records(tables.get("main_issues"), "main_issues"):
        row["sub_issues"] = []
        where[("main_issues", len(data["main_issues"]))] = _Where("main_issues", n)
        data["main_issues"].append(row)
        mains.setdefault(row.get("number"), row)
    sub_loc: dict[int, tuple] = {}  # id() of a sub-issue's row -> its place in the spec
    subs_by_code: dict[Any, dict[str, Any]] = {}
    subs_by_id: dict[Any, dict[str, Any]] = {}
    for n, row in _records(tables.get("sub_issues"), "sub_issues"):
        main = mains.get(row.pop("main_issue", None))
        if main is None:
            problems.append(problem(at("sub_issues", n), "plan.problem.no_main"))
            continue
        row.setdefault("code", "")
        row["code"] = str(row["code"])
        for kind in ALIGNMENT_KINDS:
            row[kind] = []
        row["assignments"] = []
        loc = ("main_issues", data["main_issues"].index(main), "sub_issues", len(main["sub_issues"]))
        where[loc] = _Where("sub_issues", n)
        sub_loc[id(row)] = loc
        main["sub_issues"].append(row)
        subs_by_code.setdefault(row["code"], row)
        if row.get("id") is not None:
            subs_by_id.setdefault(row["id"], row)

    def sub_of(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """A row's sub-issue: by the id it carries (a renumbered one), else by its code."""
        sub_id, code = row.pop("sub_issue_id", None), str(row.pop("sub_issue", ""))
        return (subs_by_id.get(sub_id) if sub_id is not None else None) or subs_by_code.get(code), code

    for n, row in _records(tables.get("sub_alignment"), "sub_alignment"):
        sub, code = sub_of(row)
        kind = _kind(row.get("kind"))
        if sub is None:
            problems.append(problem(at("sub_alignment", n), "plan.problem.no_sub", code=code))
        elif kind not in ALIGNMENT_KINDS:
            problems.append(
                problem(
                    at("sub_alignment", n), "plan.problem.kind", kinds=", ".join(kind_label(k, lang) for k in ALIGNMENT_KINDS)
                )
            )
        elif row.get("name_th"):
            sub[kind].append(str(row["name_th"]))
    for n, row in _records(tables.get("assignments"), "assignments"):
        sub, code = sub_of(row)
        if sub is None:
            problems.append(problem(at("assignments", n), "plan.problem.no_sub", code=code))
            continue
        if isinstance(row.get("agency"), str):
            row["agency"] = row["agency"].upper()
        for key in ("output", "outcome", "unit", "unit_en"):
            if key in row:
                row[key] = str(row[key])
        where[(*sub_loc[id(sub)], "assignments", len(sub["assignments"]))] = _Where("assignments", n)
        sub["assignments"].append(row)
    expected = {}
    for n, row in _records(tables.get("expected"), "expected"):
        if "months" in row and "pct" in row:
            expected[row["months"]] = row["pct"]
            where[("expected_progress", row["months"])] = _Where("expected", n)
        else:
            problems.append(problem(at("expected", n), "plan.problem.expected_pair"))
    data["expected_progress"] = expected
    data["evaluation_bands"], data["evaluation_scores"] = [], []
    for n, row in _records(tables.get("bands"), "bands"):
        where[("evaluation_bands", len(data["evaluation_bands"]))] = _Where("bands", n)
        data["evaluation_bands"].append(row)
    for n, row in _records(tables.get("scores"), "scores"):
        where[("evaluation_scores", len(data["evaluation_scores"]))] = _Where("scores", n)
        data["evaluation_scores"].append(row)
    if problems:
        raise PlanEditError(problems)
    try:
        return PlanFileSpec.model_validate(data)
    except ValidationError as exc:
        raise PlanEditError([_validation_problem(e, where, lang) for e in exc.errors()]) from exc


# ----------------------------------------------------------------------------- YAML
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_yaml(spec: PlanFileSpec) -> str:
    """The plan file (the `data/plan_demo.yaml` format), with the ids that keep history."""
    data = _plain(spec.model_dump(exclude_defaults=False))
    for main in data["main_issues"]:
        for sub in main["sub_issues"]:
            for kind in ALIGNMENT_KINDS:
                if not sub[kind]:
                    del sub[kind]
    header = translate("plan.yaml_header", "th")
    return f"# {header}\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


# ----------------------------------------------------------------------------- Excel
XLSX_FONT = "TH Sarabun New"  # every cell, header and data: Calibri has no Thai
_BODY_FONT = Font(name=XLSX_FONT, size=14)


def _print_setup(ws) -> None:
    """A sheet prints as a table is read: A4 landscape, every column on one page's width (as
    many pages down as it takes), the header row repeated on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"


def to_xlsx(spec: PlanFileSpec, *, lang: str = "th") -> bytes:
    """One sheet per table, a header row of labels; text is written as text (spreadsheet_safety)."""
    tables = to_tables(spec, lang)
    wb = Workbook()
    wb.remove(wb.active)
    for key, frame in tables.items():
        ws = wb.create_sheet(sheet_name(key, lang)[:31])
        header = spreadsheet_safety.put_row(ws, 1, [label(c, lang) for c in frame.columns])
        for cell in header:
            cell.font, cell.fill = Font(name=XLSX_FONT, bold=True, size=14), _HEADER_FILL
        for r, values in enumerate(frame.itertuples(index=False), start=2):
            for cell in spreadsheet_safety.put_row(ws, r, [None if _blank(v) else v for v in values]):
                cell.font = _BODY_FONT
        for c, column in enumerate(frame.columns, start=1):
            width = max([len(label(column, lang))] + [len(str(v)) for v in frame[column].head(200) if not _blank(v)])
            ws.column_dimensions[ws.cell(1, c).column_letter].width = min(60, max(10, width + 2))
        ws.freeze_panes = "A2"
        _print_setup(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_xlsx(data: bytes, *, demo: bool, lang: str = "th") -> PlanFileSpec:
    """The plan an uploaded workbook (as `to_xlsx` writes it) describes; sheets and columns are
    found by their Thai or English labels. A fault is a PlanEditError or UserFacingError."""
    check_xlsx_upload(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # a damaged workbook gets the plain answer of any non-xlsx file
        raise PlanEditError([problem("", "error.import.not_xlsx")]) from exc
    names = {sheet_name(key, lg): key for key in TABLES for lg in ("th", "en")} | {k: k for k in TABLES}
    names = {n[:31]: k for n, k in names.items()}
    labels = {label(c, lg): c for cols in TABLES.values() for c in cols for lg in ("th", "en")} | {
        c: c for cols in TABLES.values() for c in cols
    }
    tables: dict[str, pd.DataFrame] = {}
    try:
        for ws in wb.worksheets:
            key = names.get(ws.title.strip())
            if key is None:
                continue
            rows = ws.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
            head = next(rows, None) or ()
            columns = [labels.get(str(h).strip()) if h is not None else None for h in head]
            unknown = [str(h) for h, c in zip(head, columns, strict=False) if h is not None and c is None]
            if unknown:
                raise PlanEditError([problem(ws.title, "plan.problem.unknown_column", name=", ".join(unknown[:5]))])
            records = [
                {c: v for c, v in zip(columns, row, strict=False) if c is not None}
                for row in rows
                if any(v is not None for v in row)
            ]
            tables[key] = pd.DataFrame(records, columns=[c for c in TABLES[key] if c in columns])
    finally:
        wb.close()
    missing = [sheet_name(k, lang) for k in ("plan", "agencies", "main_issues", "sub_issues") if k not in tables]
    if missing:
        raise PlanEditError([problem("", "plan.problem.missing_sheets", names=", ".join(missing))])
    return from_tables(tables, demo=demo, lang=lang)


# ----------------------------------------------------------------------------- uploads
def read_upload(data: bytes, *, demo: bool, lang: str = "th") -> PlanFileSpec:
    """The plan an uploaded file describes: an Excel workbook (`to_xlsx`'s form) or a YAML plan
    file; every fault is a PlanEditError listing them (a YAML fault names its line)."""
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data, demo=demo, lang=lang)
    try:
        return parse_plan(decode_plan_bytes(data))
    except PlanFileError as exc:
        raise PlanEditError(
            [
                problem(
                    translate("plan.problem.line", lang, line=p.line) if p.line else "",
                    "error.plan.file_rule",
                    message=f"{p.field}: {p.message}" if p.field else p.message,
                )
                for p in exc.problems
            ]
        ) from exc
