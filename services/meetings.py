"""The working group's meetings: the record, attendance, the agenda and its minutes, resolutions,
the chair's directives and the agencies' answers.

Who may do what (re-checked here on every write, whatever the page showed): the secretariat
creates and edits meetings, agendas and minutes and follows directives up; the chair (or the
secretariat on the chair's behalf) adopts minutes; a focal point sees and answers only the
directives assigned to their own agency; everyone else reads. Adopted minutes are locked: a change
needs a reason, kept in `MinutesCorrection` beside the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlmodel import Session, col, select

from core.i18n import translate
from core.thaidate import to_be
from models import (
    Agency,
    AgendaItem,
    Attendance,
    AttendanceKind,
    Directive,
    DirectiveAgency,
    DirectiveAnswer,
    DirectiveState,
    Meeting,
    MinutesCorrection,
    MinutesState,
    ResolutionKind,
    Role,
    Round,
    WorkingGroupMember,
)
from services import evidence, overview, rounds
from services.errors import UserFacingError
from services.meeting_docs import prose
from services.permissions import Actor, PermissionDenied, require_view
from services.plans import active_plan
from services.text_rules import CONTROL_CHARACTERS

SECTIONS = (1, 2, 3, 4, 5, 6)  # ระเบียบวาระที่ 1–6
LINE_LIMIT = 500  # a title, a venue, a group name
NAME_LIMIT = 200  # a name, a position, a reason
TEXT_LIMIT = 10_000  # an item's text, a resolution, a directive, an answer
MEETING_EDITORS = {Role.secretariat}
MINUTES_ADOPTERS = {Role.chair, Role.secretariat}


class MeetingError(UserFacingError):
    """A refusal of a meeting action; the message key says what to do."""


class MeetingConflict(MeetingError):
    """Someone saved this meeting or item since it was shown."""

    def __init__(self) -> None:
        super().__init__("error.meeting.conflict")


# ----------------------------------------------------------------------------- permissions
def can_edit(actor: Actor) -> bool:
    return actor.role is not None and Role(actor.role) in MEETING_EDITORS


def can_adopt(actor: Actor) -> bool:
    return actor.role is not None and Role(actor.role) in MINUTES_ADOPTERS


def require_editor(actor: Actor) -> None:
    if not can_edit(actor):
        raise PermissionDenied("error.meeting.secretariat_only")


def require_reader(actor: Actor) -> None:
    """Meetings are read by every role but focal points, who see their own directives instead."""
    if actor.role is None or Role(actor.role) == Role.focal_point:
        raise PermissionDenied()


# ----------------------------------------------------------------------------- checks
def _text(value: str | None, limit: int, key: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise MeetingError("error.meeting.required", field=key)
    if len(text) > limit:
        raise MeetingError("error.meeting.too_long", field=key, limit=f"{limit:,}", length=f"{len(text):,}")
    if any(ch in CONTROL_CHARACTERS for ch in text):
        raise MeetingError("error.meeting.control_chars", field=key)
    return text


def _line(value: str | None, limit: int, key: str, *, required: bool = False) -> str:
    text = _text(value, limit, key, required=required)
    if "\n" in text or "\r" in text:
        raise MeetingError("error.meeting.one_line", field=key)
    return text


def _check_version(row: Meeting | AgendaItem | Directive, expected_version: int | None) -> None:
    if expected_version is not None and row.version != expected_version:
        raise MeetingConflict()


def _now() -> datetime:
    return datetime.now(UTC)


def _load(session: Session, model, row_id: int, missing_key: str, *, lock: bool = False):
    """The row `row_id` of `model` (locked for the write when `lock`), or a refusal saying it is gone."""
    query = select(model).where(model.id == row_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        raise MeetingError(missing_key)
    return row


def _meeting(session: Session, meeting_id: int, *, lock: bool = False) -> Meeting:
    return _load(session, Meeting, meeting_id, "error.meeting.unknown", lock=lock)


def _item(session: Session, item_id: int, *, lock: bool = False) -> AgendaItem:
    return _load(session, AgendaItem, item_id, "error.meeting.unknown_item", lock=lock)


def _correct(
    session: Session, actor: Actor, meeting: Meeting, changes: dict[str, tuple[object, object]], reason: str, item_id: int | None
) -> None:
    """Adopted minutes change only with a reason; each changed field is kept with it."""
    if meeting.minutes_state != MinutesState.adopted or not changes:
        return
    reason = _text(reason, 1000, "reason")
    if not reason:
        raise MeetingError("error.meeting.adopted_needs_reason")
    for name, (old, new) in changes.items():
        session.add(
            MinutesCorrection(
                meeting_id=meeting.id,
                agenda_item_id=item_id,
                field_name=name,
                old_value="" if old is None else str(old),
                new_value="" if new is None else str(new),
                reason=reason,
                at=_now(),
                by_id=actor.user_id,
            )
        )


def _changes(row: object, values: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {k: (getattr(row, k), v) for k, v in values.items() if getattr(row, k) != v}


# ----------------------------------------------------------------------------- meetings
@dataclass(frozen=True)
class MeetingRow:
    id: int
    number: int
    year_be: int
    held_on: date
    starts_at: time | None
    venue: str
    chair_name: str
    chair_title: str
    round_fiscal_year: int | None
    round_months: int | None
    minutes_state: str
    open_directives: int


def meeting_year(held_on: date) -> int:
    """A meeting is numbered within the calendar Buddhist-Era year of its date (ครั้งที่ 3/2563)."""
    return to_be(held_on.year)


def next_number(*, session: Session, plan_id: int, year_be: int) -> int:
    numbers = session.exec(select(Meeting.number).where(Meeting.plan_id == plan_id, Meeting.year_be == year_be)).all()
    return max(numbers, default=0) + 1


def list_meetings(*, session: Session, actor: Actor) -> list[MeetingRow]:
    """Every meeting of the active plan, newest first."""
    require_reader(actor)
    plan = active_plan(session=session)
    if plan is None:
        return []
    meetings = session.exec(
        select(Meeting).where(Meeting.plan_id == plan.id).order_by(col(Meeting.held_on).desc(), col(Meeting.number).desc())
    ).all()
    round_by_id = {r.id: r for r in rounds.rounds_of(session=session, plan_id=plan.id)}
    open_counts: dict[int, int] = {}
    for meeting_id in session.exec(select(Directive.meeting_id).where(Directive.state == DirectiveState.open)).all():
        open_counts[meeting_id] = open_counts.get(meeting_id, 0) + 1
    out = []
    for m in meetings:
        rnd = round_by_id.get(m.round_id)
        out.append(
            MeetingRow(
                id=m.id,
                number=m.number,
                year_be=m.year_be,
                held_on=m.held_on,
                starts_at=m.starts_at,
                venue=m.venue,
                chair_name=m.chair_name,
                chair_title=m.chair_title,
                round_fiscal_year=rnd.fiscal_year if rnd else None,
                round_months=rnd.months if rnd else None,
                minutes_state=str(getattr(m.minutes_state, "value", m.minutes_state)),
                open_directives=open_counts.get(m.id, 0),
            )
        )
    return out


def _previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The meeting before `meeting` (by date, then number) of the same plan."""
    earlier = session.exec(
        select(Meeting)
        .where(Meeting.plan_id == meeting.plan_id, Meeting.id != meeting.id, Meeting.held_on <= meeting.held_on)
        .order_by(col(Meeting.held_on).desc(), col(Meeting.year_be).desc(), col(Meeting.number).desc())
    ).all()
    for m in earlier:
        if (m.held_on, m.year_be, m.number) < (meeting.held_on, meeting.year_be, meeting.number):
            return m
    return None


def _check_round(session: Session, plan_id: int, round_id: int | None) -> None:
    if round_id is None:
        return
    rnd = session.get(Round, round_id)
    if rnd is None or rnd.plan_id != plan_id:
        raise MeetingError("error.unknown_round")


def _check_times(starts_at: time | None, ends_at: time | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise MeetingError("error.meeting.end_before_start")


def _check_number(session: Session, plan_id: int, number: int, year_be: int, meeting_id: int | None) -> None:
    if number < 1 or number > 999:
        raise MeetingError("error.meeting.bad_number")
    clash = session.exec(
        select(Meeting).where(Meeting.plan_id == plan_id, Meeting.number == number, Meeting.year_be == year_be)
    ).first()
    if clash is not None and clash.id != meeting_id:
        raise MeetingError("error.meeting.duplicate_number", number=number, year=year_be)


def create_meeting(
    *,
    session: Session,
    actor: Actor,
    held_on: date | None,
    starts_at: time | None,
    venue: str,
    chair_name: str,
    chair_title: str,
    round_id: int | None,
    number: int | None = None,
    group_name: str | None = None,
) -> Meeting:
    """A new meeting, numbered within its BE year (the next number unless `number` is given).
    The working group's name, note-taker and checker carry over from the previous meeting; the
    attendance starts as every active member present."""
    require_editor(actor)
    plan = active_plan(session=session)
    if plan is None:
        raise MeetingError("error.meeting.no_plan")
    if held_on is None:
        raise MeetingError("error.meeting.bad_date")
    year_be = meeting_year(held_on)
    number = number if number is not None else next_number(session=session, plan_id=plan.id, year_be=year_be)
    _check_number(session, plan.id, number, year_be, None)
    _check_round(session, plan.id, round_id)
    previous = session.exec(
        select(Meeting).where(Meeting.plan_id == plan.id).order_by(col(Meeting.held_on).desc(), col(Meeting.number).desc())
    ).first()
    meeting = Meeting(
        plan_id=plan.id,
        number=number,
        year_be=year_be,
        held_on=held_on,
        starts_at=starts_at,
        venue=_line(venue, LINE_LIMIT, "venue", required=True),
        chair_name=_line(chair_name, NAME_LIMIT, "chair_name", required=True),
        chair_title=_line(chair_title, NAME_LIMIT, "chair_title"),
        round_id=round_id,
        group_name=_line(
            group_name if group_name is not None else (previous.group_name if previous else plan.name_th),
            LINE_LIMIT,
            "group_name",
        ),
        note_taker_name=previous.note_taker_name if previous else "",
        note_taker_position=previous.note_taker_position if previous else "",
        checker_name=previous.checker_name if previous else "",
        checker_position=previous.checker_position if previous else "",
    )
    session.add(meeting)
    session.flush()
    for i, member in enumerate(_members(session, plan.id)):
        session.add(
            Attendance(
                meeting_id=meeting.id,
                member_id=member.id,
                kind=AttendanceKind.present,
                name=member.name,
                position=member.position,
                group_role=member.group_role,
                sort_order=i,
            )
        )
    session.flush()
    return meeting


MEETING_FIELDS = {
    "held_on",
    "starts_at",
    "ends_at",
    "venue",
    "chair_name",
    "chair_title",
    "round_id",
    "group_name",
    "number",
    "note_taker_name",
    "note_taker_position",
    "checker_name",
    "checker_position",
}


def update_meeting(
    *, session: Session, actor: Actor, meeting_id: int, expected_version: int | None, reason: str = "", **values: object
) -> Meeting:
    """Change the meeting record (fields in MEETING_FIELDS). Adopted minutes need a reason."""
    require_editor(actor)
    unknown = set(values) - MEETING_FIELDS
    if unknown:
        raise ValueError(f"unknown meeting fields: {sorted(unknown)}")
    meeting = _meeting(session, meeting_id, lock=True)
    _check_version(meeting, expected_version)
    clean: dict[str, object] = {}
    for name, value in values.items():
        if name in {"venue", "group_name"}:
            clean[name] = _line(value, LINE_LIMIT, name, required=name == "venue")
        elif name in {"chair_name"}:
            clean[name] = _line(value, NAME_LIMIT, name, required=True)
        elif name.endswith(("_name", "_position", "_title")):
            clean[name] = _line(value, NAME_LIMIT, name)
        else:
            clean[name] = value
    if "held_on" in clean and clean["held_on"] is None:
        raise MeetingError("error.meeting.bad_date")
    held_on = clean.get("held_on", meeting.held_on)
    if "held_on" in clean or "number" in clean:
        clean["year_be"] = meeting_year(held_on)
        _check_number(session, meeting.plan_id, int(clean.get("number", meeting.number)), clean["year_be"], meeting.id)
    _check_times(clean.get("starts_at", meeting.starts_at), clean.get("ends_at", meeting.ends_at))
    if "round_id" in clean:
        _check_round(session, meeting.plan_id, clean["round_id"])
    changes = _changes(meeting, clean)
    if not changes:
        return meeting
    _correct(session, actor, meeting, changes, reason, None)
    for name, value in clean.items():
        setattr(meeting, name, value)
    meeting.version += 1
    session.add(meeting)
    session.flush()
    return meeting


def delete_meeting(*, session: Session, actor: Actor, meeting_id: int) -> None:
    """Remove a meeting created by mistake: only while its minutes are a draft and no directive
    was recorded on it (anything else is history)."""
    require_editor(actor)
    meeting = _meeting(session, meeting_id, lock=True)
    if meeting.minutes_state != MinutesState.draft:
        raise MeetingError("error.meeting.delete_not_draft")
    if session.exec(select(Directive).where(Directive.meeting_id == meeting.id)).first() is not None:
        raise MeetingError("error.meeting.delete_has_directives")
    if session.exec(select(Meeting).where(Meeting.adopted_in_meeting_id == meeting.id)).first() is not None:
        raise MeetingError("error.meeting.delete_adopted_others")
    for row in session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)).all():
        session.delete(row)
    for row in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all():
        session.delete(row)
    session.flush()
    session.delete(meeting)
    session.flush()


# ----------------------------------------------------------------------------- members, attendance
def _members(session: Session, plan_id: int, *, active_only: bool = True) -> list[WorkingGroupMember]:
    query = select(WorkingGroupMember).where(WorkingGroupMember.plan_id == plan_id)
    if active_only:
        query = query.where(WorkingGroupMember.active == True)
    return list(session.exec(query.order_by(col(WorkingGroupMember.sort_order), col(WorkingGroupMember.id))))


def list_members(*, session: Session, actor: Actor, active_only: bool = False) -> list[WorkingGroupMember]:
    require_reader(actor)
    plan = active_plan(session=session)
    return [] if plan is None else _members(session, plan.id, active_only=active_only)


def save_member(
    *,
    session: Session,
    actor: Actor,
    member_id: int | None,
    name: str,
    position: str,
    group_role: str = "",
    agency_id: int | None = None,
    sort_order: int | None = None,
    active: bool = True,
) -> WorkingGroupMember:
    """Add a member of the working group, or change one (old minutes keep what they recorded)."""
    require_editor(actor)
    plan = active_plan(session=session)
    if plan is None:
        raise MeetingError("error.meeting.no_plan")
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise MeetingError("error.meeting.unknown_agency")
    values = {
        "name": _line(name, NAME_LIMIT, "member_name", required=True),
        "position": _line(position, NAME_LIMIT, "position"),
        "group_role": _line(group_role, NAME_LIMIT, "group_role"),
        "agency_id": agency_id,
        "active": bool(active),
    }
    if member_id is None:
        order = sort_order if sort_order is not None else len(_members(session, plan.id, active_only=False))
        member = WorkingGroupMember(plan_id=plan.id, sort_order=order, **values)
    else:
        member = session.get(WorkingGroupMember, member_id)
        if member is None or member.plan_id != plan.id:
            raise MeetingError("error.meeting.unknown_member")
        for k, v in values.items():
            setattr(member, k, v)
        if sort_order is not None:
            member.sort_order = sort_order
    session.add(member)
    session.flush()
    return member


@dataclass(frozen=True)
class AttendanceInput:
    """One line of the attendance form. `member_id` None is a participant (not a member)."""

    kind: str
    name: str
    position: str = ""
    member_id: int | None = None
    group_role: str = ""
    stand_in_name: str = ""
    stand_in_position: str = ""
    reason: str = ""


def set_attendance(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    rows: Sequence[AttendanceInput],
    expected_version: int | None,
    reason: str = "",
) -> list[Attendance]:
    """Replace the meeting's attendance lists with `rows` (in order), all or nothing."""
    require_editor(actor)
    meeting = _meeting(session, meeting_id, lock=True)
    _check_version(meeting, expected_version)
    members = {m.id: m for m in _members(session, meeting.plan_id, active_only=False)}
    seen: set[int] = set()
    clean: list[Attendance] = []
    for i, row in enumerate(rows, start=1):
        try:
            kind = AttendanceKind(row.kind)
        except ValueError:
            raise MeetingError("error.meeting.attendance_kind", row=i) from None
        if row.member_id is not None:
            if row.member_id not in members:
                raise MeetingError("error.meeting.unknown_member")
            if row.member_id in seen:
                raise MeetingError("error.meeting.member_twice", row=i, name=members[row.member_id].name)
            seen.add(row.member_id)
            if kind == AttendanceKind.participant:
                raise MeetingError("error.meeting.member_not_participant", row=i)
        elif kind != AttendanceKind.participant:
            raise MeetingError("error.meeting.participant_only", row=i)
        entry = Attendance(
            meeting_id=meeting.id,
            member_id=row.member_id,
            kind=kind,
            name=_line(row.name, NAME_LIMIT, "member_name", required=True),
            position=_line(row.position, NAME_LIMIT, "position"),
            group_role=_line(row.group_role, NAME_LIMIT, "group_role"),
            stand_in_name=_line(row.stand_in_name, NAME_LIMIT, "stand_in_name") if kind == AttendanceKind.substitute else "",
            stand_in_position=_line(row.stand_in_position, NAME_LIMIT, "stand_in_position")
            if kind == AttendanceKind.substitute
            else "",
            reason=_line(row.reason, NAME_LIMIT, "absence_reason") if kind == AttendanceKind.absent else "",
            sort_order=i,
        )
        if kind == AttendanceKind.substitute and not entry.stand_in_name:
            raise MeetingError("error.meeting.stand_in_required", row=i, name=entry.name)
        if kind == AttendanceKind.absent and not entry.reason:
            raise MeetingError("error.meeting.reason_required", row=i, name=entry.name)
        clean.append(entry)
    old = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(col(Attendance.sort_order))).all()
    before, after = _attendance_text(old), _attendance_text(clean)
    if before == after:
        return list(old)
    _correct(session, actor, meeting, {"attendance": (before, after)}, reason, None)
    for row in old:
        session.delete(row)
    session.flush()
    session.add_all(clean)
    meeting.version += 1
    session.add(meeting)
    session.flush()
    return clean


def _attendance_text(rows: Sequence[Attendance]) -> str:
    return "\n".join(
        " | ".join(
            str(v)
            for v in (
                getattr(r.kind, "value", r.kind),
                r.name,
                r.position,
                r.group_role,
                r.stand_in_name,
                r.stand_in_position,
                r.reason,
            )
        )
        for r in rows
    )


# ----------------------------------------------------------------------------- agenda items
def _items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(
        session.exec(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(col(AgendaItem.section), col(AgendaItem.position), col(AgendaItem.id))
        )
    )


def add_item(
    *, session: Session, actor: Actor, meeting_id: int, section: int, title: str, body: str = "", reason: str = ""
) -> AgendaItem:
    require_editor(actor)
    if section not in SECTIONS:
        raise MeetingError("error.meeting.bad_section")
    meeting = _meeting(session, meeting_id, lock=True)
    title = _line(title, LINE_LIMIT, "item_title", required=True)
    body = _text(body, TEXT_LIMIT, "item_body")
    _correct(session, actor, meeting, {f"item {section}: added": ("", f"{title}\n{body}".strip())}, reason, None)
    position = max((i.position for i in _items(session, meeting_id) if i.section == section), default=0) + 1
    item = AgendaItem(meeting_id=meeting_id, section=section, position=position, title=title, body=body, edited=True)
    session.add(item)
    session.flush()
    return item


def update_item(
    *,
    session: Session,
    actor: Actor,
    item_id: int,
    expected_version: int | None,
    title: str,
    body: str,
    resolution_kind: str,
    resolution: str,
    reason: str = "",
) -> AgendaItem:
    """Change an item's title, text and resolution (the minutes of that item)."""
    require_editor(actor)
    item = _item(session, item_id, lock=True)
    meeting = _meeting(session, item.meeting_id, lock=True)
    _check_version(item, expected_version)
    if resolution_kind and resolution_kind not in {k.value for k in ResolutionKind}:
        raise MeetingError("error.meeting.bad_resolution_kind")
    values = {
        "title": _line(title, LINE_LIMIT, "item_title", required=True),
        "body": _text(body, TEXT_LIMIT, "item_body"),
        "resolution_kind": resolution_kind or "",
        "resolution": _text(resolution, TEXT_LIMIT, "resolution"),
    }
    changes = _changes(item, values)
    if not changes:
        return item
    _correct(session, actor, meeting, changes, reason, item.id)
    for k, v in values.items():
        setattr(item, k, v)
    item.edited = True
    item.version += 1
    session.add(item)
    session.flush()
    return item


def move_item(*, session: Session, actor: Actor, item_id: int, step: int, reason: str = "") -> None:
    """Move a sub-item up (step −1) or down (+1) within its agenda item."""
    require_editor(actor)
    item = _item(session, item_id, lock=True)
    meeting = _meeting(session, item.meeting_id, lock=True)
    siblings = [i for i in _items(session, item.meeting_id) if i.section == item.section]
    idx = next(n for n, i in enumerate(siblings) if i.id == item.id)
    target = idx + step
    if target < 0 or target >= len(siblings):
        return
    _correct(session, actor, meeting, {f"item {item.section}: order": (idx + 1, target + 1)}, reason, item.id)
    siblings[idx], siblings[target] = siblings[target], siblings[idx]
    for n, sibling in enumerate(siblings, start=1):
        if sibling.position != n:
            sibling.position = n
            session.add(sibling)
    session.flush()


def delete_item(*, session: Session, actor: Actor, item_id: int, reason: str = "") -> None:
    """Remove a sub-item; refused when a directive was recorded on it."""
    require_editor(actor)
    item = _item(session, item_id, lock=True)
    meeting = _meeting(session, item.meeting_id, lock=True)
    if session.exec(select(Directive).where(Directive.agenda_item_id == item.id)).first() is not None:
        raise MeetingError("error.meeting.item_has_directives")
    _correct(session, actor, meeting, {f"item {item.section}: removed": (f"{item.title}\n{item.body}".strip(), "")}, reason, None)
    session.delete(item)
    session.flush()


# ----------------------------------------------------------------------------- the agenda draft
def draft_agenda(
    *, session: Session, actor: Actor, meeting_id: int, lang: str = "th", today: date | None = None
) -> list[AgendaItem]:
    """Draft (or refresh) the agenda from the data:
    - 2.1 names the previous meeting whose minutes are to be adopted;
    - 3.x one sub-item per chair's directive still open from earlier meetings, with each
      assigned agency's latest answer;
    - 4.1 the reviewed round's results in prose, from the same figures as the chair's overview.
    A drafted item someone has edited is left as it is; one whose directive has been closed
    since is removed (unless edited). Refused once the minutes are adopted."""
    require_editor(actor)
    meeting = _meeting(session, meeting_id, lock=True)
    if meeting.minutes_state == MinutesState.adopted:
        raise MeetingError("error.meeting.adopted_locked")
    items = _items(session, meeting.id)
    by_key = {i.auto_key: i for i in items if i.auto_key}
    wanted: list[tuple[str, int, str, str]] = []  # (auto_key, section, title, body)
    previous = _previous_meeting(session, meeting)
    if previous is not None:
        wanted.append(("previous_minutes", 2, *prose.previous_minutes(previous, lang)))
    for directive, meeting_of, answers in _open_directives_before(session, meeting):
        wanted.append((f"directive:{directive.id}", 3, *prose.carried_directive(directive, meeting_of, answers, lang)))
    if meeting.round_id is not None:
        ov = overview.round_overview(session=session, round_id=meeting.round_id)
        wanted.append(("round_results", 4, *prose.round_results(ov, lang)))
    wanted_keys = {key for key, *_ in wanted}
    recorded_on = set(session.exec(select(Directive.agenda_item_id).where(Directive.meeting_id == meeting.id)).all())
    for key, item in by_key.items():  # a carried directive closed since leaves, unless a person touched its item
        if key.startswith("directive:") and key not in wanted_keys and not item.edited and item.id not in recorded_on:
            session.delete(item)
    session.flush()
    positions = {s: max((i.position for i in _items(session, meeting.id) if i.section == s), default=0) for s in SECTIONS}
    for key, section, title, body in wanted:
        item = by_key.get(key)
        if item is None:
            positions[section] += 1
            session.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    section=section,
                    position=positions[section],
                    title=title,
                    body=body,
                    auto_key=key,
                    resolution_kind=prose.default_resolution_kind(section),
                )
            )
        elif not item.edited and (item.title, item.body) != (title, body):
            item.title, item.body = title, body
            item.version += 1
            session.add(item)
    session.flush()  # items carry their own versions: the meeting's record keeps its own
    return _items(session, meeting.id)


# ----------------------------------------------------------------------------- minutes states
def circulate(
    *, session: Session, actor: Actor, meeting_id: int, expected_version: int | None, on: date | None = None
) -> Meeting:
    """Draft → circulated to members for comment."""
    require_editor(actor)
    meeting = _meeting(session, meeting_id, lock=True)
    _check_version(meeting, expected_version)
    if meeting.minutes_state != MinutesState.draft:
        raise MeetingError("error.meeting.not_draft")
    if not _items(session, meeting.id):
        raise MeetingError("error.meeting.no_items")
    meeting.minutes_state = MinutesState.circulated
    meeting.circulated_on = on or date.today()
    meeting.version += 1
    session.add(meeting)
    session.flush()
    return meeting


def back_to_draft(*, session: Session, actor: Actor, meeting_id: int, expected_version: int | None) -> Meeting:
    """Circulated → draft again (members asked for changes before the next meeting)."""
    require_editor(actor)
    meeting = _meeting(session, meeting_id, lock=True)
    _check_version(meeting, expected_version)
    if meeting.minutes_state != MinutesState.circulated:
        raise MeetingError("error.meeting.not_circulated")
    meeting.minutes_state = MinutesState.draft
    meeting.version += 1
    session.add(meeting)
    session.flush()
    return meeting


def adopt(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    at_meeting_id: int,
    corrections: str = "",
    expected_version: int | None,
    lang: str = "th",
) -> Meeting:
    """Adopt circulated minutes at a later meeting: the later meeting's item 2 records the adoption
    (with the corrections, if any) and the minutes lock."""
    if not can_adopt(actor):
        raise PermissionDenied("error.meeting.adopt_chair_only")
    meeting = _meeting(session, meeting_id, lock=True)
    _check_version(meeting, expected_version)
    if meeting.minutes_state != MinutesState.circulated:
        raise MeetingError("error.meeting.adopt_not_circulated")
    at = _meeting(session, at_meeting_id, lock=True)
    if at.plan_id != meeting.plan_id:
        raise MeetingError("error.meeting.unknown")
    if at.id == meeting.id or (at.held_on, at.year_be, at.number) <= (meeting.held_on, meeting.year_be, meeting.number):
        raise MeetingError("error.meeting.adopt_at_later")
    if at.minutes_state == MinutesState.adopted:
        raise MeetingError("error.meeting.adopt_at_adopted")
    corrections = _text(corrections, TEXT_LIMIT, "corrections")
    meeting.minutes_state = MinutesState.adopted
    meeting.adopted_in_meeting_id = at.id
    meeting.adoption_corrections = corrections
    meeting.version += 1
    session.add(meeting)
    # item 2 of the adopting meeting records it: the drafted "previous minutes" item when it is this
    # meeting's, else a sub-item of its own (several minutes can be adopted at one meeting)
    items = [i for i in _items(session, at.id) if i.section == 2]
    item = next((i for i in items if i.auto_key == f"adopt:{meeting.id}"), None)
    previous = _previous_meeting(session, at)
    if item is None and previous is not None and previous.id == meeting.id:
        item = next((i for i in items if i.auto_key == "previous_minutes"), None)
    title, body = prose.previous_minutes(meeting, lang)
    if item is None:
        position = max((i.position for i in items), default=0) + 1
        item = AgendaItem(meeting_id=at.id, section=2, position=position, title=title, body=body, auto_key=f"adopt:{meeting.id}")
    item.resolution_kind = ResolutionKind.adopt.value
    item.resolution = prose.adoption_resolution(meeting, corrections, lang)
    item.version += 1
    session.add(item)
    session.flush()
    return meeting


def corrections_of(*, session: Session, actor: Actor, meeting_id: int) -> list[MinutesCorrection]:
    require_reader(actor)
    return list(
        session.exec(
            select(MinutesCorrection).where(MinutesCorrection.meeting_id == meeting_id).order_by(col(MinutesCorrection.at))
        )
    )


# ----------------------------------------------------------------------------- directives
def _agency_names(session: Session) -> dict[int, Agency]:
    return {a.id: a for a in session.exec(select(Agency))}


def _directive_agencies(session: Session, directive_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {d: [] for d in directive_ids}
    if not directive_ids:
        return out
    for link in session.exec(select(DirectiveAgency).where(col(DirectiveAgency.directive_id).in_(list(directive_ids)))):
        out[link.directive_id].append(link.agency_id)
    return out


def _latest_answers(session: Session, directive_ids: Sequence[int]) -> dict[tuple[int, int], DirectiveAnswer]:
    """(directive, agency) → that agency's newest answer."""
    out: dict[tuple[int, int], DirectiveAnswer] = {}
    if not directive_ids:
        return out
    answers = session.exec(
        select(DirectiveAnswer)
        .where(col(DirectiveAnswer.directive_id).in_(list(directive_ids)))
        .order_by(col(DirectiveAnswer.answered_at), col(DirectiveAnswer.id))
    )
    for a in answers:
        out[(a.directive_id, a.agency_id)] = a
    return out


def add_directive(
    *, session: Session, actor: Actor, item_id: int, text: str, agency_ids: Sequence[int], due_on: date | None, reason: str = ""
) -> Directive:
    """Record a chair's directive on an agenda item, assigned to one or more agencies."""
    require_editor(actor)
    item = _item(session, item_id, lock=True)
    meeting = _meeting(session, item.meeting_id, lock=True)
    text = _text(text, TEXT_LIMIT, "directive", required=True)
    agency_ids = sorted(set(agency_ids))
    if not agency_ids:
        raise MeetingError("error.meeting.directive_no_agency")
    agencies = _agency_names(session)
    if any(a not in agencies for a in agency_ids):
        raise MeetingError("error.meeting.unknown_agency")
    if due_on is None:
        raise MeetingError("error.meeting.directive_no_due")
    if due_on < meeting.held_on:
        raise MeetingError("error.meeting.directive_due_before_meeting")
    names = ", ".join(agencies[a].short_name_th for a in agency_ids)
    _correct(session, actor, meeting, {"directive: added": ("", f"{text} ({names})")}, reason, item.id)
    item.edited = True  # a re-draft leaves an item that holds a directive alone
    session.add(item)
    directive = Directive(meeting_id=meeting.id, agenda_item_id=item.id, text=text, due_on=due_on, created_at=_now())
    session.add(directive)
    session.flush()
    for agency_id in agency_ids:
        session.add(DirectiveAgency(directive_id=directive.id, agency_id=agency_id))
    session.flush()
    return directive


def _directive(session: Session, directive_id: int, *, lock: bool = False) -> Directive:
    return _load(session, Directive, directive_id, "error.directive.unknown", lock=lock)


def answer_directive(
    *,
    session: Session,
    actor: Actor,
    directive_id: int,
    text: str,
    evidence_url: str = "",
    file_name: str = "",
    file_data: bytes | None = None,
    evidence_dir: Path | None = None,
    max_bytes: int = 10 * 1024 * 1024,
) -> DirectiveAnswer:
    """A focal point answers a directive assigned to their agency with the action taken, and
    evidence (a link, a file, or both) checked as a report's evidence is."""
    if actor.role is None or Role(actor.role) != Role.focal_point or actor.agency_id is None:
        raise PermissionDenied("error.directive.focal_only")
    directive = _directive(session, directive_id, lock=True)
    if actor.agency_id not in _directive_agencies(session, [directive.id])[directive.id]:
        raise PermissionDenied("error.other_agency")
    if directive.state != DirectiveState.open:
        raise MeetingError("error.directive.closed")
    answer = DirectiveAnswer(
        directive_id=directive.id,
        agency_id=actor.agency_id,
        text=_text(text, TEXT_LIMIT, "answer", required=True),
        evidence_url=evidence.normalise_link(evidence_url) if evidence_url.strip() else "",
        answered_at=_now(),
        answered_by_id=actor.user_id,
    )
    target = None
    if file_data is not None:
        if evidence_dir is None:
            raise ValueError("evidence_dir is needed to store a file")
        ext, content_type = evidence.check_file(file_name, file_data, max_bytes=max_bytes)
        evidence_dir.mkdir(parents=True, exist_ok=True)
        answer.stored_name = f"{uuid.uuid4().hex}{ext}"
        answer.file_name = evidence.display_name(file_name)
        answer.content_type = content_type
        answer.size_bytes = len(file_data)
        target = evidence_dir / answer.stored_name
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(file_data)
        tmp.replace(target)
    session.add(answer)
    directive.version += 1  # an answer is news for whoever follows the directive up
    session.add(directive)
    try:
        session.flush()
    except Exception:
        if target is not None:
            target.unlink(missing_ok=True)
        raise
    return answer


def read_answer_file(*, session: Session, actor: Actor, answer_id: int, evidence_dir: Path) -> evidence.EvidenceFile:
    answer = session.get(DirectiveAnswer, answer_id)
    if answer is None or not answer.stored_name:
        raise MeetingError("error.evidence.missing")
    if actor.role is not None and Role(actor.role) == Role.focal_point:
        require_view(actor, answer.agency_id)
    elif actor.role is None:
        raise PermissionDenied()
    path = (evidence_dir / answer.stored_name).resolve()
    if path.parent != evidence_dir.resolve() or not path.is_file():
        raise MeetingError("error.evidence.missing")
    return evidence.EvidenceFile(name=answer.file_name, content_type=answer.content_type, data=path.read_bytes())


def follow_up(
    *, session: Session, actor: Actor, directive_id: int, done: bool, note: str, expected_version: int | None
) -> Directive:
    """The secretariat marks a directive done, or keeps it open with a note (or reopens it)."""
    require_editor(actor)
    directive = _directive(session, directive_id, lock=True)
    _check_version(directive, expected_version)
    directive.secretariat_note = _text(note, TEXT_LIMIT, "follow_up_note")
    if done:
        directive.state = DirectiveState.done
        directive.closed_at = directive.closed_at or _now()
    else:
        directive.state = DirectiveState.open
        directive.closed_at = None
    directive.version += 1
    session.add(directive)
    session.flush()
    return directive


@dataclass(frozen=True)
class AnswerView:
    agency_id: int
    agency_short_name: str
    text: str
    evidence_url: str
    file_name: str
    answer_id: int | None
    answered_at: datetime | None
    agency_short_name_en: str = ""  # English mode's name (core.names.agency_name)


@dataclass(frozen=True)
class DirectiveView:
    id: int
    meeting_id: int
    meeting_number: int
    meeting_year: int
    meeting_held_on: date
    agenda_item_id: int | None
    text: str
    due_on: date
    state: str
    secretariat_note: str
    version: int
    agencies: tuple[AnswerView, ...]  # one per assigned agency, with its latest answer (or none)

    def overdue(self, today: date) -> bool:
        return self.state == DirectiveState.open.value and self.due_on < today

    def answered_by(self, agency_id: int) -> AnswerView | None:
        return next((a for a in self.agencies if a.agency_id == agency_id and a.answer_id is not None), None)


def _views(session: Session, directives: Sequence[Directive]) -> list[DirectiveView]:
    ids = [d.id for d in directives]
    links = _directive_agencies(session, ids)
    latest = _latest_answers(session, ids)
    agencies = _agency_names(session)
    meetings = {m.id: m for m in session.exec(select(Meeting).where(col(Meeting.id).in_({d.meeting_id for d in directives})))}
    out = []
    for d in directives:
        m = meetings[d.meeting_id]
        answers = []
        for agency_id in sorted(links[d.id], key=lambda a: (agencies[a].sort_order, agencies[a].code)):
            a = latest.get((d.id, agency_id))
            answers.append(
                AnswerView(
                    agency_id=agency_id,
                    agency_short_name=agencies[agency_id].short_name_th,
                    agency_short_name_en=agencies[agency_id].short_name_en,
                    text=a.text if a else "",
                    evidence_url=a.evidence_url if a else "",
                    file_name=a.file_name if a else "",
                    answer_id=a.id if a else None,
                    answered_at=a.answered_at if a else None,
                )
            )
        out.append(
            DirectiveView(
                id=d.id,
                meeting_id=m.id,
                meeting_number=m.number,
                meeting_year=m.year_be,
                meeting_held_on=m.held_on,
                agenda_item_id=d.agenda_item_id,
                text=d.text,
                due_on=d.due_on,
                state=str(getattr(d.state, "value", d.state)),
                secretariat_note=d.secretariat_note,
                version=d.version,
                agencies=tuple(answers),
            )
        )
    return out


def _open_directives_before(session: Session, meeting: Meeting) -> list[tuple[Directive, Meeting, list[AnswerView]]]:
    """Open directives recorded at meetings before `meeting`, oldest first, with their answers."""
    rows = session.exec(
        select(Directive, Meeting)
        .join(Meeting, Meeting.id == Directive.meeting_id)
        .where(Meeting.plan_id == meeting.plan_id, Directive.state == DirectiveState.open, Meeting.id != meeting.id)
        .order_by(col(Meeting.held_on), col(Directive.id))
    ).all()
    rows = [(d, m) for d, m in rows if (m.held_on, m.year_be, m.number) < (meeting.held_on, meeting.year_be, meeting.number)]
    views = {v.id: v for v in _views(session, [d for d, _ in rows])}
    return [(d, m, list(views[d.id].agencies)) for d, m in rows]


def directives(*, session: Session, actor: Actor, meeting_id: int | None = None, state: str | None = None) -> list[DirectiveView]:
    """Directives (of one meeting, or all), newest meeting first. A focal point sees only those
    assigned to their own agency, every other role all of them."""
    if actor.role is None:
        raise PermissionDenied()
    query = select(Directive).join(Meeting, Meeting.id == Directive.meeting_id)
    plan = active_plan(session=session)
    if plan is None:
        return []
    query = query.where(Meeting.plan_id == plan.id)
    if meeting_id is not None:
        query = query.where(Directive.meeting_id == meeting_id)
    if state is not None:
        query = query.where(Directive.state == DirectiveState(state))
    if Role(actor.role) == Role.focal_point:
        if actor.agency_id is None:
            return []
        query = query.join(DirectiveAgency, DirectiveAgency.directive_id == Directive.id).where(
            DirectiveAgency.agency_id == actor.agency_id
        )
    found = session.exec(query.order_by(col(Meeting.held_on).desc(), col(Directive.due_on), col(Directive.id))).all()
    return _views(session, found)


def overdue_directives(*, session: Session, actor: Actor, today: date | None = None) -> list[DirectiveView]:
    """Open directives past their due date, most overdue first (the chair's overview)."""
    today = today or date.today()
    found = [d for d in directives(session=session, actor=actor, state=DirectiveState.open.value) if d.overdue(today)]
    return sorted(found, key=lambda d: (d.due_on, d.id))


# ----------------------------------------------------------------------------- the whole meeting
@dataclass(frozen=True)
class Section:
    number: int
    title: str
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class MeetingDetail:
    """A meeting with everything its agenda and minutes show."""

    meeting: Meeting
    round: Round | None
    plan_name: str
    is_demo: bool
    attendance: tuple[Attendance, ...]
    sections: tuple[Section, ...]
    directives: tuple[DirectiveView, ...]  # recorded at this meeting
    previous: Meeting | None
    adopted_in: Meeting | None
    corrections: tuple[MinutesCorrection, ...] = field(default=())

    def present(self) -> list[Attendance]:
        return [a for a in self.attendance if a.kind in (AttendanceKind.present, AttendanceKind.substitute)]

    def absent(self) -> list[Attendance]:
        return [a for a in self.attendance if a.kind == AttendanceKind.absent]

    def participants(self) -> list[Attendance]:
        return [a for a in self.attendance if a.kind == AttendanceKind.participant]

    def directives_of(self, item_id: int) -> list[DirectiveView]:
        return [d for d in self.directives if d.agenda_item_id == item_id]


def section_title(number: int, lang: str = "th") -> str:
    return translate(f"agenda.section.{number}", lang)


def detail(*, session: Session, actor: Actor, meeting_id: int, lang: str = "th") -> MeetingDetail:
    require_reader(actor)
    meeting = _meeting(session, meeting_id)
    plan = active_plan(session=session)
    items = _items(session, meeting.id)
    attendance = session.exec(
        select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(col(Attendance.sort_order), col(Attendance.id))
    ).all()
    found = session.exec(select(Directive).where(Directive.meeting_id == meeting.id).order_by(col(Directive.id))).all()
    return MeetingDetail(
        meeting=meeting,
        round=session.get(Round, meeting.round_id) if meeting.round_id else None,
        plan_name=plan.name_th if plan else "",
        is_demo=bool(plan.is_demo) if plan else False,
        attendance=tuple(attendance),
        sections=tuple(
            Section(number=s, title=section_title(s, lang), items=tuple(i for i in items if i.section == s)) for s in SECTIONS
        ),
        directives=tuple(_views(session, found)),
        previous=_previous_meeting(session, meeting),
        adopted_in=session.get(Meeting, meeting.adopted_in_meeting_id) if meeting.adopted_in_meeting_id else None,
        corrections=tuple(corrections_of(session=session, actor=actor, meeting_id=meeting.id)),
    )
