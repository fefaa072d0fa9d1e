"""Hostile workbooks: disguised, damaged, oversized and tampered uploads of the Excel template.

Each file goes through `services.excel_io.read_upload` for the BLA focal point on both backends
(`demo_db`). A clean refusal is: a plan that is not ok, whose problems all carry a catalog key
with Thai text (parameters filled) and include the one the case expects; no exception; the
database unchanged (progress_report and audit_log rows counted before and after); and
`apply_import` of the plan refused too. Files that cannot be a template are refused as a whole
(one problem, `row is None`) and early: the zip bombs before any part is inflated past its
declared size, the 100,000-row and 10,000-column sheets at the first row past the limit (or at
the sheet's <dimension>), which `ImportPlan.rows_read` shows.

A control test sends the unchanged template and an edited one through the same harness, so a
harness that refuses everything cannot pass. The figures count each file once per backend.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.db import read_session, write_session
from core.i18n import catalog, translate
from services import excel_io
from services.errors import ProgressError
from tests import figures
from tests.helpers import actor, agency_id, open_round

SHEET_PART = "xl/worksheets/sheet1.xml"  # openpyxl writes the template's first sheet (รายงานผล) here
BOMB_MB = 300
WHOLE_FILE = "whole file"


# ---------------------------------------------------------------- building files
def _template(engine, who: str = "focal_bla", agency: str = "BLA") -> bytes:
    a = actor(engine, who)
    with read_session(engine) as s:
        return excel_io.build_template(session=s, actor=a, round_id=open_round(engine).id, agency_id=agency_id(engine, agency))


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes], extra: Callable[[zipfile.ZipFile], None] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
        if extra:
            extra(archive)
    return out.getvalue()


def _sheet_xml(data: bytes) -> str:
    xml = _parts(data)[SHEET_PART].decode()
    assert excel_io.HEADER["agency"] in xml or "<is>" in xml  # it is the report sheet
    return xml


def _with_sheet_xml(data: bytes, xml: str) -> bytes:
    parts = _parts(data)
    parts[SHEET_PART] = xml.encode()
    return _zip(parts)


def _edited(data: bytes, changes: dict[tuple[int, str], object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[excel_io.SHEET]
    for (row, key), value in changes.items():
        ws.cell(row=row, column=excel_io.COL[key]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of(data: bytes, code: str) -> int:
    ws = load_workbook(io.BytesIO(data))[excel_io.SHEET]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=excel_io.COL["sub_issue"]).value == code)


def _pdf(_: bytes) -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _tail_cut(data: bytes) -> bytes:
    return data[:-10]  # the end of the central directory is gone


def _random(_: bytes) -> bytes:
    return random.Random(20211005).randbytes(50_000)


def _random_after_zip_magic(_: bytes) -> bytes:
    return b"PK\x03\x04" + random.Random(7).randbytes(50_000)


def _docx(_: bytes) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "word/document.xml": b"<w:document/>",
        }
    )


def _over_byte_cap(data: bytes) -> bytes:
    parts = _parts(data)
    parts["xl/media/filler.bin"] = random.Random(3).randbytes(excel_io.MAX_UPLOAD_BYTES + 1)  # incompressible
    return _zip(parts)


def _many_parts(data: bytes) -> bytes:
    parts = _parts(data)
    parts |= {f"customXml/item{i}.xml": b"<a/>" for i in range(excel_io.MAX_ZIP_ENTRIES + 50)}
    return _zip(parts)


_BOMBS: dict[str, bytes] = {}


def _bomb(data: bytes) -> bytes:
    """The template with a report sheet whose XML inflates to BOMB_MB MB, written in 1 MB chunks."""
    if "bomb" not in _BOMBS:
        xml = _sheet_xml(data)
        head, tail = xml[: xml.index("<sheetData>") + len("<sheetData>")], xml[xml.index("</sheetData>") :]
        row = b'<row><c t="inlineStr"><is><t>BLA</t></is></c></row>'
        chunk = row * (1024 * 1024 // len(row))

        def sheet(archive: zipfile.ZipFile) -> None:
            with archive.open(SHEET_PART, "w") as part:
                part.write(head.encode())
                for _ in range(BOMB_MB):
                    part.write(chunk)
                part.write(tail.encode())

        parts = _parts(data)
        del parts[SHEET_PART]
        _BOMBS["bomb"] = _zip(parts, sheet)
    return _BOMBS["bomb"]


def _lying_bomb(data: bytes) -> bytes:
    """The same bomb, its central directory and local header claiming 64 KiB unpacked."""
    out = bytearray(_bomb(data))
    with zipfile.ZipFile(io.BytesIO(bytes(out))) as archive:
        info = archive.getinfo(SHEET_PART)
    claimed = struct.pack("<I", 64 * 1024)
    out[info.header_offset + 22 : info.header_offset + 26] = claimed  # local file header: uncompressed size
    name = SHEET_PART.encode()
    at = 0
    while (at := out.find(b"PK\x01\x02", at + 1)) != -1:  # central directory headers
        name_length = struct.unpack("<H", out[at + 28 : at + 30])[0]
        if bytes(out[at + 46 : at + 46 + name_length]) == name:
            out[at + 24 : at + 28] = claimed
            break
    else:  # pragma: no cover - the bomb always has the part
        raise AssertionError("no central directory entry for the sheet")
    return bytes(out)


def _billion_laughs(data: bytes) -> bytes:
    xml = _sheet_xml(data)
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    start = xml.index("<worksheet")
    xml = xml[:start] + f"<!DOCTYPE worksheet [{entities}]>" + xml[start:]
    return _with_sheet_xml(
        data, xml.replace("<sheetData>", '<sheetData><row r="900"><c r="A900" t="inlineStr"><is><t>&l9;</t></is></c></row>', 1)
    )


def _rows(data: bytes, n: int, *, true_dimension: bool) -> bytes:
    """The template with `n` more rows (agency and sub-issue filled), the <dimension> saying so or not."""
    xml = _sheet_xml(data)
    first = 4
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>BLA</t></is></c><c r="D{r}"><v>{r}</v></c></row>'
        for r in range(first, first + n)
    )
    xml = xml.replace("</sheetData>", rows + "</sheetData>")
    if true_dimension:
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:S{first + n - 1}"/>', xml)
    return _with_sheet_xml(data, xml)


def _columns(data: bytes, n: int, *, true_dimension: bool) -> bytes:
    xml = _sheet_xml(data)
    cells = "".join(f'<c r="{get_column_letter(c)}4"><v>{c}</v></c>' for c in range(1, n + 1))
    xml = xml.replace("</sheetData>", f'<row r="4">{cells}</row></sheetData>')
    if true_dimension:
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{get_column_letter(n)}4"/>', xml)
    return _with_sheet_xml(data, xml)


def _without_sheet(data: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[excel_io.SHEET].title = "Sheet1"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _without_meta(data: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    del wb[excel_io.META_SHEET]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _wrong_headers(data: bytes) -> bytes:
    return _edited(data, {(1, "progress_pct"): "ร้อยละ", (1, "status"): "Status"})


def _formulas_in_numbers(data: bytes) -> bytes:
    r = _row_of(data, "1.3")
    return _edited(data, {(r, "progress_pct"): "=50+50", (r, "actual_value"): "=A1*2"})


def _other_agency_rows(data: bytes) -> bytes:
    r = _row_of(data, "1.3")
    return _edited(data, {(r, "agency"): "ICT", (r, "achievements"): "แก้ให้หน่วยงานอื่น"})


def _version_edited(data: bytes) -> bytes:
    r = _row_of(data, "1.3")
    return _edited(data, {(r, "version"): 99, (r, "achievements"): "แก้เวอร์ชันด้วย"})


@dataclass(frozen=True)
class Case:
    label: str
    make: Callable[[bytes], bytes]
    key: str  # the problem it must be refused with
    where: str = WHOLE_FILE  # WHOLE_FILE, or "row" for a problem on a row of the sheet
    max_rows_read: int | None = None  # reading must stop by then
    max_inflated: int | None = None  # bytes read out of the zip's parts at most


CASES = [
    Case("a PDF renamed .xlsx", _pdf, "error.import.not_xlsx", max_rows_read=0),
    Case("empty file", lambda _: b"", "error.import.not_xlsx", max_rows_read=0),
    Case("random bytes", _random, "error.import.not_xlsx", max_rows_read=0),
    Case("random bytes behind a zip signature", _random_after_zip_magic, "error.import.not_xlsx", max_rows_read=0),
    Case("truncated xlsx (half)", _truncated, "error.import.not_xlsx", max_rows_read=0),
    Case("truncated xlsx (last 10 bytes)", _tail_cut, "error.import.not_xlsx", max_rows_read=0),
    Case("a Word document renamed .xlsx", _docx, "error.import.not_xlsx", max_rows_read=0),
    Case("over the byte cap", _over_byte_cap, "error.import.too_large", max_rows_read=0, max_inflated=0),
    Case("too many zip entries", _many_parts, "error.import.unpacks_too_large", max_rows_read=0, max_inflated=0),
    Case(
        f"zip bomb: sheet XML inflating to {BOMB_MB} MB", _bomb, "error.import.unpacks_too_large", max_rows_read=0, max_inflated=0
    ),
    Case(  # zipfile stops inflating at the declared 64 KiB: a truncated sheet, refused
        "zip bomb declaring 64 KiB",
        _lying_bomb,
        "error.import.not_xlsx",
        max_rows_read=excel_io.MAX_ROWS + 2,
        max_inflated=2 * 1024 * 1024,
    ),
    Case("billion laughs in the sheet XML", _billion_laughs, "error.import.not_xlsx"),
    Case(
        "100,000 rows (dimension says so)",
        lambda d: _rows(d, 100_000, true_dimension=True),
        "error.import.too_many_rows",
        max_rows_read=0,
    ),
    Case(
        "100,000 rows (dimension says 3)",
        lambda d: _rows(d, 100_000, true_dimension=False),
        "error.import.too_many_rows",
        max_rows_read=excel_io.MAX_ROWS + 2,
    ),
    Case(
        "10,000 columns (dimension says so)",
        lambda d: _columns(d, 10_000, true_dimension=True),
        "error.import.too_many_columns",
        max_rows_read=0,
    ),
    Case(
        "10,000 columns (dimension says S)",
        lambda d: _columns(d, 10_000, true_dimension=False),
        "error.import.too_many_columns",
        max_rows_read=4,
    ),
    Case("a workbook without the report sheet", _without_sheet, "error.import.missing_sheet", max_rows_read=0),
    Case("a workbook without its _meta sheet", _without_meta, "error.import.not_our_template", max_rows_read=0),
    Case("wrong headers", _wrong_headers, "error.import.bad_header"),
    Case("formulas in numeric cells", _formulas_in_numbers, "error.number.formula", where="row"),
    Case("another agency's rows", _other_agency_rows, "error.import.other_agency", where="row"),
    Case("the version cell edited", _version_edited, "error.import.version_edited", where="row"),
]


# ---------------------------------------------------------------- the harness
def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM progress_report")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one(),
        )


def _read(engine: sa.Engine, data: bytes) -> excel_io.ImportPlan:
    a = actor(engine, "focal_bla")
    with read_session(engine) as s:
        return excel_io.read_upload(
            session=s, actor=a, round_id=open_round(engine).id, agency_id=agency_id(engine, "BLA"), data=data
        )


@pytest.fixture
def inflated(monkeypatch) -> list[int]:
    """Bytes read out of zip parts (openpyxl reads every part through ZipExtFile.read)."""
    total = [0]
    original = zipfile.ZipExtFile.read

    def counting(self, n=-1):
        chunk = original(self, n)
        total[0] += len(chunk)
        return chunk

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    return total


def test_hostile_workbooks_are_refused_cleanly_early_and_change_nothing(demo_db, inflated, request):
    template = _template(demo_db)
    tracebacks: list[str] = []
    wrong: list[str] = []
    rows_changed = 0
    focal = actor(demo_db, "focal_bla")
    for case in CASES:
        data = case.make(template)
        before = _counts(demo_db)
        inflated[0] = 0
        try:
            plan = _read(demo_db, data)
        except Exception as exc:  # any exception is what this test looks for
            tracebacks.append(f"{case.label}: {type(exc).__name__}: {exc}")
            continue
        read_bytes = inflated[0]
        keys = [p.message_key for p in plan.problems]
        if plan.ok or case.key not in keys:
            wrong.append(f"{case.label}: {keys or 'accepted'}")
        for p in plan.problems:
            assert p.message_key in catalog(), (case.label, p.message_key)
            text = translate(p.message_key, **p.params)
            assert re.search("[\u0e00-\u0e7f]", text), (case.label, p.message_key)  # Thai, parameters filled
        problem = next((p for p in plan.problems if p.message_key == case.key), None)
        if problem is not None:
            if case.where == WHOLE_FILE:
                assert problem.row is None and problem.column == "" and plan.problems == [problem], case.label
                assert plan.file_problem == problem and plan.problem_total == 1, case.label
            else:
                assert problem.row is not None and problem.row >= 2 and plan.file_problem is None, case.label
        if case.max_rows_read is not None:
            assert plan.rows_read <= case.max_rows_read, (case.label, plan.rows_read)
        if case.max_inflated is not None:
            assert read_bytes <= case.max_inflated, (case.label, read_bytes)
        assert plan.updates == [] and plan.changes == [] and plan.kept == [], case.label
        with pytest.raises(ProgressError) as refused, write_session(demo_db, focal) as s:
            excel_io.apply_import(session=s, actor=focal, plan=plan)
        assert refused.value.message_key == "error.import.has_problems", case.label
        after = _counts(demo_db)
        rows_changed += abs(after[0] - before[0]) + abs(after[1] - before[1])
    assert tracebacks == []
    assert wrong == []
    assert rows_changed == 0
    figures.record(
        request,
        inputs_tried=len(CASES),
        inputs_refused=len(CASES) - len(wrong) - len(tracebacks),
        tracebacks=len(tracebacks),
        rows_changed_by_refusals=rows_changed,
    )


def test_the_bombs_are_what_they_claim(demo_db):
    template = _template(demo_db)
    bomb = _bomb(template)
    assert len(bomb) < excel_io.MAX_UPLOAD_BYTES  # small on the wire: only what it unpacks to can refuse it
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo(SHEET_PART).file_size > BOMB_MB * 1000 * 1000
    with zipfile.ZipFile(io.BytesIO(_lying_bomb(template))) as archive:
        info = archive.getinfo(SHEET_PART)
        assert info.file_size == 64 * 1024 and info.compress_size > 64 * 1024  # it claims less than it holds
    for n in (100_000,):
        assert len(_rows(template, n, true_dimension=False)) < excel_io.MAX_UPLOAD_BYTES  # the row limit, not the byte cap
    assert len(_columns(template, 10_000, true_dimension=False)) < excel_io.MAX_UPLOAD_BYTES


def test_control_the_template_and_a_good_edit_pass_the_same_harness(demo_db):
    template = _template(demo_db)
    before = _counts(demo_db)
    unchanged = _read(demo_db, template)
    assert unchanged.ok and unchanged.changes == [] and unchanged.rows_read == 3
    r = _row_of(template, "1.3")
    edited = _read(demo_db, _edited(template, {(r, "achievements"): "ยกร่างระเบียบแล้ว 2 ฉบับ"}))
    assert edited.ok, edited.problems
    assert [(c.sub_issue_code, c.field) for c in edited.changes] == [("1.3", "achievements")]
    near_limit = _read(demo_db, _rows(template, 0, true_dimension=True))
    assert near_limit.ok
    assert _counts(demo_db) == before  # reading never writes
    focal = actor(demo_db, "focal_bla")
    with write_session(demo_db, focal) as s:
        assert excel_io.apply_import(session=s, actor=focal, plan=edited) == 1
    assert _counts(demo_db)[1] > before[1]  # the control's apply is audited: the counts above can move
