"""Signing in and out: the 登录 page, a wall's device sign-in, 退出登录.

Failed attempts are throttled by account and by address and audited; a
successful one starts a session with the timeouts of :mod:`dashboard.http.access`.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlparse

from flask import Blueprint, make_response, redirect, render_template, request, session
from flask_login import current_user, login_user, logout_user

from dashboard.auth import accounts
from dashboard.auth.throttle import login_checks
from dashboard.http.access import client_address, start_session
from dashboard.services import SignedIn, audit, get_store, get_throttle, remember_account

blueprint = Blueprint("auth", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/auth/static")
HOME = {"admin": "/admin", "screen": "/screen/"}


def home_of(role: str) -> str:
    return HOME.get(role, "/")


def safe_next(raw: str | None, role: str) -> str:
    """Only a path on this server, never another site (an open redirect would help phishing)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw and not urlparse(raw).netloc:
        return raw
    return home_of(role)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def csrf_ok() -> bool:
    sent = request.form.get("csrf", "")
    return bool(sent) and hmac.compare_digest(sent, session.get("csrf", ""))


@blueprint.get("/login")
def login_page():
    if current_user.is_authenticated:
        return redirect(home_of(current_user.viewer.role))
    notice = "登录已超时，请重新登录" if request.args.get("expired") else ""
    return render_template("login.html", csrf=csrf_token(), next=request.args.get("next", ""), notice=notice)


@blueprint.post("/login")
def login():
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    target = request.form.get("next", "")
    if not csrf_ok():
        return _again("页面已过期，请重新输入", username, target, 400)
    throttle, checks = get_throttle(), login_checks(username, client_address())
    wait = throttle.wait(checks)
    if wait:
        audit("login_failed", actor=username or "-", detail={"reason": "throttled"})
        response = _again(f"尝试次数过多，请 {wait} 秒后再试", username, target, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    user = accounts.signed_in(get_store(), username, password)
    if user is None:
        throttle.failed(checks)
        audit("login_failed", actor=username or "-", detail={"reason": "wrong name or password"})
        return _again("账号或密码不正确，或账号已停用", username, target, 401)
    return _sign_in(SignedIn(user), "login", safe_next(target, user["role"]), permanent=False)


@blueprint.get("/screen/login")
def device_login():
    """A wall's kiosk URL, ``/screen/login?token=…``: signs the device in for SCREEN_SESSION_DAYS.

    The token leaves the address bar at once (redirect), and a revoked or
    reset token stops working at the wall's next request.
    """
    token = request.args.get("token", "")
    throttle, checks = get_throttle(), login_checks("device", client_address())
    wait = throttle.wait(checks)
    if wait:
        return render_template("login.html", csrf=csrf_token(), next="", notice=f"尝试次数过多，请 {wait} 秒后再试"), 429
    user = accounts.device(get_store(), token)
    if user is None:
        throttle.failed(checks)
        audit("login_failed", actor="大屏设备", detail={"reason": "bad device token"})
        return render_template("login.html", csrf=csrf_token(), next="", notice="大屏设备令牌无效或已停用"), 401
    rest = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"], safe=",")
    return _sign_in(SignedIn(user), "device_login", "/screen/" + (f"?{rest}" if rest else ""), permanent=True)


@blueprint.post("/logout")
def logout():
    if current_user.is_authenticated:
        viewer = current_user.viewer
        audit("logout", viewer, viewer.scope.code)
        logout_user()
    session.clear()
    return redirect("/login")


def _sign_in(user: SignedIn, action: str, target: str, permanent: bool):
    session.clear()  # a fresh session: nothing from before the sign-in carries over (session fixation)
    login_user(user)
    remember_account(user)
    start_session(permanent)
    viewer = user.viewer
    audit(action, viewer, viewer.scope.code)
    return redirect(target)


def _again(message: str, username: str, target: str, status: int):
    page = render_template("login.html", csrf=csrf_token(), next=target, notice=message, username=username)
    return make_response(page, status)
