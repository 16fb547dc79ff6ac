"""Scopes (the part of the district a query covers) and time windows.

Codes are hierarchical (district 6 digits, street 9, community 12, grid 15),
so "inside" is a prefix test. That is what lets the store authorize every
query in one place.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from geo.domain import (
    CATEGORY_BY_CODE,
    DISTRICT_CODE,
    KINDS,
    LAUNCH_DATE,
    LEVEL_LABELS,
    LEVELS,
    LOCAL_TZ,
    SOURCES,
    STATUSES,
)

CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


class InvalidQuery(ValueError):
    """The caller asked for something malformed: a bad code, date, filter value or parameter.

    Its message is shown to users and API clients as it is, so it is Chinese: a parameter is named
    by :func:`param_label`, and only what the caller typed is quoted back.
    """


#: What each query parameter means, for messages (the dashboard's notices and the API's errors).
PARAM_LABELS = {
    "scope": "范围层级", "id": "单位编码", "from": "起始日期", "to": "结束日期",
    "range": "快捷时间范围", "kind": "诉求类型", "category": "诉求类别", "source": "来源", "status": "状态",
    "layers": "图层", "metric": "着色指标", "pro": "专业网格类型", "as_of": "数据截至时间",
    "crs": "坐标系", "limit": "条数上限", "offset": "起始序号", "tour": "轮播间隔", "refresh": "刷新间隔",
    "scale": "导出倍数", "pending": "仅未重放", "parent": "上级编码",
}


def param_label(name: str) -> str:
    """A parameter's Chinese name; one without a label is named by itself (its name is what the caller typed)."""
    return PARAM_LABELS.get(name, name)


def quoted(value: object, limit: int = 40) -> str:
    """A value the caller typed, quoted back (cut short: it may be anything)."""
    text = str(value)
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


@dataclass(frozen=True)
class Scope:
    level: str
    code: str

    @classmethod
    def parse(cls, level: str | None, code: str | None) -> Scope:
        """Validates the shape only; whether the unit exists is the store's call."""
        level = (level or "district").strip()
        if level not in LEVELS:
            raise InvalidQuery(f"未知的范围层级{quoted(level)}，应为{'、'.join(LEVEL_LABELS.values())}之一")
        if level == "district" and not code:
            code = DISTRICT_CODE
        code = (code or "").strip()
        if not re.fullmatch(rf"[0-9]{{{CODE_LENGTH[level]}}}", code):
            raise InvalidQuery(f"{LEVEL_LABELS[level]}编码应为 {CODE_LENGTH[level]} 位数字，收到{quoted(code)}")
        if not code.startswith(DISTRICT_CODE):
            raise InvalidQuery(f"编码 {code} 不属于崂山区（{DISTRICT_CODE}）")
        return cls(level, code)

    @classmethod
    def from_code(cls, code: object) -> Scope:
        """The scope a bare code names, its level read from its length."""
        code = str(code) if isinstance(code, (str, int)) else ""
        level = LEVEL_BY_LENGTH.get(len(code))
        if level is None:
            raise InvalidQuery(f"无法识别的编码{quoted(code, 20)}")
        return cls.parse(level, code)

    def contains(self, other: Scope) -> bool:
        return other.code.startswith(self.code)


DISTRICT = Scope("district", DISTRICT_CODE)


@dataclass(frozen=True)
class Window:
    """A half-open window ``[start, end)`` of local (Asia/Shanghai) dates."""

    start: date
    end: date

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date, default_days: int = 30) -> Window:
        """Missing ``to`` means tomorrow (so today counts); missing ``from``, ``default_days`` earlier."""
        end_date = parse_date(end, "to") if end else today + timedelta(days=1)
        start_date = parse_date(start, "from") if start else max(end_date - timedelta(days=default_days), EARLIEST)
        if start_date > end_date:
            raise InvalidQuery(f"起始日期 {start_date} 晚于结束日期 {end_date}")
        return cls(start_date, end_date)

    @property
    def start_instant(self) -> datetime:
        return datetime.combine(self.start, time(0), LOCAL_TZ)

    @property
    def end_instant(self) -> datetime:
        return datetime.combine(self.end, time(0), LOCAL_TZ)

    def previous(self) -> Window:
        """The window of equal length just before this one (环比)."""
        length = self.end - self.start
        return Window(self.start - length, self.start)

    def year_before(self) -> Window:
        """The same dates one year earlier (同比); 29 February becomes the 28th."""
        return Window(_year_earlier(self.start), _year_earlier(self.end))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


#: What a window is compared with: 环比 (the window just before) and 同比 (a year before).
COMPARISON_BASES = ("previous", "year_ago")


@dataclass(frozen=True)
class Comparison:
    """A window to compare the view's with, evaluated at the same age.

    An earlier window has simply had longer to close its appeals, so it is read
    as of ``as_of`` moved back by as much as the window: 办结率 over 近7天 is then
    compared with the previous 7 days as they stood 7 days ago, not as they stand now.
    """

    basis: str
    window: Window
    as_of: datetime

    @classmethod
    def of(cls, basis: str, window: Window, as_of: datetime) -> Comparison:
        other = {"previous": window.previous, "year_ago": window.year_before}[basis]()
        return cls(basis, other, as_of - (window.start_instant - other.start_instant))

    @property
    def before_launch(self) -> bool:
        """Whether the window starts before 崂先办 existed, so its numbers would be partial."""
        return self.window.start < date.fromisoformat(LAUNCH_DATE)


#: Dates outside this range are typing errors, and would overflow date arithmetic.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def parse_date(raw: str, name: str) -> date:
    raw = raw.strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError
        value = date.fromisoformat(raw)
    except ValueError:
        raise InvalidQuery(f"{param_label(name)}{quoted(raw)}不是有效日期，应为“年-月-日”，例如 2026-11-01") from None
    return check_date_range(value, name)


def check_date_range(value: date, name: str) -> date:
    if not EARLIEST <= value <= LATEST:
        raise InvalidQuery(f"{param_label(name)} {value.isoformat()} 超出支持范围 {EARLIEST} 至 {LATEST}")
    return value


@dataclass(frozen=True)
class Filters:
    """Appeal filters shared by the API, the dashboard URL and the exports.

    Each field is a tuple of codes; empty means "all".
    """

    kind: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    status: tuple[str, ...] = ()

    @classmethod
    def parse(cls, params) -> Filters:
        """From query parameters (comma-separated codes); unknown codes are an error, not ignored."""
        allowed = {"kind": KINDS, "category": CATEGORY_BY_CODE, "source": SOURCES, "status": STATUSES}
        return cls(**{name: parse_codes(params.get(name), vocabulary, name) for name, vocabulary in allowed.items()})

    def is_empty(self) -> bool:
        """No filter set: the view counts every appeal of its scope and window."""
        return not (self.kind or self.category or self.source or self.status)

    def as_params(self) -> dict[str, str]:
        return {
            name: ",".join(getattr(self, name))
            for name in ("kind", "category", "source", "status")
            if getattr(self, name)
        }


def parse_codes(raw: str | None, vocabulary: Container[str], name: str) -> tuple[str, ...]:
    """A comma-separated code list, deduplicated and sorted; an unknown code is an error, not ignored."""
    codes = tuple(sorted({c.strip() for c in (raw or "").split(",") if c.strip()}))
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise InvalidQuery(f"{param_label(name)}含未知取值：{quoted(', '.join(unknown))}")
    return codes


#: Frozen, so one shared default is safe.
NO_FILTERS = Filters()
