"""The demo data set says what the minutes say, and behaves like a plan in progress."""

from collections import defaultdict
from datetime import date, time
from decimal import Decimal

from sqlmodel import col, select

from core.db import read_session
from models import (
    Agency,
    Assignment,
    EvaluationScore,
    MainIssue,
    Meeting,
    Plan,
    ProgressReport,
    ProgressStatus,
    Round,
    RoundState,
    SubIssue,
    SubmissionState,
    User,
)
from services import plans


def test_structure_matches_the_minutes(demo_db):
    with read_session(demo_db) as s:
        agencies = [(a.code, a.short_name_th) for a in plans.agencies(session=s)]
        mains = s.exec(select(MainIssue).order_by(MainIssue.number)).all()
        subs = s.exec(select(SubIssue)).all()
        plan = s.exec(select(Plan)).one()
    assert agencies == [
        ("OTEPC", "สำนักงาน ก.ค.ศ."),
        ("ONIE", "สำนักงาน กศน."),
        ("OPEC", "สช."),
        ("BPS", "สนย."),
        ("BIE", "สตป."),
        ("BLA", "สนก."),
        ("ICT", "ศทก."),
    ]
    assert [m.number for m in mains] == [1, 2, 3]
    assert mains[1].name_th == "การพัฒนาฐานข้อมูล Big Data ของกระทรวง"
    assert len(subs) == 13
    assert all("(ตัวอย่าง)" in sub.name_th for sub in subs), "illustrative names are marked as such"
    assert (plan.first_fiscal_year, plan.last_fiscal_year, plan.is_demo) == (2562, 2564, True)


def test_every_round_of_fy2562_to_2564_with_one_open(demo_db):
    with read_session(demo_db) as s:
        rounds = s.exec(select(Round).order_by(Round.fiscal_year, Round.months)).all()
    assert [(r.fiscal_year, r.months) for r in rounds] == [(fy, m) for fy in (2562, 2563, 2564) for m in (3, 6, 9, 12)]
    assert [(r.fiscal_year, r.months) for r in rounds if r.state == RoundState.open] == [(2564, 12)]
    nine = next(r for r in rounds if (r.fiscal_year, r.months) == (2563, 9))
    assert (nine.period_start, nine.period_end) == (date(2019, 10, 1), date(2020, 6, 30))


def test_progress_rises_within_each_year_with_delays_and_gaps(demo_db):
    with read_session(demo_db) as s:
        rows = s.exec(
            select(ProgressReport, Round.fiscal_year, Round.months)
            .join(Round, Round.id == ProgressReport.round_id)
            .order_by(col(Round.fiscal_year), col(Round.months))
        ).all()
        n_assignments = len(s.exec(select(Assignment)).all())
    series = defaultdict(list)
    for report, fy, _months in rows:
        series[(report.assignment_id, fy)].append(report.progress_pct)
    rising = sum(all(a <= b for a, b in zip(v, v[1:], strict=False)) for v in series.values())
    assert rising / len(series) > 0.9  # noise allows a rare dip, as in real reports
    assert len(rows) < n_assignments * 12  # some cells never reported
    assert sum(r.status == ProgressStatus.delayed for r, _, _ in rows) >= 3
    open_states = {r.submission_state for r, fy, m in rows if (fy, m) == (2564, 12)}
    assert open_states == set(SubmissionState)


def test_narratives_score_and_meeting_from_the_minutes(demo_db):
    with read_session(demo_db) as s:
        notable = s.exec(
            select(ProgressReport.achievements, Agency.code)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Agency, Agency.id == Assignment.agency_id)
            .where(ProgressReport.notable == True)
        ).all()
        score = s.exec(select(EvaluationScore)).one()
        meeting = s.exec(select(Meeting)).one()
        reviewed = s.get(Round, meeting.round_id)
    texts = {code: text for text, code in notable}
    assert "e-Inspection" in texts["BIE"] and "Covid-19" in texts["BIE"]
    assert "ออนไลน์" in texts["OPEC"]
    assert (score.fiscal_year, score.score, score.level_th) == (2562, Decimal("85.00"), "มาตรฐานขั้นสูง")
    assert "Potential Base" in score.component
    assert (meeting.number, meeting.year_be, meeting.held_on, meeting.starts_at) == (3, 2563, date(2020, 6, 26), time(9, 30))
    assert (reviewed.fiscal_year, reviewed.months) == (2563, 9)


def test_demo_accounts_carry_role_titles(demo_db):
    with read_session(demo_db) as s:
        people = {u.username: u for u in s.exec(select(User))}
    expected = {"admin", "secretariat", "chair", "executive", "viewer"} | {
        f"focal_{c}" for c in ("otepc", "onie", "opec", "bps", "bie", "bla", "ict")
    }
    assert set(people) == expected
    assert people["focal_bie"].agency_id is not None
    assert "ดร." not in "".join(u.display_name for u in people.values())
