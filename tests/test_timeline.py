"""The appeal timeline names each step's department (承办部门) and note (办理说明), notes masked like titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from callbacks.grid import timeline_view
from geo.access import SYSTEM, Viewer
from geo.domain import CATEGORY_BY_CODE
from geo.ingest import EventIn
from geo.scope import DISTRICT, Filters, Scope
from tests.conftest import component_texts
from tests.test_store_contract import WINDOW


def test_demo_events_carry_the_category_department_and_masked_notes(seeded_store):
    items = seeded_store.appeals(DISTRICT, WINDOW, limit=200, filters=Filters(status=("closed",)), viewer=SYSTEM)["items"]
    notes = []
    for item in items:
        events = seeded_store.appeal_events(item["id"], viewer=SYSTEM)
        department = CATEGORY_BY_CODE[item["category"]].department
        assert events[0]["department"] == "区社会治理中心"
        assert {e["department"] for e in events[1:]} == {department}
        notes += [e["note"] for e in events if e["note"]]
    assert len(notes) > len(items)  # most steps have a note
    called = [n for n in notes if n.startswith("已电话联系诉求人")]
    assert called and all("****" in n for n in called)  # the reporter's number a handler typed is masked


def test_an_event_posted_with_department_and_note_reads_back_masked(writable_store):
    [(appeal_id, _)] = writable_store.ingest_appeals([{
        "source": "hotline_12345", "source_ref": "TL-1", "kind": "livelihood", "category": "noise",
        "priority": "normal", "title": "噪音", "description": "", "reporter_name": "李四", "reporter_phone": "13912345678",
        "lon": 120.4462, "lat": 36.1349, "accepted_at": datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
        "status": "accepted", "handling_level": "community"}])
    event = EventIn.model_validate({"to_status": "dispatched", "actor": "区社会治理中心", "department": "区生态环境分局",
                                    "note": "联系人王小明 13812345678 已约现场"}).model_dump()
    writable_store.add_event(appeal_id, event)
    writable_store.add_event(appeal_id, {"to_status": "in_progress", "actor": "社区工作站"})
    grid = writable_store.appeal_detail(appeal_id, SYSTEM)["grid_code"]
    for viewer in (SYSTEM, Viewer("street", Scope("street", grid[:9]))):
        events = writable_store.appeal_events(appeal_id, viewer)
        assert events[0]["department"] == "区生态环境分局"
        assert events[0]["note"] == "联系人王** 138****5678 已约现场"
        assert events[1]["department"] is None and events[1]["note"] is None


@pytest.mark.parametrize("field, value", [("note", "a\x00b"), ("note", "x" * 501), ("department", "d" * 65),
                                          ("note", "")])
def test_event_department_and_note_are_checked_on_ingest(field, value):
    with pytest.raises(ValidationError):
        EventIn.model_validate({"to_status": "dispatched", "actor": "区社会治理中心", field: value})


def test_the_timeline_shows_department_and_note_where_the_event_has_them():
    events = [
        {"at": "2026-11-20T09:00:00+08:00", "to_status": "accepted", "handling_level": "community",
         "actor": "12345热线", "department": "区社会治理中心", "note": "登记诉求，核对地址与类别"},
        {"at": "2026-11-20T10:30:00+08:00", "to_status": "dispatched", "handling_level": "community",
         "actor": "区社会治理中心", "department": None, "note": None},
    ]
    view = timeline_view(events)
    first, second = (component_texts(li) for li in view.children)
    assert first == ["2026-11-20 09:00", "受理", "社区 · 12345热线", "承办部门：区社会治理中心", "登记诉求，核对地址与类别"]
    assert second == ["2026-11-20 10:30", "派单", "社区 · 区社会治理中心"]


def test_migration_0007_adds_the_columns_and_rolls_back(empty_store):
    def columns():
        with empty_store.connect() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns("appeal_events")}

    assert {"department", "note"} <= columns()
    empty_store.downgrade("0006")
    assert empty_store.schema_revision() == "0006" and not {"department", "note"} & columns()
    empty_store.migrate()
    assert empty_store.schema_revision() == empty_store.head_revision()
    assert {"department", "note"} <= columns()
