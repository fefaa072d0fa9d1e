"""Running rounds on SQLite and PostgreSQL: a close says what it leaves and is refused when that
changed since it was shown; a reopen needs a reason; one open round per fiscal year unless the
secretariat says otherwise; due dates move, never before the period ends; each action is kept."""

from datetime import date

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from models import Round, RoundEvent, RoundState
from services import round_admin
from services.permissions import PermissionDenied
from services.round_admin import Outstanding, RoundError
from tests.helpers import actor, open_round, round_of
from tests.test_progress import GOOD, save


def _do(engine, username, fn, **kwargs):
    who = actor(engine, username)
    with write_session(engine, who) as s:
        return fn(session=s, actor=who, **kwargs)


def _state(engine, round_id) -> str:
    with read_session(engine) as s:
        return str(s.get(Round, round_id).state)


def test_the_close_confirmation_counts_what_is_outstanding(demo_db):
    rid = open_round(demo_db).id
    left = _do(demo_db, "secretariat", round_admin.outstanding, round_id=rid)
    # the demo's open round: 2 without a report, 1 returned, 3 drafts + 2 submitted not approved
    assert left == Outstanding(missing=2, returned=1, unapproved=5)
    rows = {r.round.id: r for r in _do(demo_db, "secretariat", round_admin.round_rows)}
    assert rows[rid].outstanding == left and rows[rid].counts.assignments == 27


def test_a_close_is_refused_when_a_save_changed_what_it_leaves(demo_db):
    rid = open_round(demo_db).id
    shown = _do(demo_db, "secretariat", round_admin.outstanding, round_id=rid)
    save(demo_db, "focal_bla", "BLA", "1.1", GOOD, None, round_id=rid)  # a missing item gets a draft
    with pytest.raises(RoundError, match="changed_since_shown"):
        _do(demo_db, "secretariat", round_admin.close_round, round_id=rid, shown=shown)
    assert _state(demo_db, rid) == "open"
    now = _do(demo_db, "secretariat", round_admin.outstanding, round_id=rid)
    assert (now.missing, now.unapproved) == (shown.missing - 1, shown.unapproved + 1)
    _do(demo_db, "secretariat", round_admin.close_round, round_id=rid, shown=now)
    assert _state(demo_db, rid) == "closed"
    with read_session(demo_db) as s:
        event = s.exec(select(RoundEvent).where(RoundEvent.round_id == rid)).one()
    assert (event.action, event.detail) == ("close", "missing 1, returned 1, unapproved 6")


def test_reopening_a_round_with_reports_needs_a_reason_and_keeps_it(demo_db):
    rid = round_of(demo_db, 2564, 9).id  # closed, fully reported
    with pytest.raises(RoundError, match="reason_required"):
        _do(demo_db, "secretariat", round_admin.open_round, round_id=rid, allow_second=True)
    _do(demo_db, "secretariat", round_admin.open_round, round_id=rid, reason="สนย. ขอแก้ตัวเลข 2.4", allow_second=True)
    assert _state(demo_db, rid) == "open"
    events = _do(demo_db, "secretariat", round_admin.events, round_id=rid)
    assert [(e.action, e.reason) for e in events] == [("reopen", "สนย. ขอแก้ตัวเลข 2.4")]


def test_one_open_round_per_fiscal_year_unless_the_secretariat_says_otherwise(demo_db):
    rid = round_of(demo_db, 2564, 9).id  # FY2564's 12-month round is the open one
    with pytest.raises(RoundError) as exc:
        _do(demo_db, "secretariat", round_admin.open_round, round_id=rid, reason="แก้ไข")
    assert exc.value.message_key == "error.round.other_open" and exc.value.params == {"months": 12, "fy": 2564}
    assert _state(demo_db, rid) == "closed"
    other_year = round_of(demo_db, 2563, 12).id  # another fiscal year: no question asked
    _do(demo_db, "secretariat", round_admin.open_round, round_id=other_year, reason="แก้ไขย้อนหลัง")
    assert _state(demo_db, other_year) == "open"


def test_the_due_date_moves_but_never_before_the_period_ends(demo_db):
    rnd = open_round(demo_db)
    with pytest.raises(RoundError, match="due_before_period_end"):
        _do(demo_db, "secretariat", round_admin.set_due_date, round_id=rnd.id, due_date=date(2021, 9, 1))
    _do(demo_db, "secretariat", round_admin.set_due_date, round_id=rnd.id, due_date=date(2021, 10, 31), reason="ขยายเวลา")
    with read_session(demo_db) as s:
        assert s.get(Round, rnd.id).due_date == date(2021, 10, 31)
    events = _do(demo_db, "secretariat", round_admin.events, round_id=rnd.id)
    assert [(e.action, e.detail, e.reason) for e in events] == [("due", "2021-10-15 -> 2021-10-31", "ขยายเวลา")]


@pytest.mark.parametrize("username", ["chair", "executive", "viewer", "admin", "focal_bla"])
def test_only_the_secretariat_runs_rounds(demo_db, username):
    rid = open_round(demo_db).id
    for fn, kwargs in (
        (round_admin.close_round, {"shown": Outstanding(2, 1, 5)}),
        (round_admin.set_due_date, {"due_date": date(2021, 10, 31)}),
        (round_admin.round_rows, {}),
    ):
        with pytest.raises(PermissionDenied):
            _do(demo_db, username, fn, **({"round_id": rid} if fn is not round_admin.round_rows else {}) | kwargs)
    assert _state(demo_db, rid) == RoundState.open.value


def test_the_agencies_behind_with_their_focal_points(demo_db):
    rid = open_round(demo_db).id
    rows = {a.agency_code: a for a in _do(demo_db, "secretariat", round_admin.behind, round_id=rid)}
    # the demo's open round: drafts OPEC 3.1, BLA 1.3, ONIE 3.3; returned BPS 2.4; submitted OTEPC 1.5, BIE 3.2;
    # BLA 1.1 and ICT 2.5 never reported
    assert {c: (a.not_started, a.draft, a.submitted, a.returned) for c, a in rows.items()} == {
        "OTEPC": (0, 0, 1, 0),
        "ONIE": (0, 1, 0, 0),
        "OPEC": (0, 1, 0, 0),
        "BPS": (0, 0, 0, 1),
        "BIE": (0, 0, 1, 0),
        "BLA": (1, 1, 0, 0),
        "ICT": (1, 0, 0, 0),
    }
    assert [c.display_name for c in rows["BPS"].contacts] == ["ผู้ประสานงาน สนย."]
    assert rows["BLA"].behind and not rows["BIE"].behind  # submitted only: waiting for the secretariat
    assert _do(demo_db, "secretariat", round_admin.behind, round_id=round_of(demo_db, 2564, 9).id) == []
