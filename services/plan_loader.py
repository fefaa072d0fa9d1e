"""Load a plan structure from a YAML file, with errors that name the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from core.thaidate import ROUND_MONTHS
from models import (
    Agency,
    Assignment,
    EvaluationLevelBand,
    ExpectedProgress,
    MainIssue,
    Plan,
    SubIssue,
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssignmentSpec(_Spec):
    agency: str
    output: str = ""
    outcome: str = ""
    target: Decimal | None = None
    unit: str = ""
    weight: Decimal = Field(default=Decimal("1"), ge=0, allow_inf_nan=False)


class SubIssueSpec(_Spec):
    code: str = Field(pattern=r"^\d+\.\d+$")
    name_th: str = Field(min_length=1)
    name_en: str = ""
    description: str = ""
    assignments: list[AssignmentSpec] = []


class MainIssueSpec(_Spec):
    number: int = Field(ge=1)
    name_th: str = Field(min_length=1)
    name_en: str = ""
    sub_issues: list[SubIssueSpec] = Field(min_length=1)


class AgencySpec(_Spec):
    code: str = Field(pattern=r"^[A-Z0-9_]{2,20}$")
    name_th: str = Field(min_length=1)
    short_name_th: str = Field(min_length=1)
    name_en: str = ""


class PlanHeaderSpec(_Spec):
    name_th: str = Field(min_length=1)
    name_en: str = ""
    first_fiscal_year: int = Field(ge=2500, le=2700)
    last_fiscal_year: int = Field(ge=2500, le=2700)
    demo: bool = False


class BandSpec(_Spec):
    fiscal_year: int = Field(ge=2500, le=2700)
    min: Decimal = Field(ge=0, le=100, allow_inf_nan=False)
    max: Decimal = Field(ge=0, le=100, allow_inf_nan=False)
    level_th: str = Field(min_length=1)
    level_en: str = ""


class PlanFileSpec(_Spec):
    plan: PlanHeaderSpec
    agencies: list[AgencySpec] = Field(min_length=1)
    main_issues: list[MainIssueSpec] = Field(min_length=1)
    expected_progress: dict[int, Decimal] = {3: Decimal(25), 6: Decimal(50), 9: Decimal(75), 12: Decimal(100)}
    evaluation_bands: list[BandSpec] = []


@dataclass(frozen=True)
class PlanProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}"


class PlanFileError(ValueError):
    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at `loc`, or of the closest parent that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value) == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _cross_checks(spec: PlanFileSpec) -> list[tuple[tuple[Any, ...], str]]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    if spec.plan.first_fiscal_year > spec.plan.last_fiscal_year:
        problems.append((("plan", "last_fiscal_year"), "must not be before first_fiscal_year"))
    codes: set[str] = set()
    for i, agency in enumerate(spec.agencies):
        if agency.code in codes:
            problems.append((("agencies", i, "code"), f"duplicate agency code '{agency.code}'"))
        codes.add(agency.code)
    numbers: set[int] = set()
    sub_codes: set[str] = set()
    for i, main in enumerate(spec.main_issues):
        if main.number in numbers:
            problems.append((("main_issues", i, "number"), f"duplicate main issue number {main.number}"))
        numbers.add(main.number)
        for j, sub in enumerate(main.sub_issues):
            where = ("main_issues", i, "sub_issues", j)
            if not sub.code.startswith(f"{main.number}."):
                problems.append(((*where, "code"), f"'{sub.code}' does not belong to main issue {main.number}"))
            if sub.code in sub_codes:
                problems.append(((*where, "code"), f"duplicate sub-issue code '{sub.code}'"))
            sub_codes.add(sub.code)
            owners: set[str] = set()
            for k, assignment in enumerate(sub.assignments):
                if assignment.agency not in codes:
                    problems.append(((*where, "assignments", k, "agency"), f"unknown agency '{assignment.agency}'"))
                if assignment.agency in owners:
                    problems.append(((*where, "assignments", k, "agency"), f"'{assignment.agency}' is assigned twice"))
                owners.add(assignment.agency)
    previous = Decimal(0)
    for months, pct in sorted(spec.expected_progress.items()):
        if months not in ROUND_MONTHS:
            problems.append((("expected_progress", months), "rounds cover 3, 6, 9 or 12 months"))
        elif not Decimal(0) <= pct <= Decimal(100):
            problems.append((("expected_progress", months), "must be between 0 and 100"))
        elif pct < previous:
            problems.append((("expected_progress", months), "must not fall from one round to the next"))
        previous = max(previous, pct)
    for i, band in enumerate(spec.evaluation_bands):
        if band.min > band.max:
            problems.append((("evaluation_bands", i, "max"), "must not be below min"))
    return problems


def parse_plan(text: str) -> PlanFileSpec:
    """Parse and validate plan YAML; raise PlanFileError listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PlanFileError(
            [PlanProblem(mark.line + 1 if mark else None, "(syntax)", str(getattr(exc, "problem", exc)))]
        ) from exc
    if not isinstance(data, dict):
        raise PlanFileError([PlanProblem(1, "(top)", "the file must be a mapping with plan, agencies and main_issues")])
    try:
        spec = PlanFileSpec.model_validate(data)
    except ValidationError as exc:
        raise PlanFileError(
            [PlanProblem(_line_of(root, tuple(e["loc"])), _field_path(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        ) from exc
    cross = _cross_checks(spec)
    if cross:
        raise PlanFileError([PlanProblem(_line_of(root, loc), _field_path(loc), msg) for loc, msg in cross])
    return spec


def load_plan_file(path: Path | str) -> PlanFileSpec:
    return parse_plan(Path(path).read_text(encoding="utf-8"))


def apply_plan(*, session: Session, spec: PlanFileSpec) -> Plan:
    """Create the plan, its agencies (reused by code), issues, assignments, thresholds and bands."""
    plan = Plan(
        name_th=spec.plan.name_th,
        name_en=spec.plan.name_en,
        is_demo=spec.plan.demo,
        first_fiscal_year=spec.plan.first_fiscal_year,
        last_fiscal_year=spec.plan.last_fiscal_year,
    )
    session.add(plan)
    session.flush()
    agencies: dict[str, Agency] = {a.code: a for a in session.exec(select(Agency))}
    for order, a in enumerate(spec.agencies, start=1):
        agency = agencies.get(a.code) or Agency(code=a.code, name_th=a.name_th, short_name_th=a.short_name_th)
        agency.name_th, agency.short_name_th, agency.name_en = a.name_th, a.short_name_th, a.name_en
        agency.sort_order = order
        session.add(agency)
        agencies[a.code] = agency
    session.flush()
    for m in spec.main_issues:
        main = MainIssue(plan_id=plan.id, number=m.number, name_th=m.name_th, name_en=m.name_en)
        session.add(main)
        session.flush()
        for order, s in enumerate(m.sub_issues, start=1):
            sub = SubIssue(
                main_issue_id=main.id,
                code=s.code,
                name_th=s.name_th,
                name_en=s.name_en,
                description=s.description,
                sort_order=order,
            )
            session.add(sub)
            session.flush()
            for a in s.assignments:
                session.add(
                    Assignment(
                        sub_issue_id=sub.id,
                        agency_id=agencies[a.agency].id,
                        output_text=a.output,
                        outcome_text=a.outcome,
                        target_value=a.target,
                        unit=a.unit,
                        weight=a.weight,
                    )
                )
    for months, pct in sorted(spec.expected_progress.items()):
        session.add(ExpectedProgress(plan_id=plan.id, months=months, pct=pct))
    for b in spec.evaluation_bands:
        session.add(
            EvaluationLevelBand(
                fiscal_year=b.fiscal_year, min_score=b.min, max_score=b.max, level_th=b.level_th, level_en=b.level_en
            )
        )
    session.flush()
    return plan
