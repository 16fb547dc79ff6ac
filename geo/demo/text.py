"""The demo generator's wording: people's names, phone prefixes, place words and appeal text.

Everything a leader reads on screen (a reporter's name, a title, a
description) is assembled from these tables, so they carry Laoshan's
surnames, roads and villages.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- names
# (surname, relative weight): national frequencies, tilted towards Jiaodong,
# where 王 刘 张 李 孙 姜 于 are far more common than in the south.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 11.0), ("李", 7.5), ("张", 7.5), ("刘", 7.0), ("陈", 2.6), ("杨", 2.6), ("赵", 2.2),
    ("黄", 0.9), ("周", 1.3), ("吴", 0.8), ("徐", 1.3), ("孙", 3.6), ("胡", 0.8), ("朱", 0.9),
    ("高", 1.4), ("林", 0.8), ("何", 0.5), ("郭", 0.9), ("马", 1.0), ("罗", 0.3), ("梁", 0.5),
    ("宋", 1.2), ("郑", 0.8), ("谢", 0.4), ("韩", 0.9), ("唐", 0.5), ("冯", 0.6), ("于", 3.0),
    ("董", 0.8), ("萧", 0.05), ("程", 0.4), ("曹", 0.6), ("袁", 0.4), ("邓", 0.3), ("许", 0.6),
    ("傅", 0.3), ("沈", 0.3), ("曾", 0.15), ("彭", 0.3), ("吕", 0.6), ("苏", 0.5), ("卢", 0.4),
    ("蒋", 0.3), ("蔡", 0.3), ("贾", 0.4), ("丁", 0.6), ("魏", 0.5), ("薛", 0.4), ("叶", 0.3),
    ("阎", 0.2), ("余", 0.2), ("潘", 0.3), ("杜", 0.4), ("戴", 0.2), ("夏", 0.3), ("钟", 0.2),
    ("汪", 0.2), ("田", 0.5), ("任", 0.4), ("姜", 2.8), ("范", 0.4), ("方", 0.3), ("石", 0.4),
    ("姚", 0.3), ("谭", 0.2), ("廖", 0.1), ("邹", 0.2), ("熊", 0.1), ("金", 0.4), ("陆", 0.2),
    ("郝", 0.3), ("孔", 0.4), ("白", 0.3), ("崔", 0.6), ("康", 0.2), ("毛", 0.2), ("邱", 0.2),
    ("秦", 0.3), ("江", 0.2), ("史", 0.3), ("顾", 0.1), ("侯", 0.3), ("邵", 0.2), ("孟", 0.4),
    ("龙", 0.1), ("万", 0.2), ("段", 0.2), ("雷", 0.2), ("钱", 0.2), ("汤", 0.1), ("尹", 0.3),
    ("黎", 0.05), ("易", 0.05), ("常", 0.3), ("武", 0.3), ("乔", 0.3), ("贺", 0.2), ("赖", 0.05),
    ("龚", 0.1), ("文", 0.2),
)
#: One-character given names, and the two halves of two-character ones.
GIVEN_SINGLE = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华鹏浩宇欣婷雪琳晨博斌凯佳慧峰鑫颖蕾倩健")
GIVEN_FIRST = tuple("子文志建国海晓春玉秀丽俊家思雨梓欣宇浩明永新立德振红金晨佳美淑桂凤长利云世嘉")
GIVEN_SECOND = tuple("华明伟强军平峰涛杰磊辉鹏斌超宁燕芳娟梅玲霞婷丽静敏琳萍莉洁颖涵轩阳博然睿雯英兰刚")
#: Mobile prefixes in use in China that start 13/15/17/18/19.
PHONE_PREFIXES = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193, 195, 198, 199,
)

# --------------------------------------------------------------------------- place words
# Per street: (road or area words for built-up grids, village words for rural grids).
STREET_PLACES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("370212001", ("海尔路", "株洲路", "银川东路", "秦岭路", "辽阳东路", "劲松七路", "仙霞岭路", "枣山路"), ()),
    ("370212005", ("香港东路", "苗岭路", "金岭路", "云岭路", "深圳路", "海口路", "松岭路", "同安路"), ()),
    (
        "370212002",
        ("崂山路", "滨海大道", "沙子口"),
        ("登瀛村", "流清河村", "东麦窑村", "西麦窑村", "段家埠村", "南窑村", "姜哥庄村"),
    ),
    (
        "370212003",
        ("王哥庄", "滨海大道"),
        ("青山村", "黄山村", "雕龙嘴村", "港东村", "晓望村", "返岭村"),
    ),
    ("370212004", ("北宅",), ("卧龙村", "我乐村", "双石屋村", "乌衣巷村", "东陈村")),
)

# --------------------------------------------------------------------------- appeal text
#: The wording of appeals, per category: places in built-up areas, places in villages, and issues, each a
#: title and a detail and optionally places of its own. Titles read "<place word><place><title>",
#: descriptions "<lead><place word><place><detail>，<request>。". Content, not code: kept as JSON so it
#: can be read and edited as the text it is.
APPEAL_TEXT = Path(__file__).with_name("appeal_text.json")


@functools.cache
def category_text() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[Any, ...], ...]], ...]:
    """(category, built-up places, village places, issues); an issue is (title, detail[, built-up, village])."""
    rows = json.loads(APPEAL_TEXT.read_text(encoding="utf-8"))
    return tuple(
        (row["category"], tuple(row["built_up"]), tuple(row["villages"]),
         tuple((i["title"], i["detail"], *((tuple(i["built_up"]), tuple(i["villages"])) if "built_up" in i else ()))
               for i in row["issues"]))
        for row in rows
    )


#: Lead-in per source (first report, repeat report) and the accepting actor.
SOURCE_TEXT: tuple[tuple[str, str, str, str, str], ...] = (
    # code, ref prefix, lead, repeat lead, accepting actor
    ("wechat", "LXB", "群众通过崂先办反映，", "群众再次通过崂先办反映，", "崂先办平台"),
    ("hotline_12345", "12345", "市民来电反映，", "市民再次来电反映，", "12345热线坐席"),
    ("city_management", "SZCG", "数字城管监督员上报，", "数字城管监督员再次上报，", "数字城管监督中心"),
    ("police_110", "110", "110转来非警务警情，", "110再次转来非警务警情，", "110指挥中心"),
    ("grid_patrol", "WG", "网格员巡查发现，", "网格员再次巡查发现，", "社区网格员"),
    ("enterprise", "QY", "企业通过服务专线反映，", "企业再次通过服务专线反映，", "企业服务专线坐席"),
)
#: Sources whose reporter is a member of the public, so repeat reports happen.
CITIZEN_SOURCES = ("wechat", "hotline_12345", "police_110", "enterprise")
PATROL_SOURCES = ("city_management", "grid_patrol")
REQUESTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("livelihood", ("希望尽快处理", "请相关部门核实处理", "希望相关部门协调解决", "请尽快安排人员查看")),
    ("development", ("希望相关部门给予指导", "请相关部门协助解决", "希望尽快答复")),
    ("enforcement", ("请执法部门依法查处", "希望相关部门依法处理", "请尽快核查处理")),
    ("patrol", ("已拍照上报", "需相关部门处置")),
)
