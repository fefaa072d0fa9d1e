"""Accounts: creation, editing (stale edits refused), login with database-backed lockout,
unlocking, passwords (temporary ones must be changed at the next login), each account's history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from core.i18n import LANGUAGES
from models import Agency, AuditLog, LoginSession, Role, User
from services import login_sessions
from services.errors import UserFacingError
from services.passwords import hash_password, verify_password
from services.permissions import Actor, require_user_manager
from services.text_rules import text_problems


class UserInputError(UserFacingError, ValueError):
    """Invalid account data."""


NAME_LIMIT = 200  # display name and e-mail (the columns' length)
# What the edit form changes: a save names the account's version (the newest audit row of these
# fields) it was drawn from, and is refused if another save moved it since.
ACCOUNT_FIELDS = ("display_name", "email", "role", "agency_id")
# What an account's history shows (login bookkeeping, the failure counter and last login, is left out).
HISTORY_FIELDS = (*ACCOUNT_FIELDS, "active", "must_change_password", "password_hash", "locked_until")
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


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


def display_names(*, session: Session, user_ids: set[int | None] | list[int | None]) -> dict[int, str]:
    """Each user's display name by id (the username where an account has none): how people are
    shown to one another."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.display_name, User.username).where(col(User.id).in_(ids))).all()
    return {uid: (name or "").strip() or username for uid, name, username in rows}


def _check_display_name(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UserInputError("error.display_name_required")
    problems = text_problems("display_name", text, NAME_LIMIT)
    if problems:
        raise UserInputError(problems[0].message_key, **problems[0].params)
    return text


def _check_email(value: str) -> str:
    text = (value or "").strip()
    problems = text_problems("email", text, NAME_LIMIT)
    if problems:
        raise UserInputError(problems[0].message_key, **problems[0].params)
    if text and not EMAIL_PATTERN.fullmatch(text):
        raise UserInputError("error.email_format", email=text)
    return text


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
    problems = text_problems("display_name", display_name.strip(), NAME_LIMIT)
    if problems:
        raise UserInputError(problems[0].message_key, **problems[0].params)
    email = _check_email(email)
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
        email=email,
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


def set_language(*, session: Session, actor: Actor, language: str) -> None:
    """Keep the interface language a person chose, for their next login (their own account only)."""
    if language not in LANGUAGES:
        raise UserInputError("error.unknown_language")
    user = session.get(User, actor.user_id) if actor.user_id else None
    if user is not None and user.language != language:
        user.language = language
        session.add(user)


def change_own_password(
    *,
    session: Session,
    actor: Actor,
    current_password: str,
    new_password: str,
    bcrypt_rounds: int = 12,
    keep_session_id: int | None = None,
) -> None:
    """A user changes their own password after proving the current one (a temporary password is
    done with: the flag clears); every other login session of theirs ends (`keep_session_id`,
    the one they are using, stays)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    if user is None or not verify_password(current_password, user.password_hash, rounds=bcrypt_rounds):
        raise UserInputError("error.current_password_wrong")
    if user.must_change_password and new_password == current_password:
        raise UserInputError("error.password_same_as_temporary")
    user.password_hash = hash_password(new_password, rounds=bcrypt_rounds)
    user.must_change_password = False
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


# ----------------------------------------------------------------------------- editing
class AccountConflict(UserInputError):
    """Someone saved this account since the form was drawn: nothing was written."""

    def __init__(self, who: str, changes: list[AccountChange]) -> None:
        super().__init__("error.account_conflict", who=who)
        self.changes = changes


@dataclass(frozen=True)
class AccountChange:
    """One change of an account, as its history shows it: who (display name), when, what."""

    at: datetime
    who: str
    field: str
    old: str | None
    new: str | None
    action: str = "update"  # create / update


@dataclass(frozen=True)
class AccountForm:
    """What the edit form shows of an account, with the version a save names."""

    username: str
    display_name: str
    email: str
    role: Role
    agency_id: int | None
    active: bool
    must_change_password: bool
    version: int


def _audit_rows(session: Session, user_id: int, fields: tuple[str, ...], *, after_id: int = 0) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog)
            .where(
                AuditLog.entity == "app_user",
                AuditLog.entity_id == str(user_id),
                col(AuditLog.field).in_(fields),
                AuditLog.id > after_id,
            )
            .order_by(col(AuditLog.id))
        )
    )


def account_version(*, session: Session, user_id: int) -> int:
    """The id of the newest audit row of the account's editable fields (0 before any)."""
    rows = _audit_rows(session, user_id, ACCOUNT_FIELDS)
    return rows[-1].id if rows else 0


def _changes(session: Session, rows: list[AuditLog]) -> list[AccountChange]:
    names = display_names(session=session, user_ids={r.user_id for r in rows})
    return [
        AccountChange(
            at=_aware(r.at),
            who=names.get(r.user_id, r.username),
            field=r.field,
            old=r.old_value,
            new=r.new_value,
            action=r.action,
        )
        for r in rows
    ]


def _target(session: Session, username: str, *, lock: bool = False) -> User:
    query = select(User).where(User.username == (username or "").strip().lower())
    user = session.exec(query.with_for_update() if lock else query).first()
    if user is None:
        raise UserInputError("error.unknown_user", username=username)
    return user


def account_form(*, session: Session, actor: Actor, username: str) -> AccountForm:
    """An account as the edit form shows it (user managers only)."""
    user = _target(session, username)
    require_user_manager(actor, target_role=user.role)
    return AccountForm(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        role=Role(user.role),
        agency_id=user.agency_id,
        active=user.active,
        must_change_password=user.must_change_password,
        version=account_version(session=session, user_id=user.id),
    )


def update_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role | str,
    agency_id: int | None,
    email: str,
    expected_version: int,
) -> list[AccountChange]:
    """Edit an account's display name, role, agency and e-mail (user managers; only an admin
    touches admins). `expected_version` is the `account_form` version the form was drawn from:
    a save by someone else since refuses this one (`AccountConflict`, who changed what). A new
    role or agency ends the account's login sessions. Returns the changes made (none: nothing
    was different)."""
    user = _target(session, username, lock=True)
    require_user_manager(actor, target_role=user.role)
    try:
        role = Role(role)
    except ValueError:
        raise UserInputError("error.unknown_role") from None
    require_user_manager(actor, target_role=role)
    current = account_version(session=session, user_id=user.id)
    if current != expected_version:
        since = _changes(session, _audit_rows(session, user.id, ACCOUNT_FIELDS, after_id=expected_version))
        who = ", ".join(dict.fromkeys(c.who for c in since)) or "?"
        raise AccountConflict(who, since)
    values = {"display_name": _check_display_name(display_name), "email": _check_email(email), "role": role}
    if role == Role.focal_point:
        if agency_id is None:
            raise UserInputError("error.focal_point_needs_agency")
        if session.get(Agency, agency_id) is None:
            raise UserInputError("error.unknown_agency", code=str(agency_id))
    elif agency_id is not None:
        raise UserInputError("error.agency_only_for_focal_points")
    values["agency_id"] = agency_id
    if user.id == actor.user_id and role != Role(user.role):
        raise UserInputError("error.cannot_change_own_role")
    now = _now()
    changes = []
    for name, new in values.items():
        old = getattr(user, name)
        if old != new:
            changes.append(AccountChange(at=now, who="", field=name, old=_plain(old), new=_plain(new)))
            setattr(user, name, new)
    if not changes:
        return []
    session.add(user)
    if any(c.field in ("role", "agency_id") for c in changes):  # what the account may see has changed
        login_sessions.revoke_all_for_user(session=session, user_id=user.id, reason="role_changed")
    session.flush()
    return changes


def _plain(value: object) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def set_temporary_password(*, session: Session, actor: Actor, username: str, temp_password: str, bcrypt_rounds: int = 12) -> User:
    """A user manager gives someone a temporary password: the account is unlocked, its login
    sessions end, and the next login must choose a new password before anything else."""
    user = _target(session, username, lock=True)
    require_user_manager(actor, target_role=user.role)
    if user.id == actor.user_id:
        raise UserInputError("error.temp_password_self")
    user.password_hash = hash_password(temp_password, rounds=bcrypt_rounds)
    user.must_change_password = True
    user.locked_until = None
    user.failed_login_count = 0
    session.add(user)
    login_sessions.revoke_all_for_user(session=session, user_id=user.id, reason="temporary_password")
    session.flush()
    return user


def account_history(*, session: Session, actor: Actor, username: str) -> list[AccountChange]:
    """An account's changes from the audit trail, newest first, each with who made it (their
    display name), the field, old and new value and when (user managers only)."""
    user = _target(session, username)
    require_user_manager(actor, target_role=user.role)
    rows = [
        r
        for r in _audit_rows(session, user.id, HISTORY_FIELDS)
        if r.action != "create" or (r.field in ACCOUNT_FIELDS and r.new_value not in (None, ""))
    ]
    return sorted(reversed(_changes(session, rows)), key=lambda c: c.at, reverse=True)  # ties: the later row first


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
