"""The header's search: an appeal by id or source_ref, a street, community or grid by name or pinyin.

Everything found is what the viewer may see: appeals come from the store's
scoped lookup, units from the store's names of the viewer's own units. The
page, and ``GET /api/search``, show the same results.
"""

from __future__ import annotations

from dashboard.view.state import ViewState
from geo.access import Viewer
from geo.domain import CATEGORY_BY_CODE, LEVEL_LABELS, STATUSES
from geo.names import Candidate, clean_query, find_units
from geo.scope import Scope
from geo.store.store import Store

SEARCHED_LEVELS = ("street", "community", "grid")


def search(store: Store, text, viewer: Viewer, limit: int = 8) -> list[dict]:
    """Appeals first (an exact key), then units, best match first; at most ``limit`` in all."""
    query = clean_query(text)
    if not query:
        return []
    appeals = store.search_appeals(query, viewer, limit=limit)
    names = {level: store.unit_names(level, viewer) for level in SEARCHED_LEVELS}
    candidates = [Candidate(level, code, name) for level, units in names.items() for code, name in units.items()
                  if viewer.sees(Scope(level, code))]
    units = find_units(query, candidates, limit=max(limit - len(appeals), 0))
    out = [
        {"type": "appeal", "id": a["id"], "source_ref": a["source_ref"], "title": a["title"],
         "grid_code": a["grid_code"], "category": CATEGORY_BY_CODE[a["category"]].label,
         "status": STATUSES[a["status"]], "accepted_at": a["accepted_at"],
         "label": f"诉求 {a['id']} · {a['title']}", "context": f"{a['source_ref']} · {STATUSES[a['status']]}"}
        for a in appeals
    ]
    out += [
        {"type": c.level, "code": c.code, "name": c.name, "label": c.name,
         "context": " · ".join([LEVEL_LABELS[c.level], *_parents(c, names)])}
        for c in units
    ]
    return out


def _parents(unit: Candidate, names: dict[str, dict[str, str]]) -> list[str]:
    """The names of the street (and community) a unit lies in, where the viewer may see them."""
    out = []
    for level, length in (("street", 9), ("community", 12)):
        if len(unit.code) > length and unit.code[:length] in names[level]:
            out.append(names[level][unit.code[:length]])
    return out


def result_state(state: ViewState, result: dict) -> ViewState:
    """Where a result leads, keeping the window and filters: an appeal opens its grid with its timeline shown."""
    if result["type"] == "appeal":
        return state.with_scope(Scope("grid", result["grid_code"]), appeal=result["id"])
    return state.with_scope(Scope(result["type"], result["code"]))


def result_href(state: ViewState, result: dict) -> str:
    return "/" + result_state(state, result).to_search()
