"""Response helpers shared by the JSON API and the map API."""

from __future__ import annotations

import hashlib
import json

from flask import Response, request

from geo.crs import geojson_to_gcj02
from geo.scope import InvalidQuery


def crs_arg(args) -> str:
    crs = args.get("crs") or "wgs84"
    if crs not in ("wgs84", "gcj02"):
        raise InvalidQuery(f"参数 crs={crs!r} 应为 wgs84 或 gcj02")
    return crs


def geojson_response(collection: dict, crs: str = "wgs84", max_age: int = 300) -> Response:
    if crs == "gcj02":
        collection = geojson_to_gcj02(collection)
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return Response(status=304)
    response = Response(body, mimetype="application/geo+json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response
