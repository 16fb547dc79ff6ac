"""Errors the store raises, each with one clear message for a person.

What they mean to an HTTP caller (404, 403, 503 …) is the web layer's business
(:mod:`dashboard.errors`); the store knows nothing of HTTP.
"""

from __future__ import annotations


class StoreError(Exception):
    """Anything the store refuses or cannot do."""


class NotFound(StoreError):
    """An unknown scope, id or code."""


class Forbidden(StoreError):
    """The caller's scope does not cover what it asked for."""


class StoreUnavailable(StoreError):
    """The database cannot be reached."""


class StoreNotReady(StoreError):
    """The database answers but has no (or an old) schema: it needs ``python app.py migrate``."""


class PostgisMissing(StoreNotReady):
    """A PostgreSQL database without the PostGIS extension; the message says how to enable it."""


class Conflict(StoreError):
    """The request clashes with the current state, e.g. a workflow step the appeal's status does not allow."""


class NotEmpty(Conflict):
    """Seeding would mix demo data into existing data."""


__all__ = [
    "StoreError",
    "NotFound",
    "Forbidden",
    "StoreUnavailable",
    "StoreNotReady",
    "PostgisMissing",
    "Conflict",
    "NotEmpty",
]
