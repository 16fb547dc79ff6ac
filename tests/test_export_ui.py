""""导出简报" in a real headless Chromium: one click exports exactly what the page shows."""

from __future__ import annotations

import re
import subprocess

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from geo.kpis import KPI_LABELS
from tests.conftest import browser_open, text_of

pytestmark = pytest.mark.browser

VIEW = "scope=street&id=370212003&from=2026-10-21&to=2026-11-21&kind=livelihood&layers=grids,heat"
#: Depend on "now", which moves between the page's query and the export's.
CLOCK_DEPENDENT = {"overdue_open", "on_time_rate"}
CARDS = [key for key in KPI_LABELS if key not in CLOCK_DEPENDENT]


def test_briefing_button_exports_the_numbers_on_screen(dashboard, tmp_path):
    dashboard.driver.get(f"{dashboard.server_url}/?{VIEW}")
    dashboard.wait_for_contains_text("#scope-title", "王哥庄街道", timeout=20)
    def all_cards():
        """Every card read in one pass, or None while one is empty (a re-render in between reads as empty)."""
        read = {key: text_of(dashboard, f"#kpi-{key} .kpi-value") for key in KPI_LABELS}
        return read if all(value not in ("", "—") for value in read.values()) else None

    cards = WebDriverWait(dashboard.driver, 20).until(lambda _: all_cards())

    dashboard.find_element("#export-pdf").click()
    link = dashboard.wait_for_element("#export-status a.export-link", timeout=60)
    assert link.text.startswith("下载 简报_王哥庄街道_2026-10-21_2026-11-20")
    with browser_open(dashboard, link.get_attribute("href")) as r:
        assert r.headers["Content-Type"] == "application/pdf"
        path = tmp_path / "from-button.pdf"
        path.write_bytes(r.read())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "王哥庄街道诉求办理简报" in text and "类型：民生诉求" in text and "网格（诉求密度）、诉求热力" in text
    for key in CARDS:
        label, unit = KPI_LABELS[key]
        assert re.search(rf"{label}\s+{re.escape(cards[key])} {unit}", text), (label, cards[key])
    assert dashboard.get_logs() == []


def test_png_button_shows_progress_then_a_link(dashboard):
    dashboard.driver.get(f"{dashboard.server_url}/?{VIEW}")
    dashboard.wait_for_contains_text("#scope-title", "王哥庄街道", timeout=20)
    dashboard.find_element("#export-png").click()
    link = dashboard.wait_for_element("#export-status a.export-link", timeout=60)
    assert link.get_attribute("href").endswith("/download") and ".png" in link.text
    assert dashboard.get_logs() == []


def test_a_forged_job_id_is_reported_not_crashed(dashboard):
    dashboard.driver.get(f"{dashboard.server_url}/?{VIEW}")
    dashboard.wait_for_contains_text("#scope-title", "王哥庄街道", timeout=20)
    # What a tampered browser could send: an id that is not ours.
    dashboard.driver.execute_script(
        "window.dash_clientside.set_props('export-job', {data: {id: '../../etc'}});"
        "window.dash_clientside.set_props('export-poll', {disabled: false});"
    )
    dashboard.wait_for_contains_text("#export-status", "未找到该导出任务", timeout=20)
