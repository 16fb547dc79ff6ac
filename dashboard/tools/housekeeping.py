"""The server's background duties, one daemon thread each in every server process: the 未诉先办 analysis when
it is due, and worker-position history kept for ``POSITION_RETENTION_DAYS`` with room made for the next days
(and for the next month's appeals).

``python app.py`` starts them (in each gunicorn worker, or Werkzeug's serving
child); tests and tools do not. Every turn is safe to run in several processes,
on one machine or many: the analysis takes the store's lock (one run at a time),
and dropping a day twice or making a partition twice does nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from dashboard.config import Config
from geo import clock
from geo.analysis import schedule
from geo.store.errors import StoreError
from geo.store.store import Store

#: Seconds between turns of each duty.
TURN_SECONDS = 60

log = logging.getLogger(__name__)


def turn(store: Store, retention_days: int) -> int:
    """One turn: room for this month's and next month's appeals (so live ingest never has to make it), and the
    position retention; what :meth:`Store.prune_positions` dropped."""
    now = clock.now()
    store.make_room_for_appeals([now, now + timedelta(days=31)])
    return store.prune_positions(now, retention_days)


def start(config: Config) -> list[threading.Thread]:
    """Starts the duties the settings ask for (the analysis not at all when its interval is 0)."""
    threads = [_every("housekeeping", "位置历史清理", lambda store: turn(store, config.position_retention_days),
                      config)]
    if config.analysis_interval_minutes > 0:
        interval = timedelta(minutes=config.analysis_interval_minutes)
        threads.append(_every("analysis-schedule", "未诉先办分析",
                              lambda store: schedule.run_if_due(store, interval), config))
    return threads


def _every(name: str, what: str, duty: Callable[[Store], object], config: Config) -> threading.Thread:
    """A daemon thread running ``duty`` on its own store every :data:`TURN_SECONDS`; it never dies of a failure."""
    store = Store(config.database_url)

    def loop() -> None:
        while True:
            try:
                duty(store)
            except StoreError as exc:  # the database went away: try again next turn
                log.warning("%s未能运行：%s", what, exc)
            except Exception:
                log.exception("%s失败", what)
            time.sleep(TURN_SECONDS)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
