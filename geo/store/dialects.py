"""Everything that differs between PostGIS and the embedded SQLite store.

The store calls these methods and never tests the backend itself. SQLite has
no spatial SQL here (SpatiaLite would need a system package), so it locates
points with a shapely STRtree built from the grids it stores; PostGIS does the
same lookup in SQL with its GiST index. Ties on a shared edge go to the
smallest grid code on both.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeDecorator, UserDefinedType

from geo.store.errors import PostgisMissing

_EPOCH_DAY = date(1970, 1, 1)
#: A daily partition of worker_positions on PostGIS (migration 0009).
POSITION_PARTITION = re.compile(r"worker_positions_p[0-9]{8}")
#: How long making or dropping a position partition may wait for the table lock.
PARTITION_LOCK_TIMEOUT = "2s"


class Geometry(UserDefinedType):
    """A WGS-84 geometry: PostGIS ``geometry(TYPE,4326)``, SQLite a WKB blob."""

    cache_ok = True

    def __init__(self, geometry_type: str = "MULTIPOLYGON"):
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw):
        return f"geometry({self.geometry_type},4326)"


@compiles(Geometry, "sqlite")
def _geometry_sqlite(type_, compiler, **kw):
    return "BLOB"


class Instant(TypeDecorator):
    """A timezone-aware instant, to the second.

    PostGIS keeps ``timestamptz``; SQLite keeps integer Unix seconds, so that
    comparisons and sums are exact and identical on both backends.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
        value = value.replace(microsecond=0)
        return int(value.timestamp()) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return datetime.fromtimestamp(value, UTC)
        return value.astimezone(UTC)


def create_kpi_index(op, name: str, table: str, key: list[str], columns: list[str], where: str | None = None) -> None:
    """A covering index: PostGIS INCLUDEs ``columns``; SQLite (no INCLUDE) appends them to the key.
    ``where`` makes it partial (both backends)."""
    partial = {} if where is None else {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(name, table, key, postgresql_include=columns, **partial)
    else:
        op.create_index(name, table, key + columns, **partial)


def is_postgis(op) -> bool:
    """For migration steps that exist on PostGIS only (spatial indexes, generated geometry)."""
    return op.get_bind().dialect.name == "postgresql"


@dataclass
class GridIndex:
    """Grid polygons in an STRtree, with their codes in tree order."""

    codes: np.ndarray
    community_codes: np.ndarray
    street_codes: np.ndarray
    tree: shapely.STRtree = field(repr=False)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index into ``codes`` of the grid holding each point, or -1 outside every grid."""
        points = shapely.points(np.asarray(lon, float), np.asarray(lat, float))
        point_idx, grid_idx = self.tree.query(points, predicate="intersects")
        found = np.full(len(points), -1, dtype=np.int64)
        if len(point_idx):
            # Smallest code wins on shared edges: codes are sorted, so smallest index wins.
            order = np.lexsort((grid_idx, point_idx))
            point_idx, grid_idx = point_idx[order], grid_idx[order]
            first = np.r_[True, point_idx[1:] != point_idx[:-1]]
            found[point_idx[first]] = grid_idx[first]
        return found

    def nearest(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the grid nearest each point (for points just off the coast or the boundary)."""
        points = shapely.points(np.asarray(lon, float), np.asarray(lat, float))
        point_idx, grid_idx = self.tree.query_nearest(points, all_matches=True)
        found = np.full(len(points), -1, dtype=np.int64)
        order = np.lexsort((grid_idx, point_idx))
        point_idx, grid_idx = point_idx[order], grid_idx[order]
        first = np.r_[True, point_idx[1:] != point_idx[:-1]] if len(point_idx) else np.array([], bool)
        found[point_idx[first]] = grid_idx[first]
        return found


class Backend:
    name = "base"
    #: Driver errors that mean "the database went away", raised outside SQLAlchemy (e.g. mid-COPY).
    outage_errors: tuple[type[Exception], ...] = ()

    def engine(self, url: str) -> Engine:
        raise NotImplementedError

    def check_ready(self, conn: Connection) -> None:
        """Raises a StoreError subclass if the database cannot hold a store."""

    def prepare(self, url: str) -> None:
        """Creates what must exist before the first connection (SQLite: the file's folder)."""

    def is_missing_schema(self, exc: Exception) -> bool:
        """Whether a database error means "no such table/column/function" rather than an outage."""
        raise NotImplementedError

    def geom_in(self, wkb: bytes):
        raise NotImplementedError

    def geom_out(self, column):
        raise NotImplementedError

    def locate(self, conn: Connection, grid_index, lon, lat) -> np.ndarray:
        raise NotImplementedError

    def local_day(self, column):
        """An expression for the Asia/Shanghai calendar day of an Instant column."""
        raise NotImplementedError

    def to_date(self, value) -> date:
        """What :meth:`local_day` returned, as a date."""
        raise NotImplementedError

    def day_number(self, column):
        """An integer expression: the Asia/Shanghai calendar day of an Instant column, in days since 1970-01-01."""
        raise NotImplementedError

    def cell_index(self, column, origin: float, size: float):
        """floor((column - origin) / size) as an integer expression."""
        raise NotImplementedError

    def copy_rows(self, conn: Connection, table: sa.Table, frame: pd.DataFrame, into: str | None = None) -> None:
        """Appends a frame whose columns are named like ``table``'s, as fast as the backend allows (``into``:
        a scratch table of the same columns instead)."""
        raise NotImplementedError

    def lock_for_append(self, conn: Connection, table: sa.Table) -> None:
        """Serialises writers that number new rows themselves; readers are not blocked."""
        raise NotImplementedError

    def insert_new_appeal(self, conn: Connection, appeals: sa.Table, keys: sa.Table, row: dict) -> tuple | None:
        """Inserts one appeal (``row``: its columns but the id) unless its (source, source_ref) is in ``keys``;
        (id, source, source_ref) if it was inserted. SQLite: under its one write lock, so the check holds."""
        self.lock_for_update(conn)
        if conn.execute(sa.select(keys.c.appeal_id).where(keys.c.source == row["source"],
                                                           keys.c.source_ref == row["source_ref"])).first():
            return None
        appeal_id = conn.execute(appeals.insert().values(row).returning(appeals.c.id)).scalar_one()
        conn.execute(keys.insert().values(source=row["source"], source_ref=row["source_ref"], appeal_id=appeal_id))
        return appeal_id, row["source"], row["source_ref"]

    def insert_new_appeals(self, conn: Connection, appeals: sa.Table, keys: sa.Table,
                           frame: pd.DataFrame) -> list[tuple]:
        """:meth:`insert_new_appeal` for each row of a frame with distinct keys, in key order."""
        frame = frame.sort_values(["source", "source_ref"])
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return [r for r in (self.insert_new_appeal(conn, appeals, keys, row) for row in records) if r]

    def add_to(self, conn: Connection, table: sa.Table, frame: pd.DataFrame | list[dict], key: list[str],
               values: list[str]) -> None:
        """Adds ``values`` to the rows of ``table`` with the frame's ``key`` (a missing row starts at 0),
        in key order (a list of records is already in it)."""
        records = frame if isinstance(frame, list) else \
            frame.sort_values(key)[key + values].astype(object).to_dict("records")
        conn.execute(self._adding(table, tuple(key), tuple(values)), records)

    @functools.lru_cache(maxsize=32)  # noqa: B019 - a few statements per backend, built once: each write uses them
    def _adding(self, table: sa.Table, key: tuple[str, ...], values: tuple[str, ...]):
        insert = self.insert(table)
        return insert.on_conflict_do_update(index_elements=[table.c[k] for k in key],
                                            set_={v: table.c[v] + insert.excluded[v] for v in values})

    def insert(self, table: sa.Table):
        """An INSERT that supports ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (both backends do)."""
        raise NotImplementedError

    def lock_row(self, query):
        """``query`` locking the rows it reads until the transaction ends, where the backend locks rows."""
        return query

    def new_ids(self, conn: Connection, table: sa.Table, n: int) -> np.ndarray:
        """``n`` fresh ids for ``table``'s rows, never given to another writer (SQLite: after the largest, under
        the write lock :meth:`lock_for_append` took)."""
        first = (conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
        return np.arange(first, first + n, dtype=np.int64)

    def lock_for_update(self, conn: Connection) -> None:
        """Before a read-then-write: SQLite takes its one write lock now (PostgreSQL locks rows instead)."""

    def reset_sequences(self, conn: Connection, tables: list[sa.Table]) -> None:
        """After rows were written to ``tables`` with explicit ids."""

    def position_days(self, conn: Connection) -> set[date] | None:
        """The UTC days worker positions can be written to (PostGIS: its daily partitions); None: any day."""
        return None

    def add_position_days(self, conn: Connection, days: set[date]) -> None:
        """Makes room for positions on these UTC days (PostGIS: a partition each)."""

    def add_appeal_months(self, conn: Connection, instants: list[datetime]) -> None:
        """Makes room for appeals accepted at these instants, and their events (PostGIS: the local months'
        partitions, made where missing)."""

    def is_missing_partition(self, exc: Exception) -> bool:
        """Whether a write failed because no partition takes its row (PostGIS), so room can be made and it retried."""
        return False

    def drop_positions_before(self, conn: Connection, day: date) -> int:
        """Removes position history before ``day`` (UTC); the number of rows (SQLite) or days (PostGIS) removed."""
        raise NotImplementedError

    def delete_all(self, conn: Connection, tables: list[sa.Table]) -> None:
        """Empties tables given children first."""
        for table in tables:
            conn.execute(table.delete())

    def after_bulk_load(self, conn: Connection, table: sa.Table | None = None) -> None:
        """Statistics refresh (of ``table``, or all) so the planner picks the right indexes. Runs outside a transaction."""


class SqliteBackend(Backend):
    name = "sqlite"

    def engine(self, url: str) -> Engine:
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            # WAL: one writer and many readers at once; NORMAL sync is safe under WAL.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine

    def prepare(self, url: str) -> None:
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def lock_for_append(self, conn, table) -> None:
        # A no-op write takes SQLite's single write lock now, before max(id) is read.
        conn.exec_driver_sql("UPDATE store_meta SET value = value WHERE 0")

    def insert(self, table):
        return sqlite_insert(table)

    def lock_for_update(self, conn) -> None:
        self.lock_for_append(conn, None)

    def is_missing_schema(self, exc: Exception) -> bool:
        text = str(getattr(exc, "orig", exc))
        return text.startswith(("no such table", "no such column"))

    def geom_in(self, wkb: bytes):
        return wkb

    def geom_out(self, column):
        return column

    def locate(self, conn, grid_index: GridIndex, lon, lat) -> np.ndarray:
        return grid_index.locate(lon, lat)

    def local_day(self, column):
        # Instants are Unix seconds here; Shanghai is UTC+8 all year.
        return (sa.type_coerce(column, sa.Integer) + 8 * 3600) // 86400

    def to_date(self, value) -> date:
        return _EPOCH_DAY + timedelta(days=int(value))

    def day_number(self, column):
        return self.local_day(column)

    def cell_index(self, column, origin, size):
        # Callers keep column >= origin, where truncation is floor.
        return sa.cast((column - origin) / size, sa.Integer)

    def drop_positions_before(self, conn, day) -> int:
        cutoff = int(datetime.combine(day, time(), UTC).timestamp())  # SQLite keeps instants as Unix seconds
        return conn.exec_driver_sql("DELETE FROM worker_positions WHERE at < ?", (cutoff,)).rowcount

    def copy_rows(self, conn, table, frame, into: str | None = None) -> None:
        columns = list(frame.columns)
        frame = _to_sqlite_values(table, frame)
        sql = f"INSERT INTO {into or table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.exec_driver_sql(sql, list(frame.itertuples(index=False, name=None)))

    def after_bulk_load(self, conn, table=None) -> None:
        conn.exec_driver_sql(f"ANALYZE {table.name}" if table is not None else "ANALYZE")


class PostgisBackend(Backend):
    name = "postgis"
    outage_errors = (psycopg.OperationalError,)

    def engine(self, url: str) -> Engine:
        return sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})

    def check_ready(self, conn) -> None:
        has = conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first()
        if not has:
            db = conn.exec_driver_sql("SELECT current_database()").scalar()
            raise PostgisMissing(
                f"数据库 {db} 未启用 PostGIS 扩展。请以超级用户执行：psql -d {db} -c 'CREATE EXTENSION postgis;'"
                "（Debian/Ubuntu 需先安装 postgresql-<版本>-postgis-3 软件包）"
            )

    def lock_for_append(self, conn, table) -> None:
        # Conflicts with other writers' locks only; plain reads go on.
        conn.exec_driver_sql(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE")

    def insert(self, table):
        return postgresql_insert(table)

    def lock_row(self, query):
        return query.with_for_update()

    def is_missing_schema(self, exc: Exception) -> bool:
        # 42P01 undefined table, 42703 undefined column, 42883 undefined function (no PostGIS).
        return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("42P01", "42703", "42883")

    def geom_in(self, wkb: bytes):
        return sa.func.ST_Multi(sa.func.ST_GeomFromWKB(wkb, 4326))

    def geom_out(self, column):
        return sa.func.ST_AsBinary(column)

    def locate(self, conn, grid_index, lon, lat) -> np.ndarray:
        """Point-in-grid in SQL; returns indexes into ``grid_index.codes`` like the SQLite path."""
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        rows = conn.execute(
            sa.text(
                "SELECT p.i, (SELECT g.code FROM grids g"
                "  WHERE ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))"
                "  ORDER BY g.code LIMIT 1) AS code"
                " FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p(lon, lat, i)"
            ),
            {"lon": lon.tolist(), "lat": lat.tolist()},
        ).all()
        position = {code: i for i, code in enumerate(grid_index.codes)}
        found = np.full(len(lon), -1, dtype=np.int64)
        for i, code in rows:
            if code is not None:
                found[i - 1] = position[code]
        return found

    def local_day(self, column):
        return sa.cast(sa.func.timezone("Asia/Shanghai", column), sa.Date)

    def to_date(self, value) -> date:
        return value

    def day_number(self, column):
        # date - date is an integer number of days in PostgreSQL.
        return self.local_day(column) - sa.literal(_EPOCH_DAY, sa.Date)

    def cell_index(self, column, origin, size):
        # PostgreSQL rounds on a cast to integer, so floor explicitly.
        return sa.cast(sa.func.floor((column - origin) / size), sa.Integer)

    def new_ids(self, conn, table, n) -> np.ndarray:
        # From the sequence, like live ingest's, so an appeal ingested during a bulk load never gets the same id
        # (ids alone are not unique keys of the partitioned table).
        return np.fromiter(conn.execute(sa.text(f"SELECT nextval('{table.name}_id_seq') FROM generate_series(1, :n)"),
                                        {"n": n}).scalars(), dtype=np.int64, count=n)

    # No table lock: the key goes into appeal_keys first (ON CONFLICT DO NOTHING), in the same statement as the
    # appeal, with the id from the sequence. A writer racing on the same key waits for the first to commit and then
    # skips it; batches take their keys in key order, so they cannot deadlock.
    def insert_new_appeal(self, conn, appeals, keys, row) -> tuple | None:
        key = (postgresql_insert(keys)
               .values(source=row["source"], source_ref=row["source_ref"],
                       appeal_id=sa.func.nextval("appeals_id_seq"))
               .on_conflict_do_nothing().returning(keys.c.appeal_id).cte("new_key"))
        names = list(row)
        values = sa.select(key.c.appeal_id, *(sa.literal(row[n], type_=appeals.c[n].type) for n in names))
        insert = (postgresql_insert(appeals).from_select(["id", *names], values)
                  .returning(appeals.c.id, appeals.c.source, appeals.c.source_ref))
        found = conn.execute(insert).first()
        return tuple(found) if found else None

    def insert_new_appeals(self, conn, appeals, keys, frame) -> list[tuple]:
        # A multi-row INSERT of a thousand appeals is slow to build and parse: COPY into a scratch table first.
        columns = list(frame.columns)
        conn.exec_driver_sql(f"CREATE TEMP TABLE appeals_incoming ON COMMIT DROP AS SELECT {', '.join(columns)} "
                             "FROM appeals WITH NO DATA")
        self.copy_rows(conn, appeals, frame, into="appeals_incoming")
        rows = conn.exec_driver_sql(
            "WITH new_key AS (INSERT INTO appeal_keys (source, source_ref, appeal_id) "
            "  SELECT source, source_ref, nextval('appeals_id_seq') FROM appeals_incoming ORDER BY source, source_ref "
            "  ON CONFLICT DO NOTHING RETURNING source, source_ref, appeal_id) "
            f"INSERT INTO appeals (id, {', '.join(columns)}) "
            f"SELECT k.appeal_id, {', '.join('i.' + c for c in columns)} FROM new_key k JOIN appeals_incoming i "
            "ON i.source = k.source AND i.source_ref = k.source_ref RETURNING id, source, source_ref").all()
        conn.exec_driver_sql("DROP TABLE appeals_incoming")
        return [tuple(r) for r in rows]

    def add_to(self, conn, table, frame, key, values) -> None:
        if isinstance(frame, list) or len(frame) < 1000:
            return super().add_to(conn, table, frame, key, values)
        # Thousands of upserts (a bulk load's rollups): COPY into a scratch table, then one INSERT … SELECT.
        columns = key + values
        scratch = f"{table.name}_added"
        conn.exec_driver_sql(f"CREATE TEMP TABLE {scratch} ON COMMIT DROP AS SELECT {', '.join(columns)} "
                             f"FROM {table.name} WITH NO DATA")
        self.copy_rows(conn, table, frame[columns], into=scratch)
        updates = ", ".join(f"{v} = {table.name}.{v} + excluded.{v}" for v in values)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(columns)} "
                             f"FROM {scratch} ORDER BY {', '.join(key)} ON CONFLICT ({', '.join(key)}) "
                             f"DO UPDATE SET {updates}")
        conn.exec_driver_sql(f"DROP TABLE {scratch}")

    def copy_rows(self, conn, table, frame, into: str | None = None) -> None:
        buffer = io.StringIO()
        _to_postgres_text(table, frame).to_csv(buffer, index=False, header=False, na_rep="\\N")
        buffer.seek(0)
        columns = ", ".join(frame.columns)
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {into or table.name} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
        ):
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)

    def delete_all(self, conn, tables) -> None:
        # DELETE of millions of rows is slow and bloats; TRUNCATE is instant.
        conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY")

    def position_days(self, conn) -> set[date]:
        names = conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class parent ON parent.oid = i.inhparent WHERE parent.relname = 'worker_positions'").scalars()
        return {datetime.strptime(n[-8:], "%Y%m%d").date() for n in names if POSITION_PARTITION.fullmatch(n)}

    def _partition_ddl(self, conn, table: str) -> None:
        """One partition change of ``table`` at a time across processes (a transaction-level advisory lock), and
        never a long wait: a partition change locks the whole table, so it gives up after PARTITION_LOCK_TIMEOUT
        rather than queue every reader and writer behind it (the caller tries again later)."""
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('{table} partitions'))")
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{PARTITION_LOCK_TIMEOUT}'")

    def add_appeal_months(self, conn, instants) -> None:
        # The months are computed by PostgreSQL, in the zone local_day uses, so bounds and rows always agree; the
        # same statement keeps only those without partitions yet.
        missing = conn.execute(sa.text(
            "SELECT DISTINCT to_char(m, 'YYYYMM'), m AT TIME ZONE 'Asia/Shanghai', "
            "(m + interval '1 month') AT TIME ZONE 'Asia/Shanghai' "
            "FROM (SELECT date_trunc('month', i AT TIME ZONE 'Asia/Shanghai') AS m "
            "      FROM unnest(CAST(:at AS timestamptz[])) AS u(i)) AS q "
            "WHERE to_regclass('appeal_events_p' || to_char(m, 'YYYYMM')) IS NULL ORDER BY 1"),
            {"at": list(instants)}).all()
        if not missing:
            return
        self._partition_ddl(conn, "appeals")
        for suffix, start, end in missing:
            for table in ("appeals", "appeal_events"):
                conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {table}_p{suffix} PARTITION OF {table} "
                                     f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")

    def is_missing_partition(self, exc) -> bool:
        orig = getattr(exc, "orig", None)
        return getattr(orig, "sqlstate", None) == "23514" and "no partition" in str(orig)

    def add_position_days(self, conn, days) -> None:
        self._partition_ddl(conn, "worker_positions")
        for day in sorted(days):
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS worker_positions_p{day:%Y%m%d} PARTITION OF worker_positions "
                f"FOR VALUES FROM ('{day.isoformat()} 00:00+00') TO ('{(day + timedelta(days=1)).isoformat()} 00:00+00')")

    def drop_positions_before(self, conn, day) -> int:
        self._partition_ddl(conn, "worker_positions")
        old = sorted(d for d in self.position_days(conn) if d < day)
        for d in old:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS worker_positions_p{d:%Y%m%d}")
        return len(old)

    def reset_sequences(self, conn, tables) -> None:
        for table in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
            )

    def after_bulk_load(self, conn, table=None) -> None:
        if table is not None:
            conn.exec_driver_sql(f"ANALYZE {table.name}")
            return
        # VACUUM sets the visibility map, without which the KPI indexes cannot be index-only scans; the rollups
        # need fresh statistics too (with stale ones a district-year's breakdown read took 95 ms instead of 21).
        conn.exec_driver_sql("VACUUM (ANALYZE) appeals, appeal_events, appeal_keys, worker_positions, "
                             "kpi_rollup, mix_rollup, arrival_rollup, heat_rollup")


def backend_for(url: str) -> Backend:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        return SqliteBackend()
    if scheme in ("postgresql", "postgres"):
        return PostgisBackend()
    raise ValueError(f"不支持的数据库 URL：{scheme}://…（支持 sqlite:/// 与 postgresql+psycopg://）")


def _instant_columns(table: sa.Table, frame: pd.DataFrame) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, Instant) and c.name in frame.columns]


def _to_sqlite_values(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Instants → Unix seconds, NaN/NaT → None, numpy scalars → Python ones."""
    frame = frame.copy()
    for name in _instant_columns(table, frame):
        col = pd.to_datetime(frame[name], utc=True)
        frame[name] = _seconds(col).astype(object).where(col.notna(), None)
    return frame.astype(object).where(frame.notna(), None)


def _seconds(col: pd.Series) -> pd.Series:
    return (col - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)


def _to_postgres_text(table: sa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for name in _instant_columns(table, frame):
        col = pd.to_datetime(frame[name], utc=True).dt.floor("s")
        frame[name] = col.dt.strftime("%Y-%m-%d %H:%M:%S+00").where(col.notna(), None)
    for column in table.columns:
        if column.name in frame.columns and isinstance(column.type, sa.Boolean):
            frame[column.name] = frame[column.name].map({True: "t", False: "f"}, na_action="ignore")
    return frame
