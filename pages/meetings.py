"""Meetings: the list, the record and attendance, the agenda and its minutes item by item, the
chair's directives and their follow-up, and the agenda and minutes as DOCX and PDF.

The secretariat writes; the chair adopts minutes; executives, viewers and the administrator read.
"""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

from core import names
from services import meetings
from services.meeting_docs import minutes as layout
from services.meeting_docs.docx import build_docx
from services.meeting_docs.pdf import build_pdf
from services.meeting_docs.prose import resolution_text
from ui import cache
from ui.boot import settings
from ui.cache import read
from ui.session import form_key, require_actor, run_write
from ui.widgets import (
    be_date_input,
    clip,
    evidence_link,
    fmt_date,
    lang,
    md,
    plain,
    round_label,
    stored_file_button,
    subheader,
    t,
    title,
    url_selectbox,
)

actor = require_actor("meetings")
editor = meetings.can_edit(actor)
adopter = meetings.can_adopt(actor)
title(t("meetings.title"))

rows = read(meetings.list_meetings, actor=actor)
all_rounds, current_round = cache.plan_rounds()
round_by_id = {r.id: r for r in all_rounds}


def _meeting_label(row: meetings.MeetingRow) -> str:
    return f"{t('meeting.number', number=row.number, year=row.year_be)} · {fmt_date(row.held_on)}"


def _round_name(fy: int | None, months: int | None) -> str:
    return round_label(fy, months) if fy and months else "–"


def _round_choice(container, current: int | None, *, key: str) -> int | None:
    """The round a meeting reviews (newest first), or none."""
    options = [None, *[r.id for r in reversed(all_rounds)]]
    return container.selectbox(
        t("meetings.f.round"),
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda rid: (
            t("meetings.no_round") if rid is None else round_label(round_by_id[rid].fiscal_year, round_by_id[rid].months)
        ),
        key=key,
    )


def _time_text(value: time | None) -> str:
    return "" if value is None else (f"{value:%H.%M} น." if lang() == "th" else f"{value:%H:%M}")


# ---------------------------------------------------------------- the list
if rows:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("meetings.col.number"): t("meeting.number", number=r.number, year=r.year_be),
                    t("meetings.col.date"): fmt_date(r.held_on),
                    t("meetings.col.venue"): plain(r.venue),
                    t("meetings.col.chair"): plain(f"{r.chair_name} {r.chair_title}".strip()),
                    t("meetings.col.round"): _round_name(r.round_fiscal_year, r.round_months),
                    t("meetings.col.minutes"): t(f"minutes_state.{r.minutes_state}"),
                    t("meetings.col.open_directives"): r.open_directives,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info(t("meetings.empty_editor") if editor else t("meetings.empty"), icon=":material/event:")

# ---------------------------------------------------------------- create
if editor:
    with st.expander(t("meetings.create"), icon=":material/add:", expanded=not rows):
        with st.form("meeting_create", clear_on_submit=False, border=False):
            c1, c2, c3 = st.columns([1, 1, 1])
            with c1:
                held_on = be_date_input(t("meetings.f.date"), date.today(), key="mc_date")
            starts_at = c2.time_input(t("meetings.f.starts"), value=time(9, 30), step=900, key="mc_starts")
            round_id = _round_choice(c3, current_round.id if current_round else None, key="mc_round")
            last = rows[0] if rows else None
            venue = st.text_input(
                t("field.venue"), value=last.venue if last else "", max_chars=meetings.LINE_LIMIT, key="mc_venue"
            )
            c4, c5 = st.columns(2)
            chair_name = c4.text_input(
                t("field.chair_name"), value=last.chair_name if last else "", max_chars=meetings.NAME_LIMIT, key="mc_chair"
            )
            chair_title = c5.text_input(
                t("field.chair_title"), value=last.chair_title if last else "", max_chars=meetings.NAME_LIMIT, key="mc_chair_t"
            )
            number_text = st.text_input(
                t("meetings.f.number"), value="", placeholder=t("meetings.f.number_auto"), key="mc_number"
            )
            st.caption(t("meetings.f.number_help"))
            if st.form_submit_button(t("meetings.create_button"), type="primary", icon=":material/add:"):
                number = int(number_text) if number_text.strip().isdigit() else None
                if number_text.strip() and number is None:
                    st.error(t("error.meeting.bad_number"), icon=":material/error:")
                else:
                    created: list[int] = []

                    def _create(s):
                        m = meetings.create_meeting(
                            session=s,
                            actor=actor,
                            held_on=held_on,
                            starts_at=starts_at,
                            venue=venue,
                            chair_name=chair_name,
                            chair_title=chair_title,
                            round_id=round_id,
                            number=number,
                        )
                        created.append(m.id)
                        return m

                    if run_write(_create, success=t("meetings.created"), rerun=False):
                        st.query_params["meeting"] = str(created[0])
                        st.rerun()

if not rows:
    st.stop()

# ---------------------------------------------------------------- choose one
ids = [r.id for r in rows]
try:
    wanted = int(st.query_params.get("meeting", ""))
except ValueError:
    wanted = None
by_id = {r.id: r for r in rows}
chosen = url_selectbox(
    st,
    t("meetings.choose"),
    ids,
    wanted if wanted in by_id else ids[0],
    key="meeting_pick",
    format_func=lambda i: _meeting_label(by_id[i]),
)
st.query_params["meeting"] = str(chosen)
detail = read(meetings.detail, actor=actor, meeting_id=chosen, lang=lang())
m = detail.meeting
adopted = m.minutes_state == meetings.MinutesState.adopted
state_key = str(getattr(m.minutes_state, "value", m.minutes_state))

subheader(f"{t('meeting.number', number=m.number, year=m.year_be)} · {fmt_date(m.held_on)}")
st.caption(
    " · ".join(
        p
        for p in (
            md(m.venue),
            md(f"{m.chair_name} {m.chair_title}".strip()),
            _round_name(detail.round.fiscal_year if detail.round else None, detail.round.months if detail.round else None),
            t(f"minutes_state.{state_key}"),
        )
        if p
    )
)
if adopted:
    where = detail.adopted_in
    st.info(
        t("meetings.adopted_note", ref=t("meeting.number", number=where.number, year=where.year_be) if where else "–"),
        icon=":material/lock:",
    )


def _reason_box(key: str) -> str:
    """Adopted minutes change only with a reason; the box appears only then."""
    if not adopted:
        return ""
    return st.text_input(t("field.reason"), key=key, max_chars=1000, help=t("meetings.reason_help"))


try:  # a link to one directive (the overview's overdue list) opens the directives tab with it first
    focus = int(st.query_params.get("directive", ""))
except ValueError:
    focus = None
tab_names = [
    t("meetings.tab.record"),
    t("meetings.tab.people"),
    t("meetings.tab.agenda"),
    t("meetings.tab.directives"),
    t("meetings.tab.files"),
]
tab_record, tab_people, tab_agenda, tab_directives, tab_files = st.tabs(
    tab_names, default=tab_names[3] if focus is not None else None
)

# ---------------------------------------------------------------- record
with tab_record:
    if not editor:
        st.write(f"**{t('meetings.f.date')}:** {fmt_date(m.held_on)}")
        st.write(f"**{t('meetings.f.time')}:** {_time_text(m.starts_at)} – {_time_text(m.ends_at)}")
        st.write(f"**{t('field.venue')}:** {md(m.venue)}")
        st.write(f"**{t('meetings.col.chair')}:** {md(m.chair_name)} {md(m.chair_title)}")
        st.write(f"**{t('minutes.note_taker')}:** {md(m.note_taker_name)} {md(m.note_taker_position)}")
        st.write(f"**{t('minutes.checker')}:** {md(m.checker_name)} {md(m.checker_position)}")
    else:
        with st.form(f"record_{m.id}_{m.version}", border=False):
            group_name = st.text_input(t("field.group_name"), value=m.group_name, max_chars=meetings.LINE_LIMIT)
            c1, c2, c3, c4 = st.columns(4)
            number = c1.number_input(t("meetings.f.number"), min_value=1, max_value=999, value=m.number, step=1)
            with c2:
                held = be_date_input(t("meetings.f.date"), m.held_on, key=f"rec_date_{m.id}_{m.version}")
            starts = c3.time_input(t("meetings.f.starts"), value=m.starts_at or time(9, 30), step=300)
            ends = c4.time_input(t("meetings.f.ends"), value=m.ends_at, step=300)
            venue = st.text_input(t("field.venue"), value=m.venue, max_chars=meetings.LINE_LIMIT)
            c5, c6 = st.columns(2)
            chair_name = c5.text_input(t("field.chair_name"), value=m.chair_name, max_chars=meetings.NAME_LIMIT)
            chair_title = c6.text_input(t("field.chair_title"), value=m.chair_title, max_chars=meetings.NAME_LIMIT)
            round_id = _round_choice(st, m.round_id, key=f"rec_round_{m.id}_{m.version}")
            c7, c8 = st.columns(2)
            nt_name = c7.text_input(t("field.note_taker_name"), value=m.note_taker_name, max_chars=meetings.NAME_LIMIT)
            nt_pos = c8.text_input(t("field.note_taker_position"), value=m.note_taker_position, max_chars=meetings.NAME_LIMIT)
            c9, c10 = st.columns(2)
            ck_name = c9.text_input(t("field.checker_name"), value=m.checker_name, max_chars=meetings.NAME_LIMIT)
            ck_pos = c10.text_input(t("field.checker_position"), value=m.checker_position, max_chars=meetings.NAME_LIMIT)
            reason = _reason_box(f"record_reason_{m.id}")
            if st.form_submit_button(t("meetings.save"), type="primary", icon=":material/save:"):
                run_write(
                    lambda s: meetings.update_meeting(
                        session=s,
                        actor=actor,
                        meeting_id=m.id,
                        expected_version=m.version,
                        reason=reason,
                        group_name=group_name,
                        number=int(number),
                        held_on=held,
                        starts_at=starts,
                        ends_at=ends,
                        venue=venue,
                        chair_name=chair_name,
                        chair_title=chair_title,
                        round_id=round_id,
                        note_taker_name=nt_name,
                        note_taker_position=nt_pos,
                        checker_name=ck_name,
                        checker_position=ck_pos,
                    ),
                    success=t("meetings.saved"),
                )
        if m.minutes_state == meetings.MinutesState.draft and not detail.directives:
            with st.expander(t("meetings.delete"), icon=":material/delete:"):
                sure = st.checkbox(
                    t("meetings.delete_confirm", ref=t("meeting.number", number=m.number, year=m.year_be)), key=f"del_{m.id}"
                )
                if st.button(t("meetings.delete_button"), disabled=not sure, key=f"del_btn_{m.id}"):
                    if run_write(
                        lambda s: meetings.delete_meeting(session=s, actor=actor, meeting_id=m.id),
                        success=t("meetings.deleted"),
                        rerun=False,
                    ):
                        st.query_params.pop("meeting", None)
                        st.rerun()

# ---------------------------------------------------------------- attendance
KINDS = [k.value for k in meetings.AttendanceKind]
with tab_people:
    members = read(meetings.list_members, actor=actor)
    member_by_id = {mb.id: mb for mb in members}
    att_rows = [
        {
            "member_id": a.member_id,
            "kind": str(getattr(a.kind, "value", a.kind)),
            "name": a.name,
            "position": a.position,
            "group_role": a.group_role,
            "stand_in_name": a.stand_in_name,
            "stand_in_position": a.stand_in_position,
            "reason": a.reason,
        }
        for a in detail.attendance
    ]
    frame = pd.DataFrame(
        att_rows,
        columns=["member_id", "kind", "name", "position", "group_role", "stand_in_name", "stand_in_position", "reason"],
    )
    config = {
        "member_id": st.column_config.SelectboxColumn(
            t("meetings.a.member"),
            options=list(member_by_id),
            format_func=lambda i: plain(member_by_id[i].name) if i in member_by_id else t("meetings.a.not_member"),
            help=t("meetings.a.member_help"),
        ),
        "kind": st.column_config.SelectboxColumn(
            t("meetings.a.kind"), options=KINDS, format_func=lambda k: t(f"attendance.{k}"), required=True
        ),
        "name": st.column_config.TextColumn(t("field.member_name"), max_chars=meetings.NAME_LIMIT),  # a picked member fills it
        "position": st.column_config.TextColumn(t("field.position"), max_chars=meetings.NAME_LIMIT),
        "group_role": st.column_config.TextColumn(t("field.group_role"), max_chars=meetings.NAME_LIMIT),
        "stand_in_name": st.column_config.TextColumn(t("field.stand_in_name"), max_chars=meetings.NAME_LIMIT),
        "stand_in_position": st.column_config.TextColumn(t("field.stand_in_position"), max_chars=meetings.NAME_LIMIT),
        "reason": st.column_config.TextColumn(t("field.absence_reason"), max_chars=meetings.NAME_LIMIT),
    }
    if editor:
        st.caption(t("meetings.a.help"))
        edited = st.data_editor(
            frame,
            column_config=config,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=f"attendance_{m.id}_{m.version}",
        )
        reason = _reason_box(f"att_reason_{m.id}")
        if st.button(t("meetings.a.save"), type="primary", icon=":material/save:", key=f"att_save_{m.id}"):

            def _cell(value: object) -> str:
                return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

            inputs = []
            for rec in edited.to_dict("records"):
                member_id = rec.get("member_id")
                member_id = None if member_id is None or pd.isna(member_id) else int(member_id)
                member = member_by_id.get(member_id)  # a member picked in a new row brings their name and position
                if member is not None:
                    rec = {
                        **rec,
                        **{
                            k: v
                            for k in ("name", "position", "group_role")
                            if not _cell(rec.get(k)) and (v := getattr(member, k))
                        },
                    }
                inputs.append(
                    meetings.AttendanceInput(
                        kind=_cell(rec.get("kind"))
                        or (meetings.AttendanceKind.present.value if member_id else meetings.AttendanceKind.participant.value),
                        member_id=member_id,
                        name=_cell(rec.get("name")),
                        position=_cell(rec.get("position")),
                        group_role=_cell(rec.get("group_role")),
                        stand_in_name=_cell(rec.get("stand_in_name")),
                        stand_in_position=_cell(rec.get("stand_in_position")),
                        reason=_cell(rec.get("reason")),
                    )
                )
            run_write(
                lambda s: meetings.set_attendance(
                    session=s, actor=actor, meeting_id=m.id, rows=inputs, expected_version=m.version, reason=reason
                ),
                success=t("meetings.a.saved"),
            )
        with st.expander(t("meetings.members"), icon=":material/groups:"):
            agencies = cache.agencies()
            agency_ids = [None, *[a.id for a in agencies]]
            agency_name = {a.id: names.agency_name(a, lang()) for a in agencies}
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("field.member_name"): plain(mb.name),
                            t("field.position"): plain(mb.position),
                            t("field.group_role"): plain(mb.group_role),
                            t("users.agency"): agency_name.get(mb.agency_id, ""),
                            t("users.active"): mb.active,
                        }
                        for mb in members
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            choices = [None, *member_by_id]
            pick = st.selectbox(
                t("meetings.member_pick"),
                choices,
                format_func=lambda i: t("meetings.member_new") if i is None else plain(member_by_id[i].name),
                key="member_pick",
            )
            current = member_by_id.get(pick)
            with st.form(f"member_form_{pick}", border=False):
                name = st.text_input(t("field.member_name"), value=current.name if current else "", max_chars=meetings.NAME_LIMIT)
                position = st.text_input(
                    t("field.position"), value=current.position if current else "", max_chars=meetings.NAME_LIMIT
                )
                group_role = st.text_input(
                    t("field.group_role"),
                    value=current.group_role if current else t("meetings.member_role_default"),
                    max_chars=meetings.NAME_LIMIT,
                )
                agency_id = st.selectbox(
                    t("users.agency"),
                    agency_ids,
                    index=agency_ids.index(current.agency_id) if current and current.agency_id in agency_ids else 0,
                    format_func=lambda i: t("users.no_agency") if i is None else agency_name[i],
                )
                active = st.checkbox(t("users.active"), value=current.active if current else True)
                if st.form_submit_button(t("meetings.member_save"), icon=":material/save:"):
                    run_write(
                        lambda s: meetings.save_member(
                            session=s,
                            actor=actor,
                            member_id=pick,
                            name=name,
                            position=position,
                            group_role=group_role,
                            agency_id=agency_id,
                            active=active,
                        ),
                        success=t("meetings.member_saved"),
                    )
    else:
        for key, people in (
            ("present", detail.present()),
            ("absent", detail.absent()),
            ("participants", detail.participants()),
        ):
            st.markdown(f"**{t('minutes.' + key)}**")
            if not people:
                st.caption(t("minutes.none"))
            for n, a in enumerate(people, start=1):
                line = f"{n}. {md(a.name)} {md(a.position)}"
                if a.kind == meetings.AttendanceKind.substitute:
                    line = f"{n}. {md(a.stand_in_name)} {md(a.stand_in_position)} {t('minutes.instead_of', name=md(a.name), position=md(a.position))}"
                if a.kind == meetings.AttendanceKind.absent and a.reason:
                    line += f" ({md(a.reason)})"
                st.write(line)

# ---------------------------------------------------------------- agenda and minutes
RESOLUTION_KINDS = ["", *[k.value for k in meetings.ResolutionKind]]


def _item_form(item) -> None:
    """The secretariat's form for one sub-item: title, text, resolution (its minutes)."""
    with st.form(f"item_{item.id}_{item.version}", border=False):
        title = st.text_input(t("field.item_title"), value=item.title, max_chars=meetings.LINE_LIMIT)
        body = st.text_area(t("field.item_body"), value=item.body, height=200, max_chars=meetings.TEXT_LIMIT)
        c1, c2 = st.columns([1, 3])
        kind = c1.selectbox(
            t("meetings.resolution_kind"),
            RESOLUTION_KINDS,
            index=RESOLUTION_KINDS.index(item.resolution_kind) if item.resolution_kind in RESOLUTION_KINDS else 0,
            format_func=lambda k: t("meetings.resolution_none") if not k else t(f"resolution.{k}"),
        )
        resolution = c2.text_area(
            t("field.resolution"),
            value=item.resolution,
            height=100,
            max_chars=meetings.TEXT_LIMIT,
            placeholder=t("meetings.resolution_placeholder"),
        )
        reason = _reason_box(f"item_reason_{item.id}")
        if st.form_submit_button(t("meetings.save"), type="primary", icon=":material/save:"):
            run_write(
                lambda s: meetings.update_item(
                    session=s,
                    actor=actor,
                    item_id=item.id,
                    expected_version=item.version,
                    title=title,
                    body=body,
                    resolution_kind=kind,
                    resolution=resolution,
                    reason=reason,
                ),
                success=t("meetings.item_saved"),
            )


def _item_order(item, n: int, count: int, removable: bool) -> None:
    """Move a sub-item up or down, or remove it (after a confirmation)."""
    reason = _reason_box(f"order_reason_{item.id}")  # outside the item's form: read as typed
    b1, b2, b3 = st.columns(3)
    if b1.button(t("meetings.up"), key=f"up_{item.id}", disabled=n == 1, icon=":material/arrow_upward:"):
        run_write(
            lambda s: meetings.move_item(session=s, actor=actor, item_id=item.id, step=-1, reason=reason),
            success=t("meetings.moved"),
        )
    if b2.button(t("meetings.down"), key=f"down_{item.id}", disabled=n == count, icon=":material/arrow_downward:"):
        run_write(
            lambda s: meetings.move_item(session=s, actor=actor, item_id=item.id, step=1, reason=reason),
            success=t("meetings.moved"),
        )
    if removable:
        sure = b3.checkbox(t("meetings.remove_confirm"), key=f"rm_ok_{item.id}")
        if b3.button(t("meetings.remove"), key=f"rm_{item.id}", disabled=not sure, icon=":material/delete:"):
            run_write(
                lambda s: meetings.delete_item(session=s, actor=actor, item_id=item.id, reason=reason),
                success=t("meetings.removed"),
            )


def _directive_form(item) -> None:
    """Record a chair's directive on this sub-item."""
    agency_name = {a.id: names.agency_name(a, lang()) for a in cache.agencies()}
    if not st.toggle(t("meetings.add_directive"), key=f"directive_open_{item.id}"):  # inline: a popover overflows a phone
        return
    with st.container(border=True):
        with st.form(form_key(f"directive_{item.id}"), border=False):
            text = st.text_area(t("field.directive"), max_chars=meetings.TEXT_LIMIT)
            chosen = st.multiselect(t("meetings.d.agencies"), list(agency_name), format_func=agency_name.get)
            due = be_date_input(t("meetings.d.due"), None, key=form_key(f"directive_{item.id}") + "_due", optional=True)
            reason = _reason_box(f"d_reason_{item.id}")
            if st.form_submit_button(t("meetings.d.save"), type="primary"):
                run_write(
                    lambda s: meetings.add_directive(
                        session=s, actor=actor, item_id=item.id, text=text, agency_ids=chosen, due_on=due, reason=reason
                    ),
                    success=t("meetings.d.saved"),
                    reset_form=f"directive_{item.id}",
                )


def _item(item, n: int, count: int, heading: str) -> None:
    label = f"{detail_number(item, n, count)} {plain(item.title)}".strip() or heading
    with st.expander(md(label), expanded=False, key=f"item_box_{item.id}"):
        item_directives = detail.directives_of(item.id)
        if editor:
            _item_form(item)
            _item_order(item, n, count, removable=not item_directives)
        else:
            if item.body:
                st.text(clip(item.body, 6000))
            text = resolution_text(item.resolution_kind, item.resolution, lang())
            if text:
                st.markdown(f"**{t('minutes.resolution_label')}** {md(text)}")
        for d in item_directives:
            st.warning(
                f"**{t('minutes.directive_label')}** {md(d.text)} · {t('meetings.due', date=fmt_date(d.due_on))} · "
                f"{', '.join(md(names.agency_name(a, lang())) for a in d.agencies)} · {t('directive_state.' + d.state)}",
                icon=":material/assignment:",
            )
        if editor:
            _directive_form(item)


def detail_number(item, n: int, count: int) -> str:
    return f"{item.section}.{n}" if count > 1 else ""


def _add_item_form(section_number: int) -> None:
    with st.expander(t("meetings.add_item", number=section_number), icon=":material/add:"):
        with st.form(form_key(f"add_item_{m.id}_{section_number}"), border=False):
            title = st.text_input(t("field.item_title"), max_chars=meetings.LINE_LIMIT)
            body = st.text_area(t("field.item_body"), max_chars=meetings.TEXT_LIMIT)
            reason = _reason_box(f"add_reason_{m.id}_{section_number}")
            if st.form_submit_button(t("meetings.add_item_button"), type="primary"):
                run_write(
                    lambda s: meetings.add_item(
                        session=s, actor=actor, meeting_id=m.id, section=section_number, title=title, body=body, reason=reason
                    ),
                    success=t("meetings.item_added"),
                    reset_form=f"add_item_{m.id}_{section_number}",
                )


with tab_agenda:
    if editor and not adopted:
        c1, c2 = st.columns([1, 2])
        if c1.button(t("meetings.draft"), icon=":material/auto_awesome:", key=f"draft_{m.id}", type="primary"):
            run_write(
                lambda s: meetings.draft_agenda(session=s, actor=actor, meeting_id=m.id, lang=lang()),
                success=t("meetings.drafted"),
            )
        c2.caption(t("meetings.draft_help"))
    for section in detail.sections:
        heading = t("minutes.section", number=section.number, title=section.title)
        if section.number == 2 and detail.previous is not None:
            heading += " " + t("meeting.number", number=detail.previous.number, year=detail.previous.year_be)
        st.markdown(f"#### {heading}")
        if not section.items:
            st.caption(t("meetings.no_sub_items"))
        for n, item in enumerate(section.items, start=1):
            _item(item, n, len(section.items), heading)
        if editor:
            _add_item_form(section.number)


# ---------------------------------------------------------------- directives follow-up
def _follow_up(d: meetings.DirectiveView) -> None:
    with st.form(f"follow_{d.id}_{d.version}", border=False):
        note = st.text_input(t("field.follow_up_note"), value=d.secretariat_note, max_chars=2000)
        f1, f2 = st.columns(2)
        done = f1.form_submit_button(t("meetings.d.mark_done"), disabled=d.state == "done", icon=":material/task_alt:")
        keep = f2.form_submit_button(
            t("meetings.d.keep_open") if d.state == "open" else t("meetings.d.reopen"), icon=":material/pending:"
        )
        if done or keep:
            run_write(
                lambda s: meetings.follow_up(
                    session=s, actor=actor, directive_id=d.id, done=bool(done), note=note, expected_version=d.version
                ),
                success=t("meetings.d.closed") if done else t("meetings.d.kept"),
            )


def _answer_evidence(a: meetings.AnswerView) -> None:
    """An answer's evidence: the link as an HTML anchor built from the checked address, the file
    as a download read through the service (which re-checks who may see it) only when clicked."""
    if a.evidence_url:
        evidence_link(st, a.evidence_url, indent="1.5rem")
    if a.file_name and a.answer_id is not None:
        stored_file_button(
            st,
            md(a.file_name),
            meetings.read_answer_file,
            file_name=a.file_name,
            key=f"answer_file_{a.answer_id}",
            actor=actor,
            answer_id=a.answer_id,
            evidence_dir=settings().evidence_dir,
        )


with tab_directives:
    every = sorted(read(meetings.directives, actor=actor), key=lambda d: d.id != focus)  # stable: the rest keep their order
    if not every:
        st.info(t("meetings.d.none"), icon=":material/assignment:")
    today = date.today()
    for d in every:
        status = t("directive_state." + d.state) + (f" · {t('meetings.d.overdue')}" if d.overdue(today) else "")
        with st.container(border=True, key=f"directive_{d.id}"):
            if d.id == focus:
                st.caption(t("meetings.d.linked"))
            st.markdown(
                f"**{t('meeting.number', number=d.meeting_number, year=d.meeting_year)}** · "
                f"{t('meetings.due', date=fmt_date(d.due_on))} · {status}"
            )
            st.text(clip(d.text, 2000))
            for a in d.agencies:
                answer = clip(a.text, 1000) if a.answer_id else t("meetings.d.no_answer")
                when = f" ({fmt_date(a.answered_at.date(), short=True)})" if a.answered_at else ""
                st.write(f"- **{md(names.agency_name(a, lang()))}**{when}: {md(answer)}")
                _answer_evidence(a)
            if d.secretariat_note:
                st.caption(f"{t('field.follow_up_note')}: {md(d.secretariat_note)}")
            if editor:
                _follow_up(d)

# ---------------------------------------------------------------- files and minutes state
with tab_files:
    thai = st.toggle(t("meetings.thai_digits"), key="meeting_thai_digits")
    ref = f"{m.number}-{m.year_be}"
    c1, c2, c3, c4 = st.columns(4)

    def _file(kind: str, fmt: str, language: str, digits: bool):
        """Built on click, outside the script run (no session there): the language and the digits
        are the ones on screen when the button was drawn."""

        def build() -> bytes:
            doc = (layout.agenda_document if kind == "agenda" else layout.minutes_document)(
                detail, lang=language, thai_digits=digits
            )
            return build_docx(doc) if fmt == "docx" else build_pdf(doc)

        return build

    for col, kind, fmt, mime in (
        (c1, "agenda", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (c2, "agenda", "pdf", "application/pdf"),
        (c3, "minutes", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (c4, "minutes", "pdf", "application/pdf"),
    ):
        col.download_button(
            t(f"meetings.file.{kind}_{fmt}"),
            _file(kind, fmt, lang(), thai),
            file_name=f"{kind}_{ref}.{fmt}",
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"dl_{kind}_{fmt}",
        )
    st.divider()
    st.markdown(f"**{t('meetings.minutes_state')}:** {t(f'minutes_state.{state_key}')}")
    if editor and m.minutes_state == meetings.MinutesState.draft:
        if st.button(t("meetings.circulate"), icon=":material/send:", key=f"circ_{m.id}"):
            run_write(
                lambda s: meetings.circulate(session=s, actor=actor, meeting_id=m.id, expected_version=m.version),
                success=t("meetings.circulated"),
            )
    if m.minutes_state == meetings.MinutesState.circulated:
        if editor and st.button(t("meetings.back_to_draft"), key=f"undo_circ_{m.id}"):
            run_write(
                lambda s: meetings.back_to_draft(session=s, actor=actor, meeting_id=m.id, expected_version=m.version),
                success=t("meetings.back_to_draft_done"),
            )
        later = [  # a later meeting whose own minutes are not locked yet
            r
            for r in rows
            if (r.held_on, r.year_be, r.number) > (m.held_on, m.year_be, m.number) and r.minutes_state != "adopted"
        ]
        if adopter:
            if not later:
                st.info(t("meetings.adopt_needs_later"), icon=":material/info:")
            else:
                with st.form(f"adopt_{m.id}", border=False):
                    at = st.selectbox(
                        t("meetings.adopt_at"), [r.id for r in later], format_func=lambda i: _meeting_label(by_id[i])
                    )
                    corrections = st.text_area(
                        t("field.corrections"), max_chars=meetings.TEXT_LIMIT, help=t("meetings.corrections_help")
                    )
                    sure = st.checkbox(t("meetings.adopt_confirm"))
                    if st.form_submit_button(t("meetings.adopt"), type="primary", icon=":material/verified:"):
                        if not sure:
                            st.error(t("meetings.adopt_tick"), icon=":material/error:")
                        else:
                            run_write(
                                lambda s: meetings.adopt(
                                    session=s,
                                    actor=actor,
                                    meeting_id=m.id,
                                    at_meeting_id=at,
                                    corrections=corrections,
                                    expected_version=m.version,
                                    lang=lang(),
                                ),
                                success=t("meetings.adopted"),
                            )
    if detail.corrections:
        st.markdown(f"**{t('meetings.corrections')}**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("history.when"): c.at,
                        t("history.field"): c.field_name,
                        t("history.old"): clip(c.old_value, 300),
                        t("history.new"): clip(c.new_value, 300),
                        t("field.reason"): clip(c.reason, 300),
                    }
                    for c in detail.corrections
                ]
            ),
            hide_index=True,
            width="stretch",
        )
