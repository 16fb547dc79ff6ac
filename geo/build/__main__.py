"""Builds the synthetic grid geography of 崂山区 into ``geo/data`` (``python -m geo.build``).

This module only wires the stages together; the package docstring says what is real and what is
synthetic.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely

from geo.build.attributes import grid_attributes
from geo.build.density import Density, coastline
from geo.build.helpers import PRECISION, Projection
from geo.build.inputs import DEFAULT_SOURCE, load_communities, load_neighbours, load_streets
from geo.build.levels import Grid, build_communities, build_grids, rebuild_parents
from geo.build.output import check_written, feature, write_collection
from geo.build.professional import professional_grids
from geo.domain import DISTRICT_CODE, DISTRICT_NAME, PROFESSIONAL_TYPES, STREETS

DEFAULT_SEED = 20221020
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data"


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> dict:
    """Builds every level and writes the files; returns a summary for the caller to print."""
    started = time.perf_counter()
    proj = Projection.create()
    streets = load_streets(source, proj)
    neighbours = load_neighbours(source)
    rows = load_communities()
    land = shapely.union_all([s.geom for s in streets])
    density = Density.create(land, coastline(land, [g for _, g in neighbours]), proj, seed)

    communities = build_communities(streets, rows, density, seed)
    grids = build_grids(communities, density, seed)
    attrs = grid_attributes(grids, seed)
    professional = professional_grids(grids, attrs, proj, seed)
    community_geom, street_geom = rebuild_parents(grids)
    # The OSM district outline includes sea, so the district is the union of its (land) streets.
    district = shapely.coverage_union_all(list(street_geom.values()))

    prof_of: dict[int, dict[str, str]] = {n: {} for n in range(len(grids))}
    for unit in professional:
        for m in unit.members:
            prof_of[m][unit.type] = unit.code
    grid_features = []
    totals: dict[str, dict[str, int]] = {}
    for n, (g, a) in enumerate(zip(grids, attrs, strict=True)):
        props = {
            "code": g.code,
            "name": f"{g.community.name}第{g.seq}网格",
            "parent_code": g.community.code,
            "street_code": g.community.street,
            **a,
            "professional": {kind: prof_of[n][kind] for kind in PROFESSIONAL_TYPES},
        }
        grid_features.append(feature(g.geom, props))
        t = totals.setdefault(g.community.code, {"households": 0, "population": 0})
        t["households"] += a["households"]
        t["population"] += a["population"]
    community_features = [
        feature(
            community_geom[c.code],
            {"code": c.code, "name": c.name, "parent_code": c.street, **totals[c.code]},
        )
        for c in communities
    ]
    street_features = [
        feature(street_geom[s.code], {"code": s.code, "name": s.name, "parent_code": DISTRICT_CODE})
        for s in streets
    ]
    district_features = [
        feature(district, {"code": DISTRICT_CODE, "name": DISTRICT_NAME, "parent_code": None})
    ]
    professional_features = [
        feature(
            shapely.coverage_union_all([grids[m].geom for m in unit.members]),
            {
                "code": unit.code,
                "name": unit.name,
                "parent_code": DISTRICT_CODE,
                "street_code": unit.street,
                "type": unit.type,
                "type_name": PROFESSIONAL_TYPES[unit.type],
                "grid_count": len(unit.members),
            },
        )
        for unit in professional
    ]
    neighbour_features = [
        feature(shapely.set_precision(g.simplify(0.001, preserve_topology=True), PRECISION), {"name": name})
        for name, g in neighbours
    ]

    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "district.geojson": district_features,
        "streets.geojson": street_features,
        "communities.geojson": community_features,
        "grids.geojson": grid_features,
        "professional_grids.geojson": professional_features,
        "neighbours.geojson": neighbour_features,
    }
    sizes = {}
    for name, features in outputs.items():
        sizes[name] = write_collection(out / name, features)
        check_written(out / name, len(features))
    return {
        "sizes": sizes,
        "seconds": time.perf_counter() - started,
        "grids": grids,
        "attrs": attrs,
        "communities": communities,
        "professional": professional,
        "proj": proj,
    }


def _report(summary: dict) -> str:
    """Per-street counts, grid sizes and totals, to eyeball a build."""
    proj: Projection = summary["proj"]
    grids: list[Grid] = summary["grids"]
    attrs: list[dict] = summary["attrs"]
    area = proj.area_km2(np.array([g.geom for g in grids], dtype=object))
    lines = [f"{name:28s} {size / 1024:8.1f} KiB" for name, size in summary["sizes"].items()]
    lines.append(f"{'total':28s} {sum(summary['sizes'].values()) / 1024:8.1f} KiB")
    for code, name in sorted(STREETS.items()):
        mine = np.array([g.community.street == code for g in grids])
        n_comm = sum(c.street == code for c in summary["communities"])
        a = area[mine]
        pop = sum(attrs[i]["population"] for i in np.flatnonzero(mine))
        lines.append(
            f"{code} {name}: {n_comm:3d} communities {mine.sum():4d} grids  population {pop:7d}  grid km² "
            f"min {a.min():.3f} median {np.median(a):.3f} max {a.max():.3f}"
        )
    total = {key: sum(a[key] for a in attrs) for key in ("households", "population", "key_population")}
    lines.append(
        f"households {total['households']}  population {total['population']}  "
        f"key population {total['key_population']}  build {summary['seconds']:.1f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: ``python -m geo.build [--seed N] [--source DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m geo.build", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="shared/data/geo")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(_report(build(args.source, args.out, args.seed)))


if __name__ == "__main__":
    main()
