"""The measurements: page reruns over the websocket, their two floors, saves, exports, a load test."""

from __future__ import annotations

import asyncio
import inspect
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bench.wsclient import StreamlitError, StreamlitSession
from core.db import read_session, write_session
from models import Agency, Assignment, ProgressReport, Round, RoundState, SubmissionState, User
from services import heatmap, rounds
from services.permissions import Actor


# ----------------------------------------------------------------------------- statistics
@dataclass
class Stats:
    n: int
    p50_ms: float | None
    p95_ms: float | None
    mean_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Stats:
        if not seconds:
            return cls(0, None, None, None, None)
        ms = sorted(s * 1000 for s in seconds)
        return cls(len(ms), _pct(ms, 50), _pct(ms, 95), statistics.fmean(ms), ms[-1])


def _pct(sorted_ms: list[float], p: float) -> float:
    """Percentile with linear interpolation between closest ranks."""
    if len(sorted_ms) == 1:
        return sorted_ms[0]
    k = (len(sorted_ms) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (k - lo)


def timed(fn: Callable[[], Any], n: int, *, warmup: int = 1) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t)
    return samples, result


# ----------------------------------------------------------------------------- pages over the websocket
@dataclass
class PageTiming:
    page: str
    cold_ms: float | None = None
    login_ms: float | None = None
    warm: Stats | None = None
    bytes_per_run: int = 0
    messages_per_run: int = 0
    server_cpu_ms_per_run: float | None = None  # server process CPU (all threads) per warm rerun
    errors: list[str] = field(default_factory=list)


async def time_page(
    base_url: str,
    *,
    page: str,
    n: int,
    username: str = "chair",
    password: str = "demo2563",
    cpu: Callable[[], float] | None = None,
) -> PageTiming:
    """Log in, open `page` once (cold: its first run in this session), then rerun it `n` times (warm)."""
    out = PageTiming(page=page)
    async with StreamlitSession(base_url) as s:
        if username:
            t = time.perf_counter()
            await s.login(username, password)
            out.login_ms = (time.perf_counter() - t) * 1000
        first = await s.rerun(page)
        out.cold_ms = first.seconds * 1000
        if page and page not in s.pages:
            out.errors.append(f"page /{page} is not in this role's navigation")
            return out
        if not first.ok:
            out.errors.append("; ".join(first.exceptions) or "page not found")
        samples = []
        cpu_used = 0.0
        for _ in range(n):
            await asyncio.sleep(0.05)
            before = cpu() if cpu is not None else 0.0
            r = await s.rerun()
            if cpu is not None:
                cpu_used += cpu() - before
            if not r.ok:
                out.errors.append("; ".join(r.exceptions) or "page not found")
            samples.append(r.seconds)
            out.bytes_per_run, out.messages_per_run = r.bytes_received, r.messages
        # an error page is quick to draw: a page that failed has no rerun time, only its errors
        out.warm = None if out.errors else Stats.of(samples)
        if cpu is not None and n:
            out.server_cpu_ms_per_run = 1000 * cpu_used / n
    return out


async def time_bare(base_url: str, *, n: int, cpu: Callable[[], float] | None = None) -> PageTiming:
    return await time_page(base_url, page="", n=n, username="", cpu=cpu)


# ----------------------------------------------------------------------------- the pages' queries alone
def current_round_id(engine: Engine) -> int:
    with read_session(engine) as session:
        _, current = rounds.plan_rounds(session=session)
        return current.id


def heatmap_queries(engine: Engine, round_id: int) -> Callable[[], Any]:
    """What pages/heatmap.py asks the database for, in one read session as the page does."""

    def run() -> Any:
        with read_session(engine) as session:
            cells = heatmap.cells(session=session, round_id=round_id)
            heatmap.by_agency(session=session, round_id=round_id)
            heatmap.by_main_issue(session=session, round_id=round_id)
            heatmap.overall(session=session, round_id=round_id)
        return cells

    return run


def overview_service() -> Callable | None:
    try:
        from services import overview
    except ImportError:
        return None
    return getattr(overview, "round_overview", None)


def overview_queries(engine: Engine, round_id: int) -> Callable[[], Any] | None:
    fn = overview_service()
    if fn is None:
        return None

    def run() -> Any:
        with read_session(engine) as session:
            return fn(session=session, round_id=round_id)

    return run


# ----------------------------------------------------------------------------- saving one progress update
def _draft_targets(engine: Engine, limit: int = 20) -> list[tuple[int, int, Actor]]:
    """Open-round drafts a focal point may edit: (assignment id, round id, the agency's focal point)."""
    with read_session(engine) as session:
        rows = session.execute(
            sa.select(ProgressReport.assignment_id, ProgressReport.round_id, User.id, User.username, Agency.id)
            .join(Round, Round.id == ProgressReport.round_id)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .join(User, User.agency_id == Agency.id)
            .where(Round.state == RoundState.open, ProgressReport.submission_state == SubmissionState.draft)
            .order_by(ProgressReport.id)
            .limit(limit)
        ).all()
    from models import Role

    return [(a, r, Actor(user_id=uid, username=name, role=Role.focal_point, agency_id=ag)) for a, r, uid, name, ag in rows]


def time_saves(engine: Engine, n: int) -> tuple[Stats, list[str]]:
    """services.progress.save_report end to end: BEGIN (IMMEDIATE), lock, validate, write, audit rows, COMMIT."""
    from services.progress import ReportInput, save_report
    from services.status import expected_progress, suggest_status

    targets = _draft_targets(engine)
    if not targets:
        return Stats.of([]), ["no open-round draft to edit"]
    errors: list[str] = []
    samples: list[float] = []
    for i in range(n + 2):
        assignment_id, round_id, actor = targets[i % len(targets)]
        with read_session(engine) as session:
            report = session.execute(
                sa.select(ProgressReport).where(
                    ProgressReport.assignment_id == assignment_id, ProgressReport.round_id == round_id
                )
            ).scalar_one()
            rnd = session.get(Round, round_id)
            expected = expected_progress(session=session, plan_id=rnd.plan_id, months=rnd.months)
            data = ReportInput.from_report(report)
            version = report.version
        progress = Decimal(str(round(random.uniform(5, 95), 2)))
        data.progress_pct = progress
        data.status = suggest_status(progress, expected)
        data.status_reason = ""
        data.achievements = (data.achievements or "")[:400] + f" ปรับปรุงครั้งที่ {i}"
        t = time.perf_counter()
        try:
            with write_session(engine, actor) as session:
                save_report(
                    session=session,
                    actor=actor,
                    assignment_id=assignment_id,
                    round_id=round_id,
                    expected_version=version,
                    data=data,
                )
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if i >= 2:  # the first two warm the connection pool and statement caches
            samples.append(time.perf_counter() - t)
    return Stats.of(samples), errors


# ----------------------------------------------------------------------------- exports
def heatmap_exports(cells: pd.DataFrame) -> dict[str, Callable[[], bytes]]:
    """The heatmap page's two table downloads (services.heatmap.grid_csv, grid_xlsx)."""
    from services import heatmap

    return {"heatmap CSV": lambda: heatmap.grid_csv(cells), "heatmap Excel": lambda: heatmap.grid_xlsx(cells)}


def committee_pack_exports(engine: Engine, round_id: int) -> tuple[dict[str, Callable[[], bytes]], str]:
    """services.committee_pack builders, when that module exists (called by parameter name)."""
    try:
        from services import committee_pack
    except ImportError:
        return {}, "not yet built (services/committee_pack.py does not exist)"
    builders = {n: getattr(committee_pack, n, None) for n in ("build_pdf", "build_pptx", "build_xlsx")}
    found = {n: f for n, f in builders.items() if f is not None}
    if not found:
        return {}, "services/committee_pack.py has no build_pdf/build_pptx/build_xlsx yet"
    overview_fn = overview_service()
    cache: dict[str, Any] = {}

    def overview_bundle() -> Any:
        if "ov" not in cache and overview_fn is not None:
            with read_session(engine) as session:
                cache["ov"] = overview_fn(session=session, round_id=round_id)
        return cache.get("ov")

    def call(fn: Callable) -> Callable[[], bytes]:
        def run() -> bytes:
            params = inspect.signature(fn).parameters
            kwargs: dict[str, Any] = {}
            with read_session(engine) as session:
                for name, p in params.items():
                    if name == "session":
                        kwargs[name] = session
                    elif name == "round_id":
                        kwargs[name] = round_id
                    elif name in ("overview", "bundle", "data", "ov"):
                        kwargs[name] = overview_bundle()
                    elif name in ("lang", "language"):
                        kwargs[name] = "th"
                    elif p.default is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                        if p.kind == p.POSITIONAL_ONLY or p.kind == p.POSITIONAL_OR_KEYWORD and not kwargs:
                            kwargs[name] = overview_bundle()
                        else:
                            raise TypeError(f"{fn.__name__}: do not know how to fill parameter {name!r}")
                out = fn(**kwargs)
            return out if isinstance(out, bytes) else getattr(out, "getvalue", lambda: b"")()

        return run

    return {f"committee pack {n.removeprefix('build_').upper()}": call(f) for n, f in found.items()}, ""


@dataclass
class ExportTiming:
    name: str
    stats: Stats | None = None
    size_bytes: int = 0
    error: str = ""


def time_exports(builders: dict[str, Callable[[], bytes]], n: int) -> list[ExportTiming]:
    """Each builder once to warm up (imports, fonts), then n timed builds."""
    out = []
    for name, fn in builders.items():
        try:
            samples, data = timed(fn, n)
            out.append(ExportTiming(name, Stats.of(samples), len(data or b"")))
        except Exception as exc:
            out.append(ExportTiming(name, error=f"{type(exc).__name__}: {exc}"[:300]))
    return out


# ----------------------------------------------------------------------------- load test
@dataclass
class LoadResult:
    sessions: int
    think_s: float
    duration_s: float
    pages: list[str]
    reruns: Stats | None = None
    per_page: dict[str, Stats] = field(default_factory=dict)
    logins: Stats | None = None
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_per_session_mb: float = 0.0
    throughput_per_s: float = 0.0
    servers: int = 1
    upstreams: dict[str, int] = field(default_factory=dict)  # sessions per process, behind a proxy
    server_cpu_s: float = 0.0  # CPU time the server process(es) used during the test
    client_cpu_s: float = 0.0  # CPU time this benchmark process used (the sessions' client side)
    server_cpu_ms_per_run: float = 0.0  # server CPU ÷ script runs (reruns + 2 per login)

    def to_dict(self) -> dict:
        return asdict(self)


async def hold_until(s: StreamlitSession, stop_at: float) -> None:
    """Stay connected until the end of a load test, as open browser tabs do, then close."""
    remaining = stop_at - time.perf_counter()
    if remaining > 0:
        await asyncio.sleep(remaining)
    try:
        await s.close()
    except Exception:
        pass


async def load_test(
    base_url: str,
    *,
    users: list[str],
    pages: list[str],
    sessions: int,
    think_s: float,
    duration_s: float,
    ramp_s: float,
    rss: Callable[[], int] | None = None,
    cpu: Callable[[], float] | None = None,
    seed: int = 6,
    load_page: bool = False,
    servers: int = 1,
) -> LoadResult:
    """`sessions` browser sessions, each logging in (spread over `ramp_s`) and then, every think time
    (uniform 0.5–1.5 × `think_s`), opening the next page of `pages`, for `duration_s` after the ramp."""
    rng = random.Random(seed)
    result = LoadResult(sessions=sessions, think_s=think_s, duration_s=duration_s, pages=pages, servers=servers)
    upstreams: dict[str, int] = {}
    rerun_samples: list[float] = []
    per_page: dict[str, list[float]] = {p: [] for p in pages}
    login_samples: list[float] = []
    errors: list[str] = []
    rss_seen: list[int] = []
    start = time.perf_counter()
    stop_at = start + ramp_s + duration_s
    if rss is not None:
        result.rss_before_mb = rss() / 2**20
    cpu_before = cpu() if cpu is not None else 0.0
    client_before = time.process_time()

    async def one(i: int) -> None:
        await asyncio.sleep(ramp_s * i / max(1, sessions))
        s = StreamlitSession(base_url, timeout=60, load_page=load_page)
        try:
            await s.connect()
            if s.upstream:
                upstreams[s.upstream] = upstreams.get(s.upstream, 0) + 1
            t = time.perf_counter()
            await s.login(users[i % len(users)], "demo2563")
            login_samples.append(time.perf_counter() - t)
            k = i
            while True:
                pause = think_s * rng.uniform(0.5, 1.5)
                if time.perf_counter() + pause >= stop_at:
                    break
                await asyncio.sleep(pause)
                page = pages[k % len(pages)]
                k += 1
                r = await s.rerun(page)
                if r.ok:
                    rerun_samples.append(r.seconds)
                    per_page[page].append(r.seconds)
                else:
                    errors.append(f"/{page}: " + ("; ".join(r.exceptions) or "page not found"))
        except (StreamlitError, OSError, Exception) as exc:  # every failure is counted
            errors.append(f"session {i}: {type(exc).__name__}: {exc}"[:300])
        finally:
            await hold_until(s, stop_at)

    async def sample_rss() -> None:
        while time.perf_counter() < stop_at:
            await asyncio.sleep(1.0)
            if rss is not None and time.perf_counter() > start + ramp_s:
                rss_seen.append(rss())

    await asyncio.gather(sample_rss(), *(one(i) for i in range(sessions)))
    if cpu is not None:
        result.server_cpu_s = cpu() - cpu_before
        runs = len(rerun_samples) + 2 * len(login_samples)
        result.server_cpu_ms_per_run = 1000 * result.server_cpu_s / max(1, runs)
    result.client_cpu_s = time.process_time() - client_before
    result.reruns = Stats.of(rerun_samples)
    result.per_page = {p: Stats.of(v) for p, v in per_page.items()}
    result.logins = Stats.of(login_samples)
    result.errors = len(errors)
    result.error_samples = errors[:5]
    if rss_seen:
        result.rss_peak_mb = max(rss_seen) / 2**20
        result.rss_per_session_mb = (result.rss_peak_mb - result.rss_before_mb) / max(1, sessions)
    result.throughput_per_s = len(rerun_samples) / max(1e-9, duration_s)
    result.upstreams = upstreams
    return result


# ----------------------------------------------------------------------------- issue 17: the data floor, a rerun after a save
def data_floor(engine: Engine, round_id: int, n: int) -> tuple[Stats, int]:
    """The SQL the overview and the heatmap need, alone: the statements one cold
    services.overview.round_overview runs (it builds the heatmap's grid too), captured once and
    replayed on a raw DBAPI cursor (execute + fetchall), without SQLAlchemy rows or pandas.
    Returns the timings and the number of statements."""
    from sqlalchemy import event

    from services import overview

    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with read_session(engine) as session:
            overview.round_overview(session=session, round_id=round_id)
    finally:
        event.remove(engine, "before_cursor_execute", capture)

    def replay() -> None:
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                for statement, parameters in captured:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            finally:
                cursor.close()
            conn.rollback()

    samples, _ = timed(replay, n)
    return Stats.of(samples), len(captured)


def figures_settle_s() -> float:
    """The app servers' FIGURES_SETTLE_S (they inherit this process's environment), in seconds."""
    from core.settings import SETTINGS

    return float(os.environ.get("FIGURES_SETTLE_S") or SETTINGS["FIGURES_SETTLE_S"][0])


async def time_after_save(base_url: str, engine: Engine, *, page: str, n: int, username: str = "chair") -> Stats:
    """A logged-in session's rerun of `page` right after another session's save (one save by a
    focal point through services.progress.save_report, then the rerun), `n` times."""
    samples: list[float] = []
    settle = figures_settle_s()
    async with StreamlitSession(base_url) as s:
        await s.login(username, "demo2563")
        await s.rerun(page)
        await s.rerun()
        for _ in range(n):
            # past the app's settle (FIGURES_SETTLE_S): the rerun is the one that refreshes, not one
            # served by the refresh of a moment ago (a rush's second reader)
            await asyncio.sleep(settle)
            stats, errors = await asyncio.to_thread(time_saves, engine, 0)  # one save (time_saves warms with two)
            if errors:
                raise StreamlitError("; ".join(errors))
            await asyncio.sleep(0.05)
            r = await s.rerun()
            if not r.ok:
                raise StreamlitError("; ".join(r.exceptions) or "page not found")
            samples.append(r.seconds)
    return Stats.of(samples)
