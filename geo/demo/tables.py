"""The demo generator's numbers: sub-seeds, time units, rhythms, odds and worker statuses.

Kept apart from the code so the knobs that make the numbers look like
Laoshan's can be read and tuned in one place. The wording (names, places,
appeal text) is in :mod:`geo.demo.text`.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo import domain

# --------------------------------------------------------------------------- constants
# Sub-seed tags: each consumer of randomness gets its own stream, so adding a
# draw in one place never shifts the numbers drawn somewhere else.
TAG_WORKERS = 1
TAG_GRIDS = 2
TAG_ADDRESSES = 3
TAG_PLAN = 4
TAG_STORMS = 5
TAG_DAY = 6
TAG_POSITIONS = 7
TAG_PLANT = 8

DAY_S = 86_400
HOUR_S = 3_600
LOCAL_OFFSET_S = 8 * HOUR_S
REPEAT_WINDOW_S = 30 * DAY_S

#: Real-world size the defaults are tuned to (崂山区: 863 basic grids).
REF_GRIDS = 863
REF_WORKERS = (("full_time", 920), ("industry", 240), ("window", 140))

RURAL_STREETS = ("370212002", "370212003", "370212004")
SCENIC_STREETS = ("370212002", "370212003", "370212004")
URBAN_STREETS = ("370212001", "370212005")

# --------------------------------------------------------------------------- rhythms
# Source mix, and the factor applied on weekends and public holidays.
SOURCE_SHARE = (
    ("wechat", 0.35, 1.00),
    ("hotline_12345", 0.30, 0.90),
    ("city_management", 0.12, 0.70),
    ("grid_patrol", 0.13, 0.30),
    ("police_110", 0.05, 1.15),
    ("enterprise", 0.05, 0.75),
)
#: Kind shares (livelihood, development, enforcement) per source; 80/8/12 overall.
SOURCE_KINDS = (
    ("wechat", (0.91, 0.03, 0.06)),
    ("hotline_12345", (0.84, 0.09, 0.07)),
    ("city_management", (0.70, 0.0, 0.30)),
    ("grid_patrol", (0.80, 0.0, 0.20)),
    ("police_110", (0.80, 0.0, 0.20)),
    ("enterprise", (0.10, 0.85, 0.05)),
)
#: Relative weight of each category within its kind.
CATEGORY_BASE = (
    ("property_management", 17), ("sanitation", 13), ("noise", 8), ("heating", 3), ("water_supply", 5),
    ("drainage", 3), ("power_gas", 4), ("road_facilities", 9), ("greening", 4), ("traffic_parking", 10),
    ("education", 4), ("healthcare", 3), ("social_security", 4), ("elderly_care", 3),
    ("neighbour_dispute", 6), ("scenic_area", 1.5),
    ("policy_consulting", 35), ("employment", 20), ("business_permits", 25), ("financing", 10),
    ("business_environment", 10),
    ("illegal_construction", 22), ("street_vending", 30), ("food_safety", 18), ("wage_arrears", 12),
    ("pollution", 18),
)
#: What each channel hears about more (or less) than average.
SOURCE_CATEGORY_TILT = (
    ("wechat", (("property_management", 1.3), ("noise", 1.2), ("traffic_parking", 1.2))),
    ("hotline_12345", (("social_security", 2.0), ("education", 1.5), ("healthcare", 1.5), ("heating", 1.5),
                       ("water_supply", 1.5), ("power_gas", 1.5))),
    ("city_management", (("sanitation", 3.0), ("road_facilities", 3.0), ("greening", 2.5), ("drainage", 2.0),
                         ("traffic_parking", 1.5), ("street_vending", 2.0), ("illegal_construction", 1.5),
                         ("education", 0.05), ("healthcare", 0.05), ("social_security", 0.02),
                         ("elderly_care", 0.1), ("neighbour_dispute", 0.1), ("heating", 0.2),
                         ("wage_arrears", 0.05), ("food_safety", 0.3), ("property_management", 0.4),
                         ("noise", 0.5))),
    ("grid_patrol", (("sanitation", 2.5), ("road_facilities", 2.0), ("neighbour_dispute", 2.5),
                     ("elderly_care", 2.5), ("greening", 1.5), ("illegal_construction", 2.0),
                     ("street_vending", 1.5), ("social_security", 0.3), ("education", 0.3), ("heating", 0.5),
                     ("wage_arrears", 0.3))),
    ("police_110", (("noise", 4.0), ("neighbour_dispute", 5.0), ("traffic_parking", 2.0), ("wage_arrears", 3.0),
                    ("education", 0.1), ("social_security", 0.1), ("healthcare", 0.2), ("greening", 0.1))),
    ("enterprise", (("power_gas", 4.0), ("water_supply", 2.0), ("road_facilities", 2.0),
                    ("traffic_parking", 2.0), ("wage_arrears", 3.0), ("food_safety", 0.5))),
)
#: Relative appeals per local hour 0..23 (piecewise constant within the hour).
HOURLY = (
    ("wechat", (0.5, 0.25, 0.12, 0.08, 0.08, 0.15, 0.5, 1.4, 3.5, 6.5, 7.0, 5.8, 3.5, 3.8, 5.8, 6.3,
                5.8, 4.5, 2.8, 3.0, 3.2, 2.8, 1.8, 0.9)),
    ("hotline_12345", (1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.5, 5.0, 6.5, 6.5, 5.5, 4.0, 4.5, 5.5, 5.5,
                       5.0, 4.5, 3.5, 3.5, 3.5, 3.0, 2.2, 1.5)),
    ("city_management", (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.6, 2.0, 5.0, 7.5, 7.5, 6.0, 2.5, 3.5, 6.5,
                         7.0, 6.0, 4.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.2)),
    ("grid_patrol", (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.3, 5.0, 8.0, 8.0, 5.0, 1.0, 2.0, 6.0,
                     7.0, 6.0, 2.0, 0.3, 0.1, 0.05, 0.02, 0.02, 0.02)),
    ("police_110", (2.5, 2.0, 1.5, 1.0, 0.8, 0.8, 1.2, 2.5, 4.0, 5.0, 5.0, 4.5, 4.0, 4.0, 4.5, 4.5,
                    4.5, 4.5, 5.0, 5.5, 5.5, 5.0, 4.0, 3.2)),
    ("enterprise", (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.5, 5.0, 8.0, 8.0, 6.0, 2.0, 4.0, 7.0,
                    7.5, 6.5, 4.0, 1.0, 0.4, 0.3, 0.2, 0.1, 0.05)),
)
#: Overall volume by month (Jan..Dec): busier in the rainy summer, quieter around Spring Festival.
MONTH_VOLUME = (0.95, 0.92, 1.0, 1.0, 1.0, 1.03, 1.1, 1.1, 1.0, 0.97, 1.0, 1.0)
#: Lunar New Year's Day by year; the holiday runs from the eve to day 6.
SPRING_FESTIVAL = (
    (2021, "2021-02-12"), (2022, "2022-02-01"), (2023, "2023-01-22"), (2024, "2024-02-10"),
    (2025, "2025-01-29"), (2026, "2026-02-17"), (2027, "2027-02-06"), (2028, "2028-01-26"),
    (2029, "2029-02-13"), (2030, "2030-02-03"),
)
STORMS_PER_YEAR = 6

#: Share of urgent appeals per category (base 3%); storms make drainage urgent.
URGENT = (
    ("water_supply", 0.24), ("power_gas", 0.26), ("food_safety", 0.22), ("drainage", 0.14),
    ("heating", 0.08), ("road_facilities", 0.06), ("noise", 0.05), ("property_management", 0.06),
    ("wage_arrears", 0.10), ("pollution", 0.08), ("neighbour_dispute", 0.06), ("elderly_care", 0.07),
    ("scenic_area", 0.08), ("traffic_parking", 0.05),
)
URGENT_BASE = 0.05
URGENT_STORM_DRAINAGE = 0.5

# Workflow outcome mix and escalation odds.
P_LATE_DISPATCH = 0.03
P_STUCK = 0.045
P_LATE_CLOSE = 0.05
P_STUCK_FEEDBACK = 0.35
#: P(street), P(district) as the final handling level, for ordinary and complex categories.
ESCALATE = ((0.20, 0.07), (0.35, 0.17))
P_REPEAT = 0.11
P_RATED = 0.85
P_RESOLVED = (0.955, 0.85)  # on time, late
#: P(satisfied, basically satisfied) given resolved / unresolved.
SATISFACTION_GIVEN = ((0.91, 0.08), (0.30, 0.25))

# Worker statuses (patrolling, handling, standby, offline) by local hour band.
STATUS_DAY = (0.55, 0.30, 0.12, 0.03)
STATUS_EDGE = (0.20, 0.12, 0.43, 0.25)
STATUS_NIGHT = (0.05, 0.05, 0.30, 0.60)
STATUS_WINDOW_DAY = (0.10, 0.55, 0.32, 0.03)
STATUS_KEEP = 0.75
#: Metres moved per minute by status (offline pings repeat the last fix).
SPEED_M_PER_MIN = (45.0, 6.0, 2.0, 0.0)
NEAR_GRID_DEG = 0.0009  # about 100 m north-south, 80 m east-west at 36°N

# --------------------------------------------------------------------------- codes
# The domain's codes in a fixed order: array indices in the generator are positions in these.
SOURCE_CODES = tuple(domain.SOURCES)
CATEGORY_CODES = tuple(c.code for c in domain.CATEGORIES)
KIND_CODES = tuple(domain.KINDS)
HANDLING_LEVEL_CODES = tuple(domain.HANDLING_LEVELS)
STATUS_CODES = domain.STATUS_ORDER
WORKER_STATUS_CODES = tuple(domain.WORKER_STATUSES)


def index(codes: Sequence[str]) -> dict[str, int]:
    """Position of each code, for turning codes into array indices."""
    return {c: i for i, c in enumerate(codes)}
