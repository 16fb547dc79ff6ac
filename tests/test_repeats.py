"""Repeat appeals: planted groups of paraphrased reports are found, distractors stay out.

The planted texts are written the way citizens retell a problem (灯坏了 / 照明损坏 / 又反映：灯不亮), with
masked phone numbers, so the test checks the text similarity on paraphrases, not on copies as in the demo.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from geo import crs
from geo.analysis import repeats

T0 = pd.Timestamp("2026-09-01 09:00", tz="Asia/Shanghai")
#: Where each planted problem is: (lon, lat), kilometres apart.
JINXIU = (120.4600, 36.1000)
ZHUZHOU = (120.4300, 36.0900)
DENGYING = (120.6200, 36.1500)
LIAOYANG = (120.4800, 36.1500)

#: (group, category, place, [(day, metres east, metres north, title, description)]).
PLANTED: tuple[tuple[str, str, tuple[float, float], tuple[tuple[float, float, float, str, str], ...]], ...] = (
    ("lamp", "property_management", JINXIU, (
        (0, 0, 0, "锦绣苑小区3号楼楼道灯坏了", "市民来电反映，锦绣苑小区3号楼楼道灯坏了好几天，晚上上下楼看不见，联系电话138****5678。"),
        (3, 8, -5, "锦绣苑小区3号楼楼道照明损坏", "群众通过崂先办反映，锦绣苑小区3号楼楼道照明损坏一直没人修，希望尽快处理。"),
        (9, -6, 4, "又反映：锦绣苑小区3号楼楼道灯不亮", "市民再次来电反映，锦绣苑小区3号楼楼道灯不亮，之前反映过还没有修好。"),
        (16, 3, 12, "锦绣苑小区3号楼楼道灯一直不亮", "锦绣苑3号楼楼道里的灯坏了半个月了，物业一直没人来修，请尽快安排维修。"),
    )),
    ("lift", "property_management", JINXIU, (
        (1, 5, 5, "锦绣苑小区3号楼电梯故障停运", "锦绣苑小区3号楼电梯经常故障停运，老人上下楼不便。"),
        (6, -4, 2, "锦绣苑小区3号楼电梯又坏了", "锦绣苑小区3号楼电梯又停了，已经第三次了，电话139****0011。"),
        (12, 2, -8, "锦绣苑3号楼电梯经常停运", "再次反映锦绣苑3号楼电梯故障频繁，经常停运，物业维修不及时。"),
    )),
    ("barbecue", "noise", ZHUZHOU, (
        (2, 0, 0, "株洲路烧烤店夜间噪音扰民", "株洲路一家烧烤店每天营业到凌晨两点，顾客喧哗声音很大，影响休息。"),
        (4, 15, 3, "株洲路烧烤店深夜喧哗", "再次反映株洲路烧烤店深夜顾客喧哗吵闹，严重影响周边居民休息。"),
        (5, -10, 8, "又是株洲路烧烤店吵到凌晨", "株洲路烧烤店又吵到凌晨，噪音扰民问题一直没有解决，联系电话139****1234。"),
    )),
    ("sewer", "drainage", DENGYING, (
        (0, 0, 0, "登瀛村村口下水道堵塞", "登瀛村村口下水道堵塞，污水外溢，味道很大。"),
        (2, 10, 0, "登瀛村村口污水外溢", "登瀛村村口的下水道又堵了，污水流到路上，希望尽快疏通。"),
        (5, -12, 6, "登瀛村村口下水道堵了还没修", "反映过的登瀛村村口下水道堵塞问题还没处理，污水外溢发臭。"),
        (8, 20, -15, "登瀛村下水道又堵了", "村口下水道再次堵塞，污水横流，请相关部门尽快疏通。"),
        (13, 4, 4, "再次反映登瀛村村口下水道堵塞", "登瀛村村口下水道堵塞反映多次了，污水一直往外冒。"),
    )),
    ("streetlight", "road_facilities", LIAOYANG, (
        (0, 0, 0, "辽阳东路路灯不亮", "辽阳东路与秦岭路路口附近多盏路灯不亮，夜间行走不安全。"),
        (1, 20, 0, "辽阳东路路灯坏了", "辽阳东路路口的路灯坏了好几盏，晚上黑乎乎的。"),
        (3, 40, 5, "辽阳东路晚上路灯不亮", "辽阳东路晚上路灯一直不亮，反映过一次了。"),
        (4, -25, 10, "辽阳东路路灯还是不亮", "辽阳东路路灯还是不亮，请尽快维修，电话186****2222。"),
        (7, 10, -20, "辽阳东路多盏路灯不亮", "辽阳东路多盏路灯不亮已经一周，过往行人看不清路。"),
        (10, 30, 30, "又反映辽阳东路路灯", "又反映辽阳东路路灯不亮的问题，至今没有修好。"),
    )),
)
LAMP = PLANTED[0][3]
#: (why it must stay out, category, place, day, metres east, metres north, title, description).
DISTRACTORS = (
    ("same problem 5 km away", "property_management", JINXIU, 4, 5_000, 0, *LAMP[0][3:]),
    ("same problem 3 km away", "property_management", JINXIU, 8, 0, -3_000, *LAMP[2][3:]),
    ("same place, another category", "power_gas", JINXIU, 5, 2, 2, *LAMP[1][3:]),
    ("same place, another problem", "property_management", JINXIU, 7, 0, 3, "锦绣苑小区物业费收取争议",
     "锦绣苑小区物业公司上调物业费，业主对收费标准有异议。"),
    ("same place, another problem", "property_management", JINXIU, 10, -3, 0, "锦绣苑小区3号楼门禁失灵",
     "锦绣苑小区3号楼门禁系统失灵，外来人员随意进出，联系电话137****0000。"),
    ("same place, another problem", "noise", ZHUZHOU, 3, 5, 0, "株洲路某工地夜间施工噪音",
     "株洲路某工地夜间22点后仍在施工，打桩声很大。"),
    ("same place, another problem", "drainage", DENGYING, 4, 0, 5, "登瀛村雨后积水严重", "登瀛村村口雨后积水严重，车辆通行困难。"),
    ("same problem, two months later", "property_management", JINXIU, 16 + 45, 0, 0, *LAMP[3][3:]),
    ("same problem, two months later", "property_management", JINXIU, 16 + 50, 5, 0, *LAMP[2][3:]),
)


def point(place: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lon, lat = place
    return (lon + east_m / 1000 / float(crs.km_per_deg_lon(lat)), lat + north_m / 1000 / crs.KM_PER_DEG_LAT)


def row(appeal_id: int, category: str, place, day, east, north, title, description) -> dict:
    lon, lat = point(place, east, north)
    return {"id": appeal_id, "category": category, "grid_code": f"G{round(place[0] * 100)}",
            "community_code": f"C{round(place[0] * 10)}", "street_code": "370212001", "lon": lon, "lat": lat,
            "accepted_at": T0 + pd.Timedelta(days=day, minutes=appeal_id), "title": title,
            "description": description}


def planted_frame() -> tuple[pd.DataFrame, dict[str, set[int]]]:
    """The planted groups and the distractors, shuffled, with the ids of each planted group."""
    rows, truth = [], {}
    for name, category, place, reports in PLANTED:
        truth[name] = set()
        for report in reports:
            truth[name].add(len(rows) + 1)
            rows.append(row(len(rows) + 1, category, place, *report))
    for _, category, place, *rest in DISTRACTORS:
        rows.append(row(len(rows) + 1, category, place, *rest))
    return pd.DataFrame(rows).sample(frac=1.0, random_state=7).reset_index(drop=True), truth


def test_planted_groups_are_found_exactly_and_distractors_stay_out():
    frame, truth = planted_frame()
    groups = repeats.find_repeats(frame)
    found = [set(g.ids) for g in groups]
    flagged_pairs = {p for ids in found for p in itertools.combinations(sorted(ids), 2)}
    true_pairs = {p for ids in truth.values() for p in itertools.combinations(sorted(ids), 2)}
    precision = len(flagged_pairs & true_pairs) / len(flagged_pairs)
    recall = len(flagged_pairs & true_pairs) / len(true_pairs)
    assert (precision, recall) == (1.0, 1.0)
    assert sorted(map(sorted, found)) == sorted(map(sorted, truth.values()))


def test_groups_carry_their_place_time_and_a_representative_title():
    frame, truth = planted_frame()
    groups = repeats.find_repeats(frame)
    assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)
    lamp = next(g for g in groups if set(g.ids) == truth["lamp"])
    assert lamp.category == "property_management"
    assert (lamp.grid_code, lamp.community_code, lamp.street_code) == ("G12046", "C1205", "370212001")
    assert lamp.lon == pytest.approx(JINXIU[0], abs=1e-4) and lamp.lat == pytest.approx(JINXIU[1], abs=1e-4)
    assert lamp.first_accepted_at == T0 + pd.Timedelta(days=0, minutes=1)
    assert lamp.last_accepted_at == T0 + pd.Timedelta(days=16, minutes=4)
    assert lamp.ids == tuple(sorted(lamp.ids)) and lamp.count == 4
    assert lamp.title in {r[3] for r in LAMP}
    assert 0.3 < lamp.mean_similarity < 1.0  # retold, not copied
    for g in groups:
        assert g.first_accepted_at.tzinfo is not None


def test_groups_of_different_problems_never_share_an_appeal():
    frame, _ = planted_frame()
    seen: set[int] = set()
    for group in repeats.find_repeats(frame, min_similarity=0.5, min_size=2):
        assert not seen & set(group.ids)
        seen |= set(group.ids)


def test_each_rule_keeps_its_distractor_out():
    frame, truth = planted_frame()
    lamp_ids = truth["lamp"]
    by_id = frame.set_index("id")
    distractor_ids = set(by_id.index) - set().union(*truth.values())
    late = {i for i in distractor_ids if by_id.loc[i, "accepted_at"] > T0 + pd.Timedelta(days=40)}
    pairs = repeats.find_repeats(frame, min_size=2)
    # The two late reports are a repeat of their own (five days apart); nothing else joins anything.
    assert {i for g in pairs for i in g.ids} & distractor_ids == late
    assert late in [set(g.ids) for g in pairs]
    # Without the period rule the late reports join the lamp group: the period is what kept them out.
    wide = repeats.find_repeats(frame, period_days=60)
    assert any(late <= set(g.ids) and lamp_ids <= set(g.ids) for g in wide)


def test_text_ignores_digits_masks_punctuation_and_boilerplate():
    masked = repeats.text_tokens("市民来电反映：锦绣苑3号楼楼道灯坏了，电话138****5678！")
    plain = repeats.text_tokens("又反映 锦绣苑5号楼楼道灯坏了 电话 13812345678")
    assert masked == plain
    assert not any(ch.isdigit() or ch in "*：，！ " for ch in "".join(masked))
    features = repeats.text_features(["市民来电反映：锦绣苑3号楼楼道灯坏了，电话138****5678！", "又反映 锦绣苑5号楼楼道灯坏了 电话 13812345678"])
    assert repeats.pair_similarity(features, np.array([[0, 1]]))[0] == pytest.approx(1.0)


def test_empty_single_and_missing_columns():
    frame, _ = planted_frame()
    assert repeats.find_repeats(frame.iloc[:0]) == []
    assert repeats.find_repeats(frame.iloc[:1]) == []
    assert repeats.candidate_pairs(frame.iloc[:1]).shape == (0, 2)
    with pytest.raises(ValueError, match="description"):
        repeats.find_repeats(frame.drop(columns="description"))


def test_rows_without_a_position_are_left_out():
    frame, truth = planted_frame()
    lost = min(truth["sewer"])
    frame.loc[frame["id"] == lost, ["lon", "lat"]] = float("nan")
    sewer = next(g for g in repeats.find_repeats(frame) if g.category == "drainage")
    assert set(sewer.ids) == truth["sewer"] - {lost}


def test_deterministic_whatever_the_row_order():
    frame, _ = planted_frame()
    first = repeats.find_repeats(frame)
    assert repeats.find_repeats(frame) == first
    assert repeats.find_repeats(frame.iloc[::-1].reset_index(drop=True)) == first


def test_candidate_pairs_respect_radius_and_period_exactly():
    frame = pd.DataFrame([row(1, "noise", ZHUZHOU, 0, 0, 0, "甲", "甲"), row(2, "noise", ZHUZHOU, 0, 99, 0, "甲", "甲"),
                          row(3, "noise", ZHUZHOU, 0, 0, 101, "甲", "甲"), row(4, "noise", ZHUZHOU, 31, 0, 0, "甲", "甲"),
                          row(5, "sanitation", ZHUZHOU, 0, 0, 0, "甲", "甲")])
    pairs = repeats.candidate_pairs(frame, radius_m=100, period_days=30)
    assert {tuple(frame["id"].to_numpy()[p]) for p in pairs} == {(1, 2)}
