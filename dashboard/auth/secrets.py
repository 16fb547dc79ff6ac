"""Passwords, device tokens and the session key: made here, hashed here, never stored in the clear.

Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106
recommendation); a wall's device token is 256 random bits, so a plain sha256
of it is enough to look it up without storing it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Stateless: holds only its parameters, so one per process is safe.
HASHER = PasswordHasher()
#: A hash to verify against when no such account exists, so a wrong name costs as long as a wrong password.
_ABSENT = HASHER.hash("no such account")
#: Letters and digits that can't be mistaken for each other when read aloud or copied off a screen.
READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 16
MIN_PASSWORD_LENGTH = 10


def new_password() -> str:
    return "".join(secrets.choice(READABLE) for _ in range(PASSWORD_LENGTH))


def new_device_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    return HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash is checked against a dummy so timing tells nothing."""
    try:
        return HASHER.verify(stored_hash or _ABSENT, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(configured: str, data_dir: Path) -> str:
    """The configured key, else one made once in ``data_dir/secret_key`` (readable by its owner only).

    Every process on the same folder reads the same file; the first to start
    makes it, atomically, so two starting at once can't disagree.
    """
    if configured:
        return configured
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()
