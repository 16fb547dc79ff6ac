"""The admin's pages: accounts (add, disable, reset) and the audit log (filter, export).

Admins read no appeal data (the store refuses them); they see who may sign in
and what everyone did. Every change made here is itself audited.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from dashboard.auth import accounts
from dashboard.exports import audit as audit_export
from dashboard.http.login import csrf_ok, csrf_token
from dashboard.http.params import int_arg, single_values
from dashboard.services import audit, current_viewer, get_store
from dashboard.view.text import minute_text
from geo.access import ROLE_LABELS
from geo.domain import LOCAL_TZ
from geo.scope import InvalidQuery, parse_date
from geo.store.accounts import AUDIT_ACTIONS, AUDIT_PAGE
from geo.store.errors import Conflict, NotFound

blueprint = Blueprint("admin", __name__, template_folder="templates")
#: The most entries one export holds (newest first); narrow the filters for older ones.
EXPORT_ROWS = 100_000


def _filters(args) -> dict:
    action = args.get("action") or None
    if action and action not in AUDIT_ACTIONS:
        raise InvalidQuery(f"未知的操作类型：{action[:32]}")
    start = parse_date(args["from"], "from") if args.get("from") else None
    end = parse_date(args["to"], "to") if args.get("to") else None
    return {
        "action": action,
        "actor": (args.get("actor") or "").strip()[:64] or None,
        "start": datetime.combine(start, time(0), LOCAL_TZ) if start else None,
        "end": datetime.combine(end + timedelta(days=1), time(0), LOCAL_TZ) if end else None,
    }


@blueprint.get("/admin")
def admin_page():
    return _page()


def _page(message: str = "", secret: accounts.NewSecret | None = None, status: int = 200):
    args = single_values(request.args)
    viewer, store = current_viewer(), get_store()
    try:
        filters = _filters(args)
        notice = message
    except InvalidQuery as exc:
        filters, notice = _filters({}), str(exc)
    offset = int_arg(args, "offset", 0, 0, 10**9)
    log = store.audit_entries(viewer, **filters, limit=AUDIT_PAGE, offset=offset)
    users = [{**u, "created": minute_text(u["created_at"].astimezone(LOCAL_TZ).isoformat())} for u in store.users(viewer)]
    query = urlencode({k: v for k, v in args.items() if k in ("action", "actor", "from", "to") and v})
    return render_template(
        "admin.html", csrf=csrf_token(), users=users, roles=ROLE_LABELS, actions=AUDIT_ACTIONS,
        log=log, rows=list(zip(audit_export.audit_rows(log["items"]),
                                [audit_export.detail_parts(i["action"], i["detail"]) for i in log["items"]], strict=True)), args=args, offset=offset, page=AUDIT_PAGE,
        notice=notice, secret=secret, me=current_user.user["display_name"], export_query=query,
    ), status


@blueprint.post("/admin/users")
def change_user():
    """Add an account, disable one, or reset its password (the new secret is shown once)."""
    viewer = current_viewer()
    get_store().authorize(None, viewer)
    if not csrf_ok():
        return _page("页面已过期，请重试", status=400)
    form, store = request.form, get_store()
    username = form.get("username", "").strip()
    try:
        match form.get("op"):
            case "add":
                secret = accounts.add_account(store, username, form.get("role", ""), form.get("scope") or None,
                                              form.get("display_name", ""), actor=viewer.user)
                return _page(f"已新建账号 {username}", secret)
            case "disable":
                if username == viewer.user:
                    return _page("不能停用自己正在使用的账号", status=400)
                accounts.disable_account(store, username, actor=viewer.user)
                return _page(f"已停用账号 {username}")
            case "reset":
                return _page(f"已重置 {username} 的登录凭据", accounts.reset_secret(store, username, actor=viewer.user))
        return _page("未知的操作", status=400)
    except (ValueError, InvalidQuery, Conflict, NotFound) as exc:
        return _page(str(exc), status=400)


@blueprint.get("/admin/audit.xlsx")
def export_audit():
    viewer = current_viewer()
    filters = _filters(single_values(request.args))
    log = get_store().audit_entries(viewer, **filters, limit=EXPORT_ROWS)
    audit("audit_exported", viewer, detail={k: str(v) for k, v in filters.items() if v})
    return Response(audit_export.workbook(log["items"]),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97.xlsx"})
