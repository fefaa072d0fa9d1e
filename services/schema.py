"""The database schema: Alembic upgrades and downgrades, and the demo data on a first run.

(Engines and sessions are core.db; this module decides what is in the database.)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (an existing database is upgraded in place)."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
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
