"""The form of one progress report on the entry page: its widget state (loaded from the stored
report, kept across runs, compared to tell unsaved edits), its parts (the item's figures and
narrative, the returned comment and answer, a conflict and how to settle it, evidence, history),
and its writes through ui.session.run_write. Every rule it follows is a service's: who may edit
(services.progress.can_edit), when a status needs a reason (services.status).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import streamlit as st

from core import names
from models import ProgressStatus, Role, Round, RoundState, SubmissionState
from services import evidence, progress, review, status
from services import history as report_history
from services.errors import UserFacingError
from services.numbers import format_figure
from services.permissions import Actor
from services.progress import EntryItem, ReportConflict, ReportInput
from ui.cache import read
from ui.session import form_key, run_write
from ui.widgets import clip, evidence_item, file_uploader, fmt_datetime, lang, md, show_refusal, t

CONFLICT_KEY = "_conflict"  # the ReportConflict of the last refused save, and which item it was
CONFLICT_ITEM_KEY = "_conflict_prefix"
STATUS_OPTIONS = [None, *ProgressStatus]
TEXT_WIDGETS = (  # (field, widget, help): each counts down to services.progress.TEXT_LIMITS
    ("achievements", st.text_area, None),
    ("obstacles", st.text_area, None),
    ("next_steps", st.text_area, None),
    ("evidence", st.text_input, "entry.evidence_note_help"),
)


def shown_value(field: str, value: str | None) -> str:
    """A stored value as the history, the conflict and the import tables show it: figures in the
    one number format, statuses and yes/no in words, text cut to a table cell."""
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


def _status_label(value: ProgressStatus | None) -> str:
    return t("entry.choose_status") if value is None else t(f"status.{value}")


@dataclass
class ReportForm:
    """The entry page's forms for one round: who fills them in, and where evidence files go."""

    actor: Actor
    rnd: Round
    evidence_dir: Path
    evidence_max_bytes: int

    @property
    def round_open(self) -> bool:
        return self.rnd.state == RoundState.open

    @property
    def correcting(self) -> bool:
        """The secretariat changing a closed round: every save needs its reason."""
        return not self.round_open and self.actor.role == Role.secretariat

    # ------------------------------------------------------------------------- widget state
    def prefix(self, item: EntryItem) -> str:
        return f"e{self.rnd.id}_{item.assignment.id}"

    def forget(self, item: EntryItem) -> None:
        """Draw the item again from what is stored (after a save, a submit, an import)."""
        st.session_state.pop(f"{self.prefix(item)}_base", None)
        st.session_state.pop(f"{self.prefix(item)}_shadow", None)

    def shown_version(self, item: EntryItem) -> int | None:
        """The stored version the item's form was loaded from."""
        return st.session_state.get(f"{self.prefix(item)}_base")

    def _load(self, item: EntryItem) -> None:
        prefix, data = self.prefix(item), ReportInput.from_report(item.report)
        st.session_state[f"{prefix}_loaded"] = data
        st.session_state[f"{prefix}_base"] = item.report.version if item.report else None
        for name in progress.EDITABLE_FIELDS:
            value = getattr(data, name)
            st.session_state[f"{prefix}_{name}"] = float(value) if isinstance(value, Decimal) else value
        self._keep_shadow(prefix)

    @staticmethod
    def _keep_shadow(prefix: str) -> None:
        st.session_state[f"{prefix}_shadow"] = {n: st.session_state.get(f"{prefix}_{n}") for n in progress.EDITABLE_FIELDS}

    @staticmethod
    def _input(prefix: str) -> ReportInput:
        values = {name: st.session_state.get(f"{prefix}_{name}") for name in progress.EDITABLE_FIELDS}
        blank_is_text = (*progress.TEXT_FIELDS, "status_reason")
        return ReportInput(**{k: v if v is not None else ("" if k in blank_is_text else v) for k, v in values.items()})

    def sync(self, item: EntryItem, *, show_latest: bool = True) -> bool:
        """Prepare the item's widget state; True when the user has unsaved edits.

        Streamlit drops a widget's value when the widget is not drawn in a run (another page, a
        hidden field). A shadow copy in a plain session key keeps unsaved input across such runs.
        With `show_latest`, an item without edits whose stored version moved (someone else saved)
        is loaded again; the page first syncs without it, so that what a click on "submit" sends
        is checked against the version the screen showed, not the one it is about to show.
        """
        prefix = self.prefix(item)
        stored_version = item.report.version if item.report else None
        if f"{prefix}_base" not in st.session_state:
            self._load(item)
        shadow = st.session_state.get(f"{prefix}_shadow", {})
        for name in progress.EDITABLE_FIELDS:
            if f"{prefix}_{name}" not in st.session_state and name in shadow:
                st.session_state[f"{prefix}_{name}"] = shadow[name]
        dirty = bool(self._input(prefix).differs_from(st.session_state[f"{prefix}_loaded"]))
        if show_latest and not dirty and st.session_state[f"{prefix}_base"] != stored_version:
            self._load(item)  # someone else saved and we had no edits: show the latest
        return dirty

    # ------------------------------------------------------------------------- the form of one item
    def editor(self, item: EntryItem, dirty: bool) -> None:
        editable = progress.can_edit(self.actor, agency_id=item.assignment.agency_id, rnd=self.rnd, report=item.report)
        self._header(item)
        self._returned(item)
        self._fields(item, editable)
        reason = ""
        if self.correcting:
            reason = st.text_input(
                t("entry.correction_reason"), key=f"{self.prefix(item)}_correction", max_chars=progress.COMMENT_LIMIT
            )
        self._conflict(item)
        if editable:
            self._save(item, dirty, reason)
        if item.report is not None:
            self.evidence_panel(item, editable or (self.round_open and self.actor.role == Role.secretariat))
            self._history(item)

    def _header(self, item: EntryItem) -> None:
        a, prev = item.assignment, item.previous
        st.markdown(
            f"**{t('entry.indicator')}:** {md(a.output_text or '-')}  \n**{t('entry.outcome')}:** {md(a.outcome_text or '-')}"
        )
        target = f"{format_figure(a.target_value)} {md(names.unit_name(a, lang()))}" if a.target_value is not None else "-"
        prev_text = (
            f"{format_figure(prev.progress_pct) or '-'}% · {format_figure(prev.actual_value) or '-'} "
            f"· {t('status.' + str(prev.status)) if prev.status else '-'}"
            if prev
            else t("entry.no_previous")
        )
        expected = t("entry.expected", pct=f"{item.expected:.0f}")
        st.caption(f"{t('entry.target')}: {target} · {t('entry.previous')}: {prev_text} · {expected}")

    def _returned(self, item: EntryItem) -> None:
        """The secretariat's comment on a returned item, and the focal point's answer to it."""
        if item.report is None or item.state != "returned" or not item.report.review_comment:
            return
        prefix = self.prefix(item)
        st.error(t("entry.returned_comment", comment=md(item.report.review_comment)), icon=":material/undo:")
        if self.actor.role == Role.focal_point and self.round_open:
            answer = st.text_area(t("entry.answer"), key=f"{prefix}_answer_text", max_chars=progress.COMMENT_LIMIT)
            if st.button(t("entry.send_answer"), key=f"{prefix}_answer_btn"):
                run_write(
                    lambda s: review.answer_return(session=s, actor=self.actor, report_id=item.report.id, answer=answer or ""),
                    success=t("entry.answered"),
                )

    def _fields(self, item: EntryItem, editable: bool) -> None:
        prefix, a, limits = self.prefix(item), item.assignment, progress.TEXT_LIMITS
        c1, c2, c3 = st.columns([1, 1, 2])
        c1.number_input(
            t("field.progress_pct"),
            key=f"{prefix}_progress_pct",
            step=1.0,
            format="%.2f",
            disabled=not editable,
            placeholder="0–100",
        )
        c2.number_input(
            t("field.actual_value") + (f" ({md(names.unit_name(a, lang()))})" if a.unit else ""),
            key=f"{prefix}_actual_value",
            step=1.0,
            format="%.2f",
            disabled=not editable,
        )
        typed = st.session_state.get(f"{prefix}_progress_pct")
        suggested = status.suggest_status(Decimal(str(typed)) if typed is not None else None, item.expected)
        c3.selectbox(t("field.status"), STATUS_OPTIONS, key=f"{prefix}_status", format_func=_status_label, disabled=not editable)
        if suggested is not None:
            c3.caption(t("entry.suggested", status=t(f"status.{suggested}")))
        if status.needs_status_reason(st.session_state.get(f"{prefix}_status"), suggested):
            st.text_input(
                t("field.status_reason"),
                key=f"{prefix}_status_reason",
                disabled=not editable,
                help=t("entry.reason_help"),
                max_chars=limits["status_reason"],
            )
        for name, widget, help_key in TEXT_WIDGETS:
            widget(
                t(f"field.{name}"),
                key=f"{prefix}_{name}",
                disabled=not editable,
                max_chars=limits[name],
                help=t(help_key) if help_key else None,
            )
        st.checkbox(t("field.notable"), key=f"{prefix}_notable", disabled=not editable)
        self._keep_shadow(prefix)

    def _conflict(self, item: EntryItem) -> None:
        """A save refused because someone saved first: who changed what, and the two ways on."""
        prefix = self.prefix(item)
        conflict: ReportConflict | None = st.session_state.get(CONFLICT_KEY)
        if conflict is None or st.session_state.get(CONFLICT_ITEM_KEY) != prefix:
            return
        show_refusal(conflict, icon=":material/sync_problem:")
        if conflict.changes:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("history.who"): c.who or c.username,
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
            st.session_state.pop(CONFLICT_KEY, None)
            self.forget(item)
            st.rerun()
        if k2.button(t("entry.conflict.keep_mine"), key=f"{prefix}_keep_mine", type="primary"):
            st.session_state[f"{prefix}_base"] = conflict.current_version
            st.session_state.pop(CONFLICT_KEY, None)
            st.rerun()

    def _save(self, item: EntryItem, dirty: bool, reason: str) -> None:
        prefix = self.prefix(item)
        if dirty:
            st.warning(t("entry.unsaved"), icon=":material/edit:")
        if not st.button(
            t("entry.save_draft"), key=f"{prefix}_save", type="primary" if dirty else "secondary", icon=":material/save:"
        ):
            return
        data = self._input(prefix)
        st.session_state[CONFLICT_ITEM_KEY] = prefix
        saved = run_write(
            lambda s: progress.save_report(
                session=s,
                actor=self.actor,
                assignment_id=item.assignment.id,
                round_id=self.rnd.id,
                expected_version=st.session_state[f"{prefix}_base"],
                data=data,
                correction_reason=reason,
            ),
            success=t("entry.saved"),
            rerun=False,
            conflict_key=CONFLICT_KEY,
        )
        if saved:
            self.forget(item)  # reload from what was stored
            st.rerun()
        elif CONFLICT_KEY in st.session_state:
            st.rerun()

    def _history(self, item: EntryItem) -> None:
        with st.expander(t("history.title"), icon=":material/history:"):
            entries = read(report_history.history, actor=self.actor, report_id=item.report.id)
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            t("history.when"): fmt_datetime(e.at),
                            t("history.who"): e.who or e.username,
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

    # ------------------------------------------------------------------------- evidence
    def evidence_panel(self, item: EntryItem, editable: bool) -> None:
        prefix, actor = self.prefix(item), self.actor
        st.markdown(f"**{t('evidence.title')}**")
        if not item.evidence:
            st.caption(t("evidence.none"))
        for ev in item.evidence:
            row = st.columns([4, 1])
            evidence_item(row[0], ev, actor=actor, evidence_dir=self.evidence_dir, key=f"{prefix}_dl_{ev.id}")
            if editable and row[1].button(t("evidence.remove"), key=f"{prefix}_rm_{ev.id}"):
                run_write(
                    lambda s, ev_id=ev.id: evidence.remove(session=s, actor=actor, evidence_id=ev_id),
                    success=t("evidence.removed"),
                )
        if not editable:
            return
        l1, l2 = st.columns([3, 1])
        url = l1.text_input(t("evidence.link"), key=f"{prefix}_link", placeholder="https://")
        if l2.button(t("evidence.add_link"), key=f"{prefix}_add_link"):
            run_write(
                lambda s: evidence.add_link(session=s, actor=actor, report_id=item.report.id, url=url or ""),
                success=t("evidence.added"),
            )
        # one step: choosing the file saves it, and the picker comes back empty (its key moves on);
        # a refused file stays in it beside the refusal. Any type is taken by the widget: the
        # service refuses the others naming the allowed ones in Thai, as it checks every file.
        upload = file_uploader(
            t("evidence.file"),
            types=None,
            max_mb=self.evidence_max_bytes // (1024 * 1024),
            kinds=t("upload.kinds.evidence"),
            key=form_key(f"{prefix}_file"),
            help=t("layout.evidence_upload_help"),
        )
        refused = st.session_state.setdefault(f"{prefix}_refused_files", {})
        if upload is not None and upload.file_id in refused:  # refused already: said again, not tried again
            show_refusal(refused[upload.file_id])
        elif upload is not None:
            with st.spinner(t("evidence.uploading")):
                try:  # the service checks the file again as it stores it
                    evidence.check_file(upload.name, upload.getvalue(), max_bytes=self.evidence_max_bytes)
                except UserFacingError as exc:
                    refused[upload.file_id] = exc
                    show_refusal(exc)
                    return
                run_write(
                    lambda s: evidence.add_file(
                        session=s,
                        actor=actor,
                        report_id=item.report.id,
                        filename=upload.name,
                        data=upload.getvalue(),
                        evidence_dir=self.evidence_dir,
                        max_bytes=self.evidence_max_bytes,
                    ),
                    success=t("evidence.added"),
                    reset_form=f"{prefix}_file",
                )
