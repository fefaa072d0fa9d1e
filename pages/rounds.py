"""Rounds (secretariat): every round of the plan with its period, due date, state and what is still
outstanding; open one, move its due date, close it knowing what it leaves, reopen with a reason."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import names
from services import digest, reminders, round_admin
from ui import cache
from ui.boot import settings
from ui.cache import read
from ui.session import form_key, require_actor, run_job, run_write
from ui.widgets import be_date_input, flash, fmt_date, fmt_datetime, lang, md, round_label, subheader, t, title, url_selectbox

SEEN_KEY = "rounds_close_seen"


def _remember_seen(seen: round_admin.Outstanding) -> None:
    st.session_state[SEEN_KEY] = seen


actor = require_actor("rounds")
title(t("rounds.title"))
rows = read(round_admin.round_rows, actor=actor)
if not rows:
    st.info(t("home.no_round"), icon=":material/info:")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                t("rounds.col.round"): round_label(r.round.fiscal_year, r.round.months),
                t(
                    "rounds.col.period"
                ): f"{fmt_date(r.round.period_start, short=True)} – {fmt_date(r.round.period_end, short=True)}",
                t("rounds.col.due"): fmt_date(r.round.due_date, short=True),
                t("rounds.col.state"): t(f"round.state.{r.round.state}"),
                t("rounds.col.missing"): r.outstanding.missing,
                t("rounds.col.returned"): r.outstanding.returned,
                t("rounds.col.unapproved"): r.outstanding.unapproved,
                t("rounds.col.approved"): f"{r.counts.approved}/{r.counts.assignments}",
            }
            for r in rows
        ]
    ),
    hide_index=True,
    width="stretch",
)

by_id = {r.round.id: r for r in rows}
open_first = next((r.round.id for r in rows if r.round.state == round_admin.RoundState.open), rows[0].round.id)
try:
    wanted = int(st.query_params.get("round", ""))
except ValueError:
    wanted = None
chosen = url_selectbox(
    st,
    t("entry.round"),
    list(by_id),
    wanted if wanted in by_id else open_first,
    key="rounds_pick",
    format_func=lambda i: (
        round_label(by_id[i].round.fiscal_year, by_id[i].round.months) + f" · {t('round.state.' + str(by_id[i].round.state))}"
    ),
)
st.query_params["round"] = str(chosen)
row = by_id[chosen]
rnd, left = row.round, row.outstanding
name = round_label(rnd.fiscal_year, rnd.months)
history = read(round_admin.events, actor=actor, round_id=rnd.id)
stamp = f"{rnd.id}_{rnd.state}_{len(history)}"  # every confirmation is a new, unticked box after any change

with st.container(border=True):
    subheader(name)
    st.write(
        f"{t('round.state.' + str(rnd.state))} · {t('home.period', start=fmt_date(rnd.period_start), end=fmt_date(rnd.period_end))} · "
        f"{t('home.due', date=fmt_date(rnd.due_date))}"
    )
    if rnd.state == round_admin.RoundState.open:
        if left.none:
            st.success(t("rounds.nothing_left"), icon=":material/task_alt:")
        else:
            st.warning(
                t("rounds.left", missing=left.missing, returned=left.returned, unapproved=left.unapproved),
                icon=":material/warning:",
            )
        # The box and the button are new widgets whenever the counts change, and the tick keeps the
        # counts it was shown with: a close goes through only with what the secretariat saw.
        close_key = f"{stamp}_{left.missing}_{left.returned}_{left.unapproved}"
        sure = st.checkbox(
            t("rounds.confirm_close", missing=left.missing, returned=left.returned, unapproved=left.unapproved),
            value=False,
            key=f"close_ok_{close_key}",
            on_change=_remember_seen,
            args=(left,),
        )
        seen = st.session_state.get(SEEN_KEY, left)
        if st.button(t("rounds.close"), disabled=not sure, type="primary", icon=":material/lock:", key=f"close_{close_key}"):
            run_write(
                lambda s: round_admin.close_round(session=s, actor=actor, round_id=rnd.id, shown=seen),
                success=t("rounds.closed", round=name, missing=seen.missing, returned=seen.returned, unapproved=seen.unapproved),
            )
    else:
        other = next(
            (
                r.round
                for r in rows
                if r.round.state == round_admin.RoundState.open
                and r.round.fiscal_year == rnd.fiscal_year
                and r.round.id != rnd.id
            ),
            None,
        )
        reason = ""
        if row.ever_reported:
            st.caption(t("rounds.reopen_help"))
            reason = st.text_input(t("rounds.reason"), key=f"reopen_reason_{stamp}", max_chars=round_admin.REASON_LIMIT)
        allow_second = False
        if other is not None:
            st.warning(t("rounds.other_open", round=round_label(other.fiscal_year, other.months)), icon=":material/warning:")
            allow_second = st.checkbox(t("rounds.allow_second"), value=False, key=f"second_{stamp}")
        label = t("rounds.reopen") if row.ever_reported else t("rounds.open")
        if st.button(label, type="primary", icon=":material/lock_open:", key=f"open_{stamp}"):
            run_write(
                lambda s: round_admin.open_round(
                    session=s, actor=actor, round_id=rnd.id, reason=reason, allow_second=allow_second
                ),
                success=t("rounds.reopened" if row.ever_reported else "rounds.opened", round=name),
            )

subheader(t("rounds.behind_title"))
days = (rnd.due_date - date.today()).days
st.caption(t("rounds.days_to_due", days=days) if days >= 0 else t("rounds.days_past_due", days=-days))
behind = read(round_admin.behind, actor=actor, round_id=rnd.id)
if not behind:
    st.success(t("rounds.all_approved"), icon=":material/task_alt:")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("users.agency"): names.agency_name(a, lang()),
                    t("rounds.col.not_started"): a.not_started,
                    t("rounds.col.draft"): a.draft,
                    t("rounds.col.submitted"): a.submitted,
                    t("rounds.col.returned"): a.returned,
                    t("rounds.col.contacts"): "; ".join(
                        f"{c.display_name} <{c.email}>" if c.email else c.display_name for c in a.contacts
                    )
                    or t("rounds.no_contact"),
                }
                for a in behind
            ]
        ),
        hide_index=True,
        width="stretch",
    )

behind_now = [a for a in behind if a.behind]
if rnd.state == round_admin.RoundState.open and behind_now:
    with st.container(border=True):
        st.markdown(f"**{t('rounds.remind_title')}**")
        if not settings().smtp_host:
            st.info(t("rounds.remind_mail_off"), icon=":material/mail:")
        behind_names = {a.agency_id: names.agency_name(a, lang()) for a in behind_now}
        chosen_agencies = st.multiselect(
            t("rounds.remind_agencies"),
            list(behind_names),
            default=list(behind_names),
            format_func=behind_names.get,
            key=f"remind_{stamp}",
        )
        if st.button(
            t("rounds.remind_button"), icon=":material/notifications:", key=f"remind_btn_{stamp}", disabled=not chosen_agencies
        ):
            with st.spinner(t("rounds.remind_sending")):  # logged first, sent outside the transaction, recorded
                results = run_job(
                    lambda e: reminders.send(
                        engine=e, actor=actor, round_id=rnd.id, settings=settings(), agency_ids=chosen_agencies
                    )
                )
            if results is not None:  # the toast says what happened to each e-mail
                counts = {k: sum(r.email_status == k for r in results) for k in ("sent", "failed", "no_address")}
                flash(t("rounds.remind_done", n=len(results), **counts))
                st.rerun()
log = read(reminders.sent_for, actor=actor, round_id=rnd.id)
people = read(round_admin.who_acted, actor=actor, round_id=rnd.id)
if log:
    st.markdown(f"**{t('rounds.remind_log')}**")
    agency_names = {a.id: names.agency_name(a, lang()) for a in cache.agencies()}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("rounds.col.sent_at"): fmt_datetime(r.sent_at),
                    t("rounds.col.sent_by"): people.get(r.by_id, t("rounds.by_job")),
                    t("users.agency"): agency_names.get(r.agency_id, ""),
                    t("rounds.behind_title"): r.missing,
                    t("rounds.col.recipients"): r.recipients,
                    t("rounds.col.email"): t(f"reminder.status.{r.email_status}")
                    + (f" ({r.email_error})" if r.email_error else ""),
                }
                for r in log
            ]
        ),
        hide_index=True,
        width="stretch",
    )

with st.expander(t("rounds.due_title"), icon=":material/event:"):
    due = be_date_input(t("rounds.new_due"), rnd.due_date, key=f"due_{stamp}")
    due_reason = st.text_input(t("rounds.due_reason"), key=f"due_reason_{stamp}", max_chars=round_admin.REASON_LIMIT)
    if st.button(t("rounds.due_save"), key=f"due_save_{stamp}", icon=":material/save:"):
        run_write(
            lambda s: round_admin.set_due_date(session=s, actor=actor, round_id=rnd.id, due_date=due, reason=due_reason),
            success=t("rounds.due_saved", round=name, date=fmt_date(due) if due else "–"),
        )

subheader(t("rounds.history"))
if not history:
    st.caption(t("rounds.no_history"))
for e in history:
    line = f"{fmt_datetime(e.at)} · {t('rounds.event.' + e.action)}"
    if e.by_id in people:
        line += f" · {t('rounds.by', name=md(people[e.by_id]))}"
    if e.action == "due" and e.detail:
        line += f" ({md(e.detail)})"
    if e.reason:
        line += f" · {t('rounds.reason')}: {md(e.reason)}"
    st.write(line)


# ---------------------------------------------------------------- the chair's digest (issue 15)
DIGEST_ADD_FORM = "digest_add"


def _digest_outcome(done: digest.Outcome) -> None:
    """What became of a digest, said plainly: only a send the server accepted is a success."""
    params = {"round": done.round_name, "n": len(done.recipients), "error": md(done.error)}
    if done.status == "sent" and not done.error:
        st.success(t("digest.result.sent", **params), icon=":material/mark_email_read:")
    elif done.status == "sent":
        st.warning(t("digest.result.sent_partial", **params), icon=":material/warning:")
    elif done.status == "failed":
        st.error(t("digest.result.failed", **params), icon=":material/error:")
    else:  # off, no_recipients
        st.warning(t(digest.outcome_key(done.status), **params), icon=":material/unsubscribe:")


def _digest_section(actor, rnd) -> None:
    """The chair's digest: who receives it, sending the chosen round's now, and every digest sent."""
    subheader(t("digest.title"))
    st.caption(t("digest.help"))
    people = read(digest.list_recipients, actor=actor)
    st.markdown(f"**{t('digest.recipients')}**")
    if people:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("digest.col.name"): p.name,
                        t("digest.col.email"): p.email,
                        t("digest.col.active"): t("digest.yes") if p.active else t("digest.no"),
                        t("digest.col.added_at"): fmt_datetime(p.added_at),
                    }
                    for p in people
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption(t("digest.no_recipients_yet"))

    with st.form(form_key(DIGEST_ADD_FORM), border=True):
        st.markdown(f"**{t('digest.add_title')}**")
        left, right = st.columns(2)
        name = left.text_input(t("digest.name"), max_chars=digest.NAME_LIMIT)
        address = right.text_input(t("digest.email"), max_chars=digest.EMAIL_LIMIT)
        if st.form_submit_button(t("digest.add_button"), icon=":material/person_add:"):
            run_write(
                lambda s: digest.add_recipient(session=s, actor=actor, name=name, email=address),
                success=t("digest.added", email=md(address.strip().lower())),
                reset_form=DIGEST_ADD_FORM,
            )

    if people:
        by_id = {p.id: p for p in people}
        with st.container(border=True):
            chosen = st.selectbox(
                t("digest.pick"),
                list(by_id),
                format_func=lambda i: f"{by_id[i].name} <{by_id[i].email}>" + ("" if by_id[i].active else f" · {t('digest.no')}"),
                key="digest_pick",
            )
            person = by_id[chosen]
            stamp = f"{person.id}_{person.active}_{len(people)}"  # a new, unticked confirmation after any change
            email_md = md(person.email)
            switch, remove = st.columns(2)
            if switch.button(
                t("digest.deactivate") if person.active else t("digest.activate"),
                icon=":material/notifications_off:" if person.active else ":material/notifications_active:",
                key=f"digest_switch_{stamp}",
            ):
                run_write(
                    lambda s: digest.set_recipient_active(
                        session=s, actor=actor, recipient_id=person.id, active=not person.active
                    ),
                    success=t("digest.deactivated" if person.active else "digest.activated", email=email_md),
                )
            sure = remove.checkbox(t("digest.confirm_remove", email=email_md), value=False, key=f"digest_rm_ok_{stamp}")
            if remove.button(t("digest.remove"), icon=":material/delete:", disabled=not sure, key=f"digest_rm_{stamp}"):
                run_write(
                    lambda s: digest.remove_recipient(session=s, actor=actor, recipient_id=person.id),
                    success=t("digest.removed", email=email_md),
                )

    if digest.mail_is_off(settings()):
        st.info(t("digest.mail_off"), icon=":material/mail:")
    if st.button(t("digest.send_button"), type="primary", icon=":material/forward_to_inbox:", key=f"digest_send_{rnd.id}"):
        with st.spinner(t("digest.sending")):  # the PDF is built and the mail sent outside any write lock
            done = run_job(lambda e: digest.send_digest(engine=e, actor=actor, round_id=rnd.id, settings=settings()))
        if done is not None:
            _digest_outcome(done)

    st.markdown(f"**{t('digest.log_title')}**")
    log = read(digest.history, actor=actor)
    if not log:
        st.caption(t("digest.no_log"))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("digest.col.sent_at"): fmt_datetime(e.sent_at),
                    t("digest.col.round"): round_label(e.fiscal_year, e.months),
                    t("digest.col.by"): e.by_name or t("digest.by_job"),
                    t("digest.col.to"): e.recipients,
                    t("digest.col.status"): t(f"digest.status.{e.status}") if e.status in digest.STATUSES else e.status,
                    t("digest.col.error"): e.error,
                }
                for e in log
            ]
        ),
        hide_index=True,
        width="stretch",
    )


_digest_section(actor, rnd)
