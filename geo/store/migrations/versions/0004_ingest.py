"""Ingest: dead letters, API keys, and event refs for idempotent workflow events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Rejected ingest items are kept verbatim (dead_letters) so operators can list
and replay them. Writers authenticate with keys whose hashes live in api_keys.
An event posted with a ref is applied once however often it is retried.
"""

import sqlalchemy as sa
from alembic import op

from geo.store.dialects import Instant

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "dead_letters",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("received_at", Instant(), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("key_name", sa.String(length=64), nullable=True),
        sa.Column("replayed_at", Instant(), nullable=True),
        sa.Column("replay_result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payload_hash"),
    )
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, server_default="writer"),
        sa.Column("created_at", Instant(), nullable=False),
        sa.Column("revoked_at", Instant(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=64), nullable=True))
        batch_op.create_index("uq_appeal_events_ref", ["appeal_id", "ref"], unique=True)


def downgrade():
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index("uq_appeal_events_ref")
        batch_op.drop_column("ref")
    op.drop_table("api_keys")
    op.drop_table("dead_letters")
