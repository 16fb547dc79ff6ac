"""The throttle on guessing: failed sign-ins by account and by address, wrong API keys by address.

Only failures count, so a user who signs in correctly is never slowed down.
Counts live in the ``limits`` library's storage (the engine of Flask-Limiter):
memory for one process, Redis when several processes must share them. When
that storage cannot be reached the throttle lets callers through (and says so
in the log): sign-in and ingest keep working, and argon2's cost still bounds
guessing to about one try a second per process.
"""

from __future__ import annotations

import logging
import math

import redis
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from geo import clock

LOG = logging.getLogger(__name__)
#: Failed sign-ins allowed per account name, and per client address, before answers become 429.
LOGIN_PER_ACCOUNT = parse("5/minute")
LOGIN_PER_ADDRESS = parse("20/minute")
#: Wrong or missing ingest keys allowed per address.
KEY_PER_ADDRESS = parse("20/minute")


class Throttle:
    """Counts failures; ``wait`` says how many seconds a caller must wait (0: go ahead)."""

    def __init__(self, storage_uri: str):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def wait(self, checks) -> int:
        """Seconds until every (limit, identity) in ``checks`` allows another try; 0 if all do now."""
        waits = []
        try:
            for limit, identity in checks:
                if not self.limiter.test(limit, identity):
                    reset_at = self.limiter.get_window_stats(limit, identity).reset_time
                    waits.append(max(1, math.ceil(reset_at - clock.now().timestamp())))
        except redis.RedisError as exc:
            LOG.warning("限流计数不可用，本次放行：%s", exc)
            return 0
        return max(waits, default=0)

    def failed(self, checks) -> None:
        try:
            for limit, identity in checks:
                self.limiter.hit(limit, identity)
        except redis.RedisError as exc:
            LOG.warning("限流计数不可用，本次失败未计入：%s", exc)


def login_checks(username: str, address: str) -> list:
    return [(LOGIN_PER_ACCOUNT, f"login:account:{username.casefold()}"),
            (LOGIN_PER_ADDRESS, f"login:address:{address}")]


def key_checks(address: str) -> list:
    return [(KEY_PER_ADDRESS, f"key:address:{address}")]
