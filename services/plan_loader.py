"""Load a plan structure from a YAML file, with errors that name the line and the field.

A plan file is untrusted input: it is refused, with one plain problem per fault, before any heavy
work when it is too large (bytes, YAML nodes, nesting, entries) or not UTF-8 text, and nothing is
written when it clashes with what the database already holds.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from sqlmodel import Session, select

from core.i18n import translate
from core.thaidate import ROUND_MONTHS
from models import (
    Agency,
    AlignmentTag,
    Assignment,
    EvaluationLevelBand,
    ExpectedProgress,
    MainIssue,
    Plan,
    SubIssue,
    SubIssueAlignment,
)
from services import evaluation
from services.text_rules import CONTROL_CHARACTERS

# A real ministry plan: a few hundred agencies, ~50 sub-issues, a few owners each; the demo plan is
# 14 KB. The limits leave ample room for that and refuse what only a mistake or an attack produces.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_AGENCIES = 2_000
MAX_MAIN_ISSUES = 20
MAX_SUB_ISSUES = 500  # in the whole plan
MAX_ASSIGNMENTS = 20_000  # in the whole plan (300 agencies x 50 sub-issues, every one owning each, is 15,000)
MAX_BANDS = 200
MAX_TAGS = 200  # per alignment list
MAX_YAML_NODES = 250_000  # bounds composing to ~1.5 s and ~120 MB; a 2 MB plan holds under 200,000
MAX_YAML_DEPTH = 20  # a plan nests 7 levels; the C parser would overflow the stack on ~100,000
MAX_TEXT = 2_000  # output, outcome, description (TEXT columns)
# the column lengths of models/plan.py and models/evaluation.py
PLAN_NAME_MAX = 300
AGENCY_CODE_MAX = 20
AGENCY_NAME_MAX = 300
AGENCY_SHORT_NAME_MAX = 100
ISSUE_NAME_MAX = 500
SUB_ISSUE_CODE_MAX = 20
UNIT_MAX = 100
LEVEL_MAX = 100
COMPONENT_MAX = 200
MAX_TARGET = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_WEIGHT = Decimal("999999.99")  # Numeric(8, 2)

ALIGNMENT_KINDS = ("strategy", "master_plan", "ministry_plan")  # models.AlignmentKind, in this order

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: 5x faster
_FIELD_PART_MAX = 60  # a field name longer than this (an unknown key) is shortened in messages


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        """The rule of every text in the app (services.text_rules): PostgreSQL cannot store a NUL,
        an Excel file cannot hold the other control characters."""
        if isinstance(value, str) and any(ch in CONTROL_CHARACTERS for ch in value):
            raise ValueError("holds a control character (such as NUL); type the text again as plain text")
        return value


class AssignmentSpec(_Spec):
    agency: str = Field(max_length=AGENCY_CODE_MAX)
    output: str = Field(default="", max_length=MAX_TEXT)
    outcome: str = Field(default="", max_length=MAX_TEXT)
    target: Decimal | None = Field(default=None, ge=0, le=MAX_TARGET, allow_inf_nan=False)
    unit: str = Field(default="", max_length=UNIT_MAX)
    unit_en: str = Field(default="", max_length=UNIT_MAX)  # the unit in English ("percent"); empty: the Thai one
    weight: Decimal = Field(default=Decimal("1"), ge=0, le=MAX_WEIGHT, allow_inf_nan=False)


class SubIssueSpec(_Spec):
    # The database id, written by a plan download: an upload that changes the code of an entry with
    # an id renumbers that sub-issue (its reports follow); without an id an entry is matched by code.
    id: int | None = Field(default=None, ge=1)
    code: str = Field(pattern=r"^\d+\.\d+$", max_length=SUB_ISSUE_CODE_MAX)
    name_th: str = Field(min_length=1, max_length=ISSUE_NAME_MAX)
    name_en: str = Field(default="", max_length=ISSUE_NAME_MAX)
    description: str = Field(default="", max_length=MAX_TEXT)
    weight: Decimal = Field(default=Decimal("1"), ge=0, le=MAX_WEIGHT, allow_inf_nan=False)  # its share in the main issue
    # the names (name_th) of the plan's alignment entries this sub-issue serves
    strategy: list[str] = Field(default=[], max_length=MAX_TAGS)
    master_plan: list[str] = Field(default=[], max_length=MAX_TAGS)
    ministry_plan: list[str] = Field(default=[], max_length=MAX_TAGS)
    assignments: list[AssignmentSpec] = Field(default=[], max_length=MAX_AGENCIES)


class MainIssueSpec(_Spec):
    id: int | None = Field(default=None, ge=1)  # as SubIssueSpec.id
    number: int = Field(ge=1, le=99)
    name_th: str = Field(min_length=1, max_length=ISSUE_NAME_MAX)
    name_en: str = Field(default="", max_length=ISSUE_NAME_MAX)
    sub_issues: list[SubIssueSpec] = Field(min_length=1, max_length=MAX_SUB_ISSUES)


class AgencySpec(_Spec):
    code: str = Field(pattern=r"^[A-Z0-9_]{2,20}$", max_length=AGENCY_CODE_MAX)
    name_th: str = Field(min_length=1, max_length=AGENCY_NAME_MAX)
    short_name_th: str = Field(min_length=1, max_length=AGENCY_SHORT_NAME_MAX)
    name_en: str = Field(default="", max_length=AGENCY_NAME_MAX)
    short_name_en: str = Field(default="", max_length=AGENCY_SHORT_NAME_MAX)  # English mode's; empty: the Thai one


class PlanHeaderSpec(_Spec):
    name_th: str = Field(min_length=1, max_length=PLAN_NAME_MAX)
    name_en: str = Field(default="", max_length=PLAN_NAME_MAX)
    first_fiscal_year: int = Field(ge=2500, le=2700)
    last_fiscal_year: int = Field(ge=2500, le=2700)
    demo: bool = False
    evidence_required: bool = False  # an item cannot be submitted without evidence


class BandSpec(_Spec):
    fiscal_year: int = Field(ge=2500, le=2700)
    min: Decimal = Field(ge=0, le=100, allow_inf_nan=False)
    max: Decimal = Field(ge=0, le=100, allow_inf_nan=False)
    level_th: str = Field(min_length=1, max_length=LEVEL_MAX)
    level_en: str = Field(default="", max_length=LEVEL_MAX)


class TagSpec(_Spec):
    name_th: str = Field(min_length=1, max_length=ISSUE_NAME_MAX)
    name_en: str = Field(default="", max_length=ISSUE_NAME_MAX)


class AlignmentSpec(_Spec):
    """The plan's editable lists: 20-year national strategy goals, master plans, ministry plans."""

    strategy: list[TagSpec] = Field(default=[], max_length=MAX_TAGS)
    master_plan: list[TagSpec] = Field(default=[], max_length=MAX_TAGS)
    ministry_plan: list[TagSpec] = Field(default=[], max_length=MAX_TAGS)


class ScoreSpec(_Spec):
    """An external evaluation score of a fiscal year; its level comes from that year's bands."""

    fiscal_year: int = Field(ge=2500, le=2700)
    component: str = Field(min_length=1, max_length=COMPONENT_MAX)
    score: Decimal = Field(ge=0, le=100, allow_inf_nan=False)


class PlanFileSpec(_Spec):
    plan: PlanHeaderSpec
    agencies: list[AgencySpec] = Field(min_length=1, max_length=MAX_AGENCIES)
    main_issues: list[MainIssueSpec] = Field(min_length=1, max_length=MAX_MAIN_ISSUES)
    expected_progress: dict[int, Decimal] = Field(
        default={3: Decimal(25), 6: Decimal(50), 9: Decimal(75), 12: Decimal(100)}, max_length=len(ROUND_MONTHS)
    )
    evaluation_bands: list[BandSpec] = Field(default=[], max_length=MAX_BANDS)
    evaluation_scores: list[ScoreSpec] = Field(default=[], max_length=MAX_BANDS)
    alignment: AlignmentSpec = Field(default_factory=AlignmentSpec)
    # lines of the entries apply_plan may refuse (a clash with the database), filled by parse_plan
    _lines: dict[tuple[Any, ...], int | None] = PrivateAttr(default_factory=dict)


@dataclass(frozen=True)
class PlanProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if not self.field:
            return f"line {self.line}: {self.message}" if self.line else self.message
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.field}: {self.message}"


class PlanFileError(ValueError):
    def __init__(self, problems: list[PlanProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _refuse(message: str, *, line: int | None = None, field: str = "") -> PlanFileError:
    return PlanFileError([PlanProblem(line, field, message)])


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if not isinstance(part, int):
            part = str(part)
            if len(part) > _FIELD_PART_MAX:
                part = part[:_FIELD_PART_MAX] + "…"
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
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


@dataclass(frozen=True)
class CrossProblem:
    """A fault between a plan file's entries: where (a validation location) and a catalog key
    with its values. `cli.py load-plan` prints it in English, the Plan page in Thai."""

    loc: tuple[Any, ...]
    key: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, lang: str = "en") -> str:
        return translate(self.key, lang, **dict(self.params))


def _cross(loc: tuple[Any, ...], key: str, **params: object) -> CrossProblem:
    return CrossProblem(loc, f"error.plan.{key}", tuple(sorted(params.items())))


def cross_checks(spec: PlanFileSpec) -> list[CrossProblem]:
    """The rules between entries that no single field's validation sees: codes, numbers, ids and
    names given twice, references to agencies and alignment entries not listed, code prefixes,
    expected progress, evaluation bands and scores."""
    problems: list[CrossProblem] = []
    if spec.plan.first_fiscal_year > spec.plan.last_fiscal_year:
        problems.append(_cross(("plan", "last_fiscal_year"), "years_order"))
    codes: set[str] = set()
    for i, agency in enumerate(spec.agencies):
        if agency.code in codes:
            problems.append(_cross(("agencies", i, "code"), "duplicate_agency", code=agency.code))
        codes.add(agency.code)
    tags: dict[str, set[str]] = {}
    for kind in ALIGNMENT_KINDS:
        names = tags.setdefault(kind, set())
        for i, tag in enumerate(getattr(spec.alignment, kind)):
            if tag.name_th in names:
                problems.append(_cross(("alignment", kind, i, "name_th"), "duplicate_tag", name=tag.name_th))
            names.add(tag.name_th)
    ids: dict[str, set[int]] = {"main": set(), "sub": set()}
    numbers: set[int] = set()
    sub_codes: set[str] = set()
    for i, main in enumerate(spec.main_issues):
        if main.id is not None:
            if main.id in ids["main"]:
                problems.append(_cross(("main_issues", i, "id"), "id_twice", id=main.id))
            ids["main"].add(main.id)
        if main.number in numbers:
            problems.append(_cross(("main_issues", i, "number"), "duplicate_main", number=main.number))
        numbers.add(main.number)
        for j, sub in enumerate(main.sub_issues):
            where = ("main_issues", i, "sub_issues", j)
            if not sub.code.startswith(f"{main.number}."):
                problems.append(_cross((*where, "code"), "code_of_main", code=sub.code, number=main.number))
            if sub.code in sub_codes:
                problems.append(_cross((*where, "code"), "duplicate_sub", code=sub.code))
            sub_codes.add(sub.code)
            if sub.id is not None:
                if sub.id in ids["sub"]:
                    problems.append(_cross((*where, "id"), "id_twice", id=sub.id))
                ids["sub"].add(sub.id)
            for kind in ALIGNMENT_KINDS:
                for k, name in enumerate(getattr(sub, kind)):
                    if name not in tags[kind]:
                        problems.append(_cross((*where, kind, k), "unknown_tag", name=name, kind=kind))
            owners: set[str] = set()
            for k, assignment in enumerate(sub.assignments):
                if assignment.agency not in codes:
                    problems.append(_cross((*where, "assignments", k, "agency"), "unknown_agency", agency=assignment.agency))
                if assignment.agency in owners:
                    problems.append(_cross((*where, "assignments", k, "agency"), "owner_twice", agency=assignment.agency))
                owners.add(assignment.agency)
    previous = Decimal(0)
    for months, pct in sorted(spec.expected_progress.items()):
        if months not in ROUND_MONTHS:
            problems.append(_cross(("expected_progress", months), "expected_months"))
        elif not Decimal(0) <= pct <= Decimal(100):
            problems.append(_cross(("expected_progress", months), "expected_range"))
        elif pct < previous:
            problems.append(_cross(("expected_progress", months), "expected_falls"))
        previous = max(previous, pct)
    levels: set[tuple[int, str]] = set()
    for i, band in enumerate(spec.evaluation_bands):
        if band.min > band.max:
            problems.append(_cross(("evaluation_bands", i, "max"), "band_below_min"))
        if (band.fiscal_year, band.level_th) in levels:
            problems.append(_cross(("evaluation_bands", i, "level_th"), "band_twice", level=band.level_th, fy=band.fiscal_year))
        levels.add((band.fiscal_year, band.level_th))
    scored: set[tuple[int, str]] = set()
    for i, score in enumerate(spec.evaluation_scores):
        if (score.fiscal_year, score.component) in scored:
            problems.append(_cross(("evaluation_scores", i, "component"), "score_twice", fy=score.fiscal_year))
        scored.add((score.fiscal_year, score.component))
        in_file = [b for b in spec.evaluation_bands if b.fiscal_year == score.fiscal_year]
        if in_file and not any(b.min <= score.score <= b.max for b in in_file):
            problems.append(
                _cross(("evaluation_scores", i, "score"), "score_no_band", fy=score.fiscal_year, score=str(score.score))
            )
    return problems


def _text_line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise _refuse(
            f"the file is {size / 1_048_576:.1f} MB ({size:,} bytes); a plan file may be at most "
            f"{MAX_FILE_BYTES // 1_048_576} MB ({MAX_FILE_BYTES:,} bytes)"
        )


def _short(text: object, limit: int = 300) -> str:
    """`text` on one line and at most `limit` characters (messages may quote the file)."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[:limit] + "…"


def _yaml_problem(exc: yaml.YAMLError, text: str) -> PlanProblem:
    """One plain line for a YAML error (PyYAML's own text spans several lines)."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        at = text.find(chr(char))  # libyaml counts `position` in bytes, PyYAML in characters
        return PlanProblem(
            _text_line(text, at if at >= 0 else exc.position),
            "(syntax)",
            f"character #x{char:04x} is not allowed in a YAML file (is this a text file?)",
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
    message = f"{problem} ({context})" if problem and context else str(problem or exc)
    return PlanProblem(mark.line + 1 if mark else None, "(syntax)", _short(message))


def _scan(text: str) -> None:
    """Walk the YAML events (no tree is built) and refuse aliases, deep nesting and too many nodes."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise _refuse(
                f"YAML aliases (*{event.anchor}) are not allowed in a plan file: write each value out",
                line=event.start_mark.line + 1,
                field="(syntax)",
            )
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _refuse(
                    f"the file holds more than {MAX_YAML_NODES:,} YAML values; a plan file is far smaller",
                    line=event.start_mark.line + 1,
                    field="(syntax)",
                )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _refuse(
                    f"lists and mappings are nested more than {MAX_YAML_DEPTH} levels deep; a plan nests 7",
                    line=event.start_mark.line + 1,
                    field="(syntax)",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for lines) and its data, from one parse."""
    _scan(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None and not isinstance(root, yaml.MappingNode):
            raise _refuse("the file must be a mapping with plan, agencies and main_issues", line=1, field="(top)")
        try:
            data = loader.construct_document(root) if root is not None else None
        except (ValueError, OverflowError) as exc:  # e.g. a 5,000-digit integer, the date 2562-13-45
            reason = "a number has too many digits" if "digits" in str(exc) else _short(exc)
            raise _refuse(f"a value could not be read: {reason}", field="(syntax)") from exc
    finally:
        loader.dispose()
    return root, data


def _entries(value: Any, key: str) -> list[Any]:
    entries = value.get(key) if isinstance(value, dict) else None
    return entries if isinstance(entries, list) else []


def _check_counts(root: yaml.Node | None, data: dict[Any, Any]) -> None:
    """Refuse a plan with more entries than any real plan before validating each of them."""
    mains = _entries(data, "main_issues")
    subs = [sub for main in mains for sub in _entries(main, "sub_issues")]
    assignments = sum(len(_entries(sub, "assignments")) for sub in subs)
    counts = [
        (("agencies",), len(_entries(data, "agencies")), MAX_AGENCIES, "agencies"),
        (("main_issues",), len(mains), MAX_MAIN_ISSUES, "main issues"),
        (("main_issues",), len(subs), MAX_SUB_ISSUES, "sub-issues"),
        (("main_issues",), assignments, MAX_ASSIGNMENTS, "assignments"),
        (("evaluation_bands",), len(_entries(data, "evaluation_bands")), MAX_BANDS, "evaluation bands"),
    ]
    problems = [
        PlanProblem(_line_of(root, loc), _field_path(loc), f"{n:,} {what}: a plan file may hold at most {cap:,}")
        for loc, n, cap, what in counts
        if n > cap
    ]
    if problems:
        raise PlanFileError(problems)


def parse_plan(text: str) -> PlanFileSpec:
    """Parse and validate plan YAML; raise PlanFileError listing every problem with its line."""
    if len(text) > MAX_FILE_BYTES:  # cheaper than encoding: a character is at least one byte
        _check_size(len(text))
    _check_size(len(text.encode("utf-8", errors="replace")))
    nul = text.find("\x00")
    if nul >= 0:
        raise _refuse("the file contains NUL bytes: it is not a text file", line=_text_line(text, nul))
    try:
        root, data = _compose(text)
    except yaml.YAMLError as exc:
        raise PlanFileError([_yaml_problem(exc, text)]) from exc
    if data is None:
        raise _refuse("the file is empty: a plan file needs plan, agencies and main_issues")
    if not isinstance(data, dict):
        raise PlanFileError([PlanProblem(1, "(top)", "the file must be a mapping with plan, agencies and main_issues")])
    _check_counts(root, data)
    try:
        spec = PlanFileSpec.model_validate(data)
    except ValidationError as exc:
        raise PlanFileError(
            [PlanProblem(_line_of(root, tuple(e["loc"])), _field_path(tuple(e["loc"])), _short(e["msg"])) for e in exc.errors()]
        ) from exc
    cross = cross_checks(spec)
    if cross:
        raise PlanFileError([PlanProblem(_line_of(root, p.loc), _field_path(p.loc), p.text("en")) for p in cross])
    spec._lines = {("plan", "name_th"): _line_of(root, ("plan", "name_th"))} | {
        ("evaluation_bands", i): _line_of(root, ("evaluation_bands", i)) for i in range(len(spec.evaluation_bands))
    }
    return spec


def read_plan_text(path: Path | str) -> str:
    """The text of a plan file; a missing, unreadable, oversized or non-UTF-8 file is a PlanFileError."""
    path = Path(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise _refuse("this is a folder, not a plan file")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse("this is not a regular file (a device, pipe or socket?)")
        _check_size(info.st_size)
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # never more, even if the file grows meanwhile
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise _refuse("there is no such file") from exc
    except PermissionError as exc:
        raise _refuse("permission denied: this account may not read the file") from exc
    except IsADirectoryError as exc:
        raise _refuse("this is a folder, not a plan file") from exc
    except OSError as exc:
        raise _refuse(f"the file could not be read: {exc.strerror or exc}") from exc
    return decode_plan_bytes(raw)


def decode_plan_bytes(raw: bytes) -> str:
    """The text of a plan file's bytes (a file read or an upload); PlanFileError when it is not one."""
    _check_size(len(raw))
    if raw.startswith(b"PK\x03\x04"):
        raise _refuse("this is a ZIP archive (an Excel or Word file?), not a YAML plan file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse("the file is UTF-16 text, not UTF-8 (save it as UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _refuse("the file is not UTF-8 text (save it as UTF-8)", line=line) from exc


def load_plan_file(path: Path | str) -> PlanFileSpec:
    return parse_plan(read_plan_text(path))


def plan_clashes(*, session: Session, spec: PlanFileSpec) -> list[PlanProblem]:
    """What in `spec` collides with the database; an empty list means apply_plan may write it.

    - A plan's name is its identity: a plan whose name_th is already in the database is refused
      (the same file loaded twice, or a new plan that needs its own name).
    - Evaluation bands are shared by every plan, one set per fiscal year: a year the database
      already has exactly the file's bands for is kept as it is; different bands for it are refused.
    - Agencies are shared too and reused by code (their names are updated from the file).
    """
    problems: list[PlanProblem] = []
    same = session.exec(select(Plan).where(Plan.name_th == spec.plan.name_th)).first()
    if same is not None:
        problems.append(
            PlanProblem(
                spec._lines.get(("plan", "name_th")),
                "plan.name_th",
                f"a plan with this name is already in the database (plan {same.id}, FY{same.first_fiscal_year}"
                f"-{same.last_fiscal_year}); a plan is loaded once, a new plan needs its own name",
            )
        )
    for year, (indexes, bands) in _bands_by_year(spec).items():
        stored = _stored_bands(session, year)
        if stored and stored != bands:
            problems.append(
                PlanProblem(
                    spec._lines.get(("evaluation_bands", indexes[0])),
                    f"evaluation_bands[{indexes[0]}]",
                    f"the database already has different evaluation bands for fiscal year {year}",
                )
            )
    return problems


_BandKey = tuple[str, Decimal, Decimal, str]
_CENT = Decimal("0.01")


def band_key(level_th: str, low: Decimal, high: Decimal, level_en: str) -> _BandKey:
    return level_th, Decimal(low).quantize(_CENT), Decimal(high).quantize(_CENT), level_en


def _bands_by_year(spec: PlanFileSpec) -> dict[int, tuple[list[int], set[_BandKey]]]:
    years: dict[int, tuple[list[int], set[_BandKey]]] = {}
    for i, b in enumerate(spec.evaluation_bands):
        indexes, keys = years.setdefault(b.fiscal_year, ([], set()))
        indexes.append(i)
        keys.add(band_key(b.level_th, b.min, b.max, b.level_en))
    return years


def _stored_bands(session: Session, year: int) -> set[_BandKey]:
    rows = session.exec(select(EvaluationLevelBand).where(EvaluationLevelBand.fiscal_year == year))
    return {band_key(b.level_th, b.min_score, b.max_score, b.level_en) for b in rows}


def apply_plan(*, session: Session, spec: PlanFileSpec) -> Plan:
    """Create the plan, its agencies (reused by code), issues, assignments, thresholds and bands.

    Refuses with PlanFileError, before writing anything, when the plan clashes with the database
    (see plan_clashes).
    """
    clashes = plan_clashes(session=session, spec=spec)
    if clashes:
        raise PlanFileError(clashes)
    plan = Plan(
        name_th=spec.plan.name_th,
        name_en=spec.plan.name_en,
        is_demo=spec.plan.demo,
        evidence_required=spec.plan.evidence_required,
        first_fiscal_year=spec.plan.first_fiscal_year,
        last_fiscal_year=spec.plan.last_fiscal_year,
    )
    session.add(plan)
    session.flush()
    tags = add_alignment_tags(session=session, plan_id=plan.id, spec=spec.alignment)
    agencies: dict[str, Agency] = {a.code: a for a in session.exec(select(Agency))}
    for order, a in enumerate(spec.agencies, start=1):
        agency = agencies.get(a.code) or Agency(code=a.code, name_th=a.name_th, short_name_th=a.short_name_th)
        agency.name_th, agency.short_name_th, agency.name_en = a.name_th, a.short_name_th, a.name_en
        agency.short_name_en = a.short_name_en
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
                weight=s.weight,
                sort_order=order,
            )
            session.add(sub)
            session.flush()
            link_alignment(session=session, sub=sub, spec=s, tags=tags)
            for a in s.assignments:
                session.add(
                    Assignment(
                        sub_issue_id=sub.id,
                        agency_id=agencies[a.agency].id,
                        output_text=a.output,
                        outcome_text=a.outcome,
                        target_value=a.target,
                        unit=a.unit,
                        unit_en=a.unit_en,
                        weight=a.weight,
                    )
                )
    for months, pct in sorted(spec.expected_progress.items()):
        session.add(ExpectedProgress(plan_id=plan.id, months=months, pct=pct))
    kept = {year for year in _bands_by_year(spec) if _stored_bands(session, year)}  # identical, see plan_clashes
    for b in spec.evaluation_bands:
        if b.fiscal_year in kept:
            continue
        session.add(
            EvaluationLevelBand(
                fiscal_year=b.fiscal_year, min_score=b.min, max_score=b.max, level_th=b.level_th, level_en=b.level_en
            )
        )
    session.flush()
    for score in spec.evaluation_scores:
        _record_score(session, plan.id, score)
    return plan


def _record_score(session: Session, plan_id: int, score: ScoreSpec) -> None:

    try:
        evaluation.record_score(
            session=session, plan_id=plan_id, fiscal_year=score.fiscal_year, component=score.component, score=score.score
        )
    except ValueError as exc:
        raise _refuse(str(exc), field="evaluation_scores") from exc


def add_alignment_tags(*, session: Session, plan_id: int, spec: AlignmentSpec) -> dict[tuple[str, str], AlignmentTag]:
    """The plan's alignment lists as rows, keyed by (kind, name_th)."""
    tags: dict[tuple[str, str], AlignmentTag] = {}
    for kind in ALIGNMENT_KINDS:
        for order, tag in enumerate(getattr(spec, kind), start=1):
            row = AlignmentTag(plan_id=plan_id, kind=kind, name_th=tag.name_th, name_en=tag.name_en, sort_order=order)
            session.add(row)
            tags[(kind, tag.name_th)] = row
    session.flush()
    return tags


def link_alignment(*, session: Session, sub: SubIssue, spec: SubIssueSpec, tags: dict[tuple[str, str], AlignmentTag]) -> None:
    for kind in ALIGNMENT_KINDS:
        for name in getattr(spec, kind):
            session.add(SubIssueAlignment(sub_issue_id=sub.id, tag_id=tags[(kind, name)].id))
