"""Small lookups shared by service tests."""

from sqlmodel import select

from core.db import read_session
from models import Agency, Assignment, ProgressReport, Round, RoundState, SubIssue
from services import users


def actor(engine, username):
    with read_session(engine) as s:
        return users.actor_for(users.get_by_username(session=s, username=username))


def open_round(engine) -> Round:
    with read_session(engine) as s:
        return s.exec(select(Round).where(Round.state == RoundState.open)).one()


def round_of(engine, fy: int, months: int) -> Round:
    with read_session(engine) as s:
        return s.exec(select(Round).where(Round.fiscal_year == fy, Round.months == months)).one()


def assignment(engine, agency_code: str, sub_code: str) -> Assignment:
    with read_session(engine) as s:
        return s.exec(
            select(Assignment)
            .join(Agency, Agency.id == Assignment.agency_id)
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .where(Agency.code == agency_code, SubIssue.code == sub_code)
        ).one()


def agency_id(engine, code: str) -> int:
    with read_session(engine) as s:
        return s.exec(select(Agency.id).where(Agency.code == code)).one()


def report(engine, agency_code: str, sub_code: str, round_id: int) -> ProgressReport | None:
    a = assignment(engine, agency_code, sub_code)
    with read_session(engine) as s:
        return s.exec(
            select(ProgressReport).where(ProgressReport.assignment_id == a.id, ProgressReport.round_id == round_id)
        ).first()
