"""Progress entry: a focal point reports their agency's items for a round (the secretariat can
open any agency). Draft saves, copy-forward, submission, evidence, Excel round trip, history."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from core import runtime
from core.ui import clip, evidence_item, file_uploader, flash, fmt_date, fmt_datetime, lang, md, round_label, show_refusal, t
from models import ProgressStatus, Role, RoundState, SubmissionState
from services import evidence, excel_io, plans, progress, review, rounds, status
from services import history as report_history
from services.errors import UserFacingError
from services.numbers import format_figure
from services.progress import EntryItem, ReportConflict, ReportInput, ValidationFailed

actor = runtime.require_actor("entry")
settings = runtime.settings()
is_focal = actor.role == Role.focal_point

with runtime.read_session() as session:
    all_rounds, current = rounds.plan_rounds(session=session)
    agencies = plans.agencies(session=session)

st.title(t("entry.title"))
if not all_rounds:
    st.info(t("home.no_round"))
    st.stop()

# --------------------------------------------------------------------------- choose round and agency
left, right = st.columns([2, 2])
round_ids = [r.id for r in reversed(all_rounds)]
by_id = {r.id: r for r in all_rounds}
round_id = left.selectbox(
    t("entry.round"),
    round_ids,
    index=round_ids.index(current.id) if current else 0,
    format_func=lambda rid: (
        round_label(by_id[rid].fiscal_year, by_id[rid].months)
        + ("" if by_id[rid].state == RoundState.open else f" ({t('round.state.closed')})")
    ),
    key="entry_round",
)
rnd = by_id[round_id]
if is_focal:
    agency = next(a for a in agencies if a.id == actor.agency_id)
    right.text_input(t("users.agency"), f"{agency.short_name_th} — {agency.name_th}", disabled=True)
else:
    agency = right.selectbox(
        t("users.agency"), agencies, format_func=lambda a: f"{a.code} · {a.short_name_th}", key="entry_agency"
    )

with runtime.read_session() as session:
    items = progress.entry_items(session=session, actor=actor, round_id=round_id, agency_id=agency.id)

round_open = rnd.state == RoundState.open
correcting = not round_open and actor.role == Role.secretariat
st.caption(
    f"{t('home.period', start=fmt_date(rnd.period_start), end=fmt_date(rnd.period_end))} · "
    f"{t('home.due', date=fmt_date(rnd.due_date))} · {t('round.state.' + str(rnd.state))}"
)
if not round_open and is_focal:
    st.info(t("entry.round_closed_focal"), icon=":material/lock:")
if correcting:
    st.warning(t("entry.correction_mode"), icon=":material/edit_note:")

counts = pd.Series([i.state for i in items]).value_counts() if items else pd.Series(dtype=int)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("entry.metric.items"), len(items))
c2.metric(t("state.missing"), int(counts.get("missing", 0)))
c3.metric(t("state.draft"), int(counts.get("draft", 0)) + int(counts.get("returned", 0)))
c4.metric(t("entry.metric.sent"), int(counts.get("submitted", 0)) + int(counts.get("approved", 0)))


def _prefix(item: EntryItem) -> str:
    return f"e{round_id}_{item.assignment.id}"


def _run_write(action, success: str) -> bool:
    """Run a service write; show refusals in plain language. True when it was saved."""
    try:
        with runtime.write_session() as session:
            action(session)
    except ReportConflict as exc:
        st.session_state["_conflict"] = exc
        return False
    except ValidationFailed as exc:
        show_refusal(exc)
        for p in exc.problems:
            where = f"{p.sub_issue_code} · " if p.sub_issue_code else ""
            st.write(f"- {where}{t('field.' + p.field)}: {t(p.message_key, **p.params)}")
        return False
    except UserFacingError as exc:
        show_refusal(exc)
        return False
    flash(success)
    return True


# --------------------------------------------------------------------------- whole-round actions
can_edit_round = round_open and actor.role in (Role.focal_point, Role.secretariat)
actions_box = st.container()  # filled below, once each item's unsaved state is known
tab_form, tab_excel = st.tabs([t("entry.tab.form"), t("entry.tab.excel")])

# --------------------------------------------------------------------------- one item
STATUS_OPTIONS = [None, *ProgressStatus]
limits = progress.TEXT_LIMITS
TEXT_WIDGETS = (  # (field, widget, help)
    ("achievements", st.text_area, None),
    ("obstacles", st.text_area, None),
    ("next_steps", st.text_area, None),
    ("evidence", st.text_input, "entry.evidence_note_help"),
)


def shown_value(field: str, value: str | None) -> str:
    """A stored value as the history and the conflict table show it: figures in the one number
    format, statuses and yes/no in words, text cut to a table cell."""
    if value is None or value == "":
        return ""
    if field in ("progress_pct", "actual_value"):
        return format_figure(value)
    if field == "status":
        return t(f"status.{value}") if value in {s.value for s in ProgressStatus} else value
    if field == "submission_state":
        return t(f"state.{value}") if value in {s.value for s in SubmissionState} else value
    if field == "notable":
        return t("common.yes") if value == "True" else t("common.no")
    return clip(value, 300)


def _load_widgets(item: EntryItem, prefix: str) -> None:
    data = ReportInput.from_report(item.report)
    st.session_state[f"{prefix}_loaded"] = data
    st.session_state[f"{prefix}_base"] = item.report.version if item.report else None
    for name in progress.EDITABLE_FIELDS:
        value = getattr(data, name)
        st.session_state[f"{prefix}_{name}"] = float(value) if isinstance(value, Decimal) else value
    _keep_shadow(prefix)


def _widget_input(prefix: str) -> ReportInput:
    values = {name: st.session_state.get(f"{prefix}_{name}") for name in progress.EDITABLE_FIELDS}
    return ReportInput(
        **{
            k: (v if v is not None else ("" if k in progress.TEXT_FIELDS or k == "status_reason" else v))
            for k, v in values.items()
        }
    )


def _status_label(status: ProgressStatus | None) -> str:
    return t("entry.choose_status") if status is None else t(f"status.{status}")


def _sync_state(item: EntryItem) -> bool:
    """Prepare the item's widget state; True when the user has unsaved edits.

    Streamlit drops a widget's value when the widget is not drawn in a run (another page, a
    hidden field). A shadow copy in a plain session key keeps unsaved input across such runs.
    """
    prefix = _prefix(item)
    stored_version = item.report.version if item.report else None
    if f"{prefix}_base" not in st.session_state:
        _load_widgets(item, prefix)
    shadow = st.session_state.get(f"{prefix}_shadow", {})
    for name in progress.EDITABLE_FIELDS:
        if f"{prefix}_{name}" not in st.session_state and name in shadow:
            st.session_state[f"{prefix}_{name}"] = shadow[name]
    dirty = bool(_widget_input(prefix).differs_from(st.session_state[f"{prefix}_loaded"]))
    if not dirty and st.session_state[f"{prefix}_base"] != stored_version:
        _load_widgets(item, prefix)  # someone else saved and we had no edits: show the latest
    return dirty


def _keep_shadow(prefix: str) -> None:
    st.session_state[f"{prefix}_shadow"] = {name: st.session_state.get(f"{prefix}_{name}") for name in progress.EDITABLE_FIELDS}


def item_editor(item: EntryItem, dirty: bool) -> None:
    prefix = _prefix(item)
    editable = (
        round_open and (actor.role == Role.secretariat or (is_focal and item.state in ("missing", "draft", "returned")))
    ) or correcting
    a = item.assignment
    st.markdown(
        f"**{t('entry.indicator')}:** {md(a.output_text or '-')}  \n**{t('entry.outcome')}:** {md(a.outcome_text or '-')}"
    )
    target = f"{format_figure(a.target_value)} {md(a.unit)}" if a.target_value is not None else "-"
    prev = item.previous
    prev_text = (
        (
            f"{format_figure(prev.progress_pct) or '-'}% · {format_figure(prev.actual_value) or '-'} "
            f"· {t('status.' + str(prev.status)) if prev.status else '-'}"
        )
        if prev
        else t("entry.no_previous")
    )
    st.caption(
        f"{t('entry.target')}: {target} · {t('entry.previous')}: {prev_text} · {t('entry.expected', pct=f'{item.expected:.0f}')}"
    )

    if item.report is not None and item.state == "returned" and item.report.review_comment:
        st.error(t("entry.returned_comment", comment=md(item.report.review_comment)), icon=":material/undo:")
        if is_focal and round_open:
            answer = st.text_area(t("entry.answer"), key=f"{prefix}_answer_text", max_chars=progress.COMMENT_LIMIT)
            if st.button(t("entry.send_answer"), key=f"{prefix}_answer_btn"):
                if _run_write(
                    lambda s: review.answer_return(session=s, actor=actor, report_id=item.report.id, answer=answer or ""),
                    t("entry.answered"),
                ):
                    st.rerun()

    c1, c2, c3 = st.columns([1, 1, 2])
    c1.number_input(
        t("field.progress_pct"), key=f"{prefix}_progress_pct", step=1.0, format="%.2f", disabled=not editable, placeholder="0–100"
    )
    c2.number_input(
        t("field.actual_value") + (f" ({a.unit})" if a.unit else ""),
        key=f"{prefix}_actual_value",
        step=1.0,
        format="%.2f",
        disabled=not editable,
    )
    typed = st.session_state.get(f"{prefix}_progress_pct")
    suggested = status.suggest_status(Decimal(str(typed)) if typed is not None else None, item.expected)
    c3.selectbox(t("field.status"), STATUS_OPTIONS, key=f"{prefix}_status", format_func=_status_label, disabled=not editable)
    chosen = st.session_state.get(f"{prefix}_status")
    if suggested is not None:
        c3.caption(t("entry.suggested", status=t(f"status.{suggested}")))
    if chosen is not None and ((suggested is not None and chosen != suggested) or chosen == ProgressStatus.cancelled):
        st.text_input(
            t("field.status_reason"),
            key=f"{prefix}_status_reason",
            disabled=not editable,
            help=t("entry.reason_help"),
            max_chars=limits["status_reason"],
        )
    for name, widget, help_key in TEXT_WIDGETS:  # each counts down to its limit
        widget(
            t(f"field.{name}"),
            key=f"{prefix}_{name}",
            disabled=not editable,
            max_chars=limits[name],
            help=t(help_key) if help_key else None,
        )
    st.checkbox(t("field.notable"), key=f"{prefix}_notable", disabled=not editable)
    _keep_shadow(prefix)
    reason = ""
    if correcting:
        reason = st.text_input(t("entry.correction_reason"), key=f"{prefix}_correction", max_chars=progress.COMMENT_LIMIT)

    conflict: ReportConflict | None = st.session_state.get("_conflict")
    if conflict is not None and st.session_state.get("_conflict_prefix") == prefix:
        show_refusal(conflict, icon=":material/sync_problem:")
        if conflict.changes:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("history.who"): c.username,
                            t("history.when"): fmt_datetime(c.at),
                            t("history.field"): t("field." + c.field),
                            t("history.old"): shown_value(c.field, c.old),
                            t("history.new"): shown_value(c.field, c.new),
                        }
                        for c in conflict.changes
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        k1, k2 = st.columns(2)
        if k1.button(t("entry.conflict.load_latest"), key=f"{prefix}_take_theirs"):
            st.session_state.pop("_conflict", None)
            st.session_state.pop(f"{prefix}_base", None)
            st.session_state.pop(f"{prefix}_shadow", None)
            st.rerun()
        if k2.button(t("entry.conflict.keep_mine"), key=f"{prefix}_keep_mine", type="primary"):
            st.session_state[f"{prefix}_base"] = conflict.current_version
            st.session_state.pop("_conflict", None)
            st.rerun()

    if editable:
        if dirty:
            st.warning(t("entry.unsaved"), icon=":material/edit:")
        if st.button(
            t("entry.save_draft"), key=f"{prefix}_save", type="primary" if dirty else "secondary", icon=":material/save:"
        ):
            data = _widget_input(prefix)
            st.session_state["_conflict_prefix"] = prefix
            if _run_write(
                lambda s: progress.save_report(
                    session=s,
                    actor=actor,
                    assignment_id=a.id,
                    round_id=round_id,
                    expected_version=st.session_state[f"{prefix}_base"],
                    data=data,
                    correction_reason=reason,
                ),
                t("entry.saved"),
            ):
                st.session_state.pop(f"{prefix}_base", None)  # reload from what was stored
                st.session_state.pop(f"{prefix}_shadow", None)
                st.rerun()
            elif "_conflict" in st.session_state:
                st.rerun()

    if item.report is not None:
        evidence_panel(item, editable or (round_open and actor.role == Role.secretariat))
        with st.expander(t("history.title"), icon=":material/history:"):
            with runtime.read_session() as session:
                entries = report_history.history(session=session, actor=actor, report_id=item.report.id)
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("history.when"): fmt_datetime(e.at),
                            t("history.who"): e.username,
                            t("history.what"): t("field." + e.field) if e.kind == "field" else t("review." + e.kind),
                            t("history.old"): shown_value(e.field, e.old) if e.kind == "field" else "",
                            t("history.new"): shown_value(e.field, e.new) if e.kind == "field" else clip(e.comment, 300),
                        }
                        for e in entries
                    ]
                ),
                hide_index=True,
                width="stretch",
            )


def evidence_panel(item: EntryItem, editable: bool) -> None:
    prefix = _prefix(item)
    st.markdown(f"**{t('evidence.title')}**")
    if not item.evidence:
        st.caption(t("evidence.none"))
    for ev in item.evidence:
        row = st.columns([4, 1])
        evidence_item(row[0], ev, actor=actor, evidence_dir=settings.evidence_dir, key=f"{prefix}_dl_{ev.id}")
        if editable and row[1].button(t("evidence.remove"), key=f"{prefix}_rm_{ev.id}"):
            if _run_write(
                lambda s, ev_id=ev.id: evidence.remove(session=s, actor=actor, evidence_id=ev_id), t("evidence.removed")
            ):
                st.rerun()
    if not editable:
        return
    l1, l2 = st.columns([3, 1])
    url = l1.text_input(t("evidence.link"), key=f"{prefix}_link", placeholder="https://")
    if l2.button(t("evidence.add_link"), key=f"{prefix}_add_link"):
        if _run_write(
            lambda s: evidence.add_link(session=s, actor=actor, report_id=item.report.id, url=url or ""), t("evidence.added")
        ):
            st.rerun()
    upload = file_uploader(
        t("evidence.file"),
        types=[e.lstrip(".") for e in evidence.ALLOWED_EXTENSIONS],
        max_mb=settings.evidence_max_bytes // (1024 * 1024),
        kinds=t("upload.kinds.evidence"),
        key=f"{prefix}_file",
    )
    if upload is not None and st.button(t("evidence.upload"), key=f"{prefix}_upload"):
        with st.spinner(t("evidence.uploading")):
            ok = _run_write(
                lambda s: evidence.add_file(
                    session=s,
                    actor=actor,
                    report_id=item.report.id,
                    filename=upload.name,
                    data=upload.getvalue(),
                    evidence_dir=settings.evidence_dir,
                    max_bytes=settings.evidence_max_bytes,
                ),
                t("evidence.added"),
            )
        if ok:
            st.rerun()


# --------------------------------------------------------------------------- whole-round actions (drawn above the tabs)
unsaved_codes = [item.sub_issue.code for item in items if _sync_state(item)]
if can_edit_round:
    with actions_box:
        a1, a2 = st.columns(2)
        missing = [i for i in items if i.missing]
        if a1.button(
            t("entry.copy_forward", n=len(missing)),
            disabled=not missing,
            icon=":material/content_copy:",
            help=t("entry.copy_forward_help"),
            key="copy_forward",
        ):
            if _run_write(
                lambda s: progress.copy_forward(session=s, actor=actor, agency_id=agency.id, round_id=round_id),
                t("entry.copied"),
            ):
                st.rerun()
        editable_left = [i for i in items if i.state in ("missing", "draft", "returned")]
        if a2.button(
            t("entry.submit_round"), type="primary", disabled=not editable_left, icon=":material/send:", key="submit_round"
        ):
            # what is submitted is what the form shows: unsaved edits stop it, and so does an item
            # stored in another version than the one the form was drawn from
            shown = {i.assignment.id: st.session_state.get(f"{_prefix(i)}_base") for i in items}
            if _run_write(
                lambda s: review.submit_agency_round(
                    session=s,
                    actor=actor,
                    agency_id=agency.id,
                    round_id=round_id,
                    unsaved=unsaved_codes,
                    shown_versions=shown,
                ),
                t("entry.submitted"),
            ):
                for it in items:  # the form shows what was submitted
                    st.session_state.pop(f"{_prefix(it)}_base", None)
                    st.session_state.pop(f"{_prefix(it)}_shadow", None)
                st.rerun()
        if unsaved_codes:
            st.caption(t("entry.unsaved_items", items=", ".join(md(c) for c in unsaved_codes)))

with tab_form:
    if not items:
        st.info(t("home.focal.no_items"))
    current_main = None
    for item in items:
        if item.main_issue.id != current_main:
            current_main = item.main_issue.id
            name = item.main_issue.name_en if lang() == "en" and item.main_issue.name_en else item.main_issue.name_th
            st.subheader(f"{t('entry.main_issue')} {item.main_issue.number}: {md(name)}")
        sub_name = item.sub_issue.name_en if lang() == "en" and item.sub_issue.name_en else item.sub_issue.name_th
        unsaved = _sync_state(item)
        badge = t(f"state.{item.state}") + (f" · {t('entry.unsaved_badge')}" if unsaved else "")
        with st.expander(
            f"{md(item.sub_issue.code)} {md(sub_name)} — {badge}", expanded=item.state in ("missing", "returned") or unsaved
        ):
            item_editor(item, unsaved)

# --------------------------------------------------------------------------- Excel round trip
with tab_excel:
    st.write(t("excel.intro"))

    def make_template() -> bytes:
        with runtime.read_session() as session:
            return excel_io.build_template(session=session, actor=actor, round_id=round_id, agency_id=agency.id)

    st.download_button(
        t("excel.download"),
        data=make_template,
        icon=":material/download:",
        file_name=f"report-{agency.code}-{rnd.fiscal_year}-{rnd.months}m.xlsx",
        key="excel_template",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
        with st.spinner(t("excel.checking")), runtime.read_session() as session:
            import_plan = excel_io.read_upload(
                session=session, actor=actor, round_id=round_id, agency_id=agency.id, data=uploaded.getvalue()
            )
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
            if st.button(t("excel.apply"), type="primary", key="excel_apply", icon=":material/upload:"):
                with st.spinner(t("excel.applying")):
                    ok = _run_write(
                        lambda s: excel_io.apply_import(session=s, actor=actor, plan=import_plan),
                        t("excel.applied", rows=len(import_plan.updates)),
                    )
                if ok:
                    for it in items:
                        st.session_state.pop(f"{_prefix(it)}_base", None)
                        st.session_state.pop(f"{_prefix(it)}_shadow", None)
                    st.session_state["excel_nonce"] = nonce + 1
                    st.rerun()
                elif "_conflict" in st.session_state:
                    st.session_state.pop("_conflict")
                    st.error(t("excel.conflict"), icon=":material/sync_problem:")
