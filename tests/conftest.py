"""Named fixtures for both backends.

A small demo history is seeded once per session into SQLite and into a
PostGIS database; tests that only read share those. Tests that write get a
copy (a file copy, or ``CREATE DATABASE … TEMPLATE``), so they never see each
other's rows.

Every test that needs the app builds it with :func:`make_app` (or takes
:func:`app_client`), so its runtime files land in the test's own temporary
folder, never in the checkout.

PostGIS tests skip when no PostgreSQL with PostGIS answers at
``TEST_POSTGRES_URL`` — except when ``STRICT_TESTS=1`` or ``CI`` is set: then
that is a failure, and so is any other skipped test (CI must never pass by
skipping).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import redis
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

from app import create_app
from dashboard import config, services
from dashboard.auth import accounts
from geo import seeding
from geo.analysis.proactive import Candidate
from geo.domain import LOCAL_TZ
from geo.store.store import Store

# dash_duo drives the system Chromium; never a downloaded browser.
os.environ.setdefault("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")

TEST_POSTGRES_URL = config.get("TEST_POSTGRES_URL")
STRICT = config.strict_tests()
#: The checkout: tests must leave nothing in it (the app's runtime files go to each test's tmp_path).
CHECKOUT = Path(__file__).resolve().parents[1]
#: What tools themselves keep in a checkout: not the tests' doing.
TOOL_CACHES = {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}

#: The fixed "now" of the test data, so every run and both backends agree.
SEED_END = datetime(2026, 11, 20, 12, 0, tzinfo=LOCAL_TZ)
SEED_ARGS = {"appeals": 6000, "days": 60, "end": SEED_END, "seed": 7, "chunk_size": 2500}
BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def _quiet(_message: str) -> None:
    pass


# -- PostgreSQL plumbing -------------------------------------------------------


class PostgresServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, admin_url: str):
        self.admin_url = sa.engine.make_url(admin_url)
        self.engine = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        self.prefix = f"zz_test_{os.getpid()}_"

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self, postgis: bool = True, template: str | None = None) -> str:
        name = self.prefix + uuid.uuid4().hex[:8]
        with self.engine.connect() as conn:
            if template:
                # Copying needs the template to itself: idle pooled connections that apps built in earlier
                # tests still hold to the read-only seeded database are closed (their pools reconnect).
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()", (template,)
                )
            conn.exec_driver_sql(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )
        if postgis and not template:
            engine = sa.create_engine(self.url(name), poolclass=sa.pool.NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
            engine.dispose()
        return name

    def drop(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    """The test PostgreSQL server, checked to have PostGIS installed."""
    server = PostgresServer(TEST_POSTGRES_URL)
    try:
        with server.engine.connect() as conn:
            available = conn.exec_driver_sql(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).first()
    except sa.exc.OperationalError as exc:
        missing_service(f"PostgreSQL unreachable at {TEST_POSTGRES_URL}: {exc.orig}")
    if not available:
        missing_service("the PostGIS extension is not installed on the test PostgreSQL server")
    return server


def missing_service(reason: str):
    """A service a test needs is not there: skip locally, fail under CI/STRICT_TESTS."""
    if STRICT:
        pytest.fail(f"a service is required here (CI/STRICT_TESTS) but {reason}", pytrace=False)
    pytest.skip(reason)


#: The shared-cache and job tests' own Redis database (test_auth's throttle uses 13; Redis keeps nothing on disk).
TEST_REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_url() -> str:
    """``TEST_REDIS_URL``, emptied before and after the test; skips (fails under CI) without a Redis server."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        missing_service(f"no Redis answers at {TEST_REDIS_URL}: {exc}")
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


# -- strictness: no skips in CI, no files in the checkout --------------------------------

_CHECKOUT_FILES = pytest.StashKey[set]()


def checkout_files() -> set[Path]:
    return {p for p in CHECKOUT.rglob("*") if not TOOL_CACHES.intersection(p.relative_to(CHECKOUT).parts)}


def pytest_sessionstart(session):
    session.config.stash[_CHECKOUT_FILES] = checkout_files()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    problems = []
    if STRICT and skipped:
        problems.append(f"{len(skipped)} test(s) skipped under CI/STRICT_TESTS: a skip is a hole, fix its cause")
    before = session.config.stash.get(_CHECKOUT_FILES, None)
    left = sorted(str(p.relative_to(CHECKOUT)) for p in checkout_files() - before) if before is not None else []
    if left:
        problems.append(f"tests left files in the checkout (build apps with make_app): {', '.join(left[:5])}")
    if problems:
        if reporter:
            for problem in problems:
                reporter.write_line(f"ERROR: {problem}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED



# -- seeded stores -----------------------------------------------------------------


@pytest.fixture(scope="session")
def seeded_sqlite_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"
    store = Store(f"sqlite:///{path}")
    seeding.seed(store, progress=_quiet, **SEED_ARGS)
    store.dispose()
    _checkpoint(path)
    return path


@pytest.fixture(scope="session")
def seeded_postgis_db(postgres):
    name = postgres.create()
    store = Store(postgres.url(name))
    seeding.seed(store, progress=_quiet, **SEED_ARGS)
    store.dispose()
    yield name
    postgres.drop(name)


def _checkpoint(path) -> None:
    """Folds the WAL into the main file so a plain file copy is complete."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def seeded_store(request, backend) -> Store:
    """The shared seeded store of each backend. Read only."""
    if backend == "sqlite":
        store = Store(f"sqlite:///{request.getfixturevalue('seeded_sqlite_path')}")
    else:
        store = Store(request.getfixturevalue("postgres").url(request.getfixturevalue("seeded_postgis_db")))
    yield store
    store.dispose()


@pytest.fixture
def writable_store(request, backend, tmp_path) -> Store:
    """A private copy of the seeded store, for tests that write."""
    if backend == "sqlite":
        path = tmp_path / "copy.sqlite3"
        shutil.copy(request.getfixturevalue("seeded_sqlite_path"), path)
        store = Store(f"sqlite:///{path}")
        yield store
        store.dispose()
        return
    postgres = request.getfixturevalue("postgres")
    name = postgres.create(template=request.getfixturevalue("seeded_postgis_db"))
    store = Store(postgres.url(name))
    yield store
    store.dispose()
    postgres.drop(name)


@pytest.fixture
def empty_store(request, backend, tmp_path) -> Store:
    """A migrated store with no rows."""
    if backend == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        store.migrate()
        yield store
        store.dispose()
        return
    postgres = request.getfixturevalue("postgres")
    name = postgres.create()
    store = Store(postgres.url(name))
    store.migrate()
    yield store
    store.dispose()
    postgres.drop(name)


@pytest.fixture
def both_stores(request) -> tuple[Store, Store]:
    """The seeded SQLite and PostGIS stores side by side, for cross-backend equality."""
    sqlite_store = Store(f"sqlite:///{request.getfixturevalue('seeded_sqlite_path')}")
    pg = Store(request.getfixturevalue("postgres").url(request.getfixturevalue("seeded_postgis_db")))
    yield sqlite_store, pg
    sqlite_store.dispose()
    pg.dispose()


# -- the app ---------------------------------------------------------------------------


@pytest.fixture
def make_app(tmp_path):
    """Builds the real app on a store URL, its runtime files under the test's tmp_path; more settings by name.

    ``make_app(store.url, INGEST_API_KEYS="t:key")``. Each app's store is closed at teardown.
    """
    apps = []

    def make(database_url: str, **settings: str):
        environ = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / f"app-{len(apps)}"),
                   "SECRET_KEY": TEST_SECRET_KEY, **settings}
        app = create_app(config.load(environ))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.server.extensions[services.STORE_KEY].dispose()


#: The password of every account the tests make (accounts are made once per store and reused).
TEST_PASSWORD = "correct-horse-battery"
#: Every test app signs sessions with this key, so a session signed in once serves later apps on the same store.
TEST_SECRET_KEY = "tests-only-session-key-not-for-any-server"
#: Signed-in session cookies by (store URL, role, unit): argon2 costs about a second per sign-in on this machine,
#: so each account signs in through the real form once and later clients reuse its cookie while it is fresh.
_SESSIONS: dict[tuple, tuple[float, str]] = {}
SESSION_REUSE_SECONDS = 600


def account_for(app, role: str = "district", code: str | None = None) -> tuple[str, str]:
    """(username, secret) of a test account with this role and unit, made on first use.

    People get :data:`TEST_PASSWORD`; a wall gets a fresh device token each call.
    """
    store = app.server.extensions[services.STORE_KEY]
    username = f"test-{role}-{code or 'district'}"
    if store.user(username) is None:
        made = accounts.add_account(store, username, role, code, actor="tests",
                                    password=None if role == "screen" else TEST_PASSWORD)
        return username, made.secret
    if role == "screen":
        return username, accounts.reset_secret(store, username, actor="tests").secret
    return username, TEST_PASSWORD


def sign_in(client, username: str, password: str, next_path: str = ""):
    """Signs ``client`` in through the real 登录 form (its CSRF token included); returns the POST's response."""
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf, "next": next_path})


def client_of(app, role: str = "district", code: str | None = None):
    """A test client of ``app``, signed in with a role bound to a unit (``code``; default: the district).

    Every test that talks HTTP to the app gets its client here, so it runs as a
    signed-in user the way a real one does: through the 登录 form, or a wall's
    device-token URL.
    """
    client = app.server.test_client()
    key = (app.server.extensions[services.STORE_KEY].url, role, code)
    reusable = app.server.secret_key == TEST_SECRET_KEY
    made_at, cookie = _SESSIONS.get(key, (0.0, ""))
    if reusable and time.monotonic() - made_at < SESSION_REUSE_SECONDS:
        client.set_cookie(services.SESSION_COOKIE, cookie)
        if client.get("/_dash-layout" if role != "screen" else "/screen/_dash-layout").status_code == 200:
            return client
        client.delete_cookie(services.SESSION_COOKIE)  # ended since (a reset, a disable): sign in again
    username, secret = account_for(app, role, code)
    if role == "screen":
        response = client.get(f"/screen/login?token={secret}")
    else:
        response = sign_in(client, username, secret)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    if reusable:
        _SESSIONS[key] = (time.monotonic(), client.get_cookie(services.SESSION_COOKIE).value)
    return client


def fetch_export(client, url: str):
    """An export as the browser gets it: a 202 job is polled until its file can be downloaded."""
    r = client.get(url)
    if r.status_code != 202:
        return r
    job = r.get_json()
    for _ in range(1200):
        job = client.get(job["status_url"]).get_json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["state"] == "done", job
    return client.get(job["download_url"])


def browser_open(duo, url: str, data: bytes | None = None, headers: dict | None = None):
    """``urlopen`` as the signed-in browser: its session cookie goes along (for files and API calls)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in duo.driver.get_cookies())
    url = url if url.startswith("http") else duo.server_url + url
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookies, **(headers or {})},
                                     method="POST" if data is not None else "GET")
    return urllib.request.urlopen(request)


def browser_sign_in(duo, app, role: str = "district", code: str | None = None) -> None:
    """Signs the dash_duo browser in through the 登录 page, as a person would, then opens the home page.

    Start the server with ``start_server(app, navigate=False)``: the first page a
    browser sees is the sign-in page, which is no Dash page to wait for.
    """
    base = duo.server.url
    username, secret = account_for(app, role, code)
    if role == "screen":
        duo.driver.get(f"{base}/screen/login?token={secret}")
    else:
        duo.driver.get(f"{base}/login")
        duo.find_element("#username").send_keys(username)
        duo.find_element("#password").send_keys(secret)
        duo.find_element("#login-submit").click()
        duo.wait_for_element(".header" if role != "admin" else ".admin-header", timeout=15)
    if role != "admin":
        duo.server_url = base  # opens the role's home page and waits for Dash to render it


def wait_until(duo, condition, timeout: float = 20, poll: float = 0.1):
    """Waits for ``condition()``; a reference made stale by a re-render counts as "not yet"."""
    return WebDriverWait(duo.driver, timeout, poll_frequency=poll,
                         ignored_exceptions=(StaleElementReferenceException,)).until(lambda _driver: condition())


def text_of(duo, css: str) -> str:
    """The element's text now, read in the page (Dash re-renders elements under a held reference)."""
    return duo.driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? (e.innerText ?? e.textContent) : ''", css)


def component_texts(component) -> list[str]:
    """Every string in a rendered Dash component tree, depth first."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in component_texts(c)]
    children = getattr(component, "children", None)
    return component_texts(children) if children is not None else []


def shown_value(duo, css: str, timeout: float = 20) -> str:
    """The element's text once it shows a value (not empty, not "—"), as read in that same instant."""
    return wait_until(duo, lambda: (text := text_of(duo, css)) not in ("", "—") and text, timeout)


def is_shown(duo, css: str) -> bool:
    """Whether the element is rendered and visible now, read in the page (no stale references)."""
    return duo.driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return !!e && e.checkVisibility({contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true})",
        css)


@pytest.fixture
def dashboard(dash_duo, seeded_sqlite_path, make_app):
    """The command-center page on the seeded SQLite store, signed in as 区级, at 1600×1000."""
    app = make_app(f"sqlite:///{seeded_sqlite_path}")
    dash_duo.start_server(app, navigate=False)
    browser_sign_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    return dash_duo


@pytest.fixture
def app_client(make_app, seeded_store):
    """A test client of the app on the shared seeded store of each backend (read only), signed in as 区级."""
    return client_of(make_app(seeded_store.url))


# -- 未诉先办 results without the detections' cost ------------------------------------------

#: Hotspots to store in a run: (category, pattern, score, observed, expected, hot grids, neighbour grids).
FAKE_HOTSPOTS = [
    ("noise", "new", 9.5, 31, 6.2, ("370212001001001", "370212001001002"), ("370212001001003",)),
    ("sanitation", "intensifying", 7.1, 24, 7.9, ("370212002001001", "370212002002001"), ()),
    ("all", "new", 6.0, 40, 20.5, ("370212001001001",), ()),  # covered by the noise one: the wall leaves it out
    ("property_management", "consecutive", 5.4, 18, 6.4, ("370212005001001",), ()),
    ("street_vending", "sporadic", 4.2, 12, 4.0, ("370212004002001",), ()),
    ("drainage", "historical", 3.0, 9, 3.1, ("370212003001001",), ()),  # not hot now: never shown
]


def add_hotspots(store: Store, run_id: int) -> None:
    """Stores :data:`FAKE_HOTSPOTS` in run ``run_id`` (the demo history is too short for real ones)."""
    rows = []
    for category, pattern, score, observed, expected, hot, near in FAKE_HOTSPOTS:
        grids = [*hot, *near]
        communities = {code[:12] for code in grids}
        rows.append({
            "category": category, "pattern": pattern, "score": score, "observed": observed, "expected": expected,
            "significance": 0.001, "start_day": SEED_END.date().replace(day=1), "street_code": grids[0][:9],
            "community_code": communities.pop() if len(communities) == 1 else None,
            "grid_rows": [{"grid_code": code, "hot": code in hot, "pattern": pattern, "z": score,
                           "observed": observed // len(grids) + (observed % len(grids) if i == 0 else 0),
                           "expected": expected / len(grids)} for i, code in enumerate(grids)],
        })
    store.save_results(run_id, rows, pd.DataFrame(), [], [])


def fake_analysis(store: Store) -> int:
    """A finished run as of :data:`SEED_END` with :data:`FAKE_HOTSPOTS` and one open item on each list level.

    Instant, where ``geo.analysis.run.analyze`` takes seconds: for tests that need results, not detections.
    """
    run_id = store.begin_run(SEED_END)
    add_hotspots(store, run_id)
    candidates = [
        Candidate("forecast", "heating", "district", "370212", None, None, "全区供暖诉求预计上升", "季节预测", 2.0),
        Candidate("hotspot", "noise", "street", "370212001", "370212001", None, "中韩街道噪声扰民诉求新增热点",
                  "Gi* 新兴热点分析", 9.5),
        Candidate("hotspot", "sanitation", "street", "370212002", "370212002", None, "沙子口街道环境卫生诉求加剧热点",
                  "Gi* 新兴热点分析", 7.1),
        Candidate("repeat", "drainage", "community", "370212002001", "370212002", "370212002001",
                  "某网格重复诉求：雨后积水（4 件）", "同一地点文本相似的诉求 4 件", 4.0, {"place": "370212002001001"}),
    ]
    store.file_proactive_items(run_id, SEED_END, candidates)
    store.finish_run(run_id, "done", {})
    return run_id


# Imported last: it uses SEED_END and missing_service from above. Tests that stop the database use it.
from tests.throwaway_postgres import pg_cluster  # noqa: E402, F401
