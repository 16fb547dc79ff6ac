"""What writers may send: appeals, workflow events and worker positions, validated with pydantic.

Every rule a payload can break is checked here, before the store sees it, so
a rejected item gets a reason a person can act on and the store only ever
receives clean, WGS-84, timezone-aware values.

Coordinates must fall inside Laoshan or within :data:`MARGIN_M` metres of its
land boundary (a hotline operator's pin on the beach, a GPS fix off the pier).
Points inside that margin but outside every grid go to the nearest grid.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import numpy as np
import shapely
from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from geo import clock, reference
from geo.crs import KM_PER_DEG_LAT, gcj02_to_wgs84, km_per_deg_lon
from geo.domain import (
    CATEGORY_BY_CODE,
    HANDLING_LEVELS,
    KINDS,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    STATUSES,
    WORKER_STATUSES,
)

#: How far outside the district's land a point may lie and still be accepted.
MARGIN_M = 500
#: Largest batch one POST may carry.
MAX_BATCH = 1000
#: Clocks drift; an event this far in the future is still accepted.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Deepest nesting of arrays and objects a body may have (ours need three: a batch object, its list, an item);
#: far below the interpreter's recursion limit, so parsing, validating and filing a body never exhaust the stack.
MAX_DEPTH = 32

#: What no text field may hold: C0 controls, DEL and C1 controls, the non-characters U+FFFE/U+FFFF, lone
#: surrogates. They are never typed by a person, XLSX (XML) cannot hold them and PostgreSQL refuses NUL.
CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: The same for multi-line free text (a description), which may keep tab, line feed and carriage return.
CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: Fields that are multi-line free text; every other text field is a single line.
MULTILINE_FIELDS = frozenset({"description"})


def control_character_problem(value: str, multiline: bool = False) -> str | None:
    """Why a text is refused for holding a control character, or None: one rule for every writer's field."""
    found = (CONTROL_IN_TEXT if multiline else CONTROL_IN_LINE).search(value)
    if found is None:
        return None
    allowed = "（仅允许制表符和换行）" if multiline else "（单行文本不能含制表符或换行）"
    return f"含不允许的控制字符 U+{ord(found.group()):04X}（第 {found.start() + 1} 个字符）{allowed}"


_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.S)
#: Opening brackets step one level in, closing ones one out; every other byte is dropped before counting.
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


def nesting_depth(raw: str) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without recursion (strings do not count)."""
    steps = _JSON_STRING.sub("", raw).encode("utf-8", "surrogatepass").translate(_DEPTH_STEP, _NOT_BRACKET)
    if not steps:
        return 0
    return int(np.frombuffer(steps, dtype=np.int8).cumsum(dtype=np.int64).max())


def parse_json(raw: str):
    """A JSON body, nested at most :data:`MAX_DEPTH` deep; anything else is a ValueError saying why, in Chinese."""
    if nesting_depth(raw) > MAX_DEPTH:
        raise ValueError(f"嵌套超过 {MAX_DEPTH} 层")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("不是有效的 JSON") from None


@functools.cache
def _district_area() -> tuple[shapely.Geometry, list[float]]:
    """The district's land buffered by the margin, in a local metric plane, and that plane's metres per degree."""
    land = shapely.union_all([shapely.geometry.shape(f["geometry"])
                              for f in reference.read_geojson("district")["features"]])
    scale = [1000 * float(km_per_deg_lon(land.centroid.y)), 1000 * KM_PER_DEG_LAT]
    metric = shapely.transform(land, lambda xy: xy * scale)
    area = metric.buffer(MARGIN_M)
    shapely.prepare(area)
    return area, scale


def inside_laoshan(lon: float, lat: float) -> bool:
    area, (x_scale, y_scale) = _district_area()
    return bool(shapely.contains_xy(area, lon * x_scale, lat * y_scale))


def _code(vocabulary: dict, what: str):
    def check(value: str) -> str:
        if value not in vocabulary:
            raise ValueError(f"未知的{what} {value!r}，可选：{', '.join(vocabulary)}")
        return value

    return check


Text = Annotated[str, Field(min_length=1, max_length=200)]


class Payload(BaseModel):
    """What every writer's item shares: no unknown fields, trimmed text, and no control characters in any text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            problem = control_character_problem(value, info.field_name in MULTILINE_FIELDS)
            if problem:
                raise ValueError(problem)
        return value


class Located(Payload):
    """A point with its datum; GCJ-02 points are moved to WGS-84 and everything is range-checked."""

    lon: float = Field(allow_inf_nan=False)
    lat: float = Field(allow_inf_nan=False)
    crs: Literal["wgs84", "gcj02"] = "wgs84"

    @model_validator(mode="after")
    def _to_wgs84_inside_laoshan(self):
        if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise ValueError(f"坐标超出经纬度范围：lon={self.lon}, lat={self.lat}（是否把经纬度写反了？）")
        if self.crs == "gcj02":
            lon, lat = gcj02_to_wgs84(self.lon, self.lat)
            self.lon, self.lat, self.crs = float(lon), float(lat), "wgs84"
        if not inside_laoshan(self.lon, self.lat):
            raise ValueError(f"坐标 ({self.lon:.6f}, {self.lat:.6f}) 不在崂山区内，也不在其边界外 {MARGIN_M} 米以内")
        return self


def _time_in_range(value: datetime | None, now: datetime | None = None) -> datetime | None:
    if value is None:
        return value
    now = now or clock.now()
    if value < EARLIEST:
        raise ValueError("时间早于 2000-01-01")
    if value > now + CLOCK_SKEW:
        raise ValueError(f"时间 {value.isoformat()} 晚于当前时间")
    return value.astimezone(UTC)


class AppealIn(Located):
    """One appeal, with the field names of the ``/api/appeals`` items."""

    source: str
    source_ref: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
    kind: str
    category: str
    priority: str = "normal"
    title: Text
    description: str = Field(default="", max_length=4000)
    reporter_name: str | None = Field(default=None, max_length=50)
    reporter_phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9][0-9-]{2,19}$")
    accepted_at: AwareDatetime | None = None

    _source = field_validator("source")(_code(SOURCES, "来源"))
    _kind = field_validator("kind")(_code(KINDS, "诉求类型"))
    _category = field_validator("category")(_code(CATEGORY_BY_CODE, "诉求类别"))
    _priority = field_validator("priority")(_code(PRIORITIES, "紧急程度"))
    _accepted = field_validator("accepted_at")(_time_in_range)

    def record(self, now: datetime) -> dict:
        """The store's row: accepted_at defaults to now, and a new appeal starts as 受理, handled by its community."""
        return {
            **self.model_dump(exclude={"crs"}),
            "accepted_at": self.accepted_at or now,
            "status": "accepted",
            "handling_level": "community",
        }


class EventIn(Payload):
    """A workflow event: the status the appeal moves to (see :mod:`geo.workflow`)."""

    to_status: str
    at: AwareDatetime | None = None
    actor: Text
    #: The handling level the event moves the appeal to (an escalation raises it); default: unchanged.
    #: Writers built before the field had its own name send it as ``level``: still accepted.
    handling_level: str | None = Field(default=None, validation_alias=AliasChoices("handling_level", "level"))
    #: The department that has the case at this step (承办部门), and what was done (办理说明; masked when read).
    department: str | None = Field(default=None, min_length=1, max_length=64)
    note: str | None = Field(default=None, min_length=1, max_length=500)
    #: Required on 回访 (visited): was the problem solved, and the citizen's rating if given.
    resolved: bool | None = None
    satisfaction: str | None = None
    reopen: bool = False
    #: The writer's own id for the event; a retry with the same ref is not applied twice.
    ref: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")

    _status = field_validator("to_status")(_code(STATUSES, "状态"))
    _at = field_validator("at")(_time_in_range)

    @field_validator("handling_level")
    @classmethod
    def _handling_level(cls, value):
        return None if value is None else _code(HANDLING_LEVELS, "处置层级")(value)

    @field_validator("satisfaction")
    @classmethod
    def _satisfaction(cls, value):
        return None if value is None else _code(SATISFACTION, "满意度")(value)

    @model_validator(mode="after")
    def _visit_has_outcome(self):
        if self.to_status == "visited" and self.resolved is None:
            raise ValueError("回访事件须给出 resolved（是否解决）")
        if self.to_status != "visited" and (self.resolved is not None or self.satisfaction is not None):
            raise ValueError("resolved 与 satisfaction 只属于回访（visited）事件")
        return self


class PositionIn(Located):
    """One GPS ping of a grid worker."""

    worker_id: str = Field(min_length=1, max_length=16)
    at: AwareDatetime
    status: str

    _status = field_validator("status")(_code(WORKER_STATUSES, "网格员状态"))
    _at = field_validator("at")(_time_in_range)


def reasons(error: ValidationError) -> list[str]:
    """A validation error as one readable line per problem, naming the field."""
    out = []
    for item in error.errors(include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "payload"
        message = item["msg"].removeprefix("Value error, ")
        ctx = item.get("ctx") or {}
        message = _MESSAGES.get(item["type"], message).format(**{k: ctx.get(k, "") for k in _CTX_KEYS})
        out.append(f"{field}: {message}")
    return out


_CTX_KEYS = ("min_length", "max_length", "expected", "pattern")
#: Chinese for pydantic's usual complaints; anything else keeps pydantic's own English text.
_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "timezone_aware": "时间必须带时区，例如 2026-11-28T09:30:00+08:00",
    "datetime_parsing": "不是有效的 ISO 8601 时间",
    "datetime_from_date_parsing": "不是有效的 ISO 8601 时间",
    "datetime_type": "应为 ISO 8601 时间字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_type": "应为字符串",
    "string_unicode": "含孤立的代理字符，不是有效的 Unicode 文本",
    "string_pattern_mismatch": "格式不对",
    "literal_error": "应为 {expected} 之一",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
}
