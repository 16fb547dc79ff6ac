"""Tables of the store, shared by both backends.

Geometry and time columns use types whose storage differs per backend; they
live with the other backend quirks in :mod:`geo.store.dialects`.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.dialects import Geometry, Instant

metadata = sa.MetaData()

districts = sa.Table(
    "districts",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("geom", Geometry(), nullable=False),
)

streets = sa.Table(
    "streets",
    metadata,
    sa.Column("code", sa.String(9), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("district_code", sa.String(6), sa.ForeignKey("districts.code"), nullable=False),
    sa.Column("geom", Geometry(), nullable=False),
)

communities = sa.Table(
    "communities",
    metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("street_code", sa.String(9), sa.ForeignKey("streets.code"), nullable=False, index=True),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("geom", Geometry(), nullable=False),
)

grids = sa.Table(
    "grids",
    metadata,
    sa.Column("code", sa.String(15), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("community_code", sa.String(12), sa.ForeignKey("communities.code"), nullable=False, index=True),
    sa.Column("street_code", sa.String(9), sa.ForeignKey("streets.code"), nullable=False, index=True),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("buildings", sa.Integer, nullable=False),
    sa.Column("house_numbers", sa.Integer, nullable=False),
    sa.Column("legal_persons", sa.Integer, nullable=False),
    sa.Column("geom", Geometry(), nullable=False),
)

professional_grids = sa.Table(
    "professional_grids",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("geom", Geometry(), nullable=False),
)

professional_grid_members = sa.Table(
    "professional_grid_members",
    metadata,
    sa.Column("professional_code", sa.String(32), sa.ForeignKey("professional_grids.code"), primary_key=True),
    sa.Column("grid_code", sa.String(15), sa.ForeignKey("grids.code"), primary_key=True),
)

key_population = sa.Table(
    "key_population",
    metadata,
    sa.Column("grid_code", sa.String(15), sa.ForeignKey("grids.code"), primary_key=True),
    sa.Column("type", sa.String(32), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("grid_code", sa.String(15), sa.ForeignKey("grids.code"), nullable=False, index=True),
    sa.Column("phone", sa.String(20)),
)

worker_positions = sa.Table(
    "worker_positions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("worker_id", sa.String(16), sa.ForeignKey("workers.id"), nullable=False),
    sa.Column("at", Instant(), nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Index("ix_worker_positions_worker_at", "worker_id", "at"),
)

worker_latest = sa.Table(
    "worker_latest",
    metadata,
    sa.Column("worker_id", sa.String(16), sa.ForeignKey("workers.id"), primary_key=True),
    sa.Column("at", Instant(), nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
)

#: On PostGIS appeals and their events are partitioned by local month of ``accepted_at`` (migration 0011), so
#: their primary keys are (id, accepted_at); ``appeal_keys`` holds the (source, source_ref) key ingest relies on,
#: and there the events' foreign key points (to ``appeal_keys.appeal_id``; SQLite's still to ``appeals.id``).
appeals = sa.Table(
    "appeals",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("source_ref", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("reporter_name", sa.Text),
    sa.Column("reporter_phone", sa.String(20)),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("street_code", sa.String(9), nullable=False),
    sa.Column("community_code", sa.String(12), nullable=False),
    sa.Column("grid_code", sa.String(15), nullable=False),
    #: 处置层级: community → street → district, as the appeal escalates.
    sa.Column("handling_level", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("accepted_at", Instant(), nullable=False),
    sa.Column("dispatched_at", Instant()),
    sa.Column("in_progress_at", Instant()),
    sa.Column("feedback_at", Instant()),
    sa.Column("visited_at", Instant()),
    sa.Column("closed_at", Instant()),
    sa.Column("response_deadline", Instant(), nullable=False),
    sa.Column("deadline", Instant(), nullable=False),
    sa.Column("department", sa.Text),
    sa.Column("worker_id", sa.String(16)),
    sa.Column("resolved", sa.Boolean),
    sa.Column("satisfaction", sa.String(24)),
    # Derived at write time by the store, so KPIs are plain integer sums.
    sa.Column("responded_on_time", sa.SmallInteger, nullable=False),
    sa.Column("closed_on_time", sa.SmallInteger, nullable=False),
    sa.Column("close_seconds", sa.BigInteger),
    #: When a closed appeal's KPI contributions stopped changing, and how long it took (geo.kpis.settling);
    #: NULL while open. Open appeals are read from here; settled ones are summed in the rollups below.
    sa.Column("settled_at", Instant()),
    sa.Column("settle_class", sa.SmallInteger),
)

#: Each appeal's writer key: a retried record finds the appeal it made (idempotent ingest). Its own table,
#: because a partitioned table can only enforce keys that contain the partition key.
appeal_keys = sa.Table(
    "appeal_keys",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("source_ref", sa.String(64), primary_key=True),
    sa.Column("appeal_id", sa.BigInteger, nullable=False),
    sa.Index("uq_appeal_keys_appeal", "appeal_id", unique=True),
)

appeal_events = sa.Table(
    "appeal_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("appeal_id", sa.BigInteger, sa.ForeignKey("appeals.id", ondelete="CASCADE"), nullable=False),
    #: The appeal's accepted_at: the partition key on PostGIS, so an appeal and its events share a month.
    sa.Column("accepted_at", Instant(), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("at", Instant(), nullable=False),
    sa.Column("handling_level", sa.String(16), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    #: The department that had the case at this step (承办部门), if the writer named one.
    sa.Column("department", sa.String(64)),
    #: What was done (办理说明): free text, masked on every read (geo.privacy.masked_event).
    sa.Column("note", sa.Text),
    #: The writer's id for an event posted through the ingest API; a retry with it is not applied twice.
    sa.Column("ref", sa.String(64)),
    sa.Index("ix_appeal_events_appeal", "appeal_id", "seq"),
    sa.Index("uq_appeal_events_ref", "appeal_id", "ref", unique=True),
)

#: One run of the 未诉先办 analysis (``python app.py analyze`` or the server's schedule); every result row
#: points to its run, and the run's ``as_of`` says which moment the results describe.
analysis_runs = sa.Table(
    "analysis_runs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("as_of", Instant(), nullable=False),
    sa.Column("started_at", Instant(), nullable=False),
    sa.Column("finished_at", Instant()),
    #: running / done / failed
    sa.Column("status", sa.String(16), nullable=False),
    #: JSON: what was found and how long each step took.
    sa.Column("summary", sa.Text, nullable=False, server_default="{}"),
    sa.Index("ix_analysis_runs_as_of", "status", "as_of"),
)

#: One row per job name while a process runs it: one run at a time across processes and machines.
analysis_lock = sa.Table(
    "analysis_lock",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(64), nullable=False),
    sa.Column("expires_at", Instant(), nullable=False),
)

#: Emerging hotspots (geo.analysis.hotspots): a connected set of grids of one street, hot in the run's last week.
hotspots = sa.Table(
    "hotspots",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("pattern", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
    sa.Column("significance", sa.Float, nullable=False),
    sa.Column("start_day", sa.Date, nullable=False),
    sa.Column("street_code", sa.String(9), nullable=False),
    #: Set when every grid of the hotspot lies in one community.
    sa.Column("community_code", sa.String(12)),
    sa.Index("ix_hotspots_run", "run_id", "street_code"),
)

#: The grids of a hotspot: the hot ones and their neighbours in the same street (``hot`` false).
hotspot_grids = sa.Table(
    "hotspot_grids",
    metadata,
    sa.Column("hotspot_id", sa.BigInteger, sa.ForeignKey("hotspots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("grid_code", sa.String(15), primary_key=True),
    sa.Column("hot", sa.Boolean, nullable=False),
    sa.Column("pattern", sa.String(16), nullable=False),
    sa.Column("z", sa.Float, nullable=False),
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
)

#: Weekly appeals per street (or the district) and category: recent actuals and the next weeks' forecast.
forecasts = sa.Table(
    "forecasts",
    metadata,
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_code", sa.String(15), primary_key=True),
    sa.Column("category", sa.String(32), primary_key=True),
    #: The Monday the week starts on.
    sa.Column("week", sa.Date, primary_key=True),
    sa.Column("actual", sa.Integer),
    sa.Column("mean", sa.Float),
    sa.Column("lo80", sa.Float),
    sa.Column("hi80", sa.Float),
    sa.Column("lo95", sa.Float),
    sa.Column("hi95", sa.Float),
    sa.Column("method", sa.String(32)),
)

#: The same problem reported again and again from one place (geo.analysis.repeats).
repeat_groups = sa.Table(
    "repeat_groups",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("street_code", sa.String(9), nullable=False),
    sa.Column("community_code", sa.String(12), nullable=False),
    sa.Column("grid_code", sa.String(15), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", Instant(), nullable=False),
    sa.Column("last_at", Instant(), nullable=False),
    #: A representative title, redacted like every title the store hands out.
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("similarity", sa.Float, nullable=False),
    #: JSON list of the appeals' ids.
    sa.Column("appeal_ids", sa.Text, nullable=False),
    sa.Index("ix_repeat_groups_run", "run_id", "grid_code"),
)

#: Grids whose appeals about key populations (elderly care, health, social security) rose against expectation.
key_population_signals = sa.Table(
    "key_population_signals",
    metadata,
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("analysis_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("grid_code", sa.String(15), primary_key=True),
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
    sa.Column("significance", sa.Float, nullable=False),
)

#: 未诉先办 items: problems to solve before anyone complains, made from the detections and judged by people.
proactive_items = sa.Table(
    "proactive_items",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    #: Which list it is on: the district's, a street's or a community's (a scope level).
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("scope_code", sa.String(15), nullable=False, index=True),
    #: The method and why it fired, in one sentence.
    sa.Column("basis", sa.Text, nullable=False),
    #: pending 待研判 / dispatched 已派发 / in_progress 处置中 / resolved 已化解 / rejected 不采纳
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("due_at", Instant()),
    #: hotspot / forecast / repeat / key_population: the detection it came from.
    sa.Column("kind", sa.String(16), nullable=False, server_default="hotspot"),
    #: What makes a later detection the same problem (kind, category, unit): it updates the open item.
    sa.Column("match_key", sa.String(160), nullable=False, server_default=""),
    sa.Column("street_code", sa.String(9)),
    sa.Column("community_code", sa.String(12)),
    #: The suggested owner department (the category's, geo.domain.CATEGORIES).
    sa.Column("department", sa.Text),
    #: JSON: counts, the weekly series for the chart, the method, score, observed and expected.
    sa.Column("evidence", sa.Text, nullable=False, server_default="{}"),
    sa.Column("score", sa.Float),
    sa.Column("run_id", sa.BigInteger),
    sa.Column("as_of", Instant()),
    sa.Column("updated_at", Instant()),
    #: Why it was not taken up (不采纳), or the last note given with a change.
    sa.Column("reason", sa.Text),
    sa.Index("ix_proactive_items_match", "match_key", "status"),
)

#: Every status change of a 未诉先办 item: who, when, from and to (also written to the audit log).
proactive_item_history = sa.Table(
    "proactive_item_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.BigInteger, sa.ForeignKey("proactive_items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", Instant(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16)),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("ix_proactive_item_history_item", "item_id", "id"),
)

#: Ingest items that failed validation, kept verbatim so operators can fix and replay them.
dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("received_at", Instant(), nullable=False),
    sa.Column("endpoint", sa.String(64), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    #: sha256 of endpoint and payload: a retried batch does not file the same item twice.
    sa.Column("payload_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("key_name", sa.String(64)),
    sa.Column("replayed_at", Instant()),
    sa.Column("replay_result", sa.Text),
)

#: Ingest API keys made with ``python app.py api-key create``; only their sha256 is stored.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    #: "writer" posts data; "admin" may also read and replay dead letters (they hold raw personal data).
    sa.Column("role", sa.String(16), nullable=False, server_default="writer"),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("revoked_at", Instant()),
)

#: People and wall devices who sign in (``python app.py users …``); only argon2 hashes of passwords are stored.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(64), nullable=False),
    #: district / street / community / screen / admin (geo.access.ROLE_LABELS).
    sa.Column("role", sa.String(16), nullable=False),
    #: The unit the role is bound to (the district's code for district and admin accounts).
    sa.Column("scope_code", sa.String(15), nullable=False),
    #: argon2id hash of the password; None for a wall, which signs in with a device token.
    sa.Column("password_hash", sa.String(255)),
    #: sha256 of a wall's device token.
    sa.Column("token_hash", sa.String(64), unique=True),
    #: Bumped by a password reset or a disable: every session signed in before is void.
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", Instant(), nullable=False),
    sa.Column("disabled_at", Instant()),
)

#: Who did what: sign-ins, exports, unmasked views, account and key changes, replays. Append-only:
#: the database itself refuses UPDATE and DELETE on it (triggers of migration 0006).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", Instant(), nullable=False, index=True),
    #: The account (or "cli", or an ingest key's name) that acted; the name tried, for a failed sign-in.
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16)),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    #: The unit the action concerned (an export's scope, an unmasked appeal's grid).
    sa.Column("scope_code", sa.String(15)),
    sa.Column("address", sa.String(64)),
    #: JSON with the action's particulars (window, filters, the account changed, the reason a sign-in failed).
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
)

meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

#: Rollups (geo.store.rollups): sums per unit and per local day or month, so a view's cost is bounded by
#: units × periods, not by appeals. ``kpi_rollup`` holds settled (closed) appeals; ``mix_rollup``,
#: ``arrival_rollup`` and ``heat_rollup`` every appeal. ``level`` is the unit's level (1 district,
#: 2 street, 3 community, 4 grid); ``grain`` 1 a day, 2 a month; ``period`` the day (or the month's first
#: day) in local days since 1970-01-01. The KPI sums count the appeals *accepted* in the period;
#: ``closed_here`` counts those *closed* in it (the trend's 办结 series).
kpi_rollup = sa.Table(
    "kpi_rollup",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True),
    sa.Column("grain", sa.SmallInteger, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("unit_code", sa.String(15), primary_key=True),
    # Counts are 4-byte (their sums are bigint, which PostgreSQL adds far faster than numeric); seconds are 8-byte.
    *(sa.Column(name, sa.BigInteger if name == "close_seconds" else sa.Integer, nullable=False, server_default="0")
      for name in ("accepted", "closed", "closed_on_time", "responded_on_time", "visited", "resolved", "rated",
                   "satisfied", "close_seconds", "closed_here")),
    sa.Index("ix_kpi_rollup_unit", "unit_code", "grain", "period"),
)

#: Every appeal, open or not, per district or street, period of 受理, breakdown dimension (kind, category, source,
#: status, handling level) and value: the panels' bars. One row per dimension's value, not per combination of
#: values, since a bar counts one dimension. Status and handling level are the appeal's current ones: an event
#: that changes them moves the appeal from one value's row to the other's.
mix_rollup = sa.Table(
    "mix_rollup",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True),
    sa.Column("unit_code", sa.String(9), primary_key=True),
    sa.Column("grain", sa.SmallInteger, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("dimension", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(32), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

#: Every appeal, open or not, per unit and local day or month of 受理 (the trend's 受理 series): an appeal's
#: arrival never changes, so it is counted once, when it is written.
arrival_rollup = sa.Table(
    "arrival_rollup",
    metadata,
    # Keyed unit first: its one read is a unit's days.
    sa.Column("level", sa.SmallInteger, primary_key=True),
    sa.Column("unit_code", sa.String(15), primary_key=True),
    sa.Column("grain", sa.SmallInteger, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

#: Every appeal, open or not, per street, period of 受理 and cell of the heat lattice (geo.domain.HEAT_ORIGIN,
#: HEAT_CELL, HEAT_SHAPE): where and when an appeal arrived never changes, so it is counted when it is written.
heat_rollup = sa.Table(
    "heat_rollup",
    metadata,
    sa.Column("grain", sa.SmallInteger, primary_key=True),
    sa.Column("period", sa.Integer, primary_key=True),
    sa.Column("street_code", sa.String(9), primary_key=True),
    sa.Column("col", sa.SmallInteger, primary_key=True),
    sa.Column("row", sa.SmallInteger, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

ROLLUPS = (kpi_rollup, mix_rollup, arrival_rollup, heat_rollup)

#: What ``Store.reset`` deletes, children first. Accounts and the audit log outlive a reset.
ALL_TABLES = (
    *ROLLUPS,
    dead_letters,
    api_keys,
    appeal_events,
    appeal_keys,
    appeals,
    proactive_item_history,
    proactive_items,
    key_population_signals,
    repeat_groups,
    forecasts,
    hotspot_grids,
    hotspots,
    analysis_runs,
    analysis_lock,
    worker_latest,
    worker_positions,
    workers,
    key_population,
    professional_grid_members,
    professional_grids,
    grids,
    communities,
    streets,
    districts,
    meta,
)
