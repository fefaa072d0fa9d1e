"""ui.cache's per-run data version: one read per script run, read again after the run's own
write, so every cache a run touches names the same data and a save shows in the same run."""

from datetime import date

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
