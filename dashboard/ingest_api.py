"""The ingest API: writers POST appeals, workflow events and worker pings.

Every item gets an answer of its own. Rejected items are kept verbatim in the
dead-letter table with their reasons, so an operator can fix the sender and
replay them; nothing a writer sent is silently dropped. A database outage is
a 503 with ``Retry-After`` and nothing acknowledged, so a retrying client
loses nothing; appeals are idempotent on (source, source_ref) and events on
their ``ref``, so retries never duplicate.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request
from pydantic import ValidationError

from dashboard.api import _int_arg, get_store, single_values, viewer_scope
from geo.ingest import MAX_BATCH, AppealIn, EventIn, PositionIn, reasons
from geo.store.errors import Conflict, NotFound, StoreError
from geo.store.store import Store

blueprint = Blueprint("ingest", __name__)
#: Largest request body (a batch of 1,000 appeals is ~2 MB); larger ones get 413 before any parsing.
MAX_BODY_BYTES = 8 * 1024 * 1024
KEYS_KEY = "zhizhi.ingest_keys"


class Unauthorized(StoreError):
    http_status = 401


class WrongKey(StoreError):
    http_status = 403


class PayloadError(StoreError):
    """A body that is not what the endpoint takes at all (HTTP 400)."""

    http_status = 400


class TooLarge(StoreError):
    http_status = 413


def env_keys(setting: str) -> dict[str, tuple[str, str]]:
    """``INGEST_API_KEYS`` → {key: (name, role)}; entries are ``name:key``, ``name:key:admin`` or a bare key."""
    keys = {}
    for i, entry in enumerate(x.strip() for x in setting.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        role = "admin" if len(parts) == 3 and parts[2] == "admin" else "writer"
        name, key = (parts[0], parts[1]) if len(parts) >= 2 else (f"env-{i + 1}", parts[0])
        keys[key] = (name, role)
    return keys


def identity(key: str | None) -> tuple[str, str]:
    """(name, role) of a key, from the setting or the store; 401 without a key, 403 with a wrong one."""
    if not key:
        raise Unauthorized("缺少 API 密钥：请在请求头 X-API-Key 中提供（Open311 用 api_key 字段）")
    for known, who in current_app.extensions.get(KEYS_KEY, {}).items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return who
    who = get_store().api_key_identity(key)
    if who is None:
        raise WrongKey("API 密钥无效或已吊销")
    return who


def authenticate(key: str | None) -> str:
    """The writer's name for a key (see :func:`identity`)."""
    return identity(key)[0]


def admin() -> str:
    """Dead letters hold raw personal data: only admin keys may read or replay them."""
    name, role = identity(request.headers.get("X-API-Key"))
    if role != "admin":
        raise WrongKey("死信含原始个人信息，仅管理员密钥可查看或重放（api-key create NAME --admin）")
    return name


def writer() -> str:
    return authenticate(request.headers.get("X-API-Key"))


def json_body(endpoint: str, key_name: str):
    """The parsed JSON body; anything else is refused (and kept as a dead letter)."""
    raw = request.get_data(as_text=True)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        get_store().file_dead_letters(endpoint, [(raw[:100_000], ["payload: 不是有效的 JSON"])], key_name)
        raise PayloadError("请求体不是有效的 JSON（已存入死信）") from None


def as_items(body, field: str) -> tuple[list, bool]:
    """(items, was a batch): one object, a list, or ``{field: [...]}``; at most MAX_BATCH."""
    if isinstance(body, dict) and isinstance(body.get(field), list) and len(body) == 1:
        body = body[field]
    if isinstance(body, dict):
        return [body], False
    if not isinstance(body, list) or not body:
        raise PayloadError(f"请求体应为一个对象、一个非空数组，或 {{\"{field}\": [...]}}")
    if len(body) > MAX_BATCH:
        raise TooLarge(f"一批最多 {MAX_BATCH} 条，收到 {len(body)} 条；请分批发送")
    return body, True


def row_id(value: int, what: str) -> int:
    """A URL id that fits the database's BIGINT; a larger one cannot exist (404, not an overflow 500)."""
    if value > 2**63 - 1:
        raise NotFound(f"未找到{what}：{value}")
    return value


def _dump(item) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def validate_each(items: list, parse: Callable) -> tuple[list[dict], list[tuple[int, dict]], list]:
    """(a result slot per item, the (index, record) pairs that parsed, (payload, reasons) of those that did not)."""
    results: list[dict] = []
    valid: list[tuple[int, dict]] = []
    rejected = []
    for i, item in enumerate(items):
        try:
            valid.append((i, parse(item)))
            results.append({})
        except ValidationError as exc:
            errors = reasons(exc)
            results.append({"index": i, "status": "rejected", "errors": errors})
            rejected.append((_dump(item), errors))
    return results, valid, rejected


def ingest_appeals(store: Store, items: list, key_name: str | None, endpoint: str = "appeals") -> list[dict]:
    """Validates and writes appeals; one result per item: created / existing / rejected."""
    now = datetime.now(UTC).replace(microsecond=0)
    results, valid, rejected = validate_each(items, lambda item: AppealIn.model_validate(item).record(now))
    written = store.ingest_appeals([record for _, record in valid])
    for (i, _), (appeal_id, created) in zip(valid, written, strict=True):
        results[i] = {"index": i, "status": "created" if created else "existing", "id": appeal_id}
    store.file_dead_letters(endpoint, rejected, key_name)
    return results


def apply_event(store: Store, appeal_id: int, item, key_name: str | None) -> tuple[dict, int]:
    """Validates and applies one event; (body, HTTP status). Refused events are dead-lettered."""
    endpoint = f"events/{appeal_id}"
    try:
        event = EventIn.model_validate(item)
    except ValidationError as exc:
        errors = reasons(exc)
        store.file_dead_letters(endpoint, [(_dump(item), errors)], key_name)
        return {"status": "rejected", "errors": errors}, 422
    try:
        result = store.add_event(appeal_id, event.model_dump(), viewer_scope())
    except (Conflict, NotFound) as exc:
        store.file_dead_letters(endpoint, [(_dump(item), [str(exc)])], key_name)
        return {"status": "rejected", "errors": [str(exc)]}, exc.http_status
    duplicate = result.pop("duplicate")
    body = {"status": "duplicate" if duplicate else "applied", "appeal_id": appeal_id, "seq": result["seq"],
            "appeal_status": result["status"], "level": result["level"]}
    return body, 200 if duplicate else 201


def record_positions(store: Store, items: list, key_name: str | None) -> list[dict]:
    results, valid, rejected = validate_each(
        items, lambda item: PositionIn.model_validate(item).model_dump(exclude={"crs"}))
    outcome = store.record_positions([ping for _, ping in valid])
    for (i, _), error in zip(valid, outcome, strict=True):
        if error:
            results[i] = {"index": i, "status": "rejected", "errors": [error]}
            rejected.append((_dump(items[i]), [error]))
        else:
            results[i] = {"index": i, "status": "recorded"}
    store.file_dead_letters("positions", rejected, key_name)
    return results


def _summary(results: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"results": results, **counts}


@blueprint.post("/api/appeals")
def post_appeals():
    """One appeal (201 created / 200 existing / 422 rejected) or a batch (200, a result per item)."""
    key_name = writer()
    items, batch = as_items(json_body("appeals", key_name), "appeals")
    results = ingest_appeals(get_store(), items, key_name)
    if batch:
        return jsonify(_summary(results))
    result = results[0]
    return jsonify(result), {"created": 201, "existing": 200, "rejected": 422}[result["status"]]


@blueprint.post("/api/appeals/<int:appeal_id>/events")
def post_event(appeal_id: int):
    key_name = writer()
    appeal_id = row_id(appeal_id, "诉求")
    body, status = apply_event(get_store(), appeal_id, json_body(f"events/{appeal_id}", key_name), key_name)
    return jsonify(body), status


@blueprint.post("/api/positions")
def post_positions():
    key_name = writer()
    items, _ = as_items(json_body("positions", key_name), "positions")
    return jsonify(_summary(record_positions(get_store(), items, key_name)))


@blueprint.get("/api/keys/me")
def who_am_i():
    """The caller's key name and role: lets a writer check its key before sending anything."""
    name, role = identity(request.headers.get("X-API-Key"))
    return jsonify({"name": name, "role": role})


@blueprint.get("/api/dead-letters")
def list_dead_letters():
    """Rejected payloads, oldest first (``pending=0`` includes replayed ones). Raw personal data: admin keys only."""
    admin()
    args = single_values(request.args)
    return jsonify(get_store().dead_letters(
        limit=_int_arg(args, "limit", 100, 1, 1000), offset=_int_arg(args, "offset", 0, 0, 10**9),
        pending=args.get("pending", "1") != "0"))


@blueprint.post("/api/dead-letters/<int:letter_id>/replay")
def replay_dead_letter(letter_id: int):
    """Runs a stored payload through its endpoint again (after the cause was fixed)."""
    key_name = admin()
    store = get_store()
    result, status = replay(store, store.dead_letter(row_id(letter_id, "死信")), key_name)
    return jsonify(result), status


def _replay_appeal(store, letter, key_name):
    result = ingest_appeals(store, [json.loads(letter["payload"])], key_name, letter["endpoint"])[0]
    return result, result["status"] != "rejected"


def _replay_event(store, letter, key_name):
    appeal_id = int(letter["endpoint"].split("/", 1)[1])
    body, status = apply_event(store, appeal_id, json.loads(letter["payload"]), key_name)
    return body, status < 300


def _replay_position(store, letter, key_name):
    result = record_positions(store, [json.loads(letter["payload"])], key_name)[0]
    return result, result["status"] == "recorded"


def _replay_open311(store, letter, key_name):
    from dashboard import open311  # imported here: the Open311 layer is built on this module

    return open311.replay(store, letter, key_name)


#: Dead-letter endpoint prefix → how to run one stored payload again: (result, accepted?).
REPLAYERS: dict[str, Callable] = {"appeals": _replay_appeal, "events": _replay_event, "positions": _replay_position,
                                  "open311": _replay_open311}


def replay(store: Store, letter: dict, key_name: str | None) -> tuple[dict, int]:
    if letter["replayed_at"]:
        return {"error": "该死信已重放过", "replay_result": letter["replay_result"]}, 409
    try:
        payload_ok = json.loads(letter["payload"]) is not None
    except ValueError:
        payload_ok = False
    replayer = REPLAYERS.get(letter["endpoint"].split("/", 1)[0])
    if not payload_ok or replayer is None:
        return {"error": "该死信不是可重放的 JSON 载荷；请修正来源后重新发送"}, 422
    result, accepted = replayer(store, letter, key_name)
    if accepted:
        store.mark_replayed(letter["id"], result)
        return {"status": "replayed", "result": result}, 200
    return {"status": "rejected", "result": result}, 422
