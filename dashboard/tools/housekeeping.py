"""The server's housekeeping: worker-position history kept for ``POSITION_RETENTION_DAYS``, room made for the next days.

Each server process runs one daemon thread (``python app.py`` does; tests and
tools do not). Every turn is idempotent, so several processes, on one machine
or many, may run it at once: dropping a day twice or making a partition twice
does nothing.
"""

from __future__ import annotations

import logging
import threading
import time

from geo import clock
from geo.store.errors import StoreError
from geo.store.store import Store

#: Seconds between turns.
TURN_SECONDS = 60

log = logging.getLogger(__name__)


def turn(store: Store, retention_days: int) -> int:
    """One turn: what :meth:`Store.prune_positions` dropped."""
    return store.prune_positions(clock.now(), retention_days)


def start(store: Store, retention_days: int) -> threading.Thread:
    def loop() -> None:
        while True:
            try:
                turn(store, retention_days)
            except StoreError as exc:  # the database went away: next turn
                log.warning("位置历史清理未能运行：%s", exc)
            except Exception:  # never let the thread die
                log.exception("位置历史清理失败")
            time.sleep(TURN_SECONDS)

    thread = threading.Thread(target=loop, name="housekeeping", daemon=True)
    thread.start()
    return thread
