"""The KPI formulas, pinned on hand-computed numbers."""

from geo.kpis import compute
from geo.privacy import mask_name, mask_phone, redact_text

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


def test_masking():
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name(None) is None
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("85551234") == "******34"



def test_contact_details_are_redacted_from_free_text():
    assert redact_text("电话 13812345678 或 0532-88886666") == "电话 *** 或 ***"
    assert redact_text("身份证 37021219900101123X，邮箱 a.b@qq.com") == "身份证 ***，邮箱 ***"
    assert redact_text("3号楼2单元 2026年11月 路灯不亮") == "3号楼2单元 2026年11月 路灯不亮"
    assert redact_text(None) is None
