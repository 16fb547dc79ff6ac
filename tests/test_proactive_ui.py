"""未诉先办 in a real headless Chromium: open an item from the list, dispatch it, see its status change."""

from __future__ import annotations

import shutil

import pytest

from geo.store.store import Store
from tests.conftest import browser_sign_in, is_shown, text_of, wait_until
from tests.test_proactive_ui_logic import file_demo_items

pytestmark = pytest.mark.browser


def test_open_an_item_and_dispatch_it(dash_duo, seeded_sqlite_path, make_app, tmp_path):
    # A private copy of the seeded store (the shared one is read only), with one analysis run's results.
    path = tmp_path / "analysed.sqlite3"
    shutil.copy(seeded_sqlite_path, path)
    store = Store(f"sqlite:///{path}")
    made = file_demo_items(store)
    store.dispose()
    item_id = made["items"]["hotspot"]["id"]

    app = make_app(f"sqlite:///{path}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    duo = dash_duo

    # The list of the district and the units inside it; the hotspot layer's legend names its pattern.
    duo.wait_for_contains_text("#proactive-list", "中韩街道物业管理诉求新增热点", timeout=20)
    assert "分析截至 2026-11-20 12:00" in text_of(duo, "#proactive-run")
    duo.wait_for_contains_text("#map-legend-hotspots", "新增热点（2 个网格）", timeout=20)

    # Open the item: its evidence, chart and history, and the moves a 区级 account may make.
    row = f'[id=\'{{"item":"{item_id}","type":"proactive-row"}}\']'
    duo.find_element(row).click()
    wait_until(duo, lambda: is_shown(duo, "#proactive-detail"))
    duo.wait_for_contains_text("#proactive-body", "实际 18 件，预期 5 件", timeout=20)
    assert "由分析任务生成" in text_of(duo, "#proactive-body")
    wait_until(duo, lambda: duo.driver.execute_script(
        "return document.querySelectorAll('#proactive-body .js-plotly-plot').length") == 1)
    assert is_shown(duo, ".action-dispatched") and is_shown(duo, ".action-rejected")
    assert not is_shown(duo, ".action-resolved")

    # 研判派发 with a note: the store moves it, the panel, its history and the list say so.
    duo.find_element("#proactive-reason").send_keys("请物业公司排查")
    duo.find_element(".action-dispatched").click()
    duo.wait_for_contains_text("#proactive-message", "已改为「已派发」", timeout=20)
    duo.wait_for_contains_text("#proactive-body", "待研判 → 已派发", timeout=20)
    assert "请物业公司排查" in text_of(duo, "#proactive-body")
    wait_until(duo, lambda: "已派发" in text_of(duo, row))
    wait_until(duo, lambda: is_shown(duo, ".action-in_progress") and not is_shown(duo, ".action-dispatched"))

    duo.find_element("#proactive-close").click()
    wait_until(duo, lambda: not is_shown(duo, "#proactive-detail"))
