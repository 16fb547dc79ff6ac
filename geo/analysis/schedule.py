"""The analysis on a schedule inside the server: every process may try, the store's lock lets one run.

Each server process's background thread (:mod:`dashboard.tools.housekeeping`)
asks every minute; the analysis runs when the newest finished run is older than
the interval, and the lock row in the store makes every other process, on this
machine or another, skip that turn.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from geo import clock
from geo.analysis.run import AnalysisBusy, analyze

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
