"""Backup and restore (admin): what a backup holds; build one (with its progress) and download it;
check a backup file and restore it, which goes into an empty database only, so on this running
server it is refused and the page points to `cli.py restore` for a fresh one."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from services import backup
from services.errors import UserFacingError
from ui.boot import settings
from ui.session import require_actor, run_job
from ui.widgets import file_uploader, flash, fmt_datetime, md, show_refusal, subheader, t, title

BUILT_KEY = "backup_built"  # (file name, bytes, manifest) of the last backup built in this session
UPLOAD_MB = 25  # the server's upload limit (.streamlit/config.toml server.maxUploadSize)
STEP_KEYS = {"schema", "evidence", "done"}


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:,.0f} KB"


def _step(what: str) -> str:
    return t(f"backup.step.{what}") if what in STEP_KEYS else what


actor = require_actor("backup")
title(t("nav.backup"))
st.write(t("backup.intro"))

with st.container(border=True):
    subheader(t("backup.download_title"))
    if st.button(t("backup.build"), key="backup_build", icon=":material/archive:"):
        st.session_state.pop(BUILT_KEY, None)
        with st.status(t("backup.building"), expanded=True) as status:
            bar = st.progress(0.0)

            def _progress(done: int, total: int, what: str) -> None:
                bar.progress(min(done / max(total, 1), 1.0), text=t("backup.progress", what=_step(what), done=done, total=total))

            buffer = io.BytesIO()
            built = run_job(
                lambda e: backup.create_backup(e, actor, evidence_dir=settings().evidence_dir, out=buffer, progress=_progress)
            )
            if built is None:  # refused, and said
                status.update(state="error")
            else:
                rows = sum(tb["rows"] for tb in built.manifest["tables"])
                files = built.manifest["evidence"]["files"]
                status.update(
                    label=t("backup.built", rows=f"{rows:,}", files=f"{files:,}", size=_size(built.size_bytes)),
                    state="complete",
                    expanded=False,
                )
                st.session_state[BUILT_KEY] = (built.file_name, buffer.getvalue(), built.manifest)
    if BUILT_KEY in st.session_state:
        name, data, manifest = st.session_state[BUILT_KEY]
        missing = manifest["evidence"]["missing"]
        if missing:
            st.warning(t("backup.missing_files", n=len(missing)), icon=":material/warning:")
        st.download_button(
            t("backup.download", name=md(name)),
            data=data,
            file_name=name,
            mime="application/zip",
            key="backup_download",
            icon=":material/download:",
            type="primary",
        )

with st.container(border=True):
    subheader(t("backup.restore_title"))
    st.info(t("backup.restore_note", mb=UPLOAD_MB), icon=":material/info:")
    upload = file_uploader(t("backup.upload"), types=["zip"], max_mb=UPLOAD_MB, kinds="ZIP", key="restore_upload")
    if upload is not None:
        try:
            summary = backup.inspect_backup(upload)
        except UserFacingError as exc:
            show_refusal(exc)
            st.stop()
        m = summary.manifest
        st.write(
            t(
                "backup.summary",
                created=fmt_datetime(summary.created_at),
                by=md(m.get("created_by", "")),
                dialect=md(m.get("dialect", "")),
                revision=md(summary.revision),
                version=md(m.get("app_version", "")),
                rows=f"{summary.total_rows:,}",
                files=f"{summary.evidence_files:,}",
            )
        )
        if summary.demo:
            st.caption(t("backup.summary_demo"))
        if summary.needs_migration:
            st.caption(t("backup.summary_migrate", revision=md(summary.revision), head=md(summary.head)))
        with st.expander(t("backup.col.rows")):
            st.dataframe(
                pd.DataFrame([{t("backup.col.table"): name, t("backup.col.rows"): n} for name, n in summary.table_rows.items()]),
                hide_index=True,
                width="stretch",
            )
        stamp = f"{upload.file_id}"  # a new file is a new, unticked confirmation
        confirmed = st.checkbox(t("backup.restore_confirm"), value=False, key=f"restore_confirm_{stamp}")
        if st.button(t("backup.restore_button"), key=f"restore_go_{stamp}", disabled=not confirmed, type="primary"):
            upload.seek(0)
            with st.spinner(t("backup.restoring")):
                done = run_job(
                    lambda e: backup.restore_backup(
                        e, actor, archive=upload, evidence_dir=settings().evidence_dir, demo_allowed=settings().demo_mode
                    )
                )
            if done is not None:
                st.cache_data.clear()
                flash(t("backup.restored", rows=f"{done.rows:,}", files=f"{done.files:,}"))
                st.rerun()
