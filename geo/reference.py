"""The committed reference geography (``geo/data``), read into frames for the store.

The files are made by ``python -m geo.build`` from OpenStreetMap
boundaries (© OpenStreetMap contributors, ODbL) and the NBS community list.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
LAYER_FILES = {
    "district": "district.geojson",
    "street": "streets.geojson",
    "community": "communities.geojson",
    "grid": "grids.geojson",
    "professional": "professional_grids.geojson",
}


def read_geojson(name: str, data_dir: Path = DATA_DIR) -> dict:
    """A committed file as parsed GeoJSON (for static base-map layers such as ``neighbours``)."""
    return json.loads((data_dir / f"{name}.geojson").read_text(encoding="utf-8"))


def read_layer(level: str, data_dir: Path = DATA_DIR) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / LAYER_FILES[level])


def load(data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """Frames keyed like the store's ``load_geography`` expects."""
    district = read_layer("district", data_dir)
    streets = read_layer("street", data_dir).assign(district_code=lambda f: f["parent_code"])
    communities = read_layer("community", data_dir).assign(street_code=lambda f: f["parent_code"])
    professional = read_layer("professional", data_dir)
    # Nested dicts in properties come back as JSON text from some drivers; read them raw.
    raw_grids = json.loads((data_dir / LAYER_FILES["grid"]).read_text(encoding="utf-8"))["features"]
    grids = read_layer("grid", data_dir).assign(community_code=lambda f: f["parent_code"])
    key_population = pd.DataFrame(
        [
            {"grid_code": f["properties"]["code"], "type": kind, "count": int(n)}
            for f in raw_grids
            for kind, n in sorted(f["properties"]["key_population_by_type"].items())
        ]
    )
    members = pd.DataFrame(
        [
            {"professional_code": code, "grid_code": f["properties"]["code"]}
            for f in raw_grids
            for _, code in sorted(f["properties"]["professional"].items())
        ]
    )
    return {
        "district": district,
        "street": streets,
        "community": communities,
        "grid": grids,
        "professional": professional,
        "professional_members": members,
        "key_population": key_population,
    }
