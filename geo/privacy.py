"""Masking of personal data before it leaves the store."""

from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧阳**: keep the surname, hide the given name."""
    if not name:
        return name
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; anything shorter keeps only its last 2 digits."""
    if not phone:
        return phone
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]
