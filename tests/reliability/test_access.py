"""Access, tried as every role and as a focal point for another agency: every page, the deep-link
parameters of the pages that take them, and the services called directly, as a script or a
crafted request would. Everything a role is not given is refused; a focal point cannot approve
their own report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from models import Evidence, ProgressReport
from services import evidence, excel_io, heatmap, history, progress, review, round_admin, rounds, users
from services.errors import UserFacingError
from services.permissions import PAGES_BY_ROLE, Role
from services.progress import ReportInput
from tests import figures
from tests.apptest.conftest import APP_FILE, app, app_env, login, navigation_mode, titles  # noqa: F401  (fixtures: the real app.py)
from tests.helpers import actor, agency_id, assignment, open_round, report

PAGES = ("home", "entry", "review", "overview", "heatmap", "present", "users", "account")
TITLES = {
    "home": "หน้าหลัก",
    "entry": "รายงานผลการดำเนินงาน",
    "review": "ตรวจสอบรายงาน",
    "users": "ผู้ใช้งาน",
    "account": "บัญชีของฉัน",
}
ROLE_USERS = {
    Role.admin: "admin",
    Role.secretariat: "secretariat",
    Role.chair: "chair",
    Role.executive: "executive",
    Role.viewer: "viewer",
    Role.focal_point: "focal_onie",
}


def _page(name: str) -> str:
    return str(Path(APP_FILE).parent / "pages" / f"{name}.py")


@pytest.mark.parametrize("role", list(ROLE_USERS), ids=[r.value for r in ROLE_USERS])
def test_every_role_reaches_its_pages_and_no_other(app, role, request):  # noqa: F811
    at = login(app, ROLE_USERS[role])
    attempts = refused = 0
    for name in PAGES:
        if name in PAGES_BY_ROLE[role]:
            at.switch_page(_page(name)).run()
            assert not at.exception, (role, name)
            if name in TITLES:
                assert titles(at)[0] == TITLES[name], (role, name)
        else:  # never handed to st.navigation for this role: not even a URL opens it
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(_page(name))
            attempts, refused = attempts + 1, refused + 1
    figures.record(request, access_attempts=attempts, access_refused=refused)


def test_deep_link_parameters_never_open_another_agency_for_a_focal_point(app, app_env, request):  # noqa: F811
    at = login(app, "focal_onie")
    attempts = 0
    for query in ({"agency": "BPS"}, {"agency_id": "4"}, {"cell": "BPS~2.4"}, {"view": "agency-BPS"}, {"evidence": "1"}):
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(_page("entry")).run()
        assert not at.exception
        shown = [ti.value for ti in at.text_input if ti.disabled]
        assert any("กศน." in v for v in shown), shown  # the focal point's own agency, whatever the URL says
        assert not any("สนย." in v for v in shown)
        attempts += 1
        for k in query:
            del at.query_params[k]
    figures.record(request, access_attempts=attempts, access_refused=attempts)


def _refused(call) -> bool:
    try:
        call()
    except UserFacingError:
        return True
    return False


def test_direct_service_calls_across_roles_and_agencies_are_refused(demo_db, request, tmp_path):
    rid = open_round(demo_db).id
    bps, onie = agency_id(demo_db, "BPS"), agency_id(demo_db, "ONIE")
    focal_onie, chair, viewer = actor(demo_db, "focal_onie"), actor(demo_db, "chair"), actor(demo_db, "viewer")
    secretariat, executive = actor(demo_db, "secretariat"), actor(demo_db, "executive")
    other = report(demo_db, "BPS", "2.4", rid)
    own = report(demo_db, "ONIE", "3.3", rid)
    store = tmp_path / "evidence"
    with write_session(demo_db, secretariat) as s:  # a link on another agency's report, to try to read and remove
        link = evidence.add_link(session=s, actor=secretariat, report_id=other.id, url="https://www.moe.go.th/")
    before = _snapshot(demo_db)

    def write(who, fn):
        def run() -> None:
            with write_session(demo_db, who) as s:
                fn(s)

        return run

    def read(fn):
        def run() -> None:
            with read_session(demo_db) as s:
                fn(s)

        return run

    data = ReportInput(progress_pct=1, achievements="ไม่ควรบันทึกได้")
    attempts = [
        # a focal point writing, reading or exporting another agency's items
        write(
            focal_onie,
            lambda s: progress.save_report(
                session=s,
                actor=focal_onie,
                assignment_id=other.assignment_id,
                round_id=rid,
                expected_version=other.version,
                data=data,
            ),
        ),
        write(focal_onie, lambda s: review.submit_agency_round(session=s, actor=focal_onie, agency_id=bps, round_id=rid)),
        write(focal_onie, lambda s: progress.copy_forward(session=s, actor=focal_onie, agency_id=bps, round_id=rid)),
        write(focal_onie, lambda s: review.answer_return(session=s, actor=focal_onie, report_id=other.id, answer="x")),
        read(lambda s: progress.entry_items(session=s, actor=focal_onie, round_id=rid, agency_id=bps)),
        read(lambda s: history.history(session=s, actor=focal_onie, report_id=other.id)),
        read(lambda s: excel_io.build_template(session=s, actor=focal_onie, round_id=rid, agency_id=bps)),
        read(lambda s: heatmap.cell_detail(session=s, actor=focal_onie, round_id=rid, agency_code="BPS", sub_issue_code="2.4")),
        read(lambda s: evidence.read_file(session=s, actor=focal_onie, evidence_id=link.id, evidence_dir=store)),
        read(lambda s: evidence.list_for_report(session=s, actor=focal_onie, report_id=other.id)),
        write(focal_onie, lambda s: evidence.add_link(session=s, actor=focal_onie, report_id=other.id, url="https://a.example/")),
        write(focal_onie, lambda s: evidence.remove(session=s, actor=focal_onie, evidence_id=link.id)),
        # a focal point reviewing, least of all their own report
        write(focal_onie, lambda s: review.approve(session=s, actor=focal_onie, report_id=own.id, expected_version=own.version)),
        write(
            focal_onie,
            lambda s: review.return_for_correction(
                session=s, actor=focal_onie, report_id=own.id, expected_version=own.version, comment="x"
            ),
        ),
        # readers writing anything
        *[
            write(
                who,
                lambda s, who=who: progress.save_report(
                    session=s, actor=who, assignment_id=own.assignment_id, round_id=rid, expected_version=own.version, data=data
                ),
            )
            for who in (chair, executive, viewer)
        ],
        *[
            write(who, lambda s, who=who: review.approve(session=s, actor=who, report_id=own.id, expected_version=own.version))
            for who in (chair, executive, viewer)
        ],
        # rounds and accounts: the secretariat's and the admin's only
        *[write(who, lambda s, who=who: rounds_state(s, who, rid)) for who in (focal_onie, chair, executive, viewer)],
        *[
            write(
                who,
                lambda s, who=who: users.create_user(
                    session=s,
                    actor=who,
                    username="intruder",
                    display_name="x",
                    role="admin",
                    password="long-enough-1",
                    bcrypt_rounds=4,
                ),
            )
            for who in (focal_onie, chair, executive, viewer, secretariat)  # the secretariat cannot make an admin
        ],
        write(chair, lambda s: users.unlock_user(session=s, actor=chair, username="viewer")),
        write(executive, lambda s: users.set_active(session=s, actor=executive, username="viewer", active=False)),
        write(
            secretariat,
            lambda s: users.reset_password(
                session=s, actor=secretariat, username="admin", new_password="taken-over-1", bcrypt_rounds=4
            ),
        ),
    ]
    results = [_refused(a) for a in attempts]
    assert all(results), [i for i, ok in enumerate(results) if not ok]
    assert _snapshot(demo_db) == before  # no refusal changed anything
    # and the focal point does reach their own agency
    with read_session(demo_db) as s:
        assert progress.entry_items(session=s, actor=focal_onie, round_id=rid, agency_id=onie)
    assert assignment(demo_db, "ONIE", "3.3").agency_id == onie
    figures.record(request, access_attempts=len(attempts), access_refused=sum(results))


def rounds_state(session, who, rid):
    return round_admin.close_round(session=session, actor=who, round_id=rid, shown=round_admin.Outstanding(0, 0, 0))


def _snapshot(engine) -> tuple:
    with read_session(engine) as s:
        reports = tuple((r.id, r.version, r.submission_state) for r in s.exec(select(ProgressReport).order_by(ProgressReport.id)))
        links = tuple((e.id, e.removed) for e in s.exec(select(Evidence).order_by(Evidence.id)))
        states = tuple(r.state for r in rounds.plan_rounds(session=s)[0])
        accounts = tuple((u.username, u.active, u.password_hash, u.role) for u in users.list_users(session=s))
    return reports, links, states, accounts
