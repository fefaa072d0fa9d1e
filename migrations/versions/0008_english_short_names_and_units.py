"""English names kept as plan data: an agency's English short name and an owner's English unit,
so that English mode names agencies and units in English (empty: the Thai is shown)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("short_name_en", sqlmodel.sql.sqltypes.AutoString(length=100), server_default="", nullable=False)
        )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_en", sqlmodel.sql.sqltypes.AutoString(length=100), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("unit_en")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("short_name_en")
