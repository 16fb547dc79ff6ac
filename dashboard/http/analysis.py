"""The 未诉先办 API: hotspots, forecasts, repeat groups and the proactive list (read, and move an item on).

Every read is scoped like every other (the store authorizes); a change goes
through the store's one transition rule and is audited.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.http.params import as_of_arg, int_arg, require_media_type, scope_arg, single_values
from dashboard.services import current_viewer, get_store
from dashboard.view.analysis import category_arg, current_run, hotspots_doc, items_doc, run_info, status_arg
from geo.scope import InvalidQuery

blueprint = Blueprint("analysis", __name__)
MAX_ITEM_ID = 2**62


@blueprint.get("/api/hotspots")
def hotspots():
    """Emerging hotspots of the latest run (or the run for ``as_of``) touching a scope."""
    args = single_values(request.args)
    viewer = current_viewer()
    return jsonify(hotspots_doc(get_store(), scope_arg(args, viewer), viewer,
                                category_arg(args.get("category"), allow_all=True), as_of_arg(args)))


@blueprint.get("/api/proactive-items")
def proactive_items():
    """The 未诉先办 lists of a scope and the units inside it, filtered by status and category."""
    args = single_values(request.args)
    viewer = current_viewer()
    return jsonify(items_doc(get_store(), scope_arg(args, viewer), viewer, status_arg(args.get("status")),
                             category_arg(args.get("category"))))


@blueprint.get("/api/proactive-items/<int:item_id>")
def proactive_item(item_id: int):
    """One item with its evidence and history."""
    if item_id > MAX_ITEM_ID:
        raise InvalidQuery("事项编号超出范围")
    return jsonify(get_store().proactive_item(item_id, current_viewer()))


@blueprint.post("/api/proactive-items/<int:item_id>/status")
def change_item(item_id: int):
    """Moves an item on: ``{"status": "dispatched", "reason": "…"}`` (不采纳 needs a reason)."""
    require_media_type("application/json")
    if item_id > MAX_ITEM_ID:
        raise InvalidQuery("事项编号超出范围")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise InvalidQuery("请求体应为 JSON 对象，含状态 status")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidQuery("理由 reason 应为文字")
    return jsonify(get_store().change_proactive_item(item_id, current_viewer(), body["status"], reason))


@blueprint.get("/api/forecasts")
def forecasts():
    """Weekly actuals and the next weeks' forecast with 80 % and 95 % intervals, of a street or the district."""
    args, scope, viewer, run = _scoped_run()
    rows = get_store().forecasts(scope, viewer, category_arg(args.get("category")), run["id"] if run else None)
    return jsonify({"scope": scope.level, "id": scope.code, "run": run_info(run), "items": rows})


@blueprint.get("/api/repeats")
def repeat_groups():
    """Repeat-appeal groups of the latest run inside a scope, largest first."""
    args, scope, viewer, run = _scoped_run()
    rows = get_store().repeat_groups(scope, viewer, run["id"] if run else None,
                                     limit=int_arg(args, "limit", 50, 1, 500))
    return jsonify({"scope": scope.level, "id": scope.code, "run": run_info(run), "items": rows})


def _scoped_run():
    """The query, its unit (checked: it exists and the caller may see it), the caller, and the run it reads."""
    args = single_values(request.args)
    viewer = current_viewer()
    scope = scope_arg(args, viewer)
    get_store().resolve(scope, viewer)
    return args, scope, viewer, current_run(get_store(), as_of_arg(args))
