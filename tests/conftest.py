"""Shared fixtures: databases on SQLite and PostgreSQL, built once per worker from templates.

PostgreSQL tests skip when no server answers, unless REQUIRE_POSTGRES=1 (set by .ci/run), which
turns a missing server into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

os.environ.setdefault("BCRYPT_ROUNDS", "4")  # fast hashes in tests; production uses 12
# tests switch sessions within a second and check that each shows every save at once; the settle
# of a rush (ui.cache, FIGURES_SETTLE_S) has its own tests (tests/apptest/test_ui_cache.py)
os.environ.setdefault("FIGURES_SETTLE_S", "0")

from core.db import make_engine, write_session
from services import demo, schema
from services.permissions import Actor
from tests import figures

pytest_plugins = ["tests.browser", "tests.smtp"]  # browser, server, start_server, page; smtp
TEST_BCRYPT_ROUNDS = 4
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SKIPPED_TIERS: dict[str, str] = {}


def _required(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes"}


def missing_part(var: str, tier: str, reason: str) -> None:
    """Fail when the tier is mandatory (CI); otherwise skip and remember why."""
    if _required(var):
        pytest.fail(f"{tier} tests are mandatory here ({var}=1) but {reason}", pytrace=False)
    SKIPPED_TIERS[tier] = reason
    pytest.skip(f"{tier}: {reason}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say plainly which tiers did not run here and why (skips carry 'tier: reason')."""
    reasons = sorted(
        {
            str(r.longrepr[2]).removeprefix("Skipped: ")
            for r in terminalreporter.stats.get("skipped", [])
            if isinstance(r.longrepr, tuple)
        }
    )
    if reasons:
        terminalreporter.write_sep("=", "test tiers skipped on this machine")
        for reason in reasons:
            terminalreporter.write_line(f"  {reason}")
    passed = [r for r in terminalreporter.stats.get("passed", []) if getattr(r, "when", "call") == "call"]
    lines = figures.summary_lines(figures.totals(passed))
    if lines:
        terminalreporter.write_sep("=", "reliability and security figures")
        for line in lines:
            terminalreporter.write_line(line)


def seed_demo_into(engine: Engine) -> None:
    with write_session(engine, Actor.system("test-seed")) as session:
        demo.seed_demo(session=session, bcrypt_rounds=TEST_BCRYPT_ROUNDS)


# ---------------------------------------------------------------- SQLite
@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sqlite-templates")
    templates = {}
    for name in ("empty", "demo"):
        path = root / f"{name}.db"
        engine = make_engine(f"sqlite:///{path}")
        schema.upgrade(engine)
        if name == "demo":
            seed_demo_into(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        templates[name] = path
    return templates


def sqlite_copy(templates: dict[str, Path], name: str, tmp_path: Path) -> Path:
    target = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(templates[name], target)
    return target


# ---------------------------------------------------------------- PostgreSQL
def _pg_admin() -> Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def pg_templates() -> Iterator[dict[str, str]]:
    """Two template databases (migrated; migrated + demo), cloned per test with CREATE … TEMPLATE."""
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:
        admin.dispose()
        missing_part("REQUIRE_POSTGRES", "postgres", f"no PostgreSQL server at {PG_URL} ({type(exc).__name__})")
    tag = uuid.uuid4().hex[:8]
    names = {"empty": f"rt_empty_{tag}", "demo": f"rt_demo_{tag}"}
    created: list[str] = []
    try:
        for kind, db_name in names.items():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
            created.append(db_name)
            engine = make_engine(make_url(PG_URL).set(database=db_name).render_as_string(hide_password=False))
            schema.upgrade(engine)
            if kind == "demo":
                seed_demo_into(engine)
            engine.dispose()
        yield names
    finally:
        _drop_databases(admin, created)
        admin.dispose()


def _drop_databases(admin: Engine, names: list[str]) -> None:
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_clone(pg_templates: dict[str, str]):
    """Factory: a fresh database cloned from a template; dropped after the test."""
    admin = _pg_admin()
    made: list[str] = []
    engines: list[Engine] = []

    def clone(kind: str) -> Engine:
        name = f"rt_{kind}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_templates[kind]}"')
        made.append(name)
        engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
        engines.append(engine)
        return engine

    yield clone
    for engine in engines:
        engine.dispose()
    _drop_databases(admin, made)
    admin.dispose()


@pytest.fixture
def pg_empty_url(pg_clone) -> str:
    """The URL of a brand-new, unmigrated PostgreSQL database."""
    admin = _pg_admin()
    name = f"rt_blank_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _drop_databases(admin, [name])
    admin.dispose()


# ---------------------------------------------------------------- either backend
BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def _engine_for(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = sqlite_copy(request.getfixturevalue("sqlite_templates"), kind, tmp_path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("pg_clone")(kind)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_engine(request, tmp_path):
    """A brand-new database with no tables: a fresh SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
    else:
        engine = make_engine(request.getfixturevalue("pg_empty_url"))
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    yield from _engine_for(request, "empty", tmp_path)


@pytest.fixture(params=BACKENDS)
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database holding the demo data set, on each backend."""
    yield from _engine_for(request, "demo", tmp_path)


@pytest.fixture
def demo_sqlite_path(sqlite_templates: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the demo SQLite file (for the app and the CLI)."""
    return sqlite_copy(sqlite_templates, "demo", tmp_path)
