"""Accounts as the app sees them: made with a secret shown once, checked at sign-in, turned into a viewer.

People sign in with a password; a wall signs in with a long-lived device
token bound to its unit, since nobody types a password on an LED wall every
morning. Both are shown once, when made or reset, and stored only hashed.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.auth import secrets
from geo.access import OPERATOR, ROLE_LABELS, Viewer
from geo.scope import Scope
from geo.store.errors import Conflict, NotFound
from geo.store.store import Store

#: What the first run makes, so `python app.py` works with nothing set: an admin and a district demo account.
FIRST_ACCOUNTS = (("admin", "系统管理员", "admin"), ("district", "区级演示账号", "district"))


@dataclass(frozen=True)
class NewSecret:
    """An account's new password or device token, to show once."""

    username: str
    role: str
    secret: str

    @property
    def is_token(self) -> bool:
        return self.role == "screen"


def add_account(store: Store, username: str, role: str, scope_code: str | None = None,
                display_name: str = "", actor: str = "cli", password: str | None = None) -> NewSecret:
    """Makes an account with a fresh password (a device token for a wall); audited."""
    if role not in ROLE_LABELS:
        raise ValueError(f"未知角色 {role!r}，应为 {', '.join(ROLE_LABELS)} 之一")
    if role == "screen":
        secret = secrets.new_device_token()
        store.create_user(username, display_name, role, scope_code, token_hash=secrets.token_digest(secret))
    else:
        secret = password or secrets.new_password()
        store.create_user(username, display_name, role, scope_code, password_hash=secrets.hash_password(secret))
    user = store.user(username)
    store.record_audit(actor, "user_created", scope_code=user["scope_code"],
                       detail={"username": username, "role": role})
    return NewSecret(username, role, secret)


def reset_secret(store: Store, username: str, actor: str = "cli") -> NewSecret:
    """A new password (or device token); the account's open sessions end. Audited."""
    user = store.user(username)
    if user is None:
        raise NotFound(f"未找到账号：{username}")
    if user["role"] == "screen":
        secret = secrets.new_device_token()
        store.set_user_secret(username, token_hash=secrets.token_digest(secret))
    else:
        secret = secrets.new_password()
        store.set_user_secret(username, password_hash=secrets.hash_password(secret))
    store.record_audit(actor, "password_reset", scope_code=user["scope_code"], detail={"username": username})
    return NewSecret(username, user["role"], secret)


def disable_account(store: Store, username: str, actor: str = "cli") -> None:
    store.disable_user(username)
    store.record_audit(actor, "user_disabled", detail={"username": username})


def bootstrap(store: Store) -> list[NewSecret]:
    """On a store with no accounts: the first admin and district demo account (else nothing).

    Servers starting at once on a new store race here: whichever makes an account
    prints its password; the other stops at the first name already taken.
    """
    if store.count_users():
        return []
    made = []
    for name, label, role in FIRST_ACCOUNTS:
        try:
            made.append(add_account(store, name, role, display_name=label, actor="首次运行"))
        except Conflict:
            break
    return made


def signed_in(store: Store, username: str, password: str) -> dict | None:
    """The account if the name and password match and it is active; None otherwise (same time either way)."""
    user = store.user(username) if isinstance(username, str) and 0 < len(username) <= 64 else None
    matches = secrets.password_matches(user["password_hash"] if user else None, password)
    if not matches or user is None or user["disabled_at"] is not None:
        return None
    return user


def device(store: Store, token: str) -> dict | None:
    """The wall whose device token this is, if active."""
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        return None
    user = store.user(token_hash=secrets.token_digest(token))
    if user is None or user["disabled_at"] is not None or user["role"] != "screen":
        return None
    return user


def viewer_of(user: dict) -> Viewer:
    return Viewer(user["role"], Scope.from_code(user["scope_code"]), user["username"])


def account_lines(store: Store) -> list[str]:
    """The accounts as the CLI lists them (never a secret)."""
    lines = []
    for u in store.users(OPERATOR):
        state = f"已停用 {u['disabled_at']:%Y-%m-%d %H:%M}" if u["disabled_at"] else "有效"
        lines.append(f"{u['username']}\t{u['display_name']}\t{ROLE_LABELS[u['role']]}\t{u['scope_code']}\t{state}")
    return lines
