"""The append-only audit trail. Rows are only ever inserted (database triggers refuse the rest)."""

from __future__ import annotations

from datetime import datetime

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
