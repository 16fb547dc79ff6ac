"""Errors the store raises; each maps to one clear message and HTTP status."""

from __future__ import annotations

from geo.scope import InvalidQuery


class StoreError(Exception):
    http_status = 500


class NotFound(StoreError):
    """An unknown scope, id or code (HTTP 404)."""

    http_status = 404


class Forbidden(StoreError):
    """The caller's scope does not cover what it asked for (HTTP 403)."""

    http_status = 403


class StoreUnavailable(StoreError):
    """The database cannot be reached (HTTP 503)."""

    http_status = 503


class StoreNotReady(StoreError):
    """The database answers but has no (or an old) schema: it needs ``python app.py migrate``."""

    http_status = 503


class PostgisMissing(StoreNotReady):
    """A PostgreSQL database without the PostGIS extension; the message says how to enable it."""


class Conflict(StoreError):
    """The request clashes with the current state, e.g. a download before its export finished (HTTP 409)."""

    http_status = 409


class NotEmpty(Conflict):
    """Seeding would mix demo data into existing data."""


__all__ = [
    "InvalidQuery",
    "StoreError",
    "NotFound",
    "Forbidden",
    "StoreUnavailable",
    "PostgisMissing",
    "Conflict",
    "NotEmpty",
]
