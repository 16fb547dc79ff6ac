"""The store's side of the 未诉先办 analysis: the counts it reads, the results it keeps, the list people edit.

A mixin of :class:`~geo.store.store.Store`. The job reads grouped counts
(never raw appeals, except the recent ones the repeat finder compares), writes
one run's results in one transaction, and every read takes the viewer and goes
through :meth:`Store.authorize` like every other read.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from geo import clock
from geo.access import Viewer
from geo.analysis import proactive
from geo.domain import LOCAL_TZ
from geo.privacy import redact_text
from geo.scope import Scope
from geo.store import schema as t
from geo.store.errors import Conflict, Forbidden, NotFound

_EPOCH = date(1970, 1, 1)
#: How long a run may hold the lock before another process may take it over (a crashed run).
LOCK_SECONDS = 30 * 60


class AnalysisMixin:
    """Analysis inputs, results and the proactive list; mixed into Store, which provides connect()."""

    # -- inputs (grouped in SQL) ------------------------------------------------

    def problem_counts(self, end: date, weeks: int) -> pd.DataFrame:
        """Distinct problems (reporter and title) per grid, category and 7-day bin before ``end``: ``weeks_back`` 0 is the last.

        The same as :func:`geo.analysis.hotspots.problem_counts` on the raw rows, grouped in SQL.
        """
        a = t.appeals
        first = end - timedelta(days=7 * weeks)
        day = self.backend.day_number(a.c.accepted_at)
        back = ((end - _EPOCH).days - 1 - day) // 7
        query = (
            sa.select(a.c.grid_code, a.c.category, back.label("weeks_back"),
                      sa.func.count(sa.distinct(sa.func.coalesce(a.c.reporter_phone, "") + "|" + a.c.title))
                      .label("count"))
            .where(a.c.accepted_at >= _local_midnight(first), a.c.accepted_at < _local_midnight(end))
            .group_by(a.c.grid_code, a.c.category, back)
        )
        with self.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(rows, columns=["grid_code", "category", "weeks_back", "count"])

    def weekly_counts(self, end: date, weeks: int) -> pd.DataFrame:
        """Appeals per street, category and Monday-to-Sunday week, for the ``weeks`` whole weeks before ``end``."""
        a = t.appeals
        last_monday = end - timedelta(days=end.weekday())
        first = last_monday - timedelta(days=7 * weeks)
        # 1970-01-01 was a Thursday: shift by three days so weeks start on Monday.
        week = (self.backend.day_number(a.c.accepted_at) + 3) // 7
        query = (
            sa.select(a.c.street_code, a.c.category, week.label("week"), sa.func.count().label("count"))
            .where(a.c.accepted_at >= _local_midnight(first), a.c.accepted_at < _local_midnight(last_monday))
            .group_by(a.c.street_code, a.c.category, week)
        )
        with self.connect() as conn:
            rows = conn.execute(query).all()
        frame = pd.DataFrame(rows, columns=["street_code", "category", "week", "count"])
        frame["week"] = [_EPOCH + timedelta(days=int(w) * 7 - 3) for w in frame["week"]]
        return frame

    def recent_appeals(self, start: datetime, end: datetime) -> pd.DataFrame:
        """The appeals the repeat finder compares: place, time and text (titles and descriptions redacted)."""
        a = t.appeals
        query = sa.select(a.c.id, a.c.category, a.c.grid_code, a.c.community_code, a.c.street_code, a.c.lon,
                          a.c.lat, a.c.accepted_at, a.c.title, a.c.description) \
            .where(a.c.accepted_at >= start, a.c.accepted_at < end).order_by(a.c.id)
        with self.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=[c.name for c in query.selected_columns])
        for column in ("title", "description"):
            frame[column] = [redact_text(text) for text in frame[column]]
        return frame

    def key_population_totals(self) -> dict[str, int]:
        """True key-population counts per grid; only the job uses them, to weigh expectations (never published)."""
        kp = t.key_population
        with self.connect() as conn:
            rows = conn.execute(sa.select(kp.c.grid_code, sa.func.sum(kp.c.count)).group_by(kp.c.grid_code)).all()
        return {code: int(n) for code, n in rows}

    # -- one run at a time -------------------------------------------------------

    def acquire_lock(self, name: str, holder: str, seconds: int = LOCK_SECONDS) -> bool:
        """Takes the job's lock row unless another holder has it and it has not expired."""
        lock = t.analysis_lock
        now = clock.now()
        with self.connect(write=True) as conn:
            self.backend.lock_for_update(conn)
            row = conn.execute(self.backend.lock_row(sa.select(lock.c.holder, lock.c.expires_at)
                                                     .where(lock.c.name == name))).first()
            if row is not None and row.holder != holder and row.expires_at > now:
                return False
            values = {"holder": holder, "expires_at": now + timedelta(seconds=seconds)}
            if row is None:
                # RETURNING, not rowcount: psycopg reports -1 rows for INSERT … ON CONFLICT DO NOTHING here.
                inserted = conn.execute(self.backend.insert(lock).values(name=name, **values)
                                        .on_conflict_do_nothing().returning(lock.c.name))
                return inserted.first() is not None
            conn.execute(lock.update().where(lock.c.name == name).values(**values))
            return True

    def release_lock(self, name: str, holder: str) -> None:
        with self.connect(write=True) as conn:
            conn.execute(t.analysis_lock.delete().where(t.analysis_lock.c.name == name,
                                                        t.analysis_lock.c.holder == holder))

    # -- results ---------------------------------------------------------------

    def begin_run(self, as_of: datetime) -> int:
        with self.connect(write=True) as conn:
            return int(conn.execute(t.analysis_runs.insert().values(
                as_of=as_of, started_at=clock.now(), status="running")).inserted_primary_key[0])

    def finish_run(self, run_id: int, status: str, summary: dict) -> None:
        with self.connect(write=True) as conn:
            conn.execute(t.analysis_runs.update().where(t.analysis_runs.c.id == run_id).values(
                status=status, finished_at=clock.now(), summary=json.dumps(summary, ensure_ascii=False, default=str)))

    def save_results(self, run_id: int, hotspots: list[dict], forecasts: pd.DataFrame, repeats: list[dict],
                     signals: list[dict]) -> list[int]:
        """Writes one run's detections in one transaction; returns the hotspots' ids in order."""
        ids = []
        with self.connect(write=True) as conn:
            for hotspot in hotspots:
                grids = hotspot.pop("grid_rows")
                hotspot_id = conn.execute(t.hotspots.insert().values(run_id=run_id, **hotspot)).inserted_primary_key[0]
                ids.append(int(hotspot_id))
                if grids:
                    conn.execute(t.hotspot_grids.insert(), [{"hotspot_id": hotspot_id, **g} for g in grids])
            if len(forecasts):
                rows = forecasts.assign(run_id=run_id).to_dict("records")
                conn.execute(t.forecasts.insert(), [{k: _plain(v) for k, v in row.items()} for row in rows])
            if repeats:
                conn.execute(t.repeat_groups.insert(), [{"run_id": run_id, **r} for r in repeats])
            if signals:
                conn.execute(t.key_population_signals.insert(), [{"run_id": run_id, **s} for s in signals])
        return ids

    def latest_run(self, as_of: datetime | None = None) -> dict | None:
        """The newest finished run (computed for ``as_of`` or before, to reproduce a past list)."""
        r = t.analysis_runs
        query = sa.select(r.c.id, r.c.as_of, r.c.started_at, r.c.finished_at, r.c.summary).where(r.c.status == "done")
        if as_of is not None:
            query = query.where(r.c.as_of <= as_of)
        with self.connect() as conn:
            row = conn.execute(query.order_by(r.c.as_of.desc(), r.c.id.desc()).limit(1)).first()
        if row is None:
            return None
        return {"id": int(row.id), "as_of": row.as_of, "started_at": row.started_at, "finished_at": row.finished_at,
                "summary": json.loads(row.summary or "{}")}

    def hotspots(self, scope: Scope, viewer: Viewer, category: str | None = None,
                 run_id: int | None = None) -> list[dict]:
        """The run's hotspots touching ``scope``, each with only the grids inside it and their sums."""
        self.authorize(scope, viewer)
        if run_id is None:
            return []
        h, g = t.hotspots, t.hotspot_grids
        query = (
            sa.select(h.c.id, h.c.category, h.c.pattern, h.c.score, h.c.significance, h.c.start_day, h.c.street_code,
                      h.c.community_code, g.c.grid_code, g.c.hot, g.c.pattern.label("grid_pattern"), g.c.z,
                      g.c.observed, g.c.expected)
            .select_from(h.join(g, g.c.hotspot_id == h.c.id))
            .where(h.c.run_id == run_id, g.c.grid_code.startswith(scope.code))
            .order_by(h.c.score.desc(), h.c.id, g.c.grid_code)
        )
        if category:
            query = query.where(h.c.category == category)
        out: dict[int, dict] = {}
        with self.connect() as conn:
            for row in conn.execute(query):
                item = out.setdefault(int(row.id), {
                    "id": int(row.id), "category": row.category, "pattern": row.pattern, "score": row.score,
                    "significance": row.significance, "start": row.start_day.isoformat(),
                    "street_code": row.street_code, "community_code": row.community_code,
                    "grid_codes": [], "observed": 0, "expected": 0.0, "grids": [],
                })
                if row.hot:
                    item["grid_codes"].append(row.grid_code)
                item["observed"] += int(row.observed)
                item["expected"] += float(row.expected)
                item["grids"].append({"grid_code": row.grid_code, "hot": bool(row.hot), "pattern": row.grid_pattern,
                                      "z": row.z, "observed": int(row.observed), "expected": row.expected})
        return [item for item in out.values() if item["grid_codes"]]

    def forecasts(self, scope: Scope, viewer: Viewer, category: str | None, run_id: int | None) -> list[dict]:
        """Weekly actuals and forecasts of the scope's street (or the district), one category or all."""
        self.authorize(scope, viewer)
        if run_id is None or scope.level not in ("district", "street"):
            return []
        f = t.forecasts
        query = sa.select(f).where(f.c.run_id == run_id, f.c.unit_code == scope.code).order_by(f.c.category, f.c.week)
        if category:
            query = query.where(f.c.category == category)
        with self.connect() as conn:
            return [{**row._mapping, "week": row.week.isoformat()} for row in conn.execute(query)]

    def repeat_groups(self, scope: Scope, viewer: Viewer, run_id: int | None, limit: int = 50) -> list[dict]:
        self.authorize(scope, viewer)
        if run_id is None:
            return []
        r = t.repeat_groups
        query = (sa.select(r).where(r.c.run_id == run_id, r.c.grid_code.startswith(scope.code))
                 .order_by(r.c.count.desc(), r.c.id).limit(limit))
        with self.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        for row in rows:
            row["appeal_ids"] = json.loads(row["appeal_ids"])
            row["first_at"], row["last_at"] = row["first_at"].isoformat(), row["last_at"].isoformat()
        return rows

    def key_population_signals(self, scope: Scope, viewer: Viewer, run_id: int | None) -> list[dict]:
        self.authorize(scope, viewer)
        if run_id is None:
            return []
        k = t.key_population_signals
        query = (sa.select(k.c.grid_code, k.c.observed, k.c.expected, k.c.significance)
                 .where(k.c.run_id == run_id, k.c.grid_code.startswith(scope.code)).order_by(k.c.significance))
        with self.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- the proactive list ------------------------------------------------------

    def file_proactive_items(self, run_id: int, as_of: datetime, candidates: list[proactive.Candidate]) -> dict:
        """Files new items, or updates the open item each candidate matches; returns counts of both."""
        p = t.proactive_items
        now = clock.now()
        created = updated = 0
        with self.connect(write=True) as conn:
            self.backend.lock_for_update(conn)
            for c in candidates:
                values = {"title": c.title, "basis": c.basis, "score": c.score, "run_id": run_id, "as_of": as_of,
                          "updated_at": now, "evidence": json.dumps(c.evidence, ensure_ascii=False, default=str)}
                existing = conn.execute(sa.select(p.c.id).where(
                    p.c.match_key == c.match_key, p.c.status.in_(proactive.OPEN_STATUSES)).order_by(p.c.id)).first()
                if existing is not None:
                    conn.execute(p.update().where(p.c.id == existing.id).values(**values))
                    updated += 1
                    continue
                item_id = conn.execute(p.insert().values(
                    category=c.category, level=c.level, scope_code=c.scope_code, street_code=c.street_code,
                    community_code=c.community_code, kind=c.kind, match_key=c.match_key, department=c.department,
                    status="pending", created_at=now, **values)).inserted_primary_key[0]
                conn.execute(t.proactive_item_history.insert().values(
                    item_id=item_id, at=now, actor="system", role=None, from_status=None, to_status="pending",
                    reason="由分析任务生成"))
                created += 1
        return {"created": created, "updated": updated}

    def proactive_items(self, scope: Scope, viewer: Viewer, status: str | None = None,
                        category: str | None = None, limit: int = 200) -> list[dict]:
        """The lists of ``scope`` and the units inside it: open items first, then by kind (hotspots, key-population
        signals, forecasts, repeats: :data:`geo.analysis.proactive.KINDS`), strongest first."""
        self.authorize(scope, viewer)
        p = t.proactive_items
        query = sa.select(p).where(p.c.scope_code.startswith(scope.code))
        if status:
            query = query.where(p.c.status.in_(status.split(",")))
        if category:
            query = query.where(p.c.category == category)
        kind_rank = sa.case(*((p.c.kind == kind, rank) for rank, kind in enumerate(proactive.KINDS)), else_=len(proactive.KINDS))
        query = query.order_by(sa.case((p.c.status.in_(proactive.OPEN_STATUSES), 0), else_=1), kind_rank,
                               p.c.score.desc(), p.c.id.desc()).limit(limit)
        with self.connect() as conn:
            return [_item(row) for row in conn.execute(query)]

    def proactive_item(self, item_id: int, viewer: Viewer) -> dict:
        """One item with its history of changes."""
        p, hist = t.proactive_items, t.proactive_item_history
        with self.connect() as conn:
            row = conn.execute(sa.select(p).where(p.c.id == item_id)).first()
            if row is None:
                raise NotFound(f"未找到未诉先办事项：{item_id}")
            self.authorize(_item_scope(row), viewer)
            history = [{**h._mapping, "at": h.at.isoformat()} for h in conn.execute(
                sa.select(hist.c.at, hist.c.actor, hist.c.role, hist.c.from_status, hist.c.to_status, hist.c.reason)
                .where(hist.c.item_id == item_id).order_by(hist.c.id))]
        return {**_item(row), "history": history}

    def change_proactive_item(self, item_id: int, viewer: Viewer, to_status: str, reason: str | None = None) -> dict:
        """Moves an item on (研判、派发、处置、化解、不采纳), if the viewer's role and unit allow; audited."""
        p = t.proactive_items
        reason = (reason or "").strip()[:500] or None
        with self.connect(write=True) as conn:
            self.backend.lock_for_update(conn)
            row = conn.execute(self.backend.lock_row(sa.select(p).where(p.c.id == item_id))).first()
            if row is None:
                raise NotFound(f"未找到未诉先办事项：{item_id}")
            self.authorize(_item_scope(row), viewer)
            try:
                proactive.check_transition(viewer, row._mapping, to_status, reason)
            except proactive.NotPermitted as exc:
                raise Forbidden(str(exc)) from exc
            except proactive.TransitionRefused as exc:
                raise Conflict(str(exc)) from exc
            now = clock.now()
            conn.execute(p.update().where(p.c.id == item_id).values(status=to_status, updated_at=now,
                                                                    reason=reason or row.reason))
            conn.execute(t.proactive_item_history.insert().values(
                item_id=item_id, at=now, actor=viewer.user[:64], role=viewer.role, from_status=row.status,
                to_status=to_status, reason=reason))
        self.record_audit(viewer.user, "proactive_item_changed", role=viewer.role, scope_code=row.scope_code,
                          detail={"item": item_id, "from": row.status, "to": to_status, "reason": reason})
        return self.proactive_item(item_id, viewer)

    def proactive_counts(self, scope: Scope, viewer: Viewer) -> dict[str, dict[str, int]]:
        """Open items per list level and status inside ``scope`` (for the wall)."""
        self.authorize(scope, viewer)
        p = t.proactive_items
        query = (sa.select(p.c.level, p.c.status, sa.func.count())
                 .where(p.c.scope_code.startswith(scope.code)).group_by(p.c.level, p.c.status))
        out: dict[str, dict[str, int]] = {}
        with self.connect() as conn:
            for level, status, n in conn.execute(query):
                out.setdefault(level, {})[status] = int(n)
        return out


def _item_scope(row) -> Scope:
    return Scope(row.level, row.scope_code)


def _item(row) -> dict:
    item = dict(row._mapping)
    item["evidence"] = json.loads(item.get("evidence") or "{}")
    for key in ("created_at", "due_at", "as_of", "updated_at"):
        if item.get(key) is not None:
            item[key] = item[key].isoformat()
    item["status_label"] = proactive.STATUSES.get(item["status"], item["status"])
    item["kind_label"] = proactive.KINDS.get(item["kind"], item["kind"])
    item.pop("match_key", None)
    return item


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _plain(value):
    """NumPy scalars and NaN as the database drivers want them."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
