"""Dashboard indexes: closed per day, and appeal locations for the heat map

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

The dashboard's trend counts appeals by the day they were closed, whenever
they were received; without the closed_at indexes a street's trend scans all
its appeals. The heat map bins appeal locations, and KPIs are evaluated as of
a time, so the KPI covering indexes are rebuilt to include lon, lat and the
stage times and stay index-only.
"""

from alembic import op

from geo.store.dialects import create_kpi_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SCOPE_COLUMNS = {"district": None, "street": "street_code", "community": "community_code", "grid": "grid_code"}
FILTER_COLUMNS = ["kind", "category", "source", "status"]
KPI_COLUMNS_0002 = [
    "status", "deadline", "closed_on_time", "responded_on_time", "resolved", "satisfaction",
    "close_seconds", "kind", "category", "source",
]
#: KPIs are evaluated "as of" a time, so the stage times they compare are included too.
KPI_COLUMNS = KPI_COLUMNS_0002 + ["lon", "lat", "dispatched_at", "visited_at", "closed_at"]


def _kpi_indexes(columns: list[str]) -> None:
    for level, column in SCOPE_COLUMNS.items():
        key = [column, "accepted_at"] if column else ["accepted_at"]
        create_kpi_index(op, f"ix_appeals_kpi_{level}", "appeals", key, columns)


def upgrade():
    for level, column in SCOPE_COLUMNS.items():
        key = [column, "closed_at"] if column else ["closed_at"]
        create_kpi_index(op, f"ix_appeals_closed_{level}", "appeals", key, FILTER_COLUMNS)
        op.drop_index(f"ix_appeals_kpi_{level}", table_name="appeals")
    _kpi_indexes(KPI_COLUMNS)


def downgrade():
    for level in SCOPE_COLUMNS:
        op.drop_index(f"ix_appeals_closed_{level}", table_name="appeals")
        op.drop_index(f"ix_appeals_kpi_{level}", table_name="appeals")
    _kpi_indexes(KPI_COLUMNS_0002)
