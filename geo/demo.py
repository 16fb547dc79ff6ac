"""Deterministic demo data: grid workers, their GPS pings and 崂先办 appeals.

Leaders judge the dashboard by whether its numbers look like Laoshan's, so the
generator models the rhythms they know (office hours, quiet weekends, the
heating season, summer storms, holiday crowds at the scenic area, a few
stubborn cases that never close) instead of drawing uniform noise. Every value
derives from one seed, and appeals stream out in chronological chunks, so a
million of them are reproducible and fit in bounded memory.

Only :func:`generate_workers`, :func:`generate_positions` and
:func:`generate_appeals` are public; everything else is a private helper.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geo import domain

# --------------------------------------------------------------------------- constants
# Sub-seed tags: each consumer of randomness gets its own stream, so adding a
# draw in one place never shifts the numbers drawn somewhere else.
_TAG_WORKERS = 1
_TAG_GRIDS = 2
_TAG_ADDRESSES = 3
_TAG_PLAN = 4
_TAG_STORMS = 5
_TAG_DAY = 6
_TAG_POSITIONS = 7

_DAY_S = 86_400
_HOUR_S = 3_600
_LOCAL_OFFSET_S = 8 * _HOUR_S
_REPEAT_WINDOW_S = 30 * _DAY_S
_NAT = np.iinfo(np.int64).min

#: Real-world size the defaults are tuned to (崂山区: 863 basic grids).
_REF_GRIDS = 863
_REF_WORKERS = (("full_time", 920), ("industry", 240), ("window", 140))

_RURAL_STREETS = ("370212002", "370212003", "370212004")
_SCENIC_STREETS = ("370212002", "370212003", "370212004")
_URBAN_STREETS = ("370212001", "370212005")

# --------------------------------------------------------------------------- names
# (surname, relative weight): national frequencies, tilted towards Jiaodong,
# where 王 刘 张 李 孙 姜 于 are far more common than in the south.
_SURNAMES: tuple[tuple[str, float], ...] = (
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
_GIVEN_SINGLE = tuple("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华鹏浩宇欣婷雪琳晨博斌凯佳慧峰鑫颖蕾倩健")
_GIVEN_FIRST = tuple("子文志建国海晓春玉秀丽俊家思雨梓欣宇浩明永新立德振红金晨佳美淑桂凤长利云世嘉")
_GIVEN_SECOND = tuple("华明伟强军平峰涛杰磊辉鹏斌超宁燕芳娟梅玲霞婷丽静敏琳萍莉洁颖涵轩阳博然睿雯英兰刚")
#: Mobile prefixes in use in China that start 13/15/17/18/19.
_PHONE_PREFIXES = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193, 195, 198, 199,
)

# --------------------------------------------------------------------------- place words
# Per street: (road or area words for built-up grids, village words for rural grids).
_STREET_PLACES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
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
# category -> (places in built-up areas, places in villages, issues). An issue is
# (title, detail) or (title, detail, its own built-up places, its own village places).
# Titles read "<place word><place><title>", descriptions
# "<lead><place word><place><detail>，<request>。".
_CATEGORY_TEXT: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[Any, ...], ...]], ...] = (
    ("property_management", ("某小区", "某花园小区", "某公寓"), ("某安置小区",), (
        ("电梯故障停运", "电梯近一周多次故障停运，老人上下楼十分不便"),
        ("物业费收取争议", "物业公司上调物业费未公示依据，业主对收费标准有异议"),
        ("楼道照明损坏", "楼道声控灯损坏多日无人维修，夜间出行存在安全隐患"),
        ("门禁系统失灵", "门禁系统失灵，外来人员随意进出"),
        ("地下车库渗水", "地下车库顶部渗水严重，车辆停放受影响"),
        ("消防通道被占用", "消防通道长期被私家车占用，物业管理不到位"),
    )),
    ("sanitation", ("附近路段", "某小区", "某菜市场周边", "公交站附近"), ("村内", "村口", "河道边"), (
        ("垃圾清运不及时", "垃圾桶满溢多日未清运，异味较大"),
        ("建筑垃圾乱倒", "有人随意倾倒建筑垃圾，影响通行和环境"),
        ("公厕卫生差", "公共厕所长期无人打扫，卫生状况较差"),
        ("道路保洁不到位", "路面积尘和落叶较多，保洁不及时"),
        ("垃圾分类设施损坏", "垃圾分类投放点设施损坏，居民无法正常投放"),
    )),
    ("noise", ("某小区", "某商铺", "某工地", "某广场"), ("村内", "村广场"), (
        ("夜间施工噪音扰民", "夜间22点后仍在施工，噪音影响居民休息", ("某工地", "某小区"), ("村内",)),
        ("广场舞音响扰民", "广场舞音响音量过大，持续到晚间", ("某广场", "某小区"), ("村广场",)),
        ("外放音乐扰民", "门口音箱长时间外放音乐，噪音较大", ("某商铺",), ("村内",)),
        ("装修噪音扰民", "有住户在休息时间装修施工，噪音扰民", ("某小区",), ("村内",)),
        ("夜间喧哗扰民", "顾客夜间喧哗至凌晨，影响周边居民休息", ("某烧烤店",), ("某农家宴",)),
    )),
    ("heating", ("某小区", "某花园小区"), ("某安置小区",), (
        ("室内温度不达标", "供暖以来室内温度仅十四五度，达不到供暖标准"),
        ("暖气不热", "家中暖气片上热下凉，多次联系供热公司未解决"),
        ("供暖管道漏水", "楼内供暖管道漏水，影响正常供暖"),
        ("供暖费缴纳咨询", "居民咨询供暖费缴纳方式及停供办理流程"),
    )),
    ("water_supply", ("某小区", "附近路段"), ("村内",), (
        ("突发停水", "突然停水，事先未发布停水通知"),
        ("自来水发黄", "家中自来水发黄有异味，担心水质问题"),
        ("水压过低", "高层住户水压过低，用水困难"),
        ("供水管道破裂", "路边供水管道破裂，大量自来水外溢"),
    )),
    ("drainage", ("附近路段", "某小区", "某路口", "地下通道"), ("村内", "河道边"), (
        ("雨后积水严重", "降雨后路面积水严重，行人车辆通行困难"),
        ("下水道堵塞外溢", "下水道堵塞，污水外溢并散发异味"),
        ("雨水井盖缺失", "雨水井盖缺失，存在安全隐患"),
        ("排水沟淤堵", "排水沟长期淤堵，汛期存在内涝风险"),
    )),
    ("power_gas", ("某小区", "附近路段", "某商铺"), ("村内",), (
        ("突然停电", "突然停电，未收到停电通知"),
        ("楼道燃气异味", "楼道内闻到明显燃气异味，担心泄漏", ("某小区",), ("某安置小区",)),
        ("燃气开户咨询", "新房办理燃气开户手续，不清楚办理流程", ("某小区",), ("村内",)),
        ("电压不稳", "家中电压不稳，电器经常跳闸"),
    )),
    ("road_facilities", ("附近路段", "某路口", "人行道", "公交站附近"), ("村内道路", "村口"), (
        ("路面坑洼破损", "路面出现多处坑洼，雨天积水影响通行"),
        ("路灯不亮", "多盏路灯不亮，夜间照明不足"),
        ("井盖松动", "井盖松动，车辆经过时异响且有安全隐患"),
        ("地砖破损翘起", "地砖破损翘起，行人容易绊倒"),
        ("道路护栏损坏", "道路护栏被撞损坏，未及时修复"),
    )),
    ("greening", ("附近路段", "某小区", "某公园"), ("村内", "山脚"), (
        ("树木遮挡采光", "树木过高遮挡低层住户采光，希望修剪", ("某小区",), ("村内",)),
        ("公共绿地被毁种菜", "公共绿地被人毁坏改种蔬菜"),
        ("枯死树木未清理", "枯死树木长期未清理，存在倒伏风险"),
        ("绿化带杂草丛生", "绿化带杂草丛生，缺少养护"),
    )),
    ("traffic_parking", ("附近路段", "某路口", "某小区门口", "某学校门口"), ("村口",), (
        ("车辆乱停乱放", "车辆乱停乱放，占用行车道造成拥堵"),
        ("信号灯故障", "信号灯故障，交通秩序混乱"),
        ("停车位不足", "周边停车位严重不足，居民停车困难"),
        ("公交候车时间长", "公交班次少，高峰时段候车时间过长"),
    )),
    ("education", ("某学校", "某幼儿园", "某小区"), ("村内",), (
        ("入学政策咨询", "家长咨询孩子入学划片范围和报名所需材料", ("某小区",), ("村内",)),
        ("培训机构退费难", "校外培训机构停课后拒绝退还剩余课时费", ("某培训机构",), ("某培训机构",)),
        ("上下学交通拥堵", "上下学时段门口车辆拥堵，学生安全存在隐患", ("某学校", "某幼儿园"), ("村小学",)),
        ("幼儿园学位紧张", "附近公办幼儿园学位紧张，希望增加学位", ("某小区",), ("村内",)),
    )),
    ("healthcare", ("某社区卫生服务中心", "某诊所"), ("村卫生室",), (
        ("疫苗接种预约咨询", "居民咨询疫苗接种预约方式和接种时间"),
        ("家庭医生签约咨询", "居民咨询家庭医生签约流程和服务内容"),
        ("涉嫌无证行医", "有人涉嫌无资质行医，存在安全隐患"),
        ("开诊时间短", "开诊时间短，老人看病不便"),
    )),
    ("social_security", ("某小区居民", "某企业职工"), ("村民",), (
        ("咨询养老保险补缴", "咨询城乡居民养老保险补缴政策和办理渠道"),
        ("医保报销未到账", "医保报销材料提交已久，报销款仍未到账"),
        ("咨询失业金申领", "咨询失业保险金申领条件和线上办理流程"),
        ("社保卡补办咨询", "社保卡丢失，咨询补办地点和所需材料"),
    )),
    ("elderly_care", ("某小区", "某养老院"), ("村内", "村幸福院"), (
        ("高龄津贴申领咨询", "咨询80岁以上老人高龄津贴申领流程", ("某小区",), ("村内",)),
        ("建议设老年助餐点", "老人较多，希望设置老年助餐点", ("某小区",), ("村内",)),
        ("独居老人需要帮扶", "独居老人行动不便，生活需要帮扶", ("某小区",), ("村内",)),
        ("养老服务不到位", "养老护理服务不到位，家属不满意", ("某养老院",), ("村幸福院",)),
    )),
    ("neighbour_dispute", ("某小区", "某住宅楼"), ("村内",), (
        ("漏水引发邻里纠纷", "楼上卫生间漏水至楼下，双方协商未果"),
        ("楼道堆物引发纠纷", "邻居在楼道长期堆放杂物，多次沟通无果"),
        ("宅基地边界纠纷", "两户因宅基地边界问题发生争执", ("某小区",), ("村内",)),
        ("犬只吠叫扰邻", "邻居饲养犬只夜间吠叫，影响休息"),
    )),
    ("scenic_area", ("景区入口", "景区停车场", "游客服务中心"), ("景区入口", "登山步道", "景区停车场"), (
        ("景区周边道路拥堵", "节假日停车场车满，周边道路拥堵严重"),
        ("私收停车费", "有人私自收取停车费，价格不透明"),
        ("返程游客滞留", "游客较多，返程车辆排队时间过长"),
        ("商贩强行拉客", "有商贩强行拉客兜售"),
        ("步道护栏损坏", "登山步道护栏损坏，存在安全隐患"),
    )),
    ("policy_consulting", ("某科技公司", "某企业", "某商贸公司"), ("某茶叶合作社", "某民宿"), (
        ("咨询高企认定政策", "咨询高新技术企业认定条件及申报时间"),
        ("咨询稳岗补贴", "咨询稳岗返还补贴申领条件和发放进度"),
        ("咨询研发费用加计扣除", "咨询研发费用加计扣除政策适用范围"),
        ("咨询人才引进政策", "咨询高层次人才引进奖励和住房补贴政策"),
    )),
    ("employment", ("某企业", "某科技公司", "某酒店"), ("某民宿", "某茶叶合作社"), (
        ("急需招聘技术工人", "急需招聘技术工人，希望协助对接人力资源"),
        ("招聘会参会咨询", "咨询参加区里组织的招聘会流程"),
        ("就业见习补贴咨询", "咨询申报就业见习基地和见习补贴"),
    )),
    ("business_permits", ("某企业", "某餐饮店", "某商户"), ("某民宿", "某农家宴"), (
        ("营业执照变更咨询", "咨询营业执照经营范围变更所需材料"),
        ("审批进度缓慢", "许可申请提交多日，审批进度缓慢"),
        ("民宿备案办理咨询", "咨询民宿备案和消防验收办理流程", ("某民宿",), ("某民宿",)),
        ("食品经营许可咨询", "咨询食品经营许可证办理条件和时限", ("某餐饮店",), ("某农家宴",)),
    )),
    ("financing", ("某科技公司", "某企业"), ("某茶叶合作社",), (
        ("流动资金贷款需求", "扩大生产需要流动资金，希望对接银行贷款"),
        ("贷款贴息政策咨询", "咨询中小企业贷款贴息政策申请条件"),
        ("应急转贷咨询", "咨询应急转贷资金使用条件"),
    )),
    ("business_environment", ("某企业", "某科技公司", "某商户"), ("某民宿",), (
        ("门前施工影响经营", "门前道路长期施工围挡，影响正常经营"),
        ("扶持资金未兑现", "已申报的扶持资金迟迟未兑现"),
        ("涉企检查过多", "短期内接受多次重复检查，影响生产经营"),
        ("水电气接入慢", "新厂房水电气接入办理周期过长"),
    )),
    ("illegal_construction", ("某小区", "某商铺"), ("村内", "某户"), (
        ("楼顶私搭乱建", "有人在楼顶搭建彩钢板房", ("某小区",), ("村内",)),
        ("私圈公共绿地", "一楼住户私自圈占公共绿地建院墙", ("某小区",), ("村内",)),
        ("未批先建", "有人未经审批建房", ("某小区",), ("村内", "某户")),
        ("违规外扩搭建", "商户违规外扩搭建雨棚", ("某商铺",), ("某商户",)),
    )),
    ("street_vending", ("附近路段", "某路口", "某学校门口", "某菜市场周边"), ("村口",), (
        ("流动摊贩占道经营", "流动摊贩占用人行道经营，影响通行"),
        ("夜间烧烤占道", "夜间烧烤摊占道经营，油烟和垃圾较多"),
        ("商户店外经营", "商户在店外摆放货品经营"),
        ("早市占用车道", "早市摊位占用机动车道，早高峰拥堵"),
    )),
    ("food_safety", ("某餐饮店", "某超市", "某外卖店", "某食堂"), ("某农家宴", "某小卖部"), (
        ("后厨卫生差", "后厨卫生条件差，存在食品安全隐患", ("某餐饮店", "某食堂"), ("某农家宴",)),
        ("销售过期食品", "购买到过期食品，要求处理", ("某超市",), ("某小卖部",)),
        ("涉嫌无证经营", "疑似无证经营，食品来源不明", ("某外卖店", "某餐饮店"), ("某农家宴",)),
        ("就餐后身体不适", "就餐后出现腹泻症状，怀疑食材有问题", ("某餐饮店", "某食堂"), ("某农家宴",)),
    )),
    ("wage_arrears", ("某工地", "某企业", "某装修公司"), ("某工地",), (
        ("农民工工资拖欠", "务工人员完工数月，工资仍被拖欠", ("某工地",), ("某工地",)),
        ("拖欠员工工资", "拖欠员工两个月工资", ("某企业", "某装修公司"), ("某企业",)),
        ("离职工资未结清", "员工离职后未按约定结清工资", ("某企业", "某酒店"), ("某民宿",)),
    )),
    ("pollution", ("某工地", "某餐饮店", "某企业", "附近河道"), ("村内", "河道边"), (
        ("扬尘污染", "未采取覆盖措施，扬尘较大", ("某工地",), ("某工地",)),
        ("餐饮油烟直排", "油烟直排，影响楼上住户", ("某餐饮店",), ("某农家宴",)),
        ("污水排入河道", "有污水排入河道，水体发黑发臭", ("附近河道", "某企业"), ("河道边",)),
        ("露天焚烧垃圾", "有人露天焚烧垃圾，烟雾较大", ("附近路段",), ("村内", "山脚")),
    )),
)

#: Lead-in per source (first report, repeat report) and the accepting actor.
_SOURCE_TEXT: tuple[tuple[str, str, str, str, str], ...] = (
    # code, ref prefix, lead, repeat lead, accepting actor
    ("wechat", "LXB", "群众通过崂先办反映，", "群众再次通过崂先办反映，", "崂先办平台"),
    ("hotline_12345", "12345", "市民来电反映，", "市民再次来电反映，", "12345热线坐席"),
    ("city_management", "SZCG", "数字城管监督员上报，", "数字城管监督员再次上报，", "数字城管监督中心"),
    ("police_110", "110", "110转来非警务警情，", "110再次转来非警务警情，", "110指挥中心"),
    ("grid_patrol", "WG", "网格员巡查发现，", "网格员再次巡查发现，", "社区网格员"),
    ("enterprise", "QY", "企业通过服务专线反映，", "企业再次通过服务专线反映，", "企业服务专线坐席"),
)
#: Sources whose reporter is a member of the public, so repeat reports happen.
_CITIZEN_SOURCES = ("wechat", "hotline_12345", "police_110", "enterprise")
_PATROL_SOURCES = ("city_management", "grid_patrol")
_REQUESTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("livelihood", ("希望尽快处理", "请相关部门核实处理", "希望相关部门协调解决", "请尽快安排人员查看")),
    ("development", ("希望相关部门给予指导", "请相关部门协助解决", "希望尽快答复")),
    ("enforcement", ("请执法部门依法查处", "希望相关部门依法处理", "请尽快核查处理")),
    ("patrol", ("已拍照上报", "需相关部门处置")),
)

# --------------------------------------------------------------------------- rhythms
# Source mix, and the factor applied on weekends and public holidays.
_SOURCE_SHARE = (
    ("wechat", 0.35, 1.00),
    ("hotline_12345", 0.30, 0.90),
    ("city_management", 0.12, 0.70),
    ("grid_patrol", 0.13, 0.30),
    ("police_110", 0.05, 1.15),
    ("enterprise", 0.05, 0.75),
)
#: Kind shares (livelihood, development, enforcement) per source; 80/8/12 overall.
_SOURCE_KINDS = (
    ("wechat", (0.91, 0.03, 0.06)),
    ("hotline_12345", (0.84, 0.09, 0.07)),
    ("city_management", (0.70, 0.0, 0.30)),
    ("grid_patrol", (0.80, 0.0, 0.20)),
    ("police_110", (0.80, 0.0, 0.20)),
    ("enterprise", (0.10, 0.85, 0.05)),
)
#: Relative weight of each category within its kind.
_CATEGORY_BASE = (
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
_SOURCE_CATEGORY_TILT = (
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
_HOURLY = (
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
_MONTH_VOLUME = (0.95, 0.92, 1.0, 1.0, 1.0, 1.03, 1.1, 1.1, 1.0, 0.97, 1.0, 1.0)
#: Lunar New Year's Day by year; the holiday runs from the eve to day 6.
_SPRING_FESTIVAL = (
    (2021, "2021-02-12"), (2022, "2022-02-01"), (2023, "2023-01-22"), (2024, "2024-02-10"),
    (2025, "2025-01-29"), (2026, "2026-02-17"), (2027, "2027-02-06"), (2028, "2028-01-26"),
    (2029, "2029-02-13"), (2030, "2030-02-03"),
)
_STORMS_PER_YEAR = 6

#: Share of urgent appeals per category (base 3%); storms make drainage urgent.
_URGENT = (
    ("water_supply", 0.24), ("power_gas", 0.26), ("food_safety", 0.22), ("drainage", 0.14),
    ("heating", 0.08), ("road_facilities", 0.06), ("noise", 0.05), ("property_management", 0.06),
    ("wage_arrears", 0.10), ("pollution", 0.08), ("neighbour_dispute", 0.06), ("elderly_care", 0.07),
    ("scenic_area", 0.08), ("traffic_parking", 0.05),
)
_URGENT_BASE = 0.05
_URGENT_STORM_DRAINAGE = 0.5

# Workflow outcome mix and escalation odds.
_P_LATE_DISPATCH = 0.03
_P_STUCK = 0.045
_P_LATE_CLOSE = 0.05
_P_STUCK_FEEDBACK = 0.35
#: P(street), P(district) as the final level, for ordinary and complex categories.
_ESCALATE = ((0.20, 0.07), (0.35, 0.17))
_P_REPEAT = 0.11
_P_RATED = 0.85
_P_RESOLVED = (0.955, 0.85)  # on time, late
#: P(satisfied, basically satisfied) given resolved / unresolved.
_SATISFACTION_GIVEN = ((0.91, 0.08), (0.30, 0.25))

# Worker statuses (patrolling, handling, standby, offline) by local hour band.
_STATUS_DAY = (0.55, 0.30, 0.12, 0.03)
_STATUS_EDGE = (0.20, 0.12, 0.43, 0.25)
_STATUS_NIGHT = (0.05, 0.05, 0.30, 0.60)
_STATUS_WINDOW_DAY = (0.10, 0.55, 0.32, 0.03)
_STATUS_KEEP = 0.75
#: Metres moved per minute by status (offline pings repeat the last fix).
_SPEED_M_PER_MIN = (45.0, 6.0, 2.0, 0.0)
_NEAR_GRID_DEG = 0.0009  # about 100 m north-south, 80 m east-west at 36°N

# Column layout of the per-appeal random draws (uniform U, standard normal Z).
(
    _U_SOURCE, _U_HOUR, _U_CATEGORY, _U_GRID, _U_ADDRESS, _U_PLACE, _U_ISSUE, _U_SURNAME, _U_GIVEN_LEN,
    _U_GIVEN_1, _U_GIVEN_2, _U_PHONE_PREFIX, _U_PHONE_DIGITS, _U_REPEAT, _U_REPEAT_LAG, _U_PRIORITY,
    _U_LATE_DISPATCH, _U_NIGHT, _U_OUTCOME, _U_LEVEL, _U_FEEDBACK, _U_STUCK_FB, _U_STUCK_FB_AT,
    _U_ESC1, _U_ESC2, _U_RESOLVED, _U_RATED, _U_SATISFACTION, _U_WORKER, _U_REPORTER, _U_REQUEST,
    _U_LATE_AMOUNT, _U_DISPATCH_FALLBACK,
) = range(33)
_NU = 33
_Z_DISPATCH, _Z_START, _Z_CLOSE, _Z_LATE, _Z_VISIT, _Z_MORNING = range(6)
_NZ = 6


# --------------------------------------------------------------------------- small helpers
def _rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one purpose, so streams never interfere."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, *keys]))


def _index(codes: Sequence[str]) -> dict[str, int]:
    """Position of each code, for turning codes into array indices."""
    return {c: i for i, c in enumerate(codes)}


_SOURCE_CODES = tuple(domain.SOURCES)
_CATEGORY_CODES = tuple(c.code for c in domain.CATEGORIES)
_KIND_CODES = tuple(domain.KINDS)
_LEVEL_CODES = tuple(domain.HANDLING_LEVELS)
_STATUS_CODES = domain.STATUS_ORDER
_WORKER_STATUS_CODES = tuple(domain.WORKER_STATUSES)


def _to_epoch_s(when: Any, name: str) -> float:
    """Seconds since the epoch; naive times are refused because 8 h of error would go unnoticed."""
    ts = pd.Timestamp(when)
    if ts.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {when!r}")
    return ts.timestamp()


def _timestamps(seconds: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps from float seconds; NaN/inf become NaT."""
    ok = np.isfinite(seconds)
    ns = np.full(seconds.shape, _NAT, dtype=np.int64)
    ns[ok] = np.round(seconds[ok]).astype(np.int64) * 1_000_000_000
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")


def _lognormal(z: np.ndarray, median: np.ndarray | float, sigma: float | np.ndarray) -> np.ndarray:
    """Durations are right-skewed: most quick, a few very slow."""
    return np.exp(np.log(median) + sigma * z)


def _pick(u: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Uniform index in [0, counts) from a uniform draw."""
    return np.minimum((u * counts).astype(np.int64), np.maximum(counts - 1, 0))


def _names(u_sur: np.ndarray, u_len: np.ndarray, u_g1: np.ndarray, u_g2: np.ndarray) -> np.ndarray:
    """Chinese full names from four uniform draws each (surname by frequency)."""
    sur = np.array([s for s, _ in _SURNAMES])
    w = np.array([w for _, w in _SURNAMES])
    cdf = np.cumsum(w) / w.sum()
    si = np.minimum(np.searchsorted(cdf, u_sur, side="right"), len(sur) - 1)
    single = np.array(_GIVEN_SINGLE)
    first = np.array(_GIVEN_FIRST)
    second = np.array(_GIVEN_SECOND)
    one = u_len < 0.3
    given = np.where(
        one,
        single[_pick(u_g1, np.int64(len(single)))],
        np.strings.add(first[_pick(u_g1, np.int64(len(first)))], second[_pick(u_g2, np.int64(len(second)))]),
    )
    return np.strings.add(sur[si], given)


def _phones(u_prefix: np.ndarray, u_digits: np.ndarray) -> np.ndarray:
    """11-digit mobile numbers as strings."""
    prefixes = np.array(_PHONE_PREFIXES, dtype=np.int64)
    p = prefixes[_pick(u_prefix, np.int64(len(prefixes)))]
    digits = np.minimum((u_digits * 1e8).astype(np.int64), 99_999_999)
    return (p * 100_000_000 + digits).astype("U11")


# --------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class _Grids:
    """Grid attributes as parallel arrays, sorted by code so input order never matters."""

    code: np.ndarray
    street: np.ndarray
    community: np.ndarray
    households: np.ndarray
    population: np.ndarray
    geoms: np.ndarray
    bounds: np.ndarray  # (G, 4)
    area_km2: np.ndarray
    density: np.ndarray
    rural: np.ndarray

    def __len__(self) -> int:
        return len(self.code)


def _geometry(value: Any) -> Any:
    """Accept shapely geometries, WKT or GeoJSON mappings, as grid files come in all three."""
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, str):
        return shapely.from_wkt(value)
    return shapely.geometry.shape(value)


def _prepare_grids(grids: Any) -> _Grids:
    """Normalise the grids input (DataFrame or sequence of dicts) into arrays."""
    df = grids if isinstance(grids, pd.DataFrame) else pd.DataFrame(list(grids))
    if len(df) == 0:
        raise ValueError("grids must not be empty")
    if "community_code" not in df.columns and "parent_code" in df.columns:
        df = df.assign(community_code=df["parent_code"])
    df = df.sort_values("code", kind="stable").reset_index(drop=True)
    geoms = np.array([_geometry(g) for g in df["geometry"]], dtype=object)
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    lat = (bounds[:, 1] + bounds[:, 3]) / 2
    area = shapely.area(geoms) * 111.32 * np.cos(np.radians(lat)) * 110.57
    area = np.maximum(area, 1e-4)
    households = pd.to_numeric(df.get("households"), errors="coerce") if "households" in df else None
    population = pd.to_numeric(df.get("population"), errors="coerce") if "population" in df else None
    hh = np.asarray(households, dtype=float) if households is not None else np.full(len(df), np.nan)
    pop = np.asarray(population, dtype=float) if population is not None else np.full(len(df), np.nan)
    pop = np.where(np.isfinite(pop) & (pop > 0), pop, np.where(np.isfinite(hh) & (hh > 0), hh * 2.6, 1000.0))
    hh = np.where(np.isfinite(hh) & (hh > 0), hh, pop / 2.6)
    street = df["street_code"].astype(str).to_numpy(dtype=object)
    community = df["community_code"].astype(str).to_numpy(dtype=object) if "community_code" in df else street
    density = pop / area
    rural = np.isin(street, _RURAL_STREETS) & (density < 3000)
    return _Grids(
        code=df["code"].astype(str).to_numpy(dtype=object),
        street=street,
        community=community,
        households=hh,
        population=pop,
        geoms=geoms,
        bounds=bounds,
        area_km2=area,
        density=density,
        rural=rural,
    )


def _sample_in_polygons(
    geoms: np.ndarray, bounds: np.ndarray, owner: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One point strictly inside ``geoms[owner[i]]`` per entry, by vectorized rejection sampling."""
    n = len(owner)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    todo = np.arange(n)
    for _ in range(60):
        if len(todo) == 0:
            break
        rep = np.repeat(todo, 4)
        gr = owner[rep]
        b = bounds[gr]
        cx = b[:, 0] + rng.random(len(rep)) * (b[:, 2] - b[:, 0])
        cy = b[:, 1] + rng.random(len(rep)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(geoms[gr], cx, cy)
        # First accepted candidate per entry.
        hit = np.flatnonzero(inside)
        first = hit[np.unique(rep[hit], return_index=True)[1]]
        x[rep[first]] = cx[first]
        y[rep[first]] = cy[first]
        todo = todo[~np.isfinite(x[todo])]
    if len(todo):  # slivers: fall back to a point guaranteed inside
        pts = shapely.point_on_surface(geoms[owner[todo]])
        x[todo] = shapely.get_x(pts)
        y[todo] = shapely.get_y(pts)
    return x, y


def _grid_factors(g: _Grids, seed: int) -> np.ndarray:
    """Persistent hotspot factor per grid: lognormal, with ~5% of grids 3–6× busier."""
    rng = _rng(seed, _TAG_GRIDS)
    n = len(g)
    factor = rng.lognormal(0.0, 0.35, n)
    hot = rng.random(n) < 0.05
    factor[hot] *= rng.uniform(3.0, 6.0, n)[hot]
    return factor


@dataclass(frozen=True)
class _Addresses:
    """A pool of fixed points per grid, so the same doorway can appeal twice."""

    start: np.ndarray  # (G,) first address of each grid
    count: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    place: np.ndarray  # index into the place-word table
    cum: np.ndarray  # cumulative weight over all addresses
    cum_before: np.ndarray  # (G,) cumulative weight before each grid's first address
    total: np.ndarray  # (G,) weight of each grid's addresses


def _place_words() -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """All place words, whether each is a village, and the indices each street draws from."""
    words: list[str] = []
    village: list[bool] = []
    by_street: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for street, roads, villages in _STREET_PLACES:
        ri = np.arange(len(words), len(words) + len(roads))
        words += roads
        village += [False] * len(roads)
        vi = np.arange(len(words), len(words) + len(villages))
        words += villages
        village += [True] * len(villages)
        by_street[street] = (ri, vi)
    return np.array(words), np.array(village), by_street


def _addresses(g: _Grids, seed: int) -> _Addresses:
    """Sample each grid's address pool and tie every address to a local place word."""
    rng = _rng(seed, _TAG_ADDRESSES)
    n_grid = len(g)
    count = np.clip(np.round(g.households / 8), 20, 200).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    owner = np.repeat(np.arange(n_grid), count)
    lon, lat = _sample_in_polygons(g.geoms, g.bounds, owner, rng)
    _, _, by_street = _place_words()
    urban_fallback = np.concatenate([by_street[s][0] for s in _URBAN_STREETS])
    # Each grid gets 1-3 place words; villages mostly name themselves.
    grid_places: list[np.ndarray] = []
    for i in range(n_grid):
        roads, villages = by_street.get(g.street[i], (urban_fallback, np.array([], dtype=np.int64)))
        if g.rural[i] and len(villages):
            chosen = [villages[rng.integers(len(villages))]]
            if rng.random() < 0.3:
                chosen.append(roads[rng.integers(len(roads))])
        else:
            k = min(len(roads), 3)
            chosen = list(rng.choice(roads, size=k, replace=False))
        grid_places.append(np.array(chosen, dtype=np.int64))
    n_places = np.array([len(p) for p in grid_places])
    flat = np.concatenate(grid_places)
    flat_start = np.concatenate([[0], np.cumsum(n_places)[:-1]])
    # First place word of a grid is its main one.
    u = rng.random(len(owner))
    main = u < 0.6
    other = _pick((u - 0.6) / 0.4, n_places[owner])
    place = flat[flat_start[owner] + np.where(main, 0, other)]
    weight = rng.lognormal(0.0, 0.8, len(owner))
    cum = np.cumsum(weight)
    total = np.add.reduceat(weight, start)
    cum_before = cum[start] - weight[start]
    return _Addresses(start, count, lon, lat, place, cum, cum_before, total)


# --------------------------------------------------------------------------- workers
def _worker_columns(workers: pd.DataFrame | None, g: _Grids) -> dict[str, np.ndarray]:
    """Full-time workers grouped by grid, for handler and patrol-reporter lookups."""
    empty = np.array([], dtype=object)
    if workers is None or len(workers) == 0:
        return {
            "id": empty, "name": empty, "phone": empty,
            "start": np.zeros(len(g), dtype=np.int64), "count": np.zeros(len(g), dtype=np.int64),
        }
    grid_pos = pd.Series(np.arange(len(g)), index=g.code)
    ft = workers[workers["type"] == "full_time"]
    pos = grid_pos.reindex(ft["grid_code"].astype(str).to_numpy()).to_numpy()
    keep = np.isfinite(pos)
    ft = ft[keep]
    pos = pos[keep].astype(np.int64)
    order = np.lexsort((ft["id"].to_numpy(dtype=str), pos))
    pos = pos[order]
    count = np.bincount(pos, minlength=len(g)).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    return {
        "id": ft["id"].to_numpy(dtype=object)[order],
        "name": ft["name"].to_numpy(dtype=str)[order],
        "phone": ft["phone"].to_numpy(dtype=str)[order],
        "start": start,
        "count": count,
    }


def generate_workers(grids: Any, seed: int) -> pd.DataFrame:
    """Grid workers (网格员) in proportion to the district's real staffing.

    Every grid gets a full-time worker and the most populous ones a second;
    industry and window workers sit in the dense, built-up grids where the
    service windows and businesses are.

    Args:
        grids: Grid records (DataFrame or dicts) with code, street_code, community_code,
            households, population and geometry.
        seed: Seed; the same grids and seed always give the same workers.

    Returns:
        DataFrame with columns id, name, type, grid_code, phone.
    """
    g = _prepare_grids(grids)
    rng = _rng(seed, _TAG_WORKERS)
    n_grid = len(g)
    scale = n_grid / _REF_GRIDS
    targets = dict(_REF_WORKERS)
    n_ft = max(n_grid, round(targets["full_time"] * scale))
    n_ind = round(targets["industry"] * scale)
    n_win = round(targets["window"] * scale)

    size_rank = np.argsort(np.argsort(-g.population, kind="stable"), kind="stable")
    extra = n_ft - n_grid
    ft_count = 1 + extra // n_grid + (size_rank < extra % n_grid)
    ft_grid = np.repeat(np.arange(n_grid), ft_count)

    dense = g.density >= np.median(g.density)
    w = g.population * np.where(dense, 1.0, 0.15)
    ind_grid = np.sort(rng.choice(n_grid, size=n_ind, p=w / w.sum())) if n_ind else np.array([], dtype=int)

    # Window workers staff the community service centres: one per community, busiest first.
    comm = pd.DataFrame({"community": g.community, "pop": g.population, "i": np.arange(n_grid)})
    comm_pop = comm.groupby("community", sort=True)["pop"].sum().sort_values(ascending=False, kind="stable")
    main_grid = comm.sort_values(["pop", "i"], ascending=[False, True]).drop_duplicates("community")
    main_grid = main_grid.set_index("community")["i"]
    win_grid = main_grid.reindex(comm_pop.index).to_numpy()[:n_win]
    if len(win_grid) < n_win:
        more = rng.choice(n_grid, size=n_win - len(win_grid), p=w / w.sum())
        win_grid = np.concatenate([win_grid, more])
    win_grid = np.sort(win_grid.astype(np.int64))

    grid_idx = np.concatenate([ft_grid, ind_grid, win_grid]).astype(np.int64)
    types = ["full_time"] * len(ft_grid) + ["industry"] * len(ind_grid) + ["window"] * len(win_grid)
    n = len(grid_idx)
    u = rng.random((n, 6))
    return pd.DataFrame(
        {
            "id": [f"W{i + 1:05d}" for i in range(n)],
            "name": _names(u[:, 0], u[:, 1], u[:, 2], u[:, 3]).astype(object),
            "type": types,
            "grid_code": g.code[grid_idx],
            "phone": _phones(u[:, 4], u[:, 5]).astype(object),
        }
    )


# --------------------------------------------------------------------------- positions
def _status_probs(local_hour: np.ndarray, window: np.ndarray) -> np.ndarray:
    """(n, 4) status probabilities for each ping's local hour."""
    day = (local_hour >= 8) & (local_hour < 18)
    edge = ((local_hour >= 7) & (local_hour < 8)) | ((local_hour >= 18) & (local_hour < 22))
    p = np.where(day[:, None], _STATUS_DAY, np.where(edge[:, None], _STATUS_EDGE, _STATUS_NIGHT))
    return np.where((window & day)[:, None], _STATUS_WINDOW_DAY, p)


def _choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from unnormalised weights ``p`` and one uniform per row."""
    cdf = np.cumsum(p, axis=1)
    return np.minimum((cdf < u[:, None] * cdf[:, -1:]).sum(axis=1), p.shape[1] - 1)


def generate_positions(
    workers: pd.DataFrame,
    grids: Any,
    end: Any,
    seed: int,
    hours: float = 2,
    every_minutes: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GPS pings of each worker patrolling their home grid, for the live map.

    Each worker walks a persistent-heading random walk kept inside (or within
    ~100 m of) the home grid; status follows the working day, so the map is
    busy at 10:00 and quiet at 03:00.

    Args:
        workers: Output of :func:`generate_workers`.
        grids: The grids the workers were made for.
        end: Time of the last ping (timezone-aware).
        seed: Seed.
        hours: Length of the history.
        every_minutes: Ping interval.

    Returns:
        (history, latest): columns worker_id, at (UTC), lon, lat, status; latest is
        each worker's last history row.
    """
    end_s = _to_epoch_s(end, "end")
    g = _prepare_grids(grids)
    rng = _rng(seed, _TAG_POSITIONS)
    grid_pos = pd.Series(np.arange(len(g)), index=g.code)
    home = grid_pos.reindex(workers["grid_code"].astype(str).to_numpy()).to_numpy()
    if len(home) and not np.all(np.isfinite(home)):
        raise ValueError("every worker's grid_code must be one of the grids")
    home = home.astype(np.int64)
    n = len(home)
    steps = max(1, int(hours * 60 // every_minutes))
    window = workers["type"].to_numpy() == "window"

    near = shapely.buffer(g.geoms, _NEAR_GRID_DEG)
    shapely.prepare(near)
    x, y = _sample_in_polygons(g.geoms, g.bounds, home, rng)
    jitter = rng.integers(0, every_minutes * 60, n)
    heading = rng.uniform(0, 2 * np.pi, n)
    lon_m = 111_320.0 * np.cos(np.radians(36.1))
    lat_m = 110_570.0

    xs = np.empty((steps, n))
    ys = np.empty((steps, n))
    ts = np.empty((steps, n))
    st = np.empty((steps, n), dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    for k in range(steps):
        t = end_s - jitter - (steps - 1 - k) * every_minutes * 60
        local_hour = ((t + _LOCAL_OFFSET_S) % _DAY_S) / _HOUR_S
        fresh = _choose(_status_probs(local_hour, window), rng.random(n))
        keep = (rng.random(n) < _STATUS_KEEP) & (k > 0)
        status = np.where(keep, status, fresh)
        if k > 0:
            dist = np.array(_SPEED_M_PER_MIN)[status] * every_minutes * rng.uniform(0.5, 1.5, n)
            heading = heading + rng.normal(0, 0.6, n)
            moved = np.zeros(n, dtype=bool)
            for _ in range(4):
                nx = x + dist * np.cos(heading) / lon_m
                ny = y + dist * np.sin(heading) / lat_m
                ok = ~moved & shapely.contains_xy(near[home], nx, ny)
                x = np.where(ok, nx, x)
                y = np.where(ok, ny, y)
                moved |= ok
                # Blocked: turn around (roughly) and take a shorter step.
                heading = np.where(moved, heading, heading + np.pi + rng.normal(0, 0.5, n))
                dist = np.where(moved, dist, dist / 2)
        xs[k], ys[k], ts[k], st[k] = x, y, t, status

    worker_ids = workers["id"].to_numpy(dtype=object)
    history = pd.DataFrame(
        {
            "worker_id": np.repeat(worker_ids, steps),
            "at": _timestamps(ts.T.ravel().astype(float)),
            "lon": xs.T.ravel(),
            "lat": ys.T.ravel(),
            "status": np.array(_WORKER_STATUS_CODES, dtype=object)[st.T.ravel()],
        }
    )
    latest = history.iloc[np.arange(n) * steps + steps - 1].reset_index(drop=True)
    return history, latest


# --------------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class _Plan:
    """Everything decided per local day before any appeal is drawn."""

    days: np.ndarray  # datetime64[D], local dates
    ordinal: np.ndarray  # days since 1970-01-01 of each local date
    midnight_s: np.ndarray  # epoch seconds of local midnight
    h0: np.ndarray  # covered local hours [h0, h1) of each day
    h1: np.ndarray
    month: np.ndarray
    rest: np.ndarray  # weekend or public holiday
    holiday: np.ndarray  # scenic-area peak days
    storm: np.ndarray
    source_weight: np.ndarray  # (D, S) relative appeals per source
    counts: np.ndarray


def _hour_cdf() -> np.ndarray:
    """(S, 25) cumulative share of each source's appeals by local hour."""
    prof = dict(_HOURLY)
    p = np.array([prof[s] for s in _SOURCE_CODES], dtype=float)
    cdf = np.concatenate([np.zeros((len(p), 1)), np.cumsum(p, axis=1)], axis=1)
    return cdf / cdf[:, -1:]


def _calendar(days: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """Rest days, holiday peaks, Spring Festival and storm days for local dates."""
    ymd = pd.DatetimeIndex(days)
    year = ymd.year.to_numpy()
    month = ymd.month.to_numpy()
    dom = ymd.day.to_numpy()
    weekend = ymd.day_of_week.to_numpy() >= 5
    sf_dates = dict(_SPRING_FESTIVAL)
    sf = np.zeros(len(days), dtype=bool)
    storm = np.zeros(len(days), dtype=bool)
    for y in np.unique(year):
        new_year = np.datetime64(sf_dates.get(int(y), f"{int(y)}-02-05"), "D")
        sf |= (days >= new_year - 1) & (days <= new_year + 6)
        season = np.arange(np.datetime64(f"{int(y)}-06-20"), np.datetime64(f"{int(y)}-09-10"))
        picked = _rng(seed, _TAG_STORMS, int(y)).choice(season, size=_STORMS_PER_YEAR, replace=False)
        storm |= np.isin(days, picked)
    may_day = (month == 5) & (dom <= 5)
    national = (month == 10) & (dom <= 7)
    qingming = (month == 4) & (dom >= 4) & (dom <= 6)
    new_year_day = (month == 1) & (dom == 1)
    holiday = sf | may_day | national
    rest = weekend | holiday | qingming | new_year_day
    return month, dom, rest, holiday, sf, storm


def _plan(start_s: float, end_s: float, n: int, seed: int) -> _Plan:
    """Split n appeals over local days by weekday, season, holiday and storm."""
    first = np.datetime64(int((start_s + _LOCAL_OFFSET_S) // _DAY_S), "D")
    last = np.datetime64(int((np.ceil(end_s) - 1 + _LOCAL_OFFSET_S) // _DAY_S), "D")
    days = np.arange(first, last + 1)
    ordinal = days.astype(np.int64)
    midnight = ordinal * _DAY_S - _LOCAL_OFFSET_S
    h0 = np.clip((start_s - midnight) / _HOUR_S, 0, 24)
    h1 = np.clip((end_s - midnight) / _HOUR_S, 0, 24)
    month, _, rest, holiday, sf, storm = _calendar(days, seed)

    cdf = _hour_cdf()
    hours = np.arange(25)
    cover = np.stack([np.interp(h1, hours, c) - np.interp(h0, hours, c) for c in cdf], axis=1)
    share = np.array([s for _, s, _ in _SOURCE_SHARE])
    rest_factor = np.array([r for _, _, r in _SOURCE_SHARE])
    src_order = [c for c, _, _ in _SOURCE_SHARE]
    perm = [src_order.index(s) for s in _SOURCE_CODES]
    share, rest_factor = share[perm], rest_factor[perm]
    rest_mix = np.where(rest[:, None], rest_factor[None, :], 1.0)
    # Scale so the published source mix holds on average once weekends thin some channels out.
    src_w = share[None, :] / rest_mix.mean(axis=0) * rest_mix * cover

    rng = _rng(seed, _TAG_PLAN)
    volume = np.array(_MONTH_VOLUME)[month - 1] * np.where(sf, 0.6, 1.0) * np.where(storm, 1.35, 1.0)
    volume = volume * rng.gamma(40.0, 1 / 40.0, len(days))
    w = volume * src_w.sum(axis=1)
    counts = rng.multinomial(n, w / w.sum()) if w.sum() > 0 else np.zeros(len(days), dtype=np.int64)
    return _Plan(days, ordinal, midnight, h0, h1, month, rest, holiday, storm, src_w, counts)


def _heating_season(month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Heating appeals by date: season Nov 15–Mar 31, loudest at its start."""
    f = np.full(month.shape, 0.01)
    f = np.where((month == 11) & (dom < 15), 0.3, f)
    f = np.where((month == 11) & (dom >= 15), 6.0, f)
    f = np.where(month == 12, 5.0, f)
    f = np.where(month == 1, 3.5, f)
    f = np.where(month == 2, 2.5, f)
    f = np.where(month == 3, 1.2, f)
    return np.where(month == 10, 0.05, f)


def _category_factors(plan: _Plan, sl: slice, has_scenic: bool) -> np.ndarray:
    """(D, 2, C) seasonal multipliers per day, for daytime (0) and evening (1)."""
    days = plan.days[sl]
    month = plan.month[sl]
    dom = pd.DatetimeIndex(days).day.to_numpy()
    rest = plan.rest[sl]
    holiday = plan.holiday[sl]
    storm = plan.storm[sl]
    d = len(days)
    ci = _index(_CATEGORY_CODES)
    f = np.ones((d, 2, len(_CATEGORY_CODES)))
    summer = (month >= 6) & (month <= 8)
    shoulder = (month == 5) | (month == 9)
    winter = (month == 12) | (month <= 2)

    f[:, :, ci["heating"]] = _heating_season(month, dom)[:, None]
    drain = np.select([(month == 7) | (month == 8), (month == 6) | (month == 9)], [4.0, 1.8], 0.5)
    f[:, :, ci["drainage"]] = (drain * np.where(storm, 8.0, 1.0))[:, None]
    f[:, 0, ci["noise"]] = np.where(summer, 1.2, 1.0)
    f[:, 1, ci["noise"]] = np.select([summer, shoulder], [2.5, 1.5], 1.0)
    f[:, 0, ci["street_vending"]] = np.select([summer, winter], [1.3, 0.6], 1.0)
    f[:, 1, ci["street_vending"]] = np.select([summer, winter], [2.5, 0.6], 1.0)
    scenic = np.select(
        [holiday, (month >= 7) & (month <= 8) & rest, (month >= 7) & (month <= 8),
         (month >= 4) & (month <= 10) & rest, winter],
        [6.0, 5.0, 2.0, 1.8, 0.4],
        1.0,
    )
    f[:, :, ci["scenic_area"]] = (scenic if has_scenic else np.zeros(d))[:, None]
    f[:, :, ci["greening"]] = np.where((month >= 3) & (month <= 5), 1.5, 1.0)[:, None]
    f[:, :, ci["power_gas"]] = np.where(winter | summer, 1.25, 1.0)[:, None]
    f[:, :, ci["education"]] = np.select([(month >= 6) & (month <= 8), month == 9], [1.6, 1.3], 1.0)[:, None]
    f[:, :, ci["wage_arrears"]] = np.where((month == 12) | (month == 1), 2.5, 1.0)[:, None]
    return f


def _source_affinity() -> tuple[np.ndarray, np.ndarray]:
    """(S, C) category weights within their kind, and (S, K) kind shares, per source."""
    base = dict(_CATEGORY_BASE)
    tilt = {s: dict(t) for s, t in _SOURCE_CATEGORY_TILT}
    kinds = dict(_SOURCE_KINDS)
    within = np.array(
        [[base[c.code] * tilt[s].get(c.code, 1.0) for c in domain.CATEGORIES] for s in _SOURCE_CODES]
    )
    return within, np.array([kinds[s] for s in _SOURCE_CODES])


def _category_probs(ctx: _Context, src: np.ndarray, day: np.ndarray, evening: np.ndarray,
                    factors: np.ndarray) -> np.ndarray:
    """(m, C) category probabilities: the source's kind mix, then seasonal weights within each kind.

    Normalising within the kind keeps the published 80/8/12 kind mix steady
    while heating or storms reshuffle the livelihood categories.
    """
    plan = ctx.plan
    within = ctx.affinity[src] * factors
    kind_of = ctx.kind_of
    sums = np.stack([within[:, kind_of == k].sum(axis=1) for k in range(len(_KIND_CODES))], axis=1)
    shares = ctx.kind_share[src] * (sums > 0)
    # Development appeals drop ~25% on rest days; weekdays make up for it so the average holds.
    p_rest = float(plan.rest.mean())
    weekday = (1 - 0.75 * p_rest) / max(1 - p_rest, 1e-9)
    dev = _KIND_CODES.index("development")
    shares[:, dev] *= np.where(plan.rest[day], 0.75, weekday)
    shares = shares / shares.sum(axis=1, keepdims=True)
    return shares[:, kind_of] * within / np.maximum(sums[:, kind_of], 1e-300)


# --------------------------------------------------------------------------- appeals
@dataclass(frozen=True)
class _Context:
    """What every block of appeals needs; built once per run, never mutated."""

    seed: int
    start_s: float
    end_s: float
    plan: _Plan
    grids: _Grids
    addr: _Addresses
    grid_cdf: np.ndarray  # (3, G) cumulative weights: general, development, scenic
    workers: dict[str, np.ndarray]
    affinity: np.ndarray
    kind_share: np.ndarray
    kind_of: np.ndarray
    hour_cdf: np.ndarray
    has_scenic: bool
    text: dict[str, np.ndarray]


def _text_tables() -> dict[str, np.ndarray]:
    """Flatten the category texts into arrays with per-category offsets."""
    words, village, _ = _place_words()
    by_code = {c: (up, rp, issues) for c, up, rp, issues in _CATEGORY_TEXT}
    places: list[str] = []
    issue_title: list[str] = []
    issue_detail: list[str] = []
    place_ranges: list[tuple[int, int, int, int]] = []  # per issue: urban (off, n), village (off, n)
    n_cat = len(_CATEGORY_CODES)
    issue_off = np.zeros(n_cat, dtype=np.int64)
    issue_cnt = np.zeros(n_cat, dtype=np.int64)
    for ci, code in enumerate(_CATEGORY_CODES):
        up, rp, issues = by_code[code]
        issue_off[ci], issue_cnt[ci] = len(issue_title), len(issues)
        for issue in issues:
            # An issue may name its own places; otherwise the category's apply.
            own_up, own_rp = issue[2:4] if len(issue) == 4 else (up, rp)
            place_ranges.append((len(places), len(own_up), len(places) + len(own_up), len(own_rp)))
            places += [*own_up, *own_rp]
            issue_title.append(issue[0])
            issue_detail.append(issue[1])
    ranges = np.array(place_ranges, dtype=np.int64)
    place_off = ranges[:, [0, 2]]
    place_cnt = ranges[:, [1, 3]]
    src = {s[0]: s for s in _SOURCE_TEXT}
    req = dict(_REQUESTS)
    req_groups = (*_KIND_CODES, "patrol")
    req_words: list[str] = []
    req_off = np.zeros(len(req_groups), dtype=np.int64)
    req_cnt = np.zeros(len(req_groups), dtype=np.int64)
    for gi, grp in enumerate(req_groups):
        req_off[gi], req_cnt[gi] = len(req_words), len(req[grp])
        req_words += req[grp]
    return {
        "words": words,
        "village": village,
        "places": np.array(places),
        "place_off": place_off,
        "place_cnt": place_cnt,
        "issue_title": np.array(issue_title),
        "issue_detail": np.array(issue_detail),
        "issue_off": issue_off,
        "issue_cnt": issue_cnt,
        "ref_prefix": np.array([src[s][1] + "-" for s in _SOURCE_CODES]),
        "lead": np.array([src[s][2] for s in _SOURCE_CODES]),
        "lead_repeat": np.array([src[s][3] for s in _SOURCE_CODES]),
        "accept_actor": np.array([src[s][4] for s in _SOURCE_CODES], dtype=object),
        "requests": np.array(req_words),
        "req_off": req_off,
        "req_cnt": req_cnt,
    }


def _context(grids: Any, workers: pd.DataFrame | None, start_s: float, end_s: float, n: int,
             seed: int) -> _Context:
    """Prepare everything the blocks share, once per run."""
    g = _prepare_grids(grids)
    factor = _grid_factors(g, seed)
    general = g.population * factor
    urban = ~np.isin(g.street, _RURAL_STREETS)
    development = general * np.where(urban, 2.5, 0.6)
    scenic_mask = np.isin(g.street, _SCENIC_STREETS)
    scenic = np.sqrt(g.population) * factor * scenic_mask
    weights = np.stack([general, development, scenic])
    cum = np.cumsum(weights, axis=1)
    cum = cum / np.where(cum[:, -1:] > 0, cum[:, -1:], 1.0)
    within, kind_share = _source_affinity()
    return _Context(
        seed=seed,
        start_s=start_s,
        end_s=end_s,
        plan=_plan(start_s, end_s, n, seed),
        grids=g,
        addr=_addresses(g, seed),
        grid_cdf=cum,
        workers=_worker_columns(workers, g),
        affinity=within,
        kind_share=kind_share,
        kind_of=np.array([_KIND_CODES.index(c.kind) for c in domain.CATEGORIES]),
        hour_cdf=_hour_cdf(),
        has_scenic=bool(scenic_mask.any()),
        text=_text_tables(),
    )


@dataclass(frozen=True)
class _Memory:
    """Citizen appeals of the last 30 days, which later appeals may repeat."""

    t: np.ndarray
    src: np.ndarray
    grid: np.ndarray
    addr: np.ndarray
    cat: np.ndarray
    place: np.ndarray
    issue: np.ndarray
    name: np.ndarray
    phone: np.ndarray

    @staticmethod
    def empty() -> _Memory:
        i = np.array([], dtype=np.int64)
        o = np.array([], dtype=object)
        return _Memory(np.array([], dtype=float), i, i, i, i, i, i, o, o)


def _draws(ctx: _Context, da: int, db: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-day random draws, so a day's appeals never depend on how days are chunked."""
    us, zs = [], []
    for d in range(da, db):
        c = int(ctx.plan.counts[d])
        rng = _rng(ctx.seed, _TAG_DAY, int(ctx.plan.ordinal[d]) + 1_000_000)
        us.append(rng.random((c, _NU)))
        zs.append(rng.standard_normal((c, _NZ)))
    return np.concatenate(us), np.concatenate(zs)


def _block(ctx: _Context, da: int, db: int, offset: int, memory: _Memory
           ) -> tuple[pd.DataFrame, pd.DataFrame, _Memory]:
    """All appeals of local days [da, db), with their events."""
    plan = ctx.plan
    g = ctx.grids
    tx = ctx.text
    u, z = _draws(ctx, da, db)
    m = len(u)
    day = np.repeat(np.arange(da, db), plan.counts[da:db])

    # Source, then the hour (restricted to the covered part of the day), then the category.
    sw = plan.source_weight[day]
    src = _choose(sw, u[:, _U_SOURCE])
    hour = np.empty(m)
    grid_hours = np.arange(25.0)
    for s in range(len(_SOURCE_CODES)):
        sel = src == s
        if sel.any():
            c = ctx.hour_cdf[s]
            lo = np.interp(plan.h0[day[sel]], grid_hours, c)
            hi = np.interp(plan.h1[day[sel]], grid_hours, c)
            hour[sel] = np.interp(lo + u[sel, _U_HOUR] * (hi - lo), c, grid_hours)
    t = plan.midnight_s[day] + np.floor(hour * _HOUR_S)
    t = np.clip(t, np.ceil(ctx.start_s), np.ceil(ctx.end_s) - 1)
    evening = (hour >= 18).astype(np.int64)
    factors = _category_factors(plan, slice(da, db), ctx.has_scenic)
    cat = _choose(_category_probs(ctx, src, day, evening, factors[day - da, evening]), u[:, _U_CATEGORY])

    order = np.argsort(t, kind="stable")
    u, z, day, src, hour, t, cat = u[order], z[order], day[order], src[order], hour[order], t[order], cat[order]
    idx = offset + np.arange(m, dtype=np.int64)

    # Where: grid by population x hotspot (per category group), then an address in the grid.
    kinds = np.array([_KIND_CODES.index(c.kind) for c in domain.CATEGORIES])
    ci = _index(_CATEGORY_CODES)
    group = np.where(cat == ci["scenic_area"], 2, np.where(kinds[cat] == 1, 1, 0))
    grid = np.empty(m, dtype=np.int64)
    for k in range(3):
        sel = group == k
        grid[sel] = np.minimum(np.searchsorted(ctx.grid_cdf[k], u[sel, _U_GRID], side="right"), len(g) - 1)
    a = ctx.addr
    target = a.cum_before[grid] + u[:, _U_ADDRESS] * a.total[grid]
    addr = np.clip(np.searchsorted(a.cum, target, side="right"), a.start[grid], a.start[grid] + a.count[grid] - 1)
    village = tx["village"][a.place[addr]].astype(np.int64)
    issue = _pick(u[:, _U_ISSUE], tx["issue_cnt"][cat])
    place = _pick(u[:, _U_PLACE], tx["place_cnt"][tx["issue_off"][cat] + issue, village])
    name = _names(u[:, _U_SURNAME], u[:, _U_GIVEN_LEN], u[:, _U_GIVEN_1], u[:, _U_GIVEN_2])
    phone = _phones(u[:, _U_PHONE_PREFIX], u[:, _U_PHONE_DIGITS])

    # Repeats: a citizen reports the same problem at the same address again within 30 days.
    citizen = np.isin(src, [_SOURCE_CODES.index(s) for s in _CITIZEN_SOURCES])
    repeat, root = _repeats(ctx, memory, u, t, day, citizen, src, cat)
    cz = np.flatnonzero(citizen)
    name = name.astype(object)
    phone = phone.astype(object)
    block_attrs = (grid, addr, cat, place, issue, name, phone)
    mem_attrs = (memory.grid, memory.addr, memory.cat, memory.place, memory.issue, memory.name, memory.phone)
    rep = cz[repeat]
    r = root[repeat]
    for mine, remembered in zip(block_attrs, mem_attrs, strict=True):
        mine[rep] = np.concatenate([remembered, mine[cz]])[r]
    is_repeat = np.zeros(m, dtype=bool)
    is_repeat[rep] = True

    # Remember the (resolved) citizen appeals of the last 30 days for the next block.
    keep_from = t[-1] - _REPEAT_WINDOW_S if m else -np.inf
    pool_t = np.concatenate([memory.t, t[cz]])
    keep = pool_t >= keep_from
    new_memory = _Memory(
        pool_t[keep],
        np.concatenate([memory.src, src[cz]])[keep],
        *(np.concatenate([rem, mine[cz]])[keep] for mine, rem in zip(block_attrs, mem_attrs, strict=True)),
    )

    # Patrol reports come from the grid's own worker.
    w = ctx.workers
    patrol = src == _SOURCE_CODES.index("grid_patrol")
    has_worker = w["count"][grid] > 0
    reporter_w = np.where(has_worker, w["start"][grid] + _pick(u[:, _U_REPORTER], w["count"][grid]), -1)
    patrol_w = patrol & has_worker
    name[patrol_w] = w["name"][reporter_w[patrol_w]]
    phone[patrol_w] = w["phone"][reporter_w[patrol_w]]
    handler_w = np.where(patrol_w, reporter_w,
                         np.where(has_worker, w["start"][grid] + _pick(u[:, _U_WORKER], w["count"][grid]), -1))

    kind = kinds[cat]
    storm = plan.storm[day]
    urgent_p = np.full(len(_CATEGORY_CODES), _URGENT_BASE)
    for c, p in _URGENT:
        urgent_p[ci[c]] = p
    p_urg = np.where((cat == ci["drainage"]) & storm, _URGENT_STORM_DRAINAGE, urgent_p[cat])
    urgent = u[:, _U_PRIORITY] < p_urg

    times, level_final, outcome = _workflow(ctx, u, z, t, hour, cat, urgent)
    appeals, events = _frames(
        ctx, idx=idx, day=day, src=src, cat=cat, kind=kind, urgent=urgent, grid=grid, addr=addr,
        place=place, issue=issue, name=name, phone=phone, is_repeat=is_repeat, u=u, times=times,
        level_final=level_final, outcome=outcome, reporter_w=np.where(patrol_w, reporter_w, -1),
        handler_w=handler_w,
    )
    return appeals, events, new_memory


def _repeats(ctx: _Context, memory: _Memory, u: np.ndarray, t: np.ndarray, day: np.ndarray,
             citizen: np.ndarray, src: np.ndarray, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pick, for some citizen appeals, an earlier appeal by the same channel that they repeat.

    Works in "pool" space: the remembered appeals followed by this block's
    citizen appeals (both in time order). Returns (is repeat, root pool index)
    per block citizen appeal; roots are never repeats themselves, so copying
    from them is exact.
    """
    cz = np.flatnonzero(citizen)
    mem_n = len(memory.t)
    pool_t = np.concatenate([memory.t, t[cz]])
    pool_src = np.concatenate([memory.src, src[cz]])
    n_pool = len(pool_t)
    own = mem_n + np.arange(len(cz))
    parent = np.arange(n_pool)
    cand = u[cz, _U_REPEAT] < _P_REPEAT
    lag = np.minimum(-np.log(np.maximum(u[cz, _U_REPEAT_LAG], 1e-12)) * 4 * _DAY_S, _REPEAT_WINDOW_S)
    for s in np.unique(src[cz]):
        same = np.flatnonzero(pool_src == s)  # pool positions of this channel, in time order
        mine = np.flatnonzero(cand & (src[cz] == s))
        if len(mine) == 0:
            continue
        pos = np.searchsorted(same, own[mine])  # rank of each appeal within its channel
        k = np.minimum(np.searchsorted(pool_t[same], t[cz][mine] - lag[mine], side="left"), pos - 1)
        ok = k >= 0
        k = same[np.maximum(k, 0)]
        ok &= pool_t[k] >= t[cz][mine] - _REPEAT_WINDOW_S
        parent[own[mine[ok]]] = k[ok]

    heating = _CATEGORY_CODES.index("heating")
    ymd = pd.DatetimeIndex(ctx.plan.days[day[cz]])
    off_season = _heating_season(ymd.month.to_numpy(), ymd.day.to_numpy()) < 0.05
    pool_cat = np.concatenate([memory.cat, cat[cz]])
    for _ in range(64):
        root = parent.copy()
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        # Heating complaints do not repeat out of season: such appeals stand on their own.
        r_own = root[own]
        cancel = (r_own != own) & off_season & (pool_cat[r_own] == heating)
        if not cancel.any():
            break
        parent[own[cancel]] = own[cancel]
    r_own = root[own]
    return r_own != own, r_own


def _workflow(ctx: _Context, u: np.ndarray, z: np.ndarray, t: np.ndarray, hour: np.ndarray,
              cat: np.ndarray, urgent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stage times (m, 8) in epoch seconds (inf = never) and the final level.

    Columns: accepted, dispatched, in_progress, escalated to street, escalated
    to district, feedback, visited, closed. Outcome: 0 on time, 1 late, 2 stuck.
    """
    m = len(t)
    complex_ = np.array([c.complex for c in domain.CATEGORIES])[cat]
    resp = np.empty(m)
    close = np.empty(m)
    for code in _CATEGORY_CODES:
        for is_urgent in (False, True):
            sel = (cat == _CATEGORY_CODES.index(code)) & (urgent == is_urgent)
            if sel.any():
                r, c = domain.deadline_hours(code, "urgent" if is_urgent else "normal")
                resp[sel], close[sel] = r * _HOUR_S, c * _HOUR_S
    min_gap = 60.0

    # Dispatch: minutes to hours; normal appeals taken at night wait for the morning shift.
    base = _lognormal(z[:, _Z_DISPATCH], np.where(urgent, 0.2, 0.8) * _HOUR_S, np.where(urgent, 0.7, 1.0))
    night = ~urgent & ((hour < 7.5) | (hour >= 20)) & (u[:, _U_NIGHT] < 0.7)
    to_morning = np.where(hour >= 20, 24 - hour + 8, 8 - hour) * _HOUR_S
    base = np.where(night, to_morning + _lognormal(z[:, _Z_MORNING], 0.3 * _HOUR_S, 0.6), base)
    on_time = np.where(base < 0.95 * resp, base, resp * (0.6 + 0.35 * u[:, _U_DISPATCH_FALLBACK]))
    late = resp * (1.05 - 0.8 * np.log(np.maximum(u[:, _U_LATE_AMOUNT], 1e-12)))
    dispatch = t + np.maximum(np.where(u[:, _U_LATE_DISPATCH] < _P_LATE_DISPATCH, late, on_time), min_gap)
    start = dispatch + np.maximum(
        np.minimum(_lognormal(z[:, _Z_START], np.where(urgent, 0.25, 1.5) * _HOUR_S, np.where(urgent, 0.6, 0.9)),
                   36 * _HOUR_S),
        min_gap,
    )

    # Level: everything starts at the community; complex cases climb more often.
    p_street = np.where(complex_, _ESCALATE[1][0], _ESCALATE[0][0])
    p_district = np.where(complex_, _ESCALATE[1][1], _ESCALATE[0][1])
    ul = u[:, _U_LEVEL]
    level = np.where(ul < p_district, 2, np.where(ul < p_district + p_street, 1, 0))

    uo = u[:, _U_OUTCOME]
    outcome = np.where(uo < _P_STUCK, 2, np.where(uo < _P_STUCK + _P_LATE_CLOSE, 1, 0))
    mu = np.array([-0.7, -0.3, 0.0])[level]
    frac = 1 / (1 + np.exp(-(mu + 0.9 * z[:, _Z_CLOSE])))
    min_work = np.where(urgent, 0.25, 1.0) * _HOUR_S
    closed_on_time = np.maximum(t + 0.98 * close * frac, start + min_work)
    closed_late = t + close + _lognormal(z[:, _Z_LATE], 36 * _HOUR_S, 1.1)
    closed = np.where(outcome == 0, closed_on_time, np.where(outcome == 1, closed_late, np.inf))
    closed = np.maximum(closed, start + 3 * min_gap)

    span = closed - start
    feedback = start + span * (0.5 + 0.4 * u[:, _U_FEEDBACK])
    stuck_fb = start + close * (0.5 + 0.7 * u[:, _U_STUCK_FB_AT])
    feedback = np.where(outcome == 2, np.where(u[:, _U_STUCK_FB] < _P_STUCK_FEEDBACK, stuck_fb, np.inf), feedback)
    stuck = outcome == 2
    tail = np.where(stuck, 0.0, closed - np.where(stuck, 0.0, feedback))
    gap = np.minimum(_lognormal(z[:, _Z_VISIT], 0.5 * _HOUR_S, 0.8), 0.5 * tail)
    visited = np.where(stuck, np.inf, np.maximum(closed - gap, feedback + min_gap / 2))
    closed = np.where(stuck, np.inf, np.maximum(closed, visited + min_gap / 2))

    esc_end = np.where(np.isfinite(feedback), feedback, start + 0.8 * close)
    esc1 = start + (esc_end - start) * (0.1 + 0.3 * u[:, _U_ESC1])
    esc2 = esc1 + (esc_end - esc1) * (0.2 + 0.4 * u[:, _U_ESC2])
    esc1 = np.where(level >= 1, esc1, np.nan)
    esc2 = np.where(level >= 2, esc2, np.nan)
    times = np.stack([t, dispatch, start, esc1, esc2, feedback, visited, closed], axis=1)
    return times, level, outcome


#: Event columns: (from_status, to_status) per stage column of :func:`_workflow`.
_EVENT_STAGES = (
    (None, "accepted"),
    ("accepted", "dispatched"),
    ("dispatched", "in_progress"),
    ("in_progress", "in_progress"),
    ("in_progress", "in_progress"),
    ("in_progress", "feedback"),
    ("feedback", "visited"),
    ("visited", "closed"),
)


def _frames(ctx: _Context, *, idx: np.ndarray, day: np.ndarray, src: np.ndarray, cat: np.ndarray,
            kind: np.ndarray, urgent: np.ndarray, grid: np.ndarray, addr: np.ndarray, place: np.ndarray,
            issue: np.ndarray, name: np.ndarray, phone: np.ndarray, is_repeat: np.ndarray, u: np.ndarray,
            times: np.ndarray, level_final: np.ndarray, outcome: np.ndarray, reporter_w: np.ndarray,
            handler_w: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assemble the appeal and event frames, cutting everything after ``end``."""
    tx = ctx.text
    w = ctx.workers
    m = len(idx)
    end_s = ctx.end_s
    reached = np.isfinite(times) & (times <= end_s)
    status_cols = [0, 1, 2, 5, 6, 7]
    status_i = np.zeros(m, dtype=np.int64)
    for si, col in enumerate(status_cols):
        status_i = np.where(reached[:, col], si, status_i)
    level_now = reached[:, 3].astype(np.int64) + reached[:, 4].astype(np.int64)
    stage_times = np.where(reached, times, np.nan)

    # Text.
    village = tx["village"][ctx.addr.place[addr]].astype(np.int64)
    issue_i = tx["issue_off"][cat] + issue
    place_i = tx["place_off"][issue_i, village] + place
    where = np.strings.add(tx["words"][ctx.addr.place[addr]], tx["places"][place_i])
    title = np.strings.add(where, tx["issue_title"][issue_i])
    patrol_src = np.isin(src, [_SOURCE_CODES.index(s) for s in _PATROL_SOURCES])
    req_group = np.where(patrol_src, 3, kind)
    req_i = tx["req_off"][req_group] + _pick(u[:, _U_REQUEST], tx["req_cnt"][req_group])
    lead = np.where(is_repeat, tx["lead_repeat"][src], tx["lead"][src])
    desc = np.strings.add(np.strings.add(lead, where), tx["issue_detail"][issue_i])
    desc = np.strings.add(np.strings.add(np.strings.add(desc, "，"), tx["requests"][req_i]), "。")

    # source_ref: <prefix>-<local date>-<6-digit sequence per source and day>.
    key = day * len(_SOURCE_CODES) + src
    order = np.lexsort((idx, key))
    sk = key[order]
    first = np.r_[True, sk[1:] != sk[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    seq = np.empty(m, dtype=np.int64)
    seq[order] = np.arange(m) - grp_start + 1
    datestr = np.strings.replace(ctx.plan.days[day].astype("U10"), "-", "")
    ref = np.strings.add(np.strings.add(tx["ref_prefix"][src], datestr), "-")
    ref = np.strings.add(ref, np.strings.zfill(seq.astype("U7"), 6))

    # Handler: a full-time worker of the grid when the case sits with the community.
    worker_ids = np.asarray(w["id"], dtype=object)
    dispatched = reached[:, 1]
    with_worker = (handler_w >= 0) & dispatched & (level_now == 0)
    worker_id = np.full(m, None, dtype=object)
    worker_id[with_worker] = worker_ids[handler_w[with_worker]]

    visited = reached[:, 6]
    resolved_b = u[:, _U_RESOLVED] < np.where(outcome == 0, _P_RESOLVED[0], _P_RESOLVED[1])
    resolved = np.full(m, None, dtype=object)
    resolved[visited] = resolved_b[visited]
    p_sat = np.array(_SATISFACTION_GIVEN)[np.where(resolved_b, 0, 1)]
    us = u[:, _U_SATISFACTION]
    sat_i = np.where(us < p_sat[:, 0], 0, np.where(us < p_sat[:, 0] + p_sat[:, 1], 1, 2))
    rated = visited & (u[:, _U_RATED] < _P_RATED)
    satisfaction = np.full(m, None, dtype=object)
    satisfaction[rated] = np.array(tuple(domain.SATISFACTION), dtype=object)[sat_i[rated]]

    departments = np.array([c.department for c in domain.CATEGORIES], dtype=object)
    levels = np.array(_LEVEL_CODES, dtype=object)
    ts = [_timestamps(stage_times[:, c]) for c in status_cols]
    appeals = pd.DataFrame(
        {
            "idx": idx,
            "source": np.array(_SOURCE_CODES, dtype=object)[src],
            "source_ref": ref.astype(object),
            "kind": np.array(_KIND_CODES, dtype=object)[kind],
            "category": np.array(_CATEGORY_CODES, dtype=object)[cat],
            "priority": np.where(urgent, "urgent", "normal").astype(object),
            "title": title.astype(object),
            "description": desc.astype(object),
            "reporter_name": name.astype(str).astype(object),
            "reporter_phone": phone.astype(str).astype(object),
            "lon": ctx.addr.lon[addr],
            "lat": ctx.addr.lat[addr],
            "level": levels[level_now],
            "status": np.array(_STATUS_CODES, dtype=object)[status_i],
            "accepted_at": ts[0],
            "dispatched_at": ts[1],
            "in_progress_at": ts[2],
            "feedback_at": ts[3],
            "visited_at": ts[4],
            "closed_at": ts[5],
            "department": departments[cat],
            "worker_id": pd.Series(worker_id, dtype=object),
            "resolved": pd.Series(resolved, dtype=object),
            "satisfaction": pd.Series(satisfaction, dtype=object),
        }
    )

    # Events: one row per reached stage, in stage order (which is time order).
    handler_name = np.full(m, "社区工作站", dtype=object)
    hw = handler_w >= 0
    handler_name[hw] = worker_ids[handler_w[hw]]
    accept_actor = tx["accept_actor"][src].copy()
    has_rep = reporter_w >= 0
    accept_actor[has_rep] = worker_ids[reporter_w[has_rep]]
    street_actor = "街道综治中心"
    final_actor = np.where(level_final == 0, handler_name,
                           np.where(level_final == 1, street_actor, departments[cat])).astype(object)
    actors = np.stack([
        accept_actor,
        np.full(m, "区社会治理中心", dtype=object),
        handler_name.astype(object),
        np.full(m, street_actor, dtype=object),
        np.full(m, "区社会治理中心", dtype=object),
        final_actor,
        np.full(m, "区社会治理中心", dtype=object),
        np.full(m, "区社会治理中心", dtype=object),
    ], axis=1)
    stage_level = np.stack([np.zeros(m, dtype=np.int64)] * 3 + [np.ones(m, dtype=np.int64),
                                                                 np.full(m, 2, dtype=np.int64)]
                           + [level_final] * 3, axis=1)
    flat = reached.ravel()
    n_stage = len(_EVENT_STAGES)
    seq_e = (np.cumsum(reached, axis=1) - 1).ravel()[flat]
    stage_col = np.tile(np.arange(n_stage), m)[flat]
    from_status = np.array([f for f, _ in _EVENT_STAGES], dtype=object)
    to_status = np.array([s for _, s in _EVENT_STAGES], dtype=object)
    events = pd.DataFrame(
        {
            "idx": np.repeat(idx, n_stage)[flat],
            "seq": seq_e.astype(np.int64),
            "from_status": pd.Series(from_status[stage_col], dtype=object),
            "to_status": to_status[stage_col],
            "at": _timestamps(times.ravel()[flat]),
            "level": levels[stage_level.ravel()[flat]],
            "actor": actors.ravel()[flat],
        }
    )
    return appeals, events


def generate_appeals(
    grids: Any,
    workers: pd.DataFrame | None,
    n: int,
    start: Any,
    end: Any,
    seed: int,
    chunk_size: int = 100_000,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Stream n appeals accepted in [start, end), oldest first, as (appeals, events) chunks.

    Days are drawn independently from per-day seeds and grouped into chunks of
    at most ``chunk_size`` appeals, so memory stays bounded however large n is;
    repeat reports reach back into a 30-day memory carried across chunks.

    Args:
        grids: Grid records (DataFrame or dicts) with code, street_code, community_code,
            households, population and geometry (WGS-84).
        workers: Output of :func:`generate_workers` (handlers and patrol reporters), or None.
        n: Total number of appeals.
        start: First possible acceptance time (timezone-aware).
        end: "Now": acceptance times are before it and no stage happens after it.
        seed: Seed; identical inputs give identical chunks.
        chunk_size: Upper bound on appeals per chunk.

    Yields:
        (appeals, events) DataFrames; ``appeals.idx`` runs 0..n-1 across chunks and
        ``events`` holds the workflow transitions of exactly those appeals.
    """
    start_s = _to_epoch_s(start, "start")
    end_s = _to_epoch_s(end, "end")
    if end_s <= start_s:
        raise ValueError("end must be after start")
    if n < 0 or chunk_size < 1:
        raise ValueError("n must be >= 0 and chunk_size >= 1")
    if n == 0:
        return
    ctx = _context(grids, workers, start_s, end_s, int(n), int(seed))
    counts = ctx.plan.counts
    memory = _Memory.empty()
    offset = 0
    da = 0
    n_days = len(counts)
    while da < n_days:
        # Greedily take whole days up to chunk_size appeals (at least one day).
        db = da + 1
        total = int(counts[da])
        while db < n_days and total + int(counts[db]) <= chunk_size:
            total += int(counts[db])
            db += 1
        if total:
            appeals, events, memory = _block(ctx, da, db, offset, memory)
            # A single day larger than chunk_size is split; events follow their appeals.
            for lo in range(0, total, chunk_size):
                hi = min(lo + chunk_size, total)
                a = appeals.iloc[lo:hi].reset_index(drop=True)
                e_lo, e_hi = np.searchsorted(events["idx"].to_numpy(), [offset + lo, offset + hi])
                yield a, events.iloc[e_lo:e_hi].reset_index(drop=True)
            offset += total
        da = db
