"""The one "now" of the product, and the district's calendar day.

Every stored time, deadline check, view and poll asks here, so there is a
single place that decides what "now" means (UTC, to the second) and how a
view's as-of time is rounded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from geo.domain import LOCAL_TZ


def now() -> datetime:
    """The current instant in UTC, to the second (the precision every store keeps)."""
    return datetime.now(UTC).replace(microsecond=0)


def view_as_of() -> datetime:
    """A view's as-of time: now to the minute, so identical views within a minute share a cache entry."""
    return now().replace(second=0)


def local_now() -> datetime:
    """Now on Beijing time, for clocks shown to people."""
    return now().astimezone(LOCAL_TZ)


def local_today() -> date:
    """Today in Asia/Shanghai: the district's calendar, whatever the server's timezone."""
    return local_now().date()
