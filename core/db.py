"""Engine and session scopes.

SQLite is tuned for a small multi-user server: WAL, busy_timeout, foreign keys, synchronous=FULL,
and write transactions that start with BEGIN IMMEDIATE. With the driver's default deferred
BEGIN, two read-modify-write transactions can both read before either writes and one update is
lost without an error; BEGIN IMMEDIATE takes the write lock before the read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from core import audit  # noqa: F401  (registers the audit listener on every Session)
from models.audit import DataChange, DataVersion
from models.plan import Assignment

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (psycopg2 is not installed)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 15000) -> Engine:
    """A new engine; SQLite connections get the pragmas and IMMEDIATE write transactions."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine(url: str, *, busy_timeout_ms: int = 15000) -> Engine:
    """One engine per URL per process."""
    url = normalize_url(url)
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; any attempt to flush changes through it fails (no actor)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


_sqlite_writers: dict[str, threading.RLock] = {}


@contextmanager
def _one_writer(engine: Engine) -> Iterator[None]:
    """SQLite has one writer at a time. Threads of this process (a Streamlit server's sessions)
    queue on a lock for the file instead of polling its write lock: under many writers the busy
    handler's sleep-and-retry can starve one past busy_timeout ("database is locked"). Other
    processes still wait through busy_timeout."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _lock:
        lock = _sqlite_writers.setdefault(str(engine.url.database), threading.RLock())
    with lock:
        yield


@contextmanager
def write_session(engine: Engine, actor: Any) -> Iterator[Session]:
    """One write transaction on behalf of `actor`: committed on success, rolled back on error.

    The actor is recorded on every audit row the transaction writes.
    """
    bind = engine.execution_options(sqlite_immediate=True) if engine.dialect.name == "sqlite" else engine
    with _one_writer(engine), Session(bind, expire_on_commit=False) as session:
        session.info["actor"] = actor
        try:
            yield session
            session.flush()
            if session.info.get("data_changed"):
                bump_data_version(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise


# data_change rows kept: a cache further behind than this recomputes instead of refreshing
DATA_CHANGES_KEPT = 1000
# data_version's second row: the version at which anything but reports last changed
PLAN_VERSION_ID = 2


def bump_data_version(session: Session) -> None:
    """Mark that this transaction changed data (see models.audit.DataVersion), and record what it
    changed beside the new version (models.audit.DataChange): the (round, agency) pairs of the
    reports it wrote, or everything (core.audit collects the scope as rows are flushed)."""
    scope = session.info.pop("change_scope", None)
    version = session.execute(
        sa.update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1).returning(DataVersion.version)
    ).scalar_one()
    everything = scope is None or scope["everything"]
    cells: list[list[int]] = []
    if not everything and scope["reports"]:
        by_id = {a: r for r, a in scope["reports"]}
        agency_of = dict(session.execute(sa.select(Assignment.id, Assignment.agency_id).where(Assignment.id.in_(by_id))).all())
        cells = sorted({(r, agency_of[a]) for r, a in scope["reports"] if a in agency_of})
        everything = len(agency_of) < len(by_id)
    table = DataChange.__table__
    session.execute(sa.insert(table).values(version=version, everything=everything, cells=json.dumps(cells)))
    if scope is None or not scope.get("reports_only", False):
        session.execute(sa.update(DataVersion).where(DataVersion.id == PLAN_VERSION_ID).values(version=version))
    if version % 100 == 0:
        session.execute(sa.delete(table).where(table.c.version <= version - DATA_CHANGES_KEPT))


def data_version(session: Session) -> int:
    """The committed data version: one primary-key read."""
    return session.execute(sa.select(DataVersion.version).where(DataVersion.id == 1)).scalar() or 0


def data_versions(session: Session) -> tuple[int, int]:
    """(the data version, the plan version): the version of the last change of anything but
    progress reports (their evidence and review events), which caches of the plan, rounds and
    accounts are keyed by (the data version where the row is missing). One read of two rows."""
    rows = dict(
        session.execute(sa.select(DataVersion.id, DataVersion.version).where(DataVersion.id.in_((1, PLAN_VERSION_ID)))).all()
    )
    version = rows.get(1) or 0
    return version, rows.get(PLAN_VERSION_ID, version)
