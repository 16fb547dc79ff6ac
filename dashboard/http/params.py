"""Reading requests and shaping responses, shared by every route: query parameters, numbers, times, GeoJSON."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

from flask import Response, request

from dashboard.errors import HttpError
from dashboard.view.state import window_from
from geo.access import Viewer
from geo.clock import local_today
from geo.crs import geojson_to_gcj02
from geo.scope import InvalidQuery, Scope, Window, check_date_range, param_label, quoted


def single_values(args) -> dict[str, str]:
    """Query parameters, each at most once: a repeated one is ambiguous, so it is refused."""
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise InvalidQuery("参数重复：" + "、".join(f"{param_label(k)}（{k}）" if param_label(k) != k else k for k in repeated))
    return args.to_dict()


def require_media_type(*allowed: str) -> None:
    """Refuses a body declared as another media type (415): a cross-site form can then never pose as a writer.

    The parameters of the type (``charset``) do not matter; a missing type is refused like a wrong one.
    """
    if request.mimetype not in allowed:
        received = request.mimetype or "未标明"
        raise HttpError(415, f"请求体类型应为 {' 或 '.join(allowed)}（收到：{received}）")


def query_text() -> str:
    """The raw query string as text (exports and images take the dashboard URL's query verbatim)."""
    try:
        return request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery("查询参数不是有效的 UTF-8") from None


def scope_arg(args, viewer: Viewer) -> Scope:
    """The asked-for unit; without ``scope`` and ``id``, the viewer's own."""
    if not args.get("scope") and not args.get("id"):
        return viewer.scope
    return Scope.parse(args.get("scope"), args.get("id"))


def window_arg(args) -> Window:
    """``from``/``to`` or ``range``, as a dashboard link says them."""
    return window_from(args, local_today())[0]


def int_arg(args, name: str, default: int, low: int, high: int) -> int:
    """A whole number within [low, high]; absent or empty gives the default."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise InvalidQuery(f"{param_label(name)}应为整数，收到{quoted(raw)}")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidQuery(f"{param_label(name)} {value} 超出范围 {low}–{high}")
    return value


def as_of_arg(args) -> datetime | None:
    """``as_of``: an ISO time with its offset (a naive one would be ambiguous); absent means now."""
    raw = args.get("as_of")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"数据截至时间{quoted(raw)}无效，应为带时区的时间，例如 2026-11-27T12:00:00+08:00") from None
    if value.tzinfo is None:
        raise InvalidQuery("数据截至时间必须带时区，例如 2026-11-27T12:00:00+08:00")
    check_date_range(value.date(), "as_of")
    return value


def crs_arg(args) -> str:
    crs = args.get("crs") or "wgs84"
    if crs not in ("wgs84", "gcj02"):
        raise InvalidQuery(f"坐标系{quoted(crs)}无效，应为 wgs84（WGS-84）或 gcj02（GCJ-02）")
    return crs


def geojson_response(collection: dict, crs: str = "wgs84", max_age: int = 300) -> Response:
    """GeoJSON (moved to GCJ-02 on request) with an ETag, so browsers reuse big geometry."""
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
