"""Running the rounds (the secretariat): open a round, move its due date, close it knowing what is
still outstanding, reopen it with a reason. Each action is kept as a `RoundEvent` (who, when, what,
why) beside the audit rows, and one round per fiscal year is open unless the secretariat says
otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from models import Reminder, Role, Round, RoundEvent, RoundState, User
from services import users
from services.errors import UserFacingError
from services.home import RoundCounts, item_states, round_counts
from services.permissions import Actor, require_secretariat
from services.plans import active_plan
from services.rounds import get_round, rounds_of
from services.text_rules import CONTROL_CHARACTERS

REASON_LIMIT = 1000


class RoundError(UserFacingError):
    """A refusal of a round action; the catalog key says what to do."""


@dataclass(frozen=True)
class Outstanding:
    """What a close leaves behind: items with no report, returned and not re-sent, and reported
    but not approved (drafts and submitted items)."""

    missing: int
    returned: int
    unapproved: int

    @classmethod
    def of(cls, counts: RoundCounts) -> Outstanding:
        return cls(
            missing=counts.missing,
            returned=counts.returned,
            unapproved=counts.reported - counts.approved - counts.returned,
        )

    @property
    def none(self) -> bool:
        return not (self.missing or self.returned or self.unapproved)


@dataclass(frozen=True)
class RoundRow:
    round: Round
    counts: RoundCounts
    outstanding: Outstanding
    ever_reported: bool  # a report exists: opening it again is a reopen, which needs a reason


def _lock(session: Session, round_id: int) -> Round:
    rnd = session.exec(select(Round).where(Round.id == round_id).with_for_update()).first()
    if rnd is None:
        raise RoundError("error.unknown_round")
    return rnd


def _event(session: Session, actor: Actor, rnd: Round, action: str, detail: str = "", reason: str = "") -> None:
    session.add(
        RoundEvent(round_id=rnd.id, at=datetime.now(UTC), action=action, detail=detail, reason=reason, by_id=actor.user_id)
    )


def _reason(text: str, *, required: bool = True) -> str:
    reason = (text or "").strip()
    if not reason and required:
        raise RoundError("error.round.reason_required")
    if len(reason) > REASON_LIMIT:
        raise RoundError("error.round.reason_too_long", limit=f"{REASON_LIMIT:,}")
    if any(ch in CONTROL_CHARACTERS for ch in reason):
        raise RoundError("error.round.reason_control_chars")
    return reason


def round_rows(*, session: Session, actor: Actor) -> list[RoundRow]:
    """Every round of the active plan, newest first, with its counts and what is outstanding."""
    require_secretariat(actor)
    plan = active_plan(session=session)
    if plan is None:
        return []
    out = []
    for rnd in reversed(rounds_of(session=session, plan_id=plan.id)):
        counts, _ = round_counts(session, rnd)
        out.append(RoundRow(round=rnd, counts=counts, outstanding=Outstanding.of(counts), ever_reported=counts.reported > 0))
    return out


def outstanding(*, session: Session, actor: Actor, round_id: int) -> Outstanding:
    require_secretariat(actor)
    counts, _ = round_counts(session, get_round(session=session, round_id=round_id))
    return Outstanding.of(counts)


def other_open(session: Session, rnd: Round) -> Round | None:
    """Another open round of the same plan and fiscal year."""
    return session.exec(
        select(Round).where(
            Round.plan_id == rnd.plan_id,
            Round.fiscal_year == rnd.fiscal_year,
            Round.state == RoundState.open,
            Round.id != rnd.id,
        )
    ).first()


def open_round(*, session: Session, actor: Actor, round_id: int, reason: str = "", allow_second: bool = False) -> Round:
    """Open a round for reporting. A round that already holds reports is reopened, which needs a
    reason; a second open round in one fiscal year needs `allow_second`."""
    require_secretariat(actor)
    rnd = _lock(session, round_id)
    if rnd.state == RoundState.open:
        raise RoundError("error.round.already_open")
    other = other_open(session, rnd)
    if other is not None and not allow_second:
        raise RoundError("error.round.other_open", months=other.months, fy=other.fiscal_year)
    counts, _ = round_counts(session, rnd)
    reopen = counts.reported > 0
    why = _reason(reason, required=reopen)
    rnd.state = RoundState.open
    session.add(rnd)
    _event(session, actor, rnd, "reopen" if reopen else "open", reason=why)
    session.flush()
    return rnd


def close_round(*, session: Session, actor: Actor, round_id: int, shown: Outstanding) -> Round:
    """Close a round once the secretariat has seen what it leaves outstanding: `shown` must be
    what is outstanding now (a save since the confirmation was drawn refuses the close)."""
    require_secretariat(actor)
    rnd = _lock(session, round_id)
    if rnd.state != RoundState.open:
        raise RoundError("error.round.already_closed")
    counts, _ = round_counts(session, rnd)
    now = Outstanding.of(counts)
    if now != shown:
        raise RoundError("error.round.changed_since_shown")
    rnd.state = RoundState.closed
    session.add(rnd)
    _event(session, actor, rnd, "close", detail=f"missing {now.missing}, returned {now.returned}, unapproved {now.unapproved}")
    session.flush()
    return rnd


def set_due_date(*, session: Session, actor: Actor, round_id: int, due_date: date | None, reason: str = "") -> Round:
    """Move a round's due date (to give agencies more time, usually); not before its period ends."""
    require_secretariat(actor)
    rnd = _lock(session, round_id)
    if due_date is None:
        raise RoundError("error.round.bad_date")
    if due_date < rnd.period_end:
        raise RoundError("error.round.due_before_period_end")
    if due_date == rnd.due_date:
        return rnd
    old = rnd.due_date
    rnd.due_date = due_date
    session.add(rnd)
    _event(
        session,
        actor,
        rnd,
        "due",
        detail=f"{old.isoformat()} -> {due_date.isoformat()}",
        reason=_reason(reason, required=False),
    )
    session.flush()
    return rnd


def events(*, session: Session, actor: Actor, round_id: int) -> list[RoundEvent]:
    require_secretariat(actor)
    return list(session.exec(select(RoundEvent).where(RoundEvent.round_id == round_id).order_by(col(RoundEvent.at).desc())))


def who_acted(*, session: Session, actor: Actor, round_id: int) -> dict[int, str]:
    """The display names of everyone who opened, closed or reopened the round, moved its due date
    or sent its reminders, by user id (the Rounds page names them; a job has no id)."""
    require_secretariat(actor)
    ids = set(session.exec(select(RoundEvent.by_id).where(RoundEvent.round_id == round_id)))
    ids |= set(session.exec(select(Reminder.by_id).where(Reminder.round_id == round_id)))
    return users.display_names(session=session, user_ids=ids)


# ----------------------------------------------------------------------------- who is behind
@dataclass(frozen=True)
class Contact:
    display_name: str
    email: str


@dataclass(frozen=True)
class AgencyBehind:
    """One agency's items of a round that are not done yet, and whom to contact."""

    agency_id: int
    agency_code: str
    agency_short_name: str
    assigned: int
    not_started: int  # no report at all
    draft: int
    submitted: int  # submitted, not yet approved
    returned: int  # returned and not yet sent again
    contacts: tuple[Contact, ...]
    agency_short_name_en: str = ""

    @property
    def behind(self) -> bool:
        return bool(self.not_started or self.draft or self.returned)

    @property
    def open_items(self) -> int:
        return self.not_started + self.draft + self.submitted + self.returned


def behind(*, session: Session, actor: Actor, round_id: int) -> list[AgencyBehind]:
    """Per active agency holding items in the round, in plan order: what is not started, in draft,
    submitted but not approved and returned, with the agency's active focal points. Agencies whose
    every item is approved are left out."""
    require_secretariat(actor)
    rnd = get_round(session=session, round_id=round_id)
    rows = item_states(session, rnd)
    contacts: dict[int, list[Contact]] = {}
    for user in session.exec(
        select(User).where(User.role == Role.focal_point, User.active == True).order_by(col(User.display_name))
    ):
        contacts.setdefault(user.agency_id, []).append(Contact(display_name=user.display_name, email=user.email))
    tally: dict[int, dict] = {}
    for agency_id, code, short_name, state, short_name_en in rows:
        entry = tally.setdefault(
            agency_id,
            {
                "code": code,
                "name": short_name,
                "name_en": short_name_en,
                "assigned": 0,
                "none": 0,
                "draft": 0,
                "submitted": 0,
                "returned": 0,
            },
        )
        entry["assigned"] += 1
        key = "none" if state is None else str(getattr(state, "value", state))
        if key in entry:
            entry[key] += 1
    out = [
        AgencyBehind(
            agency_id=agency_id,
            agency_code=e["code"],
            agency_short_name=e["name"],
            agency_short_name_en=e["name_en"],
            assigned=e["assigned"],
            not_started=e["none"],
            draft=e["draft"],
            submitted=e["submitted"],
            returned=e["returned"],
            contacts=tuple(contacts.get(agency_id, ())),
        )
        for agency_id, e in tally.items()
    ]
    return [a for a in out if a.open_items]
