"""The append-only audit trail. Rows are only ever inserted (database triggers refuse the rest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
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


class DataChange(SQLModel, table=True):
    """What data version `version` changed, written with it (core.db.bump_data_version): the
    (round id, agency id) pairs whose reports it wrote, or `everything` when it changed anything
    else a round's figures are built from (the plan, rounds, people's names …). Cached round
    grids refresh only the agencies a run of versions touched (services.heatmap.changes_since);
    a version without its row (a restore, a row pruned away) counts as everything."""

    __tablename__ = "data_change"
    version: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    everything: bool = False
    cells: str = Field(default="[]", sa_type=Text)  # JSON: [[round_id, agency_id], …]
