"""The settling index covers what a past as-of reads of the appeals then in flight

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A view at a past as-of (环比, 同比, playback) takes the settled appeals still in flight
then back to what they had contributed; they are found one range of the settling
index per class. At 10M appeals those reads fetched tens of thousands of rows from
the heap (246 ms for a district-year's 环比). The index now carries every column the
read needs, so it is index-only.
"""

import sqlalchemy as sa
from alembic import op

from geo.store.dialects import create_kpi_index

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: What the in-flight part of a KPI read takes from each appeal (geo.store.store._kpi_sums and its grouping).
IN_FLIGHT_COLUMNS = ["accepted_at", "closed_at", "closed_on_time", "deadline", "responded_on_time", "dispatched_at",
                     "resolved", "visited_at", "satisfaction", "close_seconds", "street_code", "community_code",
                     "grid_code"]


def upgrade():
    op.drop_index("ix_appeals_settling", table_name="appeals")
    create_kpi_index(op, "ix_appeals_settling", "appeals", ["settle_class", "settled_at"], IN_FLIGHT_COLUMNS,
                     where="settled_at IS NOT NULL")


def downgrade():
    op.drop_index("ix_appeals_settling", table_name="appeals")
    settled = sa.text("settled_at IS NOT NULL")
    op.create_index("ix_appeals_settling", "appeals", ["settle_class", "settled_at"], postgresql_where=settled,
                    sqlite_where=settled)
