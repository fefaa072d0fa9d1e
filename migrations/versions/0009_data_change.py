"""data change: what each data version changed, so a cached round grid is refreshed for the
agencies a save touched instead of being computed again; and data_version's second row, the
version at which anything but progress reports last changed (caches of the plan, rounds and
accounts keep through a deadline's saves)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_change",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("everything", sa.Boolean(), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.execute("INSERT INTO data_version (id, version) SELECT 2, version FROM data_version WHERE id = 1")


def downgrade() -> None:
    op.execute("DELETE FROM data_version WHERE id = 2")
    op.drop_table("data_change")
