"""The analysis on a schedule inside the server: every process may try, the store's lock lets one run.

Each server process starts one daemon thread (``python app.py`` does; tests and
tools do not). It wakes every minute and runs the analysis when the newest
finished run is older than the interval; the lock row in the store makes every
other process, on this machine or another, skip that turn.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from geo import clock
from geo.analysis.run import AnalysisBusy, analyze
from geo.store.errors import StoreError

#: How often a process checks whether a run is due.
CHECK_SECONDS = 60

log = logging.getLogger(__name__)


def is_due(last_run: dict | None, interval: timedelta, now: datetime) -> bool:
    """A run is due when none has finished yet, or the newest one started ``interval`` ago or more."""
    return last_run is None or now - last_run["started_at"] >= interval


def run_if_due(store, interval: timedelta) -> dict | None:
    """One turn of the schedule: the run's summary, or None when nothing was due or another process ran it."""
    if not is_due(store.latest_run(), interval, clock.now()):
        return None
    try:
        return analyze(store, progress=log.info)
    except AnalysisBusy:
        return None


def start(store, interval_minutes: int) -> threading.Thread | None:
    """Starts the schedule's daemon thread (none when the interval is 0)."""
    if interval_minutes <= 0:
        return None
    interval = timedelta(minutes=interval_minutes)

    def loop() -> None:
        while True:
            try:
                run_if_due(store, interval)
            except StoreError as exc:  # the database went away: try again next turn
                log.warning("未诉先办分析未能运行：%s", exc)
            except Exception:  # never let the thread die: the next turn may succeed
                log.exception("未诉先办分析失败")
            time.sleep(CHECK_SECONDS)

    thread = threading.Thread(target=loop, name="analysis-schedule", daemon=True)
    thread.start()
    return thread
