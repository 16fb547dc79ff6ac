"""Finding units by what people type: part of the Chinese name, or its pinyin, whole or by initials.

A leader types 中韩, zhonghan, zh or zhsq (中韩社区: z-h-s-q) and expects the same
unit. Each character of a name is a syllable; a query matches when it runs
through consecutive syllables, taking from each a non-empty start of one of
its readings (pypinyin gives every reading of a polyphone, so 长 matches c and z).
Plain functions, no I/O: the caller brings the units it may show.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, pinyin

#: Longer queries are cut to this: no unit name is longer, and matching stays cheap whatever is sent.
MAX_QUERY = 40
#: Levels in the order results are listed when they match equally well.
LEVEL_ORDER = ("district", "street", "community", "grid")
_PINYIN_QUERY = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Candidate:
    """A unit that may be found: level, code, name."""

    level: str
    code: str
    name: str


def clean_query(text) -> str:
    """What of a typed query is used: text only, control and format characters dropped, spaces squeezed, cut short."""
    if not isinstance(text, str):
        return ""
    kept = "".join(" " if ch.isspace() else ch for ch in text[: MAX_QUERY * 4]
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:MAX_QUERY]


def readings(names: list[str]) -> dict[str, tuple[str, ...]]:
    """Every pinyin reading (lower case, no tones) of each Han character in ``names``, one pypinyin call per character."""
    chars = sorted({ch for name in names for ch in name if "\u4e00" <= ch <= "\u9fff"})
    return {ch: tuple(dict.fromkeys(r.lower() for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))
            for ch in chars}


def syllables(name: str, by_char: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A name as a list of syllables, each the readings it may be typed as (a digit or letter reads as itself)."""
    return [by_char.get(ch) or (ch.lower(),) for ch in name]


def pinyin_match(query: str, parts: list[tuple[str, ...]]) -> int | None:
    """The syllable where ``query`` (lower-case letters/digits) starts matching, or None if it matches nowhere."""
    def runs(at: int, pos: int) -> bool:
        if pos == len(query):
            return True
        if at == len(parts):
            return False
        for reading in parts[at]:
            n = 0
            while n < len(reading) and pos + n < len(query) and reading[n] == query[pos + n]:
                n += 1
                if runs(at + 1, pos + n):
                    return True
        return False

    for start in range(len(parts)):
        if runs(start, 0):
            return start
    return None


def score(query: str, name: str, parts: list[tuple[str, ...]]) -> int | None:
    """How well a unit name matches (lower is better): exact, name starts with it, contains it, then pinyin; None: no match."""
    if not query:
        return None
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if query in name:
        return 2
    compact = query.lower().replace(" ", "")
    if not _PINYIN_QUERY.fullmatch(compact.rstrip("0123456789")) or not compact[0].isalpha():
        return None
    start = pinyin_match(compact, parts)
    if start is None:
        return None
    return 3 if start == 0 else 4


def find_units(query: str, candidates: list[Candidate], limit: int = 8) -> list[Candidate]:
    """The best-matching units, best first; ties go to the higher level, then the code."""
    query = clean_query(query)
    if not query:
        return []
    by_char = readings([c.name for c in candidates])
    scored = []
    for c in candidates:
        s = score(query, c.name, syllables(c.name, by_char))
        if s is not None:
            scored.append((s, LEVEL_ORDER.index(c.level), c.code, c))
    return [c for *_, c in sorted(scored, key=lambda x: x[:3])[:limit]]
