"""Running the plan structure from the app: the current plan as a plan file (the one format of the
Plan page's editors, the YAML and Excel downloads and uploads), what an edited file would change,
and applying it in one transaction under the same rules as `cli.py load-plan`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from core.i18n import translate
from models import (
    Agency,
    AlignmentTag,
    Assignment,
    EvaluationLevelBand,
    EvaluationScore,
    ExpectedProgress,
    MainIssue,
    Plan,
    ProgressReport,
    Round,
    SubIssue,
    SubIssueAlignment,
)
from services.errors import UserFacingError
from services.permissions import Actor, require_admin
from services.plan_loader import (
    ALIGNMENT_KINDS,
    AgencySpec,
    AlignmentSpec,
    AssignmentSpec,
    BandSpec,
    MainIssueSpec,
    PlanFileSpec,
    PlanHeaderSpec,
    ScoreSpec,
    SubIssueSpec,
    TagSpec,
    band_key,
    cross_checks,
)


def export_spec(*, session: Session, plan_id: int) -> PlanFileSpec:
    """The plan as it stands, with database ids on issues (so that a renumbering keeps history).
    Archived sub-issues and assignments and inactive agencies are left out: they are not part of
    the plan any more, while the rounds that hold their reports keep them."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"no plan {plan_id}")
    tags = list(session.exec(select(AlignmentTag).where(AlignmentTag.plan_id == plan_id).order_by(col(AlignmentTag.sort_order))))
    tag_of = {t.id: t for t in tags}
    links: dict[int, list[AlignmentTag]] = {}
    for link in session.exec(select(SubIssueAlignment).join(AlignmentTag).where(AlignmentTag.plan_id == plan_id)):
        links.setdefault(link.sub_issue_id, []).append(tag_of[link.tag_id])
    agencies = list(session.exec(select(Agency).where(Agency.active == True).order_by(col(Agency.sort_order), col(Agency.code))))
    code_of = {a.id: a.code for a in session.exec(select(Agency))}
    mains = list(session.exec(select(MainIssue).where(MainIssue.plan_id == plan_id).order_by(col(MainIssue.number))))
    subs = list(
        session.exec(
            select(SubIssue)
            .where(col(SubIssue.main_issue_id).in_([m.id for m in mains]), col(SubIssue.archived_at).is_(None))
            .order_by(col(SubIssue.sort_order), col(SubIssue.id))
        )
    )
    assignments: dict[int, list[Assignment]] = {}
    for a in session.exec(
        select(Assignment)
        .join(Agency, Agency.id == Assignment.agency_id)
        .where(col(Assignment.sub_issue_id).in_([s.id for s in subs]), col(Assignment.archived_at).is_(None))
        .order_by(col(Agency.sort_order), col(Agency.code))
    ):
        assignments.setdefault(a.sub_issue_id, []).append(a)

    def sub_spec(s: SubIssue) -> SubIssueSpec:
        mine = sorted(links.get(s.id, []), key=lambda t: t.sort_order)
        return SubIssueSpec(
            id=s.id,
            code=s.code,
            name_th=s.name_th,
            name_en=s.name_en,
            description=s.description,
            weight=s.weight,
            **{kind: [t.name_th for t in mine if t.kind == kind] for kind in ALIGNMENT_KINDS},
            assignments=[
                AssignmentSpec(
                    agency=code_of[a.agency_id],
                    output=a.output_text,
                    outcome=a.outcome_text,
                    target=a.target_value,
                    unit=a.unit,
                    unit_en=a.unit_en,
                    weight=a.weight,
                )
                for a in assignments.get(s.id, [])
            ],
        )

    years = range(plan.first_fiscal_year, plan.last_fiscal_year + 1)
    bands = session.exec(
        select(EvaluationLevelBand)
        .where(col(EvaluationLevelBand.fiscal_year).in_(list(years)))
        .order_by(col(EvaluationLevelBand.fiscal_year), col(EvaluationLevelBand.min_score).desc())
    )
    scores = session.exec(
        select(EvaluationScore).where(EvaluationScore.plan_id == plan_id).order_by(col(EvaluationScore.fiscal_year))
    )
    expected = session.exec(select(ExpectedProgress).where(ExpectedProgress.plan_id == plan_id))
    return PlanFileSpec(
        plan=PlanHeaderSpec(
            name_th=plan.name_th,
            name_en=plan.name_en,
            first_fiscal_year=plan.first_fiscal_year,
            last_fiscal_year=plan.last_fiscal_year,
            demo=plan.is_demo,
            evidence_required=plan.evidence_required,
        ),
        agencies=[
            AgencySpec(
                code=a.code, name_th=a.name_th, short_name_th=a.short_name_th, name_en=a.name_en, short_name_en=a.short_name_en
            )
            for a in agencies
        ],
        alignment=AlignmentSpec(
            **{kind: [TagSpec(name_th=t.name_th, name_en=t.name_en) for t in tags if t.kind == kind] for kind in ALIGNMENT_KINDS}
        ),
        main_issues=[
            MainIssueSpec(
                id=m.id,
                number=m.number,
                name_th=m.name_th,
                name_en=m.name_en,
                sub_issues=[sub_spec(s) for s in subs if s.main_issue_id == m.id],
            )
            for m in mains
            if any(s.main_issue_id == m.id for s in subs)
        ],
        expected_progress={e.months: e.pct for e in expected},
        evaluation_bands=[
            BandSpec(fiscal_year=b.fiscal_year, min=b.min_score, max=b.max_score, level_th=b.level_th, level_en=b.level_en)
            for b in bands
        ],
        evaluation_scores=[ScoreSpec(fiscal_year=s.fiscal_year, component=s.component, score=s.score) for s in scores],
    )


# ----------------------------------------------------------------------------- rules of an edit
# Units whose target is a share (at most 100) and units that count things (whole numbers). Other
# units (baht, hours, ...) take any non-negative number.
PERCENT_UNITS = frozenset({"ร้อยละ", "%", "เปอร์เซ็นต์", "percent"})
COUNT_UNITS = frozenset(
    {
        "ฉบับ", "เรื่อง", "แห่ง", "คน", "ครั้ง", "หน่วยงาน", "จังหวัด", "คณะ", "หลักสูตร", "เครือข่าย", "ระบบ",
        "บริการ", "ชุดข้อมูล", "แดชบอร์ด", "โรงเรียน", "โครงการ", "กิจกรรม", "รายการ", "ด้าน", "ช่องทาง", "ชุด",
        "เล่ม", "ศูนย์", "ประเด็น", "แผน", "มาตรการ", "แนวทาง", "ฐานข้อมูล", "แพลตฟอร์ม", "แอปพลิเคชัน",
    }
)  # fmt: skip


class PlanEditError(UserFacingError):
    """An edit of the plan refused as a whole; `problems` lists every fault (nothing was saved)."""

    def __init__(self, problems: list[EditProblem]) -> None:
        super().__init__("error.plan.refused", count=len(problems))
        self.problems = problems


@dataclass(frozen=True)
class EditProblem:
    """One fault of an edited plan: where (a code, an agency) and a catalog key with its values."""

    where: str
    key: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, lang: str = "th") -> str:
        message = translate(self.key, lang, **dict(self.params))
        return f"{self.where}: {message}" if self.where else message


def problem(where: str, key: str, **params: object) -> EditProblem:
    return EditProblem(where, key, tuple(sorted(params.items())))


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def rule_problems(spec: PlanFileSpec) -> list[EditProblem]:
    """The rules of an edit that a plan file's own cross-checks do not hold: weights that add up
    to nothing and targets that do not fit their unit."""
    out: list[EditProblem] = []
    for main in spec.main_issues:
        for sub in main.sub_issues:
            for a in sub.assignments:
                where, unit = f"{sub.code} {a.agency}", a.unit.strip()
                if a.target is not None and unit in PERCENT_UNITS and a.target > 100:
                    out.append(problem(where, "error.plan.percent_target", target=_fmt(a.target), unit=unit))
                if a.target is not None and unit in COUNT_UNITS and a.target != a.target.to_integral_value():
                    out.append(problem(where, "error.plan.count_target", target=_fmt(a.target), unit=unit))
            if sub.assignments and sum((a.weight for a in sub.assignments), Decimal(0)) <= 0:
                out.append(problem(sub.code, "error.plan.weights_zero"))
        if sum((s.weight for s in main.sub_issues), Decimal(0)) <= 0:
            out.append(problem(str(main.number), "error.plan.sub_weights_zero"))
    return out


def spec_problems(spec: PlanFileSpec) -> list[EditProblem]:
    """Every fault of `spec` on its own: the plan file's cross-checks (plan_loader.cross_checks,
    the rules of `cli.py load-plan`, here worded in the user's language), then the rules above."""
    cross = [EditProblem(_spot(spec, p.loc), p.key, p.params) for p in cross_checks(spec)]
    return cross + rule_problems(spec)


def _spot(spec: PlanFileSpec, loc: tuple) -> str:
    """Where a cross-check's location is, as a person names it: an agency code, a main issue
    number, a sub-issue code and owner, a round length, a fiscal year."""
    head = loc[0] if loc else ""
    if head == "agencies":
        return spec.agencies[loc[1]].code
    if head == "main_issues":
        main = spec.main_issues[loc[1]]
        if len(loc) < 4 or loc[2] != "sub_issues":
            return str(main.number)
        sub = main.sub_issues[loc[3]]
        if len(loc) > 5 and loc[4] == "assignments":
            return f"{sub.code} {sub.assignments[loc[5]].agency}"
        return sub.code
    if head == "expected_progress":
        return str(loc[1])
    if head == "evaluation_bands":
        return str(spec.evaluation_bands[loc[1]].fiscal_year)
    if head == "evaluation_scores":
        return str(spec.evaluation_scores[loc[1]].fiscal_year)
    return ""


# ----------------------------------------------------------------------------- compare and apply
@dataclass(frozen=True)
class Change:
    """One change an edit makes: `action` add, update, archive, delete, restore, deactivate;
    `entity` plan, agency, tag, main_issue, sub_issue, assignment, expected, band, score; `key`
    names the row as a person would (a code, an agency and a code); `field`, old and new values
    for an update."""

    action: str
    entity: str
    key: str
    field: str = ""
    old: str = ""
    new: str = ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _fmt(value)
    return str(value)


class _Reconciler:
    """Walks the plan in the database against `spec`: lists the changes and, when `write`, makes
    them. One walk for both, so that what the preview shows is what applying does."""

    def __init__(self, session: Session, plan: Plan, spec: PlanFileSpec, *, write: bool, now: datetime) -> None:
        self.s, self.plan, self.spec, self.write, self.now = session, plan, spec, write, now
        self.changes: list[Change] = []
        self.problems: list[EditProblem] = []

    def note(self, action: str, entity: str, key: str, field: str = "", old: object = None, new: object = None) -> None:
        self.changes.append(Change(action, entity, key, field, _text(old), _text(new)))

    def fields(self, row: object, entity: str, key: str, values: dict[str, object]) -> None:
        for name, new in values.items():
            old = getattr(row, name)
            if _text(old) != _text(new):
                self.note("update", entity, key, name, old, new)
                if self.write:
                    setattr(row, name, new)

    def add(self, row: object) -> None:
        if self.write:
            self.s.add(row)
            self.s.flush()

    def remove(self, row: object) -> None:
        if self.write:
            self.s.delete(row)
            self.s.flush()

    # -- the walk
    def run(self) -> None:
        self.header()
        agencies = self.agencies()
        tags = self.tags()
        self.issues(agencies, tags)
        self.expected()
        self.bands_and_scores()

    def header(self) -> None:
        h = self.spec.plan
        if h.demo != self.plan.is_demo:
            self.problems.append(problem("", "error.plan.demo_flag"))
        years = range(h.first_fiscal_year, h.last_fiscal_year + 1)
        outside = sorted({r.fiscal_year for r in self.s.exec(select(Round).where(Round.plan_id == self.plan.id))} - set(years))
        if outside:
            self.problems.append(problem("", "error.plan.rounds_outside", years=", ".join(map(str, outside))))
        self.fields(
            self.plan,
            "plan",
            h.name_th,
            {
                "name_th": h.name_th,
                "name_en": h.name_en,
                "first_fiscal_year": h.first_fiscal_year,
                "last_fiscal_year": h.last_fiscal_year,
                "evidence_required": h.evidence_required,
            },
        )

    def agencies(self) -> dict[str, Agency]:
        rows = {a.code: a for a in self.s.exec(select(Agency))}
        listed = set()
        for order, a in enumerate(self.spec.agencies, start=1):
            listed.add(a.code)
            row = rows.get(a.code)
            if row is None:
                row = Agency(
                    code=a.code,
                    name_th=a.name_th,
                    short_name_th=a.short_name_th,
                    name_en=a.name_en,
                    short_name_en=a.short_name_en,
                    sort_order=order,
                )
                self.note("add", "agency", a.code, new=a.short_name_th)
                self.add(row)
                rows[a.code] = row
                continue
            if not row.active:
                self.note("restore", "agency", a.code)
                if self.write:
                    row.active = True
            self.fields(
                row,
                "agency",
                a.code,
                {
                    "name_th": a.name_th,
                    "short_name_th": a.short_name_th,
                    "name_en": a.name_en,
                    "short_name_en": a.short_name_en,
                    "sort_order": order,
                },
            )
        for code, row in rows.items():
            if row.active and code not in listed:
                self.note("deactivate", "agency", code, old=row.short_name_th)
                if self.write:
                    row.active = False
        return rows

    def tags(self) -> dict[tuple[str, str], AlignmentTag]:
        rows = {
            (str(getattr(t.kind, "value", t.kind)), t.name_th): t
            for t in self.s.exec(select(AlignmentTag).where(AlignmentTag.plan_id == self.plan.id))
        }
        wanted: set[tuple[str, str]] = set()
        for kind in ALIGNMENT_KINDS:
            for order, tag in enumerate(getattr(self.spec.alignment, kind), start=1):
                key = (kind, tag.name_th)
                wanted.add(key)
                row = rows.get(key)
                if row is None:
                    row = AlignmentTag(
                        plan_id=self.plan.id, kind=kind, name_th=tag.name_th, name_en=tag.name_en, sort_order=order
                    )
                    self.note("add", f"tag.{kind}", tag.name_th)
                    self.add(row)
                    rows[key] = row
                else:
                    self.fields(row, f"tag.{kind}", tag.name_th, {"name_en": tag.name_en, "sort_order": order})
        for key, row in list(rows.items()):
            if key not in wanted:
                self.note("delete", f"tag.{key[0]}", key[1])
                if self.write:
                    for link in self.s.exec(select(SubIssueAlignment).where(SubIssueAlignment.tag_id == row.id)):
                        self.s.delete(link)
                    self.s.flush()
                self.remove(row)
                del rows[key]
        return rows

    def _has_reports(self, assignment_ids: list[int]) -> set[int]:
        if not assignment_ids:
            return set()
        return set(
            self.s.exec(
                select(ProgressReport.assignment_id).where(col(ProgressReport.assignment_id).in_(assignment_ids)).distinct()
            )
        )

    def issues(self, agencies: dict[str, Agency], tags: dict[tuple[str, str], AlignmentTag]) -> None:
        mains = {m.id: m for m in self.s.exec(select(MainIssue).where(MainIssue.plan_id == self.plan.id))}
        subs = {s.id: s for s in self.s.exec(select(SubIssue).where(col(SubIssue.main_issue_id).in_(list(mains))))}
        self.number = {m.id: m.number for m in mains.values()}  # before any temporary renumbering
        self.code = {s.id: s.code for s in subs.values()}
        assignments: dict[int, dict[int, Assignment]] = {}
        for a in self.s.exec(select(Assignment).where(col(Assignment.sub_issue_id).in_(list(subs)))):
            assignments.setdefault(a.sub_issue_id, {})[a.agency_id] = a
        reported = self._has_reports([a.id for per in assignments.values() for a in per.values()])
        tag_key = {t.id: key for key, t in tags.items() if t.id is not None}  # tags being deleted are gone
        links: dict[int, set[tuple[str, str]]] = {}
        for link in self.s.exec(select(SubIssueAlignment).where(col(SubIssueAlignment.sub_issue_id).in_(list(subs)))):
            if link.tag_id in tag_key:
                links.setdefault(link.sub_issue_id, set()).add(tag_key[link.tag_id])

        # Which row each entry of the file is: by id (a download's), else by number or code; a
        # row that one entry holds by id is not also matched by another's number or code.
        by_number = {m.number: m for m in mains.values()}
        main_of: dict[int, MainIssue | None] = {}
        for i, m in enumerate(self.spec.main_issues):
            if m.id is not None and m.id not in mains:
                self.problems.append(problem(str(m.number), "error.plan.unknown_id", id=m.id))
            main_of[i] = mains.get(m.id) if m.id is not None else by_number.get(m.number)
        held = {m.id for m in self.spec.main_issues if m.id is not None}
        for i, m in enumerate(self.spec.main_issues):
            if m.id is None and main_of[i] is not None and main_of[i].id in held:
                main_of[i] = None
        by_code = {s.code: s for s in sorted(subs.values(), key=lambda s: s.archived_at is None)}  # current wins
        sub_of: dict[tuple[int, int], SubIssue | None] = {}
        held = {s.id for m in self.spec.main_issues for s in m.sub_issues if s.id is not None}
        for i, m in enumerate(self.spec.main_issues):
            for j, s in enumerate(m.sub_issues):
                if s.id is not None and s.id not in subs:
                    self.problems.append(problem(s.code, "error.plan.unknown_id", id=s.id))
                row = subs.get(s.id) if s.id is not None else by_code.get(s.code)
                sub_of[(i, j)] = None if s.id is None and row is not None and row.id in held else row
        if self.problems:
            return
        taken = {row.id for row in main_of.values() if row is not None}
        kept_subs = {row.id for row in sub_of.values() if row is not None}

        # Numbers and codes are unique per plan: rows that move, or whose number a new entry takes,
        # go through temporary values first.
        if self.write:
            wanted_numbers = {m.number for m in self.spec.main_issues}
            for main in mains.values():
                if main.id not in taken and main.number in wanted_numbers:
                    main.number = 1000 + main.id
            for i, m in enumerate(self.spec.main_issues):
                if main_of[i] is not None and main_of[i].number != m.number:
                    main_of[i].number = 1000 + main_of[i].id
            for (i, j), row in sub_of.items():
                if row is not None and row.code != self.spec.main_issues[i].sub_issues[j].code:
                    row.code = f"~{row.id}"
            self.s.flush()

        for i, m in enumerate(self.spec.main_issues):
            main = main_of[i]
            if main is None:
                main = MainIssue(plan_id=self.plan.id, number=m.number, name_th=m.name_th, name_en=m.name_en)
                self.note("add", "main_issue", str(m.number), new=m.name_th)
                self.add(main)
            else:
                if self.number[main.id] != m.number:
                    self.note("update", "main_issue", str(m.number), "number", self.number[main.id], m.number)
                if self.write:
                    main.number = m.number
                self.fields(main, "main_issue", str(m.number), {"name_th": m.name_th, "name_en": m.name_en})
            for j, s in enumerate(m.sub_issues):
                self.sub_issue(main, s, j + 1, sub_of[(i, j)], assignments, reported, links, agencies, tags)

        archived_left: set[int] = set()  # main issues still holding an archived sub-issue
        for sub_id, sub in subs.items():
            if sub_id in kept_subs:
                continue
            if sub.archived_at is not None:
                archived_left.add(sub.main_issue_id)
                continue
            mine = list(assignments.get(sub_id, {}).values())
            if any(a.id in reported for a in mine):
                archived_left.add(sub.main_issue_id)
                self.note("archive", "sub_issue", sub.code, old=sub.name_th)
                if self.write:
                    sub.archived_at = self.now
                    for a in mine:
                        a.archived_at = a.archived_at or self.now
            else:
                self.note("delete", "sub_issue", sub.code, old=sub.name_th)
                if self.write:
                    for a in mine:
                        self.s.delete(a)
                    for link in self.s.exec(select(SubIssueAlignment).where(SubIssueAlignment.sub_issue_id == sub_id)):
                        self.s.delete(link)
                    self.s.flush()
                    self.s.delete(sub)
        for main_id, main in mains.items():
            if main_id in taken:
                continue
            if main_id in archived_left:  # kept for the rounds that hold its reports, out of the way
                if self.write and main.number >= 1000:
                    main.number = 100 + main.id
                continue
            self.note("delete", "main_issue", str(self.number[main_id]), old=main.name_th)
            if self.write:
                self.s.flush()
                self.s.delete(main)
        if self.write:
            self.s.flush()

    def sub_issue(
        self,
        main: MainIssue,
        s: SubIssueSpec,
        order: int,
        row: SubIssue | None,
        assignments: dict[int, dict[int, Assignment]],
        reported: set[int],
        links: dict[int, set[int]],
        agencies: dict[str, Agency],
        tags: dict[tuple[str, str], AlignmentTag],
    ) -> None:
        if row is None:
            row = SubIssue(
                main_issue_id=main.id or 0,
                code=s.code,
                name_th=s.name_th,
                name_en=s.name_en,
                description=s.description,
                weight=s.weight,
                sort_order=order,
            )
            self.note("add", "sub_issue", s.code, new=s.name_th)
            self.add(row)
        else:
            if row.archived_at is not None:
                self.note("restore", "sub_issue", s.code)
                if self.write:
                    row.archived_at = None
            old_code = self.code[row.id]
            if old_code != s.code:
                self.note("update", "sub_issue", s.code, "code", old_code, s.code)
            if self.write:
                row.code = s.code
            self.fields(
                row,
                "sub_issue",
                s.code,
                {
                    "name_th": s.name_th,
                    "name_en": s.name_en,
                    "description": s.description,
                    "weight": s.weight,
                    "sort_order": order,
                },
            )
            if row.main_issue_id != main.id:
                self.note("update", "sub_issue", s.code, "main_issue", "", str(main.number))
                if self.write:
                    row.main_issue_id = main.id
        # alignment
        have = links.get(row.id, set()) if row.id else set()
        want = {(kind, name) for kind in ALIGNMENT_KINDS for name in getattr(s, kind)}
        for key in sorted(want - have):
            self.note("add", "alignment", s.code, key[0], new=key[1])
            if self.write:
                self.s.add(SubIssueAlignment(sub_issue_id=row.id, tag_id=tags[key].id))
        for key in sorted(have - want):
            self.note("delete", "alignment", s.code, key[0], old=key[1])
            if self.write:
                link = self.s.get(SubIssueAlignment, (row.id, tags[key].id))
                if link is not None:
                    self.s.delete(link)
        # owners
        current = assignments.get(row.id, {}) if row.id else {}
        listed: set[int] = set()
        for a in s.assignments:
            agency = agencies[a.agency]
            key = f"{s.code} {a.agency}"
            existing = current.get(agency.id) if agency.id else None
            values = {
                "output_text": a.output,
                "outcome_text": a.outcome,
                "target_value": a.target,
                "unit": a.unit,
                "unit_en": a.unit_en,
                "weight": a.weight,
            }
            if existing is None:
                self.note("add", "assignment", key, new=f"{_fmt(a.target)} {a.unit}".strip())
                if self.write:
                    self.s.add(Assignment(sub_issue_id=row.id, agency_id=agency.id, **values))
                continue
            listed.add(existing.id)
            if existing.archived_at is not None:
                self.note("restore", "assignment", key)
                if self.write:
                    existing.archived_at = None
            if existing.unit.strip() != a.unit.strip() and existing.id in reported:
                self.problems.append(problem(key, "error.plan.unit_with_reports", old=existing.unit, new=a.unit))
            self.fields(existing, "assignment", key, values)
        for agency_id, existing in current.items():
            if existing.id in listed or existing.archived_at is not None:
                continue
            code = next((c for c, ag in agencies.items() if ag.id == agency_id), str(agency_id))
            key = f"{s.code} {code}"
            if existing.id in reported:
                self.note("archive", "assignment", key)
                if self.write:
                    existing.archived_at = self.now
            else:
                self.note("delete", "assignment", key)
                self.remove(existing)
        if self.write:
            self.s.flush()

    def expected(self) -> None:
        rows = {e.months: e for e in self.s.exec(select(ExpectedProgress).where(ExpectedProgress.plan_id == self.plan.id))}
        for months, pct in sorted(self.spec.expected_progress.items()):
            row = rows.pop(months, None)
            if row is None:
                self.note("add", "expected", str(months), new=pct)
                self.add(ExpectedProgress(plan_id=self.plan.id, months=months, pct=pct))
            else:
                self.fields(row, "expected", str(months), {"pct": pct})
        for months, row in rows.items():
            self.note("delete", "expected", str(months), old=row.pct)
            self.remove(row)

    def bands_and_scores(self) -> None:
        years = set(range(self.spec.plan.first_fiscal_year, self.spec.plan.last_fiscal_year + 1))
        scores = {
            (s.fiscal_year, s.component): s
            for s in self.s.exec(select(EvaluationScore).where(EvaluationScore.plan_id == self.plan.id))
        }
        wanted_scores = {(s.fiscal_year, s.component): s for s in self.spec.evaluation_scores}
        for sc in self.spec.evaluation_scores:
            if sc.fiscal_year not in years:
                self.problems.append(problem(str(sc.fiscal_year), "error.plan.score_outside"))
        for b in self.spec.evaluation_bands:
            if b.fiscal_year not in years:
                self.problems.append(problem(str(b.fiscal_year), "error.plan.band_outside"))
        # scores that go or change go first: their bands may be replaced below
        for key, row in list(scores.items()):
            if key not in wanted_scores:
                self.note("delete", "score", f"{key[0]} {key[1]}", old=row.score)
                self.remove(row)
                del scores[key]
        for year in sorted(years):
            stored = list(self.s.exec(select(EvaluationLevelBand).where(EvaluationLevelBand.fiscal_year == year)))
            have = {band_key(b.level_th, b.min_score, b.max_score, b.level_en) for b in stored}
            file_bands = [b for b in self.spec.evaluation_bands if b.fiscal_year == year]
            want = {band_key(b.level_th, b.min, b.max, b.level_en) for b in file_bands}
            if have == want:
                continue
            for key in sorted(have - want):
                self.note("delete", "band", f"{year} {key[0]}", old=f"{_fmt(key[1])}–{_fmt(key[2])}")
            for key in sorted(want - have):
                self.note("add", "band", f"{year} {key[0]}", new=f"{_fmt(key[1])}–{_fmt(key[2])}")
            if self.write:
                for b in stored:
                    self.s.delete(b)
                self.s.flush()
                for b in file_bands:
                    self.s.add(
                        EvaluationLevelBand(
                            fiscal_year=year, min_score=b.min, max_score=b.max, level_th=b.level_th, level_en=b.level_en
                        )
                    )
                self.s.flush()
        for key, sc in wanted_scores.items():
            row = scores.get(key)
            label = f"{key[0]} {key[1]}"
            bands = [b for b in self.spec.evaluation_bands if b.fiscal_year == sc.fiscal_year]
            band = next((b for b in bands if b.min <= sc.score <= b.max), None)
            if band is None:
                self.problems.append(problem(label, "error.plan.score_no_band", fy=sc.fiscal_year, score=_fmt(sc.score)))
                continue
            if row is None:
                self.note("add", "score", label, new=sc.score)
                if self.write:
                    self.s.add(
                        EvaluationScore(
                            plan_id=self.plan.id,
                            fiscal_year=sc.fiscal_year,
                            component=sc.component,
                            score=sc.score,
                            level_th=band.level_th,
                            level_en=band.level_en,
                        )
                    )
            else:
                self.fields(row, "score", label, {"score": sc.score, "level_th": band.level_th, "level_en": band.level_en})


def _dry_walk(session: Session, plan_id: int, spec: PlanFileSpec) -> _Reconciler:
    """The walk that changes nothing: every fault (PlanEditError) or the changes it would make."""
    problems = spec_problems(spec)
    if problems:
        raise PlanEditError(problems)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"no plan {plan_id}")
    walk = _Reconciler(session, plan, spec, write=False, now=datetime.now(UTC))
    walk.run()
    if walk.problems:
        raise PlanEditError(walk.problems)
    return walk


def preview(*, session: Session, plan_id: int, spec: PlanFileSpec) -> list[Change]:
    """What applying `spec` would change, in plan order; PlanEditError lists every fault."""
    return _dry_walk(session, plan_id, spec).changes


def apply(*, session: Session, actor: Actor, plan_id: int, spec: PlanFileSpec, confirmed: list[Change]) -> list[Change]:
    """Apply `spec` in the caller's write transaction (audited, one commit or nothing) if it still
    makes exactly the `confirmed` changes, those the preview showed: someone else's edit in
    between refuses it and nothing is saved."""
    require_admin(actor)
    dry = _dry_walk(session, plan_id, spec)
    if dry.changes != list(confirmed):
        raise UserFacingError("error.plan.changed_meanwhile")
    if not dry.changes:
        return []
    writer = _Reconciler(session, dry.plan, spec, write=True, now=dry.now)
    writer.run()
    if writer.changes != dry.changes:  # the write walk saw what the dry walk saw; anything else is a bug
        raise RuntimeError("plan edit: the write differs from its preview")
    return writer.changes
