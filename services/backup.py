"""Backup and restore: the whole database and every evidence file in one zip archive.

An archive (`reform-backup-<BE date>.zip`) holds

- `tables/NN_<table>.jsonl`: every row of every table of the app, one JSON object a line, the
  tables in foreign-key order (a parent before its children), each table's rows in primary-key
  order. Values keep their type through the column types the manifest records: datetimes as ISO
  8601 in UTC (the app stores UTC), dates ISO, Decimals as strings (no float rounding), bytes as
  base64, enums by their stored value, booleans, integers and text as JSON has them;
- `evidence/<stored name>`: every evidence file the `evidence` table names (kind "file",
  removed ones too: their rows are kept, so are their files), under the generated name it is
  stored under in EVIDENCE_DIR;
- `manifest.json`: the archive's format and version, the app and its version, the Alembic
  revision of the database, the dialect it came from, when and by whom it was made, whether the
  database holds the demo data set (`plan.is_demo`), per-table row counts and column types,
  evidence files listed but missing on disk, and the size and SHA-256 of every other member.

Why the app's own portable dump, not `pg_dump` or SQLite's online backup API: a deployment moves
between the two databases (a demo or pilot on SQLite, the ministry on PostgreSQL; a copy of the
production data on a laptop), and one archive format restores into either. `pg_dump` output
needs the same PostgreSQL major version or newer and restores only into PostgreSQL; a SQLite file
only into SQLite. The dump reads the tables as they are in the database (reflected, not from the
code's models), so it is correct at whatever revision the database is, and a restore can load an
older archive at its own revision and migrate it forward with the app's own Alembic migrations.
The dump is read in one snapshot (REPEATABLE READ on PostgreSQL; one read transaction on SQLite
in WAL mode), so it is consistent while the app keeps running.

Not in the archive: `alembic_version` (the manifest records the revision), `data_version` (a
counter of write transactions for the caches, not data: a restore moves the target's on) and
`data_change` (what each of those versions changed, for the caches: a restored database has no
record of the version its restore made, so every cache computes afresh).

Restore (`restore_backup`) goes into an empty database only: no row in any of the app's tables
(a migrated, never-used database, or one with no tables at all). So a restore never mixes two
data sets, demo and real or two deployments. Before anything is changed it checks, and refuses
with the reason (`BackupError`, a catalog key): that the file is a zip archive with a manifest
of this app; that the members are exactly those the manifest lists, each of its size and
checksum; that the archive's revision is one this code knows (not newer than its head); that
the target is empty and at a revision this code knows; that no evidence file of the archive
already exists in EVIDENCE_DIR; and, where the caller forbids it, that it holds no demo data.
Then:

1. the target's schema is brought to the archive's revision (an empty database: upgraded from
   nothing, or downgraded from head; no data is touched, there is none);
2. the evidence files are unpacked into a temporary folder beside EVIDENCE_DIR (checked again);
3. every row is inserted in one transaction with its original id (self-references second, so
   row order never matters), PostgreSQL's sequences are moved past the largest id, the restore
   is recorded in the audit trail, the evidence files are moved into EVIDENCE_DIR and the
   transaction commits. If anything fails, the transaction rolls back, the moved files are
   removed again and the schema goes back to the revision it was at: the target is as before;
4. an archive older than the code is migrated forward to head by Alembic, as the app upgrades
   any older database.

Backups and restores are the administrator's (`permissions.require_admin`) or a shell
operator's (`cli.py backup` / `cli.py restore`, a system actor), and each is recorded in the
audit trail: a backup as one `audit_log` row in the source, a restore as one in the target
(the only row of the restored trail that is not in the archive).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any, BinaryIO

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from core import thaidate
from core.db import write_session
from core.settings import PROJECT_ROOT
from models.audit import AuditLog
from services import schema
from services.errors import UserFacingError
from services.permissions import Actor, require_admin

ARCHIVE_FORMAT = "reform-dashboard-backup"
FORMAT_VERSION = 1
APP_NAME = "reform-dashboard"
MANIFEST = "manifest.json"
TABLES_PREFIX = "tables/"
EVIDENCE_PREFIX = "evidence/"
NOT_DUMPED = frozenset({"alembic_version", "data_version", "data_change"})
# a stored evidence name as services.evidence.add_file makes it; nothing else is unpacked
EVIDENCE_NAME = re.compile(r"[0-9a-f]{32}\.[a-z]{2,5}")
TABLE_MEMBER = re.compile(r"tables/[0-9]{2,3}_[a-z_][a-z0-9_]{0,62}\.jsonl")
BATCH_ROWS = 1000
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 10 * 1024 * 1024

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being done)


class BackupError(UserFacingError):
    """A refused backup or restore; nothing was changed."""


@dataclass(frozen=True)
class BackupResult:
    file_name: str
    size_bytes: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    rows: int
    files: int
    migrated_from: str | None  # the archive's revision when it was migrated forward, else None


@dataclass(frozen=True)
class ArchiveSummary:
    """What a checked archive holds, for a page to show before a restore."""

    manifest: dict[str, Any]
    revision: str
    head: str
    created_at: datetime
    demo: bool
    table_rows: dict[str, int] = field(default_factory=dict)
    evidence_files: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.table_rows.values())

    @property
    def needs_migration(self) -> bool:
        return self.revision != self.head


# ----------------------------------------------------------------------------- who may
def require_operator(actor: Actor) -> None:
    """An administrator, or a system job (the shell operator of `cli.py`, who holds the
    database's credentials anyway). Everyone else is refused."""
    if actor.role is None and actor.user_id is None:
        return
    require_admin(actor)


# ----------------------------------------------------------------------------- small parts
def app_version() -> str:
    try:
        with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _revisions() -> list[str]:
    """The code's revisions, oldest first (the history is linear)."""
    script = ScriptDirectory.from_config(Config(str(schema.ALEMBIC_INI)))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def backup_file_name(now: datetime | None = None) -> str:
    """reform-backup-<BE date>-<time>.zip, in Bangkok time, e.g. reform-backup-2569-12-02-1430.zip."""
    local = (now or datetime.now(UTC)).astimezone(thaidate.LOCAL_TZ)
    return f"reform-backup-{thaidate.to_be(local.year)}-{local:%m-%d-%H%M}.zip"


def _kind(column: sa.Column) -> str:
    """The portable type of a reflected column."""
    try:
        py = column.type.python_type
    except NotImplementedError:
        return "str"
    if issubclass(py, bool):
        return "bool"
    if issubclass(py, datetime):
        return "datetime"
    if issubclass(py, date):
        return "date"
    if issubclass(py, time):
        return "time"
    if issubclass(py, Decimal):
        return "decimal"
    if issubclass(py, int):
        return "int"
    if issubclass(py, float):
        return "float"
    if issubclass(py, (bytes, bytearray, memoryview)):
        return "bytes"
    if issubclass(py, (dict, list)):
        return "json"
    return "str"


def _encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if kind == "datetime" and isinstance(value, datetime):
        # the app stores UTC: SQLite returns it without an offset, PostgreSQL in its session's zone
        return (value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)).isoformat()
    if kind in ("date", "time") and isinstance(value, (date, time)):
        return value.isoformat()
    if kind == "decimal" or isinstance(value, Decimal):
        return str(value)
    if kind == "bytes" or isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.utcoffset() is None else parsed.astimezone(UTC)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"not a boolean: {value!r}")
        return value
    return value


class _HashingWriter:
    """A write-only stream that counts and hashes what passes through it."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent read of the whole database."""
    conn = engine.connect()
    try:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn
    finally:
        conn.close()


def _app_tables(conn: Connection) -> list[sa.Table]:
    """The database's tables in foreign-key order, as they are (reflected), without bookkeeping."""
    metadata = sa.MetaData()
    metadata.reflect(conn)
    return [t for t in metadata.sorted_tables if t.name not in NOT_DUMPED]


def _order(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns) or list(table.columns)


def _audit_row(conn_or_session: Any, actor: Actor, action: str, entity_id: str, text: str) -> None:
    conn_or_session.execute(
        sa.insert(AuditLog.__table__).values(
            at=datetime.now(UTC),
            user_id=actor.user_id,
            username=actor.username[:64],
            action=action,
            entity="database",
            entity_id=entity_id[:40],
            field="archive",
            old_value=None,
            new_value=text,
        )
    )


# ----------------------------------------------------------------------------- backup
def create_backup(
    engine: Engine,
    actor: Actor,
    *,
    evidence_dir: Path,
    out: BinaryIO | str | Path,
    progress: Progress | None = None,
) -> BackupResult:
    """Write one zip archive of every table and every evidence file to `out`; record it in the audit trail."""
    require_operator(actor)
    created = datetime.now(UTC)
    members: dict[str, dict[str, Any]] = {}
    tables_meta: list[dict[str, Any]] = []
    stored_names: set[str] = set()
    demo = False
    evidence_dir = Path(evidence_dir)

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf, _snapshot(engine) as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None:
            raise BackupError("error.backup.source_not_migrated")
        tables = _app_tables(conn)
        steps = len(tables) + 1
        for n, table in enumerate(tables, start=1):
            if progress:
                progress(n - 1, steps, table.name)
            kinds = {c.name: _kind(c) for c in table.columns}
            name = f"{TABLES_PREFIX}{n:02d}_{table.name}.jsonl"
            rows = 0
            with zf.open(name, "w", force_zip64=True) as raw:
                sink = _HashingWriter(raw)
                result = conn.execution_options(yield_per=BATCH_ROWS).execute(sa.select(table).order_by(*_order(table)))
                for row in result.mappings():
                    record = {col: _encode(row[col], kinds[col]) for col in kinds}
                    sink.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
                    rows += 1
                    if table.name == "plan" and record.get("is_demo"):
                        demo = True
                    if table.name == "evidence" and record.get("kind") == "file" and record.get("stored_name"):
                        stored_names.add(str(record["stored_name"]))
            members[name] = {"bytes": sink.size, "sha256": sink.sha.hexdigest()}
            tables_meta.append(
                {"name": table.name, "member": name, "rows": rows, "columns": [{"name": c, "type": k} for c, k in kinds.items()]}
            )
        dialect = engine.dialect.name

        if progress:
            progress(steps - 1, steps, "evidence")
        missing: list[str] = []
        for stored in sorted(stored_names):
            path = evidence_dir / stored
            if not EVIDENCE_NAME.fullmatch(stored) or not path.is_file():
                missing.append(stored)
                continue
            name = EVIDENCE_PREFIX + stored
            with path.open("rb") as src, zf.open(name, "w", force_zip64=True) as raw:
                sink = _HashingWriter(raw)
                while chunk := src.read(CHUNK):
                    sink.write(chunk)
            members[name] = {"bytes": sink.size, "sha256": sink.sha.hexdigest()}

        manifest = {
            "format": ARCHIVE_FORMAT,
            "format_version": FORMAT_VERSION,
            "app": APP_NAME,
            "app_version": app_version(),
            "alembic_revision": revision,
            "dialect": dialect,
            "created_at": created.isoformat(),
            "created_by": actor.username,
            "demo": demo,
            "tables": tables_meta,
            "evidence": {"files": len(stored_names) - len(missing), "missing": missing},
            "members": members,
        }
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    if progress:
        progress(steps, steps, "done")

    size = Path(out).stat().st_size if isinstance(out, (str, Path)) else _stream_size(out)
    rows = sum(t["rows"] for t in tables_meta)
    digest = hashlib.sha256(json.dumps(members, sort_keys=True).encode()).hexdigest()
    with write_session(engine, actor) as session:  # an audit row only: the data version stays
        _audit_row(
            session,
            actor,
            "backup",
            digest,
            f"{backup_file_name(created)}: revision {revision}, {rows} rows, {manifest['evidence']['files']} files",
        )
    return BackupResult(file_name=backup_file_name(created), size_bytes=size, manifest=manifest)


def _stream_size(out: BinaryIO) -> int:
    try:
        return out.tell()
    except (OSError, AttributeError):
        return 0


# ----------------------------------------------------------------------------- checking an archive
def _open_archive(archive: BinaryIO | str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise BackupError("error.backup.not_archive") from None
    except OSError as exc:
        if isinstance(archive, (str, Path)) and not Path(archive).exists():
            raise BackupError("error.backup.no_file", file=str(archive)) from None
        raise BackupError("error.backup.not_archive") from exc


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise BackupError("error.backup.no_manifest") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BackupError("error.backup.foreign")
    try:
        manifest = json.loads(zf.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise BackupError("error.backup.damaged", member=MANIFEST) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError("error.backup.foreign") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT or manifest.get("app") != APP_NAME:
        raise BackupError("error.backup.foreign")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise BackupError("error.backup.foreign")
    if version > FORMAT_VERSION:
        raise BackupError("error.backup.format_newer")
    try:
        _check_manifest_shape(manifest)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError("error.backup.foreign") from None
    return manifest


def _check_manifest_shape(manifest: dict[str, Any]) -> None:
    members = manifest["members"]
    if not isinstance(members, dict) or not isinstance(manifest["tables"], list):
        raise ValueError("members")
    for name, entry in members.items():
        is_table = TABLE_MEMBER.fullmatch(name)
        is_evidence = name.startswith(EVIDENCE_PREFIX) and EVIDENCE_NAME.fullmatch(name[len(EVIDENCE_PREFIX) :])
        if not (is_table or is_evidence):
            raise ValueError(name)
        if not isinstance(entry["bytes"], int) or not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise ValueError(name)
    for table in manifest["tables"]:
        if table["member"] not in members or not isinstance(table["rows"], int):
            raise ValueError(table["member"])
        if not all(isinstance(c["name"], str) and isinstance(c["type"], str) for c in table["columns"]):
            raise ValueError(table["member"])
    if not isinstance(manifest["alembic_revision"], str) or not isinstance(manifest["demo"], bool):
        raise ValueError("revision")
    datetime.fromisoformat(manifest["created_at"])


def _check_members(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    listed = manifest["members"]
    present = {i.filename: i for i in zf.infolist() if not i.is_dir() and i.filename != MANIFEST}
    for name in sorted(listed):
        if name not in present:
            raise BackupError("error.backup.member_missing", member=name)
    for name in sorted(present):
        if name not in listed:
            raise BackupError("error.backup.member_extra", member=name)
    for name, entry in listed.items():
        if present[name].file_size != entry["bytes"]:
            raise BackupError("error.backup.checksum", member=name)
        sha = hashlib.sha256()
        try:
            with zf.open(present[name]) as fh:
                while chunk := fh.read(CHUNK):
                    sha.update(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):  # a CRC error, a cut-off member
            raise BackupError("error.backup.damaged", member=name) from None
        if sha.hexdigest() != entry["sha256"]:
            raise BackupError("error.backup.checksum", member=name)


def _summary(manifest: dict[str, Any], head: str) -> ArchiveSummary:
    return ArchiveSummary(
        manifest=manifest,
        revision=manifest["alembic_revision"],
        head=head,
        created_at=datetime.fromisoformat(manifest["created_at"]),
        demo=manifest["demo"],
        table_rows={t["name"]: t["rows"] for t in manifest["tables"]},
        evidence_files=sum(1 for name in manifest["members"] if name.startswith(EVIDENCE_PREFIX)),
    )


def inspect_backup(archive: BinaryIO | str | Path) -> ArchiveSummary:
    """Check an archive completely (format, members, sizes, checksums, revision) and say what it
    holds; BackupError with the reason otherwise. Reads only."""
    with _open_archive(archive) as zf:
        return _inspect(zf)


def _inspect(zf: zipfile.ZipFile) -> ArchiveSummary:
    manifest = _read_manifest(zf)
    _check_members(zf, manifest)
    known = _revisions()
    if manifest["alembic_revision"] not in known:
        raise BackupError("error.backup.revision_newer", revision=manifest["alembic_revision"], head=known[-1])
    return _summary(manifest, known[-1])


# ----------------------------------------------------------------------------- restore
def _target_state(engine: Engine) -> tuple[str | None, list[tuple[str, int]]]:
    """The target's revision and the app tables holding rows (name, count)."""
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        metadata = sa.MetaData()
        metadata.reflect(conn)
        filled = []
        for table in metadata.sorted_tables:
            if table.name in NOT_DUMPED:
                continue
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            if count:
                filled.append((table.name, int(count)))
        has_tables = any(t not in NOT_DUMPED for t in metadata.tables)
    if revision is None and has_tables and not filled:
        raise BackupError("error.backup.target_unknown")
    return revision, filled


def _move_schema(engine: Engine, current: str | None, wanted: str | None, order: list[str]) -> None:
    """Upgrade or downgrade the schema from `current` to `wanted` (None: no tables); `wanted`
    "head" migrates restored data forward."""
    if current == wanted:
        return
    rank = {rev: i for i, rev in enumerate(order)}
    if wanted is None:
        schema.downgrade(engine, "base")
    elif current is None or rank[wanted] > rank[current]:
        schema.upgrade(engine, wanted)
    else:
        schema.downgrade(engine, wanted)


def _evidence_members(manifest: dict[str, Any]) -> list[str]:
    return sorted(name for name in manifest["members"] if name.startswith(EVIDENCE_PREFIX))


def _unpack_evidence(zf: zipfile.ZipFile, manifest: dict[str, Any], staging: Path) -> list[str]:
    names = []
    for member in _evidence_members(manifest):
        stored = member[len(EVIDENCE_PREFIX) :]
        sha = hashlib.sha256()
        with zf.open(member) as src, (staging / stored).open("wb") as dst:
            while chunk := src.read(CHUNK):
                sha.update(chunk)
                dst.write(chunk)
        if sha.hexdigest() != manifest["members"][member]["sha256"]:  # the archive changed since it was checked
            raise BackupError("error.backup.checksum", member=member)
        names.append(stored)
    return names


def _rows(zf: zipfile.ZipFile, member: str, kinds: dict[str, str], table: sa.Table) -> Iterator[dict[str, Any]]:
    columns = set(table.columns.keys())
    with zf.open(member) as fh:
        for line_no, line in enumerate(fh, start=1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or set(record) - columns:
                    raise ValueError("columns")
                yield {name: _decode(value, kinds.get(name, "str")) for name, value in record.items()}
            except (ValueError, TypeError) as exc:
                raise BackupError("error.backup.bad_data", table=table.name, detail=f"line {line_no}: {exc}") from None


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_table(session: Any, zf: zipfile.ZipFile, entry: dict[str, Any], table: sa.Table) -> int:
    """Insert a table's rows with their ids; columns that refer to the same table are set after
    every row is in, so the order of the rows never breaks a foreign key."""
    kinds = {c["name"]: c["type"] for c in entry["columns"]}
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    pk = [c.name for c in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    count = 0
    for batch in _batches(_rows(zf, entry["member"], kinds, table)):
        if self_refs:
            for row in batch:
                refs = {c: row.get(c) for c in self_refs if row.get(c) is not None}
                if refs:
                    later.append({**{f"pk_{c}": row[c] for c in pk}, **refs})
                    for c in refs:
                        row[c] = None
        session.execute(sa.insert(table), batch)
        count += len(batch)
    for refs in later:
        values = {c: v for c, v in refs.items() if not c.startswith("pk_")}
        where = [table.c[c] == refs[f"pk_{c}"] for c in pk]
        session.execute(sa.update(table).where(*where).values(**values))
    if count != entry["rows"]:
        raise BackupError("error.backup.bad_data", table=table.name, detail=f"{count} rows, manifest {entry['rows']}")
    return count


def _reset_sequences(session: Any, tables: Iterable[sa.Table]) -> None:
    """PostgreSQL: the next generated id follows the largest restored one."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or _kind(pk[0]) != "int":
            continue
        quoted, column = _quote(table.name), _quote(pk[0].name)
        seq = session.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quoted, "c": pk[0].name}).scalar()
        if seq:
            top = session.execute(sa.text(f"SELECT MAX({column}) FROM {quoted}")).scalar()
            session.execute(sa.text("SELECT setval(:s, :v, :called)"), {"s": seq, "v": top or 1, "called": top is not None})


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def restore_backup(
    engine: Engine,
    actor: Actor,
    *,
    archive: BinaryIO | str | Path,
    evidence_dir: Path,
    demo_allowed: bool = True,
    progress: Progress | None = None,
) -> RestoreResult:
    """Restore an archive into an empty database and an evidence folder without its files, or
    refuse with the reason (BackupError) and change nothing. See the module docstring."""
    require_operator(actor)
    evidence_dir = Path(evidence_dir)
    with _open_archive(archive) as zf:
        summary = _inspect(zf)
        manifest = summary.manifest
        if summary.demo and not demo_allowed:
            raise BackupError("error.backup.demo_into_real")
        order = _revisions()
        target_revision, filled = _target_state(engine)
        if target_revision is not None and target_revision not in order:
            raise BackupError("error.backup.target_newer", revision=target_revision, head=order[-1])
        if filled:
            name, count = filled[0]
            raise BackupError("error.backup.target_not_empty", table=name, rows=f"{count:,}", tables=len(filled))
        stored = [m[len(EVIDENCE_PREFIX) :] for m in _evidence_members(manifest)]
        clashes = [s for s in stored if (evidence_dir / s).exists()]
        if clashes:
            raise BackupError("error.backup.evidence_conflict", name=clashes[0], n=len(clashes))

        # ------------------------------------------------------------ from here on, changes
        archive_revision = summary.revision
        steps = len(manifest["tables"]) + 2
        if progress:
            progress(0, steps, "schema")
        _move_schema(engine, target_revision, archive_revision, order)
        evidence_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{evidence_dir.name}-restore-", dir=evidence_dir.parent))
        moved: list[Path] = []
        rows = 0
        try:
            if progress:
                progress(1, steps, "evidence")
            names = _unpack_evidence(zf, manifest, staging)
            with write_session(engine, actor) as session:
                conn = session.connection()
                reflected = sa.MetaData()
                reflected.reflect(conn)
                by_name = {t["name"]: t for t in manifest["tables"]}
                unknown = sorted(set(by_name) - set(reflected.tables))
                if unknown:
                    raise BackupError("error.backup.bad_data", table=unknown[0], detail="no such table at this revision")
                loaded = [t for t in reflected.sorted_tables if t.name in by_name]
                for n, table in enumerate(loaded, start=2):
                    if progress:
                        progress(n, steps, table.name)
                    rows += _load_table(session, zf, by_name[table.name], table)
                if engine.dialect.name == "postgresql":
                    _reset_sequences(session, loaded)
                if "data_version" in reflected.tables:  # caches keyed by the old version do not survive
                    dv = reflected.tables["data_version"]
                    session.execute(sa.update(dv).values(version=dv.c.version + 1))
                _audit_row(
                    session,
                    actor,
                    "restore",
                    hashlib.sha256(json.dumps(manifest["members"], sort_keys=True).encode()).hexdigest(),
                    f"{manifest['created_at']} ({manifest['dialect']}, revision {archive_revision}): "
                    f"{rows} rows, {len(names)} files",
                )
                evidence_dir.mkdir(parents=True, exist_ok=True)
                for stored_name in names:
                    target = evidence_dir / stored_name
                    (staging / stored_name).replace(target)
                    moved.append(target)
        except BaseException as exc:
            for path in moved:
                path.unlink(missing_ok=True)
            try:
                _move_schema(engine, archive_revision, target_revision, order)
            except Exception:  # the original error says more; the database is empty either way
                pass
            if isinstance(exc, SQLAlchemyError):
                detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
                raise BackupError("error.backup.bad_data", table="-", detail=detail) from exc
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    migrated_from = None
    if archive_revision != order[-1]:  # committed: the data is in, at its own revision
        _move_schema(engine, archive_revision, order[-1], order)
        migrated_from = archive_revision
    if progress:
        progress(steps, steps, "done")
    return RestoreResult(manifest=manifest, rows=rows, files=len(moved), migrated_from=migrated_from)
