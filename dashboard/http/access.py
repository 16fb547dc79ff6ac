"""Who may call which route: sign-in required, sessions that expire, and each role kept to its pages.

One hook before every request. It decides only *whether* a caller may reach a
route; *what* a caller sees is decided by the store, which checks every read
against the viewer (``Store.authorize``), so a forged request to a route that
is allowed still gets only the caller's scope.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, jsonify, redirect, request, session
from flask_login import current_user, logout_user

from dashboard.auth.throttle import key_checks
from dashboard.errors import HttpError
from dashboard.ingest import keys
from dashboard.services import get_config, get_store, get_throttle, ingest_keys
from geo import clock

#: Reachable without signing in: the sign-in pages, static files (no data in them) and the health check.
PUBLIC_PREFIXES = ("/login", "/auth/static/", "/assets/", "/_dash-component-suites/", "/screen/login",
                   "/screen/assets/", "/screen/_dash-component-suites/", "/_favicon.ico", "/screen/_favicon.ico")
PUBLIC_PATHS = ("/healthz",)
#: Routes whose callers are data: unsigned callers get JSON 401/403 there, a sign-in page elsewhere.
DATA_PREFIXES = ("/api/", "/export/", "/open311/", "/_dash-", "/screen/_dash-", "/admin/audit.xlsx")
#: What a wall may reach besides the public routes: its own page, its callbacks and the map layers it draws.
SCREEN_PREFIXES = ("/screen/", "/api/geo/", "/api/map/", "/logout")
#: What an admin may reach: the admin pages (accounts, audit log), and signing out.
ADMIN_PREFIXES = ("/admin", "/logout")
#: A session's last-seen time is rewritten at most this often (not on every 3-second poll).
SEEN_EVERY_SECONDS = 60


def register(server: Flask) -> None:
    server.before_request(guard)


def client_address() -> str:
    return request.remote_addr or "unknown"


def key_identity(key: str | None) -> tuple[str, str]:
    """(name, role) of an ingest key, with wrong guesses throttled per address (429 with Retry-After)."""
    throttle, checks = get_throttle(), key_checks(client_address())
    wait = throttle.wait(checks)
    if wait:
        raise HttpError(429, f"错误的 API 密钥尝试过多，请 {wait} 秒后再试", retry_after=wait)
    try:
        return keys.identity(key, ingest_keys(), get_store())
    except HttpError:
        throttle.failed(checks)
        raise


def key_authenticated() -> bool:
    """Writers authenticate with API keys on their own routes (the ingest API, Open311 POSTs), never with a session."""
    return request.blueprint == "ingest" or (request.path.startswith("/open311/") and request.method == "POST")


def guard():
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or key_authenticated():
        return None
    config = get_config()
    if config.auth_disabled:
        return None
    expired = _expire_session(config)
    if not current_user.is_authenticated:
        message = "登录已超时，请重新登录" if expired else "请先登录"
        if path.startswith(DATA_PREFIXES):
            return jsonify({"error": message}), 401
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&,')}"
                        + ("&expired=1" if expired else ""))
    role = current_user.viewer.role
    allowed = {"screen": SCREEN_PREFIXES, "admin": ADMIN_PREFIXES}.get(role)
    if role != "admin" and path.startswith("/admin"):
        return _refuse("仅管理员可访问账号与审计日志", "/")
    if allowed and not path.startswith(allowed):
        home = "/screen/" if role == "screen" else "/admin"
        what = "大屏设备账号只能显示大屏" if role == "screen" else "管理员账号不能查看诉求数据，请使用区级、街道或社区账号"
        return _refuse(what, home)
    return None


def _refuse(message: str, home: str):
    if request.path.startswith(DATA_PREFIXES) or request.method != "GET":
        return jsonify({"error": message}), 403
    return redirect(home)


def _expire_session(config) -> bool:
    """Ends a session past its idle timeout or absolute lifetime; True if it did."""
    if not current_user.is_authenticated:
        return False
    now = clock.now().timestamp()
    screen = current_user.viewer.role == "screen"
    lifetime = config.screen_session_days * 86400 if screen else config.session_max_hours * 3600
    idle = lifetime if screen else config.session_idle_minutes * 60
    signed_in_at, seen_at = session.get("signed_in_at", 0), session.get("seen_at", 0)
    if now - signed_in_at > lifetime or now - seen_at > idle:
        logout_user()
        session.clear()
        return True
    if now - seen_at > SEEN_EVERY_SECONDS:
        session["seen_at"] = now
    return False


def start_session(permanent: bool) -> None:
    """Marks the session's start for the timeouts above (called right after a successful sign-in)."""
    now = clock.now().timestamp()
    session["signed_in_at"] = session["seen_at"] = now
    session.permanent = permanent
