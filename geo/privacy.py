"""Personal data, masked once: the store applies these rules to everything it hands out.

Every surface (the JSON API, the grid table and timeline, the ticker, the wall,
the exports, Open311) shows what the store returned, so no surface can forget a
rule and none applies one of its own. The rules:

- reporters' names and phones (:func:`mask_name`, :func:`mask_phone`);
- contact details typed into free text: phones, ID card numbers, bank card
  numbers, e-mail addresses, QQ/WeChat ids, names after 联系人/姓名/我叫 …
  (:func:`redact_text`), and people named as workflow actors (:func:`mask_actor`);
- coordinates rounded to about 100 m (:func:`coarse`) for roles below district;
- grid workers on the wall as keys that change every hour (:func:`worker_key`);
- key-population counts below :data:`MIN_COUNT` suppressed, and totals built only
  from what was published (:func:`published_count`, :func:`published_sum`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from geo.access import COARSE_DECIMALS, Viewer
from geo.domain import KEY_POPULATION_TYPES

# -- names and phones ----------------------------------------------------------------------


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


# -- free text -----------------------------------------------------------------------------

#: Full-width digits, letters and the marks of an address or number, as their ASCII twins (one
#: character each, so a match in the translated text has the same span in the original).
_HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_HAN = "\u3400-\u9fff"
#: A date of birth inside an ID number: yyyymmdd (18 digits) or yymmdd (the old 15).
_BIRTH = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
#: Words right before a number that make it a bank card whatever its digits.
_CARD_CONTEXT = re.compile(r"(?:卡|账号|帐号|账户|帐户)[号码]?[:：\s]*$")
#: Words that introduce a person's name in free text; the name is the 2–3 Han characters after them.
NAME_INTRODUCERS = ("联系人", "姓名", "我叫", "本人叫", "报告人", "反映人", "举报人", "投诉人", "诉求人")
#: Roles a workflow actor may carry before a person's name (网格员张三).
PERSON_ROLES = ("网格员", "社工", "民警", "辅警", "工作人员", "专员", "主任", "书记", "队长", "站长")
#: Last characters of organisations, which are named in full (区城市管理局, 社区工作站).
ORGANISATION_ENDINGS = tuple("局委办厅处科室站所队中心会部组院司道区格员")


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _mask_email(m: re.Match, _text: str) -> str:
    local, _, domain = m.group().partition("@")
    return local[0] + "***@" + domain


def _mask_id(m: re.Match, _text: str) -> str:
    number = _digits(m.group())
    return number[0] + "*" * (len(number) - 2) + number[-1]


def _mask_card(m: re.Match, text: str) -> str | None:
    """A bank card: 16–19 digits that pass the Luhn check with a card network's first digit, or any such
    number right after 卡号/银行卡/账号; other long numbers (appeal references, dates) stay."""
    number = _digits(m.group())
    if not 16 <= len(number) <= 19:
        return None
    networks = number[0] in "34569"  # 3 JCB/Amex, 4 Visa, 5 Mastercard, 6 银联, 9 domestic; never 1 or 2
    if not (networks and _luhn(number)) and not _CARD_CONTEXT.search(text[max(0, m.start() - 8):m.start()]):
        return None
    return "*" * (len(number) - 4) + number[-4:]


def _mask_phone_match(m: re.Match, _text: str) -> str:
    number = _digits(m.group())
    return mask_phone(number[-11:] if len(number) > 11 and number.startswith("86") else number)


def _context(m: re.Match, text: str) -> str:
    """The words before the masked part, as the citizen typed them."""
    return text[m.start():m.start("value")]


def _mask_introduced_phone(m: re.Match, text: str) -> str:
    return _context(m, text) + mask_phone(_digits(m.group("value")))


def _mask_after_context(m: re.Match, text: str) -> str:
    return _context(m, text) + "***"


def _mask_introduced_name(m: re.Match, text: str) -> str:
    return _context(m, text) + mask_name(m.group("value"))


_SEP = r"[ -]?"
#: (pattern, masker) in priority order: a span taken by an earlier kind is not looked at again. A masker
#: may answer None (not this kind after all: the span stays open for the later kinds).
_KINDS: list[tuple[re.Pattern, Callable[[re.Match, str], str | None]]] = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), _mask_email),
    # 居民身份证号: 18 characters (region, yyyymmdd, sequence, check digit or X), possibly grouped 6-8-4.
    (re.compile(rf"(?<![0-9])[1-9][0-9]{{5}}{_SEP}(?:18|19|20)[0-9]{{2}}{_BIRTH}{_SEP}[0-9]{{3}}[0-9Xx](?![0-9A-Za-z])"),
     _mask_id),
    # Bank cards: 16–19 digits, plain, grouped by four (the last group 1–3) or 6 + the rest.
    (re.compile(r"(?<![0-9])(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?|[0-9]{6}[ -][0-9]{10,13})"
                r"(?![0-9])"), _mask_card),
    # The old 15-digit ID number: region, yymmdd, sequence.
    (re.compile(rf"(?<![0-9])[1-9][0-9]{{5}}[0-9]{{2}}{_BIRTH}[0-9]{{3}}(?![0-9])"), _mask_id),
    # Mobile numbers, with or without +86 and separators.
    (re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])"), _mask_phone_match),
    # Landlines with their area code: 0532-88886666, (0532)8888 6666.
    (re.compile(r"(?<![0-9])\(?0[0-9]{2,3}\)?[ -]?[2-9][0-9]{3}[ -]?[0-9]{3,4}(?![0-9])"), _mask_phone_match),
    # Any other number said to be a phone: 电话 88886666.
    (re.compile(r"(?:电话|手机|座机|联系方式|号码)[:：是为\s]*(?P<value>[0-9][0-9 -]{5,14}[0-9])(?![0-9])"),
     _mask_introduced_phone),
    # QQ and WeChat ids.
    (re.compile(r"(?:QQ|qq|微信|VX|vx)号?[:：是为\s]*(?P<value>[A-Za-z0-9_-]{5,20})(?![A-Za-z0-9_-])"),
     _mask_after_context),
    # A name introduced as one: 联系人：张三 → 联系人：张*.
    (re.compile(rf"(?:{'|'.join(NAME_INTRODUCERS)})[:：是为\s]*(?P<value>[{_HAN}]{{2,3}})(?![{_HAN}])"),
     _mask_introduced_name),
]

#: Text without any of these has nothing to redact (most appeal titles): it is returned at once.
_TRIGGER = re.compile(rf"[0-9\uff10-\uff19@\uff20]|QQ|qq|微信|VX|vx|{'|'.join(NAME_INTRODUCERS)}")


def redact_text(text: str | None) -> str | None:
    """Free text (titles, descriptions) with the contact details and introduced names in it masked.

    Names that nothing introduces cannot be told from other words, so they stay;
    everything else a citizen typed is kept as written.
    """
    if not text or not _TRIGGER.search(text):
        return text
    probe = text.translate(_HALF_WIDTH)
    taken: list[tuple[int, int, str]] = []
    for pattern, mask in _KINDS:
        for m in pattern.finditer(probe):
            start, end = m.span()
            if any(start < b and a < end for a, b, _ in taken):
                continue
            replacement = mask(m, text)
            if replacement is not None:
                taken.append((start, end, replacement))
    out, at = [], 0
    for start, end, replacement in sorted(taken):
        out += [text[at:start], replacement]
        at = end
    return "".join(out) + text[at:]


#: An actor that starts with a person: an optional role, then 2–4 Han characters standing alone.
_ROLE_AND_NAME = re.compile(rf"\s*(?P<role>{'|'.join(PERSON_ROLES)})?[:：\s]*(?P<name>[{_HAN}]{{2,4}})(?![{_HAN}])")


def mask_actor(actor: str | None) -> str | None:
    """Who did a workflow step: an organisation or a worker id as it is; a person (张三, 网格员张三（…）) masked."""
    text = redact_text(actor)
    if not text:
        return text
    m = _ROLE_AND_NAME.match(text)
    if not m or m.group("name").endswith(ORGANISATION_ENDINGS):
        return text
    return text[: m.start("name")] + mask_name(m.group("name")) + text[m.end("name"):]


def masked_event(event: dict) -> dict:
    """A timeline step as anyone may read it: a person named as actor masked, contact details in the note masked.

    Notes are free text a handler typed (已电话联系诉求人138…), so they get the titles' rule.
    """
    return {**event, "actor": mask_actor(event.get("actor")), "note": redact_text(event.get("note"))}


# -- coordinates and appeals ---------------------------------------------------------------


def coarse(value: float | None) -> float | None:
    """A longitude or latitude rounded to about 100 m: enough to find the place, not the doorstep."""
    return None if value is None else round(float(value), COARSE_DECIMALS)


def masked_appeal(item: dict, coarse_coordinates: bool) -> dict:
    """An appeal (or the part of one a listing selected) as it leaves the store: the reporter masked, the free
    text redacted, the point rounded if ``coarse_coordinates``."""
    out = dict(item)
    for field, mask in (("reporter_name", mask_name), ("reporter_phone", mask_phone), ("title", redact_text),
                        ("description", redact_text)):
        if field in out:
            out[field] = mask(out[field])
    if coarse_coordinates:
        for field in ("lon", "lat"):
            if field in out:
                out[field] = coarse(out[field])
    return out


# -- worker keys on the wall ---------------------------------------------------------------

#: How long a worker keeps one key on the wall: the wall reloads its layer when the keys turn over.
WORKER_KEY_SECONDS = 3600


def worker_key_period(now: datetime) -> int:
    """The number of the key period ``now`` falls in."""
    return int(now.timestamp()) // WORKER_KEY_SECONDS


def worker_key(secret: str, period: int, worker_id: str) -> str:
    """An opaque key for a worker on the wall: stable for one period (so moves can be patched in), unlinkable
    to the worker's id or to its key in any other period without the store's secret."""
    digest = hmac.new(secret.encode(), f"{period}:{worker_id}".encode(), hashlib.sha256).hexdigest()
    return "k" + digest[:16]


def masked_workers(rows: list[dict], viewer: Viewer, secret: str, now: datetime) -> tuple[list[dict], int | None]:
    """Workers (``id``, ``name``, ``grid_code``, ``lon``, ``lat`` and the rest) as they leave the store, with the
    period their keys belong to (None: the keys are the ids, which never turn over).

    Every item gets a ``key`` to patch it by. A viewer that may follow workers
    gets the id as the key and the name masked; the wall gets nameless, homeless
    points rounded to about 100 m, keyed for this period only and ordered by key,
    so neither the keys nor the order say who is who.
    """
    if viewer.shows_worker_ids:
        return [{**r, "key": r["id"], "name": mask_name(r["name"])} for r in rows], None
    period = worker_key_period(now)
    items = [{**{k: v for k, v in r.items() if k not in ("id", "name", "grid_code")},
              "key": worker_key(secret, period, r["id"]), "lon": coarse(r["lon"]), "lat": coarse(r["lat"])}
             for r in rows]
    return sorted(items, key=lambda w: w["key"]), period


# -- counts of people ----------------------------------------------------------------------

#: Counts of people (重点人群) below this are never published: they show as "<3".
MIN_COUNT = 3


def _published(low: int, high: int) -> dict:
    if low == high:
        text = str(low)
    elif low == 0:
        text = f"<{high + 1}"
    else:
        text = f"{low}–{high}"
    return {"low": low, "high": high, "text": text}


def published_count(n: int) -> dict:
    """One count of people as published: exact from MIN_COUNT on, else only "<3" (0 included: "nobody
    here has …" is a disclosure too). ``low``/``high`` bound the true value; ``text`` is what is shown."""
    n = int(n)
    return _published(n, n) if n >= MIN_COUNT else _published(0, MIN_COUNT - 1)


def published_sum(parts: Iterable[dict]) -> dict:
    """A total of published counts, computed from the published counts only, never from the true ones.

    Every figure is then a function of the published cells, so no set of totals
    (a grid's, a community's, a street's; overlapping or not) can be differenced
    back to a suppressed cell: a total with suppressed parts is the range they allow.
    """
    parts = list(parts)
    return _published(sum(p["low"] for p in parts), sum(p["high"] for p in parts))


def published_key_population(by_type: dict[str, int]) -> dict:
    """A grid's key-population counts as published: every type's count and their total."""
    cells = {kind: published_count(by_type.get(kind, 0)) for kind in KEY_POPULATION_TYPES}
    return {"key_population": published_sum(cells.values()), "key_population_by_type": cells}
