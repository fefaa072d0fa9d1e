"""External evaluation scores (e.g. component 5 "Potential Base") and their level bands."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


class EvaluationLevelBand(SQLModel, table=True):
    """A score band, e.g. 80.00–89.99 → มาตรฐานขั้นสูง. Bands are data, set per fiscal year."""

    __tablename__ = "evaluation_level_band"
    __table_args__ = (UniqueConstraint("fiscal_year", "level_th", name="uq_band"),)
    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int
    min_score: Decimal = Field(sa_type=Numeric(6, 2))
    max_score: Decimal = Field(sa_type=Numeric(6, 2))
    level_th: str = Field(max_length=100)
    level_en: str = Field(default="", max_length=100)


class EvaluationScore(SQLModel, table=True):
    __tablename__ = "evaluation_score"
    __table_args__ = (UniqueConstraint("fiscal_year", "component", name="uq_score"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    fiscal_year: int
    component: str = Field(max_length=200)
    score: Decimal = Field(sa_type=Numeric(6, 2))
    level_th: str = Field(max_length=100)
    level_en: str = Field(default="", max_length=100)
