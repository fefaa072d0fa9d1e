"""`python -m bench`: generate each scale on each backend, measure, print the table, write docs/BENCHMARKS.md.

    python -m bench                       # demo + ministry, SQLite + PostgreSQL (the issue-6 run)
    python -m bench --quick               # demo scale only, short load test (a minute or two)
    python -m bench --scales large        # add the large scale (merged into docs/benchmarks.json)
    python -m bench --scales ministry --backends postgres --scale-out   # + 2 processes behind nginx

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench import measure, report, rush
from bench.generator import SCALES, generate
from bench.servers import (
    BENCH_DIR,
    EXTRA_ENV,
    ROOT,
    SERVER_SCRIPT,
    WORK_DIR,
    StreamlitServer,
    app_env,
    database_size_bytes,
    drop_postgres_database,
    engine_for,
    postgres_available,
    postgres_database,
    sqlite_database,
)

PAGES = ("", "heatmap", "overview")  # URL pathnames: home, heatmap, the chair's overview


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", default="demo,ministry", help="comma-separated: demo, ministry, large (default demo,ministry)")
    p.add_argument("--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres (default both)")
    p.add_argument("--quick", action="store_true", help="demo scale only, fewer samples, a 10-session load test")
    p.add_argument("--reruns", type=int, default=30, help="warm reruns timed per page (default 30)")
    p.add_argument("--samples", type=int, default=30, help="samples of each floor query and save (default 30)")
    p.add_argument("--export-samples", type=int, default=2, help="builds timed per export, after one warm-up build (default 2)")
    p.add_argument("--sessions", type=int, default=50, help="load test: concurrent sessions (default 50)")
    p.add_argument("--think", type=float, default=10.0, help="load test: mean think time, s (default 10)")
    p.add_argument("--duration", type=float, default=60.0, help="load test: seconds after the ramp (default 60)")
    p.add_argument("--ramp", type=float, default=10.0, help="load test: seconds over which sessions log in (default 10)")
    p.add_argument("--load-scales", default="ministry,large", help="scales that get the load test (default ministry,large)")
    p.add_argument("--no-load", action="store_true", help="skip the load test")
    p.add_argument("--rush-scales", default="ministry,large", help="scales that get the deadline rush (default ministry,large)")
    p.add_argument("--rush-rates", default="1,5,20", help="deadline rush: saves per second, one run each (default 1,5,20)")
    p.add_argument("--rush-duration", type=float, default=60.0, help="deadline rush: seconds of saving per rate (default 60)")
    p.add_argument("--no-rush", action="store_true", help="skip the deadline rush")
    p.add_argument(
        "--scale-out",
        action="store_true",
        help="on PostgreSQL, also measure capacity: 1 process and deploy/scale-out.sh (2 processes behind nginx) "
        "at rising session counts (--scale-out-sessions) against one p95 (--scale-out-p95)",
    )
    p.add_argument(
        "--scale-out-sessions",
        default="50,75,100,125,150",
        help="session counts of the capacity ladder, for 1 process and for 2 (default 50,75,100,125,150)",
    )
    p.add_argument(
        "--scale-out-p95",
        type=float,
        default=1000.0,
        help="the p95 (ms) a setup must keep, with no errors, to hold a session count (default 1000)",
    )
    p.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile pages and saves that miss a target (auto), all, or none",
    )
    p.add_argument(
        "--keep-db", action="store_true", help="keep the generated PostgreSQL databases (SQLite files stay in bench-results/tmp)"
    )
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the app servers, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false (repeatable)",
    )
    p.add_argument("--report-only", action="store_true", help="rewrite docs/BENCHMARKS.md from docs/benchmarks.json and stop")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md and docs/benchmarks.json alone")
    args = p.parse_args(argv)
    if args.quick:
        args.scales = "demo"
        args.reruns, args.samples, args.export_samples = 10, 10, 1
        args.sessions, args.think, args.duration, args.ramp = 10, 2.0, 15.0, 2.0
        args.load_scales = "demo"
        args.rush_scales, args.rush_rates, args.rush_duration = "demo", "5", 15.0
    return args


def _asdict(x: object) -> object:
    return asdict(x) if x is not None else None


def run_one(scale_name: str, backend: str, args: argparse.Namespace, bare: StreamlitServer) -> dict:
    scale = SCALES[scale_name]
    tag = f"{scale_name}-{backend}"
    print(f"\n-- {scale_name} on {backend}: generating {scale.describe()} …", flush=True)
    db_name = f"reform_bench_{scale_name}"
    url = sqlite_database(f"bench-{scale_name}") if backend == "sqlite" else postgres_database(db_name)
    engine = engine_for(url)
    from services import schema

    schema.upgrade(engine)
    gen = generate(engine, scale)
    run: dict = {
        "scale": scale_name,
        "backend": backend,
        "date": report.now_text(),
        "generated": {
            "describe": scale.describe(),
            "agencies": gen.agencies,
            "assignments": gen.assignments,
            "reports": gen.reports,
            "users": gen.users,
            "grid_cells": scale.grid_cells,
            "seconds": gen.seconds,
            "db_mb": database_size_bytes(engine) / 1e6,
        },
        "server_env": dict(EXTRA_ENV),
        "pages": {},
        "queries": {},
        "profiles": {},
    }
    print(f"   {gen.reports:,} reports, {gen.assignments:,} assignments in {gen.seconds:.1f} s", flush=True)
    round_id = measure.current_round_id(engine)
    try:
        with StreamlitServer(SERVER_SCRIPT, env=app_env(url), log_path=WORK_DIR / f"server-{tag}.log") as server:
            print("   floors and page reruns …", flush=True)
            bare_timing = asyncio.run(measure.time_bare(bare.url, n=args.reruns, cpu=bare.cpu_seconds))
            run["bare"] = _asdict(bare_timing.warm)
            run["bare_cpu_ms_per_run"] = bare_timing.server_cpu_ms_per_run
            nav: dict[str, str] = {}
            for page in PAGES:
                timing = asyncio.run(measure.time_page(server.url, page=page, n=args.reruns, cpu=server.cpu_seconds))
                entry = asdict(timing)
                if timing.errors:
                    entry["note"] = _page_note(page, timing.errors)
                run["pages"][page or "home"] = entry
                if timing.warm is not None:
                    nav[page] = page
            for page in ("overview", "heatmap"):  # a new session's first run, the process already serving
                if page in nav:
                    fresh = asyncio.run(measure.time_page(server.url, page=page, n=0))
                    run["pages"][page]["fresh_session_ms"] = fresh.cold_ms
            samples, cells = measure.timed(measure.heatmap_queries(engine, round_id), args.samples)
            run["queries"]["heatmap"] = asdict(measure.Stats.of(samples))
            ov = measure.overview_queries(engine, round_id)
            if ov is not None:
                try:
                    samples, _ = measure.timed(ov, args.samples)
                    run["queries"]["overview"] = asdict(measure.Stats.of(samples))
                except Exception as exc:  # a module being written may not run yet
                    run["queries"]["overview"] = None
                    run["pages"].setdefault("overview", {})["note"] = f"round_overview failed: {type(exc).__name__}: {exc}"[:200]
            print("   saves and exports …", flush=True)
            save, errors = measure.time_saves(engine, args.samples)
            run["save"], run["save_errors"] = asdict(save), errors[:3]
            builders = measure.heatmap_exports(cells)
            pack, note = measure.committee_pack_exports(engine, round_id)
            builders |= pack
            run["exports"] = [asdict(e) for e in measure.time_exports(builders, args.export_samples)]
            run["exports_note"] = note
            floor, statements = measure.data_floor(engine, round_id, args.samples)
            run["data_floor"] = {"stats": asdict(floor), "statements": statements}
            print("   reruns after a save …", flush=True)
            run["after_save"] = {}
            for page in ("overview", "heatmap"):
                if page in nav:
                    after = asyncio.run(measure.time_after_save(server.url, engine, page=page, n=min(args.reruns, 15)))
                    run["after_save"][page] = asdict(after)
            pages = [p for p in PAGES if p in nav]
            if not args.no_load and scale_name in args.load_scales.split(","):
                print(
                    f"   load test: {args.sessions} sessions, {args.think:g} s think, {args.duration:g} s on {pages} …",
                    flush=True,
                )
                load = asyncio.run(
                    measure.load_test(
                        server.url,
                        users=["chair", "executive"],
                        pages=pages,
                        sessions=args.sessions,
                        think_s=args.think,
                        duration_s=args.duration,
                        ramp_s=args.ramp,
                        rss=server.rss_bytes,
                        cpu=server.cpu_seconds,
                    )
                )
                run["load"] = load.to_dict()
            if not args.no_rush and scale_name in args.rush_scales.split(","):
                run["rush"] = []
                for rate in [float(x) for x in args.rush_rates.split(",") if x.strip()]:
                    print(f"   deadline rush: {rate:g} saves/s, {args.sessions} readers, {args.think:g} s think …", flush=True)
                    result = asyncio.run(
                        rush.deadline_rush(
                            server.url,
                            engine,
                            round_id,
                            saves_per_s=rate,
                            readers=args.sessions,
                            think_s=args.think,
                            duration_s=args.rush_duration,
                            ramp_s=args.ramp,
                        )
                    )
                    run["rush"].append(result.to_dict())
        if args.scale_out and backend == "postgres" and "load" in run:
            run["scale_out"] = _scale_out(url, pages, args, tag)
        _profiles(run, url, engine, args, tag)
    finally:
        engine.dispose()
        if backend == "postgres" and not args.keep_db:
            drop_postgres_database(db_name)
    return run


def _scale_out(url: str, pages: list[str], args: argparse.Namespace, tag: str) -> dict:
    """Capacity at one p95: the same load test, at rising session counts, on one process and on
    deploy/scale-out.sh (2 processes behind nginx), each count on a fresh deployment. A setup's
    ladder stops at the first count it cannot hold (p95 over the budget, or errors): more sessions
    only make it worse. Capacity = the largest count held."""
    from bench.scaleout import ScaleOut, nginx_path

    if nginx_path() is None:
        print("   scale-out skipped: nginx is not installed", flush=True)
        return {"error": "nginx is not installed"}
    budget_ms = args.scale_out_p95
    ladder = sorted({int(x) for x in args.scale_out_sessions.split(",") if x.strip()})
    out: dict = {"budget_ms": budget_ms, "ladder": ladder, "single": [], "pair": []}

    def load_at(base_url: str, n: int, *, rss, cpu, servers: int):  # a coroutine
        return measure.load_test(
            base_url,
            users=["chair", "executive"],
            pages=pages,
            sessions=n,
            think_s=args.think,
            duration_s=args.duration,
            ramp_s=args.ramp,
            rss=rss,
            cpu=cpu,
            load_page=servers > 1,
            servers=servers,
        )

    for setup in ("single", "pair"):
        for n in ladder:
            label = "1 process" if setup == "single" else "2 processes behind nginx"
            print(f"   capacity: {label}, {n} sessions …", flush=True)
            if setup == "single":
                with StreamlitServer(SERVER_SCRIPT, env=app_env(url), log_path=WORK_DIR / f"capacity-{tag}-1-{n}.log") as srv:
                    asyncio.run(measure.time_page(srv.url, page="heatmap", n=2))  # warm, as before every load test
                    load = asyncio.run(load_at(srv.url, n, rss=srv.rss_bytes, cpu=srv.cpu_seconds, servers=1)).to_dict()
            else:
                with ScaleOut(url, processes=2, log_path=WORK_DIR / f"capacity-{tag}-2-{n}.log") as deployment:
                    for app_url in deployment.app_urls:
                        asyncio.run(measure.time_page(app_url, page="heatmap", n=2))
                    load = asyncio.run(
                        load_at(deployment.url, n, rss=deployment.rss_bytes, cpu=deployment.cpu_seconds, servers=2)
                    ).to_dict()
            out[setup].append(load)
            print(f"     p95 {(load.get('reruns') or {}).get('p95_ms', 0):.0f} ms, {load['errors']} errors", flush=True)
            if not report.held(load, budget_ms):
                break
    return out


def _page_note(page: str, errors: list[str]) -> str:
    if page == "overview" and not (ROOT / "pages" / "overview.py").exists():
        return "not yet built (pages/overview.py does not exist)"
    return "; ".join(errors)[:200]


def _profiles(run: dict, url: str, engine, args: argparse.Namespace, tag: str) -> None:
    if args.profile == "never":
        return
    from bench import profile

    verdicts = {v["what"]: v["ok"] for v in report.targets(run)}
    # a missed load test is bounded by the CPU each script run costs: profile the pages it visits
    load_missed = any(ok is False for what, ok in verdicts.items() if "sessions at" in what)
    pages = [
        page
        for page, label in report.LABELS.items()
        if (run["pages"].get(page) or {}).get("warm")
        and (
            args.profile == "always"
            or load_missed
            or verdicts.get(f"{label} warm rerun p50") is False
            or verdicts.get(f"{label} within 3× (bare rerun + queries)") is False
        )
    ]
    if pages:
        print(f"   profiling {pages} …", flush=True)
        for page, summary in profile.profile_pages(url, pages, n=min(args.reruns, 20), tag=tag).items():
            run["profiles"][f"page /{page}"] = summary
    verdicts17 = {v["what"]: v["ok"] for v in report.targets17(run)}
    after = [
        page
        for page, label in report.LABELS.items()
        if (run.get("after_save") or {}).get(page)
        and (args.profile == "always" or verdicts17.get(f"{label}: rerun right after a save, p50") is False)
    ]
    if after:
        print(f"   profiling {after} after saves …", flush=True)
        summaries = profile.profile_pages(
            url, after, n=min(args.reruns, 15), tag=f"{tag}-after-save", between=lambda: measure.time_saves(engine, 0)
        )
        for page, summary in summaries.items():
            run["profiles"][f"page /{page} right after a save"] = summary
    save = run.get("save") or {}
    if save.get("n") and (args.profile == "always" or save["p50_ms"] > report.SAVE_P50_MS):
        print("   profiling saves …", flush=True)
        run["profiles"]["one save"] = profile.profile_call(lambda: measure.time_saves(engine, 1), n=20, tag=f"{tag}-save")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        print(f"wrote {report.write_markdown(report.load_results()).relative_to(ROOT)}")
        return 0
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for s in scales:
        if s not in SCALES:
            raise SystemExit(f"unknown scale {s!r} (demo, ministry, large)")
    pg_version = None
    if "postgres" in backends:
        reason = postgres_available()
        if reason:
            print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
            backends.remove("postgres")
        else:
            import sqlalchemy as sa

            from bench.servers import PG_ADMIN_URL

            eng = sa.create_engine(PG_ADMIN_URL)
            with eng.connect() as conn:
                pg_version = conn.execute(sa.text("SHOW server_version")).scalar_one()
            eng.dispose()
    for item in args.server_env:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--server-env wants KEY=VALUE, not {item!r}")
        EXTRA_ENV[key] = value
    started = time.perf_counter()
    data = report.load_results()
    data["machine"] = report.machine(pg_version)
    data["date"] = report.now_text()
    data["command"] = "python -m bench " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    bare = StreamlitServer(
        BENCH_DIR / "bare_app.py", env=app_env("sqlite:///" + str(WORK_DIR / "unused.db")), log_path=WORK_DIR / "server-bare.log"
    )
    this_run: list[dict] = []
    try:
        for scale in scales:
            for backend in backends:
                run = run_one(scale, backend, args, bare)
                this_run.append(run)
                data["runs"][f"{scale}/{backend}"] = run
                print(report.console_table(run), flush=True)
                if not args.no_write:
                    report.save_results(data)
                    report.write_markdown(data)
    finally:
        bare.stop()
    print(f"\nfinished in {time.perf_counter() - started:.0f} s", end="")
    if not args.no_write:
        print(f"; wrote {Path(report.RESULTS_MD).relative_to(ROOT)}")
    else:
        print()
    misses = [v for run in this_run if run["scale"] == report.TARGET_SCALE for v in report.targets(run) if v["ok"] is False]
    for v in misses:
        print(f"MISS: {v['what']}: {v['measured']} (limit {v['limit']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
