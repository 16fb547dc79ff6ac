"""未诉先办: an item's evidence (facts, chart, history), a hot grid's hotspots, and the evidence charts (plain dicts)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.ui.figures import FONT, MIN_TEXT_PX, chart_layout, count_axis, empty_figure
from dashboard.ui.proactive import empty, local_minute, number
from geo.access import ROLE_LABELS
from geo.analysis.hotspots import PATTERNS
from geo.analysis.proactive import KINDS, STATUSES, q_text
from geo.domain import CATEGORY_LABELS, LEVEL_LABELS
from layers.hotspots import PATTERN_COLORS, category_text

#: What an item's score means, by the detection it came from.
SCORE_LABELS = {"hotspot": "热点统计量 z 值", "forecast": "预测量与近期之比", "repeat": "重复件数", "key_population": "超出预期件数"}
#: Colours of the evidence charts: observed, expected, forecast and its 80 % / 95 % bands.
OBSERVED, HOT, EXPECTED, FORECAST = "#1f6feb", "#d7191c", "#57606a", "#8250df"
BAND80, BAND95 = "rgba(130, 80, 223, .30)", "rgba(130, 80, 223, .14)"


# -- an item's evidence ---------------------------------------------------------------


def comparison_text(item: dict) -> str:
    """Observed against expected (or the forecast against recent weeks), in words."""
    e = item.get("evidence") or {}
    if "coming_weekly" in e:
        return f"未来两周每周约 {number(e['coming_weekly'])} 件，近四周每周 {number(e.get('recent_weekly'))} 件"
    if "observed" in e and "expected" in e:
        expected = float(e["expected"] or 0)
        ratio = f"，为预期的 {e['observed'] / expected:.1f} 倍" if expected > 0 else ""
        return f"实际 {number(e['observed'])} 件，预期 {number(round(expected, 1))} 件{ratio}"
    if "count" in e:
        return f"重复 {number(e['count'])} 件（{e.get('first', '—')} 至 {e.get('last', '—')}）"
    return "—"


def history_view(history: list[dict]) -> html.Ol:
    """Who changed the item, when, from which status to which, and why; names of accounts as they were typed."""
    rows = []
    for h in history:
        before = STATUSES.get(h.get("from_status") or "", "—")
        after = STATUSES.get(h["to_status"], h["to_status"])
        who = "系统" if h.get("actor") == "system" else h.get("actor") or "—"
        role = ROLE_LABELS.get(h.get("role") or "", "")
        rows.append(html.Li([
            html.Span(local_minute(h["at"]), className="tl-time"),
            html.Span(f"{before} → {after}", className="tl-status"),
            html.Span([html.Span(who, **({} if who == "系统" else {"data-verbatim": ""})),
                       f"（{role}）" if role else ""], className="tl-actor"),
            html.Div(h["reason"], className="tl-note") if h.get("reason") else None,
        ]))
    return html.Ol(rows, className="timeline proactive-history")


def item_view(item: dict) -> html.Div:
    """An item's evidence: method and basis, score, observed against expected, its chart and its history."""
    e = item.get("evidence") or {}
    score = f"{item['score']:.2f}" if isinstance(item.get("score"), int | float) else "—"
    facts = [
        ("来源方法", KINDS.get(item["kind"], item["kind"])),
        ("依据", item["basis"]),
        (SCORE_LABELS.get(item["kind"], "评分"), score),
        ("实际与预期", comparison_text(item)),
        ("类别", CATEGORY_LABELS.get(item["category"], item["category"])),
        ("清单层级", f"{LEVEL_LABELS.get(item['level'], item['level'])}级清单"),
        ("责任部门", item.get("department") or "—"),
        ("状态", STATUSES.get(item["status"], item["status"])),
    ]
    if e.get("pattern") in PATTERNS:
        facts.insert(1, ("热点类型", PATTERNS[e["pattern"]]))
    series = e.get("series") or []
    chart = None
    if series:
        figure = forecast_figure(series) if e.get("method") == "forecast" else hotspot_figure(series)
        chart = dcc.Graph(figure=figure, config={"displayModeBar": False}, className="chart proactive-chart")
    return html.Div(className="proactive-item", children=[
        html.H4(item["title"], className="proactive-title"),
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))], className="appeal-detail"),
        chart,
        html.H4("处理记录", className="proactive-subtitle"),
        history_view(item.get("history") or []),
    ])


def hotspots_view(grid_name: str, hotspots: list[dict]) -> html.Div:
    """A hot grid clicked on the map with no item on a list the viewer sees (e.g. all categories together)."""
    if not hotspots:
        return empty("该网格在最近一次分析中不是热点")
    rows = []
    for h in hotspots:
        expected = float(h["expected"] or 0)
        rows.append(html.Li([
            html.Span(className="swatch", style={"background": PATTERN_COLORS.get(h["pattern"], "#ccc")}),
            html.Span(f"{category_text(h['category'])}：{PATTERNS.get(h['pattern'], h['pattern'])}"),
            html.Span(f"z = {h['score']:.1f}，{q_text(h['significance'])}，自 {h['start']} 起；"
                      f"实际 {number(h['observed'])} 件，预期 {number(round(expected, 1))} 件", className="muted"),
        ], className="hotspot-fact"))
    return html.Div(className="proactive-item", children=[
        html.H4(f"{grid_name} · 新兴热点", className="proactive-title"),
        html.Ul(rows, className="hotspot-facts"),
        html.Div("该热点未列入您可处理的未诉先办清单（如全部类别合计的热点），仅供研判参考。", className="muted"),
    ])


# -- figures ---------------------------------------------------------------------------


def hotspot_figure(series: list[dict], height: int = 220) -> dict:
    """A hotspot's weekly observed appeals (its hot weeks in red) against what was expected there."""
    if not series:
        return empty_figure(height=height)
    x = [p["week"] for p in series]
    observed = [p["observed"] for p in series]
    expected = [p["expected"] for p in series]
    return {
        "data": [
            {"type": "bar", "name": "实际", "x": x, "y": observed,
             "marker": {"color": [HOT if p.get("hot") else OBSERVED for p in series]},
             "hovertemplate": "%{x} 起一周<br>实际 %{y:,} 件<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "name": "预期", "x": x, "y": expected,
             "line": {"color": EXPECTED, "dash": "dash", "width": 2},
             "hovertemplate": "%{x} 起一周<br>预期 %{y:.1f} 件<extra></extra>"},
        ],
        "layout": chart_layout(height, margin={"l": 8, "r": 8, "t": 28, "b": 8}, bargap=0.25,
                               xaxis={"showgrid": False, "tickformat": "%m-%d", "automargin": True, "type": "date"},
                               yaxis=count_axis(max(max(observed), max(expected))),
                               legend={"orientation": "h", "y": 1.16, "x": 0, "font": {"size": MIN_TEXT_PX}}),
    }


def _band(x: list, lo: list, hi: list, color: str, name: str) -> dict:
    return {"type": "scatter", "mode": "lines", "name": name, "x": x + x[::-1], "y": hi + lo[::-1],
            "fill": "toself", "fillcolor": color, "line": {"width": 0}, "hoverinfo": "skip"}


def forecast_figure(series: list[dict], height: int = 240) -> dict:
    """Weekly actuals, then the forecast mean with its 95 % and 80 % intervals as bands."""
    actual = [p for p in series if p.get("actual") is not None]
    ahead = [p for p in series if p.get("mean") is not None]
    if not actual and not ahead:
        return empty_figure(height=height)
    data = []
    if ahead:
        x = [p["week"] for p in ahead]
        # The bands start at the last actual week, so the forecast visibly continues the line.
        if actual:
            last = actual[-1]
            x = [last["week"], *x]
            start = [float(last["actual"])]
        else:
            start = []
        lo80 = start + [p["lo80"] for p in ahead]
        hi80 = start + [p["hi80"] for p in ahead]
        lo95 = start + [p["lo95"] for p in ahead]
        hi95 = start + [p["hi95"] for p in ahead]
        mean = start + [p["mean"] for p in ahead]
        data += [_band(x, lo95, hi95, BAND95, "95% 区间"), _band(x, lo80, hi80, BAND80, "80% 区间")]
        text = [f"预测 {number(m)} 件<br>80% 区间 {number(a)}–{number(b)}<br>95% 区间 {number(c)}–{number(d)}"
                for m, a, b, c, d in zip(mean, lo80, hi80, lo95, hi95, strict=True)]
        if actual:
            text[0] = f"实际 {number(start[0])} 件"
        data.append({"type": "scatter", "mode": "lines+markers", "name": "预测", "x": x, "y": mean, "text": text,
                     "line": {"color": FORECAST, "dash": "dash", "width": 2},
                     "hovertemplate": "%{x} 起一周<br>%{text}<extra></extra>"})
    if actual:
        data.append({"type": "scatter", "mode": "lines+markers", "name": "实际", "x": [p["week"] for p in actual],
                     "y": [p["actual"] for p in actual], "line": {"color": OBSERVED, "width": 2.5},
                     "hovertemplate": "%{x} 起一周<br>实际 %{y:,} 件<extra></extra>"})
    top = max([p["actual"] for p in actual] + [p["hi95"] or 0 for p in ahead] + [1])
    return {
        "data": data,
        "layout": chart_layout(height, margin={"l": 8, "r": 8, "t": 28, "b": 8},
                               xaxis={"showgrid": False, "tickformat": "%m-%d", "automargin": True, "type": "date"},
                               yaxis=count_axis(top),
                               legend={"orientation": "h", "y": 1.16, "x": 0, "font": {"size": MIN_TEXT_PX},
                                       "traceorder": "reversed"},
                               font={"family": FONT, "size": MIN_TEXT_PX, "color": "#1d2633"}),
    }
