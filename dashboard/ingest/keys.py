"""Who a writer is: ingest API keys from the ``INGEST_API_KEYS`` setting or the store, with their roles.

A key is compared in constant time; stored keys are kept only as hashes (see
``Store.create_api_key``). Dead letters hold raw personal data, so only admin
keys may read or replay them.
"""

from __future__ import annotations

import hmac

from dashboard.errors import HttpError
from geo.store.store import Store

#: key → (writer name, role), from the setting.
KnownKeys = dict[str, tuple[str, str]]


def env_keys(setting: str) -> KnownKeys:
    """``INGEST_API_KEYS`` → {key: (name, role)}; entries are ``name:key``, ``name:key:admin`` or a bare key."""
    keys = {}
    for i, entry in enumerate(x.strip() for x in setting.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        role = "admin" if len(parts) == 3 and parts[2] == "admin" else "writer"
        name, key = (parts[0], parts[1]) if len(parts) >= 2 else (f"env-{i + 1}", parts[0])
        keys[key] = (name, role)
    return keys


def identity(key: str | None, known: KnownKeys, store: Store) -> tuple[str, str]:
    """(name, role) of a key, from the setting or the store; 401 without a key, 403 with a wrong one."""
    if not key:
        raise HttpError(401, "缺少 API 密钥：请在请求头 X-API-Key 中提供（Open311 用 api_key 字段）")
    for candidate, who in known.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            return who
    who = store.api_key_identity(key)
    if who is None:
        raise HttpError(403, "API 密钥无效或已吊销")
    return who


def require_admin(who: tuple[str, str]) -> str:
    """The admin's name; 403 for a writer key."""
    name, role = who
    if role != "admin":
        raise HttpError(403, "死信含原始个人信息，仅管理员密钥可查看或重放（api-key create NAME --admin）")
    return name
