"""Enumerations stored as short strings in the database."""

from enum import StrEnum

import sqlalchemy as sa


def enum_column(enum_cls: type[StrEnum]) -> sa.Enum:
    """Store an enum as its value in a VARCHAR (no native PostgreSQL type to drop or alter)."""
    return sa.Enum(enum_cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Role(StrEnum):
    admin = "admin"
    secretariat = "secretariat"
    chair = "chair"
    executive = "executive"
    focal_point = "focal_point"
    viewer = "viewer"


class RoundState(StrEnum):
    open = "open"
    closed = "closed"


class ProgressStatus(StrEnum):
    not_started = "not_started"
    on_track = "on_track"
    completed = "completed"
    delayed = "delayed"
    cancelled = "cancelled"


class SubmissionState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
