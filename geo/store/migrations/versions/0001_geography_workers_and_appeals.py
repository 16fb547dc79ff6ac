"""geography, workers and appeals

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:28:46.512057
"""

import sqlalchemy as sa
from alembic import op

from geo.store.dialects import Geometry, Instant, is_postgis

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "appeals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reporter_name", sa.Text(), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("accepted_at", Instant(), nullable=False),
        sa.Column("dispatched_at", Instant(), nullable=True),
        sa.Column("in_progress_at", Instant(), nullable=True),
        sa.Column("feedback_at", Instant(), nullable=True),
        sa.Column("visited_at", Instant(), nullable=True),
        sa.Column("closed_at", Instant(), nullable=True),
        sa.Column("response_deadline", Instant(), nullable=False),
        sa.Column("deadline", Instant(), nullable=False),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("worker_id", sa.String(length=16), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.String(length=24), nullable=True),
        sa.Column("responded_on_time", sa.SmallInteger(), nullable=False),
        sa.Column("closed_on_time", sa.SmallInteger(), nullable=False),
        sa.Column("close_seconds", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_ref", name="uq_appeals_source_ref"),
    )
    op.create_table(
        "districts",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "professional_grids",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("professional_grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_professional_grids_type"), ["type"], unique=False)

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "appeal_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("appeal_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", Instant(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_events_appeal", ["appeal_id", "seq"], unique=False)

    op.create_table(
        "streets",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "communities",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["streets.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_communities_street_code"), ["street_code"], unique=False)

    op.create_table(
        "grids",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("community_code", sa.String(length=12), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("buildings", sa.Integer(), nullable=False),
        sa.Column("house_numbers", sa.Integer(), nullable=False),
        sa.Column("legal_persons", sa.Integer(), nullable=False),
        sa.Column("geom", Geometry(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["communities.code"],
        ),
        sa.ForeignKeyConstraint(
            ["street_code"],
            ["streets.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grids_community_code"), ["community_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_grids_street_code"), ["street_code"], unique=False)

    op.create_table(
        "key_population",
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_code"],
            ["grids.code"],
        ),
        sa.PrimaryKeyConstraint("grid_code", "type"),
    )
    op.create_table(
        "professional_grid_members",
        sa.Column("professional_code", sa.String(length=32), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_code"],
            ["grids.code"],
        ),
        sa.ForeignKeyConstraint(
            ["professional_code"],
            ["professional_grids.code"],
        ),
        sa.PrimaryKeyConstraint("professional_code", "grid_code"),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["grid_code"],
            ["grids.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_grid_code"), ["grid_code"], unique=False)

    op.create_table(
        "worker_latest",
        sa.Column("worker_id", sa.String(length=16), nullable=False),
        sa.Column("at", Instant(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
        ),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_table(
        "worker_positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("worker_id", sa.String(length=16), nullable=False),
        sa.Column("at", Instant(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("worker_positions", schema=None) as batch_op:
        batch_op.create_index("ix_worker_positions_worker_at", ["worker_id", "at"], unique=False)

    if is_postgis(op):
        for table in (
            "districts",
            "streets",
            "communities",
            "grids",
            "professional_grids",
        ):
            op.create_index(f"ix_{table}_geom", table, ["geom"], postgresql_using="gist")
        # Appeal points for spatial queries, derived so no writer can forget them.
        op.execute(
            "ALTER TABLE appeals ADD COLUMN geom geometry(Point, 4326)"
            " GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED"
        )
        op.create_index("ix_appeals_geom", "appeals", ["geom"], postgresql_using="gist")


def downgrade():
    with op.batch_alter_table("worker_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_positions_worker_at")

    op.drop_table("worker_positions")
    op.drop_table("worker_latest")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_grid_code"))

    op.drop_table("workers")
    op.drop_table("professional_grid_members")
    op.drop_table("key_population")
    with op.batch_alter_table("grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grids_street_code"))
        batch_op.drop_index(batch_op.f("ix_grids_community_code"))

    op.drop_table("grids")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_communities_street_code"))

    op.drop_table("communities")
    op.drop_table("streets")
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_events_appeal")

    op.drop_table("appeal_events")
    op.drop_table("store_meta")
    with op.batch_alter_table("professional_grids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_professional_grids_type"))

    op.drop_table("professional_grids")
    op.drop_table("districts")
    op.drop_table("appeals")
