"""notable report index: a partial index on progress_report (round_id) over the notable reports
only, so a round's highlights (services.overview.highlights) are found from its few notable
reports instead of looking up every assignment's report of the round (large scale: 35 ms -> 3 ms
on SQLite, issue 17's data floor)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the query reads "notable = 1" on SQLite (which uses a partial index only for the same term) and
# "notable = true" on PostgreSQL (which simplifies it to "notable")
SQLITE_NOTABLE, POSTGRES_NOTABLE = sa.text("notable = 1"), sa.text("notable")


def upgrade() -> None:
    op.create_index(
        "ix_progress_report_notable",
        "progress_report",
        ["round_id"],
        sqlite_where=SQLITE_NOTABLE,
        postgresql_where=POSTGRES_NOTABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_progress_report_notable", table_name="progress_report")
