"""report round index: progress_report's index on round_id becomes (round_id, assignment_id,
progress_pct), so the reports of a plan's rounds and their figures are read from the index alone
(the overview's trend and the progress banked in earlier years, issue 17's data floor); the
leading column serves every lookup the old index did

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_progress_report_round_progress", "progress_report", ["round_id", "assignment_id", "progress_pct"])
    op.drop_index("ix_progress_report_round_id", table_name="progress_report")


def downgrade() -> None:
    op.create_index("ix_progress_report_round_id", "progress_report", ["round_id"])
    op.drop_index("ix_progress_report_round_progress", table_name="progress_report")
