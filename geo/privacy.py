"""Masking of personal data before it leaves the store."""

from __future__ import annotations

import re


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


#: Contact details people type into free text: mobile and landline numbers, ID card numbers, e-mail.
_CONTACTS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx](?![0-9])"  # 居民身份证号
    r"|(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9])"  # mobile
    r"|(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])"  # landline with area code
)


def redact_text(text: str | None) -> str | None:
    """Free text shown in public (titles, Open311 descriptions) with contact details replaced by ***.

    Names in free text cannot be found reliably; public views therefore show as
    little free text as they can, and this removes what can be recognised.
    """
    if not text:
        return text
    return _CONTACTS.sub("***", text)
