"""What the builder reads: OSM outlines from the shared folder (``--source``), communities from the repo.

The NBS community list is committed next to this module, so the builder and the tests
read the same 167 names and codes whether or not the shared folder is there.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from geo.build.helpers import Projection
from geo.domain import DISTRICT_NAME, STREETS

DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"
#: The NBS 2021 community list (names and 12-digit codes), the builder's own committed input.
NBS_COMMUNITIES = Path(__file__).resolve().parent / "nbs_communities_2021.csv"

#: OSM street outlines carry a few slivers of tens of m²; parts below this are dropped.
MIN_PART_M2 = 1_000.0
#: Street outlines are coverage-simplified by this much (°, about 10 m) before anything else.
SIMPLIFY_DEG = 1e-4


@dataclass(frozen=True)
class Street:
    """One 街道 from OSM, with its NBS code."""

    code: str
    name: str
    geom: shapely.Geometry


def load_streets(source: Path, proj: Projection) -> list[Street]:
    """Reads the five streets and drops OSM slivers too small to hold a community."""
    data = json.loads((source / "laoshan_subdistricts_osm_wgs84.geojson").read_text(encoding="utf-8"))
    streets = []
    for feature in data["features"]:
        code = feature["properties"]["stats_code_2023"]
        parts = shapely.get_parts(shape(feature["geometry"]))
        parts = parts[proj.area_km2(parts) * 1e6 >= MIN_PART_M2]
        streets.append(Street(code, STREETS[code], shapely.multipolygons(parts)))
    streets.sort(key=lambda s: s.code)
    # Coverage simplification moves shared edges together, so the streets still tile; ~10 m is far
    # below the few hundred metres the outlines are good to, and it keeps the files small.
    simple = shapely.coverage_simplify(np.array([s.geom for s in streets], dtype=object), SIMPLIFY_DEG)
    streets = [Street(s.code, s.name, g) for s, g in zip(streets, simple, strict=True)]
    if [s.code for s in streets] != sorted(STREETS):
        raise ValueError(f"expected the streets {sorted(STREETS)}, got {[s.code for s in streets]}")
    return streets


def load_neighbours(source: Path) -> list[tuple[str, shapely.Geometry]]:
    """The other districts of 青岛 (admin level 6), for the coast and the base map."""
    data = json.loads((source / "qingdao_admin_osm_wgs84.geojson").read_text(encoding="utf-8"))
    out = [
        (f["properties"]["name"], shape(f["geometry"]))
        for f in data["features"]
        if f["properties"].get("admin_level") == "6" and f["properties"].get("name") != DISTRICT_NAME
    ]
    return sorted(out, key=lambda item: item[0])


def load_communities(path: Path = NBS_COMMUNITIES) -> dict[str, list[tuple[str, str]]]:
    """(code, name) of each street's communities, in code order."""
    out: dict[str, list[tuple[str, str]]] = {code: [] for code in sorted(STREETS)}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["community_code"].startswith(row["street_code"]):
                raise ValueError(f"community {row['community_code']} is not under {row['street_code']}")
            out[row["street_code"]].append((row["community_code"], row["community_name"]))
    return {code: sorted(rows) for code, rows in out.items()}
