"""User management (admin and secretariat): list, create, unlock, deactivate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Role
from services import users
from ui import cache
from ui.boot import settings
from ui.session import require_actor, run_write
from ui.widgets import fmt_datetime, md, t

actor = require_actor("users")
st.title(t("users.title"))

all_users = cache.read(users.list_users)  # current: lockouts are not in the data version
agencies = cache.agencies()
agency_names = {a.id: a.short_name_th for a in agencies}

table = pd.DataFrame(
    [
        {
            t("login.username"): u.username,
            t("users.display_name"): u.display_name,
            t("users.role"): t(f"role.{u.role}"),
            t("users.agency"): agency_names.get(u.agency_id, ""),
            t("users.active"): u.active,
            t("users.locked"): fmt_datetime(u.locked_until) if users.is_locked(u) else "",
        }
        for u in all_users
    ]
)
st.dataframe(table, hide_index=True, width="stretch")


def _run(action, success_key: str, **params) -> None:
    """A users.* write as this actor, with its toast."""
    run_write(lambda session: action(session=session, actor=actor, **params), success=t(success_key))


locked = [u.username for u in all_users if users.is_locked(u)]
col_unlock, col_active = st.columns(2)
with col_unlock, st.container(border=True):
    st.subheader(t("users.unlock"))
    if not locked:
        st.caption(t("users.none_locked"))
    else:
        who = st.selectbox(t("login.username"), locked, key="unlock_who")
        if st.button(t("users.unlock_button"), key="unlock"):
            _run(users.unlock_user, "users.unlocked", username=who)

with col_active, st.container(border=True):
    st.subheader(t("users.deactivate"))
    others = [u.username for u in all_users if u.username != actor.username]
    who = st.selectbox(t("login.username"), others, key="active_who")
    target = next((u for u in all_users if u.username == who), None)
    if target is not None:
        label = t("users.deactivate_button") if target.active else t("users.activate_button")
        confirm = st.checkbox(t("users.confirm", username=md(who)), key="active_confirm") if target.active else True
        if st.button(label, key="toggle_active", disabled=not confirm):
            _run(users.set_active, "users.saved", username=who, active=not target.active)

with st.expander(t("users.create"), icon=":material/person_add:"):
    with st.form("create_user", clear_on_submit=False):
        username = st.text_input(t("login.username"), help=t("users.username_help"))
        display_name = st.text_input(t("users.display_name"), max_chars=users.NAME_LIMIT)
        email = st.text_input(t("users.email"), max_chars=users.NAME_LIMIT)
        roles = [r for r in Role if actor.role == Role.admin or r != Role.admin]
        role = st.selectbox(t("users.role"), roles, format_func=lambda r: t(f"role.{r}"))
        agency = st.selectbox(
            t("users.agency"),
            [None, *[a.code for a in agencies]],
            format_func=lambda c: t("users.no_agency") if c is None else c,
            help=t("users.agency_help"),
        )
        password = st.text_input(t("login.password"), type="password", help=t("account.password_rules"))
        if st.form_submit_button(t("users.create_button"), type="primary"):
            _run(
                users.create_user,
                "users.created",
                username=username,
                display_name=display_name,
                role=role,
                password=password,
                email=email,
                agency_code=agency,
                bcrypt_rounds=settings().bcrypt_rounds,
            )
