"""The JSON API on the dashboard's Flask server: /api/kpis, appeals, search, workers, boundaries and /healthz.

Handlers only parse parameters and call the store; every bad input becomes a
JSON ``{"error": ...}`` with a 4xx status, an outage a 503 (:mod:`dashboard.errors`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.http.params import (
    as_of_arg,
    crs_arg,
    geojson_response,
    int_arg,
    scope_arg,
    single_values,
    window_arg,
)
from dashboard.services import current_viewer, get_store
from dashboard.view.search import result_href, search
from dashboard.view.state import ViewState
from geo.names import clean_query
from geo.scope import Filters, InvalidQuery, Scope, quoted

MAX_PAGE = 1000
MAX_SEARCH_RESULTS = 20
GEO_LEVELS = ("district", "street", "community", "grid", "professional")

blueprint = Blueprint("api", __name__)


@blueprint.get("/api/kpis")
def kpis():
    """KPIs of a scope and window (see README: KPIs)."""
    args = single_values(request.args)
    as_of = as_of_arg(args)  # a past as_of reproduces the view as it stood then, arrivals included
    doc = get_store().kpis(scope_arg(args, current_viewer()), window_arg(args), as_of=as_of, filters=Filters.parse(args),
                           viewer=current_viewer(), arrived_by=as_of)
    return jsonify(doc)


@blueprint.get("/api/appeals")
def appeals():
    """The appeals /api/kpis counts, paged, personal data masked."""
    args = single_values(request.args)
    doc = get_store().appeals(
        scope_arg(args, current_viewer()),
        window_arg(args),
        limit=int_arg(args, "limit", 100, 1, MAX_PAGE),
        offset=int_arg(args, "offset", 0, 0, 10**9),
        filters=Filters.parse(args),
        viewer=current_viewer(),
    )
    return jsonify(doc)


@blueprint.get("/api/search")
def search_units_and_appeals():
    """The header's search: appeals by id or source_ref, units by name or pinyin, only what the caller may see."""
    args = single_values(request.args)
    if "q" not in args:
        raise InvalidQuery("缺少搜索词 q")
    items = search(get_store(), args["q"], current_viewer(), limit=int_arg(args, "limit", 8, 1, MAX_SEARCH_RESULTS))
    home = ViewState(scope=current_viewer().scope)
    return jsonify({"q": clean_query(args["q"]), "items": [{**item, "href": result_href(home, item)} for item in items]})


@blueprint.get("/api/workers")
def workers():
    """Workers of a scope with their last position, names masked."""
    return jsonify(get_store().workers(scope_arg(single_values(request.args), current_viewer()), viewer=current_viewer()))


@blueprint.get("/api/geo/<level>.geojson")
def boundaries(level: str):
    """Boundaries of one level as GeoJSON (optionally only inside ``parent``, or in GCJ-02), cacheable by ETag."""
    if level not in GEO_LEVELS:
        raise InvalidQuery(f"未知的边界层级{quoted(level)}，应为 {'、'.join(GEO_LEVELS)} 之一")
    args = single_values(request.args)
    viewer = current_viewer()
    parent = args.get("parent")
    if parent:
        within = Scope.from_code(parent)
        get_store().resolve(within, viewer)
        viewer = viewer.narrowed(within)
    return geojson_response(get_store().boundaries(level, viewer), crs_arg(args))


@blueprint.get("/healthz")
def healthz():
    """Up or down, nothing more: it is open to anyone (load balancers), so it names no backend, version or error.

    What is wrong is printed by ``python app.py migrate`` and shown to signed-in users.
    """
    report = get_store().health()
    ok = report["database"] == "reachable" and report.get("schema") == "current" and "error" not in report
    return jsonify({"status": "up" if ok else "down"}), 200 if ok else 503


@blueprint.route("/api/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_api(_unknown: str):
    """Unknown API paths answer JSON 404, not the dashboard's HTML."""
    return jsonify({"error": f"未知的接口：{request.path}"}), 404
