"""Progress reports: what an agency files for one item in one round, its evidence, and the
review conversation around it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import ProgressStatus, SubmissionState, enum_column


class ProgressReportBase(SQLModel):
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    round_id: int = Field(foreign_key="reporting_round.id")  # indexed by ix_progress_report_round_progress
    progress_pct: Decimal | None = Field(default=None, sa_type=Numeric(5, 2), ge=0, le=100)
    actual_value: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    status: ProgressStatus | None = Field(default=None, sa_type=enum_column(ProgressStatus))
    status_reason: str = ""
    achievements: str = ""
    obstacles: str = ""
    next_steps: str = ""
    evidence: str = ""
    notable: bool = False  # a highlight the agency wants the chair to see
    review_comment: str = ""  # the secretariat's comment when returning the item
    submission_state: SubmissionState = Field(default=SubmissionState.draft, sa_type=enum_column(SubmissionState))


class ProgressReport(ProgressReportBase, table=True):
    __tablename__ = "progress_report"
    __table_args__ = (
        UniqueConstraint("assignment_id", "round_id", name="uq_report"),
        # a round's reports and their figures read from the index alone (the plan's trend and
        # the progress banked in earlier years: services.overview.history)
        Index("ix_progress_report_round_progress", "round_id", "assignment_id", "progress_pct"),
        # a round's highlights found from its notable reports alone (services.overview.highlights)
        Index(
            "ix_progress_report_notable",
            "round_id",
            sqlite_where=sa.text("notable = 1"),
            postgresql_where=sa.text("notable"),
        ),
        CheckConstraint(
            "progress_pct IS NULL OR (progress_pct >= 0 AND progress_pct <= 100)",
            name="ck_report_progress",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1)  # optimistic concurrency: bumped on every save
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime | None = None
    submitted_at: datetime | None = None


class Evidence(SQLModel, table=True):
    """A link or an uploaded file backing a progress report. Files live outside the web root
    under generated names; `original_name` is only shown, never used as a path."""

    __tablename__ = "evidence"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="progress_report.id", index=True)
    kind: str = Field(max_length=10)  # "link" or "file"
    url: str = Field(default="", max_length=2000)
    original_name: str = Field(default="", max_length=255)
    stored_name: str = Field(default="", max_length=80)
    content_type: str = Field(default="", max_length=120)
    size_bytes: int = 0
    uploaded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    uploaded_at: datetime | None = None
    removed: bool = False


class ReviewEvent(SQLModel, table=True):
    """The review conversation of a report: submit, approve, return (with comment), answer,
    and corrections after a round closed (with their reason). Append-only by convention."""

    __tablename__ = "review_event"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="progress_report.id", index=True)
    at: datetime
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    username: str = Field(max_length=64)
    action: str = Field(max_length=20)
    comment: str = ""
    version: int = 0
