"""Migrations, SQLite tuning and the append-only audit table, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from core.db import make_engine, read_session, write_session
from services import schema
from services.permissions import Actor
from tests.helpers import open_round

TABLES = {
    "alignment_tag",
    "digest_log",
    "digest_recipient",
    "sub_issue_alignment",
    "agency",
    "agenda_item",
    "directive",
    "directive_agency",
    "directive_answer",
    "evidence",
    "login_session",
    "review_event",
    "app_user",
    "assignment",
    "audit_log",
    "data_change",
    "data_version",
    "evaluation_level_band",
    "evaluation_score",
    "expected_progress",
    "main_issue",
    "meeting",
    "meeting_attendance",
    "minutes_correction",
    "plan",
    "progress_report",
    "reminder",
    "reporting_round",
    "round_event",
    "sub_issue",
    "working_group_member",
}


def _tables(engine):
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_empty_database_then_downgrade_and_upgrade_again(blank_engine):
    assert _tables(blank_engine) == set()
    schema.upgrade(blank_engine)
    assert _tables(blank_engine) == TABLES
    assert schema.current_revision(blank_engine) == schema.head_revision()
    schema.downgrade(blank_engine, "base")
    assert _tables(blank_engine) == set()
    schema.upgrade(blank_engine)
    assert _tables(blank_engine) == TABLES


def test_models_and_migrations_agree(blank_engine):
    """Autogenerate finds nothing to do: the models and the migration describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import models  # noqa: F401

    schema.upgrade(blank_engine)
    with blank_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET new_value = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_update_and_delete(demo_db, statement):
    with demo_db.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
    assert before > 0
    with pytest.raises(DBAPIError, match="append-only"), demo_db.begin() as conn:
        conn.exec_driver_sql(statement)
    with demo_db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() == before


def test_sqlite_connections_are_tuned(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tuned.db'}", busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    engine.dispose()


def test_prepare_seeds_demo_only_once_and_never_outside_demo_mode(tmp_path):
    from core.settings import load_settings

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    demo_settings = load_settings(env={"BCRYPT_ROUNDS": "4"}, secrets={})
    assert schema.prepare(engine, demo_settings) is True
    assert schema.prepare(engine, demo_settings) is False  # second start: data kept, nothing added
    real = make_engine(f"sqlite:///{tmp_path / 'real.db'}")
    assert schema.prepare(real, load_settings(env={"DEMO_MODE": "false"}, secrets={})) is False
    with real.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM app_user").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM plan").scalar() == 0
    engine.dispose()
    real.dispose()


def test_data_version_moves_with_every_committed_change_and_only_then(demo_db):
    from core.db import data_version, read_session, write_session
    from models import Agency
    from services.permissions import Actor

    with read_session(demo_db) as s:
        before = data_version(s)
    with write_session(demo_db, Actor.system("test")):
        pass  # nothing changed: no bump
    with read_session(demo_db) as s:
        assert data_version(s) == before
    with write_session(demo_db, Actor.system("test")) as s:
        agency = s.exec(sa.select(Agency).where(Agency.code == "BPS")).scalar_one()
        agency.sort_order += 10
    with read_session(demo_db) as s:
        assert data_version(s) == before + 1
    with pytest.raises(RuntimeError), write_session(demo_db, Actor.system("test")) as s:
        agency = s.get(Agency, agency.id)
        agency.sort_order += 10
        s.flush()
        raise RuntimeError("rolled back")
    with read_session(demo_db) as s:
        assert data_version(s) == before + 1  # a rolled-back change leaves the version alone


def test_login_bookkeeping_is_audited_but_leaves_the_data_version(demo_db):
    """A login writes last_login_at and failure counters (audited) but no cached read shows them,
    so it must not empty every cache; a change to the account itself still moves the version."""
    from core.db import data_version, read_session, write_session
    from models import AuditLog, User
    from services import users
    from services.permissions import Actor

    def login(password):
        with write_session(demo_db, Actor.system("login")) as s:
            return users.authenticate(session=s, username="viewer", password=password, bcrypt_rounds=4)

    with read_session(demo_db) as s:
        before = data_version(s)
        trail = s.exec(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one()
    assert login("bad-password").ok is False
    assert login("demo2563").ok is True
    with read_session(demo_db) as s:
        assert data_version(s) == before
        fields = set(
            s.exec(sa.select(AuditLog.field).where(AuditLog.entity == "app_user").order_by(AuditLog.id.desc()).limit(3)).scalars()
        )
        assert s.exec(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() > trail
    assert "last_login_at" in fields and "failed_login_count" in fields
    with write_session(demo_db, Actor.system("test")) as s:
        viewer = s.exec(sa.select(User).where(User.username == "viewer")).scalar_one()
        viewer.display_name = viewer.display_name + " (2)"
        viewer.last_login_at = None
    with read_session(demo_db) as s:
        assert data_version(s) == before + 1


def test_0005_moves_a_meetings_summary_and_resolution_into_item_4_and_back(blank_engine):
    """Meetings recorded before the meetings area keep what they said: the one-line summary and
    resolution become sub-item 4.1, and a downgrade puts them back."""
    schema.upgrade(blank_engine, "0004")
    with blank_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO plan (id, name_th, name_en, first_fiscal_year, last_fiscal_year, is_demo) "
            "VALUES (1, 'แผน', 'Plan', 2562, 2564, false)"
        )
        conn.exec_driver_sql(
            "INSERT INTO meeting (id, plan_id, number, year_be, held_on, venue, chair_title, summary, resolution) "
            "VALUES (1, 1, 3, 2563, '2020-06-26', 'ห้อง', 'ประธาน', 'สรุปผล', 'ที่ประชุมรับทราบ')"
        )
    schema.upgrade(blank_engine)
    with blank_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT section, position, body, resolution_kind, resolution FROM agenda_item WHERE meeting_id = 1"
        ).all()
        state = conn.exec_driver_sql("SELECT minutes_state, version FROM meeting WHERE id = 1").one()
    assert [tuple(r) for r in rows] == [(4, 1, "สรุปผล", "other", "ที่ประชุมรับทราบ")]
    assert tuple(state) == ("draft", 1)
    schema.downgrade(blank_engine, "0004")
    with blank_engine.connect() as conn:
        back = conn.exec_driver_sql("SELECT summary, resolution FROM meeting WHERE id = 1").one()
    assert tuple(back) == ("สรุปผล", "ที่ประชุมรับทราบ")


def test_a_database_holding_data_migrates_down_and_up_keeping_every_row(demo_db):
    """Batch mode on SQLite rebuilds tables that other rows refer to (0007 changes app_user):
    migrations run on a connection without foreign_keys=ON and check every key before commit."""

    def counts() -> dict[str, int]:
        with demo_db.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in sorted(TABLES)}

    # dropped by their downgrades: 0007's tables, and 0009's record of what each version changed
    new_in_0007 = {"alignment_tag", "sub_issue_alignment", "digest_recipient", "digest_log", "data_change"}
    before = {t: n for t, n in counts().items() if t not in new_in_0007}
    assert before["app_user"] > 0 and before["progress_report"] > 0
    schema.downgrade(demo_db, "0006")
    assert schema.current_revision(demo_db) == "0006"
    schema.upgrade(demo_db)
    assert schema.current_revision(demo_db) == schema.head_revision()
    assert {t: n for t, n in counts().items() if t not in new_in_0007} == before
    if demo_db.dialect.name == "sqlite":
        with demo_db.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # the app's connections keep checking


def test_0008_adds_english_short_names_and_units_and_takes_them_back(demo_db):
    """Existing rows get the empty English name (the Thai is shown); the downgrade drops the
    columns and keeps every agency and assignment."""

    def columns(table: str) -> set[str]:
        return {c["name"] for c in sa.inspect(demo_db).get_columns(table)}

    def counts() -> tuple[int, int]:
        with demo_db.connect() as conn:
            return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in ("agency", "assignment"))

    before = counts()
    with demo_db.connect() as conn:
        assert conn.exec_driver_sql("SELECT short_name_en FROM agency WHERE code = 'ICT'").scalar() == "ICT Center"
        assert conn.exec_driver_sql("SELECT count(*) FROM assignment WHERE unit_en = 'percent'").scalar() > 0
    schema.downgrade(demo_db, "0007")
    assert "short_name_en" not in columns("agency") and "unit_en" not in columns("assignment")
    assert counts() == before
    schema.upgrade(demo_db)
    assert {"short_name_en"} <= columns("agency") and {"unit_en"} <= columns("assignment")
    assert counts() == before
    with demo_db.connect() as conn:
        assert {r[0] for r in conn.exec_driver_sql("SELECT short_name_en FROM agency")} == {""}
        assert {r[0] for r in conn.exec_driver_sql("SELECT unit_en FROM assignment")} == {""}
        conn.exec_driver_sql(
            "INSERT INTO agency (code, name_th, short_name_th, name_en, sort_order, active) "
            "VALUES ('NEW08', 'ใหม่', 'ใหม่', '', 99, true)"
        )  # the server default fills it
        assert conn.exec_driver_sql("SELECT short_name_en FROM agency WHERE code = 'NEW08'").scalar() == ""
        conn.rollback()


def test_every_write_records_what_it_changed_beside_its_version(demo_db):
    """0009: a data_change row per data version (core.db.bump_data_version), which the caches
    read to refresh a round's grid for the agencies a save wrote."""
    from core.db import data_versions
    from models import DataChange, Meeting

    with read_session(demo_db) as s:
        before, plan_before = data_versions(s)
    with write_session(demo_db, Actor.system("secretariat")) as s:
        s.exec(select(Meeting)).first().venue = "ห้องประชุม 1"
    with write_session(demo_db, Actor.system("secretariat")) as s:
        s.exec(select(Meeting)).first().venue = "ห้องประชุม 2"
    with read_session(demo_db) as s:
        rows = s.exec(select(DataChange).where(DataChange.version > before).order_by(DataChange.version)).all()
    assert [(r.version, r.everything, r.cells) for r in rows] == [(before + 1, False, "[]"), (before + 2, False, "[]")]
    with read_session(demo_db) as s:
        assert data_versions(s) == (before + 2, before + 2)  # not a report: the plan version follows
    assert plan_before <= before


def test_0010_reads_a_rounds_reports_from_the_index_alone_and_takes_it_back(demo_db):
    """0010: the overview's history (services.overview.history) reads a plan's reports and their
    figures from (round_id, assignment_id, progress_pct) without visiting the table (SQLite says
    COVERING INDEX); its downgrade restores the plain round_id index."""

    def indexes() -> set[str]:
        return {ix["name"] for ix in sa.inspect(demo_db).get_indexes("progress_report")}

    assert "ix_progress_report_round_progress" in indexes() and "ix_progress_report_round_id" not in indexes()
    if demo_db.dialect.name == "sqlite":
        with demo_db.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT round_id, assignment_id, CAST(progress_pct AS FLOAT) FROM progress_report WHERE round_id IN (1, 2)"
            ).all()
        assert any("COVERING INDEX ix_progress_report_round_progress" in row[-1] for row in plan), plan
    schema.downgrade(demo_db, "0009")
    assert "ix_progress_report_round_id" in indexes() and "ix_progress_report_round_progress" not in indexes()
    schema.upgrade(demo_db)
    assert "ix_progress_report_round_progress" in indexes()


def test_0011_finds_a_rounds_highlights_from_its_notable_reports_and_takes_it_back(demo_db):
    """0011: the highlights' statement (services.overview.highlights) starts from the partial index
    over notable reports instead of looking up the report of every assignment; its downgrade
    drops the index."""
    from services import overview

    def indexes() -> set[str]:
        return {ix["name"] for ix in sa.inspect(demo_db).get_indexes("progress_report")}

    rnd = open_round(demo_db)
    statement = overview._highlights_statement().params(round_id=rnd.id, plan_id=rnd.plan_id)
    sql = str(statement.compile(dialect=demo_db.dialect, compile_kwargs={"literal_binds": True}))
    assert "ix_progress_report_notable" in indexes()
    with demo_db.connect() as conn:
        if demo_db.dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all())
        else:  # the demo is small enough for a scan: forbid one to see that the predicate matches
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}").all())
        assert "ix_progress_report_notable" in plan, plan
    schema.downgrade(demo_db, "0010")
    assert "ix_progress_report_notable" not in indexes()
    schema.upgrade(demo_db)
    assert "ix_progress_report_notable" in indexes()
