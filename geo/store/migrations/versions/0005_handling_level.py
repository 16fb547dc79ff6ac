"""The handling level (社区 / 街道 / 区) of appeals and workflow events is called handling_level

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

``level`` is the scope level everywhere else (district, street, community,
grid); the handling level an appeal escalates through gets a name of its own.
A plain column rename keeps every row and index (both backends rename in place).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("appeals", "appeal_events")


def upgrade():
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN level TO handling_level")


def downgrade():
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN handling_level TO level")
