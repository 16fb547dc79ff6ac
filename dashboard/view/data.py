"""What each view shows, computed from the store and cached: the same data for the page, the wall and the exports.

Callbacks stay thin: they turn the URL into a :class:`ViewState`, ask here
for plain data, and hand it to pure render functions. The cache is shared by
every server process (:mod:`dashboard.view.shared_cache`); its keys include the
store's data version, so a write makes old answers unreachable.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from dashboard.view.shared_cache import ViewCache
from dashboard.view.state import ViewState
from dashboard.view.text import ticker_time
from geo import clock
from geo import kpis as kpi_math
from geo.access import SYSTEM, Viewer
from geo.domain import CATEGORY_BY_CODE, LEVELS
from geo.scope import CODE_LENGTH, COMPARISON_BASES, Comparison, Scope
from geo.store.store import Store
from layers import choropleth
from layers import heat as heat_layer

CHILD_COLUMN = {"district": "street_code", "street": "community_code", "community": "grid_code"}


class _SharedReads:
    """The answers one :func:`gather` and its calls have computed or are computing, by question: two parts of
    a view that need the same read (the choropleth and the ranking need the per-grid sums) read it once,
    cache or no cache, even when they ask at the same moment. Lives only as long as its gather."""

    def __init__(self):
        self._lock = threading.Lock()
        self._answers: dict[str, Future] = {}

    def once(self, key: str, compute: Callable[[], object]):
        if key in _COMPUTING.get():  # asked again by its own computation (nested): waiting would never end
            return compute()
        with self._lock:
            answer = self._answers.get(key)
            mine = answer is None
            if mine:
                answer = self._answers[key] = Future()
        if mine:
            token = _COMPUTING.set((*_COMPUTING.get(), key))
            try:
                answer.set_result(compute())
            except BaseException as exc:
                answer.set_exception(exc)
                raise
            finally:
                _COMPUTING.reset(token)
        return answer.result()


_SHARED_READS: contextvars.ContextVar[_SharedReads | None] = contextvars.ContextVar("shared_reads", default=None)
#: The questions this call chain is computing (copied into the gathers it starts, like every context variable).
_COMPUTING: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("computing", default=())


@contextlib.contextmanager
def reads_shared():
    """Within this block (and the gathers it starts), each question is computed once (:class:`_SharedReads`)."""
    token = _SHARED_READS.set(_SharedReads()) if _SHARED_READS.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _SHARED_READS.reset(token)


def gather(*calls: Callable[[], object]) -> list:
    """Runs independent store reads at once: a view's latency is its slowest query, not their sum."""
    with reads_shared(), ThreadPoolExecutor(max_workers=len(calls)) as pool:
        # Each call runs in a copy of this thread's context, so it sees the same request and shared reads.
        return [f.result() for f in [pool.submit(contextvars.copy_context().run, call) for call in calls]]


def cached(cache: ViewCache | None, store: Store, name: str, viewer: Viewer, scope: Scope, parts: tuple,
           compute: Callable[[], object]):
    """Returns ``compute()``, from the shared cache when the same question was asked of the same data.

    The viewer is authorized for ``scope`` first, on every call: a cached answer
    is never served to someone who may not see it. Within one :func:`gather`, a question is computed once.
    """
    store.authorize(scope, viewer)
    version = cache.data_version() if cache is not None else None
    raw = json.dumps([name, store.url, store.read_url, version, viewer.role, viewer.scope.code, scope.code, *parts],
                     default=str, ensure_ascii=False)
    key = "view:" + hashlib.sha256(raw.encode()).hexdigest()
    shared = _SHARED_READS.get()
    if cache is None:
        return compute() if shared is None else shared.once(key, compute)

    def read_through():
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value)
        return value

    return read_through() if shared is None else shared.once(key, read_through)


def summary(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """KPIs of the view, of its 环比 and 同比 windows at the same age, and the breadcrumbs.

    A compared window is ``None``-valued ("无数据") when it starts before the launch
    or holds no appeals: a rise from nothing is not news.
    """

    def kpis_at(window, at, arrived_by=None):
        return lambda: store.kpis(state.scope, window, as_of=at, filters=state.filters, viewer=viewer,
                                  arrived_by=arrived_by)

    def compute():
        compared = [Comparison.of(basis, state.window, as_of) for basis in COMPARISON_BASES]
        # 环比 and 同比 of a 365-day window are the same window at the same age: read it once.
        distinct = list(dict.fromkeys((c.window, c.as_of) for c in compared))
        # A compared window counts only the appeals that had come in by its as_of: it is read as it stood.
        doc, lineage, *others = gather(kpis_at(state.window, as_of), lambda: store.lineage(state.scope, viewer),
                                       *(kpis_at(window, at, at) for window, at in distinct))
        read = dict(zip(distinct, others, strict=True))
        crumbs = [{"level": u.level, "code": u.code, "name": u.name} for u in lineage]
        comparisons = {}
        for c in compared:
            other = read[(c.window, c.as_of)]
            comparisons[c.basis] = {
                "from": other["from"], "to": other["to"], "as_of": other["as_of"],
                "kpis": None if c.before_launch or not other["kpis"]["accepted"]["value"] else other["kpis"]}
        return {"kpis": doc["kpis"], "comparisons": comparisons, "as_of": doc["as_of"], "name": doc["name"],
                "lineage": crumbs}

    return cached(cache, store, "summary", viewer, state.scope, (state.data_search(), as_of), compute)


def panels(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """Trend, breakdowns, funnel and escalation mix of the view."""

    def compute():
        scope, window, filters = state.scope, state.window, state.filters
        trend, breakdown = gather(lambda: store.daily_counts(scope, window, filters, viewer=viewer),
                                  lambda: store.breakdown(scope, window, filters, viewer=viewer))
        return {"trend": trend, **breakdown}

    # Neither series depends on the as-of time (only on the data version), so the entry lives CACHE_SECONDS.
    return cached(cache, store, "panels", viewer, state.scope, (state.data_search(),), compute)


def ranking(store: Store, state: ViewState, as_of: datetime, viewer: Viewer,
            cache: ViewCache | None = None) -> list[dict]:
    """Child units with their KPIs, worst closure first (they need attention)."""

    def compute():
        if state.scope.level == "grid":
            return []
        return ranking_rows(store, state, viewer, store.kpi_counts(
            state.scope, state.window, as_of, state.filters, group_by=CHILD_COLUMN[state.scope.level], viewer=viewer))

    return cached(cache, store, "ranking", viewer, state.scope, (state.data_search(), as_of), compute)


def ranking_from_grids(store: Store, state: ViewState, as_of: datetime, viewer: Viewer,
                       cache: ViewCache | None = None) -> list[dict]:
    """:func:`ranking`'s rows from the per-grid sums the choropleth reads anyway (the map's hover figures): the
    KPI sums add up, so each child's are its grids' totals, and the map makes one KPI read instead of two."""
    if state.scope.level == "grid":
        return []
    return ranking_rows(store, state, viewer,
                        sums_by_unit(grid_counts(store, state, as_of, viewer, cache), child_level(state.scope)))


def ranking_rows(store: Store, state: ViewState, viewer: Viewer, groups: dict[str, dict[str, int]]) -> list[dict]:
    """One row per child unit of the view from its KPI sums (``groups`` by unit code), worst closure first."""
    rows = []
    for unit in store.children(state.scope, viewer):
        k = kpi_math.compute(groups.get(unit.code, {}))
        rows.append(
            {
                "level": unit.level,
                "code": unit.code,
                "name": unit.name,
                "accepted": k["accepted"].value,
                "closure_rate": k["closure_rate"].value,
                "on_time_rate": k["on_time_rate"].value,
                "satisfaction_rate": k["satisfaction_rate"].value,
                "overdue_open": k["overdue_open"].value,
            }
        )
    rows.sort(key=lambda r: (r["closure_rate"] is None, r["closure_rate"] or 0, -r["accepted"]))
    return rows


def sums_by_unit(grid_sums: dict[str, dict[str, int]], level: str) -> dict[str, dict[str, int]]:
    """Per-grid KPI sums added up per unit of ``level`` (a grid code begins with its units' codes)."""
    length = CODE_LENGTH[level]
    out: dict[str, dict[str, int]] = {}
    for code, sums in grid_sums.items():
        total = out.setdefault(code[:length], dict.fromkeys(sums, 0))
        for name, value in sums.items():
            total[name] += value
    return out


def colour_scope(state: ViewState, viewer: Viewer) -> Scope:
    """The unit whose grids the choropleth colours: the view's scope, or a grid's community (its siblings are
    drawn around it), within what the viewer may see. Grids outside it are drawn as outlines only, so a view
    no longer sums the whole district's grids."""
    if state.scope.level == "grid":
        community = Scope("community", state.scope.code[:12])
        return community if viewer.sees(community) else state.scope
    return state.scope


def grid_counts(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """Per-grid KPI sums of the grids that set the choropleth's classes (:func:`scale_reference`): the view's
    own grids, or for a community or grid its street's; never the whole district for a smaller view."""
    scope = scale_reference(state, viewer).scope

    def compute():
        return store.kpi_counts(scope, state.window, as_of, state.filters, group_by="grid_code", viewer=viewer)

    return cached(cache, store, "grid_counts", viewer, scope, (state.window, state.filters, as_of), compute)


def grid_style(store: Store, state: ViewState, as_of: datetime, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """The choropleth's colours of the view's grids (:func:`colour_scope`) for its metric, classed among the
    grids of :func:`scale_reference`: the live map's ``hideout`` and the exported map image both come from
    here, so they agree."""
    counts = grid_counts(store, state, as_of, viewer, cache)
    reference, shown = scale_reference(state, viewer).scope.code, colour_scope(state, viewer).code
    values = choropleth.metric_values(state.metric, counts, {code: area for code, area in store.grid_areas().items()
                                                             if code.startswith(reference)})
    style = choropleth.hideout(state.metric, {code: v for code, v in values.items() if code.startswith(shown)},
                               shown, state.scope.code if state.scope.level == "grid" else "",
                               classed_among=values)
    style["visible"] = "grids" in state.layers
    return style


def heat_cells(store: Store, state: ViewState, viewer: Viewer, cache: ViewCache | None = None) -> list:
    """The view's appeals binned on the heat lattice (bounded by the lattice, whatever the volume)."""

    def compute():
        return store.heat_counts(state.scope, state.window, state.filters, heat_layer.ORIGIN, heat_layer.CELL,
                                 heat_layer.SHAPE, viewer=viewer)

    return cached(cache, store, "heat_cells", viewer, state.scope, (state.window, state.filters), compute)


def scale_reference(state: ViewState, viewer: Viewer) -> ViewState:
    """The view that sets the colour scales (the heat's peak, the choropleth's classes): a community or grid is
    scaled like its street, so a handful of appeals in a small unit is not painted as a hotspot and two grids are
    not split into five classes by a few appeals (within what the viewer may see)."""
    if state.scope.level in ("community", "grid"):
        street = Scope("street", state.scope.code[:9])
        return state.with_scope(street if viewer.sees(street) else viewer.scope)
    return state


def heat_peak(store: Store, state: ViewState, viewer: Viewer, cache: ViewCache | None = None) -> float:
    """The legend's top (appeals/km²) without drawing the image; the image is the endpoint's job."""
    store.authorize(state.scope, viewer)
    reference = scale_reference(state, viewer)
    # Cached itself: from cached cells it still cost ~18 ms of a warm district-year map call.
    return cached(cache, store, "heat_peak", viewer, reference.scope, (reference.window, reference.filters),
                  lambda: heat_layer.peak_per_km2(heat_cells(store, reference, viewer, cache),
                                                  store.land_mask()))


def heat(store: Store, state: ViewState, viewer: Viewer, cache: ViewCache | None = None,
         peak: float | None = None, ramp: str = "light") -> heat_layer.Heat:
    """The heat image of the view's scope, window and filters, in the colours of ``ramp`` (its base map);
    ``peak`` (appeals/km²) holds the scale (回放)."""
    with reads_shared():  # a district's or street's scale is set by its own cells: read them once
        cells = heat_cells(store, state, viewer, cache)
        peak = heat_peak(store, state, viewer, cache) if peak is None else peak
    return cached(cache, store, f"heat-{ramp}", viewer, state.scope, (state.window, state.filters, peak),
                  lambda: heat_layer.render(cells, store.land_mask(), peak, ramp))


def map_frame(store: Store, state: ViewState, viewer: Viewer, cache: ViewCache | None = None) -> dict:
    """Bounds of the scope, to fit the map to it."""

    def compute():
        bounds = store.unit_bounds(state.scope, viewer)
        return {"bounds": bounds}

    return cached(cache, store, "map_frame", viewer, state.scope, (), compute)


#: Levels whose map shows each child unit's worker count on its label instead of worker markers: there,
#: clusters would sit on the units a leader clicks to drill in.
WORKER_COUNT_LEVELS = ("district", "street")


def worker_counts(store: Store, scope: Scope, viewer: Viewer) -> dict[str, int]:
    """Grid workers per child unit of the scope, by home grid, as the viewer may see them."""
    return store.worker_counts(scope, child_level(scope), viewer)


def child_level(scope: Scope) -> str:
    """The level drawn as clickable units: one below the scope; a grid shows its siblings."""
    return LEVELS[min(LEVELS.index(scope.level) + 1, len(LEVELS) - 1)]


def parse_view(search: str | None, store: Store | None = None, viewer: Viewer | None = None) -> ViewState:
    """The state of a URL; with a store, its units must exist and the viewer see them (else NotFound/Forbidden).

    A URL without a scope opens the viewer's own unit.
    """
    home = viewer.scope if viewer is not None else None
    state = ViewState.from_search(search, clock.local_today(), home)
    if store is not None:
        check_units(store, state, viewer or SYSTEM)
    return state


def check_units(store: Store, state: ViewState, viewer: Viewer) -> None:
    """Every unit a view names (its scope, the units it compares) exists and the viewer may see it."""
    for scope in (state.scope, *state.compare_scopes()):
        store.resolve(scope, viewer)


def grid_view(store: Store, state: ViewState, viewer: Viewer, limit: int = 1000) -> dict:
    """What the grid section shows: profile, workers (masked) and the newest appeals (masked)."""
    profile, workers, appeals = gather(
        lambda: store.grid_profile(state.scope.code, viewer),
        lambda: store.workers(state.scope, viewer)["items"],
        lambda: store.appeals(state.scope, state.window, limit=limit, filters=state.filters, viewer=viewer),
    )
    return {"profile": profile, "workers": workers, "appeals": appeals}


def ticker(store: Store, state: ViewState, viewer: Viewer, limit: int = 8) -> list[dict]:
    """The newest appeals of the view (scope, window, filters) for the "最新诉求" ticker.

    Time, street, category and the title (redacted by the store); never the reporter.
    """
    streets = store.unit_names("street", viewer)
    rows = store.latest_appeals(state.scope, state.window, state.filters, limit=limit, viewer=viewer)
    return [
        {
            "id": r["id"],
            "time": ticker_time(datetime.fromisoformat(r["accepted_at"])),
            "street": streets.get(r["street_code"], r["street_code"]),
            "category": CATEGORY_BY_CODE[r["category"]].label,
            "title": r["title"],
        }
        for r in rows
    ]
