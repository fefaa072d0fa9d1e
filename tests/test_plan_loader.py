"""Plan files: the demo plan loads; mistakes are reported with their line and field."""

from pathlib import Path

import pytest

from services.plan_loader import PlanFileError, load_plan_file, parse_plan

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
            "target: 77, unit: จังหวัด, weight: 2}",
            "target: 77, unit: จังหวัด, weight: -2}",
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
