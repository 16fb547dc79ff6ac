"""Synthetic live traffic for the ingest API: new appeals, their workflow, and grid workers' GPS pings.

``python app.py simulate`` drives a running server through its public HTTP
API only (never the database), so what it exercises is exactly what the
hotline, the WeChat account and the workers' phones hit. The traffic is made
from the demo generator (:mod:`geo.demo`), so it looks like the seeded
history: appeals are drawn from demo appeals of the same season a year
earlier and of the same hour of day (so the source, category, place and
title mix follows the clock), replay those appeals' own workflow (dispatch,
escalations, feedback, return visit, close; some get stuck) with their
delays divided by ``speedup``, and workers walk their home grids the way
:func:`geo.demo.generate_positions` makes them walk.

Only the standard library talks HTTP, so simulating adds no dependency.
Everything that needs a clock, a random draw or the network takes it as an
argument, so the generators and the client are testable without a server.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.client import HTTPException

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geo import clock, demo, reference
from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.demo import positions, sampling, tables
from geo.domain import LOCAL_TZ
from geo.ingest import MAX_BATCH

#: Demo appeals per day in the template pool (the seeded history's average).
POOL_PER_DAY = 180
#: The pool: appeals accepted within POOL_DAYS of this date one year earlier (same season: heating
#: appeals in November, storms in July), generated until POOL_SETTLED later so their workflows ran out.
POOL_YEAR = timedelta(days=365)
POOL_DAYS = timedelta(days=14)
POOL_SETTLED = timedelta(days=21)
APPEAL_FIELDS = ("source", "kind", "category", "priority", "title", "description", "reporter_name",
                 "reporter_phone")
#: Answers worth retrying: the server (or a proxy in front of it) is busy or down, not the payload wrong.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: After --duration, what is still unacknowledged is retried this much longer.
GRACE_S = 15.0


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def load_grids() -> pd.DataFrame:
    """The committed grids with shapely geometry: what the demo generator and the patrols need."""
    features = reference.read_geojson("grids")["features"]
    return pd.DataFrame([{**f["properties"], "geometry": shapely.geometry.shape(f["geometry"])}
                         for f in features])


# ----------------------------------------------------------------------------------------- appeals


@dataclass(frozen=True)
class Step:
    """One workflow event of a template, ``offset_s`` (simulated) seconds after acceptance."""

    offset_s: float
    event: dict


@dataclass(frozen=True)
class Template:
    """A demo appeal to re-send as new: its payload fields, ref prefix and workflow."""

    appeal: dict
    prefix: str
    steps: tuple[Step, ...]


class AppealFactory:
    """New appeals, each a demo appeal of the same season and hour of day, with a fresh ``source_ref``.

    Args:
        grids: From :func:`load_grids`.
        seed: Seed of the pool and of the draws.
        now: Start of the run; fixes the pool's season and makes this run's refs unique.
    """

    def __init__(self, grids: pd.DataFrame, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.run_tag = f"S{int(now.timestamp()):X}{seed % 256:02X}"
        self.count = itertools.count(1)
        start = now - POOL_YEAR - POOL_DAYS
        end = now - POOL_YEAR + POOL_DAYS + POOL_SETTLED
        n = round(POOL_PER_DAY * (end - start) / timedelta(days=1))
        workers = demo.generate_workers(grids, seed)
        self.by_hour: dict[int, list[Template]] = {h: [] for h in range(24)}
        for appeals, events in demo.generate_appeals(grids, workers, n, start, end, seed):
            self._add(appeals, events, end - POOL_SETTLED)
        everything = [t for pool in self.by_hour.values() for t in pool]
        for hour, pool in self.by_hour.items():
            if not pool:  # a thin pool: any hour beats none
                self.by_hour[hour] = everything

    def _add(self, appeals: pd.DataFrame, events: pd.DataFrame, settled: datetime) -> None:
        steps: dict[int, list[Step]] = {}
        accepted = dict(zip(appeals["idx"], appeals["accepted_at"], strict=True))
        outcome = appeals.set_index("idx")[["resolved", "satisfaction"]]
        for e in events[events["seq"] > 0].itertuples(index=False):
            event = {"to_status": e.to_status, "actor": e.actor, "handling_level": e.handling_level}
            event.update({k: v for k in ("department", "note") if isinstance(v := getattr(e, k), str)})
            if e.to_status == "visited":
                resolved, satisfaction = outcome.loc[e.idx]
                event["resolved"] = bool(resolved)
                if isinstance(satisfaction, str):
                    event["satisfaction"] = satisfaction
            steps.setdefault(e.idx, []).append(Step((e.at - accepted[e.idx]).total_seconds(), event))
        for row in appeals[appeals["accepted_at"] <= settled].itertuples(index=False):
            payload = {k: getattr(row, k) for k in APPEAL_FIELDS}
            payload.update(lon=round(float(row.lon), 6), lat=round(float(row.lat), 6))
            hour = row.accepted_at.astimezone(LOCAL_TZ).hour
            self.by_hour[hour].append(Template(payload, row.source_ref.split("-", 1)[0],
                                               tuple(steps.get(row.idx, ()))))

    def make(self, now: datetime) -> tuple[dict, Template]:
        """An appeal accepted at ``now`` (the payload to POST) and the template whose workflow it follows."""
        template = self.rng.choice(self.by_hour[now.astimezone(LOCAL_TZ).hour])
        day = now.astimezone(LOCAL_TZ).strftime("%Y%m%d")
        ref = f"{template.prefix}-{day}-{self.run_tag}-{next(self.count):06d}"
        return {**template.appeal, "source_ref": ref, "accepted_at": _iso(now)}, template


def event_payload(step: Step, at: datetime, ref: str) -> dict:
    """The body of ``POST /api/appeals/<id>/events`` for one step; ``ref`` makes a retry harmless."""
    return {**step.event, "at": _iso(at), "ref": ref}


# ----------------------------------------------------------------------------------------- workers


class Patrol:
    """Grid workers walking their home grids; :meth:`tick` gives everyone's ping at a moment.

    The walk is :func:`geo.demo.generate_positions`' (a persistent heading that
    turns back at the edge of the grid buffered by ~100 m, speed by status),
    advanced by the real time between ticks; status follows the local hour.

    Args:
        workers: Items of ``GET /api/ingest/workers`` (``id``, ``type``, ``grid_code``; ``lon``, ``lat`` if known).
        grids: From :func:`load_grids`.
        seed: Seed of the walk.
        now: Time of the first tick.
    """

    def __init__(self, workers: list[dict], grids: pd.DataFrame, seed: int, now: datetime):
        self.np_rng = np.random.default_rng([seed, 7])
        self.ids = [w["id"] for w in workers]
        n = len(self.ids)
        geoms = dict(zip(grids["code"], grids["geometry"], strict=True))
        home = [geoms.get(w["grid_code"]) for w in workers]
        fallback = shapely.union_all(list(geoms.values()))
        home = np.array([g if g is not None else fallback for g in home], dtype=object)
        self.near = shapely.buffer(home, tables.NEAR_GRID_DEG)
        shapely.prepare(self.near)
        self.window = np.array([w.get("type") == "window" for w in workers], dtype=bool)
        x, y = sampling.sample_in_polygons(home, shapely.bounds(home), np.arange(n), self.np_rng)
        last_x = np.array([w.get("lon") if w.get("lon") is not None else np.nan for w in workers], dtype=float)
        last_y = np.array([w.get("lat") if w.get("lat") is not None else np.nan for w in workers], dtype=float)
        known = np.isfinite(last_x) & np.isfinite(last_y)
        keep = np.zeros(n, dtype=bool)
        keep[known] = shapely.contains_xy(self.near[known], last_x[known], last_y[known])
        self.x = np.where(keep, last_x, x)
        self.y = np.where(keep, last_y, y)
        self.heading = self.np_rng.uniform(0, 2 * np.pi, n)
        self.status = self._fresh_status(now)
        self.last = now

    def _fresh_status(self, now: datetime) -> np.ndarray:
        local = now.astimezone(LOCAL_TZ)
        hour = np.full(len(self.ids), local.hour + local.minute / 60)
        return sampling.choose(positions.status_probs(hour, self.window), self.np_rng.random(len(self.ids)))

    def tick(self, now: datetime) -> list[dict]:
        """Moves everyone by the time since the last tick; one ping per worker, as PositionIn payloads."""
        n = len(self.ids)
        dt = max((now - self.last).total_seconds(), 0.0)
        self.last = now
        if dt > 0 and n:
            rng = self.np_rng
            keep = rng.random(n) < tables.STATUS_KEEP ** (dt / 600)  # the demo keeps 75% per 10 minutes
            self.status = np.where(keep, self.status, self._fresh_status(now))
            dist = np.array(tables.SPEED_M_PER_MIN)[self.status] * dt / 60 * rng.uniform(0.5, 1.5, n)
            self.heading = self.heading + rng.normal(0, 0.6 * math.sqrt(min(dt / 600, 1.0)), n)
            moved = np.zeros(n, dtype=bool)
            lon_m = 1000 * km_per_deg_lon(self.y)
            for _ in range(4):
                nx = self.x + dist * np.cos(self.heading) / lon_m
                ny = self.y + dist * np.sin(self.heading) / (1000 * KM_PER_DEG_LAT)
                ok = ~moved & shapely.contains_xy(self.near, nx, ny)
                self.x, self.y = np.where(ok, nx, self.x), np.where(ok, ny, self.y)
                moved |= ok
                # Blocked: turn round (roughly) and take a shorter step, as in the demo.
                self.heading = np.where(moved, self.heading, self.heading + np.pi + rng.normal(0, 0.5, n))
                dist = np.where(moved, dist, dist / 2)
        at = _iso(now)
        codes = tables.WORKER_STATUS_CODES
        return [{"worker_id": wid, "at": at, "lon": round(float(x), 6), "lat": round(float(y), 6),
                 "status": codes[s]} for wid, x, y, s in zip(self.ids, self.x, self.y, self.status, strict=True)]


# ----------------------------------------------------------------------------------------- client


@dataclass
class Tally:
    """One kind of item in a run: sent, acknowledged by the server (created, applied, recorded), refused."""

    sent: int = 0
    acked: int = 0
    rejected: int = 0


@dataclass
class Stats:
    """Counters of one run, for the status line and for tests."""

    appeals: Tally = field(default_factory=Tally)
    events: Tally = field(default_factory=Tally)
    pings: Tally = field(default_factory=Tally)
    requests: int = 0
    retries: int = 0
    http_5xx: int = 0
    rejections: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.appeals.rejected + self.events.rejected + self.pings.rejected

    def line(self) -> str:
        return (f"诉求 已发送 {self.appeals.sent} 已确认 {self.appeals.acked} | "
                f"事件 已发送 {self.events.sent} 已确认 {self.events.acked} | "
                f"位置 已发送 {self.pings.sent} 已记录 {self.pings.acked} | "
                f"重试 {self.retries} | 被拒 {self.rejected} | 5xx {self.http_5xx}")

    def reject(self, what: str, errors) -> None:
        if len(self.rejections) < 20:  # enough to diagnose, bounded for long runs
            self.rejections.append(f"{what}: {errors}")


class Stopped(Exception):
    """The run was asked to stop while a request was still being retried."""


class SimulationError(Exception):
    """Retrying cannot help (wrong key, wrong URL); the message says what to fix."""


class RetryingClient:
    """JSON over HTTP that retries until the server answers for real.

    Connection errors, timeouts, 408/429 and 5xx are retried with exponential
    backoff (full jitter, capped), honouring ``Retry-After``; every other
    answer is final and returned. It never gives up on its own, only when
    ``should_stop`` says so, which is safe because every payload it sends is
    idempotent (appeals on ``source_ref``, events on ``ref``).

    Args:
        base_url: e.g. ``http://127.0.0.1:8050``.
        api_key: Sent as ``X-API-Key``.
        opener: ``opener(request, timeout)`` like ``urllib.request.urlopen``; injectable for tests.
        sleep: ``time.sleep`` or a fake.
        should_stop: Polled between attempts; True raises :class:`Stopped`.
    """

    def __init__(self, base_url: str, api_key: str | None = None, *, opener: Callable | None = None,
                 sleep: Callable[[float], None] = time.sleep, should_stop: Callable[[], bool] = lambda: False,
                 stats: Stats | None = None, timeout: float = 30.0, base_delay: float = 0.5,
                 max_delay: float = 30.0, seed: int = 0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.opener = opener or (lambda req, timeout: urllib.request.urlopen(req, timeout=timeout))
        self.sleep = sleep
        self.should_stop = should_stop
        self.stats = stats if stats is not None else Stats()
        self.timeout = timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rng = random.Random(seed)

    def get(self, path: str) -> tuple[int, object]:
        return self.request("GET", path)

    def post(self, path: str, payload) -> tuple[int, object]:
        return self.request("POST", path, payload)

    def request(self, method: str, path: str, payload=None) -> tuple[int, object]:
        """(status, parsed JSON body) of the first answer that is not worth retrying."""
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        for attempt in itertools.count():
            req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
            self.stats.requests += 1
            retry_after = None
            try:
                with self.opener(req, self.timeout) as response:
                    status, body = response.status, response.read()
            except urllib.error.HTTPError as exc:  # 4xx/5xx: urllib raises, the body is still there
                status, body = exc.code, exc.read()
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
            except (urllib.error.URLError, ConnectionError, TimeoutError, HTTPException, OSError):
                status, body = None, b""
            if status is not None and status >= 500:
                self.stats.http_5xx += 1
            if status is not None and status not in RETRY_STATUSES:
                return status, _json(body)
            self.stats.retries += 1
            self._wait(self._delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait: the server's Retry-After when it gave one, else capped exponential backoff."""
        told = _retry_after_seconds(retry_after)
        if told is not None:
            return min(told, 300.0)
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def _wait(self, seconds: float) -> None:
        """Sleeps in slices of at most a second, so a stop request is noticed quickly."""
        while True:
            if self.should_stop():
                raise Stopped
            if seconds <= 0:
                return
            step = min(seconds, 1.0)
            self.sleep(step)
            seconds -= step


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - clock.now()).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


def _json(body: bytes):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return {"error": body[:200].decode(errors="replace")}


# ----------------------------------------------------------------------------------------- the run


@dataclass
class PendingAppeal:
    """An appeal made but not yet answered for; ``sent`` once it went out at least once."""

    payload: dict
    template: Template
    sent: bool = False


@dataclass
class OpenCase:
    """An acknowledged appeal working through its template's steps."""

    appeal_id: int
    source_ref: str
    accepted: datetime
    steps: tuple[Step, ...]
    next_step: int = 0


class Simulator:
    """The run loop: Poisson arrivals of appeals, their due workflow events, and a ping round per interval.

    Args:
        client: A :class:`RetryingClient` whose ``should_stop`` is :meth:`should_stop`.
        factory: Makes the appeals.
        patrol: Makes the pings (None: no workers).
        rate_per_minute: Mean new appeals per minute.
        speedup: Workflow delays are divided by this (600: an hour of handling takes six seconds).
        ping_every: Seconds between ping rounds.
        clock, sleep: Injectable time.
        out: Where the status line goes.
    """

    def __init__(self, client: RetryingClient, factory: AppealFactory, patrol: Patrol | None, *,
                 rate_per_minute: float, speedup: float = 600.0, ping_every: float = 5.0,
                 clock: Callable[[], datetime] = clock.now,
                 sleep: Callable[[float], None] = time.sleep, out: Callable[[str], None] = print,
                 status_every: float = 5.0, tick: float = 0.5, seed: int = 0, grace: float = GRACE_S):
        self.client, self.factory, self.patrol = client, factory, patrol
        self.stats = client.stats
        self.rate = rate_per_minute / 60.0
        self.speedup = speedup
        self.ping_every = ping_every
        self.clock, self.sleep, self.out = clock, sleep, out
        self.status_every, self.tick_s, self.grace = status_every, tick, grace
        self.rng = random.Random(seed)
        self.queue: list[PendingAppeal] = []  # appeals generated, not yet answered for
        self.due: list[tuple[float, int, OpenCase]] = []  # (due timestamp, tiebreak, case)
        self.order = itertools.count()
        self.stop_at: float | None = None  # after this, give up on what is still unacknowledged

    def should_stop(self) -> bool:
        return self.stop_at is not None and time.monotonic() >= self.stop_at

    def run(self, duration: float | None = None) -> Stats:
        """Runs until ``duration`` seconds passed (or Ctrl-C); returns the counters."""
        start = self.clock()
        next_arrival = start + self._gap()
        next_ping = start
        next_status = start + timedelta(seconds=self.status_every)
        interrupted = False
        if duration is not None:  # retries of what is still unacknowledged end a little after the run
            self.stop_at = time.monotonic() + duration + self.grace
        try:
            while duration is None or (self.clock() - start).total_seconds() < duration:
                now = self.clock()
                while next_arrival <= now:
                    self.queue.append(PendingAppeal(*self.factory.make(next_arrival)))
                    next_arrival += self._gap()
                self.send_appeals()
                self.send_due_events(self.clock())
                if self.patrol is not None and self.clock() >= next_ping:
                    self.send_pings(self.clock())
                    next_ping += timedelta(seconds=self.ping_every)
                    next_ping = max(next_ping, self.clock())
                if self.clock() >= next_status:
                    self.out(f"{self.clock().astimezone(LOCAL_TZ):%H:%M:%S} {self.stats.line()}")
                    next_status = self.clock() + timedelta(seconds=self.status_every)  # no burst after an outage
                self.sleep(self.tick_s)
            self.send_appeals()  # --duration: no new traffic, but what was made is still delivered
        except KeyboardInterrupt:
            interrupted = True
        except Stopped:
            pass
        self.out(("已中断：" if interrupted else "已结束：") + self.stats.line())
        if self.queue:
            self.out(f"还有 {len(self.queue)} 条诉求未获确认（source_ref 幂等，重发不会重复）")
        return self.stats

    def _gap(self) -> timedelta:
        return timedelta(seconds=self.rng.expovariate(self.rate)) if self.rate > 0 else timedelta(days=3650)

    def send_appeals(self) -> None:
        """Posts the queue in batches; an appeal leaves the queue only once the server answered for it."""
        while self.queue:
            batch = self.queue[:MAX_BATCH]
            self.stats.appeals.sent += sum(not p.sent for p in batch)
            for p in batch:
                p.sent = True
            status, body = self.client.post("/api/appeals", [p.payload for p in batch])
            self._check_auth(status, body)
            results = body.get("results") if isinstance(body, dict) else None
            if status != 200 or not isinstance(results, list) or len(results) != len(batch):
                self.stats.appeals.rejected += len(batch)
                self.stats.reject(f"诉求批次 HTTP {status}", body)
                del self.queue[:len(batch)]
                continue
            now = self.clock()
            for pending, result in zip(batch, results, strict=True):
                payload = pending.payload
                if result["status"] == "rejected":
                    self.stats.appeals.rejected += 1
                    self.stats.reject(payload["source_ref"], result.get("errors"))
                    continue
                self.stats.appeals.acked += 1
                accepted = datetime.fromisoformat(payload["accepted_at"])
                self._schedule(OpenCase(result["id"], payload["source_ref"], accepted, pending.template.steps), now)
            del self.queue[:len(batch)]

    def _schedule(self, case: OpenCase, after: datetime) -> None:
        """Queues the case's next step: its template delay (sped up), but never before ``after``."""
        if case.next_step >= len(case.steps):
            return
        step = case.steps[case.next_step]
        due = max(case.accepted + timedelta(seconds=step.offset_s / self.speedup), after)
        heapq.heappush(self.due, (due.timestamp(), next(self.order), case))

    def send_due_events(self, now: datetime) -> None:
        while self.due and self.due[0][0] <= now.timestamp():
            due_ts, _, case = heapq.heappop(self.due)
            step = case.steps[case.next_step]
            at = datetime.fromtimestamp(due_ts, UTC)
            body = event_payload(step, at, f"{case.source_ref}-E{case.next_step + 1}")
            self.stats.events.sent += 1
            status, answer = self.client.post(f"/api/appeals/{case.appeal_id}/events", body)
            self._check_auth(status, answer)
            if status in (200, 201):
                self.stats.events.acked += 1
                case.next_step += 1
                self._schedule(case, self.clock())
            else:  # refused by the workflow: later steps of this case would be refused too
                self.stats.events.rejected += 1
                self.stats.reject(f"事件 {body['ref']} HTTP {status}", answer)

    def send_pings(self, now: datetime) -> None:
        pings = self.patrol.tick(now)
        for lo in range(0, len(pings), MAX_BATCH):
            batch = pings[lo:lo + MAX_BATCH]
            self.stats.pings.sent += len(batch)
            status, body = self.client.post("/api/positions", batch)
            self._check_auth(status, body)
            results = body.get("results", []) if isinstance(body, dict) and status == 200 else []
            recorded = sum(1 for r in results if r.get("status") == "recorded")
            self.stats.pings.acked += recorded
            self.stats.pings.rejected += len(batch) - recorded
            if recorded < len(batch):
                self.stats.reject(f"位置批次 HTTP {status}", body)

    @staticmethod
    def _check_auth(status: int, body) -> None:
        if status in (401, 403):
            message = body.get("error") if isinstance(body, dict) else body
            raise SimulationError(f"服务器拒绝了 API 密钥（HTTP {status}）：{message}")
        if status == 404 and not isinstance(body, dict):
            raise SimulationError("服务器上没有摄入接口（HTTP 404）：请检查 --url")


def check_key(client: RetryingClient) -> None:
    """Fails fast on a wrong key or URL instead of at the first appeal; waits for a server that is down."""
    status, body = client.get("/api/keys/me")
    Simulator._check_auth(status, body)
    if status != 200:
        raise SimulationError(f"服务器未按预期应答（HTTP {status}）：请检查 --url")


def fetch_workers(client: RetryingClient, count: int, seed: int) -> list[dict]:
    """``count`` of the server's real workers (all if fewer), picked by seed so a rerun walks the same ones."""
    status, body = client.get("/api/ingest/workers")
    if status != 200 or not isinstance(body, dict):
        raise SimulationError(f"无法读取网格员列表（HTTP {status}）：{body}")
    items = body["items"]
    if count >= len(items):
        return items
    picked = sorted(random.Random(seed).sample(range(len(items)), count))
    return [items[i] for i in picked]


def simulate(url: str, api_key: str, *, rate: float, workers: int, speedup: float = 600.0,
             duration: float | None = None, seed: int = 0, ping_every: float = 5.0,
             out: Callable[[str], None] = print) -> Stats:
    """What ``python app.py simulate`` runs: build the generators against the server at ``url``, then run."""
    # With --duration even waiting for a server that is down ends, a little after the run would have.
    give_up = None if duration is None else time.monotonic() + duration + GRACE_S
    client = RetryingClient(url, api_key, should_stop=lambda: give_up is not None and time.monotonic() >= give_up,
                            seed=seed)
    now = clock.now()
    try:
        check_key(client)
    except Stopped:
        raise SimulationError(f"在 {duration:g} 秒内连不上 {url}：服务是否已启动？") from None
    out(f"准备模拟数据（种子 {seed}）…")
    grids = load_grids()
    factory = AppealFactory(grids, seed, now)
    patrol = None
    if workers > 0:
        chosen = fetch_workers(client, workers, seed)
        patrol = Patrol(chosen, grids, seed, now)
        out(f"网格员：{len(chosen)} 名，每 {ping_every:g} 秒上报一次位置")
    out(f"开始向 {url} 发送：每分钟约 {rate:g} 条诉求，流程加速 {speedup:g} 倍"
        + (f"，持续 {duration:g} 秒" if duration else "，按 Ctrl-C 结束"))
    sim = Simulator(client, factory, patrol, rate_per_minute=rate, speedup=speedup, ping_every=ping_every,
                    out=out, seed=seed)
    client.should_stop = sim.should_stop
    return sim.run(duration)
