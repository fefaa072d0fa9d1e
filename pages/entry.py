"""Progress entry: a focal point reports their agency's items for a round (the secretariat can
open any agency). Draft saves, copy-forward, submission, evidence, Excel round trip, history."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from core import runtime
from core.ui import evidence_item, flash, fmt_date, fmt_datetime, lang, round_label, show_refusal, t
from models import ProgressStatus, Role, RoundState
from services import evidence, excel_io, plans, progress, rounds
from services.errors import UserFacingError
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


def _run_write(action, success: str) -> bool:  # noqa: ANN001
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
if can_edit_round:
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
            lambda s: progress.copy_forward(session=s, actor=actor, agency_id=agency.id, round_id=round_id), t("entry.copied")
        ):
            st.rerun()
    editable_left = [i for i in items if i.state in ("missing", "draft", "returned")]
    if a2.button(t("entry.submit_round"), type="primary", disabled=not editable_left, icon=":material/send:", key="submit_round"):
        if _run_write(
            lambda s: progress.submit_agency_round(session=s, actor=actor, agency_id=agency.id, round_id=round_id),
            t("entry.submitted"),
        ):
            st.rerun()

tab_form, tab_excel = st.tabs([t("entry.tab.form"), t("entry.tab.excel")])

# --------------------------------------------------------------------------- one item
STATUS_OPTIONS = [None, *ProgressStatus]


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
    st.markdown(f"**{t('entry.indicator')}:** {a.output_text or '-'}  \n**{t('entry.outcome')}:** {a.outcome_text or '-'}")
    target = f"{a.target_value:,.2f} {a.unit}" if a.target_value is not None else "-"
    prev = item.previous
    prev_text = (
        (
            f"{prev.progress_pct:.2f}% · {prev.actual_value if prev.actual_value is not None else '-'} "
            f"· {t('status.' + str(prev.status)) if prev.status else '-'}"
        )
        if prev
        else t("entry.no_previous")
    )
    st.caption(
        f"{t('entry.target')}: {target} · {t('entry.previous')}: {prev_text} · {t('entry.expected', pct=f'{item.expected:.0f}')}"
    )

    if item.report is not None and item.state == "returned" and item.report.review_comment:
        st.error(t("entry.returned_comment", comment=item.report.review_comment), icon=":material/undo:")
        if is_focal and round_open:
            answer = st.text_area(t("entry.answer"), key=f"{prefix}_answer_text")
            if st.button(t("entry.send_answer"), key=f"{prefix}_answer_btn"):
                if _run_write(
                    lambda s: progress.answer_return(session=s, actor=actor, report_id=item.report.id, answer=answer or ""),
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
    suggested = progress.suggest_status(Decimal(str(typed)) if typed is not None else None, item.expected)
    c3.selectbox(t("field.status"), STATUS_OPTIONS, key=f"{prefix}_status", format_func=_status_label, disabled=not editable)
    chosen = st.session_state.get(f"{prefix}_status")
    if suggested is not None:
        c3.caption(t("entry.suggested", status=t(f"status.{suggested}")))
    if chosen is not None and ((suggested is not None and chosen != suggested) or chosen == ProgressStatus.cancelled):
        st.text_input(t("field.status_reason"), key=f"{prefix}_status_reason", disabled=not editable, help=t("entry.reason_help"))
    st.text_area(t("field.achievements"), key=f"{prefix}_achievements", disabled=not editable)
    st.text_area(t("field.obstacles"), key=f"{prefix}_obstacles", disabled=not editable)
    st.text_area(t("field.next_steps"), key=f"{prefix}_next_steps", disabled=not editable)
    st.text_input(t("field.evidence"), key=f"{prefix}_evidence", disabled=not editable, help=t("entry.evidence_note_help"))
    st.checkbox(t("field.notable"), key=f"{prefix}_notable", disabled=not editable)
    _keep_shadow(prefix)
    reason = ""
    if correcting:
        reason = st.text_input(t("entry.correction_reason"), key=f"{prefix}_correction")

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
                            t("history.old"): c.old,
                            t("history.new"): c.new,
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
                entries = progress.history(session=session, actor=actor, report_id=item.report.id)
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("history.when"): fmt_datetime(e.at),
                            t("history.who"): e.username,
                            t("history.what"): t("field." + e.field) if e.kind == "field" else t("review." + e.kind),
                            t("history.old"): e.old or "",
                            t("history.new"): e.new if e.kind == "field" else e.comment,
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
    upload = st.file_uploader(
        t("evidence.file", mb=settings.evidence_max_bytes // (1024 * 1024)),
        type=[e.lstrip(".") for e in evidence.ALLOWED_EXTENSIONS],
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


with tab_form:
    if not items:
        st.info(t("home.focal.no_items"))
    current_main = None
    for item in items:
        if item.main_issue.id != current_main:
            current_main = item.main_issue.id
            name = item.main_issue.name_en if lang() == "en" and item.main_issue.name_en else item.main_issue.name_th
            st.subheader(f"{t('entry.main_issue')} {item.main_issue.number}: {name}")
        sub_name = item.sub_issue.name_en if lang() == "en" and item.sub_issue.name_en else item.sub_issue.name_th
        unsaved = _sync_state(item)
        badge = t(f"state.{item.state}") + (f" · {t('entry.unsaved_badge')}" if unsaved else "")
        with st.expander(
            f"{item.sub_issue.code} {sub_name} — {badge}", expanded=item.state in ("missing", "returned") or unsaved
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
    uploaded = st.file_uploader(t("excel.upload"), type=["xlsx"], key=f"excel_upload_{nonce}")
    if uploaded is not None:
        with st.spinner(t("excel.checking")), runtime.read_session() as session:
            import_plan = excel_io.read_upload(
                session=session, actor=actor, round_id=round_id, agency_id=agency.id, data=uploaded.getvalue()
            )
        if not import_plan.ok:
            st.error(t("excel.problems", count=len(import_plan.problems)), icon=":material/error:")
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
        elif not import_plan.changes:
            st.info(t("excel.no_changes"))
        else:
            st.success(t("excel.preview", rows=len(import_plan.updates), changes=len(import_plan.changes)))
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("excel.row"): c.row,
                            t("col.sub_issue"): c.sub_issue_code,
                            t("history.field"): t("field." + c.field),
                            t("history.old"): c.old,
                            t("history.new"): c.new,
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
