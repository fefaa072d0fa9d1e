"""Reading the plan structure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Agency, AlignmentTag, Assignment, Plan, ProgressReport, SubIssue, SubIssueAlignment


def item_weight() -> sa.ColumnElement:
    """What an item (an owner's assignment) counts in weighted progress: its sub-issue's weight
    times its own, so a sub-issue's weight shares its main issue and the plan among sub-issues
    and the owner's weight shares the sub-issue among its owners. Assignment and SubIssue must
    both be in the query."""
    return Assignment.weight * SubIssue.weight


def in_round(report: Any, round_id: Any) -> sa.ColumnElement[bool]:
    """Whether an assignment (and its sub-issue, both in the query) is an item of the round whose
    reports `report` stands for: while neither is archived, and for ever in a round that holds a
    report on it, so archiving takes an item out of new rounds and leaves old rounds as they were.
    `report` is the round's report joined to the assignment, or None when the query has none."""
    live = Assignment.archived_at.is_(None) & SubIssue.archived_at.is_(None)
    if report is not None:
        return live | report.id.is_not(None)
    reported = sa.exists().where(ProgressReport.assignment_id == Assignment.id, ProgressReport.round_id == round_id)
    return live | reported


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


@dataclass(frozen=True)
class Alignment:
    """One entry of the plan's alignment lists and the sub-issues that serve it."""

    tag_id: int
    kind: str  # models.AlignmentKind
    name_th: str
    name_en: str
    sub_issue_ids: frozenset[int]


def alignment(*, session: Session, plan_id: int) -> list[Alignment]:
    """The plan's strategy goals, master plans and ministry plans, in list order, with their sub-issues."""
    subs: dict[int, set[int]] = {}
    for tag_id, sub_id in session.exec(
        select(SubIssueAlignment.tag_id, SubIssueAlignment.sub_issue_id)
        .join(AlignmentTag, AlignmentTag.id == SubIssueAlignment.tag_id)
        .where(AlignmentTag.plan_id == plan_id)
    ):
        subs.setdefault(tag_id, set()).add(sub_id)
    kinds = {"strategy": 0, "master_plan": 1, "ministry_plan": 2}
    tags = session.exec(select(AlignmentTag).where(AlignmentTag.plan_id == plan_id)).all()
    return [
        Alignment(t.id, str(getattr(t.kind, "value", t.kind)), t.name_th, t.name_en, frozenset(subs.get(t.id, ())))
        for t in sorted(tags, key=lambda t: (kinds.get(str(getattr(t.kind, "value", t.kind)), 9), t.sort_order, t.id))
    ]
