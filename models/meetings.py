"""Working-group meetings and the round each one reviews."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class Meeting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "number", "year_be", name="uq_meeting_number"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    number: int  # ครั้งที่ 3/2563 → number 3, year_be 2563
    year_be: int
    held_on: date
    starts_at: time | None = None
    venue: str = ""
    chair_title: str = ""
    round_id: int | None = Field(default=None, foreign_key="reporting_round.id")
    summary: str = ""
    resolution: str = ""
