"""Rollups: what they hold, how writes keep them, and which periods a window reads.

Two kinds, by what can still change:

- **Settled appeals' KPI sums** (``kpi_rollup``): a closed appeal's KPI contributions stop changing at its
  settling time (:func:`geo.kpis.settling`) unless it is reopened, so they are summed per unit and local day
  and month when it closes and taken out when it is reopened (:func:`contributions`). The KPIs' open appeals
  are read from ``appeals`` (covering partial indexes per scope level find them).
- **Every appeal, counted when it is written** (``arrival_rollup``, ``heat_rollup``, ``mix_rollup``): where
  and when an appeal arrived, and its kind, category and source, never change, so the trend's 受理 series,
  the heat cells and the breakdown bars count it once (:func:`arrivals`); its status and handling level
  change only by a workflow event, which moves it from the old value's row to the new one's
  (:func:`moves`). Those reads touch no appeal.

Every write path keeps them in the writer's own transaction, so a reader's single statement never sees the
rollups and the appeals disagree. Each rule is written once, in Python, for both backends.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from geo import kpis
from geo.domain import HEAT_CELL, HEAT_ORIGIN, HEAT_SHAPE, LOCAL_TZ
from geo.scope import Window
from geo.store import schema as t

DAY, MONTH = 1, 2
#: A unit's level in the rollups: 1 district, 2 street, 3 community, 4 grid.
LEVEL = {"district": 1, "street": 2, "community": 3, "grid": 4}
#: The appeal column that holds each level's unit code (the district is the street code's first six digits).
UNIT_COLUMN = {"street": "street_code", "community": "community_code", "grid": "grid_code"}
#: The KPI sums a rollup keeps: every one of :data:`geo.kpis.COUNT_NAMES` but 超期未办结, which a settled appeal
#: never is once settled.
SUMS = tuple(name for name in kpis.COUNT_NAMES if name != "overdue_open")
#: ``kpi_rollup``'s value columns: :data:`SUMS` and ``closed_here``.
KPI_VALUES = tuple(c.name for c in t.kpi_rollup.columns if not c.primary_key)
#: Breakdown dimensions (the panels' bars), rolled up for the district and its streets.
MIX_DIMS = ("kind", "category", "source", "status", "handling_level")
#: The breakdown dimensions an event may change.
CHANGING_DIMS = ("status", "handling_level")
MIX_LEVELS = ("district", "street")
EPOCH = date(1970, 1, 1)
#: Asia/Shanghai's fixed offset (geo.domain.LOCAL_TZ), for local days computed without a time-zone library.
LOCAL_OFFSET_SECONDS = int(LOCAL_TZ.utcoffset(None).total_seconds())


def day_number(day: date) -> int:
    """Days since 1970-01-01: how the rollups number a local day."""
    return (day - EPOCH).days


def settled_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """What each settled appeal adds to :data:`SUMS`: the raw KPI sums with every stage in the past."""
    visited = frame["resolved"].notna() & frame["visited_at"].notna()
    satisfaction = frame["satisfaction"]
    return pd.DataFrame({
        "accepted": 1,
        "closed": 1,
        "closed_on_time": frame["closed_on_time"].astype("int64"),
        "responded_on_time": ((frame["responded_on_time"] == 1) & frame["dispatched_at"].notna()).astype("int64"),
        "visited": visited.astype("int64"),
        "resolved": (visited & frame["resolved"].fillna(False).astype(bool)).astype("int64"),
        "rated": (visited & satisfaction.notna()).astype("int64"),
        "satisfied": (visited & satisfaction.isin(kpis.SATISFIED)).astype("int64"),
        "close_seconds": frame["close_seconds"].astype("int64"),
    }, index=frame.index)


def contributions(appeals: pd.DataFrame) -> dict[sa.Table, pd.DataFrame]:
    """``kpi_rollup`` rows (key columns and values) that the settled appeals among ``appeals`` add.

    ``appeals`` has the columns of the appeals table (derived fields included); open ones add nothing.
    """
    frame = appeals[appeals["closed_at"].notna()]
    for column in kpis.STAGE_TIMES:
        frame = frame.assign(**{column: pd.to_datetime(frame[column], utc=True)})
    if frame.empty:
        return {}
    accepted, closed = local_periods(frame["accepted_at"]), local_periods(frame["closed_at"])
    periods = {grain: (accepted[grain], closed[grain]) for grain in (DAY, MONTH)}
    units = _units(frame)
    measures = settled_measures(frame).reset_index(drop=True)
    kpi_parts = []
    for grain, (accepted_period, closed_period) in periods.items():
        for level, codes in units.items():
            key = {"level": LEVEL[level], "grain": grain, "unit_code": codes}
            kpi_parts.append(pd.DataFrame({**key, "period": accepted_period}).join(measures).assign(closed_here=0))
            kpi_parts.append(pd.DataFrame({**key, "period": closed_period, **{name: 0 for name in SUMS},
                                           "closed_here": 1}))
    return _summed({t.kpi_rollup: kpi_parts})


def arrivals(appeals) -> dict[sa.Table, pd.DataFrame | list[dict]]:
    """``arrival_rollup``, ``heat_rollup`` and ``mix_rollup`` rows that newly written ``appeals`` (open or
    not) add: one per unit, lattice cell or breakdown value, and period of 受理.

    ``appeals`` maps each of :data:`ARRIVAL_COLUMNS` to its values (a frame, or plain lists: a live appeal
    is written without building a frame, which cost ~10 times the insert).
    """
    if not len(appeals["accepted_at"]):
        return {}
    periods = local_periods(appeals["accepted_at"])
    units = _units(appeals)
    cols, rows = heat_cells(np.asarray(appeals["lon"], dtype=float), np.asarray(appeals["lat"], dtype=float))
    inside = cols >= 0
    arrival_parts, heat_parts = [], []
    for grain, period in periods.items():
        for level, codes in units.items():
            arrival_parts.append({"level": LEVEL[level], "grain": grain, "period": period, "unit_code": codes, "n": 1})
        heat_parts.append({"grain": grain, "period": period[inside], "street_code": units["street"][inside],
                           "col": cols[inside], "row": rows[inside], "n": 1})
    return {t.arrival_rollup: _summed_rows(t.arrival_rollup, arrival_parts),
            t.heat_rollup: _summed_rows(t.heat_rollup, heat_parts),
            t.mix_rollup: _summed_rows(t.mix_rollup, _marginals(appeals, MIX_DIMS, periods, units, 1))}


def moves(before: dict, after: dict) -> dict[sa.Table, pd.DataFrame | list[dict]]:
    """``mix_rollup`` rows that an event moving an appeal from ``before`` to ``after`` adds (its status or
    handling level changed: out of the old value's rows, into the new one's)."""
    changed = tuple(d for d in CHANGING_DIMS if before[d] != after[d])
    if not changed:
        return {}
    both = {c: [before[c], after[c]] for c in ("accepted_at", *UNIT_COLUMN.values(), *changed)}
    parts = _marginals(both, changed, local_periods(both["accepted_at"]), _units(both), np.array([-1, 1]))
    return {t.mix_rollup: _summed_rows(t.mix_rollup, parts)}


def local_periods(instants) -> dict[int, np.ndarray]:
    """The local day and month (as :func:`day_number`) of each instant, by grain: the one rule for every rollup."""
    seconds = pd.DatetimeIndex(pd.to_datetime(instants, utc=True)).as_unit("s").asi8
    days = (seconds + LOCAL_OFFSET_SECONDS) // 86_400
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype("int64")
    return {DAY: days, MONTH: months}


def _marginals(appeals, dims: tuple[str, ...], periods: dict[int, np.ndarray], units: dict[str, np.ndarray],
               n) -> list[dict]:
    """``mix_rollup`` columns adding ``n`` per appeal, level of :data:`MIX_LEVELS`, grain and dimension (unsummed)."""
    return [{"level": LEVEL[level], "unit_code": units[level], "grain": grain, "period": period,
             "dimension": dim, "value": np.asarray(appeals[dim], dtype=object), "n": n}
            for grain, period in periods.items() for level in MIX_LEVELS for dim in dims]


def _units(appeals) -> dict[str, np.ndarray]:
    """Each level's unit code per appeal (the district's is the street code's first six digits)."""
    codes = {level: np.asarray(appeals[column], dtype=object) for level, column in UNIT_COLUMN.items()}
    return {"district": np.array([code[:6] for code in codes["street"]], dtype=object), **codes}


def _summed(parts: dict[sa.Table, list[pd.DataFrame]]) -> dict[sa.Table, pd.DataFrame]:
    out = {}
    for table, frames in parts.items():
        if frames:
            rows = pd.concat(frames, ignore_index=True)
            out[table] = rows.groupby(key_columns(table), as_index=False, sort=True)[value_columns(table)].sum()
    return out


#: Up to this many unsummed rows, :func:`_summed_rows` sums in plain Python: a frame costs milliseconds.
SMALL_ROWS = 512


def _summed_rows(table: sa.Table, parts: list[dict]) -> pd.DataFrame | list[dict]:
    """Rows of ``table`` summed by key: ``parts`` hold columns (arrays, or scalars repeated for the part)."""
    keys, values = key_columns(table), value_columns(table)
    columns = {c: [] for c in keys + values}
    for part in parts:
        size = max((len(v) for v in part.values() if isinstance(v, np.ndarray)), default=1)
        for c in columns:
            v = part[c]
            columns[c].append(v if isinstance(v, np.ndarray) else np.full(size, v))
    merged = {c: np.concatenate(v) if v else np.array([]) for c, v in columns.items()}
    if len(merged[keys[0]]) > SMALL_ROWS:
        return pd.DataFrame(merged).groupby(keys, as_index=False, sort=True)[values].sum()
    totals: dict[tuple, list] = {}
    for row in zip(*(merged[c].tolist() for c in keys + values), strict=True):
        total = totals.setdefault(row[:len(keys)], [0] * len(values))
        for i, v in enumerate(row[len(keys):]):
            total[i] += v
    return [dict(zip(keys + values, (*k, *v), strict=True)) for k, v in sorted(totals.items())]


def key_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def value_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if not c.primary_key]


def heat_cells(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) of each point on the heat lattice; (-1, -1) outside it.

    The same float operations as the store's SQL (``floor((lon - x0) / cell)`` within
    ``x0 <= lon < x0 + nx * cell``), so rolled-up and raw counts land in the same cells.
    """
    (x0, y0), cell, (nx, ny) = HEAT_ORIGIN, HEAT_CELL, HEAT_SHAPE
    inside = (lon >= x0) & (lon < x0 + nx * cell) & (lat >= y0) & (lat < y0 + ny * cell)
    col = np.where(inside, np.floor((lon - x0) / cell), -1).astype("int64")
    row = np.where(inside, np.floor((lat - y0) / cell), -1).astype("int64")
    return col, row


def cells_inside(area: shapely.Geometry) -> np.ndarray:
    """True for lattice cells whose centre lies in ``area`` (e.g. the land, to clip the heat), shape (rows, cols)."""
    (x0, y0), cell, (nx, ny) = HEAT_ORIGIN, HEAT_CELL, HEAT_SHAPE
    gx, gy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell, y0 + (np.arange(ny) + 0.5) * cell)
    return shapely.contains_xy(area, gx, gy)


def add(conn: sa.Connection, backend, rows: dict[sa.Table, pd.DataFrame | list[dict]], sign: int = 1) -> None:
    """Adds (``sign`` 1) or takes out (-1) rollup rows (a frame, or records in key order), in key order so
    concurrent writers cannot deadlock."""
    for table, frame in rows.items():
        if len(frame):
            values = value_columns(table)
            if isinstance(frame, list):
                frame = [{**r, **{v: r[v] * sign for v in values}} for r in frame]
            else:
                frame = frame.assign(**{v: frame[v] * sign for v in values})
            backend.add_to(conn, table, frame, key_columns(table), values)


def spans(start: date, end: date) -> tuple[list[int], list[tuple[int, int]]]:
    """The rollup periods that make up the local days ``[start, end)``: the whole months inside
    (their first days' numbers) and the remaining ragged ends as ``[first, last)`` day-number ranges."""
    if start >= end:
        return [], []
    first_month = start if start.day == 1 else _next_month(start)
    months, day = [], first_month
    while _next_month(day) <= end:
        months.append(day_number(day))
        day = _next_month(day)
    if not months:
        return [], [(day_number(start), day_number(end))]
    ragged = [(day_number(start), day_number(first_month)), (day_number(day), day_number(end))]
    return months, [(a, b) for a, b in ragged if a < b]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def period_condition(table: sa.Table, start: date, end: date) -> sa.ColumnElement[bool]:
    """Rows of ``table`` whose periods tile the local days ``[start, end)`` exactly once."""
    months, ranges = spans(start, end)
    g, p = table.c.grain, table.c.period
    parts = [sa.and_(g == DAY, p >= a, p < b) for a, b in ranges]
    if months:
        parts.append(sa.and_(g == MONTH, p.in_(months)))
    return sa.or_(*parts) if parts else sa.false()


def period_template(table: sa.Table) -> sa.ColumnElement[bool]:
    """:func:`period_condition` with bind parameters (:func:`period_params`): the whole months an expanding
    list, the ragged ends two day ranges (empty when unused), so one statement serves every window."""
    g, p = table.c.grain, table.c.period
    ranges = [sa.and_(g == DAY, p >= sa.bindparam(f"days_from_{i}"), p < sa.bindparam(f"days_to_{i}")) for i in (1, 2)]
    return sa.or_(*ranges, sa.and_(g == MONTH, p.in_(sa.bindparam("months", expanding=True))))


def period_params(start: date, end: date) -> dict:
    """The values of :func:`period_template`'s parameters for the local days ``[start, end)``."""
    months, ranges = spans(start, end)
    (a1, b1), (a2, b2) = [*ranges, (0, 0), (0, 0)][:2]
    return {"months": months, "days_from_1": a1, "days_to_1": b1, "days_from_2": a2, "days_to_2": b2}


def covered_days(window: Window, cutoff: date) -> tuple[date, date]:
    """The part of the window's days the rollups may answer: those before ``cutoff`` (the day of the
    view's as-of), whose settled appeals cannot have changed since."""
    return window.start, max(window.start, min(window.end, cutoff))


#: The appeal columns :func:`contributions` reads.
INPUT_COLUMNS = ("id", *kpis.STAGE_TIMES, "street_code", "community_code", "grid_code", "resolved", "satisfaction",
                 "responded_on_time", "closed_on_time", "close_seconds")
#: The appeal columns :func:`arrivals` reads.
ARRIVAL_COLUMNS = ("id", "accepted_at", "street_code", "community_code", "grid_code", "lon", "lat", *MIX_DIMS)


def rebuild(conn: sa.Connection, backend, chunk_size: int = 200_000) -> int:
    """Recomputes every appeal's settling time and all rollups from the appeals (the reference the
    tests compare the incrementally kept rollups with); returns the settled appeals counted."""
    settled = rebuild_settled(conn, backend, chunk_size)
    rebuild_arrivals(conn, backend, chunk_size)
    return settled


def rebuild_settled(conn: sa.Connection, backend, chunk_size: int = 200_000) -> int:
    """Recomputes every appeal's settling time and ``kpi_rollup`` (migration 0010's backfill); returns the
    settled appeals counted."""
    settled = 0
    conn.execute(t.kpi_rollup.delete())
    for frame in appeal_frames(conn, INPUT_COLUMNS, chunk_size=chunk_size):
        for column in kpis.STAGE_TIMES:
            frame[column] = pd.to_datetime(frame[column], utc=True)
        frame["settled_at"], frame["settle_class"] = kpis.settling(*(frame[c] for c in kpis.SETTLE_INPUTS))
        done = frame[frame["settled_at"].notna()]
        _write_settling(conn, backend, done[["id", "settled_at", "settle_class"]])
        add(conn, backend, contributions(done))
        settled += len(done)
    return settled


def rebuild_arrivals(conn: sa.Connection, backend, chunk_size: int = 200_000) -> None:
    """Recomputes ``arrival_rollup``, ``heat_rollup`` and ``mix_rollup`` from every appeal (migration 0013's
    backfill)."""
    for table in (t.arrival_rollup, t.heat_rollup, t.mix_rollup):
        conn.execute(table.delete())
    for frame in appeal_frames(conn, ARRIVAL_COLUMNS, chunk_size=chunk_size):
        add(conn, backend, arrivals(frame))


def appeal_frames(conn: sa.Connection, columns: tuple[str, ...], condition=None, chunk_size: int = 200_000):
    """The appeals meeting ``condition`` (all without one), their ``columns`` in frames of ``chunk_size``, by id
    (a backfill's read)."""
    a = t.appeals
    last_id = 0
    where = [] if condition is None else [condition]
    while rows := conn.execute(sa.select(*(a.c[c] for c in columns)).where(*where, a.c.id > last_id)
                               .order_by(a.c.id).limit(chunk_size)).all():
        last_id = rows[-1].id
        yield pd.DataFrame(rows, columns=list(columns))


def _write_settling(conn: sa.Connection, backend, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    conn.exec_driver_sql("CREATE TEMP TABLE appeals_settling AS SELECT id, settled_at, settle_class FROM appeals "
                         "WHERE 1 = 0")
    backend.copy_rows(conn, t.appeals, frame, into="appeals_settling")
    conn.exec_driver_sql("UPDATE appeals SET settled_at = s.settled_at, settle_class = s.settle_class "
                         "FROM appeals_settling AS s WHERE appeals.id = s.id")
    conn.exec_driver_sql("DROP TABLE appeals_settling")
