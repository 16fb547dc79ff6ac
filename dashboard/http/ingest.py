"""Routes of the ingest API: writers POST appeals, workflow events and worker pings; admins read dead letters.

The work is done in :mod:`dashboard.ingest`; a database outage is a 503 with
``Retry-After`` and nothing acknowledged, so a retrying client loses nothing.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.http.access import key_identity
from dashboard.http.params import int_arg, require_media_type, single_values
from dashboard.ingest import keys
from dashboard.ingest.replay import replay
from dashboard.ingest.writes import (
    APPEAL_STATUS,
    apply_event,
    as_items,
    batch_summary,
    ingest_appeals,
    parse_body,
    record_positions,
    row_id,
)
from dashboard.services import audit, data_written, get_store
from geo.access import SYSTEM
from geo.scope import DISTRICT

blueprint = Blueprint("ingest", __name__)
#: Endpoints that write appeals or their events (positions refresh on their own, within a second).
APPEAL_WRITES = ("ingest.post_appeals", "ingest.post_event", "ingest.replay_dead_letter")


@blueprint.after_request
def _forget_versions(response):
    """Whatever was written is seen at once by every server process's next poll and view."""
    if request.endpoint in APPEAL_WRITES:
        data_written()
    return response


def caller() -> tuple[str, str]:
    """(name, role) of the request's ``X-API-Key``."""
    return key_identity(request.headers.get("X-API-Key"))


def body(endpoint: str, key_name: str):
    require_media_type("application/json")
    return parse_body(request.get_data(as_text=True), get_store(), endpoint, key_name)


@blueprint.post("/api/appeals")
def post_appeals():
    """One appeal (201 created / 200 existing / 422 rejected) or a batch (200, a result per item)."""
    key_name, _ = caller()
    items, batch = as_items(body("appeals", key_name), "appeals")
    results = ingest_appeals(get_store(), items, key_name)
    if batch:
        return jsonify(batch_summary(results))
    return jsonify(results[0]), APPEAL_STATUS[results[0]["status"]]


@blueprint.post("/api/appeals/<int:appeal_id>/events")
def post_event(appeal_id: int):
    key_name, _ = caller()
    appeal_id = row_id(appeal_id, "诉求")
    answer, status = apply_event(get_store(), appeal_id, body(f"events/{appeal_id}", key_name), key_name)
    return jsonify(answer), status


@blueprint.post("/api/positions")
def post_positions():
    key_name, _ = caller()
    items, _ = as_items(body("positions", key_name), "positions")
    return jsonify(batch_summary(record_positions(get_store(), items, key_name)))


@blueprint.get("/api/ingest/workers")
def worker_roster():
    """The workers a position feed may report: id, type and home grid only (no names, no positions).

    A writer key reads nothing else; a GPS gateway needs this much to know its devices.
    """
    caller()
    items = get_store().workers(DISTRICT, SYSTEM)["items"]
    return jsonify({"total": len(items),
                    "items": [{"id": w["id"], "type": w["type"], "grid_code": w["grid_code"]} for w in items]})


@blueprint.get("/api/keys/me")
def who_am_i():
    """The caller's key name and role: lets a writer check its key before sending anything."""
    name, role = caller()
    return jsonify({"name": name, "role": role})


@blueprint.get("/api/dead-letters")
def list_dead_letters():
    """Rejected payloads, oldest first (``pending=0`` includes replayed ones). Raw personal data: admin keys only."""
    keys.require_admin(caller())
    args = single_values(request.args)
    return jsonify(get_store().dead_letters(
        limit=int_arg(args, "limit", 100, 1, 1000), offset=int_arg(args, "offset", 0, 0, 10**9),
        pending=args.get("pending", "1") != "0"))


@blueprint.post("/api/dead-letters/<int:letter_id>/replay")
def replay_dead_letter(letter_id: int):
    """Runs a stored payload through its endpoint again (after the cause was fixed)."""
    key_name = keys.require_admin(caller())
    require_media_type("application/json")  # no body is read, but a cross-site form must not trigger it
    store = get_store()
    result, status = replay(store, store.dead_letter(row_id(letter_id, "死信")), key_name)
    audit("dead_letter_replayed", actor=f"密钥 {key_name}", detail={"dead_letter": letter_id, "status": status})
    return jsonify(result), status
