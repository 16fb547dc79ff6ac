"""The services one server holds for all its requests: the store, the view cache, the exporter, the ingest keys.

They live in the Flask app's ``extensions``, built once by :func:`install` from
the settings, never in module globals, so several server processes built from
the same settings give the same answers. Handlers and callbacks reach them
through the getters here, and ask :func:`current_viewer` who is asking
(the signed-in account, through Flask-Login).
"""

from __future__ import annotations

import ipaddress

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_caching import Cache
from flask_login import LoginManager, UserMixin, current_user

from dashboard.auth import secrets
from dashboard.auth.accounts import viewer_of
from dashboard.auth.throttle import Throttle
from dashboard.config import Config
from dashboard.errors import HttpError
from dashboard.exports.exporter import Exporter, start_export
from dashboard.exports.jobs import DiskBoard, Jobs, RedisBoard
from dashboard.ingest.keys import KnownKeys, env_keys
from dashboard.view.data import parse_view
from dashboard.view.shared_cache import (
    ViewCache,
    flask_cache_config,
    namespace_of,
    redis_client,
    with_timeouts,
)
from geo.access import Viewer
from geo.scope import DISTRICT
from geo.store.errors import NotFound, StoreNotReady, StoreUnavailable
from geo.store.store import Store

STORE_KEY = "zhizhi.store"
CACHE_KEY = "zhizhi.cache"
EXPORTER_KEY = "zhizhi.exporter"
INGEST_KEYS_KEY = "zhizhi.ingest_keys"
THROTTLE_KEY = "zhizhi.throttle"
CONFIG_KEY = "zhizhi.config"
#: The big screen's Dash app, on the same server (its callbacks are checked like the dashboard's).
SCREEN_APP_KEY = "zhizhi.screen_app"
SESSION_COOKIE = "zhizhi_session"
#: Who everyone is when sign-in is off (AUTH_DISABLED=1, loopback only).
LOCAL_VIEWER = Viewer("district", DISTRICT, "本机（未启用登录）")
#: Largest request body (a batch of 1,000 appeals is ~2 MB); larger ones get 413 before any parsing.
MAX_BODY_BYTES = 8 * 1024 * 1024


def install(server: Flask, config: Config) -> None:
    """Builds the services from the settings onto ``server``."""
    if config.auth_disabled and not is_loopback(config.host):
        raise ValueError(f"AUTH_DISABLED=1 只允许在本机回环地址上使用（当前监听 {config.host}）："
                         "对外服务必须登录。请去掉 AUTH_DISABLED，或改为 --host 127.0.0.1")
    store = server.extensions[STORE_KEY] = Store(config.database_url, config.database_read_url)
    client = redis_client(config.redis_url)
    namespace = namespace_of(store)
    cache = Cache(server, config=flask_cache_config(config.redis_url, str(config.cache_dir), config.cache_seconds,
                                                    namespace))
    server.extensions[CACHE_KEY] = ViewCache(store, cache, client)
    board = RedisBoard(client, namespace, config.exports_dir) if client is not None else DiskBoard(config.exports_dir)
    jobs = Jobs(board, per_user=config.export_jobs_per_user, total=config.export_jobs_total)
    server.extensions[EXPORTER_KEY] = Exporter(jobs, config.briefing_font, config.export_wait_seconds)
    server.extensions[INGEST_KEYS_KEY] = env_keys(config.ingest_api_keys)
    server.extensions[THROTTLE_KEY] = Throttle(with_timeouts(config.rate_limit_storage))
    server.extensions[CONFIG_KEY] = config
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    _install_sessions(server, config)


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SignedIn(UserMixin):
    """A signed-in account as Flask-Login holds it; its id carries the account's session epoch,
    so a password reset or a disable ends every session signed in before."""

    def __init__(self, user: dict):
        self.user = user
        self.viewer = viewer_of(user)

    def get_id(self) -> str:
        return f"{self.user['id']}:{self.user['session_epoch']}"


class _Sessions(SecureCookieSessionInterface):
    """Signed cookie sessions whose Secure flag follows the request's scheme (SECURE_COOKIES=auto)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.extensions[CONFIG_KEY].secure_cookies
        return mode == "1" or (mode == "auto" and request.is_secure)


def _install_sessions(server: Flask, config: Config) -> None:
    server.secret_key = secrets.session_key(config.secret_key, config.data_dir)
    server.session_interface = _Sessions()
    server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=config.screen_session_days * 86400)
    manager = LoginManager(server)
    manager.session_protection = None  # sessions end by time and by epoch; an address change (a wall on DHCP) is no reason

    @manager.user_loader
    def _load(session_id: str):
        user_id, _, epoch = session_id.partition(":")
        if not user_id.isdigit() or not epoch.isdigit():
            return None
        try:
            user = get_store().user(user_id=int(user_id))
        except (StoreUnavailable, StoreNotReady):
            # The database is away: the page must still reach its callbacks to say so ("数据连接中断…"),
            # and no data can be read anyway. The account as signed in stands until the store is back.
            kept = session.get(ACCOUNT_SESSION_KEY)
            return SignedIn(kept) if kept and SignedIn(kept).get_id() == session_id else None
        if user is None or user["disabled_at"] is not None or user["session_epoch"] != int(epoch):
            return None
        return SignedIn(user)


#: The session's copy of the signed-in account (no secrets), used only while the database is away.
ACCOUNT_SESSION_KEY = "account"
ACCOUNT_FIELDS = ("id", "username", "display_name", "role", "scope_code", "session_epoch")


def remember_account(user: SignedIn) -> None:
    session[ACCOUNT_SESSION_KEY] = {k: user.user[k] for k in ACCOUNT_FIELDS}


def get_store() -> Store:
    return current_app.extensions[STORE_KEY]


def get_cache() -> ViewCache | None:
    """The shared view cache, or None on a server built without one (tests of raw queries)."""
    return current_app.extensions.get(CACHE_KEY)


def live_versions() -> dict[str, str]:
    """The store's data and position versions, through the shared cache when there is one (the live poll's read)."""
    cache = get_cache()
    return cache.versions() if cache is not None else get_store().live_versions()


def data_written() -> None:
    """After this app wrote appeals or events: every process's next poll and view see them."""
    cache = get_cache()
    if cache is not None:
        cache.forget_versions()


def get_exporter() -> Exporter:
    return current_app.extensions[EXPORTER_KEY]


def ingest_keys() -> KnownKeys:
    """The keys from the ``INGEST_API_KEYS`` setting (stored keys are looked up in the store)."""
    return current_app.extensions.get(INGEST_KEYS_KEY, {})


def account_label() -> str:
    """「姓名 · 角色」of who is signed in, for the page header; empty when sign-in is off."""
    if not has_request_context() or get_config().auth_disabled or not current_user.is_authenticated:
        return ""
    return f"{current_user.user['display_name']} · {current_user.viewer.label}"


def get_config() -> Config:
    return current_app.extensions[CONFIG_KEY]


def get_throttle() -> Throttle:
    return current_app.extensions[THROTTLE_KEY]


def current_viewer() -> Viewer:
    """Who is asking, as a role bound to a unit: the signed-in account (401 if none)."""
    if get_config().auth_disabled:
        return LOCAL_VIEWER
    if current_user.is_authenticated:
        return current_user.viewer
    raise HttpError(401, "请先登录")


def audit(action: str, viewer: Viewer | None = None, scope_code: str | None = None, detail: dict | None = None,
          actor: str | None = None) -> None:
    """Appends an audit entry for the current request: who (the viewer, or ``actor``), from which address."""
    address = request.remote_addr if has_request_context() else None
    get_store().record_audit(actor or (viewer.user if viewer else "anonymous"), action,
                             role=viewer.role if viewer else None, scope_code=scope_code, address=address,
                             detail=detail)


def export_view(kind: str, search: str) -> dict:
    """Starts an export of the view in ``search`` for the caller, and audits it (who, which scope, which window)."""
    viewer = current_viewer()
    status = start_export(kind, search, get_store(), get_cache(), get_exporter(), viewer)
    state = parse_view(search, None, viewer)
    audit("export", viewer, state.scope.code,
          detail={"format": kind, "from": state.window.start.isoformat(), "to": state.window.end.isoformat(),
                  **state.filters.as_params()})
    return status


def own_job(job_id) -> dict:
    """An export job's status, for the caller who started it only: another's job is "not found", like no job."""
    status = get_exporter().jobs.status(job_id)
    if status.get("owner") != current_viewer().user:
        raise NotFound("未找到该导出任务")
    return status
