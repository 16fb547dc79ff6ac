"""Routes of Open311 GeoReport v2 at ``/open311/v2/``, and the spec's error format.

The mapping between Open311 and our appeals is :mod:`dashboard.ingest.open311`.
Only the JSON format is served, and every error is the spec's
``[{"code", "description"}]`` with the HTTP status as the code.
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from dashboard.errors import HttpError, status_of, with_retry_after
from dashboard.http.access import key_identity
from dashboard.http.params import require_media_type, single_values
from dashboard.ingest.open311 import (
    ENDPOINT,
    MAX_REQUESTS,
    REQUEST_ID,
    jurisdiction_problem,
    notice,
    parse_ids,
    parse_time,
    request_window,
    service,
    service_request,
    statuses_for,
    submit,
)
from dashboard.services import current_viewer, data_written, get_store
from geo import clock
from geo.domain import CATEGORIES, CATEGORY_BY_CODE
from geo.ingest import parse_json
from geo.scope import InvalidQuery, parse_codes
from geo.store.errors import NotFound, StoreError

PREFIX = "/open311/v2"
#: An api_key inside a raw body we could not parse (JSON or form style), to blank it before filing.
API_KEY_IN_TEXT = re.compile(r"""((?:"api_key"\s*:\s*"|api_key=))[^"&]*""")

blueprint = Blueprint("open311", __name__)


def _post_params() -> tuple[dict | None, str, str]:
    """(the parameters, the raw body, why not): a JSON object or a form; None with the reason if a JSON body is not one."""
    if request.is_json:
        raw = request.get_data(as_text=True)
        try:
            body = parse_json(raw)
        except ValueError as exc:
            return None, raw, str(exc)
        return (body, raw, "") if isinstance(body, dict) else (None, raw, "不是 JSON 对象")
    params = {k: v[0] if len(v) == 1 else v for k, v in request.form.lists()}
    return params, "", ""


def errors_response(status: int, descriptions: list[str]):
    """The spec's error answer: an array of {code, description}."""
    response = jsonify([{"code": status, "description": d} for d in descriptions])
    response.status_code = status
    return with_retry_after(response)


def _json_only(fmt: str) -> None:
    if fmt != "json":
        raise InvalidQuery(f"不支持的格式 .{fmt}：本接口只提供 JSON（请改用 .json）")


def _query_args() -> dict[str, str]:
    """Query parameters, each once, except the list filters the spec lets repeat (status=open&status=closed)."""
    repeatable = ("service_request_id", "service_code", "status")
    args = single_values(MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in repeatable]))
    args.update({k: ",".join(request.args.getlist(k)) for k in repeatable if k in request.args})
    return args


def _check_jurisdiction(args: dict) -> None:
    problem = jurisdiction_problem(args.get("jurisdiction_id"))
    if problem:
        raise InvalidQuery(f"参数 jurisdiction_id：{problem}")


@blueprint.get(f"{PREFIX}/services.<fmt>")
def services(fmt: str):
    """GET Service List: every category, grouped by kind."""
    _json_only(fmt)
    _check_jurisdiction(single_values(request.args))
    return jsonify([service(c) for c in CATEGORIES])


@blueprint.get(f"{PREFIX}/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    """GET Service Definition: our services take no extra attributes."""
    _json_only(fmt)
    _check_jurisdiction(single_values(request.args))
    if code not in CATEGORY_BY_CODE:
        raise NotFound(f"未知的服务：{code}")
    return jsonify({"service_code": code, "attributes": []})


@blueprint.post(f"{PREFIX}/requests.<fmt>")
def create_request(fmt: str):
    """POST Service Request (form or JSON); 201 created, 200 for a retry with the same idempotency key."""
    _json_only(fmt)
    require_media_type("application/x-www-form-urlencoded", "application/json")
    params, raw, why_not = _post_params()
    key = (params or {}).get("api_key")
    store = get_store()
    try:
        key_name, _ = key_identity(key if isinstance(key, str) and key else request.headers.get("X-API-Key"))
    except HttpError as exc:  # the spec answers a missing api_key with 403, like a wrong one
        if exc.status == 429:
            raise
        raise HttpError(403, str(exc)) from None
    if params is None:
        scrubbed = API_KEY_IN_TEXT.sub(r"\1***", raw[:100_000])  # the secret never reaches a dead letter
        store.file_dead_letters(ENDPOINT, [(scrubbed, [f"payload: {why_not}"])], key_name)
        return errors_response(400, [f"请求体{why_not}（已存入死信）"])
    params = {k: v for k, v in params.items() if k != "api_key"}  # the secret never reaches a dead letter
    header_key = request.headers.get("Idempotency-Key")
    if header_key is not None:
        params.setdefault("idempotency_key", header_key)
        if params["idempotency_key"] != header_key:
            return errors_response(400, ["idempotency_key 与请求头 Idempotency-Key 不一致"])
    result, errors = submit(store, params, key_name)
    data_written()
    if result is None:
        return errors_response(400, errors)
    answer = [{"service_request_id": str(result["id"]), "service_notice": notice(params["service_code"].strip()),
               "account_id": None}]
    return jsonify(answer), 201 if result["status"] == "created" else 200


@blueprint.get(f"{PREFIX}/requests.<fmt>")
def list_requests(fmt: str):
    """GET Service Requests: by ids (which override every other filter), or by code, time and status."""
    _json_only(fmt)
    args = _query_args()
    _check_jurisdiction(args)
    store, viewer = get_store(), current_viewer()
    if args.get("service_request_id"):
        rows = store.find_appeals(ids=parse_ids(args["service_request_id"]), limit=MAX_REQUESTS, viewer=viewer)
    else:
        start = parse_time(args["start_date"], "start_date") if args.get("start_date") else None
        end = parse_time(args["end_date"], "end_date", end=True) if args.get("end_date") else None
        start, end = request_window(start, end, clock.now())
        categories = parse_codes(args.get("service_code"), CATEGORY_BY_CODE, "service_code")
        rows = store.find_appeals(start=start, end=end, categories=categories,
                                  statuses=statuses_for(args.get("status")), limit=MAX_REQUESTS, viewer=viewer)
    return jsonify([service_request(r) for r in rows])


@blueprint.get(f"{PREFIX}/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str):
    """GET Service Request: a one-element array, per the spec; 404 for an unknown id."""
    _json_only(fmt)
    _check_jurisdiction(single_values(request.args))
    rows = []
    if REQUEST_ID.fullmatch(request_id):
        rows = get_store().find_appeals(ids=[int(request_id)], limit=1, viewer=current_viewer())
    if not rows:
        raise NotFound(f"未找到服务请求：{request_id}")
    return jsonify([service_request(rows[0])])


@blueprint.route(f"{PREFIX}/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_unknown: str):
    """Unknown Open311 paths (and methods) answer the spec's JSON error, not the dashboard's HTML."""
    return errors_response(404, [f"未知的接口：{request.method} {request.path}"])


@blueprint.errorhandler(InvalidQuery)
@blueprint.errorhandler(StoreError)
@blueprint.errorhandler(HttpError)
def _expected_error(exc: Exception):
    """Bad input (400), bad keys (403), unknown ids (404) and outages (503, with Retry-After) in the spec's format."""
    response = errors_response(status_of(exc), [str(exc)])
    if getattr(exc, "retry_after", None):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return errors_response(exc.code or 500, [exc.description or exc.name])
