"""The meeting a round's pack is prepared for: the round's next meeting (services.meetings
records which round a meeting reviews), else its latest one; None when no meeting is recorded
for the round (the pack then says so)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Meeting


@dataclass(frozen=True)
class PackMeeting:
    number: int
    year_be: int
    held_on: date


def meeting_for(*, session: Session, round_id: int, today: date | None = None) -> PackMeeting | None:
    """The first meeting of the round on or after `today`, else the round's latest meeting."""
    today = today or date.today()
    rows = session.exec(
        select(Meeting.number, Meeting.year_be, Meeting.held_on)
        .where(Meeting.round_id == round_id)
        .order_by(col(Meeting.held_on), col(Meeting.year_be), col(Meeting.number))
    ).all()
    if not rows:
        return None
    upcoming = [r for r in rows if r[2] >= today]
    number, year_be, held_on = upcoming[0] if upcoming else rows[-1]
    return PackMeeting(number=int(number), year_be=int(year_be), held_on=held_on)
