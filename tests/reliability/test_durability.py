"""Durability: writers killed with SIGKILL in the middle of saving lose no acknowledged save.

Each kill run starts PROCESSES writer processes (`tests/reliability/writer.py`, THREADS threads
each, so saves contend for the same reports: the SQLite file lock across processes, row locks and
unique-key collisions on PostgreSQL) on a copy of the demo database, waits until every writer is
connected, lets them save for a random 0.3–1.5 s and kills them all with SIGKILL. A writer prints
`ACK …` only after its save's `write_session` committed, so every ACK read from its pipe is a save
the application acknowledged. A fresh connection then checks that

- every acknowledged save is there: its report is at that version or later; the audit trail holds
  its achievements text (once, for that report) and the report's `version` row of that version,
  written in the same transaction; no two acknowledged saves claim the same version of a report;
  where the acknowledged version is the stored one, the stored text and progress are that save's;
- the audit trail agrees with the table for every report: versions 1..stored, each once (no
  half-written save: no stored version without its audit row), and the last audited achievements
  and progress are the stored ones; no audit row names a report that does not exist;
- on SQLite, `PRAGMA integrity_check` is 'ok' and `PRAGMA foreign_key_check` finds nothing;
- the data version moved by at least the number of saves acknowledged in the run.

The next run starts on the same, just-crashed database, so recovery after a crash is exercised
RUNS_PER_DATABASE - 1 times per database. DURABILITY_SEED=<n> repeats a run's random choices
(kill delays, writer item choices); timing is never the same twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import make_engine, read_session
from models import AuditLog, DataVersion, ProgressReport
from tests import figures
from tests.conftest import BACKENDS, sqlite_copy
from tests.reliability.writer import save_text

DATABASES = 2  # fresh copies of the demo database per backend
RUNS_PER_DATABASE = 3  # kill runs on each copy: 6 per backend
PROCESSES = 2  # writer processes per run
THREADS = 2  # writer threads per process
RUN_FOR = (0.3, 1.5)  # seconds between "every writer connected" and the SIGKILL
READY_TIMEOUT = 90.0  # a loaded CI machine can be slow to start Python processes
REAP_TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- databases
@pytest.fixture(params=BACKENDS)
def fresh_demo(request: pytest.FixtureRequest, tmp_path: Path):
    """(backend, factory): the factory returns the URL of a fresh copy of the demo database."""
    if request.param == "sqlite":
        templates = request.getfixturevalue("sqlite_templates")

        def make() -> str:
            return f"sqlite:///{sqlite_copy(templates, 'demo', tmp_path)}"

    else:
        clone = request.getfixturevalue("pg_clone")  # pg_templates: missing_part when no server

        def make() -> str:
            return clone("demo").url.render_as_string(hide_password=False)

    return request.param, make


# ---------------------------------------------------------------- writer processes
@dataclass(frozen=True)
class Ack:
    run: int
    report_id: int
    version: int
    n: int
    writer: str
    pct: Decimal

    @property
    def text(self) -> str:
        return save_text(self.run, self.writer, self.n)

    def __str__(self) -> str:
        return f"run {self.run} {self.writer} save {self.n} (report {self.report_id} v{self.version})"


@dataclass
class Writer:
    proc: subprocess.Popen
    stderr_path: Path
    ready: threading.Event = field(default_factory=threading.Event)
    lines: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def start_writer(url: str, run: int, process: int, seed: int, tmp_path: Path) -> Writer:
    stderr_path = tmp_path / f"writer-run{run}-p{process}.stderr"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.writer", "--url", url, "--run", str(run), "--process", str(process)]
            + ["--threads", str(THREADS), "--seed", str(seed)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    writer = Writer(proc=proc, stderr_path=stderr_path)

    def read() -> None:
        for line in proc.stdout:  # until EOF: the process is gone and the pipe drained
            writer.lines.append(line)
            if line.startswith(b"READY"):
                writer.ready.set()
        proc.stdout.close()

    writer.reader = threading.Thread(target=read, daemon=True)
    writer.reader.start()
    return writer


def reap(writers: list[Writer]) -> None:
    """Kill whatever still runs, wait for every process and drain its pipe."""
    for w in writers:
        if w.proc.poll() is None:
            os.kill(w.proc.pid, signal.SIGKILL)
    for w in writers:
        try:
            w.proc.wait(timeout=REAP_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process always dies
            w.proc.kill()
            w.proc.wait()
        if w.reader is not None:
            w.reader.join(REAP_TIMEOUT)


def parse_acks(run: int, writers: list[Writer]) -> tuple[list[Ack], int]:
    """Complete ACK lines (a line cut by the kill is no acknowledgement) and the conflict count."""
    acks, conflicts = [], 0
    for w in writers:
        for raw in w.lines:
            if not raw.endswith(b"\n"):
                continue
            parts = raw.decode(errors="replace").split()
            if not parts:
                continue
            if parts[0] == "ACK":
                _, report_id, version, n, writer, pct = parts
                acks.append(Ack(run, int(report_id), int(version), int(n), writer, Decimal(pct)))
            elif parts[0] == "CONFLICT":
                conflicts += 1
    return acks, conflicts


def kill_run(url: str, run: int, rng: random.Random, tmp_path: Path, where: str) -> tuple[list[Ack], int]:
    """Start the writers, let them save for a random while, SIGKILL them; their ACKs and conflicts."""
    writers: list[Writer] = []
    try:
        for p in range(PROCESSES):
            writers.append(start_writer(url, run, p, rng.randrange(1 << 30), tmp_path))
        deadline = time.monotonic() + READY_TIMEOUT
        for p, w in enumerate(writers):
            while not w.ready.wait(0.05):
                if w.proc.poll() is not None:
                    pytest.fail(f"{where}: writer {p} ended before it was ready (exit {w.proc.returncode}):\n{w.stderr()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"{where}: writer {p} not ready after {READY_TIMEOUT:.0f} s:\n{w.stderr()}")
        time.sleep(rng.uniform(*RUN_FOR))
        crashed = [(p, w.proc.returncode) for p, w in enumerate(writers) if w.proc.poll() is not None]
        order = list(writers)
        rng.shuffle(order)
        for w in order:
            if w.proc.poll() is None:  # not reaped yet, so the pid is still ours
                os.kill(w.proc.pid, signal.SIGKILL)
    finally:
        reap(writers)
    for p, code in crashed:
        pytest.fail(f"{where}: writer {p} ended on its own (exit {code}) before the SIGKILL:\n{writers[p].stderr()}")
    for p, w in enumerate(writers):
        assert w.proc.returncode == -signal.SIGKILL, f"{where}: writer {p} exit {w.proc.returncode}:\n{w.stderr()}"
    return parse_acks(run, writers)


# ---------------------------------------------------------------- verification
@dataclass
class Check:
    lost: list[str]
    mismatches: list[str]
    data_version: int


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def verify(url: str, backend: str, acks: list[Ack]) -> Check:
    """Check the database in a fresh engine against every acknowledged save so far."""
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            reports = {
                r.id: r
                for r in s.execute(
                    sa.select(ProgressReport.id, ProgressReport.version, ProgressReport.achievements, ProgressReport.progress_pct)
                )
            }
            audit = s.execute(
                sa.select(AuditLog.id, AuditLog.at, AuditLog.entity_id, AuditLog.field, AuditLog.new_value)
                .where(AuditLog.entity == "progress_report")
                .order_by(AuditLog.id)
            ).all()
            data_version = s.execute(sa.select(DataVersion.version).where(DataVersion.id == 1)).scalar_one()
        damage: list[str] = []
        if backend == "sqlite":
            with engine.connect() as conn:
                integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
                foreign = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if integrity != ["ok"]:
                damage.append(f"PRAGMA integrity_check: {integrity[:10]}")
            if foreign:
                damage.append(f"PRAGMA foreign_key_check: {foreign[:10]}")
    finally:
        engine.dispose()

    by_report: dict[str, list] = defaultdict(list)
    texts: dict[str, list] = defaultdict(list)
    versions: dict[tuple[str, str], list] = defaultdict(list)
    for row in audit:
        by_report[row.entity_id].append(row)
        if row.field == "achievements" and (row.new_value or "").startswith("kill-run "):
            texts[row.new_value].append(row)
        elif row.field == "version":
            versions[(row.entity_id, row.new_value)].append(row)

    lost: list[str] = []
    claimed: dict[tuple[int, int], Ack] = {}
    for ack in acks:
        report = reports.get(ack.report_id)
        if report is None:
            lost.append(f"{ack}: the report does not exist")
            continue
        if report.version < ack.version:
            lost.append(f"{ack}: the report is at version {report.version}")
        other = claimed.setdefault((ack.report_id, ack.version), ack)
        if other is not ack:
            lost.append(f"{ack} and {other}: both acknowledged as the same version (one overwrote the other)")
        rows = texts.get(ack.text, [])
        if len(rows) != 1 or rows[0].entity_id != str(ack.report_id):
            lost.append(f"{ack}: audit rows with its text {[(r.id, r.entity_id) for r in rows]}, expected one for the report")
            continue
        vrows = versions.get((str(ack.report_id), str(ack.version)), [])
        if len(vrows) != 1:
            lost.append(f"{ack}: {len(vrows)} audit rows for version {ack.version}, expected 1")
        elif vrows[0].at != rows[0].at:
            lost.append(f"{ack}: its text and its version {ack.version} are audited by different writes")
        if report.version == ack.version and (report.achievements != ack.text or _dec(report.progress_pct) != ack.pct):
            lost.append(
                f"{ack}: stored at version {ack.version} but holds {report.achievements!r} / {report.progress_pct}, "
                f"expected {ack.text!r} / {ack.pct}"
            )

    mismatches = list(damage)
    for report_id, report in reports.items():
        rows = by_report.get(str(report_id), [])
        audited = [int(r.new_value) for r in rows if r.field == "version"]
        if audited != list(range(1, report.version + 1)):
            shown = audited if len(audited) <= 12 else [*audited[:4], "…", *audited[-6:]]
            mismatches.append(f"report {report_id} at version {report.version}: audited versions {shown}")
        text = [r.new_value for r in rows if r.field == "achievements"]
        if not text or (text[-1] or "") != report.achievements:
            mismatches.append(f"report {report_id}: stored achievements {report.achievements!r}, last audited {text[-1:]}")
        pct = [r.new_value for r in rows if r.field == "progress_pct"]
        if not pct or _dec(pct[-1]) != _dec(report.progress_pct):
            mismatches.append(f"report {report_id}: stored progress {report.progress_pct}, last audited {pct[-1:]}")
    orphans = sorted(set(by_report) - {str(i) for i in reports})
    if orphans:
        mismatches.append(f"audit rows for reports that do not exist: {orphans[:10]}")
    return Check(lost=lost, mismatches=mismatches, data_version=data_version)


def _listing(items: list[str]) -> str:
    return "\n  ".join(items[:25]) + (f"\n  … and {len(items) - 25} more" if len(items) > 25 else "")


# ---------------------------------------------------------------- the test
def test_sigkilled_writers_lose_no_acknowledged_save(fresh_demo, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    backend, fresh_url = fresh_demo
    seed = int(os.environ.get("DURABILITY_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    started = time.monotonic()
    kill_runs = acknowledged = conflicts = 0
    per_run: list[int] = []
    run = 0
    for database in range(DATABASES):
        url = fresh_url()
        baseline = verify(url, backend, [])
        assert not baseline.lost and not baseline.mismatches, (
            f"{backend}: the fresh demo database already disagrees with its audit trail:\n  {_listing(baseline.mismatches)}"
        )
        acks: list[Ack] = []
        data_version = baseline.data_version
        for _ in range(RUNS_PER_DATABASE):
            run += 1
            where = f"{backend} database {database + 1} kill run {run} (DURABILITY_SEED={seed})"
            run_acks, run_conflicts = kill_run(url, run, rng, tmp_path, where)
            kill_runs += 1
            conflicts += run_conflicts
            per_run.append(len(run_acks))
            acks += run_acks
            check = verify(url, backend, acks)
            assert not check.lost, f"{where}: {len(check.lost)} acknowledged saves lost:\n  {_listing(check.lost)}"
            assert not check.mismatches, (
                f"{where}: {len(check.mismatches)} audit/table mismatches:\n  {_listing(check.mismatches)}"
            )
            assert check.data_version - data_version >= len(run_acks), (
                f"{where}: data version moved {data_version} → {check.data_version}, "
                f"less than the {len(run_acks)} saves acknowledged in the run"
            )
            data_version = check.data_version
        acknowledged += len(acks)
    assert acknowledged > 0, f"{backend}: no save was acknowledged in {kill_runs} kill runs (DURABILITY_SEED={seed})"
    print(
        f"\ndurability {backend}: {kill_runs} SIGKILL runs, {acknowledged} acknowledged saves (per run {per_run}), "
        f"{conflicts} conflicts retried, 0 lost, 0 audit mismatches, {time.monotonic() - started:.1f} s, seed {seed}"
    )
    figures.record(request, kill_runs=kill_runs, saves_acknowledged=acknowledged, saves_lost=0, audit_mismatches=0)
