"""bcrypt hashing, with a dummy check so unknown usernames cost as much as wrong passwords."""

from __future__ import annotations

import functools

import bcrypt

from services.errors import UserFacingError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (5.x: refuses) anything longer


class WeakPassword(UserFacingError, ValueError):
    """The password does not meet the rules."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword("error.password_too_short")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise WeakPassword("error.password_too_long")
    if password != password.strip():
        raise WeakPassword("error.password_spaces")


def hash_password(password: str, *, rounds: int = 12) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"dummy-password-for-timing", bcrypt.gensalt(rounds=rounds))


def verify_password(password: str, password_hash: str | None, *, rounds: int = 12) -> bool:
    """True if `password` matches; with no hash, burns the same bcrypt time and returns False."""
    candidate = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
    if not password_hash:
        bcrypt.checkpw(candidate, _dummy_hash(rounds))
        return False
    try:
        return bcrypt.checkpw(candidate, password_hash.encode("ascii"))
    except ValueError:
        bcrypt.checkpw(candidate, _dummy_hash(rounds))
        return False


def hash_rounds(password_hash: str) -> int:
    """The cost factor stored in a bcrypt hash ('$2b$12$...' → 12)."""
    return int(password_hash.split("$")[2])
