"""Reading the plan structure."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import Agency, Plan


def active_plan(*, session: Session) -> Plan | None:
    """The plan users work on: the one with the latest last fiscal year."""
    return session.exec(select(Plan).order_by(col(Plan.last_fiscal_year).desc(), col(Plan.id).desc())).first()


def agencies(*, session: Session, active_only: bool = True) -> list[Agency]:
    query = select(Agency).order_by(col(Agency.sort_order), col(Agency.code))
    if active_only:
        query = query.where(Agency.active == True)
    return list(session.exec(query))


def is_demo(*, session: Session) -> bool:
    """True while any demo plan is in the database: pages then show the demo marker."""
    return session.exec(select(Plan.id).where(Plan.is_demo == True)).first() is not None
