"""What the ingest routes do: validate writers' payloads, write what is valid, dead-letter the rest.

Every item gets an answer of its own. Rejected items are kept verbatim in the
dead-letter table with their reasons, so an operator can fix the sender and
replay them; nothing a writer sent is silently dropped. Appeals are idempotent
on (source, source_ref) and events on their ``ref``, so retries never duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from dashboard.errors import HttpError, status_of
from geo import clock
from geo.ingest import MAX_BATCH, AppealIn, EventIn, PositionIn, parse_json, reasons
from geo.store.errors import Conflict, NotFound
from geo.store.store import Store

#: Status of a single POSTed appeal's answer, by its result.
APPEAL_STATUS = {"created": 201, "existing": 200, "rejected": 422}
#: A body that cannot be parsed is kept up to this many characters.
DEAD_LETTER_CHARS = 100_000


def parse_body(raw: str, store: Store, endpoint: str, key_name: str | None):
    """The parsed JSON body; anything else (not JSON, nested too deep) is refused with 400 and kept as a dead letter."""
    try:
        return parse_json(raw)
    except ValueError as exc:
        store.file_dead_letters(endpoint, [(raw[:DEAD_LETTER_CHARS], [f"payload: {exc}"])], key_name)
        raise HttpError(400, f"请求体{exc}（已存入死信）") from None


def as_items(body, field: str) -> tuple[list, bool]:
    """(items, was a batch): one object, a list, or ``{field: [...]}``; at most MAX_BATCH."""
    if isinstance(body, dict) and isinstance(body.get(field), list) and len(body) == 1:
        body = body[field]
    if isinstance(body, dict):
        return [body], False
    if not isinstance(body, list) or not body:
        raise HttpError(400, f"请求体应为一个对象、一个非空数组，或 {{\"{field}\": [...]}}")
    if len(body) > MAX_BATCH:
        raise HttpError(413, f"一批最多 {MAX_BATCH} 条，收到 {len(body)} 条；请分批发送")
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
    now = clock.now()
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
        result = store.add_event(appeal_id, event.model_dump())
    except (Conflict, NotFound) as exc:
        store.file_dead_letters(endpoint, [(_dump(item), [str(exc)])], key_name)
        return {"status": "rejected", "errors": [str(exc)]}, status_of(exc)
    duplicate = result.pop("duplicate")
    body = {"status": "duplicate" if duplicate else "applied", "appeal_id": appeal_id, "seq": result["seq"],
            "appeal_status": result["status"], "handling_level": result["handling_level"]}
    return body, 200 if duplicate else 201


def record_positions(store: Store, items: list, key_name: str | None) -> list[dict]:
    """Validates and records worker pings; one result per item: recorded / rejected."""
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


def batch_summary(results: list[dict]) -> dict:
    """A batch's answer: every result, and how many of each status."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"results": results, **counts}
