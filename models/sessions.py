"""Login sessions: what the re-login cookie stands for, so the server can end it.

A row is made when a password login succeeds. The browser never holds anything but a random token
in an HttpOnly cookie; the table keeps only its HMAC under the cookie key. Logging out, deactivating the account
or resetting its password sets `revoked_at`, and every cookie login and every script run checks
the row, so a copied cookie is dead once its session ends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    expires_at: datetime
    # The login run hands the browser a one-time ticket; the browser trades it at /_session/start
    # for the HttpOnly cookie, whose token is made at that moment (no script ever sees it).
    ticket_hash: str | None = Field(default=None, max_length=64, unique=True)
    ticket_expires_at: datetime | None = None
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    revoked_at: datetime | None = None
    revoked_reason: str = Field(default="", max_length=40)
