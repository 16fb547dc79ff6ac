"""The header's search and /api/search: appeals by id or source_ref, units by name or pinyin, only what one may see."""

from __future__ import annotations

import time
from datetime import date

import pytest

from dashboard.view.search import result_href, result_state, search
from dashboard.view.state import ViewState
from geo import reference
from geo.access import SYSTEM, Viewer
from geo.names import MAX_QUERY, Candidate, clean_query, find_units, pinyin_match, readings, syllables
from geo.scope import DISTRICT, Filters, Scope, Window
from tests.conftest import client_of
from tests.test_store_contract import WINDOW

ZHONGHAN, SHAZIKOU = "370212001", "370212002"
#: What an attacker types: wildcards, quotes, SQL, control characters, very long strings.
HOSTILE = ["%", "_", "%%", "%_%", "' OR '1'='1", "1 OR 1=1", "1; DROP TABLE appeals; --", "\x00", "\x1b[31m",
           "a" * 100_000, "中" * 10_000, "\u202e社区", "RX-%", "*", "\\", "<script>alert(1)</script>",
           "9" * 19, "9" * 18]


@pytest.fixture(scope="module")
def units() -> list[Candidate]:
    return [Candidate(level, r.code, r.name) for level in ("street", "community", "grid")
            for r in reference.read_layer(level).itertuples()]


# -- name and pinyin matching (geo/names.py) ------------------------------------------------------


@pytest.mark.parametrize("query", ["zh", "zhsq", "zhonghan", "ZhongHan", "中韩", "zhong han", "中韩社区"])
def test_zhonghan_is_found_by_name_pinyin_and_initials(units, query):
    found = [u.name for u in find_units(query, units)]
    assert "中韩社区" in found, found
    if query not in ("zhsq", "中韩社区"):  # 社区 is in the query: the street is not 中韩社区's match
        assert found[0] == "中韩街道"


def test_matching_runs_through_consecutive_syllables():
    parts = syllables("金家岭街道", readings(["金家岭街道"]))
    assert pinyin_match("jjl", parts) == 0
    assert pinyin_match("jinjialing", parts) == 0
    assert pinyin_match("jiedao", parts) == 3
    assert pinyin_match("jld", parts) is None  # 岭 is not followed by d
    assert pinyin_match("jjljd", parts) == 0 and pinyin_match("jljd", parts) == 1


def test_polyphones_match_any_reading():
    # 长 reads chang or zhang: both find the name.
    parts = syllables("长岭", readings(["长岭"]))
    assert pinyin_match("cl", parts) == 0 and pinyin_match("zl", parts) == 0


def test_better_matches_come_first(units):
    found = find_units("金家岭", units)
    assert [u.name for u in found[:2]] == ["金家岭街道", "金家岭社区"]
    assert [u.level for u in find_units("jjl", units)][:1] == ["street"]


def test_queries_are_cleaned():
    assert clean_query("  zh\x00sq \t ") == "zhsq"
    assert clean_query("中韩\u202e") == "中韩"
    assert clean_query(["zh"]) == "" and clean_query(None) == ""
    assert len(clean_query("x" * 10_000)) == MAX_QUERY


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_harmless_for_names(units, query):
    started = time.monotonic()
    found = find_units(query, units)
    assert time.monotonic() - started < 2
    assert all(isinstance(u, Candidate) for u in found)
    if query in ("%", "_", "%%", "%_%", "' OR '1'='1", "*", "\\"):
        assert found == []  # a wildcard is a character like any other: no name holds it


# -- the store's appeal lookup (both backends) ----------------------------------------------------


def some_appeals(store, street: str, n: int = 3) -> list[dict]:
    return store.appeals(Scope("street", street), WINDOW, limit=n, viewer=SYSTEM)["items"]


def test_find_appeals_by_id_and_source_ref(seeded_store):
    item = some_appeals(seeded_store, ZHONGHAN, 1)[0]
    for text in (str(item["id"]), item["source_ref"], item["source_ref"].lower(), f"  {item['id']} "):
        found = seeded_store.search_appeals(text, SYSTEM)
        assert [f["id"] for f in found] == [item["id"]], text
    assert found[0]["grid_code"] == item["grid_code"] and found[0]["title"] == item["title"]
    assert "reporter_name" not in found[0] and "reporter_phone" not in found[0]
    assert seeded_store.search_appeals(item["source_ref"][:-1], SYSTEM) == []  # exact, not a prefix


def test_find_appeals_only_within_the_viewers_unit(seeded_store):
    foreign = some_appeals(seeded_store, SHAZIKOU, 1)[0]
    own = some_appeals(seeded_store, ZHONGHAN, 1)[0]
    street = Viewer("street", Scope("street", ZHONGHAN))
    community = Viewer("community", Scope("community", own["community_code"]))
    for text in (str(foreign["id"]), foreign["source_ref"]):
        assert seeded_store.search_appeals(text, street) == []
    assert [f["id"] for f in seeded_store.search_appeals(own["source_ref"], street)] == [own["id"]]
    assert [f["id"] for f in seeded_store.search_appeals(str(own["id"]), community)] == [own["id"]]
    with pytest.raises(Exception, match="管理员"):
        seeded_store.search_appeals(str(own["id"]), Viewer("admin"))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_are_harmless_for_the_store(seeded_store, text):
    before = seeded_store.count("appeals")
    assert seeded_store.search_appeals(text, SYSTEM) == []
    assert seeded_store.count("appeals") == before


# -- the search itself: scoped, and where its results lead -------------------------------------------


def test_a_street_account_never_finds_another_street(seeded_store):
    street = Viewer("street", Scope("street", ZHONGHAN))
    foreign = some_appeals(seeded_store, SHAZIKOU, 1)[0]
    assert search(seeded_store, "沙子口", street) == []
    assert search(seeded_store, "szk", street) == []
    assert search(seeded_store, foreign["source_ref"], street) == []
    everything = [r for q in ("sq", "wg", "社区", "网格", "街道") for r in search(seeded_store, q, street, limit=50)]
    assert everything and all(r["code"].startswith(ZHONGHAN) for r in everything)
    district = search(seeded_store, "沙子口", SYSTEM)
    assert district[0]["type"] == "street" and district[0]["code"] == SHAZIKOU


def test_a_community_account_does_not_find_its_street(seeded_store):
    community = Viewer("community", Scope("community", "370212001001"))
    assert [r["code"] for r in search(seeded_store, "中韩", community)][:1] == ["370212001001"]
    assert all(r["code"].startswith("370212001001") for r in search(seeded_store, "zh", community, limit=20))


def test_results_lead_to_their_unit_keeping_window_and_filters(seeded_store):
    state = ViewState(DISTRICT, Window(date(2026, 10, 1), date(2026, 11, 1)), Filters(kind=("livelihood",)),
                      compare=(ZHONGHAN, SHAZIKOU))
    item = some_appeals(seeded_store, ZHONGHAN, 1)[0]
    [appeal] = [r for r in search(seeded_store, str(item["id"]), SYSTEM) if r["type"] == "appeal"]
    opened = result_state(state, appeal)
    assert opened.scope == Scope("grid", item["grid_code"]) and opened.appeal == item["id"]
    assert opened.window == state.window and opened.filters == state.filters
    street = search(seeded_store, "中韩街道", SYSTEM)[0]
    href = result_href(state, street)
    assert href.startswith(f"/?scope=street&id={ZHONGHAN}&from=2026-10-01&to=2026-11-01&kind=livelihood")
    assert "appeal=" not in href
    assert ViewState.from_search(href[1:], date(2026, 11, 20)) == result_state(state, street)


# -- GET /api/search ---------------------------------------------------------------------------------------


def test_api_search_is_scoped_and_refuses_bad_calls(make_app, seeded_store):
    app = make_app(seeded_store.url)
    district, street = client_of(app, "district"), client_of(app, "street", ZHONGHAN)
    doc = district.get("/api/search?q=szk").get_json()
    assert doc["q"] == "szk" and doc["items"][0]["name"] == "沙子口街道"
    assert doc["items"][0]["href"] == f"/?scope=street&id={SHAZIKOU}"
    assert street.get("/api/search?q=szk").get_json()["items"] == []
    item = some_appeals(seeded_store, SHAZIKOU, 1)[0]
    assert street.get(f"/api/search?q={item['source_ref']}").get_json()["items"] == []
    found = district.get(f"/api/search?q={item['source_ref']}").get_json()["items"][0]
    assert found["type"] == "appeal" and found["href"].endswith(f"id={item['grid_code']}&appeal={item['id']}")
    assert district.get("/api/search").status_code == 400
    assert district.get("/api/search?q=a&q=b").status_code == 400
    assert district.get("/api/search?q=zh&limit=0").status_code == 400
    assert len(district.get("/api/search?q=sq&limit=20").get_json()["items"]) == 20
    for text in ("%", "_", "' OR 1=1 --", "a" * 5000, "%00"):
        r = district.get("/api/search", query_string={"q": text})
        assert r.status_code == 200 and r.get_json()["items"] == []
    assert app.server.test_client().get("/api/search?q=zh").status_code == 401
    assert client_of(app, "screen").get("/api/search?q=zh").status_code == 403
