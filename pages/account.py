"""My account: who I am, and changing my own password (the only page while a temporary password
given by an administrator waits to be changed)."""

from __future__ import annotations

import streamlit as st

from services import users
from ui import auth
from ui.boot import settings
from ui.cache import read
from ui.session import require_actor, run_write
from ui.widgets import md, subheader, t, title

actor = require_actor("account")
me = read(users.get_by_username, username=actor.username)
forced = me.must_change_password
title(t("account.force_title") if forced else t("account.title"))
if forced:
    st.warning(t("account.force_notice"), icon=":material/password:")
st.markdown(f"**{t('users.display_name')}:** {md(me.display_name)}")
st.markdown(f"**{t('login.username')}:** {md(me.username)}")
st.write(f"**{t('users.role')}:** {t('role.' + str(actor.role))}")

subheader(t("account.change_password"))
with st.form("change_password", clear_on_submit=True):
    current = st.text_input(t("account.temporary_password") if forced else t("account.current_password"), type="password")
    new = st.text_input(t("account.new_password"), type="password", help=t("account.password_rules"))
    repeat = st.text_input(t("account.repeat_password"), type="password")
    submitted = st.form_submit_button(t("account.save_password"), type="primary")
if submitted:
    if new != repeat:
        st.error(t("error.passwords_differ"))
    else:
        run_write(
            lambda session: users.change_own_password(
                session=session,
                actor=actor,
                current_password=current,
                new_password=new,
                bcrypt_rounds=settings().bcrypt_rounds,
                keep_session_id=auth.current_session_id(),  # this browser stays in; others are logged out
            ),
            success=t("account.password_saved_forced") if forced else t("account.password_saved"),
        )
