"""Callback requests checked before Dash sees them: a malformed body is a 400 in Chinese, never Dash's 500.

Dash dispatches ``POST …/_dash-update-component`` by trusting the body: an
unknown output, a wrong number of inputs, a list instead of an object or a body
that is not JSON each end in a stack trace and an HTML 500. The renderer only
ever sends what ``_dash-dependencies`` describes, so every body is checked
against the app's ``callback_map`` here, for each Dash app on the server (the
dashboard and the wall). Values are not judged here: each callback validates
its own (a forged value gets a notice or the default).
"""

from __future__ import annotations

import json

import dash
from flask import jsonify, request

from geo.ingest import parse_json

#: Dash's callback route, after each app's routes prefix.
UPDATE_ROUTE = "_dash-update-component"


def declared_outputs(output: str) -> list[dict]:
    """The outputs a ``callback_map`` key names: ``..a.children...b.hidden..`` (several) or ``a.children`` (one);
    a pattern-matching id (``{"appeal":["MATCH"],…}``) comes back as its dict."""
    names = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), name.rsplit(".", 1), strict=True)) for name in names]
    for item in outputs:
        if item["id"].startswith("{"):
            item["id"] = json.loads(item["id"])
    return outputs


def prop_id(item: dict) -> str:
    """``id.property`` as Dash names an input (a pattern id as its JSON)."""
    identity = item["id"]
    if isinstance(identity, dict):
        identity = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    return f"{identity}.{item['property']}"


def _pattern(identity):
    """A pattern-matching id, as a dict, whether ``callback_map`` holds it as a dict or as its JSON text."""
    if isinstance(identity, str) and identity.startswith("{"):
        return json.loads(identity)
    return identity


def _same(declared: dict, sent) -> bool:
    """Whether a sent dependency is the declared one; a pattern (dict) id may come as a list of matches."""
    declared = {**declared, "id": _pattern(declared["id"])}
    if isinstance(declared["id"], dict) and isinstance(sent, list):
        return all(_same(declared, item) for item in sent)
    if not isinstance(sent, dict) or "id" not in sent or "property" not in sent:
        return False
    if isinstance(declared["id"], dict):
        return isinstance(sent["id"], dict) and set(sent["id"]) == set(declared["id"]) and \
            sent["property"] == declared["property"]
    return sent["id"] == declared["id"] and sent["property"] == declared["property"]


def _without_suffix(item: dict) -> dict:
    """An output as the renderer names it, without ``allow_duplicate``'s ``@hash``."""
    return {**item, "property": str(item["property"]).split("@", 1)[0]}


def _dependencies_problem(name: str, declared: list[dict], sent) -> str | None:
    if not isinstance(sent, list):
        return f"{name} 应为数组"
    if len(sent) != len(declared):
        return f"{name} 应有 {len(declared)} 项，收到 {len(sent)} 项"
    wrong = [i for i, (d, s) in enumerate(zip(declared, sent, strict=True)) if not _same(d, s)]
    return f"{name} 第 {wrong[0] + 1} 项不是该回调声明的组件属性" if wrong else None


def body_problem(callback_map: dict, body) -> str | None:
    """Why a callback request body cannot be dispatched by this app, or None if its shape is what the renderer sends."""
    if not isinstance(body, dict):
        return "请求体应为 JSON 对象"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "未知的回调输出"
    spec = callback_map[output]
    declared = declared_outputs(output)
    sent = body.get("outputs")
    sent = sent if isinstance(sent, list) or sent is None else [sent]
    if sent is not None:
        sent = [_without_suffix(s) if isinstance(s, dict) and "property" in s else s for s in sent]
        problem = _dependencies_problem("outputs", [_without_suffix(d) for d in declared], sent)
        if problem:
            return problem
    problem = _dependencies_problem("inputs", spec["inputs"], body.get("inputs"))
    if problem:
        return problem
    if spec["state"] or body.get("state") is not None:
        problem = _dependencies_problem("state", spec["state"], body.get("state", []))
        if problem:
            return problem
    changed = body.get("changedPropIds", [])
    inputs = {prop_id(i) for i in spec["inputs"] if not isinstance(_pattern(i["id"]), dict)}
    patterns = any(isinstance(_pattern(i["id"]), dict) for i in spec["inputs"])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds 应为字符串数组"
    unknown = [c for c in changed if c not in inputs and not (patterns and c.startswith("{"))]
    if unknown:
        return "changedPropIds 含该回调没有的输入"
    return None


def check(callback_map: dict):
    """The refusal of the current callback request (a response), or None to let Dash dispatch it."""
    if request.mimetype != "application/json":
        return jsonify({"error": "回调请求应为 application/json"}), 415
    try:
        body = parse_json(request.get_data(as_text=True))
    except ValueError as exc:
        return jsonify({"error": f"回调请求体{exc}"}), 400
    problem = body_problem(callback_map, body)
    return (jsonify({"error": f"回调请求无效：{problem}"}), 400) if problem else None


def register(*apps: dash.Dash) -> None:
    """Checks every callback request of these Dash apps (which share one server) before Dash dispatches it."""
    routes = {app.config.routes_pathname_prefix + UPDATE_ROUTE: app for app in apps}
    server = apps[0].server

    @server.before_request
    def _check_callback_request():
        app = routes.get(request.path)
        if app is None or request.method != "POST":
            return None
        return check(app.callback_map)
