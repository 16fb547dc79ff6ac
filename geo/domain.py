"""The domain vocabulary: one English code per Chinese term, with its label.

Codes are what the store, the API and the URL carry; labels are what people
read. Keeping both here means no other module spells a Chinese term itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

#: Asia/Shanghai has had no DST since 1991, so a fixed offset is exact.
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

DISTRICT_CODE = "370212"
DISTRICT_NAME = "崂山区"
#: 崂先办 went live on this day; the demo history starts here.
LAUNCH_DATE = "2022-10-20"
#: Default seed of the demo data, so a fresh install shows the same demo everywhere.
DEMO_SEED = 20221020

#: Official 9-digit street (街道) codes, NBS 2023.
STREETS: dict[str, str] = {
    "370212001": "中韩街道",
    "370212002": "沙子口街道",
    "370212003": "王哥庄街道",
    "370212004": "北宅街道",
    "370212005": "金家岭街道",
}

#: Drill-down levels, coarse to fine. The API's ``scope`` takes these.
LEVELS = ("district", "street", "community", "grid")
LEVEL_LABELS = {"district": "区", "street": "街道", "community": "社区", "grid": "网格"}

#: Appeal sources (诉求来源).
SOURCES: dict[str, str] = {
    "wechat": "崂先办公众号",
    "hotline_12345": "12345热线",
    "city_management": "数字城管",
    "police_110": "110非警务警情",
    "grid_patrol": "网格员巡查",
    "enterprise": "企业服务专线",
}

#: Appeal kinds (诉求类型).
KINDS: dict[str, str] = {
    "livelihood": "民生诉求",
    "development": "发展诉求",
    "enforcement": "执法诉求",
}

PRIORITIES: dict[str, str] = {"urgent": "紧急", "normal": "一般"}


@dataclass(frozen=True)
class Category:
    """An appeal category (诉求类别) and the rules that come with it."""

    code: str
    label: str
    kind: str
    department: str
    #: Complex cases get 15 days to close instead of 7.
    complex: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category("property_management", "物业管理", "livelihood", "区住房城乡建设局"),
    Category("sanitation", "环境卫生", "livelihood", "区城市管理局"),
    Category("noise", "噪音扰民", "livelihood", "区生态环境分局"),
    Category("heating", "供暖", "livelihood", "区住房城乡建设局"),
    Category("water_supply", "供水", "livelihood", "区水务局"),
    Category("drainage", "排水防汛", "livelihood", "区水务局"),
    Category("power_gas", "供电供气", "livelihood", "区发展改革局"),
    Category("road_facilities", "道路设施", "livelihood", "区城市管理局"),
    Category("greening", "园林绿化", "livelihood", "区城市管理局"),
    Category("traffic_parking", "交通停车", "livelihood", "区交通运输局"),
    Category("education", "教育", "livelihood", "区教育和体育局"),
    Category("healthcare", "医疗卫生", "livelihood", "区卫生健康局"),
    Category("social_security", "社会保障", "livelihood", "区人力资源社会保障局"),
    Category("elderly_care", "养老服务", "livelihood", "区民政局"),
    Category("neighbour_dispute", "邻里纠纷", "livelihood", "街道综治中心", complex=True),
    Category("scenic_area", "景区管理", "livelihood", "崂山风景区管理局"),
    Category("policy_consulting", "企业政策咨询", "development", "区发展改革局"),
    Category("employment", "用工招聘", "development", "区人力资源社会保障局"),
    Category("business_permits", "审批服务", "development", "区行政审批服务局"),
    Category("financing", "融资需求", "development", "区财政局"),
    Category("business_environment", "营商环境", "development", "区发展改革局", complex=True),
    Category("illegal_construction", "违章建筑", "enforcement", "区综合行政执法局", complex=True),
    Category("street_vending", "占道经营", "enforcement", "区综合行政执法局"),
    Category("food_safety", "食品安全", "enforcement", "区市场监督管理局"),
    Category("wage_arrears", "欠薪维权", "enforcement", "区人力资源社会保障局", complex=True),
    Category("pollution", "环境污染", "enforcement", "区生态环境分局"),
)
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
CATEGORY_LABELS: dict[str, str] = {c.code: c.label for c in CATEGORIES}

#: Deadlines by priority, in hours: (respond within, close within).
#: 紧急: respond in 2 h, close in 24 h. 一般: 24 h and 7 days; complex: 15 days.
DEADLINE_HOURS: dict[tuple[str, bool], tuple[int, int]] = {
    ("urgent", False): (2, 24),
    ("urgent", True): (2, 24),
    ("normal", False): (24, 7 * 24),
    ("normal", True): (24, 15 * 24),
}


def deadline_hours(category: str, priority: str) -> tuple[int, int]:
    """(response, closure) deadline in hours for a category and priority."""
    return DEADLINE_HOURS[(priority, CATEGORY_BY_CODE[category].complex)]


#: Workflow stages in order (受理 → 派单 → 办理 → 反馈 → 回访 → 办结).
STATUSES: dict[str, str] = {
    "accepted": "受理",
    "dispatched": "派单",
    "in_progress": "办理",
    "feedback": "反馈",
    "visited": "回访",
    "closed": "办结",
}
STATUS_ORDER = tuple(STATUSES)

#: Handling levels; an appeal escalates community → street → district.
HANDLING_LEVELS: dict[str, str] = {"community": "社区", "street": "街道", "district": "区"}

SATISFACTION: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}

WORKER_TYPES: dict[str, str] = {"full_time": "专职网格员", "industry": "行业网格员", "window": "窗口网格员"}
WORKER_STATUSES: dict[str, str] = {
    "patrolling": "巡查中",
    "handling": "处置中",
    "standby": "待命",
    "offline": "离线",
}

#: Key-population types (重点人群). Only counts per grid are ever stored.
KEY_POPULATION_TYPES: dict[str, str] = {
    "disabled": "残疾人",
    "elderly_80plus": "高龄老人",
    "elderly_alone": "独居老人",
    "low_income": "低保对象",
    "extreme_poverty": "特困人员",
    "children_in_need": "困境儿童",
    "veterans_priority": "重点优抚对象",
    "mental_health": "严重精神障碍患者",
}

#: The 8 professional grids (专业网格) merged with the basic grids.
PROFESSIONAL_TYPES: dict[str, str] = {
    "police": "公安",
    "emergency": "应急",
    "law_enforcement": "综合执法",
    "market_supervision": "市场监管",
    "fire": "消防",
    "environment": "生态环境",
    "transport": "交通",
    "health": "卫生健康",
}

#: The heat map's lattice over Laoshan's land (WGS-84 degrees; cells about 135 m × 167 m). The store keeps
#: per-cell rollups on it (geo.store.rollups), so the lattice belongs to the data, not only to the drawing.
HEAT_ORIGIN = (120.400, 36.050)
HEAT_CELL = 0.0015
HEAT_SHAPE = (214, 196)  # columns (lon), rows (lat)
