"""The chair's digest: a round's committee-pack PDF and a short Thai summary of its figures,
e-mailed to a list of recipients the secretariat keeps in the app (`cli.py digest` for a cron
job, the same from a button on the Rounds page).

One e-mail goes to every active recipient at once (all of them in To:): the list is the
committee's own, one server answer decides the whole send, and the log holds one row per digest.
Every attempt is logged in `digest_log`, in the order the steps run:

1. `build` (a read session): the round's overview bundle (services.overview.round_overview, the
   figures the overview page shows), its committee-pack PDF and the summary text;
2. `prepare` (a short write transaction): the log row, "pending" while a mail is to go, or
   at once "off" (no SMTP_HOST; checked first) or "no_recipients" (no active recipient);
3. `deliver` (no transaction, so no mail server holds the write lock): the one SMTP call;
4. `record` (a short write transaction): "sent" only after the server accepted the message
   (addresses it refused beside accepted ones are kept in `error`), else "failed" with the
   server's answer. A send whose outcome was never recorded stays "pending", never "sent".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.db import read_session, write_session
from core.i18n import translate
from core.settings import Settings
from core.thaidate import format_date
from models import DigestLog, DigestRecipient, Round, User
from services import committee_pack, overview
from services.errors import UserFacingError
from services.mail import MAIL_ERRORS, Attachment, send_email
from services.overview import RoundOverview, fmt_change, fmt_pct
from services.permissions import Actor, require_digest_manager
from services.rounds import get_round
from services.text_rules import text_problems

NAME_LIMIT = 200  # the columns' length
EMAIL_LIMIT = 200
STATUSES = ("sent", "off", "no_recipients", "failed", "pending")
HISTORY_LIMIT = 100
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class DigestError(UserFacingError):
    """A refusal about the digest or its recipients; the catalog key says what to do."""


def _check(actor: Actor) -> None:
    if actor.role is not None:  # the `cli.py digest` job runs as a system actor
        require_digest_manager(actor)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


# ----------------------------------------------------------------------------- recipients
def normalize_email(text: str) -> str:
    """An address as stored: trimmed and lower-cased (so one person is never listed twice); a
    plain Thai refusal when it is not one address (user@domain.tld)."""
    address = (text or "").strip().lower()
    local, at, domain = address.partition("@")
    labels = domain.split(".")
    if (
        not at
        or len(address) > EMAIL_LIMIT
        or not _LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise DigestError("error.digest.email_invalid", email=(text or "").strip()[:EMAIL_LIMIT])
    return address


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str
    email: str
    active: bool
    added_at: datetime  # UTC, timezone-aware


def list_recipients(*, session: Session, actor: Actor) -> list[Recipient]:
    """Every recipient, active first, then by name."""
    _check(actor)
    rows = session.exec(select(DigestRecipient).order_by(col(DigestRecipient.active).desc(), col(DigestRecipient.name)))
    return [Recipient(r.id, r.name, r.email, bool(r.active), _aware(r.added_at)) for r in rows]


def active_addresses(*, session: Session) -> list[str]:
    return list(
        session.exec(
            select(DigestRecipient.email).where(col(DigestRecipient.active).is_(True)).order_by(col(DigestRecipient.email))
        )
    )


def add_recipient(*, session: Session, actor: Actor, name: str, email: str) -> DigestRecipient:
    """Add a recipient (active). Refused: no name, a name too long or with control characters,
    an address that is not one, an address already listed."""
    _check(actor)
    name = (name or "").strip()
    if not name:
        raise DigestError("error.digest.name_required")
    problems = text_problems("display_name", name, NAME_LIMIT)
    if problems:
        raise DigestError(problems[0].message_key, **problems[0].params)
    address = normalize_email(email)
    if session.exec(select(DigestRecipient.id).where(DigestRecipient.email == address)).first() is not None:
        raise DigestError("error.digest.email_taken", email=address)
    row = DigestRecipient(name=name, email=address, active=True, added_at=_now())
    try:
        with session.begin_nested():  # another session added the same address since the check above
            session.add(row)
            session.flush()
    except IntegrityError:
        raise DigestError("error.digest.email_taken", email=address) from None
    return row


def _recipient(session: Session, recipient_id: int) -> DigestRecipient:
    row = session.exec(select(DigestRecipient).where(DigestRecipient.id == recipient_id).with_for_update()).first()
    if row is None:
        raise DigestError("error.digest.unknown_recipient")
    return row


def set_recipient_active(*, session: Session, actor: Actor, recipient_id: int, active: bool) -> DigestRecipient:
    """Stop (or start again) sending the digest to a recipient, keeping them on the list."""
    _check(actor)
    row = _recipient(session, recipient_id)
    if row.active != active:
        row.active = active
        session.add(row)
        session.flush()
    return row


def remove_recipient(*, session: Session, actor: Actor, recipient_id: int) -> str:
    """Take a recipient off the list; returns the address removed. The log keeps the addresses
    each digest went to."""
    _check(actor)
    row = _recipient(session, recipient_id)
    session.delete(row)
    session.flush()
    return row.email


# ----------------------------------------------------------------------------- the message
def round_name(fiscal_year: int, months: int) -> str:
    return translate("round.label", "th", fy=fiscal_year, months=months)


def subject(ov: RoundOverview) -> str:
    return translate("digest.subject", "th", round=round_name(ov.round.fiscal_year, ov.round.months))


def summary(ov: RoundOverview, *, as_of: date) -> str:
    """The e-mail's body in Thai: the round's figures as the overview page shows them (its
    headline), the items by status and the agencies against the progress the round expects."""
    head = ov.headline
    t = lambda key, **p: translate(key, "th", **p)  # noqa: E731
    lines = [t("digest.body.greeting"), ""]
    lines.append(
        t(
            "digest.body.intro",
            plan=ov.plan.name_th,
            round=round_name(ov.round.fiscal_year, ov.round.months),
            date=format_date(as_of),
        )
    )
    if ov.plan.is_demo:
        lines.append(t("demo.banner"))
    lines.append("")
    overall = t("digest.body.overall", overall=fmt_pct(head.overall), expected=fmt_pct(head.expected_progress))
    if head.change is not None and head.previous_fiscal_year is not None and head.previous_months is not None:
        overall += " " + t(
            "digest.body.change",
            change=fmt_change(head.change),
            previous=round_name(head.previous_fiscal_year, head.previous_months),
        )
    lines.append(overall)
    for main in head.main_issues:
        lines.append(
            t(
                "digest.body.main_issue",
                n=main.number,
                name=" ".join(main.name_th.split()),
                progress=fmt_pct(main.weighted_progress),
                expected=fmt_pct(main.expected_progress),
            )
        )
    lines.append("")
    lines.append(
        t(
            "digest.body.agencies",
            reported=head.agencies_reported,
            approved=head.agencies_approved,
            total=head.agencies_total,
        )
    )
    if head.expected_progress is not None and len(ov.agencies):
        progress = ov.agencies["weighted_progress"].astype("Float64").fillna(0)
        at_pace = int((progress >= head.expected_progress).sum())
        lines.append(t("digest.body.agencies_pace", at_pace=at_pace, behind=len(ov.agencies) - at_pace))
    statuses = ov.cells["status"] if "status" in ov.cells else []
    on_track = int(sum(1 for s in statuses if s in ("on_track", "completed")))
    lines.append(
        t(
            "digest.body.items",
            assigned=head.items_assigned,
            on_track=on_track,
            delayed=head.items_delayed,
            returned=head.items_returned,
            not_reported=head.items_not_reported,
        )
    )
    lines += ["", t("digest.body.attached"), "", t("digest.body.signature")]
    return "\n".join(lines)


@dataclass(frozen=True)
class Built:
    """A round's digest, ready to send."""

    round_id: int
    round_name: str
    subject: str
    body: str
    pdf: bytes
    filename: str


def build(*, session: Session, actor: Actor, round_id: int, as_of: date | None = None) -> Built:
    """The round's committee-pack PDF (Thai) and the e-mail's subject and body, from one overview
    bundle (a read: no lock held while the PDF is drawn)."""
    _check(actor)
    rnd = get_round(session=session, round_id=round_id)
    as_of = as_of or date.today()
    ov = overview.round_overview(session=session, round_id=rnd.id)
    return Built(
        round_id=rnd.id,
        round_name=round_name(rnd.fiscal_year, rnd.months),
        subject=subject(ov),
        body=summary(ov, as_of=as_of),
        pdf=committee_pack.build_pdf(
            ov, lang="th", as_of=as_of, meeting=committee_pack.meeting_for(session=session, round_id=rnd.id, today=as_of)
        ),
        filename=committee_pack.file_name(ov, "pdf"),
    )


# ----------------------------------------------------------------------------- sending
@dataclass(frozen=True)
class Prepared:
    """A digest written to the log, with the e-mail still to send when `status` is "pending"."""

    log_id: int
    status: str  # pending, off, no_recipients
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What became of a digest (the page and the CLI say it)."""

    log_id: int
    round_name: str
    status: str  # sent, off, no_recipients, failed
    recipients: tuple[str, ...] = ()
    error: str = ""


def mail_is_off(settings: Settings) -> bool:
    return not settings.smtp_host


def prepare(*, session: Session, actor: Actor, round_id: int, settings: Settings, pdf_bytes: int = 0) -> Prepared:
    """Step 2, in a short write transaction: the log row. Nothing is sent here."""
    _check(actor)
    rnd = get_round(session=session, round_id=round_id)
    addresses = tuple(active_addresses(session=session))
    status = "off" if mail_is_off(settings) else "no_recipients" if not addresses else "pending"
    row = DigestLog(
        round_id=rnd.id,
        sent_at=_now(),
        by_id=actor.user_id,
        recipients=", ".join(addresses)[:4000],
        status=status,
        pdf_bytes=pdf_bytes if status == "pending" else 0,
    )
    session.add(row)
    session.flush()
    return Prepared(row.id, status, addresses if status == "pending" else ())


def deliver(settings: Settings, prepared: Prepared, built: Built) -> tuple[str, str]:
    """Step 3, outside any transaction: the one e-mail, the PDF attached. Returns (status, error)."""
    if prepared.status != "pending":
        return prepared.status, ""
    try:
        refused = send_email(
            settings,
            list(prepared.addresses),
            built.subject,
            built.body,
            [Attachment(built.filename, built.pdf, "application/pdf")],
        )
    except MAIL_ERRORS as exc:
        return "failed", f"{type(exc).__name__}: {exc}"[:500]
    if refused:  # accepted for the others: sent, with whom the server refused
        return "sent", ("refused: " + "; ".join(f"{a} ({code})" for a, (code, _) in refused.items()))[:500]
    return "sent", ""


def record(*, session: Session, prepared: Prepared, status: str, error: str) -> None:
    """Step 4, in a short write transaction: what became of a pending e-mail."""
    if prepared.status != "pending":
        return
    row = session.exec(select(DigestLog).where(DigestLog.id == prepared.log_id).with_for_update()).one()
    row.status, row.error = status, error
    session.add(row)
    session.flush()


def send_digest(*, engine: Engine, actor: Actor, round_id: int, settings: Settings, as_of: date | None = None) -> Outcome:
    """Build, log, send and record a round's digest (the button and `cli.py digest`). A refusal
    (permission, unknown round) raises `UserFacingError` and logs nothing; every other outcome is
    logged and returned: off, no_recipients, failed (with the error) or sent."""
    with read_session(engine) as session:
        _check(actor)
        rnd = get_round(session=session, round_id=round_id)
        name = round_name(rnd.fiscal_year, rnd.months)
        will_send = not mail_is_off(settings) and bool(active_addresses(session=session))
        built = build(session=session, actor=actor, round_id=round_id, as_of=as_of) if will_send else None
    with write_session(engine, actor) as session:
        prepared = prepare(
            session=session, actor=actor, round_id=round_id, settings=settings, pdf_bytes=len(built.pdf) if built else 0
        )
    if prepared.status == "pending" and built is None:  # a recipient was added between the two steps
        with read_session(engine) as session:
            built = build(session=session, actor=actor, round_id=round_id, as_of=as_of)
    status, error = deliver(settings, prepared, built) if built is not None else (prepared.status, "")
    with write_session(engine, actor) as session:
        record(session=session, prepared=prepared, status=status, error=error)
    return Outcome(prepared.log_id, name, status, prepared.addresses, error)


# ----------------------------------------------------------------------------- the log
@dataclass(frozen=True)
class LogEntry:
    sent_at: datetime
    round_id: int
    fiscal_year: int
    months: int
    by_name: str  # the sender's display name; "" for the `cli.py digest` job
    recipients: str
    status: str
    error: str
    pdf_bytes: int


def history(*, session: Session, actor: Actor, limit: int = HISTORY_LIMIT) -> list[LogEntry]:
    """Every digest sent or tried, newest first, with the sender's display name."""
    _check(actor)
    rows = session.exec(
        select(DigestLog, Round.fiscal_year, Round.months, User.display_name)
        .join(Round, Round.id == DigestLog.round_id)
        .join(User, User.id == DigestLog.by_id, isouter=True)
        .order_by(col(DigestLog.sent_at).desc(), col(DigestLog.id).desc())
        .limit(limit)
    ).all()
    return [
        LogEntry(
            sent_at=_aware(log.sent_at),
            round_id=log.round_id,
            fiscal_year=fy,
            months=months,
            by_name=display_name or "",
            recipients=log.recipients,
            status=log.status,
            error=log.error,
            pdf_bytes=log.pdf_bytes,
        )
        for log, fy, months, display_name in rows
    ]


def outcome_key(status: str) -> str:
    """The catalog key of the sentence that says what became of a digest."""
    return f"digest.result.{status if status in STATUSES else 'failed'}"
