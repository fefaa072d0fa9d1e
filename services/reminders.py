"""Reminders to agencies that are behind in a round: a notice on their focal points' home page
(until the agency has nothing left to send) and, when a mail server is set, an e-mail to each
focal point with an address. Every reminder is kept with what it said was outstanding, to whom
it went and what happened to the e-mail; an e-mail that could not be sent is never marked sent."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.db import write_session
from core.i18n import translate
from core.settings import Settings
from core.thaidate import format_date
from models import Reminder, Role, RoundState
from services.errors import UserFacingError
from services.mail import send_email as _email  # the one SMTP path, shared with the digest
from services.permissions import Actor, require_secretariat
from services.round_admin import AgencyBehind, behind
from services.rounds import get_round


class ReminderError(UserFacingError):
    """A refusal of a reminder; the catalog key says what to do."""


@dataclass(frozen=True)
class Sent:
    agency_short_name: str
    email_status: str  # sent, off, no_address, failed (pending only while being sent)
    email_error: str = ""


def _summary(a: AgencyBehind) -> str:
    return translate("reminder.missing", "th", not_started=a.not_started, draft=a.draft, returned=a.returned)


@dataclass(frozen=True)
class Prepared:
    """A reminder written to the log, with the e-mail still to send (when `addresses`)."""

    reminder_id: int
    agency_short_name: str
    email_status: str  # pending (to send), off, no_address
    addresses: tuple[str, ...]
    subject: str
    body: str


def prepare(
    *, session: Session, actor: Actor, round_id: int, settings: Settings, agency_ids: Sequence[int] | None = None
) -> list[Prepared]:
    """Step 1, in a write transaction: log a reminder for each agency behind in an open round (all
    of them, or `agency_ids`): items not started, in draft or returned. Its notice shows at once;
    an e-mail to send is logged as "pending". Nothing is sent here, so no mail server holds the
    database's write lock."""
    if actor.role is not None:  # the `cli.py remind` job runs as a system actor
        require_secretariat(actor)
    rnd = get_round(session=session, round_id=round_id)
    if rnd.state != RoundState.open:
        raise ReminderError("error.reminder.round_closed")
    targets = [
        a for a in behind(session=session, actor=Actor(None, "reminders", Role.secretariat), round_id=round_id) if a.behind
    ]
    if agency_ids is not None:
        targets = [a for a in targets if a.agency_id in set(agency_ids)]
    if not targets:
        raise ReminderError("error.reminder.nobody_behind")
    round_name = translate("round.label", "th", fy=rnd.fiscal_year, months=rnd.months)
    subject = translate("reminder.subject", "th", round=round_name)
    out = []
    for a in targets:
        addresses = tuple(c.email for c in a.contacts if c.email)
        status = "off" if not settings.smtp_host else "pending" if addresses else "no_address"
        body = translate(
            "reminder.body",
            "th",
            agency=a.agency_short_name,
            round=round_name,
            due=format_date(rnd.due_date),
            missing=_summary(a),
        )
        row = Reminder(
            round_id=rnd.id,
            agency_id=a.agency_id,
            sent_at=datetime.now(UTC),
            by_id=actor.user_id,
            missing=_summary(a),
            recipients=", ".join(addresses)[:2000],
            email_status=status,
        )
        session.add(row)
        session.flush()
        out.append(Prepared(row.id, a.agency_short_name, status, addresses if status == "pending" else (), subject, body))
    return out


def deliver(settings: Settings, prepared: Sequence[Prepared]) -> list[Sent]:
    """Step 2, outside any transaction: send the pending e-mails, one per agency."""
    out = []
    for p in prepared:
        if p.email_status != "pending":
            out.append(Sent(p.agency_short_name, p.email_status))
            continue
        try:
            _email(settings, list(p.addresses), p.subject, p.body)
            out.append(Sent(p.agency_short_name, "sent"))
        except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out, bad login
            out.append(Sent(p.agency_short_name, "failed", f"{type(exc).__name__}: {exc}"[:500]))
    return out


def record(*, session: Session, prepared: Sequence[Prepared], delivered: Sequence[Sent]) -> None:
    """Step 3, in a short write transaction: what became of each pending e-mail. One that was not
    recorded (the process died between the steps) stays "pending", never "sent"."""
    for p, d in zip(prepared, delivered, strict=True):
        if p.email_status != "pending":
            continue
        row = session.get(Reminder, p.reminder_id)
        row.email_status, row.email_error = d.email_status, d.email_error
        session.add(row)
    session.flush()


def send(
    *, engine: Engine, actor: Actor, round_id: int, settings: Settings, agency_ids: Sequence[int] | None = None
) -> list[Sent]:
    """The three steps in their transactions (the Rounds page's button and `cli.py remind`): log
    the reminders (their notices show at once), send the e-mails outside any transaction, record
    what became of each. A refusal (a closed round, nobody behind) raises before anything is logged."""
    with write_session(engine, actor) as session:
        prepared = prepare(session=session, actor=actor, round_id=round_id, settings=settings, agency_ids=agency_ids)
    delivered = deliver(settings, prepared)
    with write_session(engine, actor) as session:
        record(session=session, prepared=prepared, delivered=delivered)
    return delivered


def sent_for(*, session: Session, actor: Actor, round_id: int) -> list[Reminder]:
    """Every reminder of a round, newest first (the Rounds page's log)."""
    require_secretariat(actor)
    return list(session.exec(select(Reminder).where(Reminder.round_id == round_id).order_by(col(Reminder.sent_at).desc())))


@dataclass(frozen=True)
class Notice:
    sent_at: datetime
    missing: str
    due_date: date
    fiscal_year: int
    months: int


def notice_for(*, session: Session, actor: Actor) -> Notice | None:
    """A focal point's notice: the newest reminder to their agency about an open round in which the
    agency still has items not started, in draft or returned."""
    if actor.role is None or Role(actor.role) != Role.focal_point or actor.agency_id is None:
        return None
    reminders = session.exec(
        select(Reminder).where(Reminder.agency_id == actor.agency_id).order_by(col(Reminder.sent_at).desc())
    ).all()
    system = Actor(None, "reminders", Role.secretariat)
    checked: set[int] = set()
    for reminder in reminders:  # newest first: the first round still behind gives the notice
        if reminder.round_id in checked:
            continue
        checked.add(reminder.round_id)
        rnd = get_round(session=session, round_id=reminder.round_id)
        if rnd.state != RoundState.open:
            continue
        mine = [a for a in behind(session=session, actor=system, round_id=rnd.id) if a.agency_id == actor.agency_id]
        if not (mine and mine[0].behind):
            continue  # done in this round; another open round may still need the notice
        return Notice(reminder.sent_at, reminder.missing, rnd.due_date, rnd.fiscal_year, rnd.months)
    return None


def due_for_reminder(rnd_due: date, today: date, *, before: Sequence[int], after: Sequence[int]) -> bool:
    """Whether the `cli.py remind` job sends today: N days before or after the due date."""
    days = (rnd_due - today).days
    return days in set(before) or -days in set(after)
