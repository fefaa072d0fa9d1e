"""The working group's meetings: the record (date, venue, chair, who attended), the agenda items
with their text and resolutions (the minutes), the chair's directives and the agencies' answers.

Attendance rows keep the name and position each person had at that meeting, so editing a member
later never rewrites old minutes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import enum_column


class MinutesState(StrEnum):
    draft = "draft"  # the secretariat is writing them
    circulated = "circulated"  # sent to members for comment
    adopted = "adopted"  # adopted at a later meeting (its item 2); locked, corrected only with a reason


class AttendanceKind(StrEnum):
    present = "present"  # ผู้มาประชุม
    substitute = "substitute"  # ผู้มาประชุม through a stand-in ("… แทน …")
    absent = "absent"  # ผู้ไม่มาประชุม (with a reason)
    participant = "participant"  # ผู้เข้าร่วมประชุม (not a member)


class ResolutionKind(StrEnum):
    acknowledge = "acknowledge"  # รับทราบ
    adopt = "adopt"  # รับรอง
    approve = "approve"  # เห็นชอบ
    assign = "assign"  # มอบหมาย
    other = "other"  # written freely


class DirectiveState(StrEnum):
    open = "open"
    done = "done"


class Meeting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "number", "year_be", name="uq_meeting_number"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    number: int  # ครั้งที่ 3/2563 → number 3, year_be 2563 (the calendar BE year of the date)
    year_be: int
    held_on: date
    starts_at: time | None = None
    ends_at: time | None = None
    group_name: str = Field(default="", max_length=500)  # "คณะทำงานติดตามผล…" (the title after รายงานการประชุม)
    venue: str = ""
    chair_name: str = Field(default="", max_length=200)
    chair_title: str = ""  # the chair's position
    round_id: int | None = Field(default=None, foreign_key="reporting_round.id")
    note_taker_name: str = Field(default="", max_length=200)
    note_taker_position: str = Field(default="", max_length=200)
    checker_name: str = Field(default="", max_length=200)
    checker_position: str = Field(default="", max_length=200)
    minutes_state: MinutesState = Field(default=MinutesState.draft, sa_type=enum_column(MinutesState))
    circulated_on: date | None = None
    adopted_in_meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    adoption_corrections: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int = 1


class WorkingGroupMember(SQLModel, table=True):
    """A member of the working group, reused from meeting to meeting."""

    __tablename__ = "working_group_member"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)
    group_role: str = Field(default="", max_length=200)  # ประธานคณะทำงาน, คณะทำงาน, คณะทำงานและเลขานุการ
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    sort_order: int = 0
    active: bool = True


class Attendance(SQLModel, table=True):
    """One line of a meeting's attendance lists."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance_member"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="working_group_member.id")  # None: a participant
    kind: AttendanceKind = Field(sa_type=enum_column(AttendanceKind))
    name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)
    group_role: str = Field(default="", max_length=200)
    stand_in_name: str = Field(default="", max_length=200)
    stand_in_position: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=200)  # why a member was absent (ติดราชการ)
    sort_order: int = 0


class AgendaItem(SQLModel, table=True):
    """A sub-item of one of the six standard agenda items, with its text and resolution.

    `auto_key` marks what the agenda draft wrote ("previous_minutes", "round_results",
    "directive:<id>"); `edited` turns true once a person changes it, and a re-draft then
    leaves it alone."""

    __tablename__ = "agenda_item"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    section: int  # ระเบียบวาระที่ 1–6
    position: int = 0  # order within the section (1.1, 1.2 …)
    title: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    resolution_kind: str = Field(default="", max_length=20)  # a ResolutionKind value, or "" for none yet
    resolution: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    auto_key: str = Field(default="", max_length=40)
    edited: bool = False
    version: int = 1


class Directive(SQLModel, table=True):
    """A chair's directive (ข้อสั่งการของประธาน), recorded on an agenda item."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date
    state: DirectiveState = Field(default=DirectiveState.open, sa_type=enum_column(DirectiveState))
    secretariat_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1


class DirectiveAgency(SQLModel, table=True):
    """An agency a directive is assigned to."""

    __tablename__ = "directive_agency"
    directive_id: int = Field(foreign_key="directive.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class DirectiveAnswer(SQLModel, table=True):
    """What an assigned agency did about a directive, with its evidence (a link, a file or both).
    Answers accumulate; the newest is the agency's latest answer."""

    __tablename__ = "directive_answer"
    id: int | None = Field(default=None, primary_key=True)
    directive_id: int = Field(foreign_key="directive.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    evidence_url: str = Field(default="", max_length=2000)
    file_name: str = Field(default="", max_length=255)  # as the user gave it; only shown
    stored_name: str = Field(default="", max_length=80)  # generated; the file lives in the evidence folder
    content_type: str = Field(default="", max_length=120)
    size_bytes: int = 0
    answered_at: datetime
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class MinutesCorrection(SQLModel, table=True):
    """A change to adopted minutes: what changed, from what to what, and why."""

    __tablename__ = "minutes_correction"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    field_name: str = Field(max_length=40)
    old_value: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    new_value: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime
    by_id: int | None = Field(default=None, foreign_key="app_user.id")
