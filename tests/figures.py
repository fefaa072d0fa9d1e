"""Figures of the reliability and security suite, printed at the end of every run.

A test adds what it tried and what came of it with `record(request, **counts)`; the counts travel
with the test's report (pytest-xdist sends `user_properties` from the workers), and
`tests/conftest.py` sums them in the terminal summary, so the README can state them:

    reliability and security figures
      inputs tried 412, refused cleanly 301, tracebacks 0
      ...

Counts are only recorded after the test's own assertions passed, so a figure never includes a
case the test found wrong.
"""

from __future__ import annotations

from collections import Counter

import pytest

KEY = "reliability_figures"

# (line label, the counters it shows, in order) — every counter a test records must be in one line
LINES: list[tuple[str, tuple[tuple[str, str], ...]]] = [
    (
        "hostile text",
        (
            ("texts_tried", "strings tried"),
            ("texts_fields", "field writes"),
            ("texts_checked", "places checked"),
            ("texts_rendered_as_markup", "rendered as markup or link"),
        ),
    ),
    (
        "uploads",
        (
            ("inputs_tried", "inputs tried"),
            ("inputs_refused", "refused cleanly"),
            ("tracebacks", "tracebacks"),
            ("rows_changed_by_refusals", "rows changed by a refusal"),
        ),
    ),
    ("access", (("access_attempts", "access attempts"), ("access_refused", "refused"))),
    (
        "durability",
        (
            ("kill_runs", "SIGKILL runs"),
            ("saves_acknowledged", "acknowledged saves"),
            ("saves_lost", "lost"),
            ("audit_mismatches", "audit mismatches"),
        ),
    ),
    ("sessions", (("session_checks", "checks"), ("session_checks_passed", "passed"))),
    ("network", (("outbound_connections", "outbound connections seen"), ("network_checks", "checks"))),
]
KNOWN = {key for _, counters in LINES for key, _ in counters}


def record(request: pytest.FixtureRequest, **counts: int) -> None:
    """Add `counts` to the run's figures (call it after the test's assertions)."""
    unknown = set(counts) - KNOWN
    if unknown:
        raise KeyError(f"unknown reliability figures {sorted(unknown)}: add them to tests.figures.LINES")
    request.node.user_properties.append((KEY, dict(counts)))


def totals(reports) -> Counter:  # pytest TestReports
    total: Counter = Counter()
    for report in reports:
        for name, value in getattr(report, "user_properties", ()):
            if name == KEY:
                total.update(value)
    return total


def summary_lines(total: Counter) -> list[str]:
    lines = []
    for label, counters in LINES:
        if not any(key in total for key, _ in counters):
            continue
        lines.append(f"  {label}: " + ", ".join(f"{text} {total.get(key, 0):,}" for key, text in counters))
    return lines
