"""Every page, at every screen size, in Chinese and whole: no Latin word a user can see, no text cut off.

One browser session walks the sign-in page, the main page at each level, the wall and the admin
page, resizing between sizes; the scan is ``tests/ui_scan.py`` (its allow-list says what may stay Latin).
"""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.conftest import browser_open, browser_sign_in, text_of, wait_until
from tests.ui_scan import describe, scan

pytestmark = pytest.mark.browser

SIZES = [(1600, 1000), (1920, 1080), (3840, 2160), (5760, 1080)]
#: Inside the seeded data (2026-09-21 … 2026-11-20); the district view spans more than 60 days, so its trend is weekly.
WINDOW = "from=2026-10-21&to=2026-11-21"
LONG_WINDOW = "from=2026-08-01&to=2026-11-21"


def viewport(duo, width: int, height: int) -> None:
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})




def scan_sizes(duo, page: str, problems: list[str]) -> None:
    """The page as it is, scanned at every size (charts and the map re-lay themselves out on resize)."""
    for width, height in SIZES:
        viewport(duo, width, height)
        time.sleep(0.7)
        offences = scan(duo.driver)
        if offences:
            problems.append(f"{page} at {width}×{height}:\n{describe(offences)}")


def test_every_page_is_chinese_and_nothing_is_cut_off(dash_duo, seeded_sqlite_path, make_app):
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    duo = dash_duo
    duo.start_server(app, navigate=False)
    problems: list[str] = []
    base = duo.server.url

    duo.driver.get(f"{base}/login")
    duo.wait_for_element("#login-submit")
    scan_sizes(duo, "login", problems)

    browser_sign_in(duo, app)
    with browser_open(duo, f"/api/appeals?{WINDOW}&limit=1") as r:
        grid = json.load(r)["items"][0]["grid_code"]
    pages = {
        "district": f"/?{LONG_WINDOW}",
        "street": f"/?scope=street&id={grid[:9]}&{WINDOW}&kind=livelihood,development&source=hotline_12345",
        "community": f"/?scope=community&id={grid[:12]}&{WINDOW}&category=property_management",
        "grid": f"/?scope=grid&id={grid}&{WINDOW}",
    }
    for level, url in pages.items():
        viewport(duo, *SIZES[0])
        duo.driver.get(base + url)
        wait_until(duo, lambda: text_of(duo, "#kpi-accepted .kpi-value") not in ("", "—"))
        wait_until(duo, lambda: duo.driver.find_elements(By.CSS_SELECTOR, "#panel-category .bartext"))
        if level == "grid":
            wait_until(duo, lambda: duo.driver.find_elements(By.CSS_SELECTOR, "#panel-appeals .ag-row"))
            assert "共" in text_of(duo, "#panel-appeals .ag-paging-row-summary-panel")
        if level == "district":
            assert "按周" in text_of(duo, "#panel-trend .xtitle")
        scan_sizes(duo, f"main page ({level})", problems)

    # 自定义 opens the date picker: Chinese month and weekdays, the week starting on Monday, above the map.
    viewport(duo, *SIZES[0])
    duo.driver.get(f"{base}/?{WINDOW}")
    wait_until(duo, lambda: text_of(duo, "#kpi-accepted .kpi-value") not in ("", "—"))
    custom = duo.driver.find_element(By.XPATH, "//*[@id='filter-preset']//label[contains(., '自定义')]")
    custom.click()
    wait_until(duo, lambda: duo.driver.find_elements(By.CSS_SELECTOR, ".dash-datepicker-content"))
    calendar = duo.driver.find_element(By.CSS_SELECTOR, ".dash-datepicker-content")
    weekdays = [th.text for th in calendar.find_elements(By.CSS_SELECTOR, "thead th, .dash-datepicker-calendar th")
                if th.text and len(th.text) == 1]
    assert weekdays[:7] == list("一二三四五六日"), weekdays
    assert "2026年10月" in calendar.text, calendar.text
    left, top = calendar.rect["x"] + 60, calendar.rect["y"] + 20  # the month controls
    on_top = duo.driver.execute_script("return document.elementFromPoint(arguments[0], arguments[1])"
                                       ".closest('.dash-datepicker-content') !== null", left, top)
    assert on_top, "the map toolbar covers the date picker's month controls"
    assert "自定义" in text_of(duo, "#filter-preset label:has(input:checked)")
    offences = scan(duo.driver)
    if offences:
        problems.append(f"date picker:\n{describe(offences)}")
    duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    # An open multi-select: its search box, select-all buttons and the empty result read Chinese.
    duo.find_element("#filter-kind").click()
    wait_until(duo, lambda: duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-content"))
    menu = duo.driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content")
    assert "全选" in menu.text, menu.text
    menu.find_element(By.CSS_SELECTOR, "input.dash-dropdown-search").send_keys("zz")
    wait_until(duo, lambda: "无匹配项" in text_of(duo, ".dash-dropdown-content"))
    offences = scan(duo.driver)
    if offences:
        problems.append(f"dropdown menu:\n{describe(offences)}")
    duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    duo.driver.get(f"{base}/screen/?{WINDOW}")
    wait_until(duo, lambda: text_of(duo, "#screen-kpi-accepted-value") not in ("", "—"))
    scan_sizes(duo, "big screen", problems)

    duo.driver.get(f"{base}/?{WINDOW}")
    duo.wait_for_element("#logout").click()
    duo.wait_for_element("#login-submit")
    browser_sign_in(duo, app, "admin")
    duo.driver.get(f"{base}/admin")
    duo.wait_for_element("#audit")
    scan_sizes(duo, "admin", problems)

    assert not problems, "\n\n".join(problems)
