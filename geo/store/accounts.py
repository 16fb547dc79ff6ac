"""The store's accounts and audit log: who may sign in, and what everyone did.

A mixin of :class:`~geo.store.store.Store`, like the ingest side. Secrets
arrive already hashed (argon2 for passwords, sha256 for device tokens; see
:mod:`dashboard.auth`); the store never sees a password. The audit log is
append-only: this module only inserts into it and the database's triggers
refuse anything else.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import sqlalchemy as sa

from geo import clock
from geo.access import SYSTEM, Viewer, role_scope
from geo.store import schema as t
from geo.store.errors import Conflict, NotFound

#: Sign-in names: letters (Chinese included), digits, ".", "_" and "-"; nothing invisible.
USERNAME = re.compile(r"[\w.-]{2,64}")
#: Columns an account listing shows: never a hash.
PUBLIC_USER_COLUMNS = ("id", "username", "display_name", "role", "scope_code", "created_at", "disabled_at")
#: Audit actions, with their Chinese names for the admin page.
AUDIT_ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "device_login": "大屏设备登录",
    "export": "导出",
    "unmask": "查看完整信息",
    "user_created": "新建账号",
    "user_disabled": "停用账号",
    "password_reset": "重置密码",
    "api_key_created": "新建 API 密钥",
    "api_key_revoked": "吊销 API 密钥",
    "dead_letter_replayed": "重放死信",
    "audit_exported": "导出审计日志",
    "proactive_item_changed": "未诉先办事项变更",
}
AUDIT_PAGE = 200


class AccountsMixin:
    """Accounts and the audit log; mixed into Store, which provides connect()."""

    # -- accounts --------------------------------------------------------------

    def create_user(self, username: str, display_name: str, role: str, scope_code: str | None,
                    password_hash: str | None = None, token_hash: str | None = None) -> dict:
        """A new account; Conflict if the name is taken, ValueError for a bad name, role or unit."""
        if not isinstance(username, str) or not USERNAME.fullmatch(username):
            raise ValueError("账号名应为 2–64 个字母、汉字、数字或 . _ -")
        scope = role_scope(role, scope_code)
        self.resolve(scope, SYSTEM)  # the unit must exist
        display_name = (display_name or username).strip()[:64] or username
        try:
            with self.connect(write=True) as conn:
                if conn.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).first():
                    raise Conflict(f"账号 {username} 已存在")
                conn.execute(t.users.insert().values(
                    username=username, display_name=display_name, role=role, scope_code=scope.code,
                    password_hash=password_hash, token_hash=token_hash, session_epoch=0, created_at=clock.now()))
        except sa.exc.IntegrityError:  # another process took the name between the check and the insert
            raise Conflict(f"账号 {username} 已存在") from None
        return self.user(username)

    def user(self, username: str | None = None, user_id: int | None = None,
             token_hash: str | None = None) -> dict | None:
        """One account by name, id or device-token hash, hashes included (for the sign-in check only)."""
        u = t.users
        if username is not None:
            condition = u.c.username == username
        elif user_id is not None:
            condition = u.c.id == user_id
        elif token_hash is not None:
            condition = u.c.token_hash == token_hash
        else:
            return None
        with self.connect() as conn:
            row = conn.execute(sa.select(u).where(condition)).first()
        return dict(row._mapping) if row else None

    def users(self, viewer: Viewer) -> list[dict]:
        """Every account, without its secrets; for admins."""
        self.authorize(None, viewer)
        u = t.users
        with self.connect() as conn:
            rows = conn.execute(sa.select(*(u.c[c] for c in PUBLIC_USER_COLUMNS)).order_by(u.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def count_users(self) -> int:
        with self.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar()

    def set_user_secret(self, username: str, password_hash: str | None = None,
                        token_hash: str | None = None) -> None:
        """A new password or device token; every session signed in before is void."""
        self._change_user(username, password_hash=password_hash, token_hash=token_hash)

    def disable_user(self, username: str) -> None:
        """The account can no longer sign in, and its open sessions end at their next request."""
        self._change_user(username, disabled_at=clock.now())

    def _change_user(self, username: str, **values) -> None:
        u = t.users
        with self.connect(write=True) as conn:
            done = conn.execute(u.update().where(u.c.username == username)
                                .values(session_epoch=u.c.session_epoch + 1, **values)).rowcount
        if not done:
            raise NotFound(f"未找到账号：{username}")

    # -- audit log -------------------------------------------------------------

    def record_audit(self, actor: str, action: str, role: str | None = None, scope_code: str | None = None,
                     address: str | None = None, detail: dict | None = None) -> None:
        """Appends one entry. Never raises for an unknown action: the log must not lose what happened."""
        with self.connect(write=True) as conn:
            conn.execute(t.audit_log.insert().values(
                at=clock.now(), actor=str(actor)[:64], role=role, action=action[:32],
                scope_code=scope_code, address=(address or "")[:64] or None,
                detail=json.dumps(detail or {}, ensure_ascii=False, default=str)))

    def audit_entries(self, viewer: Viewer, action: str | None = None, actor: str | None = None,
                      start: datetime | None = None, end: datetime | None = None,
                      limit: int = AUDIT_PAGE, offset: int = 0) -> dict:
        """Entries newest first, filtered; only admins read the log."""
        self.authorize(None, viewer)
        a = t.audit_log
        conditions = []
        if action:
            conditions.append(a.c.action == action)
        if actor:
            conditions.append(a.c.actor == actor)
        if start is not None:
            conditions.append(a.c.at >= start)
        if end is not None:
            conditions.append(a.c.at < end)
        with self.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(a).where(*conditions)).scalar()
            rows = conn.execute(sa.select(a).where(*conditions).order_by(a.c.id.desc())
                                .limit(limit).offset(offset)).all()
        items = [{**r._mapping, "detail": json.loads(r.detail or "{}")} for r in rows]
        return {"total": total, "limit": limit, "offset": offset, "items": items}
