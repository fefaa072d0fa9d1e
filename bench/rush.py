"""The deadline rush: focal points saving reports while the chair, executives and the secretariat
read the overview and the heatmap.

Writers (threads of this process) save open-round drafts of random agencies through
services.progress.save_report — the entry page's service — at a fixed rate, each save reading
the report's version first and saving against it, as the entry form does; two writers that pick
the same item in the same moment meet a refused save (a conflict), as two people would. Readers
are websocket sessions (bench.wsclient) that log in and rerun the overview and the heatmap with
think time.

Freshness: after every save the benchmark computes the heatmap's headline figures (overall and
per main issue, formatted as the page shows them) from its own grid, refreshed for the saved
agency (services.heatmap.refresh_grid), and logs them with the save's data version and commit
time. Each heatmap rerun's figures are matched against that log: the newest version they equal
is the newest save the page reflects. A run is *behind* when a save committed before the run
began is missing from it; its lag is then counted in saves. It is *more than one run behind*
when a save committed before the session's previous run began is missing (the issue's bound:
"at most one rerun behind"; the app's FIGURES_SETTLE_S lets a run be one behind). Figures that
two versions share cannot be told apart; the newest such version is taken.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.measure import Stats, _draft_targets, hold_until
from bench.wsclient import StreamlitSession
from core import db
from core.i18n import translate
from models import ProgressReport, Round
from services import heatmap
from services.overview import fmt_pct


@dataclass
class RushResult:
    saves_per_s: float
    readers: int
    think_s: float
    duration_s: float
    pages: list[str]
    reader: Stats | None = None
    reader_p99_ms: float | None = None
    per_page: dict[str, Stats] = field(default_factory=dict)
    reader_errors: int = 0
    reader_error_samples: list[str] = field(default_factory=list)
    saves: int = 0
    achieved_saves_per_s: float = 0.0
    writer: Stats | None = None
    conflicts: int = 0
    writer_errors: int = 0
    writer_error_samples: list[str] = field(default_factory=list)
    checked_runs: int = 0  # heatmap reruns whose figures were matched against the save log
    behind_runs: int = 0  # of those: a save committed before the run began is missing
    over_one_behind_runs: int = 0  # of those: a save committed before the session's previous run began is missing
    max_saves_behind: int = 0
    unmatched_runs: int = 0  # figures that match no logged version (should be 0)
    freshness: Stats | None = None  # age at the run's end of the newest save its page reflects

    def to_dict(self) -> dict:
        return asdict(self)


def page_figures(grid: heatmap.RoundGrid) -> tuple[str, ...]:
    """The heatmap page's headline metrics as it formats them: overall, then each main issue."""
    values = [grid.overall, *grid.by_main_issue["weighted_progress"].tolist()]
    return tuple(translate("overview.pct", "th", value=fmt_pct(v)) for v in values)


def shown_figures(metrics: dict[str, str], mains: list[int]) -> tuple[str, ...] | None:
    labels = [translate("heatmap.overall", "th"), *(translate("heatmap.main_short", "th", n=n) for n in mains)]
    if not all(label in metrics for label in labels):
        return None
    return tuple(metrics[label] for label in labels)


class SaveLog:
    """(data version, commit time, page figures) after every save, in commit order."""

    def __init__(self, engine: Engine, round_id: int) -> None:
        self.engine, self.round_id = engine, round_id
        self.lock = threading.Lock()
        with db.read_session(engine) as session:
            self.grid = heatmap.round_grid(session=session, round_id=round_id)
            version = db.data_version(session)
        self.mains = [int(n) for n in self.grid.by_main_issue["main_issue_number"]]
        self.entries: list[tuple[int, float, tuple[str, ...]]] = [(version, time.perf_counter(), page_figures(self.grid))]

    def after_save(self, agency_id: int) -> None:  # called with self.lock held, right after the commit
        with db.read_session(self.engine) as session:
            version = db.data_version(session)
            grid = heatmap.refresh_grid(session=session, grid=self.grid, round_id=self.round_id, agency_ids={agency_id})
            self.grid = grid if grid is not None else heatmap.round_grid(session=session, round_id=self.round_id)
        self.entries.append((version, time.perf_counter(), page_figures(self.grid)))

    def latest_index(self) -> int:
        return len(self.entries) - 1


def _writer(engine: Engine, log: SaveLog, rate: float, stop_at: float, seed: int, out: dict) -> None:
    from services.progress import ReportConflict, ReportInput, save_report
    from services.status import expected_progress, suggest_status

    rng = random.Random(seed)
    targets = out["targets"]
    next_at = time.perf_counter()
    while True:
        next_at += 1.0 / rate
        pause = next_at - time.perf_counter()
        if next_at >= stop_at:
            return
        if pause > 0:
            time.sleep(pause)
        assignment_id, round_id, agency_id, actor = targets[rng.randrange(len(targets))]
        with db.read_session(engine) as session:  # what the entry form shows before the save
            report = session.execute(
                sa.select(ProgressReport).where(
                    ProgressReport.assignment_id == assignment_id, ProgressReport.round_id == round_id
                )
            ).scalar_one()
            rnd = session.get(Round, round_id)
            expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
            data, version = ReportInput.from_report(report), report.version
        value = Decimal(str(round(rng.uniform(0, 100), 1)))
        data.progress_pct, data.status, data.status_reason = value, suggest_status(value, expected), ""
        if data.status is not None and getattr(data.status, "value", data.status) == "delayed":
            data.status_reason = "เร่งรัดให้ทันกำหนด"
        t = time.perf_counter()
        try:
            with log.lock:
                with db.write_session(engine, actor) as session:
                    save_report(
                        session=session,
                        actor=actor,
                        assignment_id=assignment_id,
                        round_id=round_id,
                        expected_version=version,
                        data=data,
                    )
                out["samples"].append(time.perf_counter() - t)
                log.after_save(agency_id)
        except ReportConflict:
            out["conflicts"] += 1
        except Exception as exc:  # every failure is counted
            out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])


async def deadline_rush(
    base_url: str,
    engine: Engine,
    round_id: int,
    *,
    saves_per_s: float,
    readers: int,
    think_s: float,
    duration_s: float,
    ramp_s: float,
    writers: int = 2,
    pages: tuple[str, ...] = ("overview", "heatmap"),
    users: tuple[str, ...] = ("chair", "executive", "secretariat"),
    seed: int = 17,
) -> RushResult:
    """`readers` sessions log in over `ramp_s`, then rerun `pages` in turn with think time
    (uniform 0.5–1.5 × `think_s`) for `duration_s`, while `writers` threads share `saves_per_s`."""
    result = RushResult(saves_per_s=saves_per_s, readers=readers, think_s=think_s, duration_s=duration_s, pages=list(pages))
    rows = _draft_targets(engine, limit=5000)
    targets = [(a, r, actor.agency_id, actor) for a, r, actor in rows]
    if not targets:
        result.writer_errors, result.writer_error_samples = 1, ["no open-round draft to save"]
        return result
    log = SaveLog(engine, round_id)
    rng = random.Random(seed)
    samples: list[float] = []
    per_page: dict[str, list[float]] = {p: [] for p in pages}
    errors: list[str] = []
    ages: list[float] = []
    checks = {"checked": 0, "behind": 0, "over_one": 0, "max_behind": 0, "unmatched": 0}
    start = time.perf_counter()
    writes_from, stop_at = start + ramp_s, start + ramp_s + duration_s
    out: dict = {"targets": targets, "samples": [], "conflicts": 0, "errors": []}

    def writers_run() -> None:
        time.sleep(max(0.0, writes_from - time.perf_counter()))
        threads = [
            threading.Thread(target=_writer, args=(engine, log, saves_per_s / writers, stop_at, seed + i, out), daemon=True)
            for i in range(writers)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    def check(figures: tuple[str, ...] | None, began_index: int, previous_index: int, ended_at: float) -> None:
        if figures is None:
            return
        entries = log.entries[: log.latest_index() + 1]
        matches = [i for i, (_, _, f) in enumerate(entries) if f == figures]
        checks["checked"] += 1
        if not matches:
            checks["unmatched"] += 1
            return
        newest = matches[-1]
        ages.append(ended_at - entries[newest][1])
        if newest < began_index:
            checks["behind"] += 1
            checks["max_behind"] = max(checks["max_behind"], began_index - newest)
        if newest < previous_index:
            checks["over_one"] += 1

    async def reader(i: int) -> None:
        await asyncio.sleep(ramp_s * i / max(1, readers))
        s = StreamlitSession(base_url, timeout=60)
        try:
            await s.connect()
            await s.login(users[i % len(users)], "demo2563")
            k, previous_index = i, -1
            while True:
                pause = think_s * rng.uniform(0.5, 1.5)
                if time.perf_counter() + pause >= stop_at:
                    break
                await asyncio.sleep(pause)
                page = pages[k % len(pages)]
                k += 1
                began_index = log.latest_index()
                r = await s.rerun(page)
                previous_index, checked_from = began_index, previous_index
                if not r.ok:
                    errors.append(f"/{page}: " + ("; ".join(r.exceptions) or "page not found"))
                    continue
                if time.perf_counter() > writes_from:  # the rush, not the ramp
                    samples.append(r.seconds)
                    per_page[page].append(r.seconds)
                    if page == "heatmap":
                        check(shown_figures(r.metrics(), log.mains), began_index, checked_from, time.perf_counter())
        except Exception as exc:  # every failure is counted
            errors.append(f"session {i}: {type(exc).__name__}: {exc}"[:300])
        finally:
            await hold_until(s, stop_at)

    writer_thread = threading.Thread(target=writers_run, daemon=True)
    writer_thread.start()
    await asyncio.gather(*(reader(i) for i in range(readers)))
    writer_thread.join(timeout=60)
    result.reader = Stats.of(samples)
    ms = sorted(x * 1000 for x in samples)
    result.reader_p99_ms = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))] if ms else None
    result.per_page = {p: Stats.of(v) for p, v in per_page.items()}
    result.reader_errors, result.reader_error_samples = len(errors), errors[:5]
    result.saves = len(out["samples"])
    result.achieved_saves_per_s = result.saves / duration_s
    result.writer = Stats.of(out["samples"])
    result.conflicts = out["conflicts"]
    result.writer_errors, result.writer_error_samples = len(out["errors"]), out["errors"][:5]
    result.checked_runs, result.behind_runs = checks["checked"], checks["behind"]
    result.over_one_behind_runs = checks["over_one"]
    result.max_saves_behind, result.unmatched_runs = checks["max_behind"], checks["unmatched"]
    result.freshness = Stats.of(ages)
    return result
