"""The logged-in actor, and writes: one transaction per action, its refusal shown in the user's
language, a toast after it saved."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from core import db
from services.errors import UserFacingError
from services.permissions import Actor, can_view_page
from services.progress import ReportConflict, ValidationFailed
from services.users import AccountConflict
from ui import cache, nav
from ui.boot import engine
from ui.widgets import flash, md, show_refusal, t

T = TypeVar("T")
ACTOR_KEY = "actor"
MUST_CHANGE_KEY = "_must_change_password"  # the account holds a temporary password: only the change form
_NONCE = "_form_nonce_"


def form_key(name: str) -> str:
    """The key of a form that `run_write(..., reset_form=name)` empties after a save. A form
    cleared on submit would lose what was typed when the save is refused; this one keeps it."""
    return f"{name}_{st.session_state.get(_NONCE + name, 0)}"


def actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def require_actor(page: str | None = None) -> Actor:
    """The logged-in actor, allowed to see `page`; otherwise the page stops here.

    Navigation only hands a role its own pages; this second check covers the first run of a
    fresh server process, which Streamlit routes through its folder-based page mode.
    """
    nav.leave_folder_page_mode()
    current = actor()
    if current is None or (page is not None and not can_view_page(current, page)):
        st.stop()
    if page not in (None, "account") and st.session_state.get(MUST_CHANGE_KEY):
        st.stop()  # app.py hands such a user only the account page; this covers any other path
    return current


@contextmanager
def write_session(as_actor: Actor | None = None) -> Iterator[Session]:
    """A write as `as_actor` (default: the logged-in actor). Once it ends, this run's next
    data_version() reads the database again, so what the run draws after a save includes it."""
    try:
        with db.write_session(engine(), as_actor or require_actor()) as session:
            yield session
    finally:
        cache.data_changed()


def run_job(action: Callable[[Engine], T]) -> T | None:
    """A service that runs its own short transactions on the engine (mail sent between two
    writes, a backup read in one snapshot, a restore): its result, or None after showing its
    refusal. Either way this run's next data_version() reads the database again."""
    try:
        return action(engine())
    except UserFacingError as exc:
        show_refusal(exc)
        return None
    finally:
        cache.data_changed()


def run_write(
    action: Callable[[Session], object],
    *,
    success: str | Callable[[object], str],
    rerun: bool = True,
    conflict_key: str | None = None,
    reset_form: str | None = None,
) -> bool:
    """Run a service write in one transaction; True when it was saved.

    A refusal is shown where the page is (a validation lists each problem with its item and
    field); a conflict is kept in `conflict_key` for the page to show beside the user's input,
    or shown at once without one. After a save the toast `success` appears (on the next run,
    when `rerun`, which draws the page again from what was stored); a callable `success` makes
    it from what the action returned."""
    try:
        with write_session() as session:
            result = action(session)
    except (ReportConflict, AccountConflict) as exc:
        if conflict_key:
            st.session_state[conflict_key] = exc
        else:
            show_refusal(exc, icon=":material/sync_problem:")
        return False
    except ValidationFailed as exc:
        show_refusal(exc)
        for p in exc.problems:
            where = f"{md(p.sub_issue_code)} · " if p.sub_issue_code else ""
            st.write(f"- {where}{t('field.' + p.field)}: {t(p.message_key, **{k: md(v) for k, v in p.params.items()})}")
        return False
    except UserFacingError as exc:
        show_refusal(exc)
        return False
    flash(success(result) if callable(success) else success)
    if reset_form is not None:  # the form's next key: it comes back empty (a refusal keeps the input)
        st.session_state[_NONCE + reset_form] = st.session_state.get(_NONCE + reset_form, 0) + 1
    if rerun:
        st.rerun()
    return True
