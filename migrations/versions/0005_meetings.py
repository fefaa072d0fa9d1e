"""meetings: members, attendance, agenda items with their resolutions (the minutes), the chair's
directives and the agencies' answers, corrections of adopted minutes

A meeting's old one-line summary and resolution become sub-item 4.1 of its agenda.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEETING_TEXTS = (
    ("group_name", 500),
    ("chair_name", 200),
    ("note_taker_name", 200),
    ("note_taker_position", 200),
    ("checker_name", 200),
    ("checker_position", 200),
)


def upgrade() -> None:
    # the meeting table first, while no table points at it (SQLite recreates it to add the key)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ends_at", sa.Time(), nullable=True))
        for name, length in MEETING_TEXTS:
            column = sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), server_default="", nullable=False)
            batch_op.add_column(column)
        states = sa.Enum("draft", "circulated", "adopted", name="minutesstate", native_enum=False, length=20)
        batch_op.add_column(sa.Column("minutes_state", states, server_default="draft", nullable=False))
        batch_op.add_column(sa.Column("circulated_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("adopted_in_meeting_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("adoption_corrections", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_foreign_key("fk_meeting_adopted_in_meeting", "meeting", ["adopted_in_meeting_id"], ["id"])

    op.create_table(
        "working_group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("group_role", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("working_group_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_working_group_member_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("resolution_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("resolution", sa.Text(), server_default="", nullable=False),
        sa.Column("auto_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("present", "substitute", "absent", "participant", name="attendancekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("group_role", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stand_in_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stand_in_position", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["working_group_member.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_attendance_member"),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_attendance_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "directive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.Enum("open", "done", name="directivestate", native_enum=False, length=20), nullable=False),
        sa.Column("secretariat_note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directive_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "minutes_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("field_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), server_default="", nullable=False),
        sa.Column("new_value", sa.Text(), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("minutes_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_correction_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "directive_agency",
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directive.id"],
        ),
        sa.PrimaryKeyConstraint("directive_id", "agency_id"),
    )
    op.create_table(
        "directive_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["directive.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directive_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directive_answer_directive_id"), ["directive_id"], unique=False)

    true = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    op.execute(
        "INSERT INTO agenda_item (meeting_id, section, position, title, body, resolution_kind, resolution,"
        " auto_key, edited, version) SELECT id, 4, 1, '', summary,"
        f" CASE WHEN resolution = '' THEN '' ELSE 'other' END, resolution, '', {true}, 1"
        " FROM meeting WHERE summary <> '' OR resolution <> ''"
    )
    # plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): recreating the table would delete its rows'
    # children, which now point at it
    with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_column("resolution")


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False))
    first_of_item_4 = "FROM agenda_item a WHERE a.meeting_id = meeting.id AND a.section = 4 ORDER BY a.position LIMIT 1"
    op.execute(
        f"UPDATE meeting SET summary = COALESCE((SELECT a.body {first_of_item_4}), ''),"
        f" resolution = COALESCE((SELECT a.resolution {first_of_item_4}), '')"
    )
    with op.batch_alter_table("directive_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_answer_directive_id"))

    op.drop_table("directive_answer")
    op.drop_table("directive_agency")
    with op.batch_alter_table("minutes_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_correction_meeting_id"))

    op.drop_table("minutes_correction")
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_meeting_id"))

    op.drop_table("directive")
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_attendance_meeting_id"))

    op.drop_table("meeting_attendance")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_meeting_id"))

    op.drop_table("agenda_item")
    with op.batch_alter_table("working_group_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_working_group_member_plan_id"))

    op.drop_table("working_group_member")
    # the meeting table last, once nothing points at it
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meeting_adopted_in_meeting", type_="foreignkey")
        for name in ("version", "adoption_corrections", "adopted_in_meeting_id", "circulated_on", "minutes_state", "ends_at"):
            batch_op.drop_column(name)
        for name, _ in reversed(MEETING_TEXTS):
            batch_op.drop_column(name)
