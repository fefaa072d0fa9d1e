"""running the plan from the app: archived sub-issues and assignments, a weight per sub-issue, alignment tags (strategy,
master plan, ministry plan) per sub-issue, temporary passwords that must be changed, each person's language, whether the plan requires evidence, the chair's
digest recipients and its log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "alignment_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("strategy", "master_plan", "ministry_plan", name="alignmentkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name_th", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "kind", "name_th", name="uq_alignment_tag"),
    )
    with op.batch_alter_table("alignment_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alignment_tag_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "digest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("digest_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_log_round_id"), ["round_id"], unique=False)

    op.create_table(
        "sub_issue_alignment",
        sa.Column("sub_issue_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sub_issue_id"],
            ["sub_issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["alignment_tag.id"],
        ),
        sa.PrimaryKeyConstraint("sub_issue_id", "tag_id"),
    )
    with op.batch_alter_table("sub_issue_alignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sub_issue_alignment_tag_id"), ["tag_id"], unique=False)

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=5), server_default="th", nullable=False)
        )

    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_required", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("sub_issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("weight", sa.Numeric(8, 2), server_default="1", nullable=False))
        batch_op.create_check_constraint("ck_sub_issue_weight", "weight >= 0")


def downgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("evidence_required")
    with op.batch_alter_table("sub_issue", schema=None) as batch_op:
        batch_op.drop_constraint("ck_sub_issue_weight", type_="check")
        batch_op.drop_column("weight")
        batch_op.drop_column("archived_at")

    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("archived_at")

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("must_change_password")

    with op.batch_alter_table("sub_issue_alignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sub_issue_alignment_tag_id"))

    op.drop_table("sub_issue_alignment")
    with op.batch_alter_table("digest_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_log_round_id"))

    op.drop_table("digest_log")
    with op.batch_alter_table("alignment_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alignment_tag_plan_id"))

    op.drop_table("alignment_tag")
    op.drop_table("digest_recipient")
