"""Dead-letter replay: run a stored, refused payload through its endpoint's own code path again.

Once the cause is fixed (a sender corrected, a category added), an operator
replays the letter, from the API or ``python app.py dead-letters --replay ID``.
A replay runs as the letter's original sender where it matters (Open311
idempotency keys are scoped to the sender's key).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from dashboard.ingest import open311
from dashboard.ingest.writes import apply_event, ingest_appeals, record_positions
from geo.ingest import parse_json
from geo.store.store import Store


def _appeal(store: Store, letter: dict, key_name: str | None) -> tuple[dict, bool]:
    result = ingest_appeals(store, [json.loads(letter["payload"])], key_name, letter["endpoint"])[0]
    return result, result["status"] != "rejected"


def _event(store: Store, letter: dict, key_name: str | None) -> tuple[dict, bool]:
    appeal_id = int(letter["endpoint"].split("/", 1)[1])
    body, status = apply_event(store, appeal_id, json.loads(letter["payload"]), key_name)
    return body, status < 300


def _position(store: Store, letter: dict, key_name: str | None) -> tuple[dict, bool]:
    result = record_positions(store, [json.loads(letter["payload"])], key_name)[0]
    return result, result["status"] == "recorded"


def _open311(store: Store, letter: dict, key_name: str | None) -> tuple[dict, bool]:
    params = json.loads(letter["payload"])
    if not isinstance(params, dict):
        return {"status": "rejected", "errors": ["死信不是 JSON 对象，无法重放；请让来源重新发送"]}, False
    result, errors = open311.submit(store, params, letter["key_name"] or key_name)
    if result is None:
        return {"status": "rejected", "errors": errors}, False
    return result, result["status"] != "rejected"


#: Dead-letter endpoint prefix → how to run one stored payload again: (result, accepted?).
REPLAYERS: dict[str, Callable[[Store, dict, str | None], tuple[dict, bool]]] = {
    "appeals": _appeal, "events": _event, "positions": _position, "open311": _open311,
}


def replay(store: Store, letter: dict, key_name: str | None) -> tuple[dict, int]:
    """(answer, HTTP status): 200 replayed, 409 replayed before, 422 refused again or not replayable."""
    if letter["replayed_at"]:
        return {"error": "该死信已重放过", "replay_result": letter["replay_result"]}, 409
    try:  # bounded in depth, so the replayers below can parse it again safely
        payload_ok = parse_json(letter["payload"]) is not None
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
