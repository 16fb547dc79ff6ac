"""Open311 GeoReport v2 at ``/open311/v2/``: the civic-issue standard of FixMyStreet, SeeClickFix and 311 systems.

Spec: http://wiki.open311.org/GeoReport_v2. Our appeal categories are the
services. A POSTed service request becomes an appeal through the native ingest
path (:func:`dashboard.ingest_api.ingest_appeals`), so it gets the same keys,
validation, grid placement and idempotency; a refused one is kept as a dead
letter (endpoint ``open311/requests``) in the shape the client sent it, so it
can be replayed. Answers never carry the reporter's name, phone or e-mail (the
e-mail is not even stored). Only the JSON format is served, and every error is
the spec's ``[{"code", "description"}]`` with the HTTP status as the code.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, jsonify, request
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from dashboard.api import get_store, single_values, viewer_scope
from dashboard.ingest_api import Unauthorized, WrongKey, authenticate, ingest_appeals
from geo.domain import (
    CATEGORIES,
    CATEGORY_BY_CODE,
    DISTRICT_CODE,
    DISTRICT_NAME,
    HANDLING_LEVELS,
    KINDS,
    LOCAL_TZ,
    STATUSES,
    Category,
    deadline_hours,
)
from geo.ingest import AppealIn, reasons
from geo.privacy import redact_text
from geo.scope import InvalidQuery, check_date_range
from geo.store.errors import NotFound, StoreError
from geo.store.store import Store

PREFIX = "/open311/v2"
#: The ``jurisdiction_id`` we answer to (optional in requests: this endpoint serves one jurisdiction).
JURISDICTION_ID = DISTRICT_CODE
#: The existing source whose channel is closest: citizens reporting online themselves. A source code of its
#: own would need the demo generator's per-source tables (geo/demo.py) extended; the ref prefix tells them apart.
SOURCE = "wechat"
REF_PREFIX = "O311-"
ENDPOINT = "open311/requests"
#: The spec's limits for GET requests.json: a window of at most 90 days (the last 90 by default), 1000 requests.
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
TITLE_CHARS = 30
#: An api_key inside a raw body we could not parse (JSON or form style), to blank it before filing.
API_KEY_IN_TEXT = re.compile(r"""((?:"api_key"\s*:\s*"|api_key=))[^"&]*""")
#: What a POST may carry: the spec's fields, ``api_key`` and our optional ``idempotency_key``.
POST_FIELDS = ("api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
               "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
               "media_url", "idempotency_key")
#: AppealIn's field names as the Open311 client knows them, for error descriptions.
CLIENT_FIELDS = {"lon": "long", "lat": "lat", "category": "service_code", "kind": "service_code",
                 "title": "description", "reporter_name": "first_name/last_name", "reporter_phone": "phone",
                 "source_ref": "idempotency_key", "payload": "lat/long"}

blueprint = Blueprint("open311", __name__)


# -- pure mappings ---------------------------------------------------------------------------


def service(category: Category) -> dict:
    """One of our categories as a GeoReport service; no extra attributes, so ``metadata`` is false."""
    group = KINDS[category.kind]
    return {"service_code": category.code, "service_name": category.label,
            "description": f"{group}·{category.label}，承办部门：{category.department}",
            "metadata": False, "type": "realtime", "keywords": f"{category.label},{group},{category.department}",
            "group": group}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TZ).isoformat() if value else None


def service_request(row: dict) -> dict:
    """A stored appeal (a :meth:`Store.find_appeals` row) as a GeoReport service request.

    Only 办结 is ``closed``; ``status_notes`` says the stage and handling level
    (e.g. 派单（街道）). Fields are picked one by one, so nothing personal can slip in.
    """
    level = HANDLING_LEVELS[row["level"]]
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": f"{STATUSES[row['status']]}（{level}）",
        "service_name": CATEGORY_BY_CODE[row["category"]].label,
        "service_code": row["category"],
        "description": redact_text(row["description"] or row["title"]),
        "agency_responsible": f"{row['street_name']}（{level}级处置）",
        "service_notice": None,
        "requested_datetime": _iso(row["accepted_at"]),
        "updated_datetime": _iso(max(x for x in (row["updated_at"], row["accepted_at"]) if x is not None)),
        "expected_datetime": _iso(row["deadline"]),
        "address": f"{DISTRICT_NAME}{row['street_name']}{row['community_name']}",
        "address_id": None,
        "zipcode": None,
        # ~100 m: enough to find the place, not to point at one house (the spec's fields are public).
        "lat": round(row["lat"], 3),
        "long": round(row["lon"], 3),
        "media_url": None,
    }


def notice(category_code: str) -> str:
    """The ``service_notice`` of a new request: when it is due (normal priority; Open311 has none)."""
    days = deadline_hours(category_code, "normal")[1] // 24
    return f"已受理（{CATEGORY_BY_CODE[category_code].label}），应于 {days} 天内办结"


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def reporter_name(first: str | None, last: str | None) -> str | None:
    """first_name + last_name as one name: 张 + 三 → 张三 (surname first), Jane + Doe → Jane Doe."""
    first, last = (first or "").strip(), (last or "").strip()
    if _has_cjk(first + last):
        return (last + first) or None
    return " ".join(p for p in (first, last) if p) or None


def title_of(description: str, fallback: str) -> str:
    """The appeal's title: the description's first line, cut to TITLE_CHARS, or the category label."""
    line = " ".join((description.strip().splitlines() or [""])[0].split())
    if not line:
        return fallback
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def source_ref(key_name: str | None, idempotency_key: str | None) -> str:
    """The appeal's source_ref: from the client's idempotency key (scoped to its API key), else random.

    A retry with the same key and Idempotency-Key maps to the same appeal, and two
    clients choosing the same value never collide.
    """
    if idempotency_key:
        return REF_PREFIX + hashlib.sha256(f"{key_name}\n{idempotency_key}".encode()).hexdigest()[:40]
    return REF_PREFIX + uuid.uuid4().hex


def _text(params: dict, field: str) -> str:
    value = params.get(field)
    return value.strip() if isinstance(value, str) else ""


def to_appeal(params: dict, ref: str) -> dict:
    """A checked Open311 POST (see :func:`problems`) as an ``/api/appeals`` item.

    address_string and media_url go into the description (we have no columns
    for them); email, device_id and account_id are not kept.
    """
    category = CATEGORY_BY_CODE[params["service_code"]]
    text = _text(params, "description")
    extra = [f"地址：{_text(params, 'address_string')}" if _text(params, "address_string") else "",
             f"图片：{_text(params, 'media_url')}" if _text(params, "media_url") else ""]
    return {
        "source": SOURCE,
        "source_ref": ref,
        "kind": category.kind,
        "category": category.code,
        "title": title_of(text, category.label),
        "description": "\n".join(x for x in (text, *extra) if x),
        "reporter_name": reporter_name(params.get("first_name"), params.get("last_name")),
        "reporter_phone": _text(params, "phone") or None,
        "lon": params.get("long"),
        "lat": params.get("lat"),
    }


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def problems(params: dict) -> list[str]:
    """What the Open311 layer itself refuses, before the appeal rules (:class:`AppealIn`) run."""
    out = []
    for field, value in params.items():
        if field.startswith("attribute["):
            out.append(f"{field}: 该服务没有扩展属性（services.json 中 metadata 为 false）")
        elif field not in POST_FIELDS:
            out.append(f"{field}: 未知字段")
        elif isinstance(value, (list, dict)):
            out.append(f"{field}: 应为单个值（参数重复或不是标量）")
        elif field not in ("lat", "long") and not isinstance(value, (str, type(None))):
            out.append(f"{field}: 应为字符串")
    if out:
        return out
    if not _blank(params.get("jurisdiction_id")) and params["jurisdiction_id"].strip() != JURISDICTION_ID:
        out.append(f"jurisdiction_id: 未知的辖区 {params['jurisdiction_id']!r}，本接口只服务 {JURISDICTION_ID}（{DISTRICT_NAME}）")
    code = _text(params, "service_code")
    if not code:
        out.append("service_code: 缺少必填字段")
    elif code not in CATEGORY_BY_CODE:
        out.append(f"service_code: 未知的服务 {code!r}，可选服务见 services.json")
    if _blank(params.get("lat")) or _blank(params.get("long")):
        out.append("lat/long: 缺少坐标：须同时提供 WGS-84 的 lat 与 long（本接口不能凭 address_string 或 address_id 定位）")
    key = params.get("idempotency_key")
    if key is not None and not re.fullmatch(r"[\x21-\x7e]{1,255}", key):
        out.append("idempotency_key: 应为 1–255 个可打印 ASCII 字符")
    return out


def client_reasons(appeal_reasons: list[str]) -> list[str]:
    """AppealIn's complaints with the Open311 field names (``lon: 应为数字`` → ``long: 应为数字``)."""
    out = []
    for reason in appeal_reasons:
        field, sep, message = reason.partition(": ")
        out.append(f"{CLIENT_FIELDS.get(field, field)}{sep}{message}")
    return out


def parse_time(raw: str, name: str, end: bool = False) -> datetime:
    """A W3C date or datetime; a bare date is local and covers the whole day (as start or as end)."""
    raw = raw.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            day = date.fromisoformat(raw)
            value = datetime.combine(day, time.max if end else time.min, LOCAL_TZ)
        else:
            value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"参数 {name}={raw!r} 不是有效的 W3C 时间，例如 2026-11-28T09:30:00+08:00") from None
    if value.tzinfo is None:
        raise InvalidQuery(f"参数 {name} 必须带时区，例如 2026-11-28T09:30:00+08:00")
    check_date_range(value.date(), name)
    return value


def request_window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """[start, end] of a listing: the last 90 days by default, and never longer than 90 days."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if start > end:
        raise InvalidQuery("start_date 晚于 end_date")
    if end - start > WINDOW:
        raise InvalidQuery("start_date 与 end_date 相隔不得超过 90 天（GeoReport v2 的上限）")
    return start, end


def parse_ids(raw: str) -> list[int]:
    ids = [x.strip() for x in raw.split(",") if x.strip()]
    bad = [x for x in ids if not re.fullmatch(r"[0-9]{1,18}", x)]
    if bad or not ids:
        raise InvalidQuery(f"参数 service_request_id 应为逗号分隔的编号，收到 {raw!r}")
    if len(ids) > MAX_REQUESTS:
        raise InvalidQuery(f"一次最多查询 {MAX_REQUESTS} 个 service_request_id")
    return [int(x) for x in ids]


def _codes(raw: str | None, vocabulary, name: str) -> tuple[str, ...]:
    codes = tuple(sorted({c.strip() for c in (raw or "").split(",") if c.strip()}))
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise InvalidQuery(f"参数 {name} 含未知取值：{', '.join(unknown)}")
    return codes


def statuses_for(raw: str | None) -> tuple[str, ...]:
    """The ``status`` filter (open, closed, comma-separated) as our status codes; empty means all."""
    wanted = _codes(raw, ("open", "closed"), "status")
    if len(wanted) != 1:
        return ()
    return ("closed",) if wanted == ("closed",) else tuple(s for s in STATUSES if s != "closed")


# -- POST: one request → one appeal ----------------------------------------------------------


def submit(store: Store, params: dict, key_name: str | None) -> tuple[dict | None, list[str]]:
    """(the ingest result, []) or (None, reasons): refused requests are dead-lettered as the client sent them."""
    errors = problems(params)
    appeal = None
    if not errors:
        appeal = to_appeal(params, source_ref(key_name, params.get("idempotency_key")))
        try:
            AppealIn.model_validate(appeal)
        except ValidationError as exc:
            errors = client_reasons(reasons(exc))
    if errors:
        store.file_dead_letters(ENDPOINT, [(json.dumps(params, ensure_ascii=False, sort_keys=True), errors)],
                                key_name)
        return None, errors
    return ingest_appeals(store, [appeal], key_name, ENDPOINT)[0], []


def replay(store: Store, letter: dict, key_name: str | None) -> tuple[dict, bool]:
    """Runs a dead-lettered Open311 POST again, as its original sender (so its idempotency key still holds)."""
    params = json.loads(letter["payload"])
    if not isinstance(params, dict):
        return {"status": "rejected", "errors": ["死信不是 JSON 对象，无法重放；请让来源重新发送"]}, False
    result, errors = submit(store, params, letter["key_name"] or key_name)
    if result is None:
        return {"status": "rejected", "errors": errors}, False
    return result, result["status"] != "rejected"


def _post_params() -> tuple[dict | None, str]:
    """(the parameters, the raw body): a JSON object or a form; None if a JSON body is not an object."""
    if request.is_json:
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return None, raw
        return (body if isinstance(body, dict) else None), raw
    params = {k: v[0] if len(v) == 1 else v for k, v in request.form.lists()}
    return params, ""


# -- routes ----------------------------------------------------------------------------------


def errors_response(status: int, descriptions: list[str]):
    """The spec's error answer: an array of {code, description}."""
    response = jsonify([{"code": status, "description": d} for d in descriptions])
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


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
    jurisdiction = (args.get("jurisdiction_id") or "").strip()
    if jurisdiction and jurisdiction != JURISDICTION_ID:
        raise InvalidQuery(f"未知的辖区 jurisdiction_id={jurisdiction!r}，本接口只服务 {JURISDICTION_ID}（{DISTRICT_NAME}）")


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
    params, raw = _post_params()
    key = (params or {}).get("api_key")
    try:
        key_name = authenticate(key if isinstance(key, str) and key else request.headers.get("X-API-Key"))
    except Unauthorized as exc:  # the spec answers a missing api_key with 403, like a wrong one
        raise WrongKey(str(exc)) from None
    store = get_store()
    if params is None:
        scrubbed = API_KEY_IN_TEXT.sub(r"\1***", raw[:100_000])  # the secret never reaches a dead letter
        store.file_dead_letters(ENDPOINT, [(scrubbed, ["payload: 不是有效的 JSON 对象"])], key_name)
        return errors_response(400, ["请求体不是有效的 JSON 对象（已存入死信）"])
    params = {k: v for k, v in params.items() if k != "api_key"}  # the secret never reaches a dead letter
    header_key = request.headers.get("Idempotency-Key")
    if header_key is not None:
        params.setdefault("idempotency_key", header_key)
        if params["idempotency_key"] != header_key:
            return errors_response(400, ["idempotency_key 与请求头 Idempotency-Key 不一致"])
    result, errors = submit(store, params, key_name)
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
    store, viewer = get_store(), viewer_scope()
    if args.get("service_request_id"):
        rows = store.find_appeals(ids=parse_ids(args["service_request_id"]), limit=MAX_REQUESTS, viewer=viewer)
    else:
        start = parse_time(args["start_date"], "start_date") if args.get("start_date") else None
        end = parse_time(args["end_date"], "end_date", end=True) if args.get("end_date") else None
        start, end = request_window(start, end, datetime.now(UTC))
        categories = _codes(args.get("service_code"), CATEGORY_BY_CODE, "service_code")
        rows = store.find_appeals(start=start, end=end, categories=categories,
                                  statuses=statuses_for(args.get("status")), limit=MAX_REQUESTS, viewer=viewer)
    return jsonify([service_request(r) for r in rows])


@blueprint.get(f"{PREFIX}/requests/<request_id>.<fmt>")
def get_request(request_id: str, fmt: str):
    """GET Service Request: a one-element array, per the spec; 404 for an unknown id."""
    _json_only(fmt)
    _check_jurisdiction(single_values(request.args))
    rows = []
    if re.fullmatch(r"[0-9]{1,18}", request_id):
        rows = get_store().find_appeals(ids=[int(request_id)], limit=1, viewer=viewer_scope())
    if not rows:
        raise NotFound(f"未找到服务请求：{request_id}")
    return jsonify([service_request(rows[0])])


@blueprint.route(f"{PREFIX}/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_unknown: str):
    """Unknown Open311 paths (and methods) answer the spec's JSON error, not the dashboard's HTML."""
    return errors_response(404, [f"未知的接口：{request.method} {request.path}"])


@blueprint.errorhandler(InvalidQuery)
def _invalid(exc: InvalidQuery):
    return errors_response(400, [str(exc)])


@blueprint.errorhandler(StoreError)
def _store_error(exc: StoreError):
    """Bad keys (401/403), unknown ids (404) and outages (503, with Retry-After) in the spec's format."""
    return errors_response(exc.http_status, [str(exc)])


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return errors_response(exc.code or 500, [exc.description or exc.name])
