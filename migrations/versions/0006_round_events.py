"""round events and reminders: what was done to a reporting round (opened, closed, reopened with a
reason, due date moved), by whom and why; the reminders sent to agencies about a round

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('round_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['reporting_round.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('round_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_event_round_id'), ['round_id'], unique=False)


    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("missing", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("recipients", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("email_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("email_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["reporting_round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_round_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_agency_id"))
    op.drop_table("reminder")
    with op.batch_alter_table('round_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_event_round_id'))

    op.drop_table('round_event')
