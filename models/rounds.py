"""Reporting rounds: the 3/6/9/12-month periods of a fiscal year agencies report in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import RoundState, enum_column


class RoundBase(SQLModel):
    plan_id: int = Field(foreign_key="plan.id", index=True)
    fiscal_year: int = Field(ge=2500, le=2700)  # Buddhist Era
    months: int  # 3, 6, 9 or 12, cumulative from 1 October
    period_start: date
    period_end: date
    due_date: date
    state: RoundState = Field(default=RoundState.open, sa_type=enum_column(RoundState))


class Round(RoundBase, table=True):
    __tablename__ = "reporting_round"
    __table_args__ = (
        UniqueConstraint("plan_id", "fiscal_year", "months", name="uq_round"),
        CheckConstraint("months IN (3, 6, 9, 12)", name="ck_round_months"),
        CheckConstraint("period_start <= period_end", name="ck_round_period"),
    )
    id: int | None = Field(default=None, primary_key=True)


class RoundEvent(SQLModel, table=True):
    """What was done to a round and why: opened, closed (with what was still outstanding),
    reopened (with the reason), its due date moved. Append-only by convention."""

    __tablename__ = "round_event"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="reporting_round.id", index=True)
    at: datetime
    action: str = Field(max_length=20)  # open, close, reopen, due
    detail: str = Field(default="", max_length=500)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Reminder(SQLModel, table=True):
    """A reminder sent to an agency about a round: shown on its focal points' home page until the
    agency has nothing left to send, and e-mailed when a mail server is set. `email_status` says
    what happened to the e-mail: sent, off (no mail server), no_address, or failed (with why)."""

    __tablename__ = "reminder"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="reporting_round.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    sent_at: datetime
    by_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the `cli.py remind` job
    missing: str = Field(default="", max_length=500)  # what was outstanding, as the reminder said it
    recipients: str = Field(default="", max_length=2000)
    email_status: str = Field(default="off", max_length=20)
    email_error: str = Field(default="", max_length=500)


class DigestRecipient(SQLModel, table=True):
    """Who receives the chair's digest (the committee pack of a round, e-mailed)."""

    __tablename__ = "digest_recipient"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=200, unique=True)
    active: bool = True
    added_at: datetime


class DigestLog(SQLModel, table=True):
    """One digest sent (or tried): the round, when, by whom, to whom, and what became of it."""

    __tablename__ = "digest_log"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="reporting_round.id", index=True)
    sent_at: datetime
    by_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the `cli.py digest` job
    recipients: str = Field(default="", max_length=4000)
    status: str = Field(default="off", max_length=20)  # sent, off, no_recipients, failed
    error: str = Field(default="", max_length=500)
    pdf_bytes: int = 0
