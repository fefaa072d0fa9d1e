"""Login page: the form, and the demo accounts while demo data is in use."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import demo
from ui import auth, cache
from ui.boot import settings
from ui.widgets import t, title


def render() -> None:
    authenticator = auth.this_run_authenticator()
    show_demo_accounts = settings().demo_mode and cache.is_demo()
    title(t("app.title"))
    st.caption(t("app.subtitle"))
    _, center, _ = st.columns([1, 2, 1])
    with center:
        auth.render_login_form(authenticator)
        if show_demo_accounts:
            with st.expander(t("login.demo_accounts"), expanded=True, icon=":material/key:"):
                st.caption(t("login.demo_password", password=demo.DEMO_PASSWORD))
                rows = [
                    {t("login.username"): name, t("users.role"): t(f"role.{role.value}")} for name, role, _ in demo.DEMO_ACCOUNTS
                ]
                rows += [
                    {t("login.username"): f"focal_{code.lower()}", t("users.role"): f"{t('role.focal_point')} ({code})"}
                    for code in demo.FOCAL_CODES
                ]
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


render()
