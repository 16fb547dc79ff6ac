"""KPI covering indexes and proactive (未诉先办) items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

KPI queries filter by a scope column and the accepted time. On PostGIS the
indexes INCLUDE every column a KPI reads, so a street-year query is an
index-only scan; SQLite has no INCLUDE, so the same columns trail the key.
"""

import sqlalchemy as sa
from alembic import op

from geo.store.dialects import Instant, create_kpi_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KPI_COLUMNS = (
    "status", "deadline", "closed_on_time", "responded_on_time", "resolved", "satisfaction",
    "close_seconds", "kind", "category", "source",
)
SCOPE_COLUMNS = {
    "district": None,
    "street": "street_code",
    "community": "community_code",
    "grid": "grid_code",
}


def upgrade():
    for level, column in SCOPE_COLUMNS.items():
        key = [column, "accepted_at"] if column else ["accepted_at"]
        create_kpi_index(op, f"ix_appeals_kpi_{level}", "appeals", key, list(KPI_COLUMNS))
    op.create_table(
        "proactive_items",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("scope_code", sa.String(length=15), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", Instant(), nullable=False),
        sa.Column("due_at", Instant(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proactive_items_scope_code", "proactive_items", ["scope_code"])


def downgrade():
    op.drop_index("ix_proactive_items_scope_code", table_name="proactive_items")
    op.drop_table("proactive_items")
    for level in SCOPE_COLUMNS:
        op.drop_index(f"ix_appeals_kpi_{level}", table_name="appeals")
