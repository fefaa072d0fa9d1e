"""An item's history: who changed which field when (old → new, from the audit trail), with the
review conversation; and what others changed since a given version (the conflict message)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Assignment, AuditLog, ProgressReport, ReviewEvent
from services.errors import ProgressError
from services.permissions import Actor, require_view
from services.users import display_names

SYSTEM_FIELDS = {"version", "updated_at", "updated_by_id", "submitted_at"}


@dataclass(frozen=True)
class Change:
    """One field changed by someone else since the version the user started from."""

    username: str
    at: datetime
    field: str
    old: str | None
    new: str | None
    who: str = ""  # the person's display name (the username if the account has none or is gone)


def changes_since(session: Session, report: ProgressReport, version: int | None) -> list[Change]:
    """Field changes other people made to `report` after `version` (None: since it was created)."""
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "progress_report", AuditLog.entity_id == str(report.id))
        .order_by(col(AuditLog.id))
    ).all()
    start_id = 0
    if version is not None:
        marker = next((r for r in rows if r.field == "version" and r.new_value == str(version + 1)), None)
        start_id = marker.id if marker else 0
        if marker is not None:  # include the other fields written in the same flush as the marker
            start_id = min(r.id for r in rows if r.at == marker.at and r.username == marker.username)
    rows = [
        r
        for r in rows
        if r.id >= start_id
        and r.field not in SYSTEM_FIELDS
        and r.field not in ("assignment_id", "round_id")
        and not (r.action == "create" and r.new_value in (None, "", "False"))
    ]
    names = display_names(session=session, user_ids={r.user_id for r in rows})
    return [
        Change(
            username=r.username, at=r.at, field=r.field, old=r.old_value, new=r.new_value, who=names.get(r.user_id, r.username)
        )
        for r in rows
    ]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    username: str
    kind: str  # "field" or a review action
    field: str = ""
    old: str | None = None
    new: str | None = None
    comment: str = ""
    who: str = ""  # the person's display name (the username if the account has none or is gone)


def history(*, session: Session, actor: Actor, report_id: int) -> list[HistoryEntry]:
    """Who changed what and when (old → new), with the review conversation, newest first."""
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise ProgressError("error.unknown_report")
    require_view(actor, session.get(Assignment, report.assignment_id).agency_id)
    fields = [
        r
        for r in session.exec(select(AuditLog).where(AuditLog.entity == "progress_report", AuditLog.entity_id == str(report_id)))
        if r.field not in SYSTEM_FIELDS
        and r.field not in ("assignment_id", "round_id")
        and not (r.action == "create" and r.new_value in (None, "", "False"))
    ]
    events = list(session.exec(select(ReviewEvent).where(ReviewEvent.report_id == report_id)))
    names = display_names(session=session, user_ids={r.user_id for r in fields} | {e.user_id for e in events})
    entries = [
        HistoryEntry(
            at=r.at,
            username=r.username,
            kind="field",
            field=r.field,
            old=r.old_value,
            new=r.new_value,
            who=names.get(r.user_id, r.username),
        )
        for r in fields
    ]
    entries += [
        HistoryEntry(at=e.at, username=e.username, kind=e.action, comment=e.comment, who=names.get(e.user_id, e.username))
        for e in events
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)
