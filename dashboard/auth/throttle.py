"""The throttle on guessing: failed sign-ins by account and by address, wrong API keys by address.

Only failures count, so a user who signs in correctly is never slowed down.
Counts live in the ``limits`` library's storage (the engine of Flask-Limiter):
memory for one process, Redis when several processes must share them.
"""

from __future__ import annotations

import math

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from geo import clock

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
        for limit, identity in checks:
            if not self.limiter.test(limit, identity):
                reset_at = self.limiter.get_window_stats(limit, identity).reset_time
                waits.append(max(1, math.ceil(reset_at - clock.now().timestamp())))
        return max(waits, default=0)

    def failed(self, checks) -> None:
        for limit, identity in checks:
            self.limiter.hit(limit, identity)


def login_checks(username: str, address: str) -> list:
    return [(LOGIN_PER_ACCOUNT, f"login:account:{username.casefold()}"),
            (LOGIN_PER_ADDRESS, f"login:address:{address}")]


def key_checks(address: str) -> list:
    return [(KEY_PER_ADDRESS, f"key:address:{address}")]
