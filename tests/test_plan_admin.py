"""Editing the plan from the app, on SQLite and PostgreSQL: the current plan as a plan file, a
preview that lists exactly what an edit changes, one audited transaction or nothing, archived
instead of deleted once something holds reports (new rounds lose it, old rounds keep it),
renumbering that keeps history, and plain Thai refusals."""

from decimal import Decimal

import pytest
from sqlmodel import func, select

from core.db import data_version, read_session, write_session
from models import Agency, Assignment, AuditLog, ProgressReport, SubIssue, SubIssueAlignment
from services import heatmap, overview, plan_admin, plans, progress
from services.permissions import PermissionDenied
from services.plan_admin import Change, PlanEditError
from services.plan_loader import AgencySpec, AssignmentSpec, SubIssueSpec
from tests.helpers import actor, open_round, round_of


def _spec(engine):
    with read_session(engine) as s:
        plan = plans.active_plan(session=s)
        return plan.id, plan_admin.export_spec(session=s, plan_id=plan.id)


def _preview(engine, plan_id, spec):
    with read_session(engine) as s:
        return plan_admin.preview(session=s, plan_id=plan_id, spec=spec)


def _apply(engine, plan_id, spec, username="admin", confirmed=None):
    changes = _preview(engine, plan_id, spec) if confirmed is None else confirmed
    who = actor(engine, username)
    with write_session(engine, who) as s:
        return plan_admin.apply(session=s, actor=who, plan_id=plan_id, spec=spec, confirmed=changes)


def _sub(spec, code) -> SubIssueSpec:
    return next(s for m in spec.main_issues for s in m.sub_issues if s.code == code)


def _version(engine) -> int:
    with read_session(engine) as s:
        return data_version(s)


def _missing_in_open_round(engine) -> tuple[str, str]:
    """(sub-issue code, agency code) of an item with reports in earlier rounds but none in the open one."""
    rid = open_round(engine).id
    with read_session(engine) as s:
        done = set(s.exec(select(ProgressReport.assignment_id).where(ProgressReport.round_id == rid)))
        for a, code, agency in s.exec(select(Assignment, SubIssue.code, Agency.code).join(SubIssue).join(Agency)):
            if a.id not in done and s.exec(select(ProgressReport.id).where(ProgressReport.assignment_id == a.id)).first():
                return code, agency
    raise AssertionError("the demo has no such item")


def test_the_current_plan_as_a_file_changes_nothing(demo_db):
    plan_id, spec = _spec(demo_db)
    assert len(spec.agencies) == 7 and sum(len(m.sub_issues) for m in spec.main_issues) == 13
    assert spec.alignment.strategy and any(s.strategy for m in spec.main_issues for s in m.sub_issues)
    assert any(sc.score == Decimal("85.00") for sc in spec.evaluation_scores)
    assert _preview(demo_db, plan_id, spec) == []
    with pytest.raises(plan_admin.UserFacingError):  # nothing to confirm is not an edit either
        _apply(demo_db, plan_id, spec, confirmed=[Change("x", "y", "z")])


def test_a_target_edit_and_a_new_agency_are_previewed_applied_and_audited(demo_db):
    plan_id, spec = _spec(demo_db)
    sub = _sub(spec, "2.1")
    owner = sub.assignments[0]
    old = owner.target
    assert old is not None and old >= 1
    owner.target = old - 1
    spec.agencies.append(AgencySpec(code="NEWAG", name_th="สำนักงานทดลองใหม่", short_name_th="สทม."))
    sub.assignments.append(AssignmentSpec(agency="NEWAG", output="ผลผลิตใหม่", target=Decimal(4), unit="ฉบับ"))
    changes = _preview(demo_db, plan_id, spec)
    assert changes == [
        Change("add", "agency", "NEWAG", new="สทม."),
        Change(
            "update", "assignment", f"2.1 {owner.agency}", "target_value", f"{old.normalize():f}", f"{owner.target.normalize():f}"
        ),
        Change("add", "assignment", "2.1 NEWAG", new="4 ฉบับ"),
    ]
    before = _version(demo_db)
    assert _apply(demo_db, plan_id, spec) == changes
    assert _version(demo_db) == before + 1
    assert _preview(demo_db, plan_id, spec) == []  # applied exactly
    with read_session(demo_db) as s:
        audit = s.exec(select(AuditLog).where(AuditLog.entity == "assignment", AuditLog.field == "target_value")).all()
        assert any(r.username == "admin" and Decimal(r.new_value) == owner.target for r in audit)
        assert s.exec(select(Agency).where(Agency.code == "NEWAG")).one().active
    # the new agency's item shows in the open round's heatmap as not reported yet
    with read_session(demo_db) as s:
        grid = heatmap.cells(session=s, round_id=open_round(demo_db).id)
    cell = grid[(grid.agency_code == "NEWAG") & (grid.sub_issue_code == "2.1")]
    assert list(cell.state) == [heatmap.NOT_REPORTED]


def test_an_owner_with_reports_is_archived_new_rounds_lose_it_old_rounds_keep_it(demo_db):
    code, agency = _missing_in_open_round(demo_db)
    plan_id, spec = _spec(demo_db)
    sub = _sub(spec, code)
    sub.assignments = [a for a in sub.assignments if a.agency != agency]
    assert sub.assignments, "the demo's item is not its sub-issue's only owner"
    assert _preview(demo_db, plan_id, spec) == [Change("archive", "assignment", f"{code} {agency}")]
    _apply(demo_db, plan_id, spec)
    with read_session(demo_db) as s:
        a = s.exec(select(Assignment).join(Agency).join(SubIssue).where(Agency.code == agency, SubIssue.code == code)).one()
        assert a.archived_at is not None  # kept, with its reports
        assert s.exec(select(func.count()).where(ProgressReport.assignment_id == a.id)).one() > 0
        opened, earlier = open_round(demo_db), round_of(demo_db, opened_fy(demo_db), 3)
        now = heatmap.cells(session=s, round_id=opened.id)
        old = heatmap.cells(session=s, round_id=earlier.id)
        pick = (now.agency_code == agency) & (now.sub_issue_code == code)
        assert list(now[pick].state) == [heatmap.NOT_ASSIGNED]
        assert list(old[(old.agency_code == agency) & (old.sub_issue_code == code)].state) != [heatmap.NOT_ASSIGNED]
    admin = actor(demo_db, "secretariat")
    with read_session(demo_db) as s:
        items = progress.round_items(session=s, actor=admin, round_id=opened.id)
        assert not any(ag.code == agency and i.sub_issue.code == code for ag, i in items)
        items = progress.round_items(session=s, actor=admin, round_id=earlier.id)
        assert any(ag.code == agency and i.sub_issue.code == code for ag, i in items)
    # listed again, it comes back
    _, again = _spec(demo_db)
    _sub(again, code).assignments.append(AssignmentSpec(agency=agency, unit=a.unit, target=a.target_value))
    assert Change("restore", "assignment", f"{code} {agency}") in _preview(demo_db, plan_id, again)


def opened_fy(engine) -> int:
    return open_round(engine).fiscal_year


def test_a_sub_issue_without_reports_is_deleted_one_with_reports_archived(demo_db):
    plan_id, spec = _spec(demo_db)
    main = spec.main_issues[0]
    main.sub_issues.append(
        SubIssueSpec(code=f"{main.number}.9", name_th="ประเด็นทดลอง", strategy=[spec.alignment.strategy[0].name_th])
    )
    _apply(demo_db, plan_id, spec)
    plan_id, spec = _spec(demo_db)
    spec.main_issues[0].sub_issues = [s for s in spec.main_issues[0].sub_issues if s.code != f"{main.number}.9"]
    gone = spec.main_issues[-1].sub_issues.pop()
    changes = _preview(demo_db, plan_id, spec)
    assert Change("delete", "sub_issue", f"{main.number}.9", old="ประเด็นทดลอง") in changes
    assert Change("archive", "sub_issue", gone.code, old=gone.name_th) in changes
    _apply(demo_db, plan_id, spec)
    with read_session(demo_db) as s:
        assert s.exec(select(SubIssue).where(SubIssue.code == f"{main.number}.9")).first() is None
        archived = s.exec(select(SubIssue).where(SubIssue.code == gone.code)).one()
        assert archived.archived_at is not None
        assert s.exec(select(SubIssueAlignment).where(SubIssueAlignment.sub_issue_id == archived.id)).first()
    _, after = _spec(demo_db)
    assert gone.code not in {s.code for m in after.main_issues for s in m.sub_issues}


def test_renumbering_two_sub_issues_keeps_their_reports(demo_db):
    plan_id, spec = _spec(demo_db)
    first, second = spec.main_issues[0].sub_issues[:2]
    with read_session(demo_db) as s:
        count = {
            sid: s.exec(
                select(func.count()).select_from(ProgressReport).join(Assignment).where(Assignment.sub_issue_id == sid)
            ).one()
            for sid in (first.id, second.id)
        }
    first.code, second.code = second.code, first.code
    changes = _preview(demo_db, plan_id, spec)
    assert {c.field for c in changes} == {"code"} and len(changes) == 2
    _apply(demo_db, plan_id, spec)
    with read_session(demo_db) as s:
        assert s.get(SubIssue, first.id).code == first.code and s.get(SubIssue, second.id).code == second.code
        for sid, n in count.items():
            assert (
                s.exec(
                    select(func.count()).select_from(ProgressReport).join(Assignment).where(Assignment.sub_issue_id == sid)
                ).one()
                == n
            )


def _refused(engine, plan_id, spec) -> list[str]:
    before = _version(engine)
    with pytest.raises(PlanEditError) as exc:
        _apply(engine, plan_id, spec)
    assert _version(engine) == before  # nothing saved
    return [p.key for p in exc.value.problems]


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda sp: setattr(_sub(sp, "1.1").assignments[0], "unit", "ร้อยละ") or
         setattr(_sub(sp, "1.1").assignments[0], "target", Decimal(120)), "error.plan.percent_target"),
        (lambda sp: setattr(_sub(sp, "1.1").assignments[-1], "target", Decimal("2.5")), "error.plan.count_target"),
        (lambda sp: [setattr(a, "weight", Decimal(0)) for a in _sub(sp, "2.1").assignments], "error.plan.weights_zero"),
        (lambda sp: [setattr(s, "weight", Decimal(0)) for s in sp.main_issues[2].sub_issues], "error.plan.sub_weights_zero"),
        (lambda sp: setattr(_sub(sp, "1.2"), "code", "1.1"), "error.plan.duplicate_sub"),
        (lambda sp: setattr(_sub(sp, "1.2"), "code", "2.9"), "error.plan.code_of_main"),
        (lambda sp: sp.agencies.append(sp.agencies[0].model_copy()), "error.plan.duplicate_agency"),
        (lambda sp: setattr(_sub(sp, "1.1"), "strategy", ["ไม่มีในรายการ"]), "error.plan.unknown_tag"),
        (lambda sp: setattr(sp.plan, "demo", False), "error.plan.demo_flag"),
        (lambda sp: setattr(sp.plan, "last_fiscal_year", 2563), "error.plan.rounds_outside"),
        (lambda sp: setattr(_sub(sp, "1.1"), "id", 99999), "error.plan.unknown_id"),
    ],
)  # fmt: skip
def test_a_faulty_edit_is_refused_with_its_reason_and_nothing_is_saved(demo_db, edit, key):
    plan_id, spec = _spec(demo_db)
    edit(spec)
    assert key in _refused(demo_db, plan_id, spec)


def test_a_unit_with_reports_cannot_change(demo_db):
    plan_id, spec = _spec(demo_db)
    owner = _sub(spec, "1.1").assignments[0]
    owner.unit = "ระบบ" if owner.unit != "ระบบ" else "ฉบับ"
    assert _refused(demo_db, plan_id, spec) == ["error.plan.unit_with_reports"]
    problem = PlanEditError([plan_admin.problem("1.1 X", "error.plan.unit_with_reports", old="ก", new="ข")]).problems[0]
    assert problem.text().startswith("1.1 X: เปลี่ยนหน่วยจาก «ก» เป็น «ข» ไม่ได้")


def test_only_the_admin_edits_and_a_stale_preview_is_refused(demo_db):
    plan_id, spec = _spec(demo_db)
    _sub(spec, "1.1").name_th = "ชื่อใหม่ของประเด็น"
    changes = _preview(demo_db, plan_id, spec)
    with pytest.raises(PermissionDenied):
        _apply(demo_db, plan_id, spec, "secretariat", confirmed=changes)
    _, other = _spec(demo_db)
    _sub(other, "1.1").name_th = "อีกชื่อหนึ่ง"
    _apply(demo_db, plan_id, other)  # someone else saved meanwhile
    before = _version(demo_db)
    with pytest.raises(plan_admin.UserFacingError) as exc:
        _apply(demo_db, plan_id, spec, confirmed=changes)
    assert exc.value.message_key == "error.plan.changed_meanwhile" and _version(demo_db) == before


def test_an_agency_left_out_is_deactivated_and_its_items_archived(demo_db):
    plan_id, spec = _spec(demo_db)
    gone = spec.agencies.pop().code
    for m in spec.main_issues:
        for s in m.sub_issues:
            s.assignments = [a for a in s.assignments if a.agency != gone]
    changes = _preview(demo_db, plan_id, spec)
    assert changes[0].action == "deactivate" and changes[0].key == gone
    assert {c.action for c in changes[1:]} == {"archive"}
    _apply(demo_db, plan_id, spec)
    with read_session(demo_db) as s:
        assert not s.exec(select(Agency).where(Agency.code == gone)).one().active


def test_the_overview_groups_and_the_heatmap_filters_by_alignment(demo_db):
    rid = open_round(demo_db).id
    with read_session(demo_db) as s:
        tags = plans.alignment(session=s, plan_id=plans.active_plan(session=s).id)
        grid = heatmap.round_grid(session=s, round_id=rid)
    assert {t.kind for t in tags} == {"strategy", "master_plan", "ministry_plan"}
    assert all(t.sub_issue_ids for t in tags if t.kind == "strategy")
    every = plans.Alignment(0, "strategy", "ทุกประเด็น", "", frozenset(grid.cells["sub_issue_id"]))
    table = overview.by_alignment(grid.cells, [*tags, every])
    assert table.iloc[-1]["weighted_progress"] == pytest.approx(grid.overall)  # one definition of progress
    assert table.iloc[-1]["assigned"] == int(grid.by_agency["assigned"].sum())
    first = tags[0]
    row = table[table.tag_id == first.tag_id].iloc[0]
    cells = heatmap.view_cells(grid, sub_issue_filter=tuple(first.sub_issue_ids))
    assert set(cells["sub_issue_id"]) == set(first.sub_issue_ids) and row["sub_issues"] == len(first.sub_issue_ids)
    items = cells[cells["assignment_id"].notna()]
    weight = items["weight"].astype(float)
    assert row["weighted_progress"] == pytest.approx(
        float((weight * items["progress_pct"].astype(float).fillna(0)).sum() / weight.sum())
    )


def test_a_sub_issue_weight_shares_its_main_issue_among_sub_issues(demo_db):
    plan_id, spec = _spec(demo_db)
    assert all(s.weight == 1 for m in spec.main_issues for s in m.sub_issues)
    _sub(spec, "1.1").weight = Decimal(3)
    assert _preview(demo_db, plan_id, spec) == [Change("update", "sub_issue", "1.1", "weight", "1", "3")]
    _apply(demo_db, plan_id, spec)
    rid = open_round(demo_db).id
    with read_session(demo_db) as s:
        cells = heatmap.cells(session=s, round_id=rid)
        mains = heatmap.by_main_issue(session=s, round_id=rid).set_index("main_issue_number")
    items = cells[cells["assignment_id"].notna() & (cells["main_issue_number"] == 1)]
    weight = items["weight"].astype(float)  # the owner's weight x the sub-issue's
    assert set(weight[items["sub_issue_code"] == "1.1"]) == {3.0}
    expected = float((weight * items["progress_pct"].astype(float).fillna(0)).sum() / weight.sum())
    assert mains.loc[1, "weighted_progress"] == pytest.approx(expected)


def test_the_plan_can_require_evidence(demo_db):
    plan_id, spec = _spec(demo_db)
    assert spec.plan.evidence_required is False
    spec.plan.evidence_required = True
    assert _preview(demo_db, plan_id, spec) == [Change("update", "plan", spec.plan.name_th, "evidence_required", "False", "True")]
    _apply(demo_db, plan_id, spec)
    assert _spec(demo_db)[1].plan.evidence_required is True
    assert pw_roundtrip(_spec(demo_db)[1]).plan.evidence_required is True


def pw_roundtrip(spec):
    from services import plan_workbook

    return plan_workbook.read_xlsx(plan_workbook.to_xlsx(spec), demo=spec.plan.demo)


def test_english_short_names_and_units_are_exported_compared_and_applied(demo_db):
    plan_id, spec = _spec(demo_db)
    ict = next(a for a in spec.agencies if a.code == "ICT")
    owner = next(a for a in _sub(spec, "2.1").assignments if a.agency == "ICT")
    assert ict.short_name_en == "ICT Center" and owner.unit_en == "system"  # the demo plan's, exported
    ict.short_name_en, owner.unit_en = "ICTC", "information system"
    changes = _preview(demo_db, plan_id, spec)
    assert changes == [
        Change("update", "agency", "ICT", "short_name_en", "ICT Center", "ICTC"),
        Change("update", "assignment", "2.1 ICT", "unit_en", "system", "information system"),
    ]
    _apply(demo_db, plan_id, spec)  # a translation may change after reports: the unit itself did not
    _, after = _spec(demo_db)
    assert next(a for a in after.agencies if a.code == "ICT").short_name_en == "ICTC"
    assert next(a for a in _sub(after, "2.1").assignments if a.agency == "ICT").unit_en == "information system"
    with read_session(demo_db) as s:
        audited = set(s.exec(select(AuditLog.field).where(AuditLog.new_value.in_(["ICTC", "information system"]))))
    assert audited == {"short_name_en", "unit_en"}
