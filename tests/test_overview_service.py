"""The chair's overview: headline figures against the demo's known states and against an
independent recomputation from the database (plain SQL, plain Python), trend, projection,
attention, highlights, evaluation history and the per-agency table."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from core.db import read_session, write_session
from core.i18n import catalog
from models import ProgressReport
from services import demo, heatmap, overview
from services.permissions import Actor
from tests.helpers import open_round, report, round_of

CURRENT = (2564, 12)
DONE = {"submitted", "approved"}


# ----------------------------------------------------------------------------- independent figures
def _independent_headline(engine, round_id: int) -> dict:
    """Every headline figure from plain SQL rows and plain Python (no services.heatmap/overview)."""
    with engine.connect() as conn:
        rnd = conn.execute(
            sa.text("SELECT plan_id, fiscal_year, months FROM reporting_round WHERE id = :r"), {"r": round_id}
        ).one()
        rounds = conn.execute(
            sa.text("SELECT id FROM reporting_round WHERE plan_id = :p ORDER BY fiscal_year, months"), {"p": rnd.plan_id}
        ).all()
        items = conn.execute(
            sa.text(
                "SELECT a.id, a.weight, g.code, m.number FROM assignment a "
                "JOIN agency g ON g.id = a.agency_id JOIN sub_issue s ON s.id = a.sub_issue_id "
                "JOIN main_issue m ON m.id = s.main_issue_id WHERE m.plan_id = :p AND g.active = :t"
            ),
            {"p": rnd.plan_id, "t": True},
        ).all()
        reports = conn.execute(
            sa.text("SELECT assignment_id, round_id, progress_pct, status, submission_state FROM progress_report")
        ).all()
        expected = conn.execute(
            sa.text("SELECT pct FROM expected_progress WHERE plan_id = :p AND months = :m"), {"p": rnd.plan_id, "m": rnd.months}
        ).scalar()
    by_key = {(r.assignment_id, r.round_id): r for r in reports}

    def weighted(rid: int, number: int | None = None) -> float | None:
        num = den = Decimal(0)
        for item in items:
            if number is not None and item.number != number:
                continue
            rep = by_key.get((item.id, rid))
            progress = Decimal(str(rep.progress_pct)) if rep is not None and rep.progress_pct is not None else Decimal(0)
            num += Decimal(str(item.weight)) * progress
            den += Decimal(str(item.weight))
        return float(num / den) if den else None

    agencies: dict[str, list] = {}
    for item in items:
        agencies.setdefault(item.code, []).append(by_key.get((item.id, round_id)))
    mine = [by_key.get((item.id, round_id)) for item in items]
    ids = [r.id for r in rounds]
    prev = ids[ids.index(round_id) - 1] if ids.index(round_id) > 0 else None
    overall = weighted(round_id)
    previous_overall = weighted(prev) if prev else None
    return {
        "fiscal_year": rnd.fiscal_year,
        "months": rnd.months,
        "overall": overall,
        "expected_progress": float(expected) if expected is not None else None,
        "mains": {n: weighted(round_id, n) for n in sorted({i.number for i in items})},
        "agencies_total": len(agencies),
        "agencies_reported": sum(all(r is not None and r.submission_state in DONE for r in reps) for reps in agencies.values()),
        "agencies_approved": sum(
            all(r is not None and r.submission_state == "approved" for r in reps) for reps in agencies.values()
        ),
        "items_assigned": len(items),
        "items_delayed": sum(r is not None and r.status == "delayed" for r in mine),
        "items_returned": sum(r is not None and r.submission_state == "returned" for r in mine),
        "items_not_reported": sum(r is None for r in mine),
        "previous_round_id": prev,
        "previous_overall": previous_overall,
        "change": overall - previous_overall if prev else None,
    }


def test_every_headline_figure_matches_an_independent_computation(demo_db):
    for fy, months in (CURRENT, (2564, 3), (2563, 9), (2562, 3)):
        _check_headline(demo_db, round_of(demo_db, fy, months).id)


def _check_headline(engine, rid: int) -> None:
    expected = _independent_headline(engine, rid)
    with read_session(engine) as s:
        h = overview.headline(session=s, round_id=rid)
    close = pytest.approx
    assert (h.fiscal_year, h.months) == (expected["fiscal_year"], expected["months"])
    assert h.overall == close(expected["overall"])
    assert h.expected_progress == expected["expected_progress"]
    assert {m.number: m.weighted_progress for m in h.main_issues} == close(expected["mains"])
    assert all(m.expected_progress == expected["expected_progress"] for m in h.main_issues)
    for name in (
        "agencies_total",
        "agencies_reported",
        "agencies_approved",
        "items_assigned",
        "items_delayed",
        "items_returned",
        "items_not_reported",
        "previous_round_id",
    ):
        assert getattr(h, name) == expected[name], name
    if expected["change"] is None:
        assert h.change is None and h.previous_overall is None
    else:
        assert h.previous_overall == close(expected["previous_overall"])
        assert h.change == close(expected["change"])


# ----------------------------------------------------------------------------- the demo's known states
def _open_round_incomplete() -> tuple[set[str], set[str]]:
    """Agencies not fully submitted / not fully approved in the open round, from demo.py's tables."""
    missing = {a for (a, _, fy, m) in demo.UNREPORTED if (fy, m) == CURRENT}
    not_submitted = {a for (a, _), st in demo.OPEN_ROUND_STATES.items() if st.value not in DONE} | missing
    not_approved = {a for (a, _), st in demo.OPEN_ROUND_STATES.items() if st.value != "approved"} | missing
    return not_submitted, not_approved


def test_headline_of_the_open_round_follows_the_demo_states(demo_db):
    rnd = open_round(demo_db)
    with read_session(demo_db) as s:
        h = overview.headline(session=s, round_id=rnd.id)
        previous = heatmap.overall(session=s, round_id=round_of(demo_db, 2564, 9).id)
    not_submitted, not_approved = _open_round_incomplete()
    assert (h.fiscal_year, h.months) == CURRENT
    assert h.agencies_total == len(demo.FOCAL_CODES) == 7
    assert h.agencies_reported == 7 - len(not_submitted) == 2  # OTEPC and BIE
    assert h.agencies_approved == 7 - len(not_approved) == 0
    assert h.items_assigned == 27
    assert h.items_not_reported == 2  # ICT 2.5 and BLA 1.1
    assert h.items_returned == 1  # BPS 2.4
    assert h.items_delayed == 3  # the slow BLA 1.3 and BPS 2.4, and ONIE 2.5 just short of 100
    assert h.expected_progress == 100.0
    assert [m.number for m in h.main_issues] == [1, 2, 3]
    assert h.main_issues[1].name_th == "การพัฒนาฐานข้อมูล Big Data ของกระทรวง"
    assert (h.previous_fiscal_year, h.previous_months) == (2564, 9)
    assert h.change == pytest.approx(h.overall - previous)


def test_headline_of_a_fully_approved_round_and_of_the_first_round(demo_db):
    with read_session(demo_db) as s:
        nine = overview.headline(session=s, round_id=round_of(demo_db, 2563, 9).id)
        first = overview.headline(session=s, round_id=round_of(demo_db, 2562, 3).id)
        fy_start = overview.headline(session=s, round_id=round_of(demo_db, 2563, 3).id)
    assert (nine.agencies_reported, nine.agencies_approved, nine.items_not_reported, nine.items_returned) == (7, 7, 0, 0)
    assert nine.expected_progress == 75.0
    assert first.items_not_reported == 1  # BLA 1.3 in FY2562's 3-month round
    assert (first.agencies_reported, first.agencies_approved) == (6, 6)
    assert first.previous_round_id is None and first.change is None
    assert (fy_start.previous_fiscal_year, fy_start.previous_months) == (2562, 12)
    assert fy_start.change < 0  # progress is a share of the year's target: a new year starts low


def test_agency_table_counts(demo_db):
    rid = open_round(demo_db).id
    with read_session(demo_db) as s:
        table = overview.agency_table(session=s, round_id=rid)
        h = overview.headline(session=s, round_id=rid)
        margins = heatmap.by_agency(session=s, round_id=rid)
    assert list(table.columns) == overview.AGENCY_COLUMNS
    assert list(table["agency_code"]) == list(demo.FOCAL_CODES)
    t = table.set_index("agency_code")
    assert t.loc["BLA", ["assigned", "reported", "submitted", "not_reported", "delayed"]].tolist() == [2, 1, 0, 1, 1]
    assert t.loc["BPS", "returned"] == 1 and not t.loc["BPS", "complete"]
    assert t.loc["OTEPC", "complete"] and not t.loc["OTEPC", "all_approved"]  # 1.5 is submitted, not approved
    assert t.loc["OTEPC", "agency_short_name"] == "สำนักงาน ก.ค.ศ."
    assert table["weighted_progress"].tolist() == pytest.approx(margins["weighted_progress"].astype(float).tolist())
    assert int(table["not_reported"].sum()) == h.items_not_reported
    assert int(table["complete"].sum()) == h.agencies_reported


# ----------------------------------------------------------------------------- trend
def test_trend_has_every_round_up_to_the_chosen_one_as_the_heatmap_computes_it(demo_db):
    upto = round_of(demo_db, 2563, 9)
    with read_session(demo_db) as s:
        full = overview.trend(session=s, plan_id=upto.plan_id)  # default: up to the current round
        part = overview.trend(session=s, plan_id=upto.plan_id, up_to_round_id=upto.id)
        rid = round_of(demo_db, 2562, 9).id
        check_overall = heatmap.overall(session=s, round_id=rid)
        check_mains = heatmap.by_main_issue(session=s, round_id=rid).set_index("main_issue_number")["weighted_progress"]
    assert list(full.columns) == overview.TREND_COLUMNS
    assert len(full) == 12 * 4 and len(part) == 7 * 4
    assert list(full["series"][:4]) == ["overall", "1", "2", "3"]
    assert list(dict.fromkeys(zip(part["fiscal_year"], part["months"], strict=True)))[-1] == (2563, 9)
    row = full[(full["fiscal_year"] == 2562) & (full["months"] == 9)].set_index("series")
    assert row.loc["overall", "actual"] == pytest.approx(check_overall)
    assert {int(k): row.loc[str(k), "actual"] for k in (1, 2, 3)} == pytest.approx(
        {int(k): float(v) for k, v in check_mains.items()}
    )
    assert dict(zip(full["months"], full["expected"], strict=True)) == {3: 25.0, 6: 50.0, 9: 75.0, 12: 100.0}


# ----------------------------------------------------------------------------- projection
def _independent_projection(engine, round_id: int) -> dict[tuple[str, str], float]:
    with engine.connect() as conn:
        plan = conn.execute(
            sa.text(
                "SELECT p.first_fiscal_year, p.last_fiscal_year, r.fiscal_year, r.months FROM reporting_round r "
                "JOIN plan p ON p.id = r.plan_id WHERE r.id = :r"
            ),
            {"r": round_id},
        ).one()
        rows = conn.execute(
            sa.text(
                "SELECT g.code AS agency, s.code AS sub, r.id AS round_id, r.fiscal_year, r.months, pr.progress_pct "
                "FROM assignment a JOIN agency g ON g.id = a.agency_id JOIN sub_issue s ON s.id = a.sub_issue_id "
                "CROSS JOIN reporting_round r "
                "LEFT JOIN progress_report pr ON pr.assignment_id = a.id AND pr.round_id = r.id"
            )
        ).all()
    years = plan.last_fiscal_year - plan.first_fiscal_year + 1
    elapsed = (12 * (plan.fiscal_year - plan.first_fiscal_year) + plan.months) / (12 * years)
    sums: dict[tuple[str, str], float] = {}
    for r in rows:
        counts = r.round_id == round_id or (r.months == 12 and r.fiscal_year < plan.fiscal_year)
        sums.setdefault((r.agency, r.sub), 0.0)
        if counts and r.progress_pct is not None:
            sums[(r.agency, r.sub)] += float(r.progress_pct)
    return {k: v / years / elapsed for k, v in sums.items()}


def test_projection_lists_exactly_the_items_projected_below_100(demo_db):
    for fy, months in (CURRENT, (2563, 9)):
        _check_projection(demo_db, fy, months)


def _check_projection(demo_db, fy: int, months: int) -> None:
    rid = round_of(demo_db, fy, months).id
    with read_session(demo_db) as s:
        frame = overview.projection(session=s, round_id=rid)
    projected = _independent_projection(demo_db, rid)
    listed = {(a, c): v for a, c, v in zip(frame["agency_code"], frame["sub_issue_code"], frame["projected_end"], strict=True)}
    assert listed == pytest.approx({k: v for k, v in projected.items() if v < 100})
    assert list(frame["projected_end"]) == sorted(frame["projected_end"])
    slow = {(a, c) for (a, c, y) in demo.SLOW if y <= fy}
    unreported_now = {(a, c) for (a, c, y, m) in demo.UNREPORTED if (y, m) == (fy, months)}
    assert slow | unreported_now <= set(listed)
    if (fy, months) == CURRENT:
        assert (frame["elapsed_share"] == 1.0).all()
        assert pd.isna(frame.set_index(["agency_code", "sub_issue_code"]).loc[("BLA", "1.1"), "progress_pct"])


# ----------------------------------------------------------------------------- attention
def test_attention_has_each_kind_with_its_heatmap_link(demo_db):
    rnd = open_round(demo_db)
    prev = round_of(demo_db, 2564, 9)
    draft = report(demo_db, "BLA", "1.3", rnd.id)
    before = report(demo_db, "BLA", "1.3", prev.id)
    done_now = report(demo_db, "OTEPC", "1.1", rnd.id)
    done_before = report(demo_db, "OTEPC", "1.1", prev.id)
    assert done_now.progress_pct == 100
    with write_session(demo_db, Actor.system("test")) as s:  # no progress since the previous round
        s.get(ProgressReport, draft.id).progress_pct = before.progress_pct
        s.get(ProgressReport, done_before.id).progress_pct = Decimal(100)  # completed: never "no change"
    with read_session(demo_db) as s:
        frame = overview.attention(session=s, round_id=rnd.id)
    assert list(frame.columns) == overview.ATTENTION_COLUMNS
    kinds = {k: set(zip(g["agency_code"], g["sub_issue_code"], strict=True)) for k, g in frame.groupby("kind")}
    assert kinds["not_reported"] == {("BLA", "1.1"), ("ICT", "2.5")}
    assert kinds["returned"] == {("BPS", "2.4")}
    assert {("BLA", "1.3"), ("BPS", "2.4")} <= kinds["delayed"]
    assert kinds["no_change"] == {("BLA", "1.3")}
    assert list(dict.fromkeys(frame["kind"])) == list(overview.ATTENTION_KINDS)
    row = frame[frame["kind"] == "not_reported"].iloc[0]
    assert (row["fy"], row["m"], row["cell"]) == (2564, 12, "BLA~1.1")
    assert row["heatmap_query"] == "heatmap?fy=2564&m=12&cell=BLA~1.1"
    assert row["agency_short_name"] == "สนก." and row["sub_issue_name_th"].startswith("ลดขั้นตอน")
    assert all(f"overview.kind.{k}" in catalog() for k in overview.ATTENTION_KINDS)


# ----------------------------------------------------------------------------- highlights, evaluation, bundle
def test_highlights_are_the_notable_reports_of_the_round(demo_db):
    with read_session(demo_db) as s:
        nine = overview.highlights(session=s, round_id=round_of(demo_db, 2563, 9).id)
        now = overview.highlights(session=s, round_id=open_round(demo_db).id)
    assert list(nine.columns) == overview.HIGHLIGHT_COLUMNS
    texts = {(a, c): text for a, c, text in zip(nine["agency_code"], nine["sub_issue_code"], nine["achievements"], strict=True)}
    assert texts == {(a, c): text for (a, c, _, _), text in demo.NOTABLE.items()}
    assert now.empty


def test_evaluation_history_and_the_bundle(demo_db):
    rnd = open_round(demo_db)
    with read_session(demo_db) as s:
        history = overview.evaluation_history(session=s, plan_id=rnd.plan_id)
        latest = overview.latest_evaluation(session=s, plan_id=rnd.plan_id)
        bundle = overview.round_overview(session=s, round_id=rnd.id)
        first = overview.round_overview(session=s, round_id=round_of(demo_db, 2562, 3).id)
        h = overview.headline(session=s, round_id=rnd.id)
        attention = overview.attention(session=s, round_id=rnd.id)
        projection = overview.projection(session=s, round_id=rnd.id)
        agencies = overview.agency_table(session=s, round_id=rnd.id)
    assert list(history.columns) == overview.EVALUATION_COLUMNS
    assert history[["fiscal_year", "score", "level_th"]].values.tolist() == [[2562, 85.0, "มาตรฐานขั้นสูง"]]
    assert (latest.fiscal_year, latest.score, latest.level_en) == (2562, 85.0, "Advanced standard")
    assert bundle.latest_evaluation == latest
    assert first.latest_evaluation is None  # FY2562's score is published after FY2562 ends
    assert bundle.headline == h
    assert bundle.plan.is_demo and (bundle.round.fiscal_year, bundle.round.months, bundle.round.state) == (2564, 12, "open")
    assert bundle.attention.equals(attention)
    assert bundle.projection.equals(projection)
    assert bundle.agencies.equals(agencies)
    assert len(bundle.cells) == 7 * 13 and "agency_name_en" in bundle.cells
    assert bundle.trend["round_id"].iloc[-1] == rnd.id


@pytest.mark.parametrize(
    ("value", "pct", "change"),
    [(None, "–", "–"), (89.64853, "89.6", "+89.6"), (0.04, "0.0", "0.0"), (-1.0, "-1.0", "-1.0"), (100.0, "100.0", "+100.0")],
)
def test_formatting(value, pct, change):
    assert overview.fmt_pct(value) == pct
    assert overview.fmt_change(value) == change
