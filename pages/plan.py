"""The plan (admin edits, the secretariat reads): the plan's years, agencies, issues, owners with
their indicators, targets and weights, alignment lists, expected progress and evaluation; edits
in tables or an uploaded YAML/Excel plan file, a preview of every change, then one save."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from models import Role
from services import plan_admin, plans
from services import plan_workbook as pw
from services.errors import UserFacingError
from services.plan_admin import Change, PlanEditError
from services.plan_loader import ALIGNMENT_KINDS
from ui import cache
from ui.cache import read
from ui.session import require_actor, run_write
from ui.widgets import file_uploader, flash, lang, md, show_refusal, subheader, t, title

PENDING = "plan_pending"  # (spec, changes, source) awaiting confirmation
MAX_UPLOAD_MB = 2

actor = require_actor("plan")
can_edit = actor.role == Role.admin
title(t("nav.plan"))
plan = cache.cached(plans.active_plan)
if plan is None:
    st.info(t("plan.none"), icon=":material/info:")
    st.stop()
spec = cache.cached(plan_admin.export_spec, plan_id=plan.id)  # read again only after a write
version = cache.data_version()


def _editor_tables(spec, language: str) -> dict[str, pd.DataFrame]:
    """The plan's tables typed for the editors (ids as whole numbers, figures as floats)."""
    return {
        key: frame.astype({c: "Int64" if c in ("id", "sub_issue_id") else "Float64" for c in frame.columns if c in pw.NUMERIC})
        for key, frame in pw.to_tables(spec, language).items()
    }


tables = cache.view(functools.partial(_editor_tables, spec, lang()), view_key=("plan_tables", plan.id, lang()))
st.caption(t("plan.intro_edit" if can_edit else "plan.intro_read"))

# -------------------------------------------------------------------- downloads
slug = f"plan-{plan.first_fiscal_year}-{plan.last_fiscal_year}"
current_lang = lang()  # the download is built outside the script run
down = st.columns(2)
down[0].download_button(
    t("plan.download_xlsx"),
    data=lambda: pw.to_xlsx(spec, lang=current_lang),  # built when clicked (about 0.8 s), not on every rerun
    file_name=f"{slug}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/table_view:",
    width="stretch",
    on_click="ignore",
)
down[1].download_button(
    t("plan.download_yaml"),
    data=lambda: pw.to_yaml(spec).encode("utf-8"),
    file_name=f"{slug}.yaml",
    mime="application/x-yaml",
    icon=":material/description:",
    width="stretch",
    on_click="ignore",
)


def _column_config(table: str, frame: pd.DataFrame, edited: dict[str, pd.DataFrame]) -> dict:
    config: dict = {}
    for column in frame.columns:
        text = pw.label(column)
        if column in ("id", "sub_issue_id"):
            config[column] = st.column_config.NumberColumn(text, disabled=True, format="%d")
        elif column == "evidence_required":
            config[column] = st.column_config.CheckboxColumn(text)
        elif column == "kind":
            config[column] = st.column_config.SelectboxColumn(
                text, options=[pw.kind_label(k, lang()) for k in ALIGNMENT_KINDS], required=True
            )
        elif column == "agency" and table == "assignments":
            codes = [c for c in edited["agencies"]["code"].dropna().astype(str) if c]
            config[column] = st.column_config.SelectboxColumn(text, options=codes, required=True)
        elif column == "sub_issue":
            codes = [c for c in edited["sub_issues"]["code"].dropna().astype(str) if c]
            config[column] = st.column_config.SelectboxColumn(text, options=codes, required=True)
        elif column in pw.NUMERIC:
            config[column] = st.column_config.NumberColumn(text, format="%g" if column not in pw.YEARS else "%d")
        else:
            config[column] = st.column_config.TextColumn(text)
    return config


GROUPS = {
    "plan.tab.structure": ("plan", "agencies", "main_issues", "sub_issues", "assignments"),
    "plan.tab.alignment": ("alignment", "sub_alignment"),
    "plan.tab.evaluation": ("expected", "bands", "scores"),
}


def _describe(c: Change) -> dict[str, str]:
    field = pw.change_field_label(c, lang())
    return {
        t("plan.change.action"): t(f"plan.action.{c.action}"),
        t("plan.change.what"): t(f"plan.entity.{c.entity.split('.')[0]}") + f" {c.key}",
        t("plan.change.field"): field,
        t("plan.change.old"): c.old,
        t("plan.change.new"): c.new,
    }


def _hold(new_spec, source: str) -> None:
    """Compare `new_spec` with the plan and keep it for confirmation, or list what is wrong."""
    try:
        changes = read(plan_admin.preview, plan_id=plan.id, spec=new_spec)
    except PlanEditError as exc:
        _show_problems(exc)
        return
    if not changes:
        st.info(t("plan.no_changes"), icon=":material/info:")
        st.session_state.pop(PENDING, None)
        return
    st.session_state[PENDING] = (new_spec, changes, source, version)


def _show_problems(exc: PlanEditError) -> None:
    st.error(t(exc.message_key, **exc.params), icon=":material/error:")
    shown = exc.problems[:50]
    st.markdown("\n".join(f"- {md(p.text(lang()))}" for p in shown))
    if len(exc.problems) > len(shown):
        st.caption(t("plan.more_problems", n=len(exc.problems) - len(shown)))


edited: dict[str, pd.DataFrame] = dict(tables)
tabs = st.tabs([t(k) for k in GROUPS] + ([t("plan.tab.upload")] if can_edit else []))
for tab, keys in zip(tabs, GROUPS.values(), strict=False):
    with tab:
        for key in keys:
            subheader(pw.sheet_name(key, lang()))
            frame = tables[key]
            if key == "plan":
                st.caption(t("plan.years_help"))
            if not can_edit:
                shown = frame.rename(columns={c: pw.label(c) for c in frame.columns})
                st.dataframe(shown, hide_index=True, width="stretch")
                continue
            edited[key] = st.data_editor(
                frame,
                key=f"plan_edit_{key}_{version}",
                num_rows="fixed" if key == "plan" else "dynamic",
                hide_index=True,
                width="stretch",
                column_config=_column_config(key, frame, edited),
            )

if can_edit:
    with tabs[-1]:
        st.caption(t("plan.upload_help"))
        upload = file_uploader(
            t("plan.upload"), types=["yaml", "yml", "xlsx"], max_mb=MAX_UPLOAD_MB, kinds="YAML, Excel", key="plan_upload"
        )
        if upload is not None and st.button(t("plan.upload_check"), icon=":material/fact_check:", key="plan_upload_check"):
            with st.spinner(t("plan.reading")):
                try:
                    _hold(pw.read_upload(upload.getvalue(), demo=plan.is_demo, lang=lang()), upload.name)
                except PlanEditError as exc:
                    _show_problems(exc)
                except UserFacingError as exc:
                    show_refusal(exc)

    st.divider()
    if st.button(t("plan.check"), type="secondary", icon=":material/fact_check:", key="plan_check"):
        try:
            _hold(pw.from_tables(edited, demo=plan.is_demo, lang=lang()), t("plan.source_tables"))
        except PlanEditError as exc:
            _show_problems(exc)

    pending = st.session_state.get(PENDING)
    if pending is not None and pending[3] != version:  # the plan changed since: review again
        st.session_state.pop(PENDING, None)
        pending = None
    if pending is not None:
        new_spec, changes, source, _ = pending
        with st.container(border=True):
            subheader(t("plan.preview_title", n=len(changes)))
            st.caption(t("plan.preview_source", source=source))
            archived = sum(c.action in ("archive", "delete", "deactivate") for c in changes)
            if archived:
                st.warning(t("plan.preview_removals", n=archived), icon=":material/warning:")
            st.dataframe(pd.DataFrame([_describe(c) for c in changes]), hide_index=True, width="stretch")
            sure = st.checkbox(t("plan.confirm", n=len(changes)), value=False, key=f"plan_sure_{version}_{len(changes)}")
            cols = st.columns(2)
            if cols[0].button(t("plan.apply"), type="primary", disabled=not sure, icon=":material/save:", key="plan_apply"):
                st.session_state.pop(PENDING, None)
                run_write(
                    lambda s: plan_admin.apply(session=s, actor=actor, plan_id=plan.id, spec=new_spec, confirmed=changes),
                    success=t("plan.saved", n=len(changes)),
                )
            if cols[1].button(t("plan.discard"), icon=":material/undo:", key="plan_discard"):
                st.session_state.pop(PENDING, None)
                flash(t("plan.discarded"))
                st.rerun()
