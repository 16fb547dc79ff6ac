"""The database goes away under an open dashboard: it keeps its data under a banner and recovers by itself."""

from __future__ import annotations

import re
import time

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import services
from tests.conftest import browser_sign_in, is_shown, shown_value, text_of

pytestmark = [pytest.mark.browser, pytest.mark.postgis, pytest.mark.slow]


def test_outage_banner_then_recovery(dash_duo, pg_cluster, make_app):
    app = make_app(pg_cluster.url("zhizhi"))
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.set_window_size(1600, 1000)
    browser_sign_in(dash_duo, app)  # opens "/"
    wait = WebDriverWait(dash_duo.driver, 20, poll_frequency=0.2)
    indicator = wait.until(lambda _: "更新于" in (text := text_of(dash_duo, "#live-indicator")) and text)
    shown = shown_value(dash_duo, "#kpi-accepted .kpi-value")
    last_ok = re.search(r"更新于 (\d\d:\d\d)", indicator).group(1)
    try:
        pg_cluster.stop("fast")
        wait.until(lambda _: is_shown(dash_duo, "#live-banner"))
        banner = text_of(dash_duo, "#live-banner")
        assert banner.startswith("数据连接中断，显示 ") and banner.endswith(" 的数据"), banner
        assert re.search(r"显示 (\d\d:\d\d) 的数据", banner).group(1) >= last_ok
        time.sleep(4)  # more polls fail; the last data stays on screen and the banner stays up
        assert text_of(dash_duo, "#kpi-accepted .kpi-value") == shown
        assert is_shown(dash_duo, "#live-banner")
    finally:
        pg_cluster.start()
    wait.until(lambda _: not is_shown(dash_duo, "#live-banner"))
    assert "更新于" in text_of(dash_duo, "#live-indicator")
    # The catch-up re-renders the cards; they come back with the same number (nothing was written meanwhile).
    wait.until(lambda _: text_of(dash_duo, "#kpi-accepted .kpi-value") == shown)
    app.server.extensions[services.STORE_KEY].dispose()
