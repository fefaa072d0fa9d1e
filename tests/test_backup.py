"""Backup and restore: the demo database with evidence files backed up and restored into a fresh
SQLite file and into an empty PostgreSQL database (and PostgreSQL into SQLite), every table
compared row for row and every evidence file byte for byte; an older archive migrated forward;
every refusal names its reason and leaves the target as it was; `cli.py backup` and `restore`."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from core.db import make_engine, read_session, write_session
from core.i18n import catalog
from services import backup, evidence, schema, users
from services.permissions import Actor, PermissionDenied
from tests.conftest import sqlite_copy
from tests.helpers import actor, open_round, report
from tests.test_evidence import make_image, make_pdf

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
OPERATOR = Actor.system("test:backup")
NOT_COMPARED = {"alembic_version", "data_version", "data_change"}  # Alembic's own; the caches' bookkeeping (see services.backup)
OUR_ROWS = ("backup", "restore")  # the audit rows a backup and a restore add


# ---------------------------------------------------------------- helpers
def add_evidence(engine, store: Path) -> dict[str, bytes]:
    """Two files through the evidence service (one then hidden: its row and file are kept)."""
    rep = report(engine, "BPS", "2.4", open_round(engine).id)  # returned: the focal point may add files
    who = actor(engine, "focal_bps")
    files = {}
    for name, data in (("หลักฐาน รอบ 12.pdf", make_pdf("Backup evidence")), ("ภาพกิจกรรม.png", make_image("PNG"))):
        with write_session(engine, who) as s:
            ev = evidence.add_file(
                session=s, actor=who, report_id=rep.id, filename=name, data=data, evidence_dir=store, max_bytes=20 * MB
            )
        files[ev.stored_name] = data
    with write_session(engine, who) as s:
        evidence.remove(session=s, actor=who, evidence_id=ev.id)
    return files


def downgrade_with_data(engine, revision: str) -> None:
    """Make an old database: Alembic's batch mode rebuilds SQLite tables to drop a column, which
    the app's connections refuse while other tables' rows refer to them (foreign_keys=ON)."""
    if engine.dialect.name != "sqlite":
        schema.downgrade(engine, revision)
        return
    plain = sa.create_engine(engine.url)
    schema.downgrade(plain, revision)
    plain.dispose()


def upgrade_with_data(engine) -> None:
    """The same upgrade as the restore runs (see downgrade_with_data; services.backup)."""
    plain = sa.create_engine(engine.url) if engine.dialect.name == "sqlite" else engine
    schema.upgrade(plain)
    if plain is not engine:
        plain.dispose()


def table_rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the app, through the models' types (UTC datetimes, Decimals,
    enums), in primary-key order; the audit rows of the backup and restore themselves left out."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            query = sa.select(table).order_by(*(list(table.primary_key.columns) or list(table.columns)))
            if table.name == "audit_log":
                query = query.where(table.c.action.not_in(OUR_ROWS))
            out[table.name] = [tuple(row) for row in conn.execute(query)]
    return out


def state(engine, store: Path) -> tuple:
    """What a refused restore must leave alone: revision, tables with their row counts, files."""
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        names = sorted(sa.inspect(conn).get_table_names())
        counts = {n: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}
    files = sorted((p.name, p.read_bytes()) for p in store.iterdir()) if store.exists() else []
    return revision, counts, files


def audit_rows(engine, action: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT username, entity, field, new_value FROM audit_log WHERE action = :a"), {"a": action}
        ).all()


def assert_same(source, target, source_files: dict[str, bytes], target_store: Path) -> None:
    expected, got = table_rows(source), table_rows(target)
    with target.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names()) - NOT_COMPARED
    assert tables == set(got), "every table of the database is compared"
    assert sum(len(rows) for rows in expected.values()) > 7000  # the demo data set, its history included
    for name in expected:
        assert got[name] == expected[name], f"table {name} differs"
    assert sorted(p.name for p in target_store.iterdir()) == sorted(source_files)
    for stored_name, data in source_files.items():
        assert (target_store / stored_name).read_bytes() == data


@pytest.fixture
def target(blank_engine):
    """The database a restore goes into: brand-new, no tables (tests/conftest.py's blank_engine)."""
    return blank_engine


@pytest.fixture
def blank(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory, sqlite_templates) -> tuple[Path, dict[str, bytes]]:
    """One backup of the demo SQLite database with two evidence files (for the refusals)."""
    root = tmp_path_factory.mktemp("archive")
    engine = make_engine(f"sqlite:///{sqlite_copy(sqlite_templates, 'demo', root)}")
    files = add_evidence(engine, root / "evidence")
    path = root / "demo.zip"
    backup.create_backup(engine, OPERATOR, evidence_dir=root / "evidence", out=path)
    engine.dispose()
    return path, files


# ---------------------------------------------------------------- round trips
def test_the_demo_database_restores_row_for_row_and_file_for_file(demo_db, target, tmp_path):
    files = add_evidence(demo_db, tmp_path / "evidence")
    steps = []
    archive = tmp_path / "backup.zip"
    made = backup.create_backup(
        demo_db, OPERATOR, evidence_dir=tmp_path / "evidence", out=archive, progress=lambda *a: steps.append(a)
    )
    m = made.manifest
    assert (m["format"], m["app"], m["dialect"], m["demo"]) == (
        "reform-dashboard-backup",
        "reform-dashboard",
        demo_db.dialect.name,
        True,
    )
    assert m["alembic_revision"] == schema.head_revision() and m["app_version"] == backup.app_version()
    assert {t["name"]: t["rows"] for t in m["tables"]}["progress_report"] == 321
    assert m["evidence"] == {"files": 2, "missing": []}
    with zipfile.ZipFile(archive) as zf:
        assert set(zf.namelist()) == set(m["members"]) | {"manifest.json"}
        assert {f"evidence/{name}" for name in files} <= set(zf.namelist())
    assert steps[-1][0] == steps[-1][1] and [s[0] for s in steps] == sorted(s[0] for s in steps)
    assert made.file_name.startswith("reform-backup-25") and made.file_name.endswith(".zip")  # a BE year

    done = backup.restore_backup(target, OPERATOR, archive=archive, evidence_dir=tmp_path / "restored-evidence")
    assert (done.files, done.migrated_from) == (2, None)
    assert schema.current_revision(target) == schema.head_revision()
    assert_same(demo_db, target, files, tmp_path / "restored-evidence")
    assert len(audit_rows(demo_db, "backup")) == 1 and len(audit_rows(target, "restore")) == 1


def test_a_restored_database_keeps_working_new_ids_follow_the_restored_ones(db, demo_archive, tmp_path):
    """Into a migrated, never-used database (the schema is kept); PostgreSQL's sequences moved on."""
    archive, files = demo_archive
    backup.restore_backup(db, OPERATOR, archive=archive, evidence_dir=tmp_path / "ev")
    with write_session(db, OPERATOR) as s:
        user = users.create_user(
            session=s, actor=None, username="after_restore", display_name="หลังกู้คืน", role="viewer", password="long-enough-1"
        )
    assert user.id == 13  # the demo has 12 accounts
    with read_session(db) as s:
        assert users.get_by_username(session=s, username="admin").role == "admin"
    assert sorted(p.name for p in (tmp_path / "ev").iterdir()) == sorted(files)


def test_an_older_archive_is_migrated_forward(target, sqlite_templates, tmp_path):
    """A database at revision 0006 is backed up; the restore loads it at 0006 and upgrades to head,
    which gives exactly what upgrading the source itself gives."""
    source = make_engine(f"sqlite:///{sqlite_copy(sqlite_templates, 'demo', tmp_path)}")
    files = add_evidence(source, tmp_path / "evidence")
    downgrade_with_data(source, "0006")
    archive = tmp_path / "old.zip"
    assert (
        backup.create_backup(source, OPERATOR, evidence_dir=tmp_path / "evidence", out=archive).manifest["alembic_revision"]
        == "0006"
    )
    summary = backup.inspect_backup(archive)
    assert summary.needs_migration and (summary.revision, summary.head) == ("0006", schema.head_revision())

    done = backup.restore_backup(target, OPERATOR, archive=archive, evidence_dir=tmp_path / "restored")
    assert done.migrated_from == "0006" and schema.current_revision(target) == schema.head_revision()
    upgrade_with_data(source)
    assert_same(source, target, files, tmp_path / "restored")
    source.dispose()


def test_an_older_archive_goes_into_a_migrated_empty_database_too(db, sqlite_templates, tmp_path):
    source = make_engine(f"sqlite:///{sqlite_copy(sqlite_templates, 'demo', tmp_path)}")
    downgrade_with_data(source, "0006")
    backup.create_backup(source, OPERATOR, evidence_dir=tmp_path / "none", out=tmp_path / "old.zip")
    done = backup.restore_backup(db, OPERATOR, archive=tmp_path / "old.zip", evidence_dir=tmp_path / "ev")
    assert done.migrated_from == "0006" and schema.current_revision(db) == schema.head_revision()
    upgrade_with_data(source)
    assert table_rows(db) == table_rows(source)
    source.dispose()


# ---------------------------------------------------------------- refusals: the reason, and nothing changed
def _rewrite(src: Path, dst: Path, *, drop=(), replace=None, add=None, manifest=None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = (replace or {}).get(info.filename) or zin.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                data = manifest(json.loads(data))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def _first_table_member(src: Path, table: str = "plan") -> str:
    with zipfile.ZipFile(src) as zf:
        return next(n for n in zf.namelist() if n.endswith(f"_{table}.jsonl"))


def _same_length_edit(src: Path, dst: Path) -> Path:
    member = _first_table_member(src)
    with zipfile.ZipFile(src) as zf:
        data = zf.read(member)
    return _rewrite(src, dst, replace={member: data.replace(b"2562", b"2563", 1)})


def _flip_stored_byte(src: Path, dst: Path) -> Path:
    """One byte of a member's compressed data changed in place (the zip's CRC no longer holds)."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(_first_table_member(src, "audit_log"))
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    raw[at] ^= 0xFF
    dst.write_bytes(bytes(raw))
    return dst


def _manifest_edit(change):
    def edit(m):
        change(m)
        return json.dumps(m).encode()

    return edit


def _evidence_member(src: Path) -> str:
    with zipfile.ZipFile(src) as zf:
        return next(n for n in zf.namelist() if n.startswith("evidence/"))


DAMAGED = {
    "not a zip file": (lambda src, dst: (dst.write_bytes(make_pdf()), dst)[1], "error.backup.not_archive"),
    "truncated": (
        lambda src, dst: (dst.write_bytes(src.read_bytes()[: src.stat().st_size * 2 // 3]), dst)[1],
        "error.backup.not_archive",
    ),
    "empty file": (lambda src, dst: (dst.write_bytes(b""), dst)[1], "error.backup.not_archive"),
    "no manifest": (lambda src, dst: _rewrite(src, dst, drop={"manifest.json"}), "error.backup.no_manifest"),
    "foreign manifest": (
        lambda src, dst: _rewrite(src, dst, manifest=_manifest_edit(lambda m: m.update(format="someone-elses-backup"))),
        "error.backup.foreign",
    ),
    "manifest not JSON": (lambda src, dst: _rewrite(src, dst, manifest=lambda m: b"{not json"), "error.backup.foreign"),
    "a member changed, same size": (_same_length_edit, "error.backup.checksum"),
    "a byte of the zip flipped": (_flip_stored_byte, "error.backup.damaged"),
    "a member missing": (lambda src, dst: _rewrite(src, dst, drop={_evidence_member(src)}), "error.backup.member_missing"),
    "a member added": (
        lambda src, dst: _rewrite(src, dst, add={"evidence/../../evil.sh": b"#!/bin/sh\n"}),
        "error.backup.member_extra",
    ),
    "newer revision": (
        lambda src, dst: _rewrite(src, dst, manifest=_manifest_edit(lambda m: m.update(alembic_revision="0099"))),
        "error.backup.revision_newer",
    ),
    "newer format": (
        lambda src, dst: _rewrite(src, dst, manifest=_manifest_edit(lambda m: m.update(format_version=2))),
        "error.backup.format_newer",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(case, demo_archive, blank, tmp_path):
    make, key = DAMAGED[case]
    bad = make(demo_archive[0], tmp_path / "bad.zip")
    store = tmp_path / "evidence"
    before = state(blank, store)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(blank, OPERATOR, archive=bad, evidence_dir=store)
    assert refused.value.message_key == key and key in catalog()
    assert state(blank, store) == before == (None, {}, [])
    assert not list(tmp_path.glob(".evidence-restore-*"))
    if key not in ("error.backup.revision_newer",):
        with pytest.raises(backup.BackupError):
            backup.inspect_backup(bad)


def test_a_database_holding_data_is_refused_and_unchanged(demo_db, demo_archive, tmp_path):
    store = tmp_path / "evidence"
    before = state(demo_db, store)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(demo_db, OPERATOR, archive=demo_archive[0], evidence_dir=store)
    assert refused.value.message_key == "error.backup.target_not_empty"
    assert refused.value.params["tables"] > 20
    assert state(demo_db, store) == before


def test_one_row_anywhere_makes_a_database_not_empty(db, demo_archive, tmp_path):
    with write_session(db, OPERATOR) as s:
        users.create_user(session=s, actor=None, username="someone", display_name="ผู้ใช้", role="viewer", password="long-enough-1")
    before = state(db, tmp_path / "ev")
    with pytest.raises(backup.BackupError, match="target_not_empty"):
        backup.restore_backup(db, OPERATOR, archive=demo_archive[0], evidence_dir=tmp_path / "ev")
    assert state(db, tmp_path / "ev") == before


def test_evidence_files_already_in_the_folder_are_refused(demo_archive, blank, tmp_path):
    archive, files = demo_archive
    store = tmp_path / "evidence"
    store.mkdir()
    clash = sorted(files)[0]
    (store / clash).write_bytes(b"someone else's file")
    before = state(blank, store)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(blank, OPERATOR, archive=archive, evidence_dir=store)
    assert refused.value.message_key == "error.backup.evidence_conflict" and refused.value.params["name"] == clash
    assert state(blank, store) == before


def test_demo_data_is_never_restored_into_a_real_deployment(demo_archive, blank, tmp_path):
    with pytest.raises(backup.BackupError, match="demo_into_real"):
        backup.restore_backup(blank, OPERATOR, archive=demo_archive[0], evidence_dir=tmp_path / "ev", demo_allowed=False)
    assert state(blank, tmp_path / "ev") == (None, {}, [])


def test_data_the_schema_refuses_rolls_everything_back(demo_archive, blank, tmp_path):
    """A well-formed archive whose rows break a constraint (checksums recomputed, as a hand-made
    archive would): the transaction rolls back, the moved files go, the schema is undone."""
    src = demo_archive[0]
    member = _first_table_member(src, "sub_issue")
    with zipfile.ZipFile(src) as zf:
        lines = zf.read(member).splitlines(keepends=True)
    broken = b"".join([lines[0], lines[0], *lines[1:]])  # a duplicate primary key
    manifest_edit = _manifest_edit(
        lambda m: m["members"][member].update(bytes=len(broken), sha256=__import__("hashlib").sha256(broken).hexdigest())
    )
    bad = _rewrite(src, tmp_path / "bad.zip", replace={member: broken}, manifest=manifest_edit)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(blank, OPERATOR, archive=bad, evidence_dir=tmp_path / "ev")
    assert refused.value.message_key == "error.backup.bad_data"
    revision, counts, files = state(blank, tmp_path / "ev")
    assert revision is None and files == [] and not any(counts.values())


def test_only_an_admin_or_the_shell_operator_backs_up_and_restores(demo_db, demo_archive, tmp_path):
    for username in ("secretariat", "chair", "focal_bps"):
        with pytest.raises(PermissionDenied):
            backup.create_backup(demo_db, actor(demo_db, username), evidence_dir=tmp_path, out=tmp_path / "x.zip")
        with pytest.raises(PermissionDenied):
            backup.restore_backup(demo_db, actor(demo_db, username), archive=demo_archive[0], evidence_dir=tmp_path / "ev")
    admin = actor(demo_db, "admin")
    backup.create_backup(demo_db, admin, evidence_dir=tmp_path, out=tmp_path / "ok.zip")
    (recorded,) = audit_rows(demo_db, "backup")
    assert recorded[:3] == ("admin", "database", "archive") and "rows" in recorded[3]


# ---------------------------------------------------------------- the command line
def _cli(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY")}
    env.update({"BCRYPT_ROUNDS": "4"} | env_extra)
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_cli_backup_then_restore_on_a_fresh_server(demo_sqlite_path, tmp_path):
    source_env = {"SQLITE_PATH": str(demo_sqlite_path), "EVIDENCE_DIR": str(tmp_path / "ev")}
    source = make_engine(f"sqlite:///{demo_sqlite_path}")
    files = add_evidence(source, tmp_path / "ev")
    out = tmp_path / "reform-backup.zip"
    made = _cli("backup", "--out", str(out), env_extra=source_env)
    assert made.returncode == 0, made.stderr
    assert "backup written to" in made.stdout and "2 evidence files" in made.stdout and "(demo data)" in made.stdout
    again = _cli("backup", "--out", str(out), env_extra=source_env)
    assert again.returncode == 1 and "exists already" in again.stderr

    fresh_env = {"SQLITE_PATH": str(tmp_path / "new" / "reform.db"), "EVIDENCE_DIR": str(tmp_path / "new" / "evidence")}
    done = _cli("restore", str(out), env_extra=fresh_env)
    assert done.returncode == 0, done.stderr
    assert f"database at revision {schema.head_revision()}" in done.stdout
    target = make_engine(f"sqlite:///{tmp_path / 'new' / 'reform.db'}")
    assert_same(source, target, files, tmp_path / "new" / "evidence")

    twice = _cli("restore", str(out), env_extra=fresh_env)
    assert twice.returncode == 1 and twice.stderr.startswith("restore: refused: กู้คืนได้เฉพาะฐานข้อมูลที่ว่างเปล่า")
    assert "(error.backup.target_not_empty)" in twice.stderr and len(twice.stderr.splitlines()) == 1
    source.dispose()
    target.dispose()


def test_cli_refusals_are_one_thai_line(demo_archive, tmp_path):
    real = {
        "SQLITE_PATH": str(tmp_path / "real.db"),
        "DEMO_MODE": "false",
        "COOKIE_KEY": "r" * 48,
        "EVIDENCE_DIR": str(tmp_path / "ev"),
    }
    demo_into_real = _cli("restore", str(demo_archive[0]), env_extra=real)
    assert demo_into_real.returncode == 1 and "(error.backup.demo_into_real)" in demo_into_real.stderr
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    refused = _cli("restore", str(junk), env_extra=real)
    assert refused.returncode == 1 and "ไม่ใช่ไฟล์สำรองข้อมูล" in refused.stderr and "Traceback" not in refused.stderr
    missing = _cli("restore", str(tmp_path / "nowhere.zip"), env_extra=real)
    assert missing.returncode == 1 and "(error.backup.no_file)" in missing.stderr
    assert _cli("restore", env_extra=real).returncode == 2
    assert _cli("backup", env_extra=real).returncode == 2  # --out is required
    assert not (tmp_path / "ev").exists() or not list((tmp_path / "ev").iterdir())
    shutil.rmtree(tmp_path / "ev", ignore_errors=True)
