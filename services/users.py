"""Accounts: creation, login with database-backed lockout, unlocking, passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from models import Agency, LoginSession, Role, User
from services import login_sessions
from services.errors import UserFacingError
from services.passwords import hash_password, verify_password
from services.permissions import Actor, require_user_manager
from services.text_rules import text_problems


class UserInputError(UserFacingError, ValueError):
    """Invalid account data."""


NAME_LIMIT = 200  # display name and e-mail (the columns' length)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # "ok" | "invalid" | "locked"
    user_id: int | None = None
    locked_until: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), agency_id=user.agency_id)


def get_by_username(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.role), col(User.username))))


def count_users(*, session: Session) -> int:
    return len(session.exec(select(User.id)).all())


def create_user(
    *,
    session: Session,
    actor: Actor | None,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    email: str = "",
    agency_code: str | None = None,
    bcrypt_rounds: int = 12,
) -> User:
    """Create an account. `actor=None` is the command line bootstrapping the first admin."""
    role = Role(role)
    if actor is not None and actor.role is not None:
        require_user_manager(actor, target_role=role)
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9_.-]{3,64}", username):
        raise UserInputError("error.username_format")
    if get_by_username(session=session, username=username) is not None:
        raise UserInputError("error.username_taken", username=username)
    for text in (display_name, email):
        problems = text_problems("display_name", text.strip(), NAME_LIMIT)
        if problems:
            raise UserInputError(problems[0].message_key, **problems[0].params)
    agency_id = None
    if role == Role.focal_point:
        if not agency_code:
            raise UserInputError("error.focal_point_needs_agency")
        agency = session.exec(select(Agency).where(Agency.code == agency_code)).first()
        if agency is None:
            raise UserInputError("error.unknown_agency", code=agency_code)
        agency_id = agency.id
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        email=email.strip(),
        role=role,
        agency_id=agency_id,
        password_hash=hash_password(password, rounds=bcrypt_rounds),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    max_failures: int = 5,
    lock_minutes: int = 15,
    bcrypt_rounds: int = 12,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password, counting failures in the database: `max_failures` lock the account.

    Runs in a write transaction (BEGIN IMMEDIATE on SQLite, SELECT … FOR UPDATE on PostgreSQL)
    so failures from several processes add up. Unknown, inactive and locked accounts still pay
    for one bcrypt check, so a refusal takes as long whatever the reason.
    """
    now = now or _now()
    user = session.exec(select(User).where(User.username == username.strip().lower()).with_for_update()).first()
    if user is None or not user.active:
        verify_password(password, None, rounds=bcrypt_rounds)
        return LoginResult(ok=False, reason="invalid")
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        verify_password(password, user.password_hash, rounds=bcrypt_rounds)
        return LoginResult(ok=False, reason="locked", user_id=user.id, locked_until=locked_until)
    if verify_password(password, user.password_hash, rounds=bcrypt_rounds):
        user.failed_login_count = 0
        user.locked_until = None
        user.last_login_at = now
        session.add(user)
        return LoginResult(ok=True, reason="ok", user_id=user.id)
    user.failed_login_count += 1
    if user.failed_login_count >= max_failures:
        user.locked_until = now + timedelta(minutes=lock_minutes)
        user.failed_login_count = 0
        session.add(user)
        return LoginResult(ok=False, reason="locked", user_id=user.id, locked_until=user.locked_until)
    session.add(user)
    return LoginResult(ok=False, reason="invalid", user_id=user.id)


def is_locked(user: User, *, now: datetime | None = None) -> bool:
    locked_until = _aware(user.locked_until)
    return locked_until is not None and locked_until > (now or _now())


def unlock_user(*, session: Session, actor: Actor, username: str) -> User:
    """Clear a lock and the failure count (user managers only)."""
    user = get_by_username(session=session, username=username)
    if user is None:
        raise UserInputError("error.unknown_user", username=username)
    require_user_manager(actor, target_role=user.role)
    user.locked_until = None
    user.failed_login_count = 0
    session.add(user)
    return user


def set_active(*, session: Session, actor: Actor, username: str, active: bool) -> User:
    user = get_by_username(session=session, username=username)
    if user is None:
        raise UserInputError("error.unknown_user", username=username)
    require_user_manager(actor, target_role=user.role)
    if not active and user.id == actor.user_id:
        raise UserInputError("error.cannot_deactivate_self")
    user.active = active
    session.add(user)
    if not active:
        login_sessions.revoke_all_for_user(session=session, user_id=user.id, reason="deactivated")
    return user


def change_own_password(
    *,
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    bcrypt_rounds: int = 12,
    keep_session_id: int | None = None,
) -> None:
    """A user changes their own password after proving the current one; every other login
    session of theirs ends (`keep_session_id`, the one they are using, stays)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    if user is None or not verify_password(current_password, user.password_hash, rounds=bcrypt_rounds):
        raise UserInputError("error.current_password_wrong")
    user.password_hash = hash_password(new_password, rounds=bcrypt_rounds)
    session.add(user)
    for row in session.exec(select(LoginSession).where(LoginSession.user_id == user.id)):
        if row.id != keep_session_id:
            login_sessions.revoke(session=session, session_id=row.id, reason="password_changed")


def reset_password(*, session: Session, actor: Actor | None, username: str, new_password: str, bcrypt_rounds: int = 12) -> None:
    """A user manager (or the command line, actor=None) sets someone's password."""
    user = get_by_username(session=session, username=username)
    if user is None:
        raise UserInputError("error.unknown_user", username=username)
    if actor is not None and actor.role is not None:
        require_user_manager(actor, target_role=user.role)
    user.password_hash = hash_password(new_password, rounds=bcrypt_rounds)
    user.locked_until = None
    user.failed_login_count = 0
    session.add(user)
    login_sessions.revoke_all_for_user(session=session, user_id=user.id, reason="password_reset")


def authenticator_credentials(*, session: Session) -> dict:
    """Credentials in streamlit-authenticator's shape, built from the User table (active users)."""
    users = session.exec(select(User).where(User.active == True)).all()
    return {
        "usernames": {
            u.username: {
                "name": u.display_name,
                "email": u.email or f"{u.username}@invalid",
                "password": u.password_hash,
                "roles": [str(Role(u.role).value)],
            }
            for u in users
        }
    }
