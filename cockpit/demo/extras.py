"""Extra tables for the analyst examples (any NAME.parquet outside the contract is queryable as
NAME): 智能报表 report burden and the 19 数字助残 disability-service tasks.

Their columns are documented in docs/demo-data.md; keep the two in step.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cockpit.demo import departments as deps
from cockpit.demo.indicators import periods
from cockpit.demo.rand import rng_for

REPORT_BURDEN_SCHEMA = pa.schema([
    ("period", pa.date32()),
    ("dept_code", pa.string()),
    ("region_code", pa.string()),
    ("forms", pa.int64()),
    ("submissions", pa.int64()),
    ("fields_total", pa.int64()),
    ("fields_prefilled", pa.int64()),
    ("hours_saved", pa.float64()),
])

DISABILITY_SCHEMA = pa.schema([
    ("task_id", pa.string()),
    ("category", pa.string()),
    ("name", pa.string()),
    ("lead_dept", pa.string()),
    ("region_code", pa.string()),
    ("status", pa.string()),
    ("progress", pa.float64()),
    ("beneficiaries", pa.int64()),
    ("target_beneficiaries", pa.int64()),
    ("due_on", pa.date32()),
    ("updated_on", pa.date32()),
])

# The 19 tasks of the 数字助残 example: (category, name, lead department kind, region).
DISABILITY_TASKS = [
    ("主动感知", "残疾人身份信息多源比对", "CL", "330000"),
    ("主动感知", "困难残疾人生活补贴主动发现", "MZT", "330000"),
    ("主动感知", "重度残疾人护理需求感知", "CL", "330100"),
    ("主动感知", "残疾儿童康复需求早筛", "WJW", "330000"),
    ("主动感知", "就业意愿主动摸排", "RST", "330300"),
    ("主动感知", "无障碍设施问题随手拍", "ZJT", "330200"),
    ("政策兑现", "两项补贴免申即享", "MZT", "330000"),
    ("政策兑现", "残疾人证办理一件事", "CL", "330000"),
    ("政策兑现", "辅助器具适配补贴直达", "CL", "330100"),
    ("政策兑现", "康复救助资金直达", "WJW", "330000"),
    ("政策兑现", "残疾人就业补贴一键兑现", "RST", "330100"),
    ("政策兑现", "机动轮椅车燃油补贴", "CL", "330000"),
    ("政策兑现", "残疾人参保补助自动兑现", "RST", "330000"),
    ("服务保障", "残疾人证跨省通办", "CL", "330000"),
    ("服务保障", "无障碍出行地图", "JTT", "330100"),
    ("服务保障", "手语视频客服", "DSJ", "330000"),
    ("服务保障", "助残服务机构在线评价", "MZT", "330200"),
    ("服务保障", "重度残疾人托养照护", "CL", "330100"),
    ("服务保障", "残疾人家庭无障碍改造", "ZJT", "330100"),
]
DISABILITY_CATEGORIES = ["主动感知", "政策兑现", "服务保障"]


def report_burden_table(seed: int, as_of: dt.date) -> pa.Table:
    """Per department and month over the last 12 months: as 智能报表 rolls out (each department
    from its own month), forms get merged, pre-filled fields rise from ~15 % to ~70 % and the
    hours saved at the grass roots grow."""
    rng = rng_for(seed, "extras.report_burden")
    months = periods(as_of)
    rows = []
    for d in deps.departments():
        provincial = d["region_code"] == deps.PROVINCE
        forms0 = int(rng.integers(18, 45) if provincial else rng.integers(8, 25))
        fields_per_form = float(rng.uniform(40, 110))
        units = float(rng.uniform(60, 220) if provincial else rng.uniform(15, 90))  # who fills them in
        start = int(rng.integers(0, 8))  # month index the department switched on
        for mi, period in enumerate(months):
            adopted = max(0, mi - start + 1)
            forms = max(3, round(forms0 * (1 - 0.035 * adopted)))
            fields_total = int(forms * fields_per_form * rng.uniform(0.95, 1.05))
            share = min(0.15 + 0.09 * adopted + rng.normal(0, 0.02), 0.8) if adopted else rng.uniform(0.08, 0.18)
            fields_prefilled = int(fields_total * max(share, 0.0))
            submissions = int(forms * units * rng.uniform(0.85, 1.1))
            # ~20 s saved for each pre-filled field on each submission.
            hours_saved = round(fields_prefilled / max(forms, 1) * submissions * 20 / 3600, 1)
            rows.append({"period": period, "dept_code": d["dept_code"], "region_code": d["region_code"],
                         "forms": forms, "submissions": submissions, "fields_total": fields_total,
                         "fields_prefilled": fields_prefilled, "hours_saved": hours_saved})
    return pa.Table.from_pylist(rows, schema=REPORT_BURDEN_SCHEMA)


def disability_tasks_table(seed: int, as_of: dt.date) -> pa.Table:
    """The 19 tasks with status, progress and people reached."""
    rng = rng_for(seed, "extras.disability")
    rows = []
    for i, (category, name, kind, region) in enumerate(DISABILITY_TASKS):
        status = rng.choice(["done", "in_progress", "planned", "blocked"], p=[0.35, 0.5, 0.1, 0.05])
        progress = {"done": 100.0, "in_progress": round(float(rng.uniform(25, 95)), 1),
                    "planned": round(float(rng.uniform(0, 10)), 1),
                    "blocked": round(float(rng.uniform(20, 60)), 1)}[str(status)]
        target = int(round(rng.lognormal(np.log(20_000 if region == deps.PROVINCE else 4_000), 0.6), -2))
        reached = int(target * progress / 100 * rng.uniform(0.9, 1.05)) if status != "planned" else 0
        due = as_of + dt.timedelta(days=int(rng.integers(-200, 240)))
        if status != "done" and due < as_of and rng.random() < 0.5:
            due = as_of + dt.timedelta(days=int(rng.integers(15, 120)))
        rows.append({
            "task_id": f"ZC{i + 1:02d}",
            "category": category,
            "name": name,
            "lead_dept": deps.resolve(region, kind),
            "region_code": region,
            "status": str(status),
            "progress": progress,
            "beneficiaries": reached,
            "target_beneficiaries": target,
            "due_on": due,
            "updated_on": as_of - dt.timedelta(days=int(rng.integers(0, 21))),
        })
    return pa.Table.from_pylist(rows, schema=DISABILITY_SCHEMA)
