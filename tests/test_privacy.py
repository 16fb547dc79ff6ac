"""The personal-data rules of geo/privacy.py, and the store applying them by viewer on both backends."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.view import live
from geo import reference
from geo.access import COARSE_DECIMALS, SYSTEM, Viewer
from geo.demo.text import SOURCE_TEXT, category_text
from geo.domain import CATEGORIES, KEY_POPULATION_TYPES
from geo.privacy import (
    MIN_COUNT,
    mask_actor,
    mask_name,
    mask_phone,
    published_count,
    published_key_population,
    published_sum,
    redact_text,
    worker_key,
    worker_key_period,
)
from geo.scope import DISTRICT, Scope, Window
from geo.store.errors import Forbidden, NotFound
from geo.store.store import Store

WINDOW = Window(date(2026, 9, 21), date(2026, 11, 21))
STREET = Scope("street", "370212002")
VIEWERS = {
    "district": Viewer("district"),
    "street": Viewer("street", STREET),
    "community": Viewer("community", Scope("community", "370212002001")),
    "screen": Viewer("screen"),
}


# -- names, phones, free text ---------------------------------------------------------------


def test_names_and_phones():
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name(None) is None
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("85551234") == "******34"


@pytest.mark.parametrize("typed,shown", [
    ("电话 13812345678 或 0532-88886666", "电话 138****5678 或 053****6666"),
    ("手机+86 138-1234-5678，座机(0532)8888 6666", "手机138****5678，座机053****6666"),
    ("身份证 37021219900101123X，邮箱 a.b@qq.com", "身份证 3****************X，邮箱 a***@qq.com"),
    ("身份证号 370212 19900101 1234", "身份证号 3****************4"),
    ("老身份证370212900101123。", "老身份证3*************3。"),
    ("银行卡6222021234567890128", "银行卡***************0128"),
    ("退款到 6222 0212 3456 7890 128", "退款到 ***************0128"),
    ("卡号：6222021234567890", "卡号：************7890"),  # not Luhn-valid, but said to be a card
    ("邮箱：ＺＨＡＮＧ＠ＥＸＡＭＰＬＥ．ＣＯＭ，电话１３８１２３４５６７８", "邮箱：Z***@EXAMPLE.COM，电话138****5678"),
    ("联系人：张三，电话：88886666，微信 zhangsan_1990，QQ号 12345678",
     "联系人：张*，电话：******66，微信 ***，QQ号 ***"),
    ("诉求人 王小明。", "诉求人 王**。"),
])
def test_contact_details_in_free_text_are_masked(typed, shown):
    assert redact_text(typed) == shown


@pytest.mark.parametrize("text", [
    "3号楼2单元 2026年11月 路灯不亮",
    "诉求编号 20261128093015123 已受理",  # a 17-digit reference: no card network starts with 2
    "订单 6222021234567891 未到账",  # 16 digits that fail the Luhn check, and nothing says card
    "2026-11-28 09:30 报修，已等 120 分钟",
    "网格员巡查发现井盖缺失",
    None,
    "",
])
def test_ordinary_text_is_left_alone(text):
    assert redact_text(text) == text


def strings(value) -> list[str]:
    return [value] if isinstance(value, str) else [s for v in value for s in strings(v)]


def test_demo_wording_is_left_alone(seeded_store):
    """The demo's wording, and the titles and descriptions of stored demo appeals, come through unchanged:
    the rules raise no false alarms on ordinary appeals."""
    texts = strings(category_text())
    assert len(texts) > 100 and [t for t in texts if redact_text(t) != t] == []
    listed = seeded_store.appeals(DISTRICT, WINDOW, limit=300, viewer=SYSTEM)["items"]
    for item in listed:
        stored = seeded_store.appeal_detail(item["id"], SYSTEM, unmasked=True)
        assert (item["title"], item["description"]) == (stored["title"], stored["description"])


def test_actors():
    assert mask_actor("张三") == "张*"
    assert mask_actor("网格员张三") == "网格员张*"
    assert mask_actor("网格员李四 13812345678") == "网格员李* 138****5678"
    assert mask_actor("张三（网格员）") == "张*（网格员）"
    demo = [row[4] for row in SOURCE_TEXT] + [c.department for c in CATEGORIES]
    for organisation in (*demo, "街道综治中心", "社区工作站", "区社会治理中心", "网格员", "W00012", None):
        assert mask_actor(organisation) == organisation


# -- counts of people -----------------------------------------------------------------------


def test_small_counts_are_suppressed():
    assert [published_count(n)["text"] for n in (0, 1, 2, 3, 40)] == ["<3", "<3", "<3", "3", "40"]
    assert published_count(0) == published_count(2)  # nothing tells 0 from 1 or 2
    assert MIN_COUNT == 3
    total = published_sum([published_count(n) for n in (5, 1, 0, 7)])
    assert total == {"low": 12, "high": 16, "text": "12–16"}
    assert published_sum([published_count(n) for n in (1, 2)])["text"] == "<5"
    assert published_sum([published_count(n) for n in (5, 7)])["text"] == "12"


def bounds_after_attack(cells: dict, totals: list[tuple[list, dict]]) -> dict:
    """What an attacker learns about each cell from every published figure: interval propagation over the
    cells' own published bounds and every published total (``totals``: the cells summed, and the figure)."""
    bounds = {c: [v["low"], v["high"]] for c, v in cells.items()}
    changed = True
    while changed:
        changed = False
        for members, figure in totals:
            for c in members:
                others_low = sum(bounds[o][0] for o in members if o != c)
                others_high = sum(bounds[o][1] for o in members if o != c)
                low, high = max(bounds[c][0], figure["low"] - others_high), min(bounds[c][1], figure["high"] - others_low)
                if [low, high] != bounds[c]:
                    bounds[c], changed = [low, high], True
    return bounds


def published_tables(true: dict[str, dict[str, int]]) -> tuple[dict, list]:
    """Grid cells and every total of them the product could show: per grid, per community and type, per
    community, per street and type, per street; each built by published_sum from the published cells."""
    cells, totals = {}, []
    for grid, by_type in true.items():
        published = published_key_population(by_type)
        for kind, value in published["key_population_by_type"].items():
            cells[(grid, kind)] = value
        totals.append(([(grid, k) for k in KEY_POPULATION_TYPES], published["key_population"]))
    for width in (12, 9):  # community, street
        for unit in {g[:width] for g in true}:
            for kinds in [[k] for k in KEY_POPULATION_TYPES] + [list(KEY_POPULATION_TYPES)]:
                members = [(g, k) for g in true if g.startswith(unit) for k in kinds]
                totals.append((members, published_sum(cells[m] for m in members)))
    return cells, totals


def test_no_total_recovers_a_suppressed_cell():
    """Differencing every total the product could publish (grid, community, street; by type and overall)
    leaves each suppressed cell anywhere in 0–2, and publishes the same whatever the suppressed cells hold."""
    true = {"370212001001001": {"mental_health": 1, "elderly_alone": 4, "disabled": 9},
            "370212001001002": {"mental_health": 2, "elderly_alone": 0, "disabled": 12},
            "370212001002001": {"mental_health": 0, "elderly_alone": 1, "disabled": 3}}
    cells, totals = published_tables(true)
    bounds = bounds_after_attack(cells, totals)
    for (grid, kind), value in cells.items():
        if value["low"] != value["high"]:
            assert bounds[(grid, kind)] == [0, MIN_COUNT - 1], (grid, kind)
    for changes in itertools.product(range(MIN_COUNT), repeat=3):  # any true values of three suppressed cells
        other = json.loads(json.dumps(true))
        for grid, n in zip(true, changes, strict=True):
            other[grid]["mental_health"] = n
        assert published_tables(other) == (cells, totals)


def test_the_attack_finds_a_cell_behind_an_exact_total():
    """The attack above is a real one: an exact total next to suppressed cells gives them away."""
    lone = bounds_after_attack({"a": published_count(1), "b": published_count(13)}, [(["a", "b"], published_count(14))])
    assert lone["a"] == [1, 1]
    true = {**{k: 5 for k in KEY_POPULATION_TYPES}, "mental_health": 1}
    cells = published_key_population(true)["key_population_by_type"]
    assert cells["mental_health"]["text"] == "<3"
    bounds = bounds_after_attack(cells, [(list(cells), published_count(sum(true.values())))])
    assert bounds["mental_health"] == [1, 1]


def test_the_store_publishes_only_suppressed_counts(seeded_store):
    """Every grid's figures, from the boundaries and the profile, are the committed counts suppressed, and the
    district's grids survive the differencing attack."""
    raw = reference.load()["key_population"]
    true: dict[str, dict[str, int]] = {}
    for row in raw.itertuples():
        true.setdefault(row.grid_code, {})[row.type] = row.count
    features = seeded_store.boundaries("grid", viewer=SYSTEM)["features"]
    assert len(features) == len(true) == 863
    suppressed = 0
    for f in features:
        p = f["properties"]
        assert {k: p[k] for k in ("key_population", "key_population_by_type")} == published_key_population(true[p["code"]])
        suppressed += sum(v["low"] != v["high"] for v in p["key_population_by_type"].values())
        for kind, value in p["key_population_by_type"].items():
            assert value["text"] == (str(true[p["code"]].get(kind, 0)) if true[p["code"]].get(kind, 0) >= 3 else "<3")
    assert suppressed > 100  # the synthetic data does have small cells
    profile = seeded_store.grid_profile(features[0]["properties"]["code"], viewer=SYSTEM)
    assert profile["key_population"] == features[0]["properties"]["key_population"]
    assert not re.search(r'"(?:count|value)"', json.dumps(profile["key_population_by_type"]))
    street_true = {g: v for g, v in true.items() if g.startswith("370212001")}
    cells, totals = published_tables(street_true)
    bounds = bounds_after_attack(cells, totals)
    assert all(bounds[c] == [0, 2] for c, v in cells.items() if v["low"] != v["high"])


# -- appeals by viewer ----------------------------------------------------------------------


def decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def test_coordinates_are_coarse_below_district(seeded_store):
    for role, viewer in VIEWERS.items():
        scope = viewer.scope
        items = seeded_store.appeals(scope, WINDOW, limit=200, viewer=viewer)["items"]
        assert items
        fine = max(max(decimals(i["lon"]), decimals(i["lat"])) for i in items)
        if role == "district":
            assert fine > COARSE_DECIMALS
        else:
            assert fine <= COARSE_DECIMALS, role
    public = seeded_store.find_appeals(limit=50, viewer=SYSTEM)
    assert public and all(decimals(r["lon"]) <= COARSE_DECIMALS and decimals(r["lat"]) <= COARSE_DECIMALS
                          for r in public)


def plant(store: Store, **fields) -> int:
    record = {"source": "hotline_12345", "source_ref": "PRIV-1", "kind": "livelihood", "category": "noise",
              "priority": "normal", "title": "噪音 13812345678", "description": "邮箱 a.b@qq.com",
              "reporter_name": "欧阳娜娜", "reporter_phone": "13912345678", "lon": 120.44621234, "lat": 36.13491234,
              "accepted_at": datetime(2026, 11, 20, 1, 0, tzinfo=UTC), "status": "accepted",
              "handling_level": "community", **fields}
    [(appeal_id, _)] = store.ingest_appeals([record])
    return appeal_id


def test_appeal_detail_unmasks_only_on_request_and_only_for_handlers(writable_store):
    appeal_id = plant(writable_store)
    grid = writable_store.appeal_detail(appeal_id, SYSTEM)["grid_code"]
    inside = {"district": Viewer("district"), "street": Viewer("street", Scope("street", grid[:9])),
              "community": Viewer("community", Scope("community", grid[:12]))}
    for role, viewer in inside.items():
        masked = writable_store.appeal_detail(appeal_id, viewer)
        assert masked["reporter_name"] == "欧阳**" and masked["reporter_phone"] == "139****5678", role
        assert "13812345678" not in masked["title"] and "a.b@qq.com" not in masked["description"]
        full = writable_store.appeal_detail(appeal_id, viewer, unmasked=True)
        assert full["reporter_name"] == "欧阳娜娜" and full["reporter_phone"] == "13912345678"
        assert full["title"] == "噪音 13812345678" and full["description"] == "邮箱 a.b@qq.com"
        assert (full["lon"], full["lat"]) == (120.44621234, 36.13491234)
        assert set(full) == set(masked)
    assert writable_store.appeal_detail(appeal_id, inside["street"])["lon"] == round(120.44621234, COARSE_DECIMALS)
    with pytest.raises(Forbidden, match="大屏"):
        writable_store.appeal_detail(appeal_id, Viewer("screen"), unmasked=True)
    assert writable_store.appeal_detail(appeal_id, Viewer("screen"))["reporter_name"] == "欧阳**"
    elsewhere = "370212001" if grid[:9] != "370212001" else "370212002"
    with pytest.raises(Forbidden):
        writable_store.appeal_detail(appeal_id, Viewer("street", Scope("street", elsewhere)), unmasked=True)
    with pytest.raises(Forbidden):
        writable_store.appeal_detail(appeal_id, Viewer("admin"), unmasked=True)
    with pytest.raises(NotFound):
        writable_store.appeal_detail(10**12, SYSTEM, unmasked=True)


def test_actors_are_masked_in_the_timeline(writable_store):
    appeal_id = plant(writable_store)
    writable_store.add_event(appeal_id, {"to_status": "dispatched", "actor": "网格员张三（13812345678）"})
    writable_store.add_event(appeal_id, {"to_status": "in_progress", "actor": "王小明"})
    actors = [e["actor"] for e in writable_store.appeal_events(appeal_id, SYSTEM)]
    assert actors == ["网格员张*（138****5678）", "王**"]


# -- workers by viewer ----------------------------------------------------------------------


def test_the_wall_gets_no_worker_ids_names_or_homes(seeded_store):
    named = seeded_store.workers(DISTRICT, viewer=SYSTEM)
    wall = seeded_store.workers(DISTRICT, viewer=Viewer("screen"))
    assert named["key_period"] is None and all(w["key"] == w["id"] and "*" in w["name"] for w in named["items"])
    assert wall["total"] == named["total"] > 1000
    assert wall["key_period"] == worker_key_period(datetime.now(UTC))
    ids = {w["id"] for w in named["items"]}
    text = json.dumps(wall, ensure_ascii=False)
    assert not [i for i in ids if i in text]
    for w in wall["items"]:
        assert set(w) == {"key", "type", "status", "lon", "lat", "at"}
        assert w["lon"] is None or max(decimals(w["lon"]), decimals(w["lat"])) <= COARSE_DECIMALS
    keys = [w["key"] for w in wall["items"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # ordered by key: the order says nothing either
    assert seeded_store.workers(DISTRICT, viewer=Viewer("screen"))["items"] == wall["items"]  # stable within a period
    # Another server process on the same database makes the same keys (the secret is the store's).
    twin = Store(seeded_store.url)
    try:
        assert [w["key"] for w in twin.workers(DISTRICT, viewer=Viewer("screen"))["items"]] == keys
    finally:
        twin.dispose()


def test_worker_keys_turn_over_every_period():
    now = datetime(2026, 11, 20, 4, 30, tzinfo=UTC)
    period = worker_key_period(now)
    assert worker_key_period(now + timedelta(minutes=29)) == period != worker_key_period(now + timedelta(hours=1))
    assert worker_key("s", period, "W00001") == worker_key("s", period, "W00001")
    assert worker_key("s", period, "W00001") != worker_key("s", period + 1, "W00001")
    assert worker_key("s", period, "W00001") != worker_key("other", period, "W00001")
    assert "W00001" not in worker_key("s", period, "W00001")


def test_the_wall_patches_workers_by_their_keys(writable_store):
    """A moved worker is patched into the wall's layer by its key; the layer is sent again once keys turn over."""
    wall = Viewer("screen")
    points, index = live.worker_layer(writable_store, DISTRICT, wall, names=False)
    assert index["period"] is not None and len(index["keys"]) == len(points["features"]) > 0
    assert all(set(f["properties"]) == {"type", "status"} for f in points["features"])
    worker = writable_store.workers(DISTRICT, viewer=SYSTEM)["items"][0]
    at = datetime.fromisoformat(index["since"]) + timedelta(seconds=5)
    writable_store.record_positions([{"worker_id": worker["id"], "at": at, "lon": 120.5012345, "lat": 36.2012345,
                                      "status": "handling"}])
    patch, new_index = live.worker_patch(writable_store, DISTRICT, index, wall, names=False)
    operations = patch.to_plotly_json()["operations"]
    moved = {tuple(op["location"]): op["params"]["value"] for op in operations}
    assert len(moved) == 2  # one worker: its coordinates and its status
    [(location, coordinates)] = [(loc, v) for loc, v in moved.items() if loc[-1] == "coordinates"]
    assert coordinates == [120.501, 36.201]
    assert datetime.fromisoformat(new_index["since"]) == at and new_index["keys"] == index["keys"]
    assert worker["id"] not in json.dumps(operations)
    expired = {**index, "period": index["period"] - 1}
    again, fresh = live.worker_patch(writable_store, DISTRICT, expired, wall, names=False)
    assert fresh["period"] == index["period"] and again["type"] == "FeatureCollection"
