"""The 未诉先办 list: items made from the detections, their statuses, and who may change them.

An item lands on the list of the smallest unit that holds its evidence: a
hotspot inside one community goes to that community's list, one across
communities to its street's, a category hot in several streets (or rising
district-wide in the forecast) to the district's. A later detection of the same
problem (:func:`match_key`) updates the open item instead of filing another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from geo import domain
from geo.access import Viewer
from geo.analysis import forecast as forecasting
from geo.analysis.hotspots import ACTIVE_PATTERNS, ALL, PATTERNS, Hotspot
from geo.domain import DISTRICT_CODE
from geo.scope import quoted

#: Item statuses in the order an item moves through them, with their Chinese names.
STATUSES: dict[str, str] = {
    "pending": "待研判",
    "dispatched": "已派发",
    "in_progress": "处置中",
    "resolved": "已化解",
    "rejected": "不采纳",
}
#: Statuses of an item still being worked on: a new detection of the same problem updates it.
OPEN_STATUSES = ("pending", "dispatched", "in_progress")
#: Allowed moves. 不采纳 needs a reason; 已化解 and 不采纳 are final (a new detection files a new item).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("dispatched", "rejected"),
    "dispatched": ("in_progress", "rejected"),
    "in_progress": ("resolved",),
    "resolved": (),
    "rejected": (),
}
#: Moves that judge an item (研判, 派发, 不采纳): for the unit that owns the list or one above it.
JUDGING = frozenset({("pending", "dispatched"), ("pending", "rejected"), ("dispatched", "rejected")})
#: Where each kind of detection comes from, in words for the list; a list shows them in this order.
KINDS: dict[str, str] = {
    "hotspot": "新兴热点",
    "key_population": "重点人群",
    "forecast": "季节预测",
    "repeat": "重复诉求",
}
#: Weeks ahead the forecast must rise over recent weeks to file an item, and by how much.
FORECAST_RISE = 1.5
FORECAST_MIN_WEEKLY = 10.0
#: Repeat groups of at least this many appeals, the last within this many days, are filed as items
#: (three reports are common: the demo's 60 days hold ~120 such groups, one per community, too many for a list).
REPEAT_MIN_COUNT = 4
REPEAT_RECENT_DAYS = 14


class TransitionRefused(ValueError):
    """A status change the rules do not allow; the message says why in Chinese."""


class NotPermitted(TransitionRefused):
    """A status change the caller's role or unit does not allow."""


@dataclass
class Candidate:
    """An item as a detection proposes it, before it is matched against the list."""

    kind: str
    category: str
    level: str
    scope_code: str
    street_code: str | None
    community_code: str | None
    title: str
    basis: str
    score: float
    evidence: dict = field(default_factory=dict)

    @property
    def match_key(self) -> str:
        return match_key(self.kind, self.category, self.scope_code, self.evidence.get("place", ""))

    @property
    def department(self) -> str:
        category = domain.CATEGORY_BY_CODE.get(self.category)
        return category.department if category else "区社会治理中心"


def match_key(kind: str, category: str, scope_code: str, place: str = "") -> str:
    """Two detections are the same problem when kind, category, unit (and, for repeats, the grid) agree."""
    return ":".join(part for part in (kind, category, scope_code, place) if part)[:160]


def check_transition(viewer: Viewer, item: dict, to_status: str, reason: str | None) -> None:
    """Raises :class:`TransitionRefused` unless ``viewer`` may move ``item`` to ``to_status``.

    The district judges and works every item; a street every item of its street's and its
    communities' lists; a community works the items of its own list once dispatched (处置中,
    已化解) but does not judge them. A wall and an admin change nothing.
    """
    current = item["status"]
    if to_status not in STATUSES:
        raise TransitionRefused(f"未知的状态{quoted(to_status)}，应为 {'、'.join(STATUSES)} 之一")
    if to_status not in TRANSITIONS[current]:
        raise TransitionRefused(f"事项状态为「{STATUSES[current]}」，不能改为「{STATUSES[to_status]}」")
    if to_status == "rejected" and not (reason or "").strip():
        raise TransitionRefused("不采纳须填写理由")
    if viewer.role not in ("district", "street", "community"):
        raise NotPermitted(f"{viewer.label}账号不能修改未诉先办事项")
    if not item["scope_code"].startswith(viewer.scope.code):
        raise NotPermitted("该事项不在本账号的管辖范围内")
    if viewer.role == "community" and (current, to_status) in JUDGING:
        raise NotPermitted("社区账号不能研判或派发事项，请由街道或区级研判")


def hotspot_candidates(hotspots: list[Hotspot], names: dict[str, str], series: dict[int, list[dict]]) -> list[Candidate]:
    """Items proposed by the active hotspots: per community or street, plus the district for a category
    hot in two or more streets.

    Args:
        hotspots: Active hotspots, each within one street (:func:`geo.analysis.run.split_by_street`).
        names: Unit code → name, for titles.
        series: Per hotspot (by position), its weekly observed and expected counts for the chart.
    """
    out = []
    streets_by_category: dict[str, set[str]] = defaultdict(set)
    for index, h in enumerate(hotspots):
        if h.pattern not in ACTIVE_PATTERNS or h.category == ALL:
            continue
        street = h.grids[0][:9]
        communities = {code[:12] for code in h.grids}
        community = next(iter(communities)) if len(communities) == 1 else None
        scope_code = community or street
        streets_by_category[h.category].add(street)
        label = domain.CATEGORY_LABELS.get(h.category, h.category)
        place = names.get(scope_code, scope_code)
        weeks = sum(1 for point in series.get(index, []) if point["week"] >= h.start.isoformat()) or 1
        out.append(Candidate(
            kind="hotspot",
            category=h.category,
            level="community" if community else "street",
            scope_code=scope_code,
            street_code=street,
            community_code=community,
            title=f"{place}{label}诉求{PATTERNS[h.pattern]}：{h.observed} 件，预期 {h.expected:.1f} 件",
            basis=(f"新兴热点分析（{PATTERNS[h.pattern]}）：局部热点统计量 z = {h.score:.1f}，"
                   f"错误发现率校正后 {q_text(h.significance)}，"
                   f"自 {h.start.isoformat()} 起 {weeks} 周"),
            score=h.score,
            evidence={
                "method": "hotspot",
                "pattern": h.pattern,
                "score": round(h.score, 3),
                "observed": h.observed,
                "expected": round(h.expected, 2),
                "significance": h.significance,
                "start": h.start.isoformat(),
                "grids": list(h.grids),
                "series": series.get(index, []),
            },
        ))
    for category, streets in streets_by_category.items():
        if len(streets) < 2:
            continue
        label = domain.CATEGORY_LABELS.get(category, category)
        parts = [h for h in out if h.category == category]
        out.append(Candidate(
            kind="hotspot",
            category=category,
            level="district",
            scope_code=DISTRICT_CODE,
            street_code=None,
            community_code=None,
            title=f"{label}诉求在 {len(streets)} 个街道同时出现热点",
            basis="新兴热点分析：同一类别在多个街道同时显著升高",
            score=max(p.score for p in parts),
            evidence={
                "method": "hotspot",
                "streets": sorted(streets),
                "observed": sum(p.evidence["observed"] for p in parts),
                "expected": round(sum(p.evidence["expected"] for p in parts), 2),
                "parts": [p.match_key for p in parts],
            },
        ))
    return out


def forecast_candidates(predicted, names: dict[str, str]) -> list[Candidate]:
    """Items for a category whose next two weeks are forecast well above its last four (the season coming).

    Args:
        predicted: Rows of actuals (``actual`` set) and forecasts (``mean`` set) per ``unit_code``
            (a street or the district), ``category`` and ``week``.
        names: Unit code → name.
    """
    out = []
    if len(predicted) == 0:
        return out
    for (unit, category), rows in predicted.groupby(["unit_code", "category"], sort=True):
        actual = rows[rows["actual"].notna()].sort_values("week")["actual"].astype(float).tail(4)
        ahead = rows[rows["mean"].notna()].sort_values("week").head(2)
        if len(actual) < 4 or len(ahead) < 2:
            continue
        recent, coming = float(actual.mean()), float(ahead["mean"].mean())
        if coming < FORECAST_MIN_WEEKLY or coming < FORECAST_RISE * max(recent, 1.0):
            continue
        district = unit == DISTRICT_CODE
        label = domain.CATEGORY_LABELS.get(category, category)
        place = "全区" if district else names.get(unit, unit)
        out.append(Candidate(
            kind="forecast",
            category=category,
            level="district" if district else "street",
            scope_code=unit,
            street_code=None if district else unit,
            community_code=None,
            title=f"{place}{label}诉求预计上升：未来两周每周约 {coming:.0f} 件（近四周每周 {recent:.1f} 件）",
            basis=f"季节预测（{forecasting.METHOD_LABELS.get(ahead['method'].iloc[0], '统计模型')}）：未来两周均值为近四周的 {coming / max(recent, 1.0):.1f} 倍",
            score=coming / max(recent, 1.0),
            evidence={
                "method": "forecast",
                "recent_weekly": round(recent, 2),
                "coming_weekly": round(coming, 2),
                "series": [
                    {"week": str(r.week), "actual": None if r.actual is None or r.actual != r.actual else int(r.actual),
                     "mean": _number(r.mean), "lo80": _number(r.lo80), "hi80": _number(r.hi80),
                     "lo95": _number(r.lo95), "hi95": _number(r.hi95)}
                    for r in rows.sort_values("week").itertuples()
                ],
            },
        ))
    return out


def repeat_candidates(groups, names: dict[str, str], as_of) -> list[Candidate]:
    """Items for problems reported again and again from one place, still being reported: candidates for a
    root-cause fix. A group whose last report is older than :data:`REPEAT_RECENT_DAYS` has gone quiet."""
    out = []
    for g in groups:
        if g.count < REPEAT_MIN_COUNT or (as_of - g.last_accepted_at).days > REPEAT_RECENT_DAYS:
            continue
        label = domain.CATEGORY_LABELS.get(g.category, g.category)
        place = names.get(g.grid_code, g.grid_code)
        first, last = str(g.first_accepted_at)[:10], str(g.last_accepted_at)[:10]
        out.append(Candidate(
            kind="repeat",
            category=g.category,
            level="community",
            scope_code=g.community_code,
            street_code=g.street_code,
            community_code=g.community_code,
            title=f"{place}重复诉求：{g.title}（{g.count} 件）",
            basis=f"同一地点、同一类别、文本相似的诉求 {g.count} 件（{first} 至 {last}，平均相似度 {g.mean_similarity:.2f}）",
            score=float(g.count),
            evidence={
                "method": "repeat",
                "category_label": label,
                "count": g.count,
                "grid_code": g.grid_code,
                "place": g.grid_code,
                "first": first,
                "last": last,
                "similarity": round(float(g.mean_similarity), 3),
                "appeal_ids": [int(i) for i in g.ids],
            },
        ))
    return out


def key_population_candidates(signals: list[dict], names: dict[str, str]) -> list[Candidate]:
    """Items for grids whose key-population appeals rose: for the community to look in on before a complaint."""
    out = []
    for s in signals:
        grid = s["grid_code"]
        community = grid[:12]
        out.append(Candidate(
            kind="key_population",
            category="elderly_care",
            level="community",
            scope_code=community,
            street_code=grid[:9],
            community_code=community,
            title=f"{names.get(grid, grid)}重点人群相关诉求上升：近四周 {s['observed']} 件，预期 {s['expected']:.1f} 件",
            basis=f"养老服务、医疗卫生、社会保障类诉求对照本网格重点人群规模与以往水平，泊松检验，错误发现率校正后 {q_text(s['significance'])}",
            score=float(s["observed"] - s["expected"]),
            evidence={"method": "key_population", "place": grid, **s},
        ))
    return out


def q_text(q: float) -> str:
    """A corrected p-value as people read it: "q < 0.001" rather than "q = 7.2e-42"."""
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def _number(value) -> float | None:
    return None if value is None or value != value else round(float(value), 2)
