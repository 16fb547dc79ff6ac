"""The JSON API on the dashboard's Flask server: /api/* and /healthz.

Handlers only parse parameters and call the store; every bad input becomes a
JSON ``{"error": ...}`` with a 4xx status, an outage a 503.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, current_app, jsonify, request

from dashboard.responses import crs_arg, geojson_response
from geo.scope import DISTRICT, Filters, InvalidQuery, Scope, Window, check_date_range, local_today
from geo.store.errors import StoreError
from geo.store.store import Store

STORE_KEY = "zhizhi.store"
CACHE_KEY = "zhizhi.cache"
MAX_PAGE = 1000
GEO_LEVELS = ("district", "street", "community", "grid", "professional")

blueprint = Blueprint("api", __name__)


def get_store() -> Store:
    return current_app.extensions[STORE_KEY]


def get_cache():
    """The shared query cache, or None when the app runs without one (tests of raw queries)."""
    return current_app.extensions.get(CACHE_KEY)


def viewer_scope() -> Scope:
    """What the caller may see. There is no login yet, so the whole district."""
    return DISTRICT


def query_text() -> str:
    """The raw query string as text (exports and images take the dashboard URL's query verbatim)."""
    try:
        return request.query_string.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery("查询参数不是有效的 UTF-8") from None


def query_scope(args) -> Scope:
    return Scope.parse(args.get("scope"), args.get("id"))


def query_window(args) -> Window:
    return Window.parse(args.get("from"), args.get("to"), local_today())


def single_values(args) -> dict[str, str]:
    """Query parameters, each at most once: a repeated one is ambiguous, so it is refused."""
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise InvalidQuery(f"参数重复：{', '.join(repeated)}")
    return args.to_dict()


def _int_arg(args, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise InvalidQuery(f"参数 {name}={raw!r} 应为整数")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidQuery(f"参数 {name}={value} 超出范围 [{low}, {high}]")
    return value


def _as_of(args) -> datetime | None:
    raw = args.get("as_of")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"参数 as_of={raw!r} 不是有效的 ISO 8601 时间") from None
    if value.tzinfo is None:
        raise InvalidQuery("参数 as_of 必须带时区，例如 2026-11-27T12:00:00+08:00")
    check_date_range(value.date(), "as_of")
    return value


@blueprint.get("/api/kpis")
def kpis():
    """KPIs of a scope and window (see README: KPIs)."""
    args = single_values(request.args)
    doc = get_store().kpis(
        query_scope(args),
        query_window(args),
        as_of=_as_of(args),
        filters=Filters.parse(args),
        viewer=viewer_scope(),
    )
    return jsonify(doc)


@blueprint.get("/api/appeals")
def appeals():
    """The appeals /api/kpis counts, paged, personal data masked."""
    args = single_values(request.args)
    doc = get_store().appeals(
        query_scope(args),
        query_window(args),
        limit=_int_arg(args, "limit", 100, 1, MAX_PAGE),
        offset=_int_arg(args, "offset", 0, 0, 10**9),
        filters=Filters.parse(args),
        viewer=viewer_scope(),
    )
    return jsonify(doc)


@blueprint.get("/api/workers")
def workers():
    """Workers of a scope with their last position, names masked."""
    return jsonify(get_store().workers(query_scope(single_values(request.args)), viewer=viewer_scope()))


@blueprint.get("/api/geo/<level>.geojson")
def boundaries(level: str):
    """Boundaries of one level as GeoJSON (optionally only inside ``parent``, or in GCJ-02), cacheable by ETag."""
    if level not in GEO_LEVELS:
        raise InvalidQuery(f"未知的边界层级 {level!r}，应为 {', '.join(GEO_LEVELS)} 之一")
    args = single_values(request.args)
    viewer = viewer_scope()
    parent = args.get("parent")
    if parent:
        within = Scope.from_code(parent)
        get_store().resolve(within, viewer)
        viewer = within
    return geojson_response(get_store().boundaries(level, viewer), crs_arg(args))


@blueprint.get("/healthz")
def healthz():
    """Backend, reachability and schema; 503 unless the store can serve."""
    report = get_store().health()
    ok = report["database"] == "reachable" and report.get("schema") == "current" and "error" not in report
    return jsonify({"status": "ok" if ok else "error", **report}), 200 if ok else 503


@blueprint.route("/api/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_api(_unknown: str):
    """Unknown API paths answer JSON 404, not the dashboard's HTML."""
    return jsonify({"error": f"未知的接口：{request.path}"}), 404


@blueprint.app_errorhandler(InvalidQuery)
def _invalid(exc: InvalidQuery):
    return jsonify({"error": str(exc)}), 400


@blueprint.app_errorhandler(StoreError)
def _store_error(exc: StoreError):
    response = jsonify({"error": str(exc)})
    response.status_code = exc.http_status
    if exc.http_status == 503:
        response.headers["Retry-After"] = "5"
    return response


@blueprint.app_errorhandler(413)
def _too_large(_exc):
    return jsonify({"error": "请求体过大（上限 8 MB）；请分批发送"}), 413
