"""Deterministic demo data: grid workers, their GPS pings and 崂先办 appeals.

Leaders judge the dashboard by whether its numbers look like Laoshan's, so the
generator models the rhythms they know (office hours, quiet weekends, the
heating season, summer storms, holiday crowds at the scenic area, a few
stubborn cases that never close) instead of drawing uniform noise. Every value
derives from one seed, and appeals stream out in chronological chunks, so a
million of them are reproducible and fit in bounded memory.

The API is :func:`generate_workers`, :func:`generate_positions` and
:func:`generate_appeals`, which can plant known hotspots (:class:`Plant`,
:func:`adjacent_cluster`, :func:`expected_baseline`) for validating a hotspot
detector; the modules behind them, each importing only those above it:

- :mod:`~geo.demo.tables`: sub-seed tags, time units, rhythms, workflow odds, worker statuses.
- :mod:`~geo.demo.text`: surnames, given names, phone prefixes, place words, appeal text.
- :mod:`~geo.demo.sampling`: seeded streams and draws (indices, categories, durations, points).
- :mod:`~geo.demo.epoch`: aware datetimes in, epoch seconds inside, UTC timestamps out.
- :mod:`~geo.demo.grids`: the grids as arrays, hotspot factors and address pools.
- :mod:`~geo.demo.people`: names, phone numbers and the grid workers.
- :mod:`~geo.demo.positions`: worker status by hour and the walk inside the home grid.
- :mod:`~geo.demo.calendar`: the per-day plan (holidays, storms, heating season, seasonal factors).
- :mod:`~geo.demo.plant`: planted hotspots: the plant, adjacent grids, expected and extra appeals.
- :mod:`~geo.demo.appeals`: appeals in day blocks, repeats, workflow timelines, output frames.
"""

from geo.demo.appeals import expected_baseline, generate_appeals
from geo.demo.people import generate_workers
from geo.demo.plant import Plant, adjacent_cluster
from geo.demo.positions import generate_positions

__all__ = ["Plant", "adjacent_cluster", "expected_baseline", "generate_appeals", "generate_positions",
           "generate_workers"]
