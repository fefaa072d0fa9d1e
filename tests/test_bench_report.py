"""The benchmark's verdicts (bench/report.py): a failing page, and which setup holds more sessions
at one p95."""

from __future__ import annotations

from bench import report


def _load(sessions: int, p95: float, errors: int = 0) -> dict:
    return {"sessions": sessions, "errors": errors, "reruns": {"p50_ms": p95 / 3, "p95_ms": p95}}


def _run(single: list[dict], pair: list[dict], budget: float = 1000) -> dict:
    return {
        "scale": "ministry",
        "backend": "postgres",
        "scale_out": {"budget_ms": budget, "ladder": [50, 75, 100], "single": single, "pair": pair},
    }


def test_capacity_is_the_last_count_held_before_the_first_miss():
    loads = [_load(50, 200), _load(75, 900), _load(100, 4000)]
    assert report.capacity_of(loads, 1000) == (75, False)
    assert report.capacity_of(loads[:2], 1000) == (75, True)  # ladder ran out: "at least 75"
    assert report.capacity_of([_load(50, 1200)], 1000) == (0, False)
    # an error means the count is not held, whatever the p95
    assert report.capacity_of([_load(50, 100, errors=1)], 1000) == (0, False)


def test_pair_holding_more_sessions_passes():
    run = _run([_load(50, 300), _load(75, 2500)], [_load(50, 250), _load(75, 400), _load(100, 700)])
    [verdict] = report.capacity_verdicts(run)
    assert verdict["ok"] is True
    assert verdict["measured"] == "≥ 100 vs 50 sessions"


def test_pair_holding_the_same_count_misses():
    run = _run([_load(50, 300), _load(75, 2500)], [_load(50, 250), _load(75, 1100)])
    [verdict] = report.capacity_verdicts(run)
    assert verdict["ok"] is False
    assert verdict["measured"] == "50 vs 50 sessions"


def test_both_running_out_of_ladder_proves_nothing():
    run = _run([_load(50, 300), _load(75, 400)], [_load(50, 250), _load(75, 300)])
    [verdict] = report.capacity_verdicts(run)
    assert verdict["ok"] is False  # the ladder must go past the single process's capacity


def test_older_pair_only_results_are_not_compared():
    run = {"scale": "ministry", "backend": "postgres", "scale_out": [_load(50, 300)]}
    assert report.scale_out(run) is None
    assert report.capacity_verdicts(run) == []


def test_a_page_that_fails_misses_its_target_instead_of_looking_fast():
    timing = {"warm": None, "errors": ["MaxRowsError"], "note": "MaxRowsError"}
    run = {"pages": {"heatmap": timing}, "bare": {"n": 30, "p50_ms": 3.0}, "queries": {"heatmap": {"n": 30, "p50_ms": 40.0}}}
    verdict = next(v for v in report.targets(run) if v["what"] == "heatmap warm rerun p50")
    assert verdict["ok"] is False and verdict["measured"] == "MaxRowsError"
    assert report.mark(verdict["ok"]) == "**MISS**"


def _rush(p95: float, *, errors: int = 0, behind: int = 0, over_one: int = 0, rate: float = 5.0, readers: int = 50) -> dict:
    return {
        "saves_per_s": rate,
        "readers": readers,
        "think_s": 10.0,
        "reader": {"n": 100, "p50_ms": p95 / 3, "p95_ms": p95},
        "reader_errors": errors,
        "behind_runs": behind,
        "over_one_behind_runs": over_one,
        "checked_runs": 40,
    }


def _run17(scale: str = "ministry", **extra) -> dict:
    return {"scale": scale, "backend": "sqlite", "pages": {}, **extra}


def _verdict(run: dict, starts: str) -> dict:
    return next(v for v in report.targets17(run) if v["what"].startswith(starts))


def test_the_data_floor_is_judged_against_its_scale():
    floor = {"data_floor": {"statements": 9, "stats": {"n": 30, "p50_ms": 40.0}}}
    assert _verdict(_run17("ministry", **floor), "data floor")["ok"] is False  # ≤ 30 ms at ministry scale
    assert _verdict(_run17("large", **floor), "data floor")["ok"] is True  # ≤ 150 ms at large


def test_a_rerun_after_a_save_may_cost_twice_a_warm_one():
    pages = {"heatmap": {"warm": {"n": 30, "p50_ms": 50.0}}}
    assert _verdict(_run17(pages=pages, after_save={"heatmap": {"n": 15, "p50_ms": 99.0}}), "heatmap: rerun right")["ok"]
    assert not _verdict(_run17(pages=pages, after_save={"heatmap": {"n": 15, "p50_ms": 101.0}}), "heatmap: rerun right")["ok"]


def test_the_rush_misses_on_a_slow_p95_an_error_or_a_reader_more_than_one_run_behind():
    assert _verdict(_run17(rush=[_rush(250)]), "deadline rush")["ok"] is True
    assert _verdict(_run17(rush=[_rush(350)]), "deadline rush")["ok"] is False
    assert _verdict(_run17(rush=[_rush(250, errors=1)]), "deadline rush")["ok"] is False
    assert _verdict(_run17(rush=[_rush(250, behind=3)]), "deadline rush")["ok"] is True  # one run behind: allowed
    assert _verdict(_run17(rush=[_rush(250, behind=3, over_one=1)]), "deadline rush")["ok"] is False
    assert _verdict(_run17(rush=[_rush(250, readers=10)]), "deadline rush")["ok"] is None  # too small to prove it
    assert not [v for v in report.targets17(_run17(rush=[_rush(250, rate=20)])) if "rush" in v["what"]]  # judged at 5/s


def test_exports_have_a_second_and_the_pdf_two():
    exports = [
        {"name": "committee pack PDF", "stats": {"n": 2, "p50_ms": 1900.0}},
        {"name": "committee pack PPTX", "stats": {"n": 2, "p50_ms": 1100.0}},
    ]
    run = _run17(exports=exports)
    assert _verdict(run, "export: committee pack PDF")["ok"] is True
    assert _verdict(run, "export: committee pack PPTX")["ok"] is False
    assert _verdict(_run17("large", exports=exports), "export: committee pack PPTX")["ok"] is True  # ≤ 5 s at large
