"""The one data-access layer: every query the app makes goes through ``Store``.

Every read takes the scope it covers and the viewer (a role bound to a unit:
what the caller may see, :mod:`geo.access`); :meth:`Store.authorize` is the
single place that checks one against the other. Backend differences live in :mod:`geo.store.dialects`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from geo import clock, domain, kpis
from geo.access import SYSTEM, Viewer
from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.domain import LEVELS
from geo.privacy import masked_appeal, masked_event, masked_workers, published_key_population
from geo.scope import CODE_LENGTH, NO_FILTERS, Filters, Scope, Window
from geo.store import rollups
from geo.store import schema as t
from geo.store.accounts import AccountsMixin
from geo.store.analysis import AnalysisMixin
from geo.store.dialects import GridIndex, Instant, backend_for
from geo.store.errors import Forbidden, NotFound, StoreError, StoreNotReady, StoreUnavailable
from geo.store.ingest import IngestMixin

MIGRATIONS = Path(__file__).parent / "migrations"
LEVEL_TABLES = {"district": t.districts, "street": t.streets, "community": t.communities, "grid": t.grids}
LEVEL_PARENT = {
    "district": None,
    "street": "district_code",
    "community": "street_code",
    "grid": "community_code",
}
#: What an appeal listing returns: every column but the derived KPI flags.
LISTED_APPEAL_COLUMNS = [
    c for c in t.appeals.columns if c.name not in ("responded_on_time", "closed_on_time", "close_seconds")
]
#: The store_meta row holding the secret behind the wall's worker keys (made on first use).
WORKER_KEY_SECRET = "worker_key_secret"
#: Writes at least this large refresh the planner's statistics afterwards.
BIG_WRITE = 20_000
#: What the header's search takes for an appeal id and for a channel's reference (as ingest accepts them).
SEARCH_ID = re.compile(r"[0-9]{1,18}")
SEARCH_REF = re.compile(r"[\x21-\x7e]{1,64}")
APPEAL_SCOPE_COLUMN = {"street": "street_code", "community": "community_code", "grid": "grid_code"}


@dataclass(frozen=True)
class Unit:
    """A district, street, community or grid that exists in the store."""

    level: str
    code: str
    name: str
    parent_code: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.level, self.code)


@dataclass(frozen=True)
class UnitTable:
    """Every unit with its children and bounds, keyed by (level, code): the geography a view looks units up in
    several times per request, read once per Store instead of once per lookup."""

    units: dict[tuple[str, str], Unit]
    children: dict[tuple[str, str], tuple[Unit, ...]]
    bounds: dict[tuple[str, str], tuple[float, float, float, float]]


class Store(IngestMixin, AccountsMixin, AnalysisMixin):
    """A store on PostGIS or embedded SQLite, chosen by the URL."""

    def __init__(self, url: str, read_url: str = ""):
        """``read_url``: a streaming replica of ``url`` that serves the dashboard's reads of appeals, positions
        and versions (its own consistent snapshot); writes, accounts, geography and the analysis use ``url``."""
        self.url = url
        self.backend = backend_for(url)
        self.engine = self.backend.engine(url)
        if read_url and type(backend_for(read_url)) is not type(self.backend):
            raise ValueError("DATABASE_READ_URL 必须与 DATABASE_URL 是同一种数据库（PostGIS 的流复制只读副本）")
        self.read_engine = self.backend.engine(read_url) if read_url else self.engine
        #: Where dashboard reads come from: part of every cache key, as servers on other replicas may lag differently.
        self.read_url = read_url or url
        # Per-instance cache of immutable grid shapes; rebuilt after a geography load.
        self._grid_index: GridIndex | None = None
        self._land: shapely.Geometry | None = None
        self._units: UnitTable | None = None
        self._land_mask: np.ndarray | None = None
        self._grid_index_lock = threading.Lock()
        self._worker_secret: str | None = None

    # -- lifecycle -----------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, write: bool = False, replica: bool = False) -> Iterator[sa.Connection]:
        """A connection (in a transaction if ``write``; to the read replica, if any, for a dashboard read with
        ``replica``); database outages become StoreUnavailable."""
        engine = self.read_engine if replica and not write else self.engine
        try:
            with engine.begin() if write else engine.connect() as conn:
                yield conn
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.ProgrammingError,
                *self.backend.outage_errors) as exc:
            if self.backend.is_missing_schema(exc):
                raise StoreNotReady(
                    "数据库尚未初始化或结构过旧：请先运行 python app.py migrate（或 python app.py seed）"
                ) from exc
            if isinstance(exc, sa.exc.ProgrammingError):
                raise
            raise StoreUnavailable(f"数据库无法访问：{_first_line(exc)}") from exc

    def migrate(self, revision: str = "head") -> None:
        """Brings the schema up to ``revision`` (the newest by default); existing data is kept."""
        self._alembic(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Takes the schema back down to ``revision``, keeping what that revision can hold (for a rollback)."""
        self._alembic(command.downgrade, revision)

    def _alembic(self, step, revision: str) -> None:
        self.backend.prepare(self.url)
        with self.connect(write=True) as conn:
            self.backend.check_ready(conn)
            config = _alembic_config()
            config.attributes["connection"] = conn
            step(config, revision)

    def schema_revision(self) -> str | None:
        with self.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str:
        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    def health(self) -> dict:
        """For /healthz: never raises; says what is wrong instead."""
        report = {"backend": self.backend.name, "database": "unreachable"}
        try:
            with self.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
                report["database"] = "reachable"
                self.backend.check_ready(conn)
                revision = MigrationContext.configure(conn).get_current_revision()
                report["schema"] = "current" if revision == self.head_revision() else f"outdated ({revision})"
        except StoreError as exc:
            report["error"] = str(exc)
        return report

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    def is_empty(self) -> bool:
        with self.connect() as conn:
            for table in (t.grids, t.appeals, t.workers):
                if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                    return False
        return True

    def reset(self) -> None:
        """Deletes all rows (schema kept)."""
        with self.connect(write=True) as conn:
            self.backend.delete_all(conn, list(t.ALL_TABLES))
        self._forget_geography()
        self._worker_secret = None

    def get_meta(self, key: str) -> str | None:
        with self.connect() as conn:
            return conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == key)).scalar()

    def set_meta(self, conn: sa.Connection, key: str, value: str) -> None:
        """An upsert: concurrent writers each leave their value, the last to commit wins."""
        upsert = self.backend.insert(t.meta).values(key=key, value=value)
        conn.execute(upsert.on_conflict_do_update(index_elements=[t.meta.c.key], set_={"value": value}))

    # -- geography -----------------------------------------------------------

    def load_geography(self, layers: dict[str, pd.DataFrame]) -> None:
        """Writes the reference geography (see :func:`geo.reference.load`) in one transaction."""
        with self.connect(write=True) as conn:
            for level, table in (
                ("district", t.districts),
                ("street", t.streets),
                ("community", t.communities),
                ("grid", t.grids),
                ("professional", t.professional_grids),
            ):
                frame = layers[level]
                rows = []
                for record in frame.to_dict("records"):
                    row = {c.name: record[c.name] for c in table.columns if c.name != "geom"}
                    row["geom"] = self.backend.geom_in(shapely.to_wkb(record["geometry"]))
                    rows.append(row)
                for row in rows:
                    conn.execute(table.insert().values(**row))
            self.backend.copy_rows(conn, t.professional_grid_members, layers["professional_members"])
            self.backend.copy_rows(conn, t.key_population, layers["key_population"])
        self._forget_geography()

    def grid_index(self) -> GridIndex:
        """Grid shapes for point lookups; built once per Store, from the store itself."""
        with self._grid_index_lock:
            if self._grid_index is None:
                with self.connect() as conn:
                    rows = conn.execute(
                        sa.select(
                            t.grids.c.code,
                            t.grids.c.community_code,
                            t.grids.c.street_code,
                            self.backend.geom_out(t.grids.c.geom),
                        ).order_by(t.grids.c.code)
                    ).all()
                if not rows:
                    raise NotFound("存储中尚无网格数据，请先运行 python app.py seed")
                geoms = shapely.from_wkb([r[3] for r in rows])
                self._grid_index = GridIndex(
                    codes=np.array([r[0] for r in rows]),
                    community_codes=np.array([r[1] for r in rows]),
                    street_codes=np.array([r[2] for r in rows]),
                    tree=shapely.STRtree(geoms),
                )
            return self._grid_index

    def locate(self, lon, lat) -> list[str | None]:
        """Grid code for each point (None outside Laoshan), by the backend's spatial lookup."""
        index = self.grid_index()
        with self.connect() as conn:
            found = self.backend.locate(conn, index, np.atleast_1d(lon), np.atleast_1d(lat))
        return [str(index.codes[i]) if i >= 0 else None for i in found]

    def _forget_geography(self) -> None:
        """Drops what was read of the geography, after the write: under the lock, so a read of the old rows still
        in progress finishes first and is dropped too."""
        with self._grid_index_lock:
            self._grid_index = None
            self._units = None
            self._land = None
            self._land_mask = None

    def unit_table(self) -> UnitTable:
        """The geography's units, read once per Store (like :meth:`grid_index`; kept only once grids exist)."""
        cached = self._units  # read without the lock: once built, every lookup is just this
        if cached is not None:
            return cached
        with self._grid_index_lock:
            if self._units is not None:
                return self._units
            units, children, bounds = {}, {}, {}
            with self.connect() as conn:
                for level, table in LEVEL_TABLES.items():
                    parent = LEVEL_PARENT[level]
                    rows = conn.execute(sa.select(table.c.code, table.c.name,
                                                  table.c[parent] if parent else sa.null(),
                                                  self.backend.geom_out(table.c.geom)).order_by(table.c.code)).all()
                    boxes = shapely.bounds(shapely.from_wkb([r[3] for r in rows])) if rows else []
                    for (code, name, parent_code, _), box in zip(rows, boxes, strict=True):
                        unit = Unit(level, code, name, parent_code)
                        units[level, code] = unit
                        bounds[level, code] = tuple(float(v) for v in box)
                        if parent_code is not None:
                            children.setdefault((LEVELS[LEVELS.index(level) - 1], parent_code), []).append(unit)
            table = UnitTable(units, {key: tuple(found) for key, found in children.items()}, bounds)
            if any(level == "grid" for level, _ in units):
                self._units = table
            return table

    def resolve(self, scope: Scope, viewer: Viewer) -> Unit:
        """The unit a scope names; NotFound if no such unit, Forbidden if the viewer may not see it."""
        self.authorize(scope, viewer)
        unit = self.unit_table().units.get((scope.level, scope.code))
        if unit is None:
            raise NotFound(f"未找到{domain.LEVEL_LABELS[scope.level]}：{scope.code}")
        return unit

    def lineage(self, scope: Scope, viewer: Viewer) -> list[Unit]:
        """The units from the district down to ``scope``, for breadcrumbs."""
        self.authorize(scope, viewer)  # the last resolve below checks that the unit exists
        levels = LEVELS[: LEVELS.index(scope.level) + 1]
        return [self.resolve(Scope(level, scope.code[: CODE_LENGTH[level]]), SYSTEM) for level in levels]

    def unit_bounds(self, scope: Scope, viewer: Viewer) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of a unit, to fit the map to it."""
        self.resolve(scope, viewer)
        return self.unit_table().bounds[scope.level, scope.code]

    def children(self, scope: Scope, viewer: Viewer) -> list[Unit]:
        """The units one level below ``scope`` (none below a grid)."""
        self.resolve(scope, viewer)
        return list(self.unit_table().children.get((scope.level, scope.code), ()))

    def unit_names(self, level: str, viewer: Viewer) -> dict[str, str]:
        """Code → name of the units of one level that the viewer may see (for labels)."""
        self.authorize(viewer.scope, viewer)
        table = LEVEL_TABLES[level]
        with self.connect() as conn:
            rows = conn.execute(sa.select(table.c.code, table.c.name)
                                .where(table.c.code.startswith(viewer.scope.code[: CODE_LENGTH[level]]))).all()
        return {code: name for code, name in rows if code.startswith(viewer.scope.code) or
                viewer.scope.code.startswith(code)}

    def grid_areas(self) -> dict[str, float]:
        """Grid areas in km², from the cached grid shapes (local equirectangular approximation)."""
        index = self.grid_index()
        geoms = index.tree.geometries
        lat = shapely.get_y(shapely.centroid(geoms))
        km2 = shapely.area(geoms) * km_per_deg_lon(lat) * KM_PER_DEG_LAT
        return {str(code): float(a) for code, a in zip(index.codes, km2, strict=True)}

    @staticmethod
    def authorize(scope: Scope | None, viewer: Viewer) -> None:
        """The one access check: a viewer sees its own unit and everything inside it; admins see no data.

        ``scope=None`` asks for the admin's records instead (accounts, the audit log).
        """
        if scope is None:
            if viewer.role != "admin":
                raise Forbidden("仅管理员可查看账号与审计日志")
            return
        if not viewer.reads_data:
            raise Forbidden("管理员账号不能查看诉求数据，请使用区级、街道或社区账号")
        if not viewer.sees(scope):
            raise Forbidden(f"无权访问 {scope.code}：当前账号仅可查看 {viewer.scope.code}")

    def boundaries(self, level: str, viewer: Viewer) -> dict:
        """A GeoJSON FeatureCollection of one level, limited to what the viewer may see."""
        if level == "professional":
            return self._professional_boundaries(viewer)
        if level not in LEVEL_TABLES:
            raise NotFound(f"未知的边界层级：{level}")
        self.authorize(viewer.scope, viewer)
        table = LEVEL_TABLES[level]
        parent = LEVEL_PARENT[level]
        columns = [c for c in table.columns if c.name != "geom"]
        query = sa.select(*columns, self.backend.geom_out(table.c.geom).label("wkb")).order_by(table.c.code)
        if level != "district":
            query = query.where(table.c.code.startswith(viewer.scope.code))
        with self.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            key_pop = self._key_population(conn, viewer.scope) if level == "grid" else {}
        features = []
        for row in rows:
            props = {k: v for k, v in row.items() if k != "wkb"}
            props["parent_code"] = row.get(parent) if parent else None
            if level == "grid":
                props.update(published_key_population(key_pop.get(row["code"], {})))
            features.append(_feature(row["wkb"], props))
        return {"type": "FeatureCollection", "features": features}

    def _professional_boundaries(self, viewer: Viewer) -> dict:
        """Professional grids that overlap what the viewer may see (they nest basic grids)."""
        self.authorize(viewer.scope, viewer)
        table, members = t.professional_grids, t.professional_grid_members
        visible = sa.select(members.c.professional_code).where(members.c.grid_code.startswith(viewer.scope.code))
        with self.connect() as conn:
            counts = dict(
                conn.execute(
                    sa.select(members.c.professional_code, sa.func.count()).group_by(members.c.professional_code)
                ).all()
            )
            rows = conn.execute(
                sa.select(table.c.code, table.c.type, table.c.name, self.backend.geom_out(table.c.geom))
                .where(table.c.code.in_(visible))
                .order_by(table.c.type, table.c.code)
            ).all()
        features = [
            _feature(
                wkb,
                {
                    "code": code,
                    "name": name,
                    "parent_code": domain.DISTRICT_CODE,
                    "type": kind,
                    "type_name": domain.PROFESSIONAL_TYPES.get(kind, kind),
                    "grid_count": counts.get(code, 0),
                },
            )
            for code, kind, name, wkb in rows
        ]
        return {"type": "FeatureCollection", "features": features}

    def _key_population(self, conn, scope: Scope) -> dict[str, dict[str, int]]:
        """True counts per grid and type: they never leave the store unsuppressed (see published_key_population)."""
        kp = t.key_population
        rows = conn.execute(
            sa.select(kp.c.grid_code, kp.c.type, kp.c.count).where(kp.c.grid_code.startswith(scope.code))
        )
        out: dict[str, dict[str, int]] = {}
        for grid, kind, count in rows:
            out.setdefault(grid, {})[kind] = count
        return out

    # -- workers -------------------------------------------------------------

    def load_workers(self, workers: pd.DataFrame, history: pd.DataFrame, latest: pd.DataFrame) -> None:
        self.make_room_for_positions(pd.to_datetime(history["at"], utc=True).dt.floor("D").unique())
        with self.connect(write=True) as conn:
            self.backend.copy_rows(conn, t.workers, workers[[c.name for c in t.workers.columns]])
            self.backend.copy_rows(
                conn, t.worker_positions, history[["worker_id", "at", "lon", "lat", "status"]]
            )
            self.backend.copy_rows(conn, t.worker_latest, latest[["worker_id", "at", "lon", "lat", "status"]])
            self.backend.reset_sequences(conn, [t.worker_positions])

    def workers(self, scope: Scope, viewer: Viewer) -> dict:
        """Workers whose home grid lies in scope, with their last position, masked for the viewer
        (:func:`geo.privacy.masked_workers`); ``key_period`` says until when the items' keys hold."""
        self.resolve(scope, viewer)
        w, p = t.workers, t.worker_latest
        query = (
            sa.select(w.c.id, w.c.name, w.c.type, w.c.grid_code, p.c.status, p.c.lon, p.c.lat, p.c.at)
            .select_from(w.outerjoin(p, p.c.worker_id == w.c.id))
            .where(w.c.grid_code.startswith(scope.code))
            .order_by(w.c.id)
        )
        with self.connect(replica=True) as conn:
            rows = [{**r._mapping, "status": r.status or "offline", "at": _iso(r.at)} for r in conn.execute(query)]
        items, period = self._workers_for(rows, viewer)
        return {"total": len(items), "items": items, "key_period": period}

    def worker_counts(self, scope: Scope, level: str, viewer: Viewer) -> dict[str, int]:
        """Workers per unit of ``level`` within ``scope``, by home grid, counted in the database (the map's
        labels; reading every worker cost a district view ~30 ms). A viewer that is shown no home grids
        (:func:`geo.privacy.masked_workers`) gets no counts."""
        self.resolve(scope, viewer)
        if not viewer.shows_worker_ids:
            return {}
        w = t.workers
        unit = sa.func.substr(w.c.grid_code, 1, CODE_LENGTH[level])
        query = sa.select(unit, sa.func.count()).where(w.c.grid_code.startswith(scope.code)).group_by(unit)
        with self.connect(replica=True) as conn:
            return {code: int(n) for code, n in conn.execute(query)}

    def _workers_for(self, rows: list[dict], viewer: Viewer) -> tuple[list[dict], int | None]:
        """Worker rows as the viewer may see them, keyed with this store's secret."""
        secret = self._worker_key_secret() if not viewer.shows_worker_ids else ""
        return masked_workers(rows, viewer, secret, clock.now())

    def _worker_key_secret(self) -> str:
        """The secret behind the wall's worker keys: made once per store, shared by every server process."""
        if self._worker_secret is None:
            m = t.meta
            with self.connect(write=True) as conn:
                conn.execute(self.backend.insert(m).values(key=WORKER_KEY_SECRET, value=secrets.token_hex(32))
                             .on_conflict_do_nothing())
                self._worker_secret = conn.execute(sa.select(m.c.value).where(m.c.key == WORKER_KEY_SECRET)).scalar()
        return self._worker_secret

    # -- appeals -------------------------------------------------------------

    def insert_appeals(self, appeals: pd.DataFrame, events: pd.DataFrame | None = None) -> pd.Series:
        """Bulk-writes appeals (and their events, keyed by the frame's ``idx``); idempotent.

        The store assigns street, community and grid by spatial lookup, the
        deadlines from the category table, and the derived KPI flags. An appeal
        whose (source, source_ref) is already stored, or repeated in the batch,
        is not written again: its existing id is returned. Returns the ids
        indexed by ``idx``. Raises ValueError if any point is outside every
        grid, before writing anything.
        """
        # A bulk load looks its keys up, then COPYs the new ones, so it locks out other writers of keys for the
        # load (live ingest waits, then finds the key taken); readers go on.
        frame = appeals.reset_index(drop=True).copy()
        index = self.grid_index()
        self.make_room_for_appeals(frame["accepted_at"])
        with self.connect(write=True) as conn:
            self.backend.lock_for_append(conn, t.appeal_keys)
            found = self.backend.locate(conn, index, frame["lon"].to_numpy(), frame["lat"].to_numpy())
            if (found < 0).any():
                bad = frame.loc[found < 0, ["lon", "lat"]].head(3).to_dict("records")
                raise ValueError(f"{int((found < 0).sum())} 条诉求坐标不在崂山区任何网格内，例如 {bad}")
            frame["grid_code"] = index.codes[found]
            frame["community_code"] = index.community_codes[found]
            frame["street_code"] = index.street_codes[found]
            keys = list(zip(frame["source"], frame["source_ref"], strict=True))
            known = self._existing_ids(conn, keys)
            first_of_key = ~frame.duplicated(["source", "source_ref"], keep="first")
            # In time order: each month's partition and every index led by accepted_at is then appended to,
            # not written at random.
            fresh = frame[first_of_key & np.array([k not in known for k in keys])].sort_values("accepted_at")
            fresh["id"] = self.backend.new_ids(conn, t.appeals, len(fresh))
            known.update(zip(zip(fresh["source"], fresh["source_ref"], strict=True), fresh["id"], strict=True))
            ids = pd.Series([int(known[k]) for k in keys], index=frame["idx"].to_numpy(), dtype="int64")
            if len(fresh):
                kpis.derive_appeal_fields(fresh)
                self.backend.copy_rows(conn, t.appeals, fresh[[c.name for c in t.appeals.columns]])
                self.backend.copy_rows(conn, t.appeal_keys, fresh[["source", "source_ref", "id"]]
                                       .rename(columns={"id": "appeal_id"}))
                rollups.add(conn, self.backend, {**rollups.contributions(fresh), **rollups.arrivals(fresh)})
                if events is not None and len(events):
                    ev = events[events["idx"].isin(fresh["idx"])].copy()
                    ev["appeal_id"] = ids.loc[ev["idx"].to_numpy()].to_numpy()
                    ev["accepted_at"] = fresh.set_index("idx")["accepted_at"].loc[ev["idx"].to_numpy()].to_numpy()
                    columns = ["appeal_id", "accepted_at", "seq", "from_status", "to_status", "at", "handling_level",
                               "actor", "department", "note"]
                    self.backend.copy_rows(conn, t.appeal_events, ev[columns])
                self.set_meta(conn, "data_version", uuid.uuid4().hex)
        if len(fresh) >= BIG_WRITE:
            # Fresh statistics after a bulk chunk keep the next chunk's key lookups on the index.
            self.analyze(t.appeal_keys)
        return ids

    def _existing_ids(self, conn: sa.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Ids of appeals already stored under these (source, source_ref) keys.

        One equality-plus-IN lookup per source and slice, so both backends walk
        the unique index instead of planning thousands of OR branches.
        """
        k = t.appeal_keys
        by_source: dict[str, list[str]] = {}
        for source, ref in set(keys):
            by_source.setdefault(source, []).append(ref)
        found: dict[tuple[str, str], int] = {}
        for source, refs in sorted(by_source.items()):
            refs.sort()
            for start in range(0, len(refs), 900):
                rows = conn.execute(
                    sa.select(k.c.source_ref, k.c.appeal_id)
                    .where(k.c.source == source, k.c.source_ref.in_(refs[start : start + 900]))
                )
                found.update({(source, ref): appeal_id for ref, appeal_id in rows})
        return found

    def analyze(self, table: sa.Table | None = None) -> None:
        """Refreshes planner statistics (and, on PostGIS, the visibility map) after bulk writes."""
        with self.connect() as conn:
            self.backend.after_bulk_load(conn.execution_options(isolation_level="AUTOCOMMIT"), table)

    def _appeal_conditions(self, scope: Scope, window: Window | None, filters: Filters) -> list:
        a = t.appeals
        conditions = []
        if window is not None:
            conditions += [a.c.accepted_at >= window.start_instant, a.c.accepted_at < window.end_instant]
        if scope.level != "district":
            conditions.append(a.c[APPEAL_SCOPE_COLUMN[scope.level]] == scope.code)
        for name in ("kind", "category", "source", "status"):
            codes = getattr(filters, name)
            if codes:
                conditions.append(a.c[name].in_(codes))
        return conditions

    #: Columns a KPI breakdown may group by.
    GROUPABLE = ("street_code", "community_code", "grid_code", "kind", "category", "source", "status", "handling_level")

    def kpi_counts(
        self,
        scope: Scope,
        window: Window,
        as_of: datetime,
        filters: Filters = NO_FILTERS,
        group_by: str | None = None,
        *,
        viewer: Viewer,
        arrived_by: datetime | None = None,
    ) -> dict:
        """The integer sums behind every KPI.

        Without ``group_by`` one dict of sums; with it, a dict of such dicts keyed
        by the group's value (only groups that have appeals). Stages count if they
        happened by ``as_of``; with ``arrived_by`` (a view reproduced as it stood at a
        past moment, such as a compared window) only appeals accepted by then count.
        Unfiltered, and overall or by unit, the answer comes from the rollups
        (:meth:`_rolled_kpi_counts`); otherwise from the appeals. Both give the same numbers.
        """
        self.authorize(scope, viewer)
        if filters.is_empty() and group_by in (None, *ROLLED_UNIT_COLUMNS):
            return self._rolled_kpi_counts(scope, window, as_of, group_by, arrived_by)
        return self.kpi_counts_from_appeals(scope, window, as_of, filters, group_by, viewer=viewer,
                                            arrived_by=arrived_by)

    def kpi_counts_from_appeals(self, scope: Scope, window: Window, as_of: datetime, filters: Filters = NO_FILTERS,
                                group_by: str | None = None, *, viewer: Viewer,
                                arrived_by: datetime | None = None) -> dict:
        """:meth:`kpi_counts` read from the appeals alone, in one indexed pass (filtered views, and the
        reference the rollups are tested against)."""
        self.authorize(scope, viewer)
        a = t.appeals
        conditions = self._appeal_conditions(scope, window, filters)
        if arrived_by is not None:
            conditions.append(a.c.accepted_at <= arrived_by)
        if group_by is None:
            with self.connect(replica=True) as conn:
                row = conn.execute(sa.select(*_kpi_sums(as_of)).where(*conditions)).one()
            return {k: int(v) for k, v in row._mapping.items()}
        if group_by not in self.GROUPABLE:
            raise ValueError(f"cannot group by {group_by!r}")
        key = a.c[group_by]
        with self.connect(replica=True) as conn:
            rows = conn.execute(sa.select(key.label("key"), *_kpi_sums(as_of)).where(*conditions).group_by(key)).all()
        return {r.key: {k: int(v) for k, v in r._mapping.items() if k != "key"} for r in rows}

    def _rolled_kpi_counts(self, scope: Scope, window: Window, as_of: datetime, group_by: str | None,
                           arrived_by: datetime | None) -> dict:
        """Unfiltered :meth:`kpi_counts` from the rollups, exact at any ``as_of``, in one statement.

        The window's appeals fall in four disjoint parts. Days before the as-of's day (``covered``):
        settled appeals from the rollups, less what those still in flight at ``as_of`` had not yet
        contributed (found by their settling class, so the read is bounded by the appeals in flight
        then, not by the window), plus the open appeals (partial index). Days from the as-of's day
        (or ``arrived_by``'s) on: straight from the appeals.
        """
        moment = as_of if arrived_by is None else min(as_of, arrived_by)
        first, last = rollups.covered_days(window, moment.astimezone(domain.LOCAL_TZ).date())
        params = {"unit": scope.code, "unit_prefix": scope.code + "%", "as_of": as_of,
                  "covered_from": _local_midnight(first), "covered_to": _local_midnight(last),
                  "window_end": window.end_instant, "arrived_by": arrived_by,
                  **{f"in_flight_to_{k}": as_of + timedelta(days=days) for k, days in enumerate(kpis.SETTLE_CLASS_DAYS)},
                  **rollups.period_params(first, last)}
        statement = _rolled_kpi_statement(scope.level, group_by, arrived_by is not None)
        with self.connect(replica=True) as conn:
            rows = conn.execute(statement, params).all()
        totals: dict = {}
        for key, *values in rows:
            sums = totals.setdefault(key, [0] * len(kpis.COUNT_NAMES))
            for i, value in enumerate(values):
                sums[i] += int(value or 0)
        if group_by is None:
            return dict(zip(kpis.COUNT_NAMES, totals.get(scope.code, [0] * len(kpis.COUNT_NAMES)), strict=True))
        return {k: dict(zip(kpis.COUNT_NAMES, v, strict=True)) for k, v in totals.items() if v[0]}

    def breakdown(
        self, scope: Scope, window: Window, filters: Filters = NO_FILTERS, *, viewer: Viewer
    ) -> dict[str, dict[str, int]]:
        """Appeal counts by kind, category, source, status and handling level.

        Unfiltered, for the district or a street, from the breakdown rollup alone (it counts every appeal by its
        current values); otherwise from one grouped pass over the appeals (a community's are few).
        """
        self.authorize(scope, viewer)
        if not (filters.is_empty() and scope.level in rollups.MIX_LEVELS):
            return self.breakdown_from_appeals(scope, window, filters, viewer=viewer)
        m = t.mix_rollup
        rolled = sa.select(m.c.dimension, m.c.value, sa.func.sum(m.c.n)).where(
            m.c.level == rollups.LEVEL[scope.level], m.c.unit_code == scope.code,
            rollups.period_condition(m, window.start, window.end)).group_by(m.c.dimension, m.c.value)
        out: dict[str, dict[str, int]] = {d: {} for d in rollups.MIX_DIMS}
        with self.connect(replica=True) as conn:
            for dimension, value, n in conn.execute(rolled):
                if n:  # an appeal that moved on leaves its old value's row at 0
                    out[dimension][value] = int(n)
        return out

    def breakdown_from_appeals(
        self, scope: Scope, window: Window, filters: Filters = NO_FILTERS, *, viewer: Viewer
    ) -> dict[str, dict[str, int]]:
        """:meth:`breakdown` from one grouped pass over the appeals."""
        self.authorize(scope, viewer)
        a = t.appeals
        dims = rollups.MIX_DIMS
        query = (
            sa.select(*(a.c[d] for d in dims), sa.func.count())
            .where(*self._appeal_conditions(scope, window, filters))
            .group_by(*(a.c[d] for d in dims))
        )
        with self.connect(replica=True) as conn:
            return _by_dimension(dims, conn.execute(query))

    def land_mask(self) -> np.ndarray:
        """The heat lattice's cells on land (:func:`rollups.cells_inside`), computed once per Store: ~6 ms a time."""
        mask = self._land_mask
        if mask is None:
            mask = rollups.cells_inside(self.land())
            mask.flags.writeable = False  # shared by every request of this Store
            self._land_mask = mask
        return mask

    def land(self) -> shapely.Geometry:
        """The district's land, for clipping the heat map; read once per Store."""
        with self._grid_index_lock:
            if self._land is None:
                with self.connect() as conn:
                    wkb = conn.execute(sa.select(self.backend.geom_out(t.districts.c.geom))).scalar()
                if wkb is None:
                    raise NotFound("存储中尚无区界数据，请先运行 python app.py seed")
                self._land = shapely.from_wkb(wkb)
            return self._land

    def daily_counts(
        self, scope: Scope, window: Window, filters: Filters = NO_FILTERS, *, viewer: Viewer
    ) -> list[dict]:
        """Per local day of the window: appeals accepted (受理) and appeals closed (办结) that day.

        Both series honour the scope and filters; "closed" counts by the day of
        办结, whatever day the appeal was accepted. Unfiltered, from the day rollups alone:
        受理 from every appeal's arrival, 办结 from the settled appeals (an open one has none).
        """
        self.authorize(scope, viewer)
        if not filters.is_empty():
            return self.daily_counts_from_appeals(scope, window, filters, viewer=viewer)
        first, last = rollups.day_number(window.start), rollups.day_number(window.end)

        def days_of(table, accepted, closed):
            return sa.select(table.c.period, accepted, closed).where(
                table.c.unit_code == scope.code, table.c.level == rollups.LEVEL[scope.level],
                table.c.grain == rollups.DAY, table.c.period >= first, table.c.period < last)

        arrived = days_of(t.arrival_rollup, t.arrival_rollup.c.n, sa.literal(0))
        closed_here = days_of(t.kpi_rollup, sa.literal(0), t.kpi_rollup.c.closed_here)
        accepted: dict[int, int] = {}
        closed: dict[int, int] = {}
        with self.connect(replica=True) as conn:
            for period, n_accepted, n_closed in conn.execute(sa.union_all(arrived, closed_here)):
                accepted[int(period)] = accepted.get(int(period), 0) + int(n_accepted)
                closed[int(period)] = closed.get(int(period), 0) + int(n_closed)
        return [{"day": (window.start + timedelta(days=i)).isoformat(), "accepted": accepted.get(first + i, 0),
                 "closed": closed.get(first + i, 0)} for i in range(last - first)]

    def daily_counts_from_appeals(
        self, scope: Scope, window: Window, filters: Filters = NO_FILTERS, *, viewer: Viewer
    ) -> list[dict]:
        """:meth:`daily_counts` from the appeals alone."""
        self.authorize(scope, viewer)
        a = t.appeals
        accepted_day = self.backend.local_day(a.c.accepted_at)
        closed_day = self.backend.local_day(a.c.closed_at)
        accepted_where = self._appeal_conditions(scope, window, filters)
        closed_where = [
            a.c.closed_at >= window.start_instant,
            a.c.closed_at < window.end_instant,
            *self._appeal_conditions(scope, None, filters),
        ]
        with self.connect(replica=True) as conn:
            accepted = dict(conn.execute(sa.select(accepted_day, sa.func.count()).where(*accepted_where).group_by(accepted_day)).all())
            closed = dict(conn.execute(sa.select(closed_day, sa.func.count()).where(*closed_where).group_by(closed_day)).all())
        accepted = {self.backend.to_date(k): v for k, v in accepted.items()}
        closed = {self.backend.to_date(k): v for k, v in closed.items()}
        days = (window.end - window.start).days
        out = []
        for i in range(days):
            day = window.start + timedelta(days=i)
            out.append({"day": day.isoformat(), "accepted": accepted.get(day, 0), "closed": closed.get(day, 0)})
        return out

    def heat_counts(
        self,
        scope: Scope,
        window: Window,
        filters: Filters,
        origin: tuple[float, float],
        cell: float,
        shape: tuple[int, int],
        *,
        viewer: Viewer,
    ) -> list[tuple[int, int, int]]:
        """Appeal counts on a regular lon/lat lattice: (column, row, count) for non-empty cells.

        The payload is bounded by the lattice, whatever the number of appeals. Unfiltered, on the
        heat map's lattice, for the district or a street: from the cell rollup alone (it counts every appeal).
        """
        self.authorize(scope, viewer)
        lattice = (tuple(origin), cell, tuple(shape)) == (domain.HEAT_ORIGIN, domain.HEAT_CELL, domain.HEAT_SHAPE)
        if not (lattice and filters.is_empty() and scope.level in ("district", "street")):
            return self.heat_counts_from_appeals(scope, window, filters, origin, cell, shape, viewer=viewer)
        h = t.heat_rollup
        streets = [] if scope.level == "district" else [h.c.street_code == scope.code]
        # Summed in the database: a district-year is ~80,000 rolled rows at 1M appeals, ~9,400 cells.
        cells = (sa.select(h.c.col, h.c.row, sa.func.sum(h.c.n))
                 .where(*streets, rollups.period_condition(h, window.start, window.end))
                 .group_by(h.c.col, h.c.row).order_by(h.c.col, h.c.row))
        with self.connect(replica=True) as conn:
            return [(int(c), int(r), int(n)) for c, r, n in conn.execute(cells)]

    def heat_counts_from_appeals(self, scope: Scope, window: Window, filters: Filters, origin: tuple[float, float],
                                 cell: float, shape: tuple[int, int], *, viewer: Viewer) -> list[tuple[int, int, int]]:
        """:meth:`heat_counts` from the appeals alone."""
        self.authorize(scope, viewer)
        with self.connect(replica=True) as conn:
            rows = conn.execute(self._heat_query(scope, window, filters, origin, cell, shape)).all()
        return sorted((int(c), int(r), int(n)) for c, r, n in rows)

    def _heat_query(self, scope, window, filters, origin, cell, shape):
        a = t.appeals
        x0, y0 = origin
        nx, ny = shape
        col = self.backend.cell_index(a.c.lon, x0, cell).label("col")
        row = self.backend.cell_index(a.c.lat, y0, cell).label("row")
        conditions = [
            *self._appeal_conditions(scope, window, filters),
            a.c.lon >= x0, a.c.lon < x0 + nx * cell, a.c.lat >= y0, a.c.lat < y0 + ny * cell,
        ]
        return sa.select(col, row, sa.func.count().label("n")).where(*conditions).group_by(col, row)

    def grid_profile(self, code: str, viewer: Viewer) -> dict:
        """A grid's base figures and key-population counts (published counts only: small ones suppressed)."""
        scope = Scope("grid", code)
        self.resolve(scope, viewer)
        g = t.grids
        with self.connect() as conn:
            row = conn.execute(
                sa.select(g.c.code, g.c.name, g.c.community_code, g.c.street_code, g.c.households, g.c.population,
                          g.c.buildings, g.c.house_numbers, g.c.legal_persons).where(g.c.code == code)
            ).one()
            key_pop = self._key_population(conn, scope).get(code, {})
        return {**row._mapping, **published_key_population(key_pop)}

    def kpis(
        self,
        scope: Scope,
        window: Window,
        as_of: datetime | None = None,
        filters: Filters = NO_FILTERS,
        *,
        viewer: Viewer,
        arrived_by: datetime | None = None,
    ) -> dict:
        """The /api/kpis document for a scope and window (``arrived_by`` as in :meth:`kpi_counts`)."""
        unit = self.resolve(scope, viewer)
        as_of = clock.now() if as_of is None else as_of
        counts = self.kpi_counts(scope, window, as_of, filters, viewer=viewer, arrived_by=arrived_by)
        return {
            "scope": scope.level,
            "id": scope.code,
            "name": unit.name,
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "as_of": as_of.astimezone(domain.LOCAL_TZ).isoformat(),
            "kpis": kpis.as_json(kpis.compute(counts)),
        }

    def appeals(
        self,
        scope: Scope,
        window: Window,
        limit: int = 100,
        offset: int = 0,
        filters: Filters = NO_FILTERS,
        *,
        viewer: Viewer,
    ) -> dict:
        """The appeals that :meth:`kpis` counts, newest first, personal data masked."""
        self.resolve(scope, viewer)
        a = t.appeals
        conditions = self._appeal_conditions(scope, window, filters)
        columns = LISTED_APPEAL_COLUMNS
        with self.connect(replica=True) as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(a).where(*conditions)).scalar()
            rows = conn.execute(
                sa.select(*columns)
                .where(*conditions)
                .order_by(a.c.accepted_at.desc(), a.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return {
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [_appeal_item(r._mapping, viewer) for r in rows],
        }

    def overdue_appeals(
        self,
        scope: Scope,
        window: Window,
        as_of: datetime,
        filters: Filters = NO_FILTERS,
        *,
        viewer: Viewer,
        limit: int = 50,
    ) -> dict:
        """The appeals behind the ``overdue_open`` KPI, longest overdue first, personal data masked.

        Same conditions as :meth:`kpi_counts` (open as of ``as_of``, deadline before it),
        so ``total`` equals the KPI a briefing prints next to the list.
        """
        self.resolve(scope, viewer)
        a = t.appeals
        conditions = [*self._appeal_conditions(scope, window, filters), overdue_open(as_of)]
        with self.connect(replica=True) as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(a).where(*conditions)).scalar()
            rows = conn.execute(
                sa.select(*LISTED_APPEAL_COLUMNS).where(*conditions).order_by(a.c.deadline, a.c.id).limit(limit)
            ).all()
        return {"total": total, "limit": limit, "items": [_appeal_item(r._mapping, viewer) for r in rows]}

    def iter_appeals(
        self, scope: Scope, window: Window, filters: Filters = NO_FILTERS, *, viewer: Viewer, batch: int = 5000,
    ) -> Iterator[list[dict]]:
        """Every appeal :meth:`appeals` would list, newest first, in masked batches.

        Keyset paging (accepted_at, id) keeps each batch an index range scan, so a
        year of the district streams in bounded memory and linear time.
        """
        self.resolve(scope, viewer)
        a = t.appeals
        columns = LISTED_APPEAL_COLUMNS
        conditions = self._appeal_conditions(scope, window, filters)
        after = None
        while True:
            query = sa.select(*columns).where(*conditions)
            if after is not None:
                last_at, last_id = after
                query = query.where(
                    sa.or_(
                        a.c.accepted_at < last_at,
                        sa.and_(a.c.accepted_at == last_at, a.c.id < last_id),
                    )
                )
            with self.connect(replica=True) as conn:
                rows = conn.execute(query.order_by(a.c.accepted_at.desc(), a.c.id.desc()).limit(batch)).all()
            if not rows:
                return
            yield [_appeal_item(r._mapping, viewer) for r in rows]
            after = (rows[-1].accepted_at, rows[-1].id)

    def appeal_detail(self, appeal_id: int, viewer: Viewer, unmasked: bool = False) -> dict:
        """One appeal, masked like every listing; with ``unmasked`` as stored, for the audited 查看完整信息.

        This is the store's only unmasked read of an appeal, and only roles that
        handle appeals (:attr:`Viewer.may_unmask`) get it, inside their own unit.
        """
        if unmasked and not viewer.may_unmask:
            raise Forbidden(f"{viewer.label}账号不能查看诉求人完整信息")
        a = t.appeals
        with self.connect(replica=True) as conn:
            row = conn.execute(sa.select(*LISTED_APPEAL_COLUMNS).where(a.c.id == appeal_id)).first()
        if row is None:
            raise NotFound(f"未找到诉求：{appeal_id}")
        self.authorize(Scope("grid", row.grid_code), viewer)
        item = _iso_times(row._mapping)
        return item if unmasked else masked_appeal(item, viewer.coarse_coordinates)

    def search_appeals(self, text: str, viewer: Viewer, limit: int = 5) -> list[dict]:
        """Appeals whose id or source_ref is ``text`` (exactly), among those the viewer may see, newest first.

        Only well-formed keys reach SQL (an id of digits, a ref of printable ASCII), always
        as bound values; anything else finds nothing. Titles are redacted like every listing.
        """
        self.authorize(viewer.scope, viewer)
        a = t.appeals
        text = text.strip() if isinstance(text, str) else ""
        keys = []
        if SEARCH_ID.fullmatch(text):
            keys.append(a.c.id == int(text))
        if SEARCH_REF.fullmatch(text):
            keys.append(a.c.source_ref.in_(sorted({text, text.upper()})))
        if not keys:
            return []
        query = sa.select(a.c.id, a.c.source_ref, a.c.title, a.c.category, a.c.status, a.c.accepted_at,
                          a.c.street_code, a.c.community_code, a.c.grid_code).where(sa.or_(*keys))
        if viewer.scope.level != "district":
            query = query.where(a.c[APPEAL_SCOPE_COLUMN[viewer.scope.level]] == viewer.scope.code)
        with self.connect(replica=True) as conn:
            rows = conn.execute(query.order_by(a.c.accepted_at.desc(), a.c.id.desc()).limit(limit)).all()
        return [_appeal_item(r._mapping, viewer) for r in rows]

    def appeal_events(self, appeal_id: int, viewer: Viewer) -> list[dict]:
        """The workflow timeline of one appeal with each step's department and note; people and contact details masked."""
        a, e = t.appeals, t.appeal_events
        with self.connect(replica=True) as conn:
            appeal = conn.execute(sa.select(a.c.grid_code, a.c.accepted_at).where(a.c.id == appeal_id)).first()
            if appeal is None:
                raise NotFound(f"未找到诉求：{appeal_id}")
            self.authorize(Scope("grid", appeal.grid_code), viewer)
            rows = conn.execute(
                sa.select(e.c.seq, e.c.from_status, e.c.to_status, e.c.at, e.c.handling_level, e.c.actor,
                          e.c.department, e.c.note)
                .where(e.c.appeal_id == appeal_id, e.c.accepted_at == appeal.accepted_at)  # one month's partition
                .order_by(e.c.seq)
            ).all()
        return [masked_event({**r._mapping, "at": _iso(r.at)}) for r in rows]

    def count(self, table_name: str) -> int:
        table = t.metadata.tables[table_name]
        with self.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def _alembic_config() -> AlembicConfig:
    """Alembic pointed at our revisions (no alembic.ini: the store hands it its connection)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


#: The columns a KPI may be grouped by that the rollups hold, and the level of their units.
ROLLED_UNIT_COLUMNS = {"street_code": "street", "community_code": "community", "grid_code": "grid"}
#: An as-of after every settled appeal's last stage: the sums a settled appeal adds to the rollups.
SETTLED_FOR_EVER = datetime(3000, 1, 1, tzinfo=domain.LOCAL_TZ)


def _kpi_sums(as_of: datetime) -> list:
    """The KPI sums of :data:`geo.kpis.COUNT_NAMES` over appeals, each stage counted if it happened by ``as_of``
    (so a past as_of reproduces a past view)."""
    a = t.appeals
    closed = sa.and_(a.c.closed_at.is_not(None), a.c.closed_at <= as_of)
    visited = sa.and_(a.c.resolved.is_not(None), a.c.visited_at <= as_of)

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    return [
        sa.func.count().label("accepted"),
        count_if(closed).label("closed"),
        count_if(sa.and_(closed, a.c.closed_on_time == 1)).label("closed_on_time"),
        count_if(overdue_open(as_of)).label("overdue_open"),
        count_if(sa.and_(a.c.responded_on_time == 1, a.c.dispatched_at <= as_of)).label("responded_on_time"),
        count_if(visited).label("visited"),
        count_if(sa.and_(visited, a.c.resolved.is_(True))).label("resolved"),
        count_if(sa.and_(visited, a.c.satisfaction.is_not(None))).label("rated"),
        count_if(sa.and_(visited, a.c.satisfaction.in_(kpis.SATISFIED))).label("satisfied"),
        sa.func.coalesce(sa.func.sum(sa.case((closed, a.c.close_seconds), else_=0)), 0).label("close_seconds"),
    ]


def _in_flight(as_of) -> sa.ColumnElement[bool]:
    """Settled appeals that were still in flight at ``as_of`` (accepted by then, settled after it).

    Class k settles within ``SETTLE_CLASS_DAYS[k]`` days of 受理, so its members in flight at as_of
    settled in ``(as_of, as_of + that]`` (the parameter ``in_flight_to_k``): each class is one short
    range of the settling index, and the read is bounded by the appeals in flight, not by the window.
    """
    a = t.appeals
    bounded = [sa.and_(a.c.settle_class == k, a.c.settled_at > as_of,
                       a.c.settled_at <= sa.bindparam(f"in_flight_to_{k}", type_=Instant()))
               for k in range(len(kpis.SETTLE_CLASS_DAYS))]
    longer = sa.and_(a.c.settle_class == len(kpis.SETTLE_CLASS_DAYS), a.c.settled_at > as_of)
    return sa.or_(*bounded, longer)


@functools.lru_cache(maxsize=64)
def _rolled_kpi_statement(level: str, group_by: str | None, arrived: bool) -> sa.CompoundSelect:
    """The statement of :meth:`Store._rolled_kpi_counts` for a scope level and grouping, with bind parameters
    for everything else: built once per shape (a pure function, so every process builds the same), since
    building it took longer than the database takes to answer it."""
    a, r = t.appeals, t.kpi_rollup

    def instant(name):
        return sa.bindparam(name, type_=Instant())

    as_of = instant("as_of")
    covered = [a.c.accepted_at >= instant("covered_from"), a.c.accepted_at < instant("covered_to")]
    in_scope = [] if level == "district" else [a.c[APPEAL_SCOPE_COLUMN[level]] == sa.bindparam("unit")]
    if group_by is None:
        key = rolled_key = sa.bindparam("unit", type_=sa.String())
        units = [r.c.level == rollups.LEVEL[level], r.c.unit_code == sa.bindparam("unit")]
    else:
        key, rolled_key = a.c[group_by], r.c.unit_code
        units = [r.c.level == rollups.LEVEL[ROLLED_UNIT_COLUMNS[group_by]]]
        if level != "district":  # scope codes are digits: the prefix needs no escaping
            units.append(r.c.unit_code.like(sa.bindparam("unit_prefix")))
    grouped = (lambda query, _: query) if group_by is None else (lambda query, column: query.group_by(column))
    rolled = grouped(sa.select(rolled_key.label("key"), *(
        sa.literal(0).label(name) if name == "overdue_open" else sa.func.sum(r.c[name]).label(name)
        for name in kpis.COUNT_NAMES)).where(*units, rollups.period_template(r)), rolled_key)
    now_sums, final_sums = _kpi_sums(as_of), _kpi_sums(SETTLED_FOR_EVER)
    in_flight = grouped(sa.select(key.label("key"), *((now - final).label(now.name) for now, final in
                                                      zip(now_sums, final_sums, strict=True))).where(
        *covered, *in_scope, _in_flight(as_of)), key)
    still_open = grouped(sa.select(key.label("key"), *now_sums).where(a.c.closed_at.is_(None), *covered, *in_scope),
                         key)
    recent = [a.c.accepted_at >= instant("covered_to"), a.c.accepted_at < instant("window_end"), *in_scope]
    if arrived:
        recent.append(a.c.accepted_at <= instant("arrived_by"))
    latest = grouped(sa.select(key.label("key"), *now_sums).where(*recent), key)
    return sa.union_all(rolled, in_flight, still_open, latest)


def _local_midnight(day) -> datetime:
    return datetime.combine(day, datetime.min.time(), domain.LOCAL_TZ)


def _by_dimension(dims: tuple[str, ...], rows) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {d: {} for d in dims}
    for *values, n in rows:
        for dim, value in zip(dims, values, strict=True):
            out[dim][value] = out[dim].get(value, 0) + int(n)
    return out


def overdue_open(as_of: datetime) -> sa.ColumnElement[bool]:
    """超期未办结: still open as of ``as_of`` and past its closure deadline (the KPI and its list share this)."""
    a = t.appeals
    return sa.and_(sa.or_(a.c.closed_at.is_(None), a.c.closed_at > as_of), a.c.deadline < as_of)


def _appeal_item(row, viewer: Viewer) -> dict:
    """A listed appeal as the viewer may see it (:func:`geo.privacy.masked_appeal`)."""
    return masked_appeal(_iso_times(row), viewer.coarse_coordinates)


def _iso_times(row) -> dict:
    item = dict(row)
    for key, value in item.items():
        if isinstance(value, datetime):
            item[key] = _iso(value)
    return item


def _feature(wkb: bytes, props: dict) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(wkb))),
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(domain.LOCAL_TZ).isoformat() if value else None


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
