"""The plan structure: plans, agencies, main issues, sub-issues and assignments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import enum_column


class PlanBase(SQLModel):
    name_th: str = Field(max_length=300)
    name_en: str = Field(default="", max_length=300)
    first_fiscal_year: int = Field(ge=2500, le=2700)
    last_fiscal_year: int = Field(ge=2500, le=2700)
    is_demo: bool = False  # the demo plan: every page shows a "demo data" marker
    # Whether an item may be submitted without evidence (a link, a file or the evidence text);
    # when not required, submitting without any is allowed and said.
    evidence_required: bool = False


class Plan(PlanBase, table=True):
    __table_args__ = (CheckConstraint("first_fiscal_year <= last_fiscal_year", name="ck_plan_years"),)
    id: int | None = Field(default=None, primary_key=True)


class AgencyBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True)
    name_th: str = Field(max_length=300)
    short_name_th: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=300)
    short_name_en: str = Field(default="", max_length=100)  # English mode's short name; empty: the Thai one
    sort_order: int = 0
    active: bool = True


class Agency(AgencyBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class MainIssueBase(SQLModel):
    plan_id: int = Field(foreign_key="plan.id", index=True)
    number: int = Field(ge=1)
    name_th: str = Field(max_length=500)
    name_en: str = Field(default="", max_length=500)


class MainIssue(MainIssueBase, table=True):
    __tablename__ = "main_issue"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_main_issue_number"),)
    id: int | None = Field(default=None, primary_key=True)


class SubIssueBase(SQLModel):
    main_issue_id: int = Field(foreign_key="main_issue.id", index=True)
    code: str = Field(max_length=20)  # "2.3"
    name_th: str = Field(max_length=500)
    name_en: str = Field(default="", max_length=500)
    description: str = ""
    sort_order: int = 0
    # The sub-issue's share in its main issue and the plan: an item counts weight × its owner's weight.
    weight: Decimal = Field(default=Decimal("1"), sa_type=Numeric(8, 2), ge=0)
    # Archived (by the Plan page or a plan file) instead of deleted once it has reports: it leaves
    # the rounds where nothing was reported on it, while the rounds that hold a report keep it.
    archived_at: datetime | None = None


class SubIssue(SubIssueBase, table=True):
    __tablename__ = "sub_issue"
    __table_args__ = (
        UniqueConstraint("main_issue_id", "code", name="uq_sub_issue_code"),
        CheckConstraint("weight >= 0", name="ck_sub_issue_weight"),
    )
    id: int | None = Field(default=None, primary_key=True)


class AssignmentBase(SQLModel):
    sub_issue_id: int = Field(foreign_key="sub_issue.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    output_text: str = ""
    outcome_text: str = ""
    target_value: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    unit: str = Field(default="", max_length=100)
    unit_en: str = Field(default="", max_length=100)  # the unit in English mode; empty: the Thai one
    weight: Decimal = Field(default=Decimal("1"), sa_type=Numeric(8, 2), ge=0)
    archived_at: datetime | None = None  # as SubIssue.archived_at


class Assignment(AssignmentBase, table=True):
    __table_args__ = (
        UniqueConstraint("sub_issue_id", "agency_id", name="uq_assignment"),
        CheckConstraint("weight >= 0", name="ck_assignment_weight"),
    )
    id: int | None = Field(default=None, primary_key=True)


class ExpectedProgress(SQLModel, table=True):
    """Progress (% of the year's target) expected by the end of each round; thresholds are data."""

    __tablename__ = "expected_progress"
    __table_args__ = (UniqueConstraint("plan_id", "months", name="uq_expected_progress"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    months: int
    pct: Decimal = Field(sa_type=Numeric(5, 2))


class AlignmentKind(StrEnum):
    """What a sub-issue serves: the 20-year national strategy, a master plan, the ministry's plan."""

    strategy = "strategy"
    master_plan = "master_plan"
    ministry_plan = "ministry_plan"


class AlignmentTag(SQLModel, table=True):
    """One entry of a plan's editable list of strategy goals, master plans or ministry plans."""

    __tablename__ = "alignment_tag"
    __table_args__ = (UniqueConstraint("plan_id", "kind", "name_th", name="uq_alignment_tag"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: AlignmentKind = Field(sa_type=enum_column(AlignmentKind))
    name_th: str = Field(max_length=500)
    name_en: str = Field(default="", max_length=500)
    sort_order: int = 0


class SubIssueAlignment(SQLModel, table=True):
    """Which tags a sub-issue carries."""

    __tablename__ = "sub_issue_alignment"
    sub_issue_id: int = Field(foreign_key="sub_issue.id", primary_key=True)
    tag_id: int = Field(foreign_key="alignment_tag.id", primary_key=True, index=True)
