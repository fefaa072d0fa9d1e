"""Writes audit rows for every change flushed through a Session, in the same transaction.

A `before_flush` listener looks at new, changed and deleted rows and adds one AuditLog row per
changed field: who (the session's actor), what (entity, id, field), when, old and new value.
A flush that changes data without an actor is refused, so no write can skip the trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

from models.audit import AuditLog

# Fields whose values never enter the trail (only the fact that they changed).
REDACTED_FIELDS = {"password_hash", "token_hash", "ticket_hash"}
# Login bookkeeping (and the language a person chose), per table: audited like any field, but no
# cached read shows it (services.users checks lockouts against the database), so a write that changes only these leaves the data
# version alone. Otherwise every login would empty every process's caches: at a committee
# session fifty people log in within a minute, and each next page would recompute its aggregates.
UNVERSIONED_FIELDS = {"app_user": frozenset({"last_login_at", "failed_login_count", "locked_until", "language"})}
# Tables no cached read shows at all: login sessions (services.login_sessions) are checked against
# the database on every run, so starting or ending one leaves the data version alone.
UNVERSIONED_TABLES = frozenset({"login_session"})
SYSTEM_USERNAME = "system"
# A report and what hangs on it: a transaction that writes only these leaves the plan, rounds and
# accounts as they were (core.db.PLAN_VERSION_ID: their caches keep through a deadline's saves).
REPORT_TABLES = frozenset({"progress_report", "evidence", "review_event"})
# Tables no round's figures (services.heatmap.round_grid, services.overview.round_overview) are
# built from: a write that changes only these moves the data version but leaves a cached round
# grid as it is (core.db.bump_data_version records each version's scope in `data_change`).
ROUND_NEUTRAL_TABLES = frozenset(
    {
        "evidence",
        "review_event",
        "meeting",
        "working_group_member",
        "meeting_attendance",
        "agenda_item",
        "directive",
        "directive_agency",
        "directive_answer",
        "minutes_correction",
        "round_event",
        "reminder",
        "digest_recipient",
        "digest_log",
        "alignment_tag",
        "sub_issue_alignment",
    }
)


class UnauditedWriteError(RuntimeError):
    """A write was attempted outside `write_session`, so it has no actor to record."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, Decimal)):
        return str(value)
    return str(value)


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, SYSTEM_USERNAME
    return getattr(actor, "user_id", None), getattr(actor, "username", SYSTEM_USERNAME)


def _entity_id(obj: Any) -> str:
    identity = inspect(obj).identity
    if identity:
        return ",".join(str(part) for part in identity)
    return str(getattr(obj, "id", "") or "")


@event.listens_for(OrmSession, "before_flush")
def _audit_before_flush(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    changed = [o for o in session.new if not isinstance(o, AuditLog)]
    dirty = [o for o in session.dirty if not isinstance(o, AuditLog) and session.is_modified(o)]
    deleted = [o for o in session.deleted if not isinstance(o, AuditLog)]
    if not (changed or dirty or deleted):
        return
    if "actor" not in session.info:
        raise UnauditedWriteError("writes must go through core.db.write_session(engine, actor)")
    user_id, username = _actor_fields(session.info["actor"])
    now = datetime.now(UTC)
    pending: list[tuple[Any, str, list[tuple[str, Any, Any]]]] = []

    for obj in changed:
        mapper = inspect(obj).mapper
        fields = [(a.key, None, getattr(obj, a.key)) for a in mapper.column_attrs if a.key != "id"]
        pending.append((obj, "create", fields))
    for obj in dirty:
        state = inspect(obj)
        fields = []
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                if _text(old) != _text(new):
                    fields.append((attr.key, old, new))
        if fields:
            pending.append((obj, "update", fields))
    for obj in deleted:
        pending.append((obj, "delete", [("*", _entity_id(obj), None)]))
    versioned = [(obj, action, fields) for obj, action, fields in pending if _versioned(obj, action, fields)]
    if versioned:
        session.info["data_changed"] = True  # write_session bumps data_version before commit
        _note_scope(session, versioned)

    # New rows get their id during the flush: their audit rows are added right after it and
    # written by the next flush of the same transaction (commit flushes until nothing is left).
    for obj, action, fields in pending:
        if action == "create":
            session.info.setdefault("audit_new", []).append((obj, fields, user_id, username, now))
        else:
            _add_rows(session, obj, action, fields, user_id, username, now)


def _versioned(obj: Any, action: str, fields: list[tuple[str, Any, Any]]) -> bool:
    """Whether this change can alter what a cached read shows (see UNVERSIONED_FIELDS)."""
    table = inspect(obj).mapper.local_table.name
    if table in UNVERSIONED_TABLES:
        return False
    quiet = UNVERSIONED_FIELDS.get(table)
    return not quiet or action != "update" or any(name not in quiet for name, _, _ in fields)


def _note_scope(session: OrmSession, changes: list[tuple[Any, str, list[tuple[str, Any, Any]]]]) -> None:
    """What the transaction changes, for its `data_change` row: the (round, assignment) of each
    report it writes, or `everything` once it touches a table a round's figures are built from;
    `reports_only` while it writes nothing but reports, their evidence and review events."""
    scope = session.info.setdefault("change_scope", {"everything": False, "reports": set(), "reports_only": True})
    for obj, action, fields in changes:
        table = inspect(obj).mapper.local_table.name
        if table not in REPORT_TABLES:
            scope["reports_only"] = False
        if table == "progress_report":
            scope["reports"].add((obj.round_id, obj.assignment_id))
        elif table in ROUND_NEUTRAL_TABLES:
            continue
        elif table == "app_user" and action != "delete" and all(name != "display_name" for name, _, _ in fields):
            continue  # a grid shows a person's display name only (who updated a report)
        else:
            scope["everything"] = True


def _add_rows(
    session: OrmSession,
    obj: Any,
    action: str,
    fields: list[tuple[str, Any, Any]],
    user_id: int | None,
    username: str,
    now: datetime,
) -> None:
    entity = inspect(obj).mapper.local_table.name
    entity_id = _entity_id(obj)
    for name, old, new in fields:
        redacted = name in REDACTED_FIELDS
        session.add(
            AuditLog(
                at=now,
                user_id=user_id,
                username=username,
                action=action,
                entity=entity,
                entity_id=entity_id,
                field=name,
                old_value="***" if redacted and old is not None else _text(old),
                new_value="***" if redacted and new is not None else _text(new),
            )
        )


@event.listens_for(OrmSession, "after_flush_postexec")
def _audit_created(session: OrmSession, _ctx: Any) -> None:
    for obj, fields, user_id, username, now in session.info.pop("audit_new", []):
        _add_rows(session, obj, "create", fields, user_id, username, now)
