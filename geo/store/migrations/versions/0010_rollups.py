"""Rollups of settled appeals, so a view's cost is bounded by units × periods, not by appeals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Appeals gain their settling time and class (geo.kpis.settling); three rollup
tables sum the settled ones per unit and local day and month (geo.store.rollups).
Open appeals get covering partial indexes per scope level, since every read takes them from the table;
the settling index finds the appeals still in flight at a past as-of. Existing
appeals are backfilled and the KPI rollup built from them here. The breakdown and heat
rollups are created empty: 0013 gives them their present meaning (every appeal, counted
when written) and fills them, so a store migrated to the head is never left between the two.
"""

import sqlalchemy as sa
from alembic import op

from geo.store import rollups
from geo.store.dialects import Instant, backend_for, create_kpi_index, is_postgis

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCOPE_COLUMNS = {"district": None, "street": "street_code", "community": "community_code", "grid": "grid_code"}
#: Everything a read takes from an open appeal (KPIs as of a time, the breakdowns, heat cells, the
#: units it is grouped by), so the open appeals of a scope and window are an index-only scan of a
#: small partial index, whatever the number of closed ones.
OPEN_COLUMNS = ["status", "deadline", "closed_on_time", "responded_on_time", "resolved", "satisfaction",
                "close_seconds", "kind", "category", "source", "handling_level", "lon", "lat", "dispatched_at",
                "visited_at", "closed_at", "street_code", "community_code", "grid_code"]


def upgrade():
    op.add_column("appeals", sa.Column("settled_at", Instant(), nullable=True))
    op.add_column("appeals", sa.Column("settle_class", sa.SmallInteger(), nullable=True))
    op.create_table(
        "kpi_rollup",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        *(sa.Column(name, sa.BigInteger() if name == "close_seconds" else sa.Integer(), nullable=False,
                    server_default="0") for name in rollups.KPI_VALUES),
        sa.PrimaryKeyConstraint("level", "grain", "period", "unit_code"),
    )
    op.create_index("ix_kpi_rollup_unit", "kpi_rollup", ["unit_code", "grain", "period"])
    op.create_table(
        "mix_rollup",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("unit_code", sa.String(length=9), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handling_level", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "unit_code", "grain", "period", "kind", "category", "source", "status",
                                "handling_level"),
    )
    op.create_table(
        "heat_rollup",
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("col", sa.SmallInteger(), nullable=False),
        sa.Column("row", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "period", "street_code", "col", "row"),
    )
    for level, column in SCOPE_COLUMNS.items():
        key = [column, "accepted_at"] if column else ["accepted_at"]
        create_kpi_index(op, f"ix_appeals_open_{level}", "appeals", key, [c for c in OPEN_COLUMNS if c not in key],
                         where="closed_at IS NULL")
    settled = sa.text("settled_at IS NOT NULL")
    op.create_index("ix_appeals_settling", "appeals", ["settle_class", "settled_at"], postgresql_where=settled,
                    sqlite_where=settled)
    rollups.rebuild_settled(op.get_bind(), backend_for("postgresql://" if is_postgis(op) else "sqlite://"))


def downgrade():
    op.drop_index("ix_appeals_settling", table_name="appeals")
    for level in SCOPE_COLUMNS:
        op.drop_index(f"ix_appeals_open_{level}", table_name="appeals")
    op.drop_table("heat_rollup")
    op.drop_table("mix_rollup")
    op.drop_index("ix_kpi_rollup_unit", table_name="kpi_rollup")
    op.drop_table("kpi_rollup")
    # Plain ALTER TABLE … DROP COLUMN on both backends (SQLite ≥ 3.35): a batch copy of ``appeals`` would drop
    # the old table, and with it, through ON DELETE CASCADE, every workflow event.
    op.drop_column("appeals", "settle_class")
    op.drop_column("appeals", "settled_at")
