"""Workflow events name their handling department (承办部门) and may carry a note (办理说明); appeals are found by source_ref

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The timeline showed who acted at which level, not which department had the
case or what was done. Both columns are nullable: events written before this
revision have neither, and a writer may leave them out. Notes are free text
and are masked like titles whenever they are read (geo.privacy.masked_event).

The header's search finds an appeal by the reference its channel gave it
(source_ref) alone, without the source: that needs its own index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_index("ix_appeals_source_ref_alone", "appeals", ["source_ref"])


def downgrade():
    op.drop_index("ix_appeals_source_ref_alone", table_name="appeals")
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("department")
