"""HTTP errors: the web layer's own refusals, and what every error means as an HTTP status.

Every failure a caller can cause answers with a status and a message in
Chinese, never a stack trace: bad input 400, a missing or wrong key 401/403,
an unknown id 404, a state clash 409, a body too large 413, a body of another
media type 415, too many export jobs 429 and an outage 503, both with
``Retry-After``.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import RequestEntityTooLarge

from geo.scope import InvalidQuery
from geo.store.errors import Conflict, Forbidden, NotFound, StoreError, StoreNotReady, StoreUnavailable

#: Seconds a client should wait before retrying a 429 or a 503.
RETRY_AFTER_SECONDS = 5


class HttpError(Exception):
    """A refusal of the web layer itself (no key, a body that is not JSON, a busy exporter, no CJK font)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        #: Seconds a refused caller should wait (429 and 503 answers say so in ``Retry-After``).
        self.retry_after = retry_after


#: Store errors by what they mean to a caller; the first class that matches decides.
STORE_STATUS: tuple[tuple[type[StoreError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (StoreUnavailable, 503),
    (StoreNotReady, 503),
)


def status_of(exc: Exception) -> int:
    """The HTTP status of an error: 400 for a malformed query, the store's meaning, else 500."""
    if isinstance(exc, HttpError):
        return exc.status
    if isinstance(exc, InvalidQuery):
        return 400
    return next((status for kind, status in STORE_STATUS if isinstance(exc, kind)), 500)


def is_expected(exc: Exception) -> bool:
    """Whether an error is one a caller can cause (it answers with its own message, not a generic 500)."""
    return isinstance(exc, (HttpError, InvalidQuery, StoreError)) and status_of(exc) != 500


def with_retry_after(response: Response) -> Response:
    if response.status_code in (429, 503):
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def json_error(exc: Exception) -> Response:
    """``{"error": message}`` with the error's status."""
    response = jsonify({"error": str(exc)})
    response.status_code = status_of(exc)
    if getattr(exc, "retry_after", None):
        response.headers["Retry-After"] = str(exc.retry_after)
    return with_retry_after(response)


def too_large_message() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"请求体过大（上限 {limit / 2**20:g} MB）；请分批发送"


def register(server: Flask) -> None:
    """JSON answers for every expected error, app-wide (Open311 answers in its own format on its routes)."""
    for kind in (HttpError, InvalidQuery, StoreError):
        server.register_error_handler(kind, json_error)
    server.register_error_handler(RequestEntityTooLarge, lambda _exc: (jsonify({"error": too_large_message()}), 413))
