"""User management (admin and secretariat): list, edit (a stale edit is refused and reloaded),
temporary passwords, each account's history, create, unlock, deactivate."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core import names
from models import Role
from services import users
from ui import cache
from ui.boot import settings
from ui.session import form_key, require_actor, run_write
from ui.widgets import fmt_datetime, lang, md, show_refusal, subheader, t, title

actor = require_actor("users")
title(t("users.title"))

all_users = cache.read(users.list_users)  # current: lockouts are not in the data version
agencies = cache.agencies()
agency_names = {a.id: names.agency_name(a, lang()) for a in agencies}

table = pd.DataFrame(
    [
        {
            t("login.username"): u.username,
            t("users.display_name"): u.display_name,
            t("users.role"): t(f"role.{u.role}"),
            t("users.agency"): agency_names.get(u.agency_id, ""),
            t("users.active"): u.active,
            t("users.locked"): fmt_datetime(u.locked_until) if users.is_locked(u) else "",
            t("users.must_change"): u.must_change_password,
        }
        for u in all_users
    ]
)
st.dataframe(table, hide_index=True, width="stretch")


def _run(action, success_key: str, **params) -> None:
    """A users.* write as this actor, with its toast."""
    run_write(lambda session: action(session=session, actor=actor, **params), success=t(success_key))


# ----------------------------------------------------------------------------- edit one account
EDIT_CONFLICT_KEY = "users_edit_conflict"
manageable = [u for u in all_users if actor.role == Role.admin or u.role != Role.admin]
names = {u.username: u.display_name or u.username for u in all_users}


def _shown(field: str, value: str | None) -> str:
    """An account field's stored text as a person reads it."""
    if value in (None, ""):
        return t("users.value.none")
    if field == "role":
        return t(f"role.{value}")
    if field == "agency_id":
        return agency_names.get(int(value), value)
    if field in ("active", "must_change_password"):
        return t("common.yes") if value == "True" else t("common.no")
    if field == "password_hash":
        return t("users.value.password_set")
    if field == "locked_until":
        at = datetime.fromisoformat(value)
        return fmt_datetime(at if at.tzinfo else at.replace(tzinfo=UTC))  # stored in UTC
    return value


def _changes_table(changes: list[users.AccountChange]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                t("history.when"): fmt_datetime(c.at),
                t("history.who"): c.who,
                t("history.field"): t("users.field." + c.field)
                + (f" ({t('users.history_created')})" if c.action == "create" else ""),
                t("history.old"): _shown(c.field, c.old) if c.action != "create" else "",
                t("history.new"): _shown(c.field, c.new),
            }
            for c in changes
        ]
    )


def _edit_saved(username: str, changes: list[users.AccountChange]) -> str:
    """The toast after an edit: each field changed, old → new."""
    if not changes:
        return t("users.edit_nothing", username=md(username))
    what = ", ".join(f"{t('users.field.' + c.field)}: {_shown(c.field, c.old)} → {_shown(c.field, c.new)}" for c in changes)
    return t("users.edit_saved", username=md(username), changes=md(what))


with st.container(border=True):
    subheader(t("users.edit"))
    who = st.selectbox(
        t("users.edit_who"),
        [u.username for u in manageable],
        format_func=lambda name: f"{names[name]} ({name})",
        key="edit_who",
    )
    conflict = st.session_state.pop(EDIT_CONFLICT_KEY, None)
    if conflict is not None:
        show_refusal(conflict, icon=":material/sync_problem:")
        if conflict.changes:
            st.caption(t("users.conflict_changes"))
            st.dataframe(_changes_table(conflict.changes), hide_index=True, width="stretch")
    if who is not None:
        # What the form shows stays as it was drawn until a save (or a refused stale save), and the
        # save names its version: a save by someone else meanwhile is caught, never overwritten.
        base_key = f"edit_base_{who}"
        if base_key not in st.session_state:
            st.session_state[base_key] = cache.read(users.account_form, actor=actor, username=who)
        form = st.session_state[base_key]
        with st.form(f"edit_{who}_{form.version}"):
            display_name = st.text_input(t("users.display_name"), value=form.display_name, max_chars=users.NAME_LIMIT)
            email = st.text_input(t("users.email"), value=form.email, max_chars=users.NAME_LIMIT)
            roles = [r for r in Role if actor.role == Role.admin or r != Role.admin]
            role = st.selectbox(
                t("users.role"),
                roles,
                index=roles.index(form.role) if form.role in roles else 0,
                format_func=lambda r: t(f"role.{r}"),
                help=t("users.edit_role_help"),
            )
            agency_ids = [None, *[a.id for a in agencies]]
            agency_id = st.selectbox(
                t("users.agency"),
                agency_ids,
                index=agency_ids.index(form.agency_id) if form.agency_id in agency_ids else 0,
                format_func=lambda i: t("users.no_agency") if i is None else agency_names.get(i, str(i)),
                help=t("users.agency_edit_help"),
            )
            if st.form_submit_button(t("users.edit_save"), type="primary", icon=":material/save:"):
                saved = run_write(
                    lambda session: users.update_user(
                        session=session,
                        actor=actor,
                        username=form.username,
                        display_name=display_name,
                        email=email,
                        role=role,
                        agency_id=agency_id,
                        expected_version=form.version,
                    ),
                    success=lambda changes: _edit_saved(form.username, changes),
                    rerun=False,
                    conflict_key=EDIT_CONFLICT_KEY,
                )
                if saved or EDIT_CONFLICT_KEY in st.session_state:  # draw the form again from what is stored
                    st.session_state.pop(base_key, None)
                    st.rerun()

        with st.expander(t("users.temp"), icon=":material/password:"):
            if who == actor.username:
                st.caption(t("users.temp_self"))
            else:
                temp_key = form_key(f"temp_{who}")
                temp = st.text_input(t("users.temp_password"), type="password", key=f"{temp_key}_pw", help=t("users.temp_help"))
                sure = st.checkbox(t("users.temp_confirm", name=md(names[who])), value=False, key=f"{temp_key}_ok")
                if st.button(t("users.temp_button"), disabled=not sure, key=f"{temp_key}_go"):
                    run_write(
                        lambda session: users.set_temporary_password(
                            session=session,
                            actor=actor,
                            username=who,
                            temp_password=temp,
                            bcrypt_rounds=settings().bcrypt_rounds,
                        ),
                        success=t("users.temp_done", name=md(names[who])),
                        reset_form=f"temp_{who}",
                    )

        st.markdown(f"**{t('users.history')}**")
        history = cache.read(users.account_history, actor=actor, username=who)
        if history:
            st.dataframe(_changes_table(history), hide_index=True, width="stretch")
        else:
            st.caption(t("users.history_none"))

locked = [u.username for u in all_users if users.is_locked(u)]
col_unlock, col_active = st.columns(2)
with col_unlock, st.container(border=True):
    subheader(t("users.unlock"))
    if not locked:
        st.caption(t("users.none_locked"))
    else:
        who = st.selectbox(t("login.username"), locked, key="unlock_who")
        if st.button(t("users.unlock_button"), key="unlock"):
            _run(users.unlock_user, "users.unlocked", username=who)

with col_active, st.container(border=True):
    subheader(t("users.deactivate"))
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
