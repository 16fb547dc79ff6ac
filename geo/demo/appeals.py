"""Appeals: stream n of them, oldest first, each with the workflow events it has reached by ``end``.

A run prepares a context once (grids, address pools, the day plan, text
tables, workers), then draws whole local days in blocks: source, hour,
category, place, reporter, repeats of recent citizen appeals, urgency and
the workflow timeline, assembled into appeal and event frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from geo import domain
from geo.demo.calendar import Plan, category_factors, heating_season, hour_cdf, plan_days
from geo.demo.epoch import timestamps, to_epoch_s
from geo.demo.grids import Addresses, Grids, addresses, grid_factors, place_words, prepare_grids
from geo.demo.people import names, phones, worker_columns
from geo.demo.plant import EVENING_HOUR, Plant, PlantedRates, draw_extras, grid_weight_group, resolve
from geo.demo.sampling import choose, lognormal, pick, rng_for
from geo.demo.tables import (
    CATEGORY_BASE,
    CATEGORY_CODES,
    DAY_S,
    ESCALATE,
    HANDLING_LEVEL_CODES,
    HOUR_S,
    KIND_CODES,
    P_LATE_CLOSE,
    P_LATE_DISPATCH,
    P_RATED,
    P_REPEAT,
    P_RESOLVED,
    P_STUCK,
    P_STUCK_FEEDBACK,
    REPEAT_WINDOW_S,
    RURAL_STREETS,
    SATISFACTION_GIVEN,
    SCENIC_STREETS,
    SOURCE_CATEGORY_TILT,
    SOURCE_CODES,
    SOURCE_KINDS,
    STATUS_CODES,
    TAG_DAY,
    URGENT,
    URGENT_BASE,
    URGENT_STORM_DRAINAGE,
    index,
)
from geo.demo.text import CITIZEN_SOURCES, PATROL_SOURCES, REQUESTS, SOURCE_TEXT, category_text

# Column layout of the per-appeal random draws (uniform U, standard normal Z).
(
    _U_SOURCE, _U_HOUR, _U_CATEGORY, _U_GRID, _U_ADDRESS, _U_PLACE, _U_ISSUE, _U_SURNAME, _U_GIVEN_LEN,
    _U_GIVEN_1, _U_GIVEN_2, _U_PHONE_PREFIX, _U_PHONE_DIGITS, _U_REPEAT, _U_REPEAT_LAG, _U_PRIORITY,
    _U_LATE_DISPATCH, _U_NIGHT, _U_OUTCOME, _U_LEVEL, _U_FEEDBACK, _U_STUCK_FB, _U_STUCK_FB_AT,
    _U_ESC1, _U_ESC2, _U_RESOLVED, _U_RATED, _U_SATISFACTION, _U_WORKER, _U_REPORTER, _U_REQUEST,
    _U_LATE_AMOUNT, _U_DISPATCH_FALLBACK,
) = range(33)
_NU = 33
_Z_DISPATCH, _Z_START, _Z_CLOSE, _Z_LATE, _Z_VISIT, _Z_MORNING = range(6)
_NZ = 6


@dataclass(frozen=True)
class _Context:
    """What every block of appeals needs; built once per run, never mutated."""

    seed: int
    start_s: float
    end_s: float
    plan: Plan
    grids: Grids
    addr: Addresses
    grid_cdf: np.ndarray  # (3, G) cumulative weights: general, development, scenic
    workers: dict[str, np.ndarray]
    affinity: np.ndarray
    kind_share: np.ndarray
    kind_of: np.ndarray
    hour_cdf: np.ndarray
    has_scenic: bool
    text: dict[str, np.ndarray]
    planted: tuple[PlantedRates, ...] = ()


def _source_affinity() -> tuple[np.ndarray, np.ndarray]:
    """(S, C) category weights within their kind, and (S, K) kind shares, per source."""
    base = dict(CATEGORY_BASE)
    tilt = {s: dict(t) for s, t in SOURCE_CATEGORY_TILT}
    kinds = dict(SOURCE_KINDS)
    within = np.array(
        [[base[c.code] * tilt[s].get(c.code, 1.0) for c in domain.CATEGORIES] for s in SOURCE_CODES]
    )
    return within, np.array([kinds[s] for s in SOURCE_CODES])


def _category_probs(ctx: _Context, src: np.ndarray, day: np.ndarray, evening: np.ndarray,
                    factors: np.ndarray) -> np.ndarray:
    """(m, C) category probabilities: the source's kind mix, then seasonal weights within each kind.

    Normalising within the kind keeps the published 80/8/12 kind mix steady
    while heating or storms reshuffle the livelihood categories.
    """
    plan = ctx.plan
    within = ctx.affinity[src] * factors
    kind_of = ctx.kind_of
    sums = np.stack([within[:, kind_of == k].sum(axis=1) for k in range(len(KIND_CODES))], axis=1)
    shares = ctx.kind_share[src] * (sums > 0)
    # Development appeals drop ~25% on rest days; weekdays make up for it so the average holds.
    p_rest = float(plan.rest.mean())
    weekday = (1 - 0.75 * p_rest) / max(1 - p_rest, 1e-9)
    dev = KIND_CODES.index("development")
    shares[:, dev] *= np.where(plan.rest[day], 0.75, weekday)
    shares = shares / shares.sum(axis=1, keepdims=True)
    return shares[:, kind_of] * within / np.maximum(sums[:, kind_of], 1e-300)


def _category_given_source(ctx: _Context, days: np.ndarray, category: int) -> np.ndarray:
    """(len(days), S, 2) chance that an appeal of each day, source and daytime/evening is of ``category``."""
    n_src = len(SOURCE_CODES)
    src = np.tile(np.arange(n_src), len(days))
    day = np.repeat(days, n_src)
    factors = category_factors(ctx.plan, slice(None), ctx.has_scenic)
    return np.stack(
        [_category_probs(ctx, src, day, np.full(len(day), ev), factors[day, ev])[:, category] for ev in (0, 1)],
        axis=1,
    ).reshape(len(days), n_src, 2)


def _text_tables() -> dict[str, np.ndarray]:
    """Flatten the category texts into arrays with per-category offsets."""
    words, village, _ = place_words()
    by_code = {c: (up, rp, issues) for c, up, rp, issues in category_text()}
    places: list[str] = []
    issue_title: list[str] = []
    issue_detail: list[str] = []
    place_ranges: list[tuple[int, int, int, int]] = []  # per issue: urban (off, n), village (off, n)
    n_cat = len(CATEGORY_CODES)
    issue_off = np.zeros(n_cat, dtype=np.int64)
    issue_cnt = np.zeros(n_cat, dtype=np.int64)
    for ci, code in enumerate(CATEGORY_CODES):
        up, rp, issues = by_code[code]
        issue_off[ci], issue_cnt[ci] = len(issue_title), len(issues)
        for issue in issues:
            # An issue may name its own places; otherwise the category's apply.
            own_up, own_rp = issue[2:4] if len(issue) == 4 else (up, rp)
            place_ranges.append((len(places), len(own_up), len(places) + len(own_up), len(own_rp)))
            places += [*own_up, *own_rp]
            issue_title.append(issue[0])
            issue_detail.append(issue[1])
    ranges = np.array(place_ranges, dtype=np.int64)
    place_off = ranges[:, [0, 2]]
    place_cnt = ranges[:, [1, 3]]
    src = {s[0]: s for s in SOURCE_TEXT}
    req = dict(REQUESTS)
    req_groups = (*KIND_CODES, "patrol")
    req_words: list[str] = []
    req_off = np.zeros(len(req_groups), dtype=np.int64)
    req_cnt = np.zeros(len(req_groups), dtype=np.int64)
    for gi, grp in enumerate(req_groups):
        req_off[gi], req_cnt[gi] = len(req_words), len(req[grp])
        req_words += req[grp]
    return {
        "words": words,
        "village": village,
        "places": np.array(places),
        "place_off": place_off,
        "place_cnt": place_cnt,
        "issue_title": np.array(issue_title),
        "issue_detail": np.array(issue_detail),
        "issue_off": issue_off,
        "issue_cnt": issue_cnt,
        "ref_prefix": np.array([src[s][1] + "-" for s in SOURCE_CODES]),
        "lead": np.array([src[s][2] for s in SOURCE_CODES]),
        "lead_repeat": np.array([src[s][3] for s in SOURCE_CODES]),
        "accept_actor": np.array([src[s][4] for s in SOURCE_CODES], dtype=object),
        "requests": np.array(req_words),
        "req_off": req_off,
        "req_cnt": req_cnt,
    }


def _context(grids: Any, workers: pd.DataFrame | None, start_s: float, end_s: float, n: int,
             seed: int, plants: Sequence[Plant] = ()) -> _Context:
    """Prepare everything the blocks share, once per run."""
    g = prepare_grids(grids)
    factor = grid_factors(g, seed)
    general = g.population * factor
    urban = ~np.isin(g.street, RURAL_STREETS)
    development = general * np.where(urban, 2.5, 0.6)
    scenic_mask = np.isin(g.street, SCENIC_STREETS)
    scenic = np.sqrt(g.population) * factor * scenic_mask
    weights = np.stack([general, development, scenic])
    cum = np.cumsum(weights, axis=1)
    cum = cum / np.where(cum[:, -1:] > 0, cum[:, -1:], 1.0)
    within, kind_share = _source_affinity()
    ctx = _Context(
        seed=seed,
        start_s=start_s,
        end_s=end_s,
        plan=plan_days(start_s, end_s, n, seed),
        grids=g,
        addr=addresses(g, seed),
        grid_cdf=cum,
        workers=worker_columns(workers, g),
        affinity=within,
        kind_share=kind_share,
        kind_of=np.array([KIND_CODES.index(c.kind) for c in domain.CATEGORIES]),
        hour_cdf=hour_cdf(),
        has_scenic=bool(scenic_mask.any()),
        text=_text_tables(),
    )
    if not plants:
        return ctx
    planted = tuple(
        resolve(plant, i, codes=g.code, grid_cdf=cum, plan=ctx.plan, hour_cdf=ctx.hour_cdf,
                category_given_source=lambda days, category: _category_given_source(ctx, days, category))
        for i, plant in enumerate(plants)
    )
    return replace(ctx, planted=planted)


@dataclass(frozen=True)
class _Memory:
    """Citizen appeals of the last 30 days, which later appeals may repeat."""

    t: np.ndarray
    src: np.ndarray
    grid: np.ndarray
    addr: np.ndarray
    cat: np.ndarray
    place: np.ndarray
    issue: np.ndarray
    name: np.ndarray
    phone: np.ndarray

    @staticmethod
    def empty() -> _Memory:
        i = np.array([], dtype=np.int64)
        o = np.array([], dtype=object)
        return _Memory(np.array([], dtype=float), i, i, i, i, i, i, o, o)


def _draws(ctx: _Context, da: int, db: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-day random draws, so a day's appeals never depend on how days are chunked."""
    us, zs = [], []
    for d in range(da, db):
        c = int(ctx.plan.counts[d])
        rng = rng_for(ctx.seed, TAG_DAY, int(ctx.plan.ordinal[d]) + 1_000_000)
        us.append(rng.random((c, _NU)))
        zs.append(rng.standard_normal((c, _NZ)))
    return np.concatenate(us), np.concatenate(zs)


def _block(ctx: _Context, da: int, db: int, offset: int, memory: _Memory
           ) -> tuple[pd.DataFrame, pd.DataFrame, _Memory]:
    """All appeals of local days [da, db), with their events."""
    plan = ctx.plan
    g = ctx.grids
    tx = ctx.text
    u, z = _draws(ctx, da, db)
    m = len(u)
    day = np.repeat(np.arange(da, db), plan.counts[da:db])

    # Source, then the hour (restricted to the covered part of the day), then the category.
    sw = plan.source_weight[day]
    src = choose(sw, u[:, _U_SOURCE])
    hour = np.empty(m)
    grid_hours = np.arange(25.0)
    for s in range(len(SOURCE_CODES)):
        sel = src == s
        if sel.any():
            c = ctx.hour_cdf[s]
            lo = np.interp(plan.h0[day[sel]], grid_hours, c)
            hi = np.interp(plan.h1[day[sel]], grid_hours, c)
            hour[sel] = np.interp(lo + u[sel, _U_HOUR] * (hi - lo), c, grid_hours)
    evening = (hour >= EVENING_HOUR).astype(np.int64)
    factors = category_factors(plan, slice(da, db), ctx.has_scenic)
    cat = choose(_category_probs(ctx, src, day, evening, factors[day - da, evening]), u[:, _U_CATEGORY])

    # Planted hotspots: extra appeals join here and are treated like the rest from now on.
    planted_grid = np.full(m, -1, dtype=np.int64)
    if ctx.planted:
        ex = draw_extras(ctx.planted, plan, ctx.hour_cdf, ctx.seed, da, db, _NU, _NZ)
        u, z, day, src, hour, cat, planted_grid = (
            np.concatenate(pair) for pair in ((u, ex.u), (z, ex.z), (day, ex.day), (src, ex.src),
                                              (hour, ex.hour), (cat, ex.cat), (planted_grid, ex.grid))
        )
        m = len(u)
    t = plan.midnight_s[day] + np.floor(hour * HOUR_S)
    t = np.clip(t, np.ceil(ctx.start_s), np.ceil(ctx.end_s) - 1)

    order = np.argsort(t, kind="stable")
    u, z, day, src, hour, t, cat = u[order], z[order], day[order], src[order], hour[order], t[order], cat[order]
    planted_grid = planted_grid[order]
    idx = offset + np.arange(m, dtype=np.int64)

    # Where: grid by population x hotspot (per category group), then an address in the grid.
    kinds = np.array([KIND_CODES.index(c.kind) for c in domain.CATEGORIES])
    ci = index(CATEGORY_CODES)
    group = grid_weight_group(cat)
    grid = np.empty(m, dtype=np.int64)
    for k in range(3):
        sel = group == k
        grid[sel] = np.minimum(np.searchsorted(ctx.grid_cdf[k], u[sel, _U_GRID], side="right"), len(g) - 1)
    grid = np.where(planted_grid >= 0, planted_grid, grid)
    a = ctx.addr
    target = a.cum_before[grid] + u[:, _U_ADDRESS] * a.total[grid]
    addr = np.clip(np.searchsorted(a.cum, target, side="right"), a.start[grid], a.start[grid] + a.count[grid] - 1)
    village = tx["village"][a.place[addr]].astype(np.int64)
    issue = pick(u[:, _U_ISSUE], tx["issue_cnt"][cat])
    place = pick(u[:, _U_PLACE], tx["place_cnt"][tx["issue_off"][cat] + issue, village])
    name = names(u[:, _U_SURNAME], u[:, _U_GIVEN_LEN], u[:, _U_GIVEN_1], u[:, _U_GIVEN_2])
    phone = phones(u[:, _U_PHONE_PREFIX], u[:, _U_PHONE_DIGITS])

    # Repeats: a citizen reports the same problem at the same address again within 30 days.
    # Planted extras stay out of the repeat chains, so a plant changes no other appeal.
    citizen = np.isin(src, [SOURCE_CODES.index(s) for s in CITIZEN_SOURCES]) & (planted_grid < 0)
    repeat, root = _repeats(ctx, memory, u, t, day, citizen, src, cat)
    cz = np.flatnonzero(citizen)
    name = name.astype(object)
    phone = phone.astype(object)
    block_attrs = (grid, addr, cat, place, issue, name, phone)
    mem_attrs = (memory.grid, memory.addr, memory.cat, memory.place, memory.issue, memory.name, memory.phone)
    rep = cz[repeat]
    r = root[repeat]
    for mine, remembered in zip(block_attrs, mem_attrs, strict=True):
        mine[rep] = np.concatenate([remembered, mine[cz]])[r]
    is_repeat = np.zeros(m, dtype=bool)
    is_repeat[rep] = True

    # Remember the (resolved) citizen appeals of the last 30 days for the next block.
    keep_from = t[-1] - REPEAT_WINDOW_S if m else -np.inf
    pool_t = np.concatenate([memory.t, t[cz]])
    keep = pool_t >= keep_from
    new_memory = _Memory(
        pool_t[keep],
        np.concatenate([memory.src, src[cz]])[keep],
        *(np.concatenate([rem, mine[cz]])[keep] for mine, rem in zip(block_attrs, mem_attrs, strict=True)),
    )

    # Patrol reports come from the grid's own worker.
    w = ctx.workers
    patrol = src == SOURCE_CODES.index("grid_patrol")
    has_worker = w["count"][grid] > 0
    reporter_w = np.where(has_worker, w["start"][grid] + pick(u[:, _U_REPORTER], w["count"][grid]), -1)
    patrol_w = patrol & has_worker
    name[patrol_w] = w["name"][reporter_w[patrol_w]]
    phone[patrol_w] = w["phone"][reporter_w[patrol_w]]
    handler_w = np.where(patrol_w, reporter_w,
                         np.where(has_worker, w["start"][grid] + pick(u[:, _U_WORKER], w["count"][grid]), -1))

    kind = kinds[cat]
    storm = plan.storm[day]
    urgent_p = np.full(len(CATEGORY_CODES), URGENT_BASE)
    for c, p in URGENT:
        urgent_p[ci[c]] = p
    p_urg = np.where((cat == ci["drainage"]) & storm, URGENT_STORM_DRAINAGE, urgent_p[cat])
    urgent = u[:, _U_PRIORITY] < p_urg

    times, handling_final, outcome = _workflow(ctx, u, z, t, hour, cat, urgent)
    appeals, events = _frames(
        ctx, idx=idx, day=day, src=src, cat=cat, kind=kind, urgent=urgent, grid=grid, addr=addr,
        place=place, issue=issue, name=name, phone=phone, is_repeat=is_repeat, u=u, times=times,
        handling_final=handling_final, outcome=outcome, reporter_w=np.where(patrol_w, reporter_w, -1),
        handler_w=handler_w,
    )
    return appeals, events, new_memory


def _repeats(ctx: _Context, memory: _Memory, u: np.ndarray, t: np.ndarray, day: np.ndarray,
             citizen: np.ndarray, src: np.ndarray, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pick, for some citizen appeals, an earlier appeal by the same channel that they repeat.

    Works in "pool" space: the remembered appeals followed by this block's
    citizen appeals (both in time order). Returns (is repeat, root pool index)
    per block citizen appeal; roots are never repeats themselves, so copying
    from them is exact.
    """
    cz = np.flatnonzero(citizen)
    mem_n = len(memory.t)
    pool_t = np.concatenate([memory.t, t[cz]])
    pool_src = np.concatenate([memory.src, src[cz]])
    n_pool = len(pool_t)
    own = mem_n + np.arange(len(cz))
    parent = np.arange(n_pool)
    cand = u[cz, _U_REPEAT] < P_REPEAT
    lag = np.minimum(-np.log(np.maximum(u[cz, _U_REPEAT_LAG], 1e-12)) * 4 * DAY_S, REPEAT_WINDOW_S)
    for s in np.unique(src[cz]):
        same = np.flatnonzero(pool_src == s)  # pool positions of this channel, in time order
        mine = np.flatnonzero(cand & (src[cz] == s))
        if len(mine) == 0:
            continue
        pos = np.searchsorted(same, own[mine])  # rank of each appeal within its channel
        k = np.minimum(np.searchsorted(pool_t[same], t[cz][mine] - lag[mine], side="left"), pos - 1)
        ok = k >= 0
        k = same[np.maximum(k, 0)]
        ok &= pool_t[k] >= t[cz][mine] - REPEAT_WINDOW_S
        parent[own[mine[ok]]] = k[ok]

    heating = CATEGORY_CODES.index("heating")
    ymd = pd.DatetimeIndex(ctx.plan.days[day[cz]])
    off_season = heating_season(ymd.month.to_numpy(), ymd.day.to_numpy()) < 0.05
    pool_cat = np.concatenate([memory.cat, cat[cz]])
    for _ in range(64):
        root = parent.copy()
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        # Heating complaints do not repeat out of season: such appeals stand on their own.
        r_own = root[own]
        cancel = (r_own != own) & off_season & (pool_cat[r_own] == heating)
        if not cancel.any():
            break
        parent[own[cancel]] = own[cancel]
    r_own = root[own]
    return r_own != own, r_own


def _workflow(ctx: _Context, u: np.ndarray, z: np.ndarray, t: np.ndarray, hour: np.ndarray,
              cat: np.ndarray, urgent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stage times (m, 8) in epoch seconds (inf = never) and the final handling level.

    Columns: accepted, dispatched, in_progress, escalated to street, escalated
    to district, feedback, visited, closed. Outcome: 0 on time, 1 late, 2 stuck.
    """
    m = len(t)
    complex_ = np.array([c.complex for c in domain.CATEGORIES])[cat]
    resp = np.empty(m)
    close = np.empty(m)
    for code in CATEGORY_CODES:
        for is_urgent in (False, True):
            sel = (cat == CATEGORY_CODES.index(code)) & (urgent == is_urgent)
            if sel.any():
                r, c = domain.deadline_hours(code, "urgent" if is_urgent else "normal")
                resp[sel], close[sel] = r * HOUR_S, c * HOUR_S
    min_gap = 60.0

    # Dispatch: minutes to hours; normal appeals taken at night wait for the morning shift.
    base = lognormal(z[:, _Z_DISPATCH], np.where(urgent, 0.2, 0.8) * HOUR_S, np.where(urgent, 0.7, 1.0))
    night = ~urgent & ((hour < 7.5) | (hour >= 20)) & (u[:, _U_NIGHT] < 0.7)
    to_morning = np.where(hour >= 20, 24 - hour + 8, 8 - hour) * HOUR_S
    base = np.where(night, to_morning + lognormal(z[:, _Z_MORNING], 0.3 * HOUR_S, 0.6), base)
    on_time = np.where(base < 0.95 * resp, base, resp * (0.6 + 0.35 * u[:, _U_DISPATCH_FALLBACK]))
    late = resp * (1.05 - 0.8 * np.log(np.maximum(u[:, _U_LATE_AMOUNT], 1e-12)))
    dispatch = t + np.maximum(np.where(u[:, _U_LATE_DISPATCH] < P_LATE_DISPATCH, late, on_time), min_gap)
    start = dispatch + np.maximum(
        np.minimum(lognormal(z[:, _Z_START], np.where(urgent, 0.25, 1.5) * HOUR_S, np.where(urgent, 0.6, 0.9)),
                   36 * HOUR_S),
        min_gap,
    )

    # Level: everything starts at the community; complex cases climb more often.
    p_street = np.where(complex_, ESCALATE[1][0], ESCALATE[0][0])
    p_district = np.where(complex_, ESCALATE[1][1], ESCALATE[0][1])
    ul = u[:, _U_LEVEL]
    handling = np.where(ul < p_district, 2, np.where(ul < p_district + p_street, 1, 0))

    uo = u[:, _U_OUTCOME]
    outcome = np.where(uo < P_STUCK, 2, np.where(uo < P_STUCK + P_LATE_CLOSE, 1, 0))
    mu = np.array([-0.7, -0.3, 0.0])[handling]
    frac = 1 / (1 + np.exp(-(mu + 0.9 * z[:, _Z_CLOSE])))
    min_work = np.where(urgent, 0.25, 1.0) * HOUR_S
    closed_on_time = np.maximum(t + 0.98 * close * frac, start + min_work)
    closed_late = t + close + lognormal(z[:, _Z_LATE], 36 * HOUR_S, 1.1)
    closed = np.where(outcome == 0, closed_on_time, np.where(outcome == 1, closed_late, np.inf))
    closed = np.maximum(closed, start + 3 * min_gap)

    span = closed - start
    feedback = start + span * (0.5 + 0.4 * u[:, _U_FEEDBACK])
    stuck_fb = start + close * (0.5 + 0.7 * u[:, _U_STUCK_FB_AT])
    feedback = np.where(outcome == 2, np.where(u[:, _U_STUCK_FB] < P_STUCK_FEEDBACK, stuck_fb, np.inf), feedback)
    stuck = outcome == 2
    tail = np.where(stuck, 0.0, closed - np.where(stuck, 0.0, feedback))
    gap = np.minimum(lognormal(z[:, _Z_VISIT], 0.5 * HOUR_S, 0.8), 0.5 * tail)
    visited = np.where(stuck, np.inf, np.maximum(closed - gap, feedback + min_gap / 2))
    closed = np.where(stuck, np.inf, np.maximum(closed, visited + min_gap / 2))

    esc_end = np.where(np.isfinite(feedback), feedback, start + 0.8 * close)
    esc1 = start + (esc_end - start) * (0.1 + 0.3 * u[:, _U_ESC1])
    esc2 = esc1 + (esc_end - esc1) * (0.2 + 0.4 * u[:, _U_ESC2])
    esc1 = np.where(handling >= 1, esc1, np.nan)
    esc2 = np.where(handling >= 2, esc2, np.nan)
    times = np.stack([t, dispatch, start, esc1, esc2, feedback, visited, closed], axis=1)
    return times, handling, outcome


#: Event columns: (from_status, to_status) per stage column of :func:`_workflow`.
_EVENT_STAGES = (
    (None, "accepted"),
    ("accepted", "dispatched"),
    ("dispatched", "in_progress"),
    ("in_progress", "in_progress"),
    ("in_progress", "in_progress"),
    ("in_progress", "feedback"),
    ("feedback", "visited"),
    ("visited", "closed"),
)


def _frames(ctx: _Context, *, idx: np.ndarray, day: np.ndarray, src: np.ndarray, cat: np.ndarray,
            kind: np.ndarray, urgent: np.ndarray, grid: np.ndarray, addr: np.ndarray, place: np.ndarray,
            issue: np.ndarray, name: np.ndarray, phone: np.ndarray, is_repeat: np.ndarray, u: np.ndarray,
            times: np.ndarray, handling_final: np.ndarray, outcome: np.ndarray, reporter_w: np.ndarray,
            handler_w: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assemble the appeal and event frames, cutting everything after ``end``."""
    tx = ctx.text
    w = ctx.workers
    m = len(idx)
    end_s = ctx.end_s
    reached = np.isfinite(times) & (times <= end_s)
    status_cols = [0, 1, 2, 5, 6, 7]
    status_i = np.zeros(m, dtype=np.int64)
    for si, col in enumerate(status_cols):
        status_i = np.where(reached[:, col], si, status_i)
    handling_now = reached[:, 3].astype(np.int64) + reached[:, 4].astype(np.int64)
    stage_times = np.where(reached, times, np.nan)

    # Text.
    village = tx["village"][ctx.addr.place[addr]].astype(np.int64)
    issue_i = tx["issue_off"][cat] + issue
    place_i = tx["place_off"][issue_i, village] + place
    where = np.strings.add(tx["words"][ctx.addr.place[addr]], tx["places"][place_i])
    title = np.strings.add(where, tx["issue_title"][issue_i])
    patrol_src = np.isin(src, [SOURCE_CODES.index(s) for s in PATROL_SOURCES])
    req_group = np.where(patrol_src, 3, kind)
    req_i = tx["req_off"][req_group] + pick(u[:, _U_REQUEST], tx["req_cnt"][req_group])
    lead = np.where(is_repeat, tx["lead_repeat"][src], tx["lead"][src])
    desc = np.strings.add(np.strings.add(lead, where), tx["issue_detail"][issue_i])
    desc = np.strings.add(np.strings.add(np.strings.add(desc, "，"), tx["requests"][req_i]), "。")

    # source_ref: <prefix>-<local date>-<6-digit sequence per source and day>.
    key = day * len(SOURCE_CODES) + src
    order = np.lexsort((idx, key))
    sk = key[order]
    first = np.r_[True, sk[1:] != sk[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    seq = np.empty(m, dtype=np.int64)
    seq[order] = np.arange(m) - grp_start + 1
    datestr = np.strings.replace(ctx.plan.days[day].astype("U10"), "-", "")
    ref = np.strings.add(np.strings.add(tx["ref_prefix"][src], datestr), "-")
    ref = np.strings.add(ref, np.strings.zfill(seq.astype("U7"), 6))

    # Handler: a full-time worker of the grid when the case sits with the community.
    worker_ids = np.asarray(w["id"], dtype=object)
    dispatched = reached[:, 1]
    with_worker = (handler_w >= 0) & dispatched & (handling_now == 0)
    worker_id = np.full(m, None, dtype=object)
    worker_id[with_worker] = worker_ids[handler_w[with_worker]]

    visited = reached[:, 6]
    resolved_b = u[:, _U_RESOLVED] < np.where(outcome == 0, P_RESOLVED[0], P_RESOLVED[1])
    resolved = np.full(m, None, dtype=object)
    resolved[visited] = resolved_b[visited]
    p_sat = np.array(SATISFACTION_GIVEN)[np.where(resolved_b, 0, 1)]
    us = u[:, _U_SATISFACTION]
    sat_i = np.where(us < p_sat[:, 0], 0, np.where(us < p_sat[:, 0] + p_sat[:, 1], 1, 2))
    rated = visited & (u[:, _U_RATED] < P_RATED)
    satisfaction = np.full(m, None, dtype=object)
    satisfaction[rated] = np.array(tuple(domain.SATISFACTION), dtype=object)[sat_i[rated]]

    departments = np.array([c.department for c in domain.CATEGORIES], dtype=object)
    handling_levels = np.array(HANDLING_LEVEL_CODES, dtype=object)
    ts = [timestamps(stage_times[:, c]) for c in status_cols]
    appeals = pd.DataFrame(
        {
            "idx": idx,
            "source": np.array(SOURCE_CODES, dtype=object)[src],
            "source_ref": ref.astype(object),
            "kind": np.array(KIND_CODES, dtype=object)[kind],
            "category": np.array(CATEGORY_CODES, dtype=object)[cat],
            "priority": np.where(urgent, "urgent", "normal").astype(object),
            "title": title.astype(object),
            "description": desc.astype(object),
            "reporter_name": name.astype(str).astype(object),
            "reporter_phone": phone.astype(str).astype(object),
            "lon": ctx.addr.lon[addr],
            "lat": ctx.addr.lat[addr],
            "handling_level": handling_levels[handling_now],
            "status": np.array(STATUS_CODES, dtype=object)[status_i],
            "accepted_at": ts[0],
            "dispatched_at": ts[1],
            "in_progress_at": ts[2],
            "feedback_at": ts[3],
            "visited_at": ts[4],
            "closed_at": ts[5],
            "department": departments[cat],
            "worker_id": pd.Series(worker_id, dtype=object),
            "resolved": pd.Series(resolved, dtype=object),
            "satisfaction": pd.Series(satisfaction, dtype=object),
        }
    )

    # Events: one row per reached stage, in stage order (which is time order).
    handler_name = np.full(m, "社区工作站", dtype=object)
    hw = handler_w >= 0
    handler_name[hw] = worker_ids[handler_w[hw]]
    accept_actor = tx["accept_actor"][src].copy()
    has_rep = reporter_w >= 0
    accept_actor[has_rep] = worker_ids[reporter_w[has_rep]]
    street_actor = "街道综治中心"
    final_actor = np.where(handling_final == 0, handler_name,
                           np.where(handling_final == 1, street_actor, departments[cat])).astype(object)
    actors = np.stack([
        accept_actor,
        np.full(m, "区社会治理中心", dtype=object),
        handler_name.astype(object),
        np.full(m, street_actor, dtype=object),
        np.full(m, "区社会治理中心", dtype=object),
        final_actor,
        np.full(m, "区社会治理中心", dtype=object),
        np.full(m, "区社会治理中心", dtype=object),
    ], axis=1)
    stage_handling = np.stack([np.zeros(m, dtype=np.int64)] * 3 + [np.ones(m, dtype=np.int64),
                                                                 np.full(m, 2, dtype=np.int64)]
                           + [handling_final] * 3, axis=1)
    # Each step's department (承办部门): the platform takes the case, the category's department has it from 派单 on.
    dept = departments[cat].astype(object)
    center = np.full(m, "区社会治理中心", dtype=object)
    event_departments = np.stack([center] + [dept] * (len(_EVENT_STAGES) - 1), axis=1)
    notes = _event_notes(idx, dept, phone.astype(str).astype(object))
    flat = reached.ravel()
    n_stage = len(_EVENT_STAGES)
    seq_e = (np.cumsum(reached, axis=1) - 1).ravel()[flat]
    stage_col = np.tile(np.arange(n_stage), m)[flat]
    from_status = np.array([f for f, _ in _EVENT_STAGES], dtype=object)
    to_status = np.array([s for _, s in _EVENT_STAGES], dtype=object)
    events = pd.DataFrame(
        {
            "idx": np.repeat(idx, n_stage)[flat],
            "seq": seq_e.astype(np.int64),
            "from_status": pd.Series(from_status[stage_col], dtype=object),
            "to_status": to_status[stage_col],
            "at": timestamps(times.ravel()[flat]),
            "handling_level": handling_levels[stage_handling.ravel()[flat]],
            "actor": actors.ravel()[flat],
            "department": event_departments.ravel()[flat],
            "note": pd.Series(notes.ravel()[flat], dtype=object),
        }
    )
    return appeals, events


#: Handling notes (办理说明) per stage of :data:`_EVENT_STAGES`; {dept} is the department, {phone} the
#: reporter's number, as handlers type it (masked when read). None: the step carries no note.
_NOTES: tuple[tuple[str | None, ...], ...] = (
    ("登记诉求，核对地址与类别", None),
    ("派至{dept}，按期办理", "转{dept}承办"),
    ("网格员到现场核实情况", "已电话联系诉求人{phone}，约定上门查看", None),
    ("社区协调未果，提请街道处置", "超出社区职权，报街道"),
    ("涉及跨部门职责，提请区级协调",),
    ("已处理完毕，反馈办理结果", "已整改，附现场照片"),
    ("回访诉求人，确认办理情况", None),
    ("办结归档",),
)


def _event_notes(idx: np.ndarray, dept: np.ndarray, phone: np.ndarray) -> np.ndarray:
    """A note per appeal and stage, picked by the appeal's index (no draw: the other demo columns stay as they were)."""
    out = np.full((len(idx), len(_NOTES)), None, dtype=object)
    fills = {"{dept}": dept.astype(str), "{phone}": phone.astype(str)}
    for stage, choices in enumerate(_NOTES):
        pick = (idx * 7 + stage) % len(choices)
        for j, text in enumerate(choices):
            chosen = pick == j
            if text is None or not chosen.any():
                continue
            value = np.full(int(chosen.sum()), text, dtype=object).astype(str)
            for field, column in fills.items():
                if field in text:
                    head, tail = text.split(field)
                    value = np.strings.add(np.strings.add(head, column[chosen]), tail)
            out[chosen, stage] = value.astype(object)
    return out


def generate_appeals(
    grids: Any,
    workers: pd.DataFrame | None,
    n: int,
    start: Any,
    end: Any,
    seed: int,
    chunk_size: int = 100_000,
    plants: Sequence[Plant] = (),
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Stream n appeals accepted in [start, end), oldest first, as (appeals, events) chunks.

    Days are drawn independently from per-day seeds and grouped into chunks of
    at most ``chunk_size`` appeals, so memory stays bounded however large n is;
    repeat reports reach back into a 30-day memory carried across chunks.

    Args:
        grids: Grid records (DataFrame or dicts) with code, street_code, community_code,
            households, population and geometry (WGS-84).
        workers: Output of :func:`generate_workers` (handlers and patrol reporters), or None.
        n: Total number of appeals.
        start: First possible acceptance time (timezone-aware).
        end: "Now": acceptance times are before it and no stage happens after it.
        seed: Seed; identical inputs give identical chunks.
        chunk_size: Upper bound on appeals per chunk.
        plants: Hotspots to plant (:class:`~geo.demo.plant.Plant`); each adds a Poisson number of
            unmarked extra appeals on top of the n, and leaves every other appeal as it was.

    Yields:
        (appeals, events) DataFrames; ``appeals.idx`` runs 0..n-1 across chunks (plus the
        planted extras) and ``events`` holds the workflow transitions of exactly those appeals.
    """
    start_s = to_epoch_s(start, "start")
    end_s = to_epoch_s(end, "end")
    if end_s <= start_s:
        raise ValueError("end must be after start")
    if n < 0 or chunk_size < 1:
        raise ValueError("n must be >= 0 and chunk_size >= 1")
    if n == 0:
        return
    ctx = _context(grids, workers, start_s, end_s, int(n), int(seed), tuple(plants))
    counts = ctx.plan.counts
    memory = _Memory.empty()
    offset = 0
    da = 0
    n_days = len(counts)
    while da < n_days:
        # Greedily take whole days up to chunk_size appeals (at least one day).
        db = da + 1
        total = int(counts[da])
        while db < n_days and total + int(counts[db]) <= chunk_size:
            total += int(counts[db])
            db += 1
        if total:
            appeals, events, memory = _block(ctx, da, db, offset, memory)
            total = len(appeals)  # with any planted extras
            # A single day larger than chunk_size is split; events follow their appeals.
            for lo in range(0, total, chunk_size):
                hi = min(lo + chunk_size, total)
                a = appeals.iloc[lo:hi].reset_index(drop=True)
                e_lo, e_hi = np.searchsorted(events["idx"].to_numpy(), [offset + lo, offset + hi])
                yield a, events.iloc[e_lo:e_hi].reset_index(drop=True)
            offset += total
        da = db


def expected_baseline(grids: Any, n: int, start: Any, end: Any, seed: int, plant: Plant) -> pd.Series:
    """λ(d): the appeals of the plant's category the run would put in its grids on each of its days.

    The expectation without the plant; with it, a day's count is expected to
    be ``plant.strength`` × this. A validation harness prints observed
    against expected from it. Arguments are those of :func:`generate_appeals`
    (workers do not change where or what appeals are).

    Returns:
        Expected counts indexed by local date (the plant's days within the run), named ``expected``.
    """
    start_s = to_epoch_s(start, "start")
    end_s = to_epoch_s(end, "end")
    if end_s <= start_s:
        raise ValueError("end must be after start")
    ctx = _context(grids, None, start_s, end_s, int(n), int(seed), (plant,))
    rates = ctx.planted[0]
    days = pd.Index(pd.to_datetime(ctx.plan.days[rates.days]).date, name="day")
    return pd.Series(rates.baseline, index=days, name="expected")
