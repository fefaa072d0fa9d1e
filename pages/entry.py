"""Progress entry: a focal point reports their agency's items for a round (the secretariat can
open any agency). Draft saves, copy-forward, submission, evidence, Excel round trip, history.
The form of one item is ui.report_form; every rule is a service's."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import names
from models import Role, RoundState
from services import excel_io, progress, review
from ui import cache
from ui.boot import settings
from ui.cache import read
from ui.nav import round_picker
from ui.report_form import CONFLICT_KEY, ReportForm, shown_value
from ui.session import require_actor, run_write
from ui.widgets import file_uploader, fmt_date, lang, md, subheader, t, title

actor = require_actor("entry")
is_focal = actor.role == Role.focal_point
title(t("entry.title"))

# --------------------------------------------------------------------------- choose round and agency
left, right = st.columns([2, 2])
rnd = round_picker(left, key="entry_round", in_url=False, mark_closed=True)
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
agencies = cache.agencies()
if is_focal:
    agency = next(a for a in agencies if a.id == actor.agency_id)
    right.text_input(
        t("users.agency"), f"{names.agency_name(agency, lang())} — {names.agency_full_name(agency, lang())}", disabled=True
    )
else:
    agency = right.selectbox(
        t("users.agency"), agencies, format_func=lambda a: f"{a.code} · {names.agency_name(a, lang())}", key="entry_agency"
    )

items = read(progress.entry_items, actor=actor, round_id=rnd.id, agency_id=agency.id)
form = ReportForm(actor=actor, rnd=rnd, evidence_dir=settings().evidence_dir, evidence_max_bytes=settings().evidence_max_bytes)
round_open = rnd.state == RoundState.open
st.caption(
    f"{t('home.period', start=fmt_date(rnd.period_start), end=fmt_date(rnd.period_end))} · "
    f"{t('home.due', date=fmt_date(rnd.due_date))} · {t('round.state.' + str(rnd.state))}"
)
if not round_open and is_focal:
    st.info(t("entry.round_closed_focal"), icon=":material/lock:")
if form.correcting:
    st.warning(t("entry.correction_mode"), icon=":material/edit_note:")

counts = pd.Series([i.state for i in items]).value_counts() if items else pd.Series(dtype=int)


def _figures() -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("entry.metric.items"), len(items))
    c2.metric(t("state.missing"), int(counts.get("missing", 0)))
    c3.metric(t("state.draft"), int(counts.get("draft", 0)) + int(counts.get("returned", 0)))
    c4.metric(t("entry.metric.sent"), int(counts.get("submitted", 0)) + int(counts.get("approved", 0)))


# a focal point's items come before the figures: on a phone four figures would fill the first screen
if not is_focal:
    _figures()

# --------------------------------------------------------------------------- whole-round actions
# the state the screen was drawn in (the previous run): what a click on "submit" must match
unsaved_codes = [item.sub_issue.code for item in items if form.sync(item, show_latest=False)]
shown_versions = {item.assignment.id: form.shown_version(item) for item in items}
# one container: the caption that comes and goes with unsaved edits must not move the widgets
# below it (a widget whose place moves is drawn anew, and loses what is being typed into it)
actions = st.container()
if review.can_submit(actor, agency_id=agency.id, rnd=rnd):
    with actions:
        a1, a2 = st.columns(2)
        missing = [i for i in items if i.missing]
        if a1.button(
            t("entry.copy_forward", n=len(missing)),
            disabled=not missing,
            icon=":material/content_copy:",
            help=t("entry.copy_forward_help"),
            key="copy_forward",
        ):
            run_write(
                lambda s: progress.copy_forward(session=s, actor=actor, agency_id=agency.id, round_id=rnd.id),
                success=t("entry.copied"),
            )
        editable_left = review.to_submit(items)
        if a2.button(
            t("entry.submit_round"), type="primary", disabled=not editable_left, icon=":material/send:", key="submit_round"
        ):
            bare = review.without_evidence(items)  # allowed by the plan, and said in the toast
            # what is submitted is what the form shows: unsaved edits stop it, and so does an item
            # stored in another version than the one the form was drawn from
            if run_write(
                lambda s: review.submit_agency_round(
                    session=s,
                    actor=actor,
                    agency_id=agency.id,
                    round_id=rnd.id,
                    unsaved=unsaved_codes,
                    shown_versions=shown_versions,
                ),
                success=(t("entry.submitted_no_evidence", n=len(bare), codes=", ".join(bare)) if bare else t("entry.submitted")),
                rerun=False,
            ):
                for it in items:  # the form shows what was submitted
                    form.forget(it)
                st.rerun()
        if unsaved_codes:
            st.caption(t("entry.unsaved_items", items=", ".join(md(c) for c in unsaved_codes)))

tab_form, tab_excel = st.tabs([t("entry.tab.form"), t("entry.tab.excel")])
with tab_form:
    if not items:
        st.info(t("home.focal.no_items"))
    current_main = None
    for item in items:
        if item.main_issue.id != current_main:
            current_main = item.main_issue.id
            name = names.main_issue_name(item.main_issue, lang())
            # a heading made of plan text: broken between PyThaiNLP's words ("ขั้น|ตอน" otherwise)
            subheader(f"{t('entry.main_issue')} {item.main_issue.number}: {name}")
        sub_name = names.sub_issue_name(item.sub_issue, lang())
        unsaved = form.sync(item)
        badge = t(f"state.{item.state}") + (f" · {t('entry.unsaved_badge')}" if unsaved else "")
        # keyed: the label changes with the badge, and an unkeyed expander whose label changes is a
        # new widget, drawn anew with its fields, losing what is being typed into them
        with st.expander(
            f"{md(item.sub_issue.code)} {md(sub_name)} — {badge}",
            expanded=item.state in ("missing", "returned") or unsaved,
            key=f"{form.prefix(item)}_box",
        ):
            form.editor(item, unsaved)

    if is_focal and items:
        _figures()

# --------------------------------------------------------------------------- Excel round trip
with tab_excel:
    st.write(t("excel.intro"))

    def make_template() -> bytes:
        return read(excel_io.build_template, actor=actor, round_id=rnd.id, agency_id=agency.id)

    st.download_button(
        t("excel.download"),
        data=make_template,
        icon=":material/download:",
        file_name=f"report-{agency.code}-{rnd.fiscal_year}-{rnd.months}m.xlsx",
        key="excel_template",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",  # a rerun would drop the deferred file before its request arrives
    )
    nonce = st.session_state.setdefault("excel_nonce", 0)  # a new key empties the uploader after an import
    uploaded = file_uploader(
        t("excel.upload"),
        types=["xlsx"],
        max_mb=max(1, excel_io.MAX_UPLOAD_BYTES // (1024 * 1024)),
        kinds=t("upload.kinds.xlsx"),
        key=f"excel_upload_{nonce}",
    )
    if uploaded is not None:
        with st.spinner(t("excel.checking")):
            import_plan = read(excel_io.read_upload, actor=actor, round_id=rnd.id, agency_id=agency.id, data=uploaded.getvalue())
        file_problem = import_plan.file_problem
        if file_problem is not None:  # the file as a whole: one message, no table of rows
            st.error(
                f"{t('excel.file_refused')} {t(file_problem.message_key, **{k: md(v) for k, v in file_problem.params.items()})}",
                icon=":material/error:",
            )
        elif not import_plan.ok:
            heading = (
                t("excel.problems_listed", count=import_plan.problem_total, shown=len(import_plan.problems))
                if import_plan.problems_not_listed
                else t("excel.problems", count=import_plan.problem_total)
            )
            st.error(heading, icon=":material/error:")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("excel.row"): p.row,
                            t("excel.column"): p.column,
                            t("excel.value"): p.value,
                            t("excel.why"): t(p.message_key, **p.params),
                        }
                        for p in import_plan.problems
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if import_plan.ok and import_plan.kept:
            st.info(t("excel.kept"), icon=":material/info:")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("excel.row"): n.row,
                            t("col.sub_issue"): n.sub_issue_code,
                            t("history.field"): t("field." + n.field),
                            t("excel.kept_value"): shown_value(n.field, n.value),
                        }
                        for n in import_plan.kept
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        if import_plan.ok and not import_plan.changes:
            st.info(t("excel.no_changes"))
        elif import_plan.ok:
            st.success(t("excel.preview", rows=len(import_plan.updates), changes=len(import_plan.changes)))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("excel.row"): c.row,
                            t("col.sub_issue"): c.sub_issue_code,
                            t("history.field"): t("field." + c.field),
                            t("history.old"): shown_value(c.field, c.old),
                            t("history.new"): shown_value(c.field, c.new),
                        }
                        for c in import_plan.changes
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            # an import must not silently replace what is typed on the form and not yet saved
            unsaved_here = [u.sub_issue_code for u in import_plan.updates if u.sub_issue_code in unsaved_codes]
            if unsaved_here:
                st.error(t("excel.unsaved_first", items=", ".join(md(c) for c in unsaved_here)), icon=":material/edit:")
            elif st.button(t("excel.apply"), type="primary", key="excel_apply", icon=":material/upload:"):
                with st.spinner(t("excel.applying")):
                    ok = run_write(
                        lambda s: excel_io.apply_import(session=s, actor=actor, plan=import_plan),
                        success=t("excel.applied", rows=len(import_plan.updates)),
                        rerun=False,
                        conflict_key=CONFLICT_KEY,
                    )
                if ok:
                    imported = {u.assignment_id for u in import_plan.updates}
                    for it in items:  # the imported items show what was stored; the others keep their input
                        if it.assignment.id in imported:
                            form.forget(it)
                    st.session_state["excel_nonce"] = nonce + 1
                    st.rerun()
                elif CONFLICT_KEY in st.session_state:
                    st.session_state.pop(CONFLICT_KEY)
                    st.error(t("excel.conflict"), icon=":material/sync_problem:")
