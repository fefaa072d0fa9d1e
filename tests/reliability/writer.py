"""A writer process for tests/reliability/test_durability.py: saves progress reports in a loop
until it is killed.

    python -m tests.reliability.writer --url URL --run 3 --process 1 --threads 2 --seed 42

It connects with `core.db.make_engine` (on SQLite: WAL, synchronous=FULL, busy_timeout, BEGIN
IMMEDIATE), works as the demo secretariat (who may save any item of the open round) on a few
items of the open FY2564 12-month round — two the demo never reported, so the first saves create
their reports, and three in different workflow states — and saves the way the entry page does:
read the report, save with the version read as `expected_version`, and on `ReportConflict` read
again and retry. Every save writes a text no other save writes (`save_text`).

Output, one line each, flushed at once:
    READY <process>                        after connecting, before the first save
    ACK <report_id> <version> <n> <writer> <pct>
                                           only after the save's write_session has committed
    CONFLICT <writer> <n>                  a save refused as a conflict (then retried)
Any unexpected error ends the process with a traceback on stderr and exit status 3, so the test
can tell a crash from its own SIGKILL.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import traceback
from decimal import Decimal

from sqlmodel import select

from core.db import make_engine, read_session, write_session
from models import ProgressReport
from services import progress, status
from services.progress import ReportConflict, ReportInput
from tests import helpers

# (agency, sub-issue) of the open round: two never reported in the demo, then a returned, a draft
# and a submitted item.
ITEMS = (("BLA", "1.1"), ("ICT", "2.5"), ("BPS", "2.4"), ("OPEC", "3.1"), ("BIE", "3.2"))
ACTOR = "secretariat"

_out = threading.Lock()


def save_text(run: int, writer: str, n: int) -> str:
    """The achievements text of save `n` of `writer` in kill run `run`: unique across the test."""
    return f"kill-run {run} save {n} writer {writer}"


def save_pct(run: int, writer: str, n: int) -> Decimal:
    """A progress figure that varies from save to save (0.00–100.00)."""
    seed = run * 7919 + sum(ord(c) for c in writer) * 104729 + n * 37
    return (Decimal(seed % 10001) / 100).quantize(Decimal("0.01"))


def emit(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def save_loop(engine, actor, round_id: int, expected: Decimal, assignment_ids: list[int], run: int, writer: str, seed: int):
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        assignment_id = rng.choice(assignment_ids)
        text, pct = save_text(run, writer, n), save_pct(run, writer, n)
        while True:  # as the entry page: read, edit, save with the version read; on conflict read again
            with read_session(engine) as s:
                current = s.exec(
                    select(ProgressReport).where(
                        ProgressReport.assignment_id == assignment_id, ProgressReport.round_id == round_id
                    )
                ).first()
                data = ReportInput.from_report(current)
                base = current.version if current is not None else None
            data.achievements = text
            data.progress_pct = pct
            data.status = status.suggest_status(pct, expected)
            try:
                with write_session(engine, actor) as s:
                    report = progress.save_report(
                        session=s,
                        actor=actor,
                        assignment_id=assignment_id,
                        round_id=round_id,
                        expected_version=base,
                        data=data,
                    )
                    report_id, version = report.id, report.version
            except ReportConflict:
                emit(f"CONFLICT {writer} {n}")
                continue
            # the write_session block has exited: the save is committed
            emit(f"ACK {report_id} {version} {n} {writer} {pct}")
            break


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--process", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    actor = helpers.actor(engine, ACTOR)
    rnd = helpers.open_round(engine)
    assignment_ids = [helpers.assignment(engine, agency, sub).id for agency, sub in ITEMS]
    with read_session(engine) as s:
        expected = status.expected_progress(session=s, plan_id=rnd.plan_id, months=rnd.months)

    def thread_main(t: int) -> None:
        writer = f"p{args.process}t{t}"
        try:
            save_loop(engine, actor, rnd.id, expected, assignment_ids, args.run, writer, args.seed * 1000 + args.process * 10 + t)
        except Exception:
            with _out:
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(3)

    threads = [threading.Thread(target=thread_main, args=(t,), daemon=True) for t in range(args.threads)]
    emit(f"READY {args.process}")
    for th in threads:
        th.start()
    for th in threads:
        th.join()


if __name__ == "__main__":
    main()
