"""Reporting rounds: creating a plan's rounds and finding one (by id, the current one, the one
before). Running them (opening, closing, due dates) is services/round_admin.py."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from core.thaidate import ROUND_MONTHS, round_period
from models import Plan, Round, RoundState
from services.errors import ProgressError
from services.plans import active_plan

DUE_DAYS_AFTER_PERIOD = 15


def create_rounds(*, session: Session, plan: Plan, state: RoundState = RoundState.closed) -> list[Round]:
    """Every 3/6/9/12-month round of every fiscal year of the plan."""
    rounds = []
    for fy in range(plan.first_fiscal_year, plan.last_fiscal_year + 1):
        for months in ROUND_MONTHS:
            start, end = round_period(fy, months)
            rnd = Round(
                plan_id=plan.id,
                fiscal_year=fy,
                months=months,
                period_start=start,
                period_end=end,
                due_date=end + timedelta(days=DUE_DAYS_AFTER_PERIOD),
                state=state,
            )
            session.add(rnd)
            rounds.append(rnd)
    session.flush()
    return rounds


def get_round(*, session: Session, round_id: int) -> Round:
    """The round `round_id`; a plain refusal (not a crash) when there is none."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise ProgressError("error.unknown_round")
    return rnd


def rounds_of(*, session: Session, plan_id: int) -> list[Round]:
    return list(session.exec(select(Round).where(Round.plan_id == plan_id).order_by(col(Round.fiscal_year), col(Round.months))))


def current_round(*, session: Session, plan_id: int, today: date | None = None) -> Round | None:
    """The open round due soonest; with none open, the latest round that has started."""
    today = today or date.today()
    open_round = session.exec(
        select(Round).where(Round.plan_id == plan_id, Round.state == RoundState.open).order_by(col(Round.due_date))
    ).first()
    if open_round is not None:
        return open_round
    return session.exec(
        select(Round).where(Round.plan_id == plan_id, Round.period_start <= today).order_by(col(Round.period_end).desc())
    ).first()


def previous_round(*, session: Session, rnd: Round) -> Round | None:
    """The round before `rnd` in plan order (crossing fiscal years)."""
    rounds = rounds_of(session=session, plan_id=rnd.plan_id)
    idx = next(i for i, r in enumerate(rounds) if r.id == rnd.id)
    return rounds[idx - 1] if idx > 0 else None


def plan_rounds(*, session: Session, today: date | None = None) -> tuple[list[Round], Round | None]:
    """The active plan's rounds in order and the current one (empty and None with no plan)."""
    plan = active_plan(session=session)
    if plan is None:
        return [], None
    return rounds_of(session=session, plan_id=plan.id), current_round(session=session, plan_id=plan.id, today=today)
