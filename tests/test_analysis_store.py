"""The analysis job against real stores (SQLite and PostGIS): grouped reads, the lock, runs, the list and its rules."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.access import SYSTEM, Viewer
from geo.analysis import forecast, hotspots, proactive
from geo.analysis.run import AnalysisBusy, analyze
from geo.domain import LOCAL_TZ
from geo.scope import DISTRICT, Scope
from geo.store import schema as t
from geo.store.errors import Conflict, Forbidden, NotFound
from tests.conftest import SEED_END, add_hotspots

ZHONGHAN = Scope("street", "370212001")
SHAZIKOU = Scope("street", "370212002")
AS_OF = SEED_END


def raw_appeals(store) -> pd.DataFrame:
    a = t.appeals
    with store.connect() as conn:
        rows = conn.execute(sa.select(a.c.grid_code, a.c.street_code, a.c.category, a.c.accepted_at, a.c.title,
                                      a.c.reporter_phone)).all()
    frame = pd.DataFrame(rows, columns=["grid_code", "street_code", "category", "accepted_at", "title",
                                        "reporter_phone"])
    frame["accepted_at"] = pd.to_datetime(frame["accepted_at"], utc=True)
    frame["day"] = frame["accepted_at"].dt.tz_convert(LOCAL_TZ).dt.date
    return frame


def test_problem_counts_in_sql_equal_the_rule_on_raw_rows(seeded_store):
    end = SEED_END.date()
    ours = seeded_store.problem_counts(end, 10)
    theirs = hotspots.problem_counts(raw_appeals(seeded_store), end, 10)
    key = ["grid_code", "category", "weeks_back"]
    assert len(ours) > 100
    pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True).astype({"count": int}),
                                  theirs.sort_values(key).reset_index(drop=True).astype({"count": int}),
                                  check_dtype=False)


def test_weekly_counts_in_sql_equal_the_rule_on_raw_rows(seeded_store):
    end = SEED_END.date()
    ours = seeded_store.weekly_counts(end, 6)
    monday = end - timedelta(days=end.weekday())
    first = monday - timedelta(days=42)
    appeals = raw_appeals(seeded_store)
    theirs = forecast.weekly_counts(appeals, pd.Timestamp(first, tz=LOCAL_TZ), pd.Timestamp(monday, tz=LOCAL_TZ))
    key = ["street_code", "category", "week"]
    assert set(ours["week"]) == {first + timedelta(days=7 * k) for k in range(6)}
    pd.testing.assert_frame_equal(ours.sort_values(key).reset_index(drop=True).astype({"count": int}),
                                  theirs.sort_values(key).reset_index(drop=True).astype({"count": int}),
                                  check_dtype=False)


def test_one_holder_at_a_time_and_a_dead_holder_expires(empty_store):
    assert empty_store.acquire_lock("analysis", "a")
    assert not empty_store.acquire_lock("analysis", "b")
    assert empty_store.acquire_lock("analysis", "a")  # its own lock again: renewed
    empty_store.release_lock("analysis", "b")  # not b's to release
    assert not empty_store.acquire_lock("analysis", "b")
    empty_store.release_lock("analysis", "a")
    assert empty_store.acquire_lock("analysis", "b", seconds=-1)  # taken, and already expired (a crashed run)
    assert empty_store.acquire_lock("analysis", "c")


def test_a_run_while_another_holds_the_lock_is_refused(writable_store):
    writable_store.acquire_lock("analysis", "someone-else")
    with pytest.raises(AnalysisBusy):
        analyze(writable_store, AS_OF, progress=lambda _: None)
    assert writable_store.latest_run() is None


def test_a_run_stores_its_results_and_files_the_list_once(writable_store):
    said = []
    first = analyze(writable_store, AS_OF, progress=said.append)
    assert first["baseline_weeks"] < hotspots.MIN_BASELINE_WEEKS and first["hotspots"] == 0  # 60 days of history
    assert any("本次不做热点分析" in line for line in said)
    run = writable_store.latest_run()
    assert run["id"] == first["run_id"] and run["as_of"] == AS_OF
    rows = writable_store.forecasts(DISTRICT, SYSTEM, None, run["id"])
    assert {r["unit_code"] for r in rows} == {"370212"} and {r["method"] for r in rows if r["mean"] is not None}
    ahead = [r for r in rows if r["mean"] is not None]
    assert all(r["lo95"] <= r["lo80"] <= r["mean"] <= r["hi80"] <= r["hi95"] for r in ahead)
    items = writable_store.proactive_items(DISTRICT, SYSTEM)
    assert len(items) == first["items"]["created"] > 0
    assert {i["status"] for i in items} == {"pending"}
    # The same detections again: the open items are updated, none filed twice; the first run stays reproducible.
    second = analyze(writable_store, AS_OF + timedelta(hours=1), progress=lambda _: None)
    assert second["items"]["created"] == 0
    assert len(writable_store.proactive_items(DISTRICT, SYSTEM)) == len(items)
    assert writable_store.latest_run()["id"] == second["run_id"]
    assert writable_store.latest_run(AS_OF)["id"] == first["run_id"]


@pytest.fixture
def listed(writable_store):
    """A store with a run's results (made up hotspots, real forecasts and repeats) and its list."""
    analyze(writable_store, AS_OF, progress=lambda _: None)
    add_hotspots(writable_store, writable_store.latest_run()["id"])
    return writable_store


def item_on(store, scope_code: str) -> dict:
    candidate = proactive.Candidate(kind="hotspot", category="noise", level="street", scope_code=scope_code,
                                    street_code=scope_code, community_code=None, title="测试事项", basis="测试",
                                    score=5.0, evidence={"observed": 9, "expected": 2.0})
    store.file_proactive_items(store.latest_run()["id"], AS_OF, [candidate])
    return next(i for i in store.proactive_items(Scope("street", scope_code), SYSTEM) if i["title"] == "测试事项")


def test_hotspots_are_read_inside_the_viewers_scope_only(listed):
    run = listed.latest_run()["id"]
    district = listed.hotspots(DISTRICT, SYSTEM, None, run)
    assert {h["street_code"] for h in district} >= {"370212001", "370212002"}
    street = Viewer("street", ZHONGHAN, "zh")
    mine = listed.hotspots(ZHONGHAN, street, None, run)
    assert mine and all(code.startswith("370212001") for h in mine for code in h["grid_codes"])
    assert all(g["grid_code"].startswith("370212001") for h in mine for g in h["grids"])
    with pytest.raises(Forbidden):
        listed.hotspots(SHAZIKOU, street, None, run)
    assert [h["category"] for h in listed.hotspots(DISTRICT, SYSTEM, "noise", run)] == ["noise"]


def test_moving_an_item_on_follows_the_roles_and_is_audited(listed):
    item = item_on(listed, "370212001")
    street = Viewer("street", ZHONGHAN, "zh-leader")
    other = Viewer("street", SHAZIKOU, "szk-leader")
    community = Viewer("community", Scope("community", "370212001001"), "community-1")
    with pytest.raises(Forbidden):
        listed.change_proactive_item(item["id"], other, "dispatched")
    with pytest.raises(Conflict, match="不能改为"):
        listed.change_proactive_item(item["id"], street, "resolved")
    with pytest.raises(Conflict, match="理由"):
        listed.change_proactive_item(item["id"], street, "rejected", "  ")
    moved = listed.change_proactive_item(item["id"], street, "dispatched", "交区住建局核查")
    assert moved["status"] == "dispatched" and moved["status_label"] == "已派发"
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in moved["history"]] == [
        (None, "pending", "system"), ("pending", "dispatched", "zh-leader")]
    with pytest.raises(Forbidden):
        listed.change_proactive_item(item["id"], Viewer("screen", ZHONGHAN, "wall"), "in_progress")
    entries = listed.audit_entries(Viewer("admin", DISTRICT, "admin"), action="proactive_item_changed")["items"]
    detail = json.loads(entries[0]["detail"]) if isinstance(entries[0]["detail"], str) else entries[0]["detail"]
    assert entries[0]["actor"] == "zh-leader" and detail["from"] == "pending" and detail["to"] == "dispatched"
    assert community.scope.code.startswith("370212001")
    with pytest.raises(NotFound):
        listed.change_proactive_item(10**12, street, "dispatched")


def test_a_community_works_its_items_but_does_not_judge_them(listed):
    candidate = proactive.Candidate(kind="repeat", category="noise", level="community", scope_code="370212001001",
                                    street_code="370212001", community_code="370212001001", title="社区事项",
                                    basis="测试", score=3.0, evidence={"place": "370212001001001"})
    listed.file_proactive_items(listed.latest_run()["id"], AS_OF, [candidate])
    item = next(i for i in listed.proactive_items(Scope("community", "370212001001"), SYSTEM)
                if i["title"] == "社区事项")
    community = Viewer("community", Scope("community", "370212001001"), "c1")
    with pytest.raises(Forbidden, match="研判"):
        listed.change_proactive_item(item["id"], community, "dispatched")
    listed.change_proactive_item(item["id"], Viewer("street", ZHONGHAN, "zh"), "dispatched")
    assert listed.change_proactive_item(item["id"], community, "in_progress")["status"] == "in_progress"
    assert listed.change_proactive_item(item["id"], community, "resolved")["status"] == "resolved"
    # Resolved is final: the same detection later files a new item instead of reopening this one.
    filed = listed.file_proactive_items(listed.latest_run()["id"], AS_OF, [candidate])
    assert filed == {"created": 1, "updated": 0}


def test_item_lists_are_scoped_by_unit(listed):
    item_on(listed, "370212001")
    item_on(listed, "370212002")
    street = Viewer("street", ZHONGHAN, "zh")
    mine = listed.proactive_items(ZHONGHAN, street)
    assert mine and all(i["scope_code"].startswith("370212001") for i in mine)
    with pytest.raises(Forbidden):
        listed.proactive_items(DISTRICT, street)
    foreign = next(i for i in listed.proactive_items(SHAZIKOU, SYSTEM) if i["title"] == "测试事项")
    with pytest.raises(Forbidden):
        listed.proactive_item(foreign["id"], street)


def test_a_street_sees_the_counts_of_its_lists(listed):
    counts = listed.proactive_counts(DISTRICT, SYSTEM)
    total = sum(n for by_status in counts.values() for n in by_status.values())
    assert total == len(listed.proactive_items(DISTRICT, SYSTEM))


def test_hotspot_api_and_list_api(listed, make_app):
    from tests.conftest import client_of

    app = make_app(listed.url)
    district = client_of(app)
    doc = district.get("/api/hotspots").get_json()
    assert doc["run"]["id"] == listed.latest_run()["id"] and doc["items"]
    assert {"grid_codes", "category", "pattern", "score", "observed", "expected", "significance", "start"} <= set(
        doc["items"][0])
    assert district.get("/api/hotspots?category=nonsense").status_code == 400
    assert district.get("/api/proactive-items?status=open").status_code == 400
    street = client_of(app, "street", "370212001")
    assert street.get("/api/hotspots?scope=street&id=370212002").status_code == 403
    items = street.get("/api/proactive-items").get_json()["items"]
    assert all(i["scope_code"].startswith("370212001") for i in items)
    item = item_on(listed, "370212001")
    url = f"/api/proactive-items/{item['id']}/status"
    assert street.post(url, data="status=dispatched", content_type="application/x-www-form-urlencoded").status_code == 415
    assert street.post(url, json={"status": "resolved"}).status_code == 409
    assert street.post(url, json=["dispatched"]).status_code == 400
    moved = street.post(url, json={"status": "dispatched", "reason": "派街道城管科"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "dispatched"
    other = client_of(app, "street", "370212002")
    assert other.post(url, json={"status": "in_progress"}).status_code == 403
    assert app.server.test_client().get("/api/proactive-items").status_code == 401


def test_analyze_from_the_command_line(writable_store, capsys):
    from dashboard.tools import cli

    code = cli.main(["analyze", "--database-url", writable_store.url, "--as-of", AS_OF.isoformat()],
                    lambda _config: None)
    printed = capsys.readouterr().out
    assert code == 0 and "完成：第" in printed and "未诉先办清单" in printed
    writable_store.acquire_lock("analysis", "another-process")
    code = cli.main(["analyze", "--database-url", writable_store.url], lambda _config: None)
    assert code == 2 and "另一个进程正在运行分析任务" in capsys.readouterr().err
    assert date.fromisoformat(printed.split("数据截至 ")[1][:10]) == AS_OF.date()


def test_the_schedule_runs_when_due_and_once_across_processes(writable_store):
    from geo.analysis import schedule

    hour = timedelta(hours=1)
    assert schedule.is_due(None, hour, AS_OF)
    assert not schedule.is_due({"started_at": AS_OF - timedelta(minutes=59)}, hour, AS_OF)
    assert schedule.is_due({"started_at": AS_OF - hour}, hour, AS_OF)
    first = schedule.run_if_due(writable_store, hour)
    assert first is not None and writable_store.latest_run()["id"] == first["run_id"]
    assert schedule.run_if_due(writable_store, hour) is None  # just ran
    writable_store.acquire_lock("analysis", "a process on another machine")
    assert schedule.run_if_due(writable_store, timedelta(0)) is None  # due, but someone else holds the lock
    assert writable_store.latest_run()["id"] == first["run_id"]
