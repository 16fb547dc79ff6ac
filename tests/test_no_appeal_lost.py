"""No appeal lost: PostgreSQL stops and restarts under a stream of retrying writers.

A throwaway PostgreSQL cluster (``initdb`` in a temp directory, run as the
``postgres`` user when the tests run as root) holds a small seeded store, so
the shared test server is never stopped. The real app is served over HTTP in a
background thread; client threads post appeals (single and in small batches),
retrying on connection errors and 5xx (honouring ``Retry-After``, capped) until
each is acknowledged. Meanwhile the cluster is stopped twice for ~3 s.

Afterwards every acknowledged appeal is in the database exactly once, under the
id it was acknowledged with; the outage answered 503 with ``Retry-After``
(never 500), /healthz went 503 and back to 200, and the app recovered by itself.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import WSGIRequestHandler, make_server

from dashboard import services

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

KEY = "nal-key"
CLIENTS = 4
OUTAGES = 2
DOWN_SECONDS = 3.0
#: The app says ``Retry-After: 5``; the clients honour it but never sleep longer than this.
RETRY_SLEEP_CAP = 0.25
#: A client that cannot get one item acknowledged within this long gives up (and the test fails).
ITEM_DEADLINE = 40.0
#: A point in 中韩街道.
LON, LAT = 120.4462, 36.1349


# -- the throwaway cluster ------------------------------------------------------------------



# -- the app, served for real ---------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def served_app(pg_cluster, make_app):
    """The base URL of the app on the throwaway cluster, served by a threaded werkzeug server."""
    app = make_app(pg_cluster.url("zhizhi"), INGEST_API_KEYS=f"t:{KEY}")
    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="app-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(10)
        app.server.extensions[services.STORE_KEY].dispose()


# -- the clients ----------------------------------------------------------------------------


def appeal(ref: str) -> dict:
    return {"source": "hotline_12345", "source_ref": ref, "kind": "livelihood", "category": "noise",
            "priority": "normal", "title": "夜间施工噪音", "description": "工地夜里施工",
            "reporter_name": "张三", "reporter_phone": "13812345678", "lon": LON, "lat": LAT}


@dataclass
class Answer:
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (connection error, timeout)
    retry_after: str | None
    detail: str = ""


@dataclass
class Record:
    """What every client saw; shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[Answer] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)
    acked_at: list[float] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    existing: int = 0  # acknowledged as "existing": a retry of an item the database already had
    problems: list[str] = field(default_factory=list)

    def answer(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def send_until_acked(session: requests.Session, url: str, refs: list[str], record: Record) -> None:
    """Posts ``refs`` (one object or a batch) until the API acknowledges every one with an id."""
    body = appeal(refs[0]) if len(refs) == 1 else [appeal(r) for r in refs]
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
    with record.lock:
        record.sent.update(refs)
    deadline = time.monotonic() + ITEM_DEADLINE
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            response = session.post(url, data=data, headers=headers, timeout=15)
        except requests.RequestException as exc:
            record.answer(Answer(started, time.monotonic(), None, None, type(exc).__name__))
            time.sleep(0.1)
            continue
        retry_after = response.headers.get("Retry-After")
        record.answer(Answer(started, time.monotonic(), response.status_code, retry_after, response.text[:300]))
        if response.status_code in (200, 201):
            results = [response.json()] if len(refs) == 1 else response.json()["results"]
            ids = {}
            for ref, result in zip(refs, results, strict=True):
                if result.get("status") not in ("created", "existing") or not isinstance(result.get("id"), int):
                    record.problem(f"{ref}: acknowledged without an id: {result}")
                    return
                ids[ref] = result["id"]
            with record.lock:
                record.existing += sum(r["status"] == "existing" for r in results)
                for ref, appeal_id in ids.items():
                    if record.acked.setdefault(ref, appeal_id) != appeal_id:
                        record.problems.append(f"{ref}: acknowledged as {record.acked[ref]} and as {appeal_id}")
                record.acked_at.append(time.monotonic())
            return
        if response.status_code >= 500:
            try:
                wait = float(retry_after) if retry_after else RETRY_SLEEP_CAP
            except ValueError:
                wait = RETRY_SLEEP_CAP
            time.sleep(min(wait, RETRY_SLEEP_CAP))
            continue
        record.problem(f"{refs}: refused with {response.status_code}: {response.text[:300]}")
        return
    record.problem(f"{refs}: not acknowledged within {ITEM_DEADLINE} s")


def client(number: int, url: str, tag: str, stop: threading.Event, record: Record) -> None:
    rng = random.Random(number)
    seq = 0
    with requests.Session() as session:
        while not stop.is_set():
            size = 1 if rng.random() < 0.5 else rng.randint(2, 6)
            refs = [f"NAL-{tag}-{number}-{seq + i}" for i in range(size)]
            seq += size
            send_until_acked(session, url, refs, record)


def healthz(base: str) -> tuple[int | None, dict]:
    try:
        r = requests.get(f"{base}/healthz", timeout=15)
        return r.status_code, r.json()
    except (requests.RequestException, ValueError) as exc:
        return None, {"error": repr(exc)}


def wait_for(condition, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``condition()`` held, or None after ``timeout``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if condition():
            return time.monotonic() - began
        time.sleep(step)
    return None


# -- the test -------------------------------------------------------------------------------


def test_no_acknowledged_appeal_is_lost_when_postgres_restarts(pg_cluster, served_app):
    base = served_app
    tag = uuid.uuid4().hex[:6]
    record = Record()
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(n, f"{base}/api/appeals", tag, stop, record),
                                name=f"client-{n}", daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()

    outages: list[tuple[float, float]] = []  # (stop finished, start began): the database was surely down
    health_down, recovered_in = [], []
    try:
        assert wait_for(lambda: len(record.acked) >= 20, 15) is not None, record.problems or record.answers[-5:]
        for _ in range(OUTAGES):
            pg_cluster.stop("fast")
            down_from = time.monotonic()
            time.sleep(0.5)
            health_down.append(healthz(base))
            time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_from)))
            down_to = time.monotonic()
            outages.append((down_from, down_to))
            pg_cluster.start()
            restarted = time.monotonic()
            # The same app, never restarted: /healthz and the writers recover by themselves.
            recovered_in.append(wait_for(lambda: healthz(base)[0] == 200, 15))
            acked_after = wait_for(lambda r=restarted: any(t > r for t in record.acked_at), 15)
            assert acked_after is not None, f"no appeal acknowledged within 15 s of the restart: {record.answers[-5:]}"
            time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(ITEM_DEADLINE + 20)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"

    # What the clients saw.
    counts: dict = {}
    for a in record.answers:
        counts[a.status] = counts.get(a.status, 0) + 1
    print(f"answers by status {counts}; acknowledged {len(record.acked)} ({record.existing} on a retry, as existing); "
          f"/healthz while down {health_down}; /healthz back after {recovered_in} s")
    assert not record.problems, record.problems[:10]
    statuses = sorted({a.status for a in record.answers}, key=str)
    assert all(a.status in (200, 201, 503) for a in record.answers), (
        f"statuses seen: {statuses}; unexpected: {[a for a in record.answers if a.status not in (200, 201, 503)][:5]}")
    unavailable = [a for a in record.answers if a.status == 503]
    assert unavailable, "the outage was never noticed: no 503 answer"
    assert all(a.retry_after for a in unavailable), "a 503 without Retry-After"
    during = [a for a in record.answers if any(lo <= a.started and a.ended <= hi for lo, hi in outages)]
    assert during and all(a.status == 503 for a in during), {a.status for a in during}
    assert all(status == 503 and report == {"status": "down"} for status, report in health_down), health_down
    assert all(seconds is not None for seconds in recovered_in), f"/healthz did not return to 200: {recovered_in}"
    assert record.sent == set(record.acked), "some appeals were sent but never acknowledged"

    # What the database holds: every acknowledged appeal exactly once, under its acknowledged id.
    engine = sa.create_engine(pg_cluster.url("zhizhi"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT source_ref, count(*) AS n, min(id) AS id FROM appeals"
                        " WHERE source = 'hotline_12345' AND source_ref LIKE :prefix GROUP BY source_ref"),
                {"prefix": f"NAL-{tag}-%"},
            ).all()
    finally:
        engine.dispose()
    stored = {r.source_ref: (r.n, r.id) for r in rows}
    duplicated = {ref: n for ref, (n, _) in stored.items() if n != 1}
    missing = set(record.acked) - set(stored)
    wrong_id = {ref: (record.acked[ref], stored[ref][1]) for ref in record.acked
                if ref in stored and stored[ref][1] != record.acked[ref]}
    unacknowledged = set(stored) - set(record.acked)
    assert not duplicated, f"duplicated: {list(duplicated.items())[:10]}"
    assert not missing, f"acknowledged but missing: {sorted(missing)[:10]}"
    assert not wrong_id, f"stored under another id than acknowledged: {list(wrong_id.items())[:10]}"
    assert not unacknowledged, f"stored but never acknowledged: {sorted(unacknowledged)[:10]}"
    assert len(stored) == len(record.acked) >= 100
