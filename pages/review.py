"""Review (secretariat): approve submitted items or return them with a comment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import names
from services import history as report_history
from services import progress, review
from services.numbers import format_figure
from ui.boot import settings
from ui.cache import read
from ui.nav import nav_page, round_picker
from ui.session import require_actor, run_write
from ui.widgets import clip, evidence_item, fmt_date, fmt_datetime, lang, md, round_label, t, title

actor = require_actor("review")
title(t("review.title"))
c1, c2 = st.columns(2)
rnd = round_picker(c1, key="review_round", in_url=False)
if rnd is None:
    st.info(t("home.no_round"))
    st.stop()
round_id = rnd.id
only = (
    c2.pills(
        t("review.show_states"),
        ["submitted", "returned", "draft", "approved", "missing"],
        default=["submitted"],
        format_func=lambda s: t(f"state.{s}"),
        key="review_states",
        selection_mode="multi",
    )
    or []
)


with st.container(border=True):
    st.write(
        f"**{round_label(rnd.fiscal_year, rnd.months)}** · {t('round.state.' + str(rnd.state))} · "
        f"{t('home.due', date=fmt_date(rnd.due_date))}"
    )
    st.page_link(  # opening, closing and due dates are on the Rounds page
        nav_page("rounds", "pages/rounds.py"),
        label=t("review.to_rounds"),
        icon=":material/event_repeat:",
        query_params={"round": str(rnd.id)},
    )

rows = read(progress.round_items, actor=actor, round_id=round_id)
shown = [(a, i) for a, i in rows if i.state in only]
summary = pd.DataFrame(
    [
        {
            t("users.agency"): names.agency_name(a, lang()),
            t("col.sub_issue"): i.sub_issue.code,
            t("col.progress"): float(i.report.progress_pct) if i.report and i.report.progress_pct is not None else None,
            t("field.status"): t(f"status.{i.report.status}") if i.report and i.report.status else "",
            t("col.state"): t(f"state.{i.state}"),
        }
        for a, i in shown
    ]
)
st.caption(t("review.count", shown=len(shown), total=len(rows)))
if summary.empty:
    st.info(t("review.nothing"), icon=":material/task_alt:")
else:
    st.dataframe(
        summary,
        hide_index=True,
        width="stretch",
        column_config={t("col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%")},
    )

for agency, item in shown:
    if item.report is None:
        continue
    r = item.report
    with st.expander(
        f"{md(names.agency_name(agency, lang()))} · {md(item.sub_issue.code)} {md(names.sub_issue_name(item.sub_issue, lang()))}"
        f" — {t('state.' + item.state)}"
    ):
        a = item.assignment  # what the item is judged against, beside what was reported
        unit = md(names.unit_name(a, lang()))
        if a.output_text:
            st.markdown(f"**{t('review.indicator')}:** {md(clip(a.output_text, 400))}")
        st.write(
            t(
                "review.target_line",
                target=format_figure(a.target_value) or "-",
                unit=unit,
                expected=format_figure(item.expected),
            )
        )
        st.write(
            f"**{t('field.progress_pct')}:** {format_figure(r.progress_pct) or '-'} · "
            f"**{t('field.actual_value')}:** {format_figure(r.actual_value) or '-'} "
            f"{unit} · **{t('field.status')}:** {t('status.' + str(r.status)) if r.status else '-'}"
        )
        if r.status_reason:
            st.markdown(f"**{t('field.status_reason')}:** {md(r.status_reason)}")
        for name in ("achievements", "obstacles", "next_steps", "evidence"):
            if getattr(r, name):
                st.markdown(f"**{t('field.' + name)}:**")
                st.text(clip(getattr(r, name), progress.TEXT_LIMITS[name]))
        if item.evidence:
            st.markdown(f"**{t('review.evidence_files', n=len(item.evidence))}**")
            for ev in item.evidence:
                evidence_item(st, ev, actor=actor, evidence_dir=settings().evidence_dir, key=f"rv_ev_{ev.id}")
        elif not r.evidence:
            st.caption(t("review.no_evidence"))
        if r.updated_at:
            st.caption(t("review.updated", when=fmt_datetime(r.updated_at)))
        key = f"rv_{r.id}"
        if review.can_review(actor, rnd=rnd, item=item):
            comment = st.text_area(t("review.comment"), key=f"{key}_comment", max_chars=progress.COMMENT_LIMIT)
            b1, b2 = st.columns(2)
            if item.state == "submitted" and b1.button(t("review.approve"), key=f"{key}_approve", type="primary"):
                run_write(
                    lambda s, rid=r.id, v=r.version: review.approve(session=s, actor=actor, report_id=rid, expected_version=v),
                    success=t("review.approved"),
                )
            if b2.button(t("review.return"), key=f"{key}_return"):
                run_write(
                    lambda s, rid=r.id, v=r.version, c=comment: review.return_for_correction(
                        session=s, actor=actor, report_id=rid, expected_version=v, comment=c or ""
                    ),
                    success=t("review.returned"),
                )
        events = [e for e in read(report_history.history, actor=actor, report_id=r.id) if e.kind != "field"]
        for e in events:
            st.caption(
                f"{fmt_datetime(e.at)} · {md(e.who or e.username)} · {t('review.' + e.kind)}"
                + (f": {md(clip(e.comment, progress.COMMENT_LIMIT))}" if e.comment else "")
            )
