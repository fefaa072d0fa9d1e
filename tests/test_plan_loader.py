"""Plan files: the demo plan loads; mistakes are reported with their line and field."""

import os
import re
from pathlib import Path

import pytest

from core.db import write_session
from services import plan_loader
from services.permissions import Actor
from services.plan_loader import PlanFileError, apply_plan, load_plan_file, parse_plan

DEMO = Path(__file__).resolve().parent.parent / "data" / "plan_demo.yaml"
TEXT = DEMO.read_text(encoding="utf-8")


def _line_of(fragment: str) -> int:
    return TEXT[: TEXT.index(fragment)].count("\n") + 1


def test_demo_plan_matches_the_minutes():
    spec = load_plan_file(DEMO)
    assert [a.code for a in spec.agencies] == ["OTEPC", "ONIE", "OPEC", "BPS", "BIE", "BLA", "ICT"]
    assert [a.short_name_th for a in spec.agencies] == ["สำนักงาน ก.ค.ศ.", "สำนักงาน กศน.", "สช.", "สนย.", "สตป.", "สนก.", "ศทก."]
    assert [m.name_th for m in spec.main_issues] == [
        "การปรับกระบวนการ ขั้นตอนการทำงาน",
        "การพัฒนาฐานข้อมูล Big Data ของกระทรวง",
        "การเปิดโอกาสทุกภาคส่วนให้มีส่วนร่วมและการกระจายอำนาจการตัดสินใจสู่ระดับการปฏิบัติ",
    ]
    assert sum(len(m.sub_issues) for m in spec.main_issues) == 13
    assert spec.plan.demo is True


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "{agency: BLA, output: รายงานผลการทบทวน",
            "{agency: XYZ, output: รายงานผลการทบทวน",
            "main_issues[0].sub_issues[2].assignments[0].agency",
            "unknown agency 'XYZ'",
        ),
        (
            "target: 77, unit: จังหวัด, unit_en: provinces, weight: 2}",
            "target: 77, unit: จังหวัด, unit_en: provinces, weight: -2}",
            "main_issues[0].sub_issues[3].assignments[0].weight",
            "greater than or equal to 0",
        ),
        ('code: "2.4"', 'code: "1.9"', "main_issues[1].sub_issues[3].code", "does not belong to main issue 2"),
        ("  - code: BLA\n", "  - code: BPS\n", "agencies[5].code", "duplicate agency code 'BPS'"),
        ("first_fiscal_year: 2562", "first_fiscal_year: 1999", "plan.first_fiscal_year", "greater than or equal to 2500"),
        ("  - code: ICT\n", "  - code: ict\n", "agencies[6].code", "pattern"),
    ],
)
def test_errors_name_line_and_field(old, new, field, message):
    assert old in TEXT
    bad = TEXT.replace(old, new, 1)
    with pytest.raises(PlanFileError) as exc:
        parse_plan(bad)
    problem = next(p for p in exc.value.problems if p.field == field)
    assert message in problem.message
    assert problem.line == _line_of(old)  # the replacement sits where the old text was


def test_error_line_points_at_the_offending_entry():
    bad = TEXT.replace("{agency: BLA, output: รายงานผลการทบทวน", "{agency: XYZ, output: รายงานผลการทบทวน", 1)
    with pytest.raises(PlanFileError) as exc:
        parse_plan(bad)
    (problem,) = exc.value.problems
    assert problem.line == _line_of("{agency: BLA, output: รายงานผลการทบทวน")
    assert str(problem).startswith(f"line {problem.line}, main_issues[0].sub_issues[2].assignments[0].agency")


def test_unknown_field_is_refused_with_its_line():
    bad = TEXT.replace("  first_fiscal_year: 2562\n", "  first_fiscal_year: 2562\n  frist_year: 2562\n", 1)
    with pytest.raises(PlanFileError) as exc:
        parse_plan(bad)
    (problem,) = exc.value.problems
    assert problem.field == "plan.frist_year"
    assert problem.line == _line_of("first_fiscal_year: 2562") + 1


def test_yaml_syntax_error_names_its_line():
    with pytest.raises(PlanFileError) as exc:
        parse_plan("plan:\n  name_th: [unclosed\nagencies: []\n")
    assert exc.value.problems[0].line is not None and exc.value.problems[0].field == "(syntax)"


# ---------------------------------------------------------------- hostile and oversized input
def _ascii_plan(*, name: str = "Test plan", agencies: int = 1, extra: str = "") -> str:
    rows = "".join(f"  - {{code: A{i:05d}, name_th: Agency {i}, short_name_th: A{i}}}\n" for i in range(agencies))
    return (
        f"plan:\n  name_th: {name}\n  first_fiscal_year: 2562\n  last_fiscal_year: 2564\n"
        f"agencies:\n{rows}"
        "main_issues:\n  - number: 1\n    name_th: Main\n    sub_issues:\n"
        '      - code: "1.1"\n        name_th: Sub\n        assignments:\n          - {agency: A00000, target: 5}\n'
        f"{extra}"
    )


def _only_problem(exc: pytest.ExceptionInfo[PlanFileError]):
    (problem,) = exc.value.problems
    return problem


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the YAML parser is reached (a size refusal must come first)."""

    def boom(*_a, **_k):
        raise AssertionError("the YAML parser ran on input the size cap should have refused")

    monkeypatch.setattr(plan_loader, "_compose", boom)
    monkeypatch.setattr(plan_loader.yaml, "parse", boom)


@pytest.mark.parametrize(
    ("make", "message", "line"),
    [
        (lambda d: (d / "plan.yaml", ("plan:\n  name_en: caf\xe9\n".encode("latin-1"))), "not UTF-8 text", 2),
        (lambda d: (d / "plan.yaml", b"\xef\xbb\xbf" + "plan:\n  name_en: Caf\xe9\n".encode("latin-1")), "not UTF-8", 2),
        (lambda d: (d / "plan.yaml", TEXT.encode("utf-16")), "UTF-16", None),
        (lambda d: (d / "plan.yaml", b"PK\x03\x04\x14\x00\x06\x00" + bytes(200)), "ZIP archive", None),
        (lambda d: (d / "missing.yaml", None), "no such file", None),
        (lambda d: (d / "nofolder" / "plan.yaml", None), "no such file", None),
        (lambda d: (d, None), "folder, not a plan file", None),
    ],
    ids=["latin-1", "bom-then-latin-1", "utf-16", "xlsx-renamed", "missing", "missing-folder", "directory"],
)
def test_unreadable_files_are_refused_with_a_plain_reason(tmp_path, make, message, line):
    path, content = make(tmp_path)
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PlanFileError) as exc:
        load_plan_file(path)
    problem = _only_problem(exc)
    assert message in problem.message
    assert problem.line == line


def test_unreadable_permission_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "plan.yaml"
    path.write_text(TEXT, encoding="utf-8")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads any file: make the open fail as it would for anyone else

        def denied(self, *_a, **_k):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(PlanFileError) as exc:
        load_plan_file(path)
    assert "permission denied" in _only_problem(exc).message


def test_utf8_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert load_plan_file(path).plan.name_th == load_plan_file(DEMO).plan.name_th


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("target: 30,", "target: -5,", "main_issues[0].sub_issues[0].assignments[0].target", "greater than or equal to 0"),
        ("target: 30,", "target: .nan,", "main_issues[0].sub_issues[0].assignments[0].target", "finite"),
        ("target: 30,", "target: .inf,", "main_issues[0].sub_issues[0].assignments[0].target", "finite"),
        ("target: 30,", "target: 1e15,", "main_issues[0].sub_issues[0].assignments[0].target", "less than or equal to"),
        ("weight: 2}", "weight: 10000000}", "main_issues[0].sub_issues[1].assignments[0].weight", "less than or equal to"),
        ("  - number: 1\n", "  - number: 100000000000\n", "main_issues[0].number", "less than or equal to 99"),
    ],
    ids=["negative-target", "nan-target", "inf-target", "target-beyond-column", "weight-beyond-column", "huge-number"],
)
def test_numbers_outside_what_the_database_holds_are_refused(old, new, field, message):
    assert old in TEXT
    with pytest.raises(PlanFileError) as exc:
        parse_plan(TEXT.replace(old, new, 1))
    problem = next(p for p in exc.value.problems if p.field == field)
    assert message in problem.message
    assert problem.line == _line_of(old)


LONG_FIELDS = [
    ("  name_th: ข้อเสนอการเปลี่ยนแปลง", "plan.name_th", 300),
    ("    name_th: สำนักงานคณะกรรมการข้าราชการครู", "agencies[0].name_th", 300),
    ("    short_name_th: สำนักงาน ก.ค.ศ.", "agencies[0].short_name_th", 100),
    ("    name_th: การปรับกระบวนการ", "main_issues[0].name_th", 500),
    ("        name_th: ลดขั้นตอนการอนุมัติ", "main_issues[0].sub_issues[0].name_th", 500),
    ("unit: ร้อยละ, unit_en", "main_issues[0].sub_issues[0].assignments[0].unit", 100),
    ("unit_en: percent, weight: 1}", "main_issues[0].sub_issues[0].assignments[0].unit_en", 100),
    ("    short_name_en: OTEPC", "agencies[0].short_name_en", 100),
    ("output: คู่มือขั้นตอน", "main_issues[0].sub_issues[0].assignments[0].output", 2000),
]


def _with_value(anchor: str, value: str) -> str:
    """TEXT with the value that starts at `anchor` (block line or flow entry) replaced by `value`."""
    start = TEXT.index(anchor) + anchor.index(": ") + 2
    flow = not anchor.startswith(" ")
    end = min(i for i in (TEXT.find(c, start) for c in ("\n", ",", "}") if flow or c == "\n") if i >= 0)
    return TEXT[:start] + value + TEXT[end:]


@pytest.mark.parametrize(("anchor", "field", "limit"), LONG_FIELDS, ids=[f for _, f, _ in LONG_FIELDS])
def test_text_longer_than_its_column_is_refused(anchor, field, limit):
    assert anchor in TEXT
    with pytest.raises(PlanFileError) as exc:
        parse_plan(_with_value(anchor, "ก" * (limit + 1)))
    problem = next(p for p in exc.value.problems if p.field == field)
    assert f"at most {limit} characters" in problem.message
    assert problem.line == _line_of(anchor)
    assert parse_plan(_with_value(anchor, "ก" * limit))  # the column's own length still loads


def test_a_five_million_character_name_is_refused_by_the_size_cap(monkeypatch, tmp_path):
    text = _ascii_plan(name="x" * 5_000_000)
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    _no_parsing(monkeypatch)
    for refusal in (lambda: parse_plan(text), lambda: load_plan_file(path)):
        with pytest.raises(PlanFileError) as exc:
            refusal()
        assert "a plan file may be at most 2 MB" in _only_problem(exc).message


def test_an_oversized_file_is_refused_before_it_is_parsed(monkeypatch, tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as fh:  # ~20 MB of a plausible plan: repeat the demo
        fh.write(TEXT)
        body = TEXT[TEXT.index("agencies:") :]
        while fh.tell() < 20_000_000:
            fh.write("# again\n" + body)
    _no_parsing(monkeypatch)
    with pytest.raises(PlanFileError) as exc:
        load_plan_file(path)
    problem = _only_problem(exc)
    assert "the file is 19." in problem.message or "the file is 20." in problem.message
    assert f"at most 2 MB ({plan_loader.MAX_FILE_BYTES:,} bytes)" in problem.message


def test_sixty_thousand_agencies_are_refused(monkeypatch, tmp_path):
    # as the probe sent them (19.5 MB): the size cap refuses the file unread
    full = tmp_path / "full.yaml"
    entry = "  - code: A{i:05d}\n    name_th: " + "หน่วยงานทดสอบ" * 6 + "\n    short_name_th: ทดสอบ\n    name_en: Test agency\n"
    full.write_text(_ascii_plan(agencies=0) + "".join(entry.format(i=i) for i in range(60_000)), encoding="utf-8")
    assert full.stat().st_size > plan_loader.MAX_FILE_BYTES
    with monkeypatch.context() as patched:
        _no_parsing(patched)
        with pytest.raises(PlanFileError) as exc:
            load_plan_file(full)
        assert "at most 2 MB" in _only_problem(exc).message
    # small enough to pass the size cap: the count cap refuses it before validating any entry
    small = _ascii_plan(agencies=0).replace("agencies:\n", "agencies:\n" + "  - {code: A00000}\n" * 60_000)
    assert len(small.encode()) < plan_loader.MAX_FILE_BYTES
    monkeypatch.setattr(plan_loader.PlanFileSpec, "model_validate", lambda *_a, **_k: pytest.fail("validated"))
    with pytest.raises(PlanFileError) as exc:
        parse_plan(small)
    problem = _only_problem(exc)
    assert (problem.field, problem.message) == ("agencies", "60,000 agencies: a plan file may hold at most 2,000")
    assert problem.line == small.splitlines().index("agencies:") + 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: _ascii_plan().replace(
                "main_issues:\n",
                "main_issues:\n"
                + "".join(
                    f"  - {{number: {n}, name_th: M, sub_issues: [{{code: '{n}.1', name_th: S}}]}}\n" for n in range(2, 22)
                ),
            ),
            "21 main issues: a plan file may hold at most 20",
        ),
        (
            lambda: _ascii_plan().replace(
                '      - code: "1.1"\n',
                "".join(f"      - {{code: '1.{n}', name_th: S}}\n" for n in range(2, 502)) + '      - code: "1.1"\n',
            ),
            "501 sub-issues: a plan file may hold at most 500",
        ),
        (
            lambda: _ascii_plan().replace(
                "          - {agency: A00000, target: 5}\n", "".join("          - {agency: A00000}\n" for _ in range(20_001))
            ),
            "20,001 assignments: a plan file may hold at most 20,000",
        ),
    ],
    ids=["main-issues", "sub-issues", "assignments"],
)
def test_counts_beyond_a_real_plan_are_refused(build, message):
    with pytest.raises(PlanFileError) as exc:
        parse_plan(build())
    assert _only_problem(exc).message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n",
            "aliases",
        ),
        ("plan: &p {name_th: x}\nagain: *p\n", "aliases (*p)"),
        ("a: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than 20 levels"),
        ("a: [" + "0," * 300_000 + "]\n", "more than 250,000 YAML values"),
        ("plan:\n  name_th: a\x00b\n", "NUL bytes"),
        ("plan:\n  name_th: a\x07b\n", "character #x0007 is not allowed"),
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("a: 1\n--- \nb: 2\n", "single document"),
        ("a: !!python/object:os.system x\n", "could not determine a constructor"),
        ("a: " + "1" * 5000 + "\n", "a value could not be read"),
        ("a: 2562-13-45\n", "a value could not be read"),
    ],
    ids=[
        "alias-bomb",
        "alias",
        "deep",
        "too-many-nodes",
        "nul",
        "control-char",
        "empty",
        "comment-only",
        "list",
        "two-documents",
        "python-tag",
        "huge-int",
        "bad-date",
    ],
)
def test_hostile_yaml_is_refused_with_one_plain_problem(text, message):
    with pytest.raises(PlanFileError) as exc:
        parse_plan(text)
    problem = _only_problem(exc)
    assert message in str(problem)
    assert "\n" not in str(problem) and len(str(problem)) < 400


def test_an_unknown_key_of_a_megabyte_is_shortened_in_the_message():
    key = "? " + "k" * 1_000_000 + "\n  : 1\n"  # an explicit key: a plain one stops at 1,024 characters
    with pytest.raises(PlanFileError) as exc:
        parse_plan(TEXT.replace("  first_fiscal_year: 2562\n", f"  first_fiscal_year: 2562\n  {key}", 1))
    problem = _only_problem(exc)
    assert problem.field.startswith("plan.kkk") and len(problem.field) < 100


def test_a_band_given_twice_for_a_year_is_refused():
    band = "  - {fiscal_year: 2562, min: 90, max: 100, level_th: มาตรฐานขั้นสูงมาก, level_en: Very advanced standard}\n"
    assert band in TEXT
    with pytest.raises(PlanFileError) as exc:
        parse_plan(TEXT.replace(band, band + band, 1))
    problem = _only_problem(exc)
    assert problem.field == "evaluation_bands[1].level_th" and "given twice for fiscal year 2562" in problem.message


# ---------------------------------------------------------------- the same plan twice
def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("plan", "agency", "main_issue", "sub_issue", "assignment", "evaluation_level_band", "audit_log")
        }


def _apply(engine, spec):
    with write_session(engine, Actor.system("test")) as session:
        return apply_plan(session=session, spec=spec).id


def test_the_same_plan_twice_is_refused_and_writes_nothing(db):
    spec = load_plan_file(DEMO)
    _apply(db, spec)
    before = _counts(db)
    with pytest.raises(PlanFileError) as exc:
        _apply(db, load_plan_file(DEMO))
    problem = _only_problem(exc)
    assert problem.field == "plan.name_th" and problem.line == _line_of("  name_th: ข้อเสนอ")
    assert "already in the database" in problem.message
    assert _counts(db) == before


def test_a_new_plan_keeps_identical_bands_and_refuses_different_ones(db):
    _apply(db, load_plan_file(DEMO))
    renamed = TEXT.replace("  name_th: ข้อเสนอการเปลี่ยนแปลง", "  name_th: แผนใหม่ ข้อเสนอการเปลี่ยนแปลง", 1)
    before = _counts(db)
    changed = renamed.replace("min: 80, max: 89.99", "min: 85, max: 89.99", 1)
    with pytest.raises(PlanFileError) as exc:
        _apply(db, parse_plan(changed))
    problem = _only_problem(exc)
    assert "different evaluation bands for fiscal year 2562" in problem.message
    assert problem.line == _line_of("  - {fiscal_year: 2562, min: 90")
    assert _counts(db) == before
    _apply(db, parse_plan(renamed))  # same bands: kept as they are, agencies reused by code
    after = _counts(db)
    assert (after["plan"], after["agency"], after["evaluation_level_band"]) == (
        2,
        before["agency"],
        before["evaluation_level_band"],
    )


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x00"], ids=["escape", "bell", "nul"])
def test_a_control_character_is_refused_at_its_line_after_thai_text(char):
    bad = TEXT.replace("name_en: Bureau of Legal Affairs", f"name_en: Bureau{char} of Legal Affairs", 1)
    with pytest.raises(PlanFileError) as exc:
        parse_plan(bad)
    assert _only_problem(exc).line == _line_of("name_en: Bureau of Legal Affairs")


@pytest.mark.parametrize("bad", ["X\\0Y", "ระฆัง\\a", "แท็บ\\x1b[31m"], ids=["nul", "bell", "escape"])
def test_a_name_with_a_control_character_is_refused_with_its_line(bad):
    """Found by review: a NUL broke the PostgreSQL insert, a bell the Excel template."""
    text = (Path(__file__).resolve().parents[1] / "data" / "plan_demo.yaml").read_text(encoding="utf-8")
    broken = re.sub(r"name_th: [^\n]*", lambda _m: f'name_th: "{bad}"', text, count=1)
    with pytest.raises(PlanFileError) as exc:
        parse_plan(broken)
    assert any("control character" in p.message and p.line for p in exc.value.problems)


def test_the_demo_plan_names_every_agency_and_unit_in_english():
    spec = load_plan_file(DEMO)
    assert [a.short_name_en for a in spec.agencies] == ["OTEPC", "ONIE", "OPEC", "BPS", "BIE", "BLA", "ICT Center"]
    owners = [a for m in spec.main_issues for s in m.sub_issues for a in s.assignments]
    assert owners and all(a.unit_en and not re.search(r"[\u0e00-\u0e7f]", a.unit_en) for a in owners)
    assert {a.unit_en for a in owners if a.unit == "ร้อยละ"} == {"percent"}
    assert {a.unit_en for a in owners if a.unit == "ฉบับ"} <= {"document", "documents"}


def test_english_short_names_and_units_are_optional_and_stored(db):
    from sqlmodel import select

    from core.db import read_session
    from models import Agency, Assignment

    bare = re.sub(r"\n    short_name_en: [^\n]*", "", TEXT)
    bare = re.sub(r" unit_en: [^,]*,", "", bare)
    assert "short_name_en" not in bare and "unit_en" not in bare
    spec = parse_plan(bare)
    assert {a.short_name_en for a in spec.agencies} == {""}
    _apply(db, spec)
    with read_session(db) as s:
        assert {a.short_name_en for a in s.exec(select(Agency))} == {""}
        assert {a.unit_en for a in s.exec(select(Assignment))} == {""}
    _apply(db, parse_plan(TEXT.replace("  name_th: ข้อเสนอการเปลี่ยนแปลง", "  name_th: แผนใหม่ ข้อเสนอการเปลี่ยนแปลง", 1)))
    with read_session(db) as s:  # agencies are reused by code and take the file's English names
        assert s.exec(select(Agency.short_name_en).where(Agency.code == "ICT")).one() == "ICT Center"
        units = {(a.unit, a.unit_en) for a in s.exec(select(Assignment)) if a.unit_en}
    assert ("ร้อยละ", "percent") in units and ("ระบบ", "system") in units
