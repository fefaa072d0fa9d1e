"""ui.cache's per-run data version: one read per script run, read again after the run's own
write, so every cache a run touches names the same data and a save shows in the same run."""

from datetime import date

import pandas as pd
import pytest

from core import db
from services import login_sessions, users
from services.permissions import Actor
from ui import boot, cache, nav
from ui import session as ui_session


def test_a_run_reads_the_data_version_once_and_again_after_its_own_write(app_env):
    cache.start_run()
    before = cache.data_version()
    with db.write_session(boot.engine(), Actor.system("another process")) as session:
        db.bump_data_version(session)
    assert cache.data_version() == before  # this run keeps the snapshot it started with
    with ui_session.write_session(Actor.system("this run")) as session:
        db.bump_data_version(session)
    assert cache.data_version() == before + 2  # its own write: read again, both writes seen
    cache.start_run()
    assert cache.data_version() == before + 2


def test_a_login_session_is_read_on_every_run_and_ends_with_a_deactivation(app_env):
    with ui_session.write_session(Actor.system("login")) as session:
        chair = users.get_by_username(session=session, username="chair")
        started = login_sessions.start(session=session, user_id=chair.id, cookie_expiry_days=1, key=boot.settings().cookie_key)
    cache.start_run()
    assert cache.read(login_sessions.active_user, session_id=started.session_id).username == "chair"
    with db.write_session(boot.engine(), Actor.system("secretariat")) as session:  # another process
        users.set_active(session=session, actor=secretariat(session), username="chair", active=False)
    assert cache.read(login_sessions.active_user, session_id=started.session_id) is None  # same run, no cache to wait for


def secretariat(session):
    return users.actor_for(users.get_by_username(session=session, username="secretariat"))


def test_a_view_is_built_once_per_data_version_and_view_key(app_env):
    built = []

    def build(label):
        built.append(label)
        return {"label": label}

    cache.start_run()
    assert cache.view(lambda: build("th"), view_key=("test_view", 1, "th")) == {"label": "th"}
    cache.start_run()  # the next rerun, nothing written: the cached copy
    assert cache.view(lambda: build("th"), view_key=("test_view", 1, "th")) == {"label": "th"}
    assert cache.view(lambda: build("en"), view_key=("test_view", 1, "en")) == {"label": "en"}  # another view
    with ui_session.write_session(Actor.system("secretariat")) as session:
        db.bump_data_version(session)
    assert cache.view(lambda: build("th"), view_key=("test_view", 1, "th")) == {"label": "th"}  # new data: built again
    assert built == ["th", "en", "th"]


def test_pages_registered_by_a_run_are_linked_by_object_and_forgotten_by_the_next(app_env):
    import streamlit as st

    page = st.Page("pages/heatmap.py", title="heatmap", url_path="heatmap")
    cache.start_run()
    assert nav.nav_page("heatmap", "pages/heatmap.py") == "pages/heatmap.py"  # nothing registered yet
    nav.register_pages({"heatmap": page})
    assert nav.nav_page("heatmap", "pages/heatmap.py") is page
    with ui_session.write_session(Actor.system("this run")):
        pass
    assert nav.nav_page("heatmap", "pages/heatmap.py") is page  # a write keeps this run's pages
    cache.start_run()
    assert nav.nav_page("heatmap", "pages/heatmap.py") == "pages/heatmap.py"


def test_cached_reads_are_keyed_by_function_and_arguments_and_refuse_anonymous_functions(app_env):
    from services import plans, rounds

    cache.start_run()
    assert cache.cached(plans.is_demo) is True
    assert cache.cached(rounds.plan_rounds, today=date(2021, 10, 5)) != cache.cached(plans.agencies)  # no collision
    with pytest.raises(TypeError, match="module-level function"):
        cache.cached(lambda session: 1)


def test_a_round_grid_and_overview_are_refreshed_after_a_save_and_kept_after_other_writes(app_env, monkeypatch):
    from decimal import Decimal

    from sqlmodel import select

    from models import Meeting, ProgressStatus
    from services import heatmap, overview, progress
    from services.progress import ReportInput

    engine = boot.engine()
    cache.start_run()
    _, rnd = cache.plan_rounds()
    plan_version = cache.plan_version()
    before = cache.round_grid(rnd.id)
    basis = cache.grid_basis(rnd.id)
    first_overview = cache.round_overview(rnd.id)
    built = []
    assert cache.view(lambda: built.append(1) or "chart", view_key=("test_grid_view",), basis=basis) == "chart"

    with db.read_session(engine) as s:
        focal = users.actor_for(users.get_by_username(session=s, username="focal_bla"))
        bla_11 = s.exec(
            select(heatmap.Assignment.id)
            .join(heatmap.Agency, heatmap.Agency.id == heatmap.Assignment.agency_id)
            .join(heatmap.SubIssue, heatmap.SubIssue.id == heatmap.Assignment.sub_issue_id)
            .where(heatmap.Agency.code == "BLA", heatmap.SubIssue.code == "1.1")
        ).one()
    with db.write_session(engine, focal) as s:  # another session's save
        progress.save_report(
            session=s,
            actor=focal,
            assignment_id=bla_11,
            round_id=rnd.id,
            expected_version=None,
            data=ReportInput(
                progress_pct=Decimal("42"), actual_value=Decimal(1), status=ProgressStatus.delayed, status_reason="รองบ"
            ),
        )

    def computed_again(**_):
        raise AssertionError("the grid was computed again instead of refreshed")

    monkeypatch.setattr(heatmap, "round_grid", computed_again)
    cache.start_run()
    assert cache.plan_version() == plan_version  # a report's save leaves the plan, rounds and accounts' caches
    after = cache.round_grid(rnd.id)
    cell = after.cells[(after.cells["agency_code"] == "BLA") & (after.cells["sub_issue_code"] == "1.1")]
    assert float(cell["progress_pct"].iloc[0]) == 42.0 and cell["state"].iloc[0] == "draft"
    assert cache.grid_basis(rnd.id) > basis and after.overall != before.overall
    kept = cache.round_overview(rnd.id)
    monkeypatch.undo()
    with db.read_session(engine) as s:
        fresh = overview.round_overview(session=s, round_id=rnd.id)
    assert kept.headline == fresh.headline != first_overview.headline

    basis, overview_basis = cache.grid_basis(rnd.id), cache.overview_basis(rnd.id)
    assert cache.view(lambda: built.append(2) or "new chart", view_key=("test_grid_view",), basis=basis) == "new chart"
    with db.write_session(engine, Actor.system("secretariat")) as s:  # a write no round shows
        s.exec(select(Meeting)).first().venue = "ห้องประชุมเสมา 2"
    cache.start_run()
    assert cache.plan_version() > plan_version  # anything but a report moves it
    assert (cache.grid_basis(rnd.id), cache.overview_basis(rnd.id)) == (basis, overview_basis)
    assert cache.view(lambda: built.append(3) or "built again", view_key=("test_grid_view",), basis=basis) == "new chart"
    assert built == [1, 2]  # the view drawn from the grid outlived the meeting's edit


def _save_bla_11(progress_pct: str, *, own: bool = False) -> None:
    """A save by BLA's focal point of its item 1.1 in the current round: another process's, or
    with `own` this session's (through ui.session, as the entry page saves)."""
    from decimal import Decimal

    from sqlmodel import select

    from models import ProgressReport, ProgressStatus
    from services import heatmap, progress
    from services.progress import ReportInput

    _, rnd = cache.plan_rounds()
    with db.read_session(boot.engine()) as s:
        focal = users.actor_for(users.get_by_username(session=s, username="focal_bla"))
        item = s.exec(
            select(heatmap.Assignment.id)
            .join(heatmap.Agency, heatmap.Agency.id == heatmap.Assignment.agency_id)
            .join(heatmap.SubIssue, heatmap.SubIssue.id == heatmap.Assignment.sub_issue_id)
            .where(heatmap.Agency.code == "BLA", heatmap.SubIssue.code == "1.1")
        ).one()
        version = s.exec(
            select(ProgressReport.version).where(ProgressReport.assignment_id == item, ProgressReport.round_id == rnd.id)
        ).first()
    opened = ui_session.write_session(focal) if own else db.write_session(boot.engine(), focal)
    with opened as s:
        data = ReportInput(
            progress_pct=Decimal(progress_pct), actual_value=Decimal(1), status=ProgressStatus.delayed, status_reason="รองบ"
        )
        progress.save_report(session=s, actor=focal, assignment_id=item, round_id=rnd.id, expected_version=version, data=data)


def _bla_11(grid) -> float | None:
    cells = grid.cells
    value = cells.loc[(cells["agency_code"] == "BLA") & (cells["sub_issue_code"] == "1.1"), "progress_pct"].iloc[0]
    return None if pd.isna(value) else float(value)


def test_during_a_rush_a_reader_is_shown_figures_at_most_one_run_behind_and_a_writer_its_own_save(app_env, monkeypatch):
    """FIGURES_SETTLE_S: a grid refreshed moments ago serves a run although a save came since,
    once; the session's next run is current; a session's own save shows in its run at once; a
    plan change is never waited out; with 0 every run after a save is current."""
    from sqlmodel import select

    from models import Meeting

    monkeypatch.setenv("FIGURES_SETTLE_S", "30")
    boot.settings.clear()
    cache.start_run()
    _, rnd = cache.plan_rounds()
    first = _bla_11(cache.round_grid(rnd.id))

    _save_bla_11("41")  # another person's save, right after the grid was refreshed
    cache.start_run()
    behind = cache.round_grid(rnd.id)
    assert _bla_11(behind) == first  # one run behind: the refresh of a moment ago still serves
    assert cache.round_overview(rnd.id).cells.equals(cache.round_overview(rnd.id).cells)  # one answer per run
    cache.start_run()
    assert _bla_11(cache.round_grid(rnd.id)) == 41.0  # the next run is current

    _save_bla_11("43")
    cache.start_run()
    assert _bla_11(cache.round_grid(rnd.id)) == 41.0  # behind by one run again, once
    _save_bla_11("44", own=True)  # this session saves: what it reads next includes its own save
    assert _bla_11(cache.round_grid(rnd.id)) == 44.0
    cache.start_run()
    assert _bla_11(cache.round_grid(rnd.id)) == 44.0

    _save_bla_11("45")
    with db.write_session(boot.engine(), Actor.system("secretariat")) as s:  # and a change that is not a report
        s.exec(select(Meeting)).first().venue = "ห้องประชุมเสมา 3"
    cache.start_run()
    assert _bla_11(cache.round_grid(rnd.id)) == 45.0  # not waited out

    monkeypatch.setenv("FIGURES_SETTLE_S", "0")
    boot.settings.clear()
    _save_bla_11("46")
    cache.start_run()
    assert _bla_11(cache.round_grid(rnd.id)) == 46.0
