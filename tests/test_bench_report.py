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
