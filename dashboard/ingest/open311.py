"""Open311 GeoReport v2 as our domain sees it: services, service requests, and a POST becoming an appeal.

Spec: http://wiki.open311.org/GeoReport_v2. Our appeal categories are the
services. A POSTed service request becomes an appeal through the native ingest
path (:func:`dashboard.ingest.writes.ingest_appeals`), so it gets the same
validation, grid placement and idempotency; a refused one is kept as a dead
letter (endpoint ``open311/requests``) in the shape the client sent it, so it
can be replayed. Answers never carry the reporter's name, phone or e-mail (the
e-mail is not even stored). The routes and the spec's error format are in
:mod:`dashboard.http.open311`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, datetime, time, timedelta

from pydantic import ValidationError

from dashboard.ingest.writes import ingest_appeals
from geo.domain import (
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
from geo.ingest import MULTILINE_FIELDS, AppealIn, control_character_problem, reasons
from geo.scope import InvalidQuery, check_date_range, parse_codes
from geo.store.store import Store

#: The ``jurisdiction_id`` we answer to (optional in requests: this endpoint serves one jurisdiction).
JURISDICTION_ID = DISTRICT_CODE
#: The existing source whose channel is closest: citizens reporting online themselves. A source code of its
#: own would need the demo generator's per-source tables (geo/demo/tables.py, text.py) extended; the ref prefix tells them apart.
SOURCE = "wechat"
REF_PREFIX = "O311-"
ENDPOINT = "open311/requests"
#: The spec's limits for GET requests.json: a window of at most 90 days (the last 90 by default), 1000 requests.
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
TITLE_CHARS = 30
#: A service_request_id: an appeal id, which fits a BIGINT.
REQUEST_ID = re.compile(r"[0-9]{1,18}")
#: What a POST may carry: the spec's fields, ``api_key`` and our optional ``idempotency_key``.
POST_FIELDS = ("api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
               "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
               "media_url", "idempotency_key")
#: AppealIn's field names as the Open311 client knows them, for error descriptions.
CLIENT_FIELDS = {"lon": "long", "lat": "lat", "category": "service_code", "kind": "service_code",
                 "title": "description", "reporter_name": "first_name/last_name", "reporter_phone": "phone",
                 "source_ref": "idempotency_key", "payload": "lat/long"}


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
    (e.g. 派单（街道）). Fields are picked one by one, so nothing personal can slip in; the store has
    already redacted the text and rounded the point to about 100 m (the spec's fields are public).
    """
    handled_by = HANDLING_LEVELS[row["handling_level"]]
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": f"{STATUSES[row['status']]}（{handled_by}）",
        "service_name": CATEGORY_BY_CODE[row["category"]].label,
        "service_code": row["category"],
        "description": row["description"] or row["title"],
        "agency_responsible": f"{row['street_name']}（{handled_by}级处置）",
        "service_notice": None,
        "requested_datetime": _iso(row["accepted_at"]),
        "updated_datetime": _iso(max(x for x in (row["updated_at"], row["accepted_at"]) if x is not None)),
        "expected_datetime": _iso(row["deadline"]),
        "address": f"{DISTRICT_NAME}{row['street_name']}{row['community_name']}",
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
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
        elif isinstance(value, str) and (problem := control_character_problem(value, field in MULTILINE_FIELDS)):
            out.append(f"{field}: {problem}")
    if out:
        return out
    jurisdiction = jurisdiction_problem(params.get("jurisdiction_id"))
    if jurisdiction:
        out.append(f"jurisdiction_id: {jurisdiction}")
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
    bad = [x for x in ids if not REQUEST_ID.fullmatch(x)]
    if bad or not ids:
        raise InvalidQuery(f"参数 service_request_id 应为逗号分隔的编号，收到 {raw!r}")
    if len(ids) > MAX_REQUESTS:
        raise InvalidQuery(f"一次最多查询 {MAX_REQUESTS} 个 service_request_id")
    return [int(x) for x in ids]


def jurisdiction_problem(raw) -> str | None:
    """Why a ``jurisdiction_id`` is refused, or None: it is optional, and if given it must be ours."""
    value = raw.strip() if isinstance(raw, str) else ""
    if value and value != JURISDICTION_ID:
        return f"未知的辖区 {value!r}，本接口只服务 {JURISDICTION_ID}（{DISTRICT_NAME}）"
    return None


def statuses_for(raw: str | None) -> tuple[str, ...]:
    """The ``status`` filter (open, closed, comma-separated) as our status codes; empty means all."""
    wanted = parse_codes(raw, ("open", "closed"), "status")
    if len(wanted) != 1:
        return ()
    return ("closed",) if wanted == ("closed",) else tuple(s for s in STATUSES if s != "closed")


# -- POST: one request → one appeal ---------------------------------------------------------


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
