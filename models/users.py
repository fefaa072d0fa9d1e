"""People who log in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from models.enums import Role, enum_column


class UserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True, regex=r"^[a-z0-9_.-]{3,64}$")
    display_name: str = Field(max_length=200)
    email: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=enum_column(Role))
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    active: bool = True


class User(UserBase, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(
            "(role = 'focal_point' AND agency_id IS NOT NULL) OR (role <> 'focal_point')",
            name="ck_focal_point_agency",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=100)
    failed_login_count: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    # Set with a temporary password given by an administrator: the next login must choose a new one.
    must_change_password: bool = False
    # The interface language the person last chose (core.i18n.LANGUAGES): kept across logins.
    language: str = Field(default="th", max_length=5)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
