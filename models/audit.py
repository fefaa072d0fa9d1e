"""The append-only audit trail. Rows are only ever inserted (database triggers refuse the rest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    user_id: int | None = Field(default=None, index=True)  # no FK: the trail outlives users
    username: str = Field(max_length=64)
    action: str = Field(max_length=10)  # create / update / delete
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=40, index=True)
    field: str = Field(max_length=60)
    old_value: str | None = None
    new_value: str | None = None


class DataVersion(SQLModel, table=True):
    """One row whose `version` every write transaction that changes data increments just before
    it commits (core.db.write_session). Readers in any process compare it with the version their
    cached aggregates were computed at: one primary-key read tells whether anything changed. The
    row lock on PostgreSQL orders the increments, so a reader never sees a version whose data it
    cannot see yet."""

    __tablename__ = "data_version"
    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger)
