"""Evaluation scores and the level bands that name them."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from models import EvaluationLevelBand, EvaluationScore


def level_for(*, session: Session, fiscal_year: int, score: Decimal) -> EvaluationLevelBand | None:
    """The band of `fiscal_year` that contains `score`, or None when no band covers it."""
    return session.exec(
        select(EvaluationLevelBand).where(
            EvaluationLevelBand.fiscal_year == fiscal_year,
            EvaluationLevelBand.min_score <= score,
            EvaluationLevelBand.max_score >= score,
        )
    ).first()


def record_score(*, session: Session, plan_id: int, fiscal_year: int, component: str, score: Decimal) -> EvaluationScore:
    """Store a score with the level its band gives; a score outside every band is refused."""
    if not Decimal(0) <= score <= Decimal(100):
        raise ValueError("a score lies between 0 and 100")
    band = level_for(session=session, fiscal_year=fiscal_year, score=score)
    if band is None:
        raise ValueError(f"no level band for fiscal year {fiscal_year} covers {score}")
    row = EvaluationScore(
        plan_id=plan_id, fiscal_year=fiscal_year, component=component, score=score, level_th=band.level_th, level_en=band.level_en
    )
    session.add(row)
    session.flush()
    return row
