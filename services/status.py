"""The status of an item: the progress a round expects, and the status that progress suggests.

Expected progress is data of the plan (ExpectedProgress, per round length), with 25/50/75/100 for
a length the plan leaves out; every page, export and validation reads it from here.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from models import ExpectedProgress, ProgressStatus

DEFAULT_EXPECTED = {3: Decimal(25), 6: Decimal(50), 9: Decimal(75), 12: Decimal(100)}


def expected_by_length(*, session: Session, plan_id: int) -> dict[int, Decimal]:
    """The plan's expected progress for every round length (months → %)."""
    rows = session.exec(select(ExpectedProgress.months, ExpectedProgress.pct).where(ExpectedProgress.plan_id == plan_id)).all()
    return DEFAULT_EXPECTED | {int(months): Decimal(pct) for months, pct in rows}


def expected_progress(*, session: Session, plan_id: int, months: int) -> Decimal:
    """Progress expected by the end of a round of `months` (expected_by_length)."""
    return expected_by_length(session=session, plan_id=plan_id)[months]


def suggest_status(progress: Decimal | None, expected: Decimal) -> ProgressStatus | None:
    """Completed at 100 %, not started at 0, delayed below what the round expects, else on track."""
    if progress is None:
        return None
    if progress >= 100:
        return ProgressStatus.completed
    if progress == 0:
        return ProgressStatus.not_started
    if progress < expected:
        return ProgressStatus.delayed
    return ProgressStatus.on_track


def needs_status_reason(status: ProgressStatus | None, suggested: ProgressStatus | None) -> bool:
    """A status other than the suggested one, or a cancelled item, needs a reason."""
    if status is None:
        return False
    return ProgressStatus(status) == ProgressStatus.cancelled or (suggested is not None and status != suggested)
