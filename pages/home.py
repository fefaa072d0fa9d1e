"""Home: the current round, and what this user has to do in it."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import streamlit as st

from core import names
from core.thaidate import fiscal_year_of
from models import Role
from services import home, meetings, reminders
from services.meeting_docs.prose import resolution_text
from ui.boot import settings
from ui.cache import read
from ui.nav import nav_page
from ui.session import form_key, require_actor, run_write
from ui.widgets import clip, file_uploader, fmt_date, lang, md, round_label, subheader, t, thai_words, title

actor = require_actor("home")
summary = read(home.summary_for, actor=actor)

title(t("home.title"))
if summary.plan_name_th:
    st.caption(md(summary.plan_name_en if lang() == "en" and summary.plan_name_en else summary.plan_name_th))
agency = summary.my_agency
if agency is not None:  # a focal point first sees whom they report for
    short, agency_name = names.agency_name(agency, lang()), names.agency_full_name(agency, lang())
    st.markdown(t("home.focal.agency", short=md(short), name=md(agency_name)))

rnd = summary.current_round
if rnd is None:
    st.info(t("home.no_round_admin") if actor.role == Role.admin else t("home.no_round"), icon=":material/info:")
    st.stop()

with st.container(border=True):
    subheader(t("home.current_round"))
    st.markdown(f"### {round_label(rnd.fiscal_year, rnd.months)}")
    st.write(t("home.period", start=fmt_date(rnd.period_start), end=fmt_date(rnd.period_end)))
    state_text = t(f"round.state.{rnd.state}")
    due = t("home.due", date=fmt_date(rnd.due_date))
    if summary.days_to_due is not None and summary.days_to_due >= 0 and str(rnd.state) == "open":
        due += " · " + t("home.days_left", days=summary.days_to_due)
    st.write(f"{state_text} · {due}")

counts = summary.counts


def _figures() -> None:
    """The round's figures: the agency's own, then the whole plan's."""
    if agency is not None and counts is not None:
        mine = summary.my_counts
        cols = st.columns(4)
        cols[0].metric(t("home.focal.m.reported"), t("home.x_of_y", x=mine.reported, y=mine.items), border=True)
        cols[1].metric(t("home.focal.m.sent"), t("home.x_of_y", x=mine.sent, y=mine.items), border=True)
        cols[2].metric(t("home.focal.m.returned"), mine.returned, border=True)
        cols[3].metric(t("home.focal.m.missing"), mine.missing, border=True)
    if counts is not None:
        if agency is not None:
            st.caption(t("home.whole_plan"))
        cols = st.columns(4)
        cols[0].metric(t("home.metric.reported"), f"{counts.reported}/{counts.assignments}")
        cols[1].metric(t("home.metric.approved"), f"{counts.approved}/{counts.assignments}")
        cols[2].metric(t("home.metric.agencies"), t("home.x_of_y", x=counts.agencies_reported, y=counts.agencies_total))
        cols[3].metric(t("home.metric.missing"), counts.missing)


# a focal point's items come before the figures: on a phone the figures would fill the first screen
items_first = actor.role == Role.focal_point
if not items_first:
    _figures()
subheader(t("home.todo"))
if actor.role == Role.focal_point:
    pending = [i for i in summary.my_items if i.state in (home.MISSING, "draft", "returned")]
    if not summary.my_items:
        st.info(t("home.focal.no_items"))
    elif not pending:
        st.success(t("home.focal.all_done"), icon=":material/task_alt:")
    elif str(rnd.state) != "open":  # nothing can be sent any more: say so instead of asking for it
        st.info(t("home.focal.closed_pending", n=len(pending)), icon=":material/lock:")
    else:
        st.warning(t("home.focal.pending", n=len(pending)), icon=":material/edit_note:")
    for item in summary.my_items:
        if item.state == "returned" and item.review_comment:
            st.error(
                t("home.focal.returned", code=md(item.sub_issue_code), comment=md(clip(item.review_comment, 500))),
                icon=":material/undo:",
            )
    table = pd.DataFrame(
        [
            {
                t("col.sub_issue"): f"{i.sub_issue_code} {names.sub_issue_name(i, lang())}",
                t("col.progress"): i.progress_pct,
                t("col.state"): t(f"state.{i.state}"),
            }
            for i in summary.my_items
        ]
    )
    if not table.empty:
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={t("col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%")},
        )
elif actor.role == Role.secretariat and counts is not None:
    st.write(t("home.sec.to_review", n=counts.submitted))
    st.write(t("home.sec.returned", n=counts.returned))
    if summary.agencies_not_submitted:
        st.write(
            t(
                "home.sec.not_submitted",
                agencies=", ".join(md(names.agency_name(a, lang())) for a in summary.agencies_not_submitted),
            )
        )
    else:
        st.success(t("home.sec.all_submitted"))
    if summary.locked_users:
        st.warning(t("home.locked_users", users=", ".join(md(u) for u in summary.locked_users)), icon=":material/lock:")
elif actor.role == Role.admin:
    st.write(t("home.admin.users", n=summary.user_count))
    if summary.locked_users:
        st.warning(t("home.locked_users", users=", ".join(md(u) for u in summary.locked_users)), icon=":material/lock:")
    else:
        st.write(t("home.admin.no_locked"))
elif actor.role in (Role.chair, Role.executive) and counts is not None:
    st.write(
        t(
            "home.chair.status",
            reported=counts.agencies_reported,
            total=counts.agencies_total,
            missing=counts.missing,
            returned=counts.returned,
        )
    )
else:
    st.write(t("home.viewer"))
if items_first:
    _figures()


def _directives_to_answer() -> None:
    """A focal point's open directives of the chair, each with its answer form."""
    mine = read(meetings.directives, actor=actor, state="open")
    subheader(t("home.directives"))
    if not mine:
        st.caption(t("home.directives_none"))
        return
    today = date.today()
    for d in mine:
        with st.container(border=True, key=f"home_directive_{d.id}"):
            late = f" · **{t('meetings.d.overdue')}**" if d.overdue(today) else ""
            st.markdown(
                f"{t('home.directive_from', ref=t('meeting.number', number=d.meeting_number, year=d.meeting_year))} · "
                f"{t('meetings.due', date=fmt_date(d.due_on))}{late}"
            )
            st.text(clip(d.text, 2000))
            own = d.answered_by(actor.agency_id)
            if own is not None:
                st.caption(t("home.directive_last_answer", date=fmt_date(own.answered_at.date()) if own.answered_at else ""))
                st.text(clip(own.text, 1000))
            _answer_form(d)


def _answer_form(d: meetings.DirectiveView) -> None:
    """The focal point's answer to one directive: the action taken, with a link or a file."""
    with st.form(form_key(f"answer_{d.id}"), border=False):
        text = st.text_area(t("field.answer"), max_chars=meetings.TEXT_LIMIT)
        link = st.text_input(t("evidence.link"), placeholder="https://")
        upload = file_uploader(
            t("evidence.file"),
            types=None,  # any file: the service names the allowed kinds in Thai when it refuses one
            max_mb=settings().evidence_max_bytes // (1024 * 1024),
            kinds=t("upload.kinds.evidence"),
            key=form_key(f"answer_{d.id}") + "_file",
        )
        if st.form_submit_button(t("home.directive_send"), type="primary", icon=":material/send:"):
            with st.spinner(t("evidence.uploading") if upload is not None else t("home.directive_sending")):
                run_write(
                    lambda s: meetings.answer_directive(
                        session=s,
                        actor=actor,
                        directive_id=d.id,
                        text=text,
                        evidence_url=link or "",
                        file_name=upload.name if upload is not None else "",
                        file_data=upload.getvalue() if upload is not None else None,
                        evidence_dir=settings().evidence_dir,
                        max_bytes=settings().evidence_max_bytes,
                    ),
                    success=t("home.directive_sent"),
                    reset_form=f"answer_{d.id}",
                )


if actor.role == Role.focal_point:
    notice = read(reminders.notice_for, actor=actor)
    if notice is not None:  # until the agency has nothing left to send
        st.warning(
            t(
                "home.reminder",
                round=round_label(notice.fiscal_year, notice.months),
                when=fmt_date(notice.sent_at.date()),
                missing=md(notice.missing),
                due=fmt_date(notice.due_date),
            ),
            icon=":material/notifications_active:",
        )
    _directives_to_answer()
elif actor.role in (Role.secretariat, Role.chair, Role.executive):
    overdue = read(meetings.overdue_directives, actor=actor)
    if overdue:
        st.warning(t("home.directives_overdue", n=len(overdue)), icon=":material/assignment_late:")
        st.page_link(nav_page("meetings", "pages/meetings.py"), label=t("home.to_meetings"), icon=":material/groups:")

if summary.last_meeting is not None:
    m = summary.last_meeting
    with st.container(border=True):
        st.caption(t("home.last_meeting"))
        st.markdown(f"**{t('meeting.title', number=m.number, year=m.year_be)}** · {fmt_date(m.held_on)}")
        held_fy = fiscal_year_of(m.held_on)
        if rnd is not None and held_fy < rnd.fiscal_year:  # the latest there is, but from an earlier year
            st.warning(t("home.meeting_old", fy=held_fy, current=rnd.fiscal_year), icon=":material/history:")
        st.caption(t(f"minutes_state.{getattr(m.minutes_state, 'value', m.minutes_state)}"))
        for kind, text in summary.last_meeting_resolutions:
            # meeting text laid out by the app: broken between PyThaiNLP's words ("มอบหมายก|ลุ่ม" otherwise)
            resolution = thai_words(clip(resolution_text(kind, text, lang()), 800))
            st.html(f'<p class="thai-text">{html.escape(t("meeting.resolution"))}: {resolution}</p>')
