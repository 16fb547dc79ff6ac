"""The trend's 受理 series, the heat cells and the breakdowns count every appeal when it is written

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Until now these rollups held settled appeals only, and every read added the open
appeals of its window from ``appeals``: at 10M appeals, 127,000 open ones for a
district-year, read by the trend, the heat and the breakdowns alike. Where and when
an appeal arrived, and its kind, category and source, never change; its status and
handling level change only by a workflow event. So ``arrival_rollup`` (new),
``heat_rollup`` and ``mix_rollup`` now count every appeal when it is written (and an
event moves it between status or level values), and those reads touch no appeal.
``mix_rollup`` also keeps one row per dimension's value instead of one per
combination of values (a bar counts one dimension): far fewer rows to sum.
All three are rebuilt here from the appeals (geo.store.rollups.rebuild_arrivals).
"""

import pandas as pd
import sqlalchemy as sa
from alembic import op

from geo.store import rollups
from geo.store import schema as t
from geo.store.dialects import backend_for, is_postgis

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: 0010's breakdown rollup: settled appeals per combination of the breakdown's values.
OLD_MIX_KEY = ["level", "unit_code", "grain", "period", "kind", "category", "source", "status", "handling_level"]


def _backend():
    return backend_for("postgresql://" if is_postgis(op) else "sqlite://")


def upgrade():
    op.drop_table("mix_rollup")
    op.create_table(
        "mix_rollup",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("unit_code", sa.String(length=9), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "unit_code", "grain", "period", "dimension", "value"),
    )
    op.create_table(
        "arrival_rollup",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("unit_code", sa.String(length=15), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "unit_code", "grain", "period"),
    )
    rollups.rebuild_arrivals(op.get_bind(), _backend())


def downgrade():
    conn, backend = op.get_bind(), _backend()
    # Back to settled appeals only: the open appeals' cells come out of the heat rollup.
    for still_open in rollups.appeal_frames(conn, rollups.ARRIVAL_COLUMNS, t.appeals.c.closed_at.is_(None)):
        rollups.add(conn, backend, {t.heat_rollup: rollups.arrivals(still_open)[t.heat_rollup]}, sign=-1)
    op.drop_table("arrival_rollup")
    op.drop_table("mix_rollup")
    old_mix = op.create_table(
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
        sa.PrimaryKeyConstraint(*OLD_MIX_KEY),
    )
    for settled in rollups.appeal_frames(conn, rollups.ARRIVAL_COLUMNS, t.appeals.c.closed_at.is_not(None)):
        units = {"district": settled["street_code"].str[:6], "street": settled["street_code"]}
        parts = [settled[list(rollups.MIX_DIMS)].assign(level=rollups.LEVEL[level], unit_code=codes.to_numpy(),
                                                          grain=grain, period=period, n=1)
                 for grain, period in rollups.local_periods(settled["accepted_at"]).items()
                 for level, codes in units.items()]
        rows = pd.concat(parts, ignore_index=True).groupby(OLD_MIX_KEY, as_index=False, sort=True)["n"].sum()
        backend.add_to(conn, old_mix, rows, OLD_MIX_KEY, ["n"])

