"""The database schema: Alembic upgrades and downgrades, and the demo data on a first run.

(Engines and sessions are core.db; this module decides what is in the database.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from core.db import write_session
from core.settings import PROJECT_ROOT, Settings
from services import demo, users
from services.permissions import Actor

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config(engine: Engine) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = engine.url.render_as_string(hide_password=False)
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """The connection Alembic runs on, in one transaction. On SQLite, one without
    `foreign_keys=ON`: batch mode rebuilds a table (copy, drop, rename) to change a column, and
    the app's connections refuse to drop a table that other tables' rows refer to, so a database
    holding data could not be migrated. Every foreign key is checked before the commit instead."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    plain = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, connect_args={"timeout": 15})

    @sa.event.listens_for(plain, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN below: the DDL is inside the transaction too

    @sa.event.listens_for(plain, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with plain.begin() as connection:
            yield connection
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise RuntimeError(f"a migration left rows of {broken[0]} pointing at nothing; nothing was changed")
    finally:
        plain.dispose()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (an existing database is upgraded in place)."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head() or ""


def prepare(engine: Engine, settings: Settings) -> bool:
    """Upgrade the schema; in demo mode, seed an empty database. True if demo data was created."""
    upgrade(engine)
    if not settings.demo_mode:
        return False
    with write_session(engine, Actor.system("demo-seed")) as session:
        if users.count_users(session=session) > 0:
            return False
        demo.seed_demo(session=session, bcrypt_rounds=settings.bcrypt_rounds)
    return True
