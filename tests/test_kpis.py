"""The KPI formulas, pinned on hand-computed numbers."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from geo.kpis import STAGE_TIMES, appeal_kpi_flags, compute, derive_appeal_fields, derive_appeal_record

COUNTS = {
    "accepted": 200, "closed": 180, "closed_on_time": 170, "overdue_open": 12, "responded_on_time": 190,
    "visited": 150, "resolved": 141, "rated": 120, "satisfied": 117, "close_seconds": 180 * 36 * 3600 + 1800,
}


def test_every_kpi_has_its_numerator_and_denominator():
    k = {key: kpi.as_dict() for key, kpi in compute(COUNTS).items()}
    assert k["accepted"] == {"value": 200, "numerator": 200, "denominator": None}
    assert k["closed"] == {"value": 180, "numerator": 180, "denominator": None}
    assert k["closure_rate"] == {"value": 0.9, "numerator": 180, "denominator": 200}
    # 按期办结率 = closed on time / (closed + open past deadline) = 170 / 192
    assert k["on_time_rate"] == {"value": 0.8854, "numerator": 170, "denominator": 192}
    assert k["response_rate"] == {"value": 0.95, "numerator": 190, "denominator": 200}
    assert k["resolution_rate"] == {"value": 0.94, "numerator": 141, "denominator": 150}
    assert k["satisfaction_rate"] == {"value": 0.975, "numerator": 117, "denominator": 120}
    assert k["overdue_open"] == {"value": 12, "numerator": 12, "denominator": None}
    # 36 h each plus half an hour in all: 6480.5 h over 180 appeals.
    assert k["mean_hours_to_close"] == {"value": 36.0, "numerator": 6480.5, "denominator": 180}


def test_nothing_to_divide_gives_none_not_zero():
    k = compute({})
    assert k["closure_rate"].value is None and k["closure_rate"].denominator == 0
    assert k["on_time_rate"].value is None
    assert k["mean_hours_to_close"].value is None
    assert k["accepted"].value == 0


# -- the flags behind the sums: one rule for bulk writes and workflow events ------------------------

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CASES = [  # (dispatched after, closed after, expected responded, closed in time, seconds)
    (timedelta(hours=1), timedelta(days=2), 1, 1, 2 * 86400),
    (timedelta(hours=30), timedelta(days=9), 0, 0, 9 * 86400),  # dispatched after 24 h, closed after 7 days
    (timedelta(hours=24), timedelta(days=7), 1, 1, 7 * 86400),  # exactly at the deadlines counts as in time
    (None, None, 0, 0, None),  # still open: no flags, no duration
    (timedelta(minutes=5, microseconds=900_000), timedelta(hours=3, microseconds=999_999), 1, 1, 3 * 3600),  # to the second
]


def test_one_appeal_and_a_whole_column_get_the_same_flags():
    rows = [{"accepted_at": T0, "dispatched_at": T0 + d if d is not None else None,
             "closed_at": T0 + c if c is not None else None,
             "response_deadline": T0 + timedelta(hours=24), "deadline": T0 + timedelta(days=7)}
            for d, c, *_ in CASES]
    expected = [{"responded_on_time": r, "closed_on_time": k, "close_seconds": s} for *_, r, k, s in CASES]
    flags = ("responded_on_time", "closed_on_time", "close_seconds")
    assert [{k: appeal_kpi_flags(row)[k] for k in flags} for row in rows] == expected
    frame = pd.DataFrame({"category": ["noise"] * len(rows), "priority": ["normal"] * len(rows),
                          **{c: [row.get(c) for row in rows] for c in STAGE_TIMES}})
    derive_appeal_fields(frame)  # deadlines from the category: noise, normal → 24 h and 7 days
    assert [{"responded_on_time": int(r.responded_on_time), "closed_on_time": int(r.closed_on_time),
             "close_seconds": None if pd.isna(r.close_seconds) else int(r.close_seconds)}
            for r in frame.itertuples()] == expected


def test_one_new_appeal_is_derived_like_a_bulk_frame():
    """The live path (one record, no frame) and the bulk path give the same deadlines, flags and settling,
    open or closed (the live path skips pandas for an open appeal)."""
    rows = [{"category": "noise", "priority": "normal", "accepted_at": T0,
             "dispatched_at": T0 + d if d is not None else None, "in_progress_at": None, "feedback_at": None,
             "visited_at": T0 + c if c is not None else None, "closed_at": T0 + c if c is not None else None}
            for d, c, *_ in CASES]
    frame = pd.DataFrame(rows)
    derive_appeal_fields(frame)
    derived = ("response_deadline", "deadline", "responded_on_time", "closed_on_time", "close_seconds", "settled_at",
               "settle_class")
    for row, (_, bulk) in zip(rows, frame.iterrows(), strict=True):
        live = derive_appeal_record(row)
        for name in derived:
            expected = None if pd.isna(bulk[name]) else bulk[name]
            assert live[name] == expected, (name, live[name], expected)
    assert sum(derive_appeal_record(r)["settle_class"] is not None for r in rows) == 4  # closed ones settle
