"""未诉先办 analysis: runs, hotspots, forecasts, repeat groups, key-population signals; the proactive list

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Every result row belongs to an analysis run, stamped with the ``as_of`` it was
computed for, so a past list can be reproduced. ``analysis_lock`` holds one row
per job: a server process takes it before a run, so only one runs at a time
across processes and machines. ``proactive_items`` (empty until now) gains what
an item needs to be judged and acted on; its history of status changes is kept
in ``proactive_item_history`` (and, like every change, in the audit log).
"""

import sqlalchemy as sa
from alembic import op

from geo.store.dialects import Instant

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "analysis_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("as_of", Instant(), nullable=False),
        sa.Column("started_at", Instant(), nullable=False),
        sa.Column("finished_at", Instant(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analysis_runs_as_of", "analysis_runs", ["status", "as_of"])
    op.create_table(
        "analysis_lock",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", Instant(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "hotspots",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("significance", sa.Float(), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hotspots_run", "hotspots", ["run_id", "street_code"])
    op.create_table(
        "hotspot_grids",
        sa.Column("hotspot_id", ID, sa.ForeignKey("hotspots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("hot", sa.Boolean(), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("hotspot_id", "grid_code"),
    )
    op.create_table(
        "forecasts",
        sa.Column("run_id", ID, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("actual", sa.Integer(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("lo80", sa.Float(), nullable=True),
        sa.Column("hi80", sa.Float(), nullable=True),
        sa.Column("lo95", sa.Float(), nullable=True),
        sa.Column("hi95", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "unit_code", "category", "week"),
    )
    op.create_table(
        "repeat_groups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", Instant(), nullable=False),
        sa.Column("last_at", Instant(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("appeal_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_repeat_groups_run", "repeat_groups", ["run_id", "grid_code"])
    op.create_table(
        "key_population_signals",
        sa.Column("run_id", ID, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("significance", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "grid_code"),
    )
    with op.batch_alter_table("proactive_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="hotspot"))
        batch_op.add_column(sa.Column("match_key", sa.String(length=160), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("street_code", sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column("community_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("department", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.Text(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("run_id", ID, nullable=True))
        batch_op.add_column(sa.Column("as_of", Instant(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", Instant(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
    op.create_index("ix_proactive_items_match", "proactive_items", ["match_key", "status"])
    op.create_table(
        "proactive_item_history",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("item_id", ID, sa.ForeignKey("proactive_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", Instant(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proactive_item_history_item", "proactive_item_history", ["item_id", "id"])


def downgrade():
    op.drop_index("ix_proactive_item_history_item", table_name="proactive_item_history")
    op.drop_table("proactive_item_history")
    op.drop_index("ix_proactive_items_match", table_name="proactive_items")
    with op.batch_alter_table("proactive_items", schema=None) as batch_op:
        for column in ("reason", "updated_at", "as_of", "run_id", "score", "evidence", "department",
                       "community_code", "street_code", "match_key", "kind"):
            batch_op.drop_column(column)
    op.drop_table("key_population_signals")
    op.drop_index("ix_repeat_groups_run", table_name="repeat_groups")
    op.drop_table("repeat_groups")
    op.drop_table("forecasts")
    op.drop_table("hotspot_grids")
    op.drop_index("ix_hotspots_run", table_name="hotspots")
    op.drop_table("hotspots")
    op.drop_table("analysis_lock")
    op.drop_index("ix_analysis_runs_as_of", table_name="analysis_runs")
    op.drop_table("analysis_runs")
