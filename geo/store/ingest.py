"""The store's live side: ingest writes, workflow events, worker pings, dead letters, API keys.

Kept apart from :mod:`geo.store.store` (the read side and bulk loads) as a
mixin of :class:`~geo.store.store.Store`, so each file stays readable. Payloads
arrive already validated (:mod:`geo.ingest`); what is checked here is what
only the database knows: does the appeal or worker exist, which status is it
in now, was this item seen before.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo import clock, kpis, workflow
from geo.access import SYSTEM, Viewer
from geo.privacy import masked_appeal
from geo.scope import NO_FILTERS, Filters, Scope, Window
from geo.store import rollups
from geo.store import schema as t
from geo.store.errors import NotFound

ROLES = ("writer", "admin")
#: Columns the live ticker shows; no personal data, no coordinates, and the title redacted.
TICKER_COLUMNS = ("id", "accepted_at", "street_code", "category", "title")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _storable(text: str | None) -> str | None:
    """Text every backend can store: NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8) as JSON escapes.

    A dead letter is kept as the sender sent it, so it may hold what validation
    refuses; inside a JSON string the escapes decode to the same characters, so
    a replay is refused again for the same reason.
    """
    if text is None:
        return None
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


class IngestMixin:
    """Methods of :class:`Store` that the ingest API and the live dashboard use."""

    # -- appeals ---------------------------------------------------------------

    def ingest_appeals(self, records: list[dict]) -> list[tuple[int, bool]]:
        """Writes validated appeals in one transaction; (id, created) per record.

        Idempotent on (source, source_ref): a retried record returns the id it
        got the first time, with created False. Points within the validation
        margin but outside every grid go to the nearest grid. An appeal of a
        month the store has no room for yet gets it (a partition) and is retried.
        """
        if not records:
            return []
        try:
            return self._ingest_appeals(records)
        except sa.exc.IntegrityError as exc:
            if not self.backend.is_missing_partition(exc):
                raise
            self.make_room_for_appeals([r["accepted_at"] for r in records])
            return self._ingest_appeals(records)

    def _ingest_appeals(self, records: list[dict]) -> list[tuple[int, bool]]:
        index = self.grid_index()
        lon = np.array([r["lon"] for r in records], dtype=float)
        lat = np.array([r["lat"] for r in records], dtype=float)
        keys = [(r["source"], r["source_ref"]) for r in records]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}  # a repeat within the batch: "existing"
        columns = [c for c in t.appeals.c.keys() if c != "id"]  # noqa: SIM118 - column names
        # No table lock: ids come from the sequence, and appeal_keys holds (source, source_ref) once, so concurrent
        # writers of different appeals go on side by side and a race on the same key leaves one row, found below.
        with self.connect(write=True) as conn:
            found = self.backend.locate(conn, index, lon, lat)
            off = found < 0
            if off.any():
                found[off] = index.nearest(lon[off], lat[off])
            # In key order, so two batches that share appeals lock them in the same order (no deadlock).
            keep = sorted(first.values(), key=lambda i: keys[i])
            if len(keep) == 1:  # the common live case: one appeal, one statement, no frame
                i, g = keep[0], found[keep[0]]
                row = kpis.derive_appeal_record({c: records[i].get(c) for c in columns}
                                                | {"grid_code": index.codes[g],
                                                   "community_code": index.community_codes[g],
                                                   "street_code": index.street_codes[g]})
                one = self.backend.insert_new_appeal(conn, t.appeals, t.appeal_keys, {c: row[c] for c in columns})
                inserted = [one] if one else []
            else:
                frame = pd.DataFrame.from_records([records[i] for i in keep])
                for column in columns:
                    if column not in frame:
                        frame[column] = None
                frame["grid_code"] = index.codes[found[keep]]
                frame["community_code"] = index.community_codes[found[keep]]
                frame["street_code"] = index.street_codes[found[keep]]
                kpis.derive_appeal_fields(frame)
                inserted = self.backend.insert_new_appeals(conn, t.appeals, t.appeal_keys, frame[columns])
            created = {(s, ref): appeal_id for appeal_id, s, ref in inserted}
            if created and len(keep) == 1:  # no frame unless it closed: building one costs more than the insert
                settled = rollups.contributions(pd.DataFrame([row])) if row["closed_at"] is not None else {}
                rollups.add(conn, self.backend, {**settled, **rollups.arrivals({c: [row[c]] for c in row})})
            elif created:
                fresh = frame[[key in created for key in zip(frame["source"], frame["source_ref"], strict=True)]]
                rollups.add(conn, self.backend, {**rollups.contributions(fresh), **rollups.arrivals(fresh)})
            ids = {**self._existing_ids(conn, [k for k in first if k not in created]), **created}
            if created:
                self.set_meta(conn, "data_version", uuid.uuid4().hex)
        return [(int(ids[key]), key in created and first[key] == i) for i, key in enumerate(keys)]

    def latest_appeals(self, scope: Scope, window: Window | None = None, filters: Filters = NO_FILTERS,
                       limit: int = 10, *, viewer: Viewer) -> list[dict]:
        """The newest appeals of a view (scope, window, filters) for the ticker: no reporter, the title redacted."""
        self.authorize(scope, viewer)
        a = t.appeals
        query = sa.select(*(a.c[c] for c in TICKER_COLUMNS)).where(*self._appeal_conditions(scope, window, filters))
        with self.connect(replica=True) as conn:
            rows = conn.execute(query.order_by(a.c.accepted_at.desc(), a.c.id.desc()).limit(limit)).all()
        return [masked_appeal({**r._mapping, "accepted_at": r.accepted_at.astimezone(UTC).isoformat()},
                              viewer.coarse_coordinates) for r in rows]

    # -- workflow events -------------------------------------------------------

    def add_event(self, appeal_id: int, event: dict, viewer: Viewer = SYSTEM) -> dict:
        """Applies one workflow event if the workflow allows it; returns the appeal's new state.

        ``event`` has ``to_status``, ``at`` (UTC; default now), ``actor`` and
        optionally ``handling_level``, ``department``, ``note``, ``resolved``, ``satisfaction``, ``reopen``, ``ref``.
        An event whose ``ref`` was applied before is not applied again.
        """
        a, e = t.appeals, t.appeal_events
        at = event.get("at")
        with self.connect(write=True) as conn:
            self.backend.lock_for_update(conn)
            row = conn.execute(self.backend.lock_row(sa.select(a).where(a.c.id == appeal_id))).first()
            if row is None:
                raise NotFound(f"未找到诉求：{appeal_id}")
            self.authorize(Scope("grid", row.grid_code), viewer)
            ref = event.get("ref")
            if ref:
                seen = conn.execute(sa.select(e.c.seq).where(e.c.appeal_id == appeal_id, e.c.ref == ref,
                                                             e.c.accepted_at == row.accepted_at)).first()
                if seen:
                    return {"appeal_id": appeal_id, "seq": seen.seq, "status": row.status,
                            "handling_level": row.handling_level,
                            "duplicate": True}
            handling_level = workflow.check(row.status, row.handling_level, event["to_status"],
                                            event.get("handling_level"), event.get("reopen", False))
            # The events' partition key (the appeal's accepted_at) in every condition: one month's index is read.
            last = conn.execute(sa.select(sa.func.max(e.c.at), sa.func.max(e.c.seq))
                                .where(e.c.appeal_id == appeal_id, e.c.accepted_at == row.accepted_at)).one()
            latest = max(x for x in (last[0], row.accepted_at) if x is not None)
            # Without a time the event is "now", but never before the last one (which may carry allowed clock skew).
            at = at or max(clock.now(), latest)
            if at < latest:
                raise workflow.TransitionRefused(
                    f"事件时间 {at.isoformat()} 早于该诉求上一事件的时间 {latest.isoformat()}"
                )
            changes = _event_changes(row, event["to_status"], handling_level, at, event)
            conn.execute(a.update().where(a.c.id == appeal_id).values(**changes))
            # A closing event adds the appeal to the KPI rollup, a reopening takes it out (a closed appeal changes
            # in no other way, but the rule does not rely on that); a new status or level moves it in the bars'.
            before, after = dict(row._mapping), {**row._mapping, **changes}
            if before["closed_at"] is not None:
                rollups.add(conn, self.backend, rollups.contributions(pd.DataFrame([before])), sign=-1)
            if after["closed_at"] is not None:
                rollups.add(conn, self.backend, rollups.contributions(pd.DataFrame([after])))
            rollups.add(conn, self.backend, rollups.moves(before, after))
            seq = (last[1] if last[1] is not None else -1) + 1
            conn.execute(e.insert().values(appeal_id=appeal_id, accepted_at=row.accepted_at, seq=seq,
                                           from_status=row.status,
                                           to_status=event["to_status"], at=at, handling_level=handling_level,
                                           actor=event["actor"], department=event.get("department"),
                                           note=event.get("note"), ref=ref))
            self.set_meta(conn, "data_version", uuid.uuid4().hex)
        return {"appeal_id": appeal_id, "seq": seq, "status": event["to_status"], "handling_level": handling_level,
                "duplicate": False}

    # -- worker positions ------------------------------------------------------

    def record_positions(self, pings: list[dict]) -> list[str | None]:
        """Appends worker pings and moves each worker's latest position; per ping None or the reason it was refused."""
        if not pings:
            return []
        try:
            return self._record_positions(pings)
        except sa.exc.IntegrityError:  # a ping's day was dropped by the housekeeping meanwhile: make room, once more
            return self._record_positions(pings)

    def _record_positions(self, pings: list[dict]) -> list[str | None]:
        w, p, latest = t.workers, t.worker_positions, t.worker_latest
        self.make_room_for_positions({ping["at"] for ping in pings})
        with self.connect(write=True) as conn:
            ids = sorted({ping["worker_id"] for ping in pings})
            known = {r[0] for r in conn.execute(sa.select(w.c.id).where(w.c.id.in_(ids)))}
            results = [None if ping["worker_id"] in known else f"worker_id: 未知的网格员 {ping['worker_id']!r}"
                       for ping in pings]
            rows = [{k: ping[k] for k in ("worker_id", "at", "lon", "lat", "status")}
                    for ping, result in zip(pings, results, strict=True) if result is None]
            if rows:
                conn.execute(p.insert(), rows)
                newest: dict[str, dict] = {}
                for r in rows:
                    if r["worker_id"] not in newest or r["at"] > newest[r["worker_id"]]["at"]:
                        newest[r["worker_id"]] = r
                upsert = self.backend.insert(latest)
                upsert = upsert.on_conflict_do_update(
                    index_elements=[latest.c.worker_id],
                    set_={c: upsert.excluded[c] for c in ("at", "lon", "lat", "status")},
                    where=latest.c.at < upsert.excluded.at,
                )
                conn.execute(upsert, list(newest.values()))
                self.set_meta(conn, "positions_version", uuid.uuid4().hex)
        return results

    def make_room_for_appeals(self, instants) -> None:
        """Before appeals accepted at these instants are written: their months exist (PostGIS: a partition of
        appeals and of appeal_events each, made in a short transaction of its own)."""
        # To the hour: fewer values to send, and no local month starts within an hour (whole-hour UTC offsets).
        hours = pd.to_datetime(pd.Series(list(instants), dtype=object), utc=True).dt.floor("h").dropna().unique()
        instants = [pd.Timestamp(h).to_pydatetime() for h in sorted(hours)]
        if instants:
            with self.connect(write=True) as conn:
                self.backend.add_appeal_months(conn, instants)

    def make_room_for_positions(self, instants) -> None:
        """Before positions at these instants are written: their UTC days exist (PostGIS: a partition each,
        made in a short transaction of its own so the writes never wait on it)."""
        days = {pd.Timestamp(at).tz_convert("UTC").date() for at in instants}
        if not days:
            return
        with self.connect() as conn:
            known = self.backend.position_days(conn)
        if known is None or days <= known:
            return
        with self.connect(write=True) as conn:
            self.backend.add_position_days(conn, days - known)

    def prune_positions(self, now: datetime, retention_days: int) -> int:
        """Drops position history older than ``retention_days`` whole UTC days before ``now`` (0: keep all), and
        makes room for the next two days; latest positions stay. Returns rows (SQLite) or days (PostGIS) dropped."""
        today = now.astimezone(UTC).date()
        self.make_room_for_positions(
            [datetime.combine(today + timedelta(days=d), time(), UTC) for d in range(3)])
        if retention_days <= 0:
            return 0
        with self.connect(write=True) as conn:
            return self.backend.drop_positions_before(conn, today - timedelta(days=retention_days))

    def positions_since(self, scope: Scope, since: datetime | None, viewer: Viewer) -> list[dict]:
        """Latest positions of the scope's workers that moved after ``since`` (all of them without it),
        masked and keyed like :meth:`workers` for this viewer."""
        self.resolve(scope, viewer)
        w, latest = t.workers, t.worker_latest
        query = (sa.select(w.c.id, w.c.name, w.c.type, w.c.grid_code, latest.c.at, latest.c.lon, latest.c.lat,
                           latest.c.status)
                 .select_from(w.join(latest, latest.c.worker_id == w.c.id))
                 .where(w.c.grid_code.startswith(scope.code)).order_by(w.c.id))
        if since is not None:
            query = query.where(latest.c.at > since)
        with self.connect(replica=True) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return self._workers_for(rows, viewer)[0]

    def live_versions(self) -> dict[str, str]:
        """Tokens that change on every appeal or position write: the dashboard polls these."""
        with self.connect(replica=True) as conn:
            rows = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)
                                     .where(t.meta.c.key.in_(("data_version", "positions_version")))).all())
        return {"data": rows.get("data_version", "0"), "positions": rows.get("positions_version", "0")}

    # -- dead letters ----------------------------------------------------------

    def file_dead_letters(self, endpoint: str, items: list[tuple[str, list[str]]], key_name: str | None) -> None:
        """Keeps rejected payloads verbatim with their reasons; the same payload is filed once."""
        if not items:
            return
        now = clock.now()
        endpoint, key_name = _storable(endpoint), _storable(key_name)
        rows = [{"received_at": now, "endpoint": endpoint, "payload": payload, "key_name": key_name,
                 "reasons": _storable(json.dumps(reasons, ensure_ascii=False)),
                 "payload_hash": hashlib.sha256(f"{endpoint}\n{payload}".encode()).hexdigest()}
                for payload, reasons in ((_storable(p), r) for p, r in items)]
        with self.connect(write=True) as conn:
            conn.execute(self.backend.insert(t.dead_letters).on_conflict_do_nothing(), rows)

    def dead_letters(self, limit: int = 100, offset: int = 0, pending: bool = True) -> dict:
        d = t.dead_letters
        conditions = [d.c.replayed_at.is_(None)] if pending else []
        with self.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(d).where(*conditions)).scalar()
            rows = conn.execute(sa.select(d).where(*conditions).order_by(d.c.id).limit(limit).offset(offset)).all()
        return {"total": total, "items": [_dead_letter(r) for r in rows]}

    def dead_letter(self, letter_id: int) -> dict:
        d = t.dead_letters
        with self.connect() as conn:
            row = conn.execute(sa.select(d).where(d.c.id == letter_id)).first()
        if row is None:
            raise NotFound(f"未找到死信：{letter_id}")
        return _dead_letter(row)

    def mark_replayed(self, letter_id: int, result: dict) -> None:
        d = t.dead_letters
        with self.connect(write=True) as conn:
            conn.execute(d.update().where(d.c.id == letter_id).values(
                replayed_at=clock.now(), replay_result=json.dumps(result, ensure_ascii=False)))

    # -- API keys --------------------------------------------------------------

    def create_api_key(self, name: str, role: str = "writer") -> str:
        """A new random key for ``name`` (shown once; only its hash is stored); ``role`` writer or admin."""
        if role not in ROLES:
            raise ValueError(f"未知的密钥角色 {role!r}，可选：{', '.join(ROLES)}")
        key = "zz_" + secrets.token_urlsafe(32)
        with self.connect(write=True) as conn:
            conn.execute(t.api_keys.delete().where(t.api_keys.c.name == name, t.api_keys.c.revoked_at.is_not(None)))
            exists = conn.execute(sa.select(t.api_keys.c.name).where(t.api_keys.c.name == name)).first()
            if exists:
                raise ValueError(f"已有名为 {name} 的密钥；请先吊销（api-key revoke {name}）")
            conn.execute(t.api_keys.insert().values(name=name, key_hash=_key_hash(key), role=role, created_at=clock.now()))
        return key

    def revoke_api_key(self, name: str) -> None:
        with self.connect(write=True) as conn:
            done = conn.execute(t.api_keys.update().where(t.api_keys.c.name == name, t.api_keys.c.revoked_at.is_(None))
                                .values(revoked_at=clock.now())).rowcount
        if not done:
            raise NotFound(f"没有名为 {name} 的有效密钥")

    def api_keys(self) -> list[dict]:
        k = t.api_keys
        with self.connect() as conn:
            rows = conn.execute(sa.select(k.c.name, k.c.role, k.c.created_at, k.c.revoked_at).order_by(k.c.name)).all()
        return [dict(r._mapping) for r in rows]

    def api_key_identity(self, key: str) -> tuple[str, str] | None:
        """(name, role) of a valid stored key, or None."""
        k = t.api_keys
        with self.connect() as conn:
            row = conn.execute(sa.select(k.c.name, k.c.role).where(k.c.key_hash == _key_hash(key),
                                                                   k.c.revoked_at.is_(None))).first()
        return (row.name, row.role) if row else None

    # -- public listings (Open311) ---------------------------------------------

    def find_appeals(self, ids: list[int] | None = None, start: datetime | None = None,
                     end: datetime | None = None, categories: tuple[str, ...] = (), statuses: tuple[str, ...] = (),
                     limit: int = 1000, *, viewer: Viewer) -> list[dict]:
        """Appeals by id, or accepted in [start, end] with these codes; newest first, at most ``limit``.

        For public listings such as Open311: no reporter is selected at all, the
        free text is redacted and the point rounded to about 100 m for every
        viewer. Each row carries its street and community names and ``updated_at``,
        the time of its latest workflow event (None while it has none).
        """
        a, e, s, c = t.appeals, t.appeal_events, t.streets, t.communities
        updated = (sa.select(sa.func.max(e.c.at))  # the events' partition key too: one month's index per appeal
                   .where(e.c.appeal_id == a.c.id, e.c.accepted_at == a.c.accepted_at).scalar_subquery())
        query = (sa.select(a.c.id, a.c.category, a.c.status, a.c.handling_level, a.c.title, a.c.description, a.c.lon,
                           a.c.lat, a.c.accepted_at, a.c.deadline, updated.label("updated_at"),
                           s.c.name.label("street_name"), c.c.name.label("community_name"))
                 .select_from(a.join(s, s.c.code == a.c.street_code).join(c, c.c.code == a.c.community_code)))
        self.authorize(viewer.scope, viewer)
        query = query.where(*self._appeal_conditions(viewer.scope, None, NO_FILTERS))
        if ids is not None:
            query = query.where(a.c.id.in_(ids))
        if start is not None:
            query = query.where(a.c.accepted_at >= start)
        if end is not None:
            query = query.where(a.c.accepted_at <= end)
        if categories:
            query = query.where(a.c.category.in_(categories))
        if statuses:
            query = query.where(a.c.status.in_(statuses))
        with self.connect() as conn:
            rows = conn.execute(query.order_by(a.c.accepted_at.desc(), a.c.id.desc()).limit(limit)).all()
        return [masked_appeal(dict(r._mapping), coarse_coordinates=True) for r in rows]


def _event_changes(row, to_status: str, handling_level: str, at: datetime, event: dict) -> dict:
    """The appeal columns an event sets; the KPI flags are derived again from the new stage times."""
    changes: dict = {"status": to_status, "handling_level": handling_level}
    stamp = workflow.STAMPS.get(to_status)
    first_only = to_status in ("dispatched", "in_progress")  # escalations and rework keep the first time
    if stamp and not (first_only and getattr(row, stamp) is not None):
        changes[stamp] = at
    if to_status == "visited":
        changes.update(resolved=event["resolved"], satisfaction=event.get("satisfaction"))
    if to_status == "in_progress" and row.status in ("visited", "closed"):
        # Rework after a visit, or a reopen: the earlier outcome no longer stands.
        changes.update(visited_at=None, resolved=None, satisfaction=None, closed_at=None)
    changes.update(kpis.appeal_kpi_flags({**row._mapping, **changes}))
    return changes


def _dead_letter(row) -> dict:
    item = dict(row._mapping)
    item["reasons"] = json.loads(item["reasons"])
    for key in ("received_at", "replayed_at"):
        if item[key] is not None:
            item[key] = item[key].astimezone(UTC).isoformat()
    item["replay_result"] = json.loads(item["replay_result"]) if item["replay_result"] else None
    del item["payload_hash"]
    return item
