"""Checks the committed geography in geo/data (rebuilt with ``python -m geo.build``)."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.build.inputs import NBS_COMMUNITIES
from geo.crs import KM_PER_DEG_LAT, km_per_deg_lon
from geo.domain import DISTRICT_CODE, DISTRICT_NAME, KEY_POPULATION_TYPES, PROFESSIONAL_TYPES, STREETS

DATA = Path(__file__).resolve().parents[1] / "geo" / "data"
FILES = (
    "district.geojson",
    "streets.geojson",
    "communities.geojson",
    "grids.geojson",
    "professional_grids.geojson",
    "neighbours.geojson",
)
#: NBS 2021 communities per street (geo/build/nbs_communities_2021.csv).
COMMUNITIES_PER_STREET = {"370212001": 22, "370212002": 43, "370212003": 34, "370212004": 36, "370212005": 32}
URBAN = ("370212001", "370212005")
#: Tiling tolerance, relative to the parent's area.
REL_TOL = 1e-9


@cache
def layer(name: str) -> tuple[list[dict], np.ndarray]:
    """(properties, geometries) of one committed file, loaded once per test run."""
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    props = [f["properties"] for f in data["features"]]
    geoms = np.array([shape(f["geometry"]) for f in data["features"]], dtype=object)
    return props, geoms


def by_code(name: str) -> dict[str, tuple[dict, shapely.Geometry]]:
    props, geoms = layer(name)
    return {p["code"]: (p, g) for p, g in zip(props, geoms, strict=True)}


def assert_tiles(children: np.ndarray, parent: shapely.Geometry, what: str) -> None:
    """Children cover the parent exactly (no gap, nothing outside) and do not overlap."""
    union = shapely.union_all(children)
    assert abs(union.area - parent.area) <= REL_TOL * parent.area, f"{what}: union area differs"
    assert shapely.symmetric_difference(union, parent).area <= REL_TOL * parent.area, f"{what}: gap or spill"
    tree = shapely.STRtree(children)
    i, j = tree.query(children, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(children[i[keep]], children[j[keep]]))
    assert overlap.sum() <= REL_TOL * parent.area, f"{what}: children overlap by {overlap.sum():.3g} deg²"


def test_files_are_compact():
    sizes = [(DATA / name).stat().st_size for name in FILES]
    assert sum(sizes) < 2_000_000
    text = (DATA / "grids.geojson").read_text(encoding="utf-8")
    assert "\n" not in text.rstrip("\n") and ": " not in text


@pytest.mark.parametrize("name", FILES)
def test_every_polygon_is_valid_and_non_empty(name):
    _, geoms = layer(name)
    assert len(geoms) > 0
    assert shapely.is_valid(geoms).all(), shapely.is_valid_reason(geoms[~shapely.is_valid(geoms)])
    assert not shapely.is_empty(geoms).any()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}  # Polygon, MultiPolygon
    assert (shapely.area(geoms) > 0).all()


@pytest.mark.parametrize("name", FILES)
def test_coordinates_are_wgs84_with_six_decimals(name):
    _, geoms = layer(name)
    coords = shapely.get_coordinates(geoms)
    assert (coords[:, 0] > 119).all() and (coords[:, 0] < 122).all()
    assert (coords[:, 1] > 35).all() and (coords[:, 1] < 38).all()
    scaled = coords * 1e6
    assert np.abs(scaled - np.round(scaled)).max() < 1e-4


def test_district_is_one_feature():
    props, geoms = layer("district.geojson")
    assert props == [{"code": DISTRICT_CODE, "name": DISTRICT_NAME, "parent_code": None}]
    km2 = geoms[0].area * km_per_deg_lon(36.15) * KM_PER_DEG_LAT
    assert 370 < km2 < 400  # the five streets' land (OSM: 388 km²), not the sea-inclusive outline


def test_streets_have_the_official_codes():
    props, _ = layer("streets.geojson")
    assert {p["code"]: p["name"] for p in props} == STREETS
    assert all(p["parent_code"] == DISTRICT_CODE for p in props)


def test_communities_are_the_167_real_ones():
    props, _ = layer("communities.geojson")
    assert len(props) == 167
    codes = [p["code"] for p in props]
    assert len(set(codes)) == 167
    assert all(len(c) == 12 and c.isdigit() for c in codes)
    counts = {s: sum(p["parent_code"] == s for p in props) for s in STREETS}
    assert counts == COMMUNITIES_PER_STREET
    with NBS_COMMUNITIES.open(encoding="utf-8", newline="") as fh:
        expected = {(r["community_code"], r["community_name"], r["street_code"]) for r in csv.DictReader(fh)}
    assert {(p["code"], p["name"], p["parent_code"]) for p in props} == expected


def test_exactly_863_grids_with_sequential_codes():
    props, _ = layer("grids.geojson")
    assert len(props) == 863
    communities = by_code("communities.geojson")
    seqs: dict[str, list[int]] = {}
    for p in props:
        assert len(p["code"]) == 15 and p["code"].isdigit()
        seqs.setdefault(p["parent_code"], []).append(int(p["code"][12:]))
        name = communities[p["parent_code"]][0]["name"]
        assert p["name"] == f"{name}第{int(p['code'][12:])}网格"
    assert len({p["code"] for p in props}) == 863
    assert set(seqs) == set(communities)  # every community has at least one grid
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values())


def test_codes_are_hierarchical():
    streets, communities, grids = (
        by_code(f) for f in ("streets.geojson", "communities.geojson", "grids.geojson")
    )
    for code, (p, _) in streets.items():
        assert code.startswith(DISTRICT_CODE) and p["parent_code"] == DISTRICT_CODE
    for code, (p, _) in communities.items():
        assert p["parent_code"] in streets and code.startswith(p["parent_code"])
    for code, (p, _) in grids.items():
        assert p["parent_code"] in communities and code.startswith(p["parent_code"])
        assert p["street_code"] == p["parent_code"][:9]


def test_streets_tile_the_district():
    _, district = layer("district.geojson")
    _, streets = layer("streets.geojson")
    assert_tiles(streets, district[0], "district")


def test_communities_tile_their_street():
    communities = layer("communities.geojson")
    for code, (_, street) in by_code("streets.geojson").items():
        mine = np.array(
            [g for p, g in zip(*communities, strict=True) if p["parent_code"] == code], dtype=object
        )
        assert_tiles(mine, street, code)


def test_grids_tile_their_community():
    props, geoms = layer("grids.geojson")
    parent = np.array([p["parent_code"] for p in props])
    for code, (_, community) in by_code("communities.geojson").items():
        assert_tiles(geoms[parent == code], community, code)


def test_no_two_grids_overlap_anywhere():
    _, geoms = layer("grids.geojson")
    _, district = layer("district.geojson")
    assert_tiles(geoms, district[0], "all grids")


def test_grid_figures_are_in_range():
    props, _ = layer("grids.geojson")
    for p in props:
        assert 300 <= p["households"] <= 500
        assert 1.5 <= p["population"] / p["households"] <= 1.9 + 1e-9
        assert p["buildings"] >= 1 and p["house_numbers"] >= p["buildings"]
        assert p["legal_persons"] >= 0
        assert list(p["key_population_by_type"]) == list(KEY_POPULATION_TYPES)
        assert all(isinstance(v, int) and v >= 0 for v in p["key_population_by_type"].values())
        assert p["key_population"] == sum(p["key_population_by_type"].values())


def test_totals_are_believable():
    props, _ = layer("grids.geojson")
    assert 17_000 <= sum(p["key_population"] for p in props) <= 21_000
    population = sum(p["population"] for p in props)
    assert 550_000 * 0.85 <= population <= 550_000 * 1.15
    assert 300 * 863 <= sum(p["households"] for p in props) <= 500 * 863


def test_community_totals_are_the_sum_of_their_grids():
    grids, _ = layer("grids.geojson")
    for code, (p, _) in by_code("communities.geojson").items():
        mine = [g for g in grids if g["parent_code"] == code]
        assert p["households"] == sum(g["households"] for g in mine)
        assert p["population"] == sum(g["population"] for g in mine)


def test_urban_grids_are_small_and_mountain_grids_large():
    props, geoms = layer("grids.geojson")
    street = np.array([p["street_code"] for p in props])
    area = shapely.area(geoms)
    urban = np.isin(street, URBAN)
    assert np.median(area[urban]) * 3 < np.median(area[~urban])
    jufeng = shapely.Point(120.609, 36.164)  # 巨峰, the main peak
    peak_grid = geoms[shapely.contains(geoms, jufeng)]
    assert len(peak_grid) == 1 and peak_grid[0].area > 10 * np.median(area[urban])
    # Most people live in the city, but the villages are not empty.
    share = sum(p["population"] for p, u in zip(props, urban, strict=True) if u) / sum(
        p["population"] for p in props
    )
    assert 0.5 < share < 0.8


def test_each_professional_type_partitions_all_grids_once():
    grids, grid_geoms = layer("grids.geojson")
    props, geoms = layer("professional_grids.geojson")
    _, district = layer("district.geojson")
    for kind, label in PROFESSIONAL_TYPES.items():
        units = {p["code"]: (p, g) for p, g in zip(props, geoms, strict=True) if p["type"] == kind}
        assert 10 <= len(units) <= 60, kind
        members: dict[str, list[int]] = {code: [] for code in units}
        for n, g in enumerate(grids):
            assert list(g["professional"]) == list(PROFESSIONAL_TYPES)
            members[g["professional"][kind]].append(n)  # KeyError: a grid points at a missing unit
        assert sum(len(m) for m in members.values()) == 863
        for code, (p, geom) in units.items():
            assert (
                code.startswith(f"{kind}-") and p["type_name"] == label and p["parent_code"] == DISTRICT_CODE
            )
            assert p["grid_count"] == len(members[code]) > 0
            assert_tiles(grid_geoms[members[code]], geom, code)  # basic grids nest in it
        assert_tiles(np.array([g for _, g in units.values()], dtype=object), district[0], kind)
    counts = {kind: sum(p["type"] == kind for p in props) for kind in PROFESSIONAL_TYPES}
    assert len(set(counts.values())) > 1  # the partitions differ in coarseness


def _grids_containing(points: np.ndarray) -> np.ndarray:
    _, geoms = layer("grids.geojson")
    hits, _ = shapely.STRtree(geoms).query(points, predicate="within")
    return np.bincount(hits, minlength=len(points))


def test_points_on_land_fall_in_exactly_one_grid():
    _, district = layer("district.geojson")
    rng = np.random.default_rng(12345)
    x0, y0, x1, y1 = district[0].bounds
    points = shapely.points(rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000))
    points = points[shapely.within(points, district[0])]
    assert len(points) > 1000
    assert (_grids_containing(points) == 1).all()


def test_points_at_sea_or_in_shinan_fall_in_no_grid():
    rng = np.random.default_rng(54321)
    sea = shapely.points(rng.uniform(120.75, 120.95, 500), rng.uniform(35.95, 36.35, 500))
    assert (_grids_containing(sea) == 0).all()
    names, geoms = layer("neighbours.geojson")
    shinan = geoms[[p["name"] for p in names].index("市南区")]
    _, district = layer("district.geojson")
    x0, y0, x1, y1 = shinan.bounds
    candidates = shapely.points(rng.uniform(x0, x1, 3000), rng.uniform(y0, y1, 3000))
    # Away from the shared border, which the simplified base map only follows to ~0.001°.
    inside = shapely.within(candidates, shinan) & (shapely.distance(candidates, district[0]) > 0.003)
    landmarks = shapely.points([(120.3845, 36.0622), (120.3490, 36.0530)])  # 五四广场, 八大关
    assert shapely.within(landmarks, shinan).all()
    points = np.concatenate([candidates[inside], landmarks])
    assert len(points) > 100
    assert (_grids_containing(points) == 0).all()


def test_neighbours_are_the_other_districts():
    props, _ = layer("neighbours.geojson")
    names = [p["name"] for p in props]
    assert "市南区" in names and "李沧区" in names and DISTRICT_NAME not in names
    assert len(names) == 9 and all(set(p) == {"name"} for p in props)
