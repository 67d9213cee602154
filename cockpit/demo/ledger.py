"""The reform ledger (一本账): 127 apps on six runways and their three lists (三张清单).

The figures mirror what a provincial reform office reports: 127 apps in the ledger, 83 of them
iterated at least once, most in construction or acceptance, a handful showcased nationally.
The counts are fixed; which app gets which figure depends on the seed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cockpit import contract
from cockpit.demo import departments as deps
from cockpit.demo.rand import rng_for

# The six runways (跑道) and five stages are the contract's (党政机关整体智治, 数字政府, 数字经济,
# 数字社会, 数字法治, 数字文化; 谋划生成 → 立项审批 → 实施建设 → 验收评估 → 复制推广); the demo
# refers to them by position so a renamed value cannot make the demo invalid.
RUNWAYS = list(contract.RUNWAYS)
STAGES = list(contract.STAGES)
PARTY, GOV, ECON, SOCIETY, LAW, CULTURE = RUNWAYS
N_APPS, N_ITERATED = 127, 83
RUNWAY_COUNTS = {PARTY: 16, GOV: 32, ECON: 22, SOCIETY: 30, LAW: 15, CULTURE: 12}
# Realistic skew: few apps still being planned, most under construction or being accepted.
STAGE_COUNTS = dict(zip(STAGES, (7, 13, 44, 38, 25)))
# How likely an app of a stage is to have been iterated (apps in use get iterated).
_ITERATE_PULL = dict(zip(STAGES, (0.05, 0.2, 1.0, 1.6, 3.0)))

APP_NAMES = {
    PARTY: [
        "基层治理四平台", "浙里党建", "七张问题清单", "浙里重大决策", "领导驾驶舱", "浙里平安",
        "浙里网格连心", "基层减负一件事", "浙里督考", "干部队伍画像", "浙里议事厅", "浙里民情通",
        "共同富裕示范区智治", "浙里组工", "清廉浙江在线", "浙里共享法庭"],
    GOV: [
        "浙里办·一件事", "浙政钉·掌上办公", "企业开办一件事", "不动产登记一件事", "出生一件事",
        "身后一件事", "退休一件事", "浙里办票", "亲清在线", "浙企服务", "投资项目在线审批",
        "公共资源交易一网通", "无证明城市", "智能报表", "民生关键小事", "民呼我为统一平台",
        "12345热线智能分拨", "浙里信访", "浙里财政", "浙里医保", "浙里统计", "浙里公积金",
        "浙里社保", "电子证照共享", "浙里市场监管", "浙江外卖在线", "浙食链", "浙冷链",
        "浙里药安", "浙里审批", "浙里督办", "数字档案"],
    ECON: [
        "产业大脑·纺织", "产业大脑·化工", "产业大脑·汽车零部件", "未来工厂", "浙里工业用地",
        "亩均论英雄", "科技成果转化", "浙里知识产权", "金融综合服务", "数字贸易", "跨境电商在线",
        "浙农码", "浙农田", "浙农补", "浙渔安", "浙里种业", "能源双控在线", "浙里低碳",
        "浙里招商", "人才码", "专精特新在线", "企业码"],
    SOCIETY: [
        "浙里养老", "浙里健康e生", "浙里就业", "浙里安居", "浙里护苗", "数字助残", "浙里托育",
        "浙里救助", "浙里入学", "未来社区", "未来乡村", "浙里畅行", "浙里停车", "加装电梯一件事",
        "浙里物业", "垃圾分类在线", "浙里急救", "互联网医院", "长护险在线", "浙里孝老",
        "浙里助学", "双减在线", "浙里快递", "住房保障在线", "浙里公交", "浙里家政",
        "浙里婚育", "浙里健身", "浙里邻里", "心理援助在线"],
    CULTURE: [
        "浙里文化圈", "浙里文物", "浙里非遗", "浙里书房", "浙里看戏", "浙里文旅", "文明实践在线",
        "浙里志愿", "浙里博物馆", "红色根脉", "全民阅读在线", "宋韵文化"],
    LAW: [
        "之江法云", "浙里办案", "大综合一体化执法", "浙里矛调", "浙里公证", "浙里法律服务",
        "社区矫正在线", "行政复议在线", "浙里检察", "司法鉴定在线", "浙里禁毒", "浙里反诈",
        "浙里消防", "安全生产在线", "浙里执法"],
}
# Department kinds that lead / co-build apps of each runway.
RUNWAY_KINDS = {
    PARTY: ["GGB", "DSJ", "MZT", "GAT"],
    GOV: ["DSJ", "FGW", "SCJ", "RST", "GGB"],
    ECON: ["JXT", "FGW", "NYT", "SCJ", "DSJ"],
    SOCIETY: ["MZT", "WJW", "RST", "JYT", "ZJT", "JTT", "CL", "CGJ"],
    CULTURE: ["WHT", "JYT", "DSJ"],
    LAW: ["SFT", "GAT", "YJT", "CGJ", "STT"],
}
# Apps whose name says who runs them are led by that kind of department.
_NAME_KINDS = [
    (("养老", "救助", "婚育", "孝老", "邻里", "未来社区"), "MZT"),
    (("健康", "急救", "医院", "长护", "心理", "医保"), "WJW"),
    (("就业", "社保", "人才", "退休"), "RST"),
    (("入学", "助学", "双减", "托育"), "JYT"),
    (("安居", "物业", "电梯", "住房", "公积金"), "ZJT"),
    (("畅行", "停车", "公交", "快递"), "JTT"),
    (("助残",), "CL"),
    (("垃圾", "执法"), "CGJ"),
    (("食", "外卖", "冷链", "药安", "市场监管", "企业开办", "知识产权"), "SCJ"),
    (("民呼我为", "12345", "信访", "督", "减负", "决策", "驾驶舱", "七张", "议事"), "GGB"),
    (("低碳", "能源"), "FGW"),
    (("浙农", "浙渔", "种业", "未来乡村"), "NYT"),
    (("平安", "反诈", "禁毒"), "GAT"),
    (("消防", "安全生产"), "YJT"),
    (("文物", "非遗", "书房", "看戏", "文旅", "博物馆", "阅读", "宋韵", "文化圈"), "WHT"),
    (("智能报表", "电子证照", "数字档案", "浙里办", "浙政钉"), "DSJ"),
]

LISTS = list(contract.LISTS)
_NEEDS = ["群众办事多头跑", "数据共享不畅", "跨部门协同难", "基层报表负担重", "服务覆盖不均衡",
          "事件发现滞后", "政策兑现慢", "监管底数不清", "业务系统林立", "群众诉求响应慢"]
_SCENES = ["一键申报", "数据回流基层", "智能预警处置", "跨层级联办", "免申即享", "主动服务推送",
           "协同监管闭环", "一屏统览", "掌上评价反馈", "多跨事件流转"]
_REFORMS = ["管理办法", "数据共享目录", "业务流程标准", "协同工作机制", "考核评价细则",
            "地方标准", "数据安全规范", "容错免责清单"]

APPS_SCHEMA = pa.schema([
    ("app_id", pa.string()), ("name", pa.string()), ("runway", pa.string()),
    ("region_code", pa.string()), ("lead_dept", pa.string()), ("co_depts", pa.list_(pa.string())),
    ("stage", pa.string()), ("iterations", pa.int64()), ("in_ledger", pa.bool_()),
    ("launched_on", pa.date32()), ("monthly_active_users", pa.int64()),
    ("central_publications", pa.int64()), ("provincial_publications", pa.int64()),
    ("meeting_demos", pa.int64()), ("expert_score", pa.float64()), ("leader_endorsed", pa.bool_()),
])
ITEMS_SCHEMA = pa.schema([
    ("item_id", pa.string()), ("app_id", pa.string()), ("list", pa.string()), ("title", pa.string()),
    ("status", pa.string()), ("owner_dept", pa.string()), ("due_on", pa.date32()), ("done_on", pa.date32()),
])


def _labels(counts: dict[str, int], rng: np.random.Generator) -> list[str]:
    labels = [k for k, n in counts.items() for _ in range(n)]
    return [labels[i] for i in rng.permutation(len(labels))]


def _dept_for(region: str, kind: str) -> str:
    """The department of `kind` serving a province, city or county code."""
    return deps.resolve(region[:4] + "00", kind)


def build_apps(seed: int, as_of: dt.date) -> list[dict]:
    """The 127 apps (exactly 83 with iterations ≥ 1)."""
    assert sum(RUNWAY_COUNTS.values()) == N_APPS == sum(STAGE_COUNTS.values())
    rng = rng_for(seed, "ledger.apps")
    stages = _labels(STAGE_COUNTS, rng)
    runway_of = [r for r, n in RUNWAY_COUNTS.items() for _ in range(n)]
    names = [n for r, n_ in RUNWAY_COUNTS.items() for n in list(rng.permutation(APP_NAMES[r]))[:n_]]
    pull = np.array([_ITERATE_PULL[s] for s in stages])
    iterated = set(rng.choice(N_APPS, size=N_ITERATED, replace=False, p=pull / pull.sum()).tolist())
    city_regions = list(deps.CITY_DEPTS)
    counties = {"330100": ["330106", "330110", "330109", "330102"], "330200": ["330212", "330203"],
                "330300": ["330302", "330381"]}
    apps = []
    for i in range(N_APPS):
        runway, stage = runway_of[i], stages[i]
        level = rng.choice(3, p=[0.55, 0.33, 0.12])
        if level == 0:
            region = deps.PROVINCE
        else:
            city = city_regions[rng.integers(len(city_regions))]
            region = city if level == 1 else counties[city][rng.integers(len(counties[city]))]
        kinds = RUNWAY_KINDS[runway]
        lead_kind = kinds[rng.integers(len(kinds))]
        for words, kind in _NAME_KINDS:
            if any(w in names[i] for w in words):
                lead_kind = kind
                break
        lead = _dept_for(region, lead_kind)
        pool = sorted({_dept_for(region, k) for k in kinds} | {_dept_for(deps.PROVINCE, k) for k in ("DSJ", "GGB")})
        pool = [d for d in pool if d != lead]
        co = sorted(rng.choice(pool, size=min(len(pool), int(rng.integers(1, 5))), replace=False).tolist())
        stage_i = STAGES.index(stage)
        launched = stage_i >= 3 or (stage_i == 2 and rng.random() < 0.5)
        launched_on = None
        if launched:
            # Later stages launched earlier; nothing launched after as_of.
            days_ago = int(rng.integers(60, 420) + 200 * (stage_i - 2))
            launched_on = as_of - dt.timedelta(days=days_ago)
        iterations = int(rng.integers(1, 3 + 3 * max(stage_i - 2, 0))) if i in iterated else 0
        endorsed = bool(rng.random() < (0.08 + 0.1 * stage_i))
        mau = int(rng.lognormal(9.5 + 0.6 * stage_i, 1.0)) if launched else None
        apps.append({
            "app_id": f"APP{i + 1:03d}",
            "name": names[i],
            "runway": runway,
            "region_code": region,
            "lead_dept": lead,
            "co_depts": co,
            "stage": stage,
            "iterations": iterations,
            "in_ledger": bool(rng.random() < 0.94),
            "launched_on": launched_on,
            "monthly_active_users": mau,
            "central_publications": int(rng.poisson(0.2 + 0.25 * stage_i + (0.8 if endorsed else 0))),
            "provincial_publications": int(rng.poisson(0.8 + 0.7 * stage_i)),
            "meeting_demos": int(rng.poisson(0.3 + 0.5 * stage_i + (1.0 if endorsed else 0))),
            "expert_score": None if stage_i == 0 else round(float(np.clip(rng.normal(72 + 4 * stage_i, 7), 60, 98)), 1),
            "leader_endorsed": endorsed,
        })
    return apps


def build_items(apps: list[dict], seed: int, as_of: dt.date) -> list[dict]:
    """3–8 items on each of the three lists of every app. Later-stage apps have more done;
    some items are overdue (due before as_of, not done) and a few are blocked."""
    rng = rng_for(seed, "ledger.items")
    items = []
    for app in apps:
        stage_i = STAGES.index(app["stage"])
        owners = [app["lead_dept"], *app["co_depts"]]
        for li, lst in enumerate(LISTS):
            n = int(rng.integers(3, 9))
            # Needs are settled first, reforms last: done share falls along the lists.
            p_done = float(np.clip(0.12 + 0.2 * stage_i - 0.12 * li, 0.02, 0.95))
            for k in range(n):
                r = rng.random()
                if r < p_done:
                    status = "done"
                elif r < p_done + 0.05:
                    status = "blocked"
                elif r < p_done + 0.05 + (1 - p_done) * 0.6:
                    status = "in_progress"
                else:
                    status = "planned"
                due_on = as_of + dt.timedelta(days=int(rng.integers(-420, 300)))
                if status in ("in_progress", "planned") and due_on < as_of and rng.random() < 0.55:
                    # Most late items got a new date; the rest stay visibly overdue.
                    due_on = as_of + dt.timedelta(days=int(rng.integers(10, 200)))
                done_on = None
                if status == "done":
                    done_on = min(as_of, due_on + dt.timedelta(days=int(rng.integers(-60, 25))))
                    if done_on > as_of - dt.timedelta(days=1):
                        done_on = as_of - dt.timedelta(days=int(rng.integers(1, 30)))
                if lst == "需求":
                    title = f"{app['name']}：{_NEEDS[rng.integers(len(_NEEDS))]}"
                elif lst == "场景":
                    title = f"{app['name']}·{_SCENES[rng.integers(len(_SCENES))]}场景"
                else:
                    title = f"制定{app['name']}{_REFORMS[rng.integers(len(_REFORMS))]}"
                items.append({
                    "item_id": f"{app['app_id']}-{'NSR'[li]}{k + 1:02d}",
                    "app_id": app["app_id"],
                    "list": lst,
                    "title": title,
                    "status": status,
                    "owner_dept": None if rng.random() < 0.06 else owners[rng.integers(len(owners))],
                    "due_on": None if rng.random() < 0.04 else due_on,
                    "done_on": done_on,
                })
    return items


def apps_table(apps: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(apps, schema=APPS_SCHEMA)


def items_table(items: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(items, schema=ITEMS_SCHEMA)
