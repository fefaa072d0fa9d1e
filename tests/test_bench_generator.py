"""The benchmark harness (issue 6): its data generator on both backends, and its websocket client
driving a real `streamlit run` server (log in, open the heatmap, rerun it)."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
import sqlalchemy as sa

from bench.generator import SCALES, Scale, generate
from core.db import read_session
from core.i18n import translate
from models import AuditLog, ProgressReport, Round, RoundState, User
from services import heatmap, rounds
from services.passwords import verify_password


def test_demo_scale_has_the_shape_sparsity_and_mix_of_a_real_plan(db):
    scale = SCALES["demo"]
    gen = generate(db, scale)
    assert (gen.agencies, gen.users) == (7, 7 + 5)
    with read_session(db) as session:
        all_rounds, current = rounds.plan_rounds(session=session)
        assert len(all_rounds) == 12
        assert current.state == RoundState.open and (current.fiscal_year, current.months) == (2564, 12)
        cells = heatmap.cells(session=session, round_id=current.id)
        assert len(cells) == scale.grid_cells == 7 * 13
        states = set(cells["state"])
        assert {"not_assigned", "not_reported", "draft", "submitted", "approved"} <= states
        per_agency = cells[cells["state"] != "not_assigned"].groupby("agency_code").size()
        assert per_agency.min() >= 2 and len(per_agency) == 7  # every agency reports something
        assert 0.15 < gen.assignments / scale.grid_cells < 0.5  # sparse, like the demo plan (27 of 91)
        texts = [len(t) for (t,) in session.execute(sa.select(ProgressReport.achievements)).all()]
        assert min(texts) > 0 and max(texts) > 4 * min(texts)  # narratives of varying length
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in session.execute(sa.select(ProgressReport.achievements)).scalars().first())
        closed = session.execute(
            sa.select(sa.func.count()).select_from(ProgressReport).join(Round).where(Round.state == RoundState.closed)
        ).scalar_one()
        assert closed < gen.assignments * 11  # some closed-round items were never reported
        summary = (
            session.execute(sa.select(AuditLog.entity).where(AuditLog.username == "bench-generate", AuditLog.entity_id == "*"))
            .scalars()
            .all()
        )
        assert {"agency", "assignment", "app_user", "progress_report"} <= set(summary)
        chair = session.execute(sa.select(User).where(User.username == "chair")).scalar_one()
        assert verify_password("demo2563", chair.password_hash, rounds=4)


def test_generation_is_deterministic_and_scales(tmp_path):
    from core.db import make_engine
    from services import schema

    results = []
    for i in range(2):
        engine = make_engine(f"sqlite:///{tmp_path / f'g{i}.db'}")
        schema.upgrade(engine)
        results.append(generate(engine, Scale("mini", 40, (3, 2)), seed=7))
        engine.dispose()
    assert (results[0].assignments, results[0].reports) == (results[1].assignments, results[1].reports)
    assert results[0].agencies == 40 and results[0].users == 45
    assert results[0].reports > results[0].assignments * 4 * 0.8  # 4 rounds, mostly reported


def test_websocket_client_logs_in_and_reruns_the_heatmap(demo_sqlite_path, tmp_path):
    """A real server, spoken to over Streamlit's websocket protocol as a browser would."""
    from bench.servers import SERVER_SCRIPT, StreamlitServer, app_env
    from bench.wsclient import StreamlitError, StreamlitSession

    async def scenario(url: str) -> None:
        async with StreamlitSession(url, timeout=30) as s:
            with pytest.raises(StreamlitError, match="refused"):
                await s.login("chair", "wrong-password")
        async with StreamlitSession(url, timeout=30) as s:
            home = await s.login("chair", "demo2563")
            assert translate("home.title") in home.headings() and home.ok
            assert {"", "heatmap", "account"} <= set(s.pages)
            assert "users" not in s.pages  # the chair's navigation only
            first = await s.rerun("heatmap")
            assert first.ok and first.headings()[0] == translate("heatmap.title")
            assert any(e.kind == "vega_lite_chart" for e in first.elements)
            again = await s.rerun()  # the page on screen, warm
            assert again.ok and again.headings() == first.headings() and again.seconds > 0
            assert "fy=2564" in s.query_string  # the page keeps its view in the URL

    server = StreamlitServer(SERVER_SCRIPT, env=app_env(f"sqlite:///{demo_sqlite_path}"), log_path=tmp_path / "server.log")
    try:
        # in a thread of its own: this worker may hold sync Playwright's running event loop
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(lambda: asyncio.run(scenario(server.url))).result()
    finally:
        server.stop()
