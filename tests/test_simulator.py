"""The traffic simulator (generators, retrying client, a real run) and the api-key / dead-letters commands."""

from __future__ import annotations

import io
import json
import threading
import urllib.error
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import shapely
import sqlalchemy as sa
from werkzeug.serving import make_server

from dashboard.tools import cli
from dashboard.tools.simulator import (
    AppealFactory,
    OpenCase,
    Patrol,
    PendingAppeal,
    RetryingClient,
    Simulator,
    Stopped,
    event_payload,
    fetch_workers,
    load_grids,
)
from geo import demo, workflow
from geo.demo import tables
from geo.domain import CATEGORY_BY_CODE, LOCAL_TZ
from geo.ingest import AppealIn, EventIn, PositionIn
from geo.store import schema as t

KEY = "sim-test-key"
#: A weekday morning, when every channel is busy.
MORNING = datetime(2026, 11, 27, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="module")
def grids():
    return load_grids()


@pytest.fixture(scope="module")
def factory(grids):
    return AppealFactory(grids, 11, MORNING)


# -- generators --------------------------------------------------------------------------------


def test_appeals_validate_and_look_like_the_demo(factory):
    made = [factory.make(MORNING + timedelta(minutes=i))[0] for i in range(400)]
    refs = [a["source_ref"] for a in made]
    assert len(set(refs)) == len(refs)
    for appeal in made:
        parsed = AppealIn.model_validate(appeal)
        assert CATEGORY_BY_CODE[parsed.category].kind == parsed.kind
        assert parsed.accepted_at is not None and parsed.accepted_at >= MORNING
        assert parsed.title and parsed.reporter_name and parsed.reporter_phone
    sources = Counter(a["source"] for a in made)
    assert len(sources) >= 5 and sources.most_common(1)[0][0] in ("wechat", "hotline_12345")
    assert Counter(a["kind"] for a in made)["livelihood"] > 0.6 * len(made)


def test_the_hour_of_day_shapes_the_mix(factory):
    night = [factory.make(MORNING.replace(hour=3) + timedelta(minutes=i))[0]["source"] for i in range(300)]
    day = [factory.make(MORNING + timedelta(minutes=i))[0]["source"] for i in range(300)]
    # Patrols and enterprises work office hours; at 03:00 it is the public calling in.
    office = ("grid_patrol", "enterprise", "city_management")
    assert sum(s in office for s in night) < sum(s in office for s in day) / 2


def test_every_workflow_passes_the_workflow_rules(factory):
    templates = {id(tp): tp for pool in factory.by_hour.values() for tp in pool}.values()
    seen = Counter()
    for template in templates:
        status, handling = "accepted", "community"
        for k, step in enumerate(template.steps):
            event = EventIn.model_validate(event_payload(step, MORNING, f"R-{k}"))
            handling = workflow.check(status, handling, event.to_status, event.handling_level, event.reopen)
            if event.to_status == status:
                seen[f"escalated to {handling}"] += 1
            status = event.to_status
            assert step.offset_s >= (template.steps[k - 1].offset_s if k else 0)
        seen[status] += 1
    assert seen["closed"] > 0.8 * len(templates)
    assert seen["escalated to street"] > 0 and seen["escalated to district"] > 0
    assert 0 < seen["in_progress"] + seen["feedback"] < 0.15 * len(templates)  # a few get stuck


def test_visits_carry_an_outcome(factory):
    visits = [s.event for pool in factory.by_hour.values() for tp in pool for s in tp.steps
              if s.event["to_status"] == "visited"]
    assert visits and all(isinstance(v["resolved"], bool) for v in visits)
    assert any(not v["resolved"] for v in visits) and any("satisfaction" in v for v in visits)


def _workers(grids, n=200):
    frame = demo.generate_workers(grids[["code", "street_code", "parent_code", "households", "population",
                                         "geometry"]].rename(columns={"parent_code": "community_code"}), 3)
    return [{"id": w.id, "type": w.type, "grid_code": w.grid_code, "lon": None, "lat": None}
            for w in frame.head(n).itertuples()]


def test_pings_validate_and_walk_the_home_grid(grids):
    workers = _workers(grids)
    patrol = Patrol(workers, grids, 5, MORNING)
    homes = dict(zip(grids["code"], grids["geometry"], strict=True))
    first = patrol.tick(MORNING)
    later = MORNING
    for _ in range(10):
        later += timedelta(minutes=1)
        pings = patrol.tick(later)
    for ping, worker in zip(pings, workers, strict=True):
        PositionIn.model_validate(ping)
        assert ping["worker_id"] == worker["id"] and ping["at"] == later.astimezone(UTC).isoformat()
        near = shapely.buffer(homes[worker["grid_code"]], tables.NEAR_GRID_DEG * 1.01)
        assert shapely.contains_xy(near, ping["lon"], ping["lat"])
    moved = sum((a["lon"], a["lat"]) != (b["lon"], b["lat"]) for a, b in zip(first, pings, strict=True))
    assert moved > len(workers) / 2
    assert Counter(p["status"] for p in pings)["patrolling"] > len(workers) / 4


def test_at_night_most_workers_are_off(grids):
    patrol = Patrol(_workers(grids), grids, 5, MORNING.replace(hour=3))
    statuses = Counter(p["status"] for p in patrol.tick(MORNING.replace(hour=3)))
    assert statuses["offline"] + statuses["standby"] > 0.7 * sum(statuses.values())


# -- the retrying client -----------------------------------------------------------------------


class FakeResponse(io.BytesIO):
    def __init__(self, status: int, body):
        super().__init__(json.dumps(body).encode())
        self.status = status


class FakeServer:
    """An opener that plays a script of answers: an int status, a (status, body, headers) or an exception."""

    def __init__(self, *script):
        self.script = list(script)
        self.requests = []

    def __call__(self, request, timeout):
        self.requests.append(request)
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer if isinstance(answer, tuple) else (answer, {}, {})
        if callable(body):
            body = body(json.loads(request.data))
        if status >= 400:
            raise urllib.error.HTTPError(request.full_url, status, "error", headers, io.BytesIO(json.dumps(body).encode()))
        return FakeResponse(status, body)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def test_503_is_retried_after_the_servers_retry_after():
    server = FakeServer((503, {"error": "数据库无法访问"}, {"Retry-After": "3"}), (200, {"ok": True}, {}))
    sleeps = Sleeps()
    client = RetryingClient("http://x", "k", opener=server, sleep=sleeps)
    assert client.post("/api/positions", [{"a": 1}]) == (200, {"ok": True})
    assert len(server.requests) == 2 and sum(sleeps) == 3
    assert server.requests[1].get_header("X-api-key") == "k"
    assert client.stats.retries == 1 and client.stats.http_5xx == 1


def test_connection_refused_backs_off_then_succeeds():
    refused = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    server = FakeServer(refused, refused, refused, (201, {"id": 1}, {}))
    sleeps = Sleeps()
    client = RetryingClient("http://x", "k", opener=server, sleep=sleeps, base_delay=1, max_delay=3)
    assert client.post("/api/appeals", {}) == (201, {"id": 1})
    assert client.stats.retries == 3 and client.stats.http_5xx == 0
    assert 0 <= sum(sleeps) <= 1 + 2 + 3  # full jitter under a capped doubling


def test_a_refusal_is_final_and_a_stop_ends_retrying():
    server = FakeServer((422, {"status": "rejected"}, {}))
    client = RetryingClient("http://x", opener=server, sleep=Sleeps())
    assert client.post("/api/appeals/1/events", {}) == (422, {"status": "rejected"})
    assert client.stats.retries == 0
    down = FakeServer(*[(503, {}, {"Retry-After": "1"})] * 5)
    stop = iter([False, False, True])
    client = RetryingClient("http://x", opener=down, sleep=Sleeps(), should_stop=lambda: next(stop))
    with pytest.raises(Stopped):
        client.get("/healthz")


class FakeClock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += timedelta(seconds=seconds)


def test_an_appeal_is_acknowledged_once_though_sent_twice(factory):
    def created(items):
        return {"results": [{"index": i, "status": "created", "id": 100 + i} for i in range(len(items))]}

    server = FakeServer((503, {"error": "down"}, {"Retry-After": "2"}), (200, created, {}))
    clock = FakeClock(MORNING)
    client = RetryingClient("http://x", "k", opener=server, sleep=clock.sleep)
    sim = Simulator(client, factory, None, rate_per_minute=0, clock=clock, sleep=clock.sleep, out=lambda _l: None)
    payload, template = factory.make(MORNING)
    sim.queue.append(PendingAppeal(payload, template))
    sim.send_appeals()
    assert [json.loads(r.data) for r in server.requests] == [[payload]] * 2
    assert (sim.stats.appeals.sent, sim.stats.appeals.acked, sim.stats.retries) == (1, 1, 1)
    assert not sim.queue and len(sim.due) == 1  # its first workflow step is scheduled


def test_events_follow_acknowledgement_in_order(factory):
    """Each event is sent only after the previous one was applied, with increasing times and distinct refs."""
    applied = []

    def apply(event):
        applied.append(event)
        return {"status": "applied"}

    clock = FakeClock(MORNING)
    server = FakeServer(*[(201, apply, {})] * 20)
    client = RetryingClient("http://x", "k", opener=server, sleep=clock.sleep)
    sim = Simulator(client, factory, None, rate_per_minute=0, speedup=1e9, clock=clock, sleep=clock.sleep,
                    out=lambda _l: None)
    payload, template = factory.make(MORNING)
    sim._schedule(OpenCase(7, payload["source_ref"], MORNING, template.steps), MORNING)
    for _ in range(len(template.steps)):
        clock.sleep(1)
        sim.send_due_events(clock())
    assert [e["to_status"] for e in applied] == [s.event["to_status"] for s in template.steps]
    assert len({e["ref"] for e in applied}) == len(applied)
    assert [e["at"] for e in applied] == sorted(e["at"] for e in applied)
    assert all(r.full_url == "http://x/api/appeals/7/events" for r in server.requests)


# -- a real run against a real server ----------------------------------------------------------


@pytest.fixture
def served(writable_store, make_app):
    app = make_app(writable_store.url, INGEST_API_KEYS=f"sim:{KEY}")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _counts(store) -> dict[str, int]:
    return {name: store.count(name) for name in ("appeals", "appeal_events", "worker_positions")}


def test_a_five_second_run_delivers_everything(served, writable_store, grids):
    before = _counts(writable_store)
    now = datetime.now(UTC)
    lines = []
    client = RetryingClient(served, KEY)
    patrol = Patrol(fetch_workers(client, 40, 1), grids, 1, now)
    sim = Simulator(client, AppealFactory(grids, 1, now), patrol, rate_per_minute=300, speedup=2e6,
                    ping_every=1, out=lines.append, status_every=2, tick=0.2, seed=1)
    stats = sim.run(duration=5)
    after = _counts(writable_store)
    assert stats.http_5xx == 0 and stats.rejected == 0, stats.rejections
    assert stats.appeals.sent >= 8 and stats.appeals.acked == stats.appeals.sent
    assert after["appeals"] - before["appeals"] == stats.appeals.acked
    assert stats.events.acked >= stats.appeals.acked  # at least a dispatch each, most much more
    assert after["appeal_events"] - before["appeal_events"] == stats.events.acked
    assert stats.pings.acked >= 40 * 3
    assert after["worker_positions"] - before["worker_positions"] == stats.pings.acked
    assert any("诉求 已发送" in line for line in lines) and lines[-1].startswith("已结束")
    with writable_store.connect() as conn:
        moved = conn.execute(sa.select(sa.func.count()).select_from(t.appeals)
                             .where(t.appeals.c.source_ref.like(f"%{sim.factory.run_tag}%"),
                                    t.appeals.c.status != "accepted")).scalar()
    assert moved > 0


# -- api-key and dead-letters commands ------------------------------------------------------------


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv), build_app=None)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("backend", ["sqlite"])
def test_api_key_create_list_revoke(writable_store, capsys):
    url = ["--database-url", writable_store.url]
    code, out, _ = run_cli(capsys, "api-key", *url, "create", "hotline")
    key = out.strip().splitlines()[-1]
    assert code == 0 and key.startswith("zz_") and writable_store.api_key_identity(key) == ("hotline", "writer")
    code, _, err = run_cli(capsys, "api-key", *url, "create", "hotline")
    assert code == 2 and err.startswith("错误：") and "revoke" in err
    code, out, _ = run_cli(capsys, "api-key", *url, "list")
    assert code == 0 and "hotline" in out and "有效" in out and key not in out
    assert run_cli(capsys, "api-key", *url, "revoke", "hotline")[0] == 0
    assert writable_store.api_key_identity(key) is None
    assert "已吊销" in run_cli(capsys, "api-key", *url, "list")[1]
    code, _, err = run_cli(capsys, "api-key", *url, "revoke", "hotline")
    assert code == 2 and "hotline" in err


@pytest.mark.parametrize("backend", ["sqlite"])
def test_dead_letters_list_and_replay(writable_store, capsys):
    url = ["--database-url", writable_store.url]
    with writable_store.connect() as conn:
        appeal_id = conn.execute(sa.select(t.appeals.c.id).where(t.appeals.c.status == "accepted")).scalar()
    event = {"to_status": "dispatched", "actor": "区社会治理中心", "ref": "CLI-1"}
    long_title = "楼道照明损坏" * 40
    writable_store.file_dead_letters(f"events/{appeal_id}", [(json.dumps(event, ensure_ascii=False), ["数据库维护"])], "ops")
    writable_store.file_dead_letters("appeals", [(json.dumps({"title": long_title}, ensure_ascii=False),
                                                  ["source: 缺少必填字段"])], "hotline")
    code, out, _ = run_cli(capsys, "dead-letters", *url)
    assert code == 0 and "待处理死信共 2 条" in out
    assert f"events/{appeal_id}" in out and "数据库维护" in out and "source: 缺少必填字段" in out
    assert long_title not in out and "…" in out
    letters = writable_store.dead_letters()["items"]
    event_letter = next(x for x in letters if x["endpoint"].startswith("events/"))
    # Replaying needs no Flask app: the command runs it straight against the store.
    code, out, _ = run_cli(capsys, "dead-letters", *url, "--replay", str(event_letter["id"]))
    assert code == 0 and "已重放" in out
    assert writable_store.dead_letter(event_letter["id"])["replayed_at"]
    with writable_store.connect() as conn:
        assert conn.execute(sa.select(t.appeals.c.status).where(t.appeals.c.id == appeal_id)).scalar() == "dispatched"
    code, _, err = run_cli(capsys, "dead-letters", *url, "--replay", str(event_letter["id"]))
    assert code == 2 and "已重放过" in err
    code, out, _ = run_cli(capsys, "dead-letters", *url)
    assert "待处理死信共 1 条" in out
    assert "待处理" not in run_cli(capsys, "dead-letters", *url, "--all")[1].splitlines()[0]
    assert run_cli(capsys, "dead-letters", *url, "--replay", "999999")[0] == 2
