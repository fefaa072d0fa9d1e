"""Scale-out (issue 6): two Streamlit processes on one PostgreSQL database.

- A save is seen by every process on its next rerun: no process serves a stale cached figure.
  The save is made the way every save is made (services.progress.save_report in a
  core.db.write_session), from this test's process, so no app process could have learnt of it
  in memory; both app processes had already shown (and possibly cached) the old figure.
- deploy/scale-out.sh (nginx, sticky by cookie): a browser's websocket reaches the process its
  page came from, and browsers are spread over both processes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bench.servers import SERVER_SCRIPT, StreamlitServer, app_env
from bench.wsclient import StreamlitSession
from core.db import read_session, write_session
from core.i18n import translate
from models import Agency, Assignment, ProgressReport, Round, RoundState, SubIssue, User
from services import heatmap
from services.overview import fmt_pct
from services.permissions import Actor
from services.progress import ReportInput, save_report
from services.status import expected_progress, suggest_status
from tests.conftest import missing_part

pytestmark = pytest.mark.postgres


def run_async(coroutine_function, *args):
    """asyncio.run in a thread of its own: the worker may already hold a running event loop (the
    browser tests' sync Playwright), where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function(*args))).result()


OVERALL = translate("heatmap.overall")


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _save_new_progress(engine: sa.Engine, agency_code: str = "OPEC", sub_issue_code: str = "3.1") -> str:
    """A focal point saves a new figure for an open-round draft; returns the new overall as shown."""
    with read_session(engine) as session:
        report, assignment, rnd = session.execute(
            sa.select(ProgressReport, Assignment, Round)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .join(Round, Round.id == ProgressReport.round_id)
            .where(Agency.code == agency_code, SubIssue.code == sub_issue_code, Round.state == RoundState.open)
        ).one()
        focal = session.execute(sa.select(User).where(User.agency_id == assignment.agency_id)).scalars().first()
        expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
    actor = Actor(user_id=focal.id, username=focal.username, role=focal.role, agency_id=focal.agency_id)
    data = ReportInput.from_report(report)
    data.progress_pct = Decimal("3.00") if (report.progress_pct or 0) > 50 else Decimal("97.00")
    data.status = suggest_status(data.progress_pct, expected)
    data.status_reason = ""
    with write_session(engine, actor) as session:
        save_report(
            session=session, actor=actor, assignment_id=assignment.id, round_id=rnd.id, expected_version=report.version, data=data
        )
    with read_session(engine) as session:
        return translate("overview.pct", value=fmt_pct(heatmap.overall(session=session, round_id=rnd.id)))


async def _open_heatmap(url: str, **kw) -> tuple[StreamlitSession, str]:
    s = await StreamlitSession(url, timeout=60, **kw).connect()
    await s.login("chair", "demo2563")
    run = await s.rerun("heatmap")
    assert run.ok, run.exceptions
    return s, run.metrics()[OVERALL]


def test_a_save_is_seen_by_every_process_on_its_next_rerun(pg_clone, tmp_path):
    engine = pg_clone("demo")
    servers = [StreamlitServer(SERVER_SCRIPT, env=app_env(_url(engine)), log_path=tmp_path / f"app-{i}.log") for i in range(2)]

    async def scenario() -> None:
        a, before_a = await _open_heatmap(servers[0].url)
        b, before_b = await _open_heatmap(servers[1].url)
        try:
            assert before_a == before_b
            for s in (a, b):  # a warm rerun: whatever the page caches is filled now
                assert (await s.rerun()).metrics()[OVERALL] == before_a
            after = await asyncio.to_thread(_save_new_progress, engine)
            assert after != before_a
            for s in (a, b):
                assert (await s.rerun()).metrics()[OVERALL] == after
        finally:
            await a.close()
            await b.close()

    try:
        run_async(scenario)
    finally:
        for server in servers:
            server.stop()


def test_nginx_keeps_a_browser_on_one_process_and_uses_both(pg_clone, tmp_path):
    from bench.scaleout import ScaleOut, nginx_path

    if nginx_path() is None:
        missing_part("REQUIRE_NGINX", "scale-out", "nginx is not installed (make test installs nginx-light as root)")
    engine = pg_clone("demo")

    async def scenario(url: str) -> set[str]:
        seen: set[str] = set()
        figures: set[str] = set()
        for _ in range(12):
            s, overall = await _open_heatmap(url, load_page=True)
            try:
                assert "reform_route" in s.cookies
                assert s.upstream and s.upstream == s.page_upstream  # sticky: websocket to the page's process
                seen.add(s.upstream)
                figures.add(overall)
            finally:
                await s.close()
            if len(seen) == 2:
                break
        assert len(figures) == 1
        return seen

    with ScaleOut(_url(engine), processes=2, log_path=tmp_path / "scale-out.log") as deployment:
        seen = run_async(scenario, deployment.url)
        assert seen == {u.removeprefix("http://") for u in deployment.app_urls}
