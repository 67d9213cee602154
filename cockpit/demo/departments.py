"""Departments of the demo: the provincial bureaus and those of three cities.

A department has a *kind* (公安, 民政, ...). Requests of a category go to the department of the
matching kind in the street's city when that city has one, else to the provincial one, so the
request flow, the ledger and the report-burden table all speak of the same ~40 departments.
"""

from __future__ import annotations

import pyarrow as pa

PROVINCE = "330000"

# kind → (provincial name, city name suffix); None where that level has no such department.
KINDS: dict[str, tuple[str | None, str | None]] = {
    "GGB": ("省委改革办（数改办）", None),
    "FGW": ("省发展改革委", "发改委"),
    "DSJ": ("省大数据发展管理局", "数据资源管理局"),
    "GAT": ("省公安厅", "公安局"),
    "MZT": ("省民政厅", "民政局"),
    "RST": ("省人力社保厅", "人社局"),
    "ZJT": ("省住房城乡建设厅", "住建局"),
    "WJW": ("省卫生健康委", "卫健委"),
    "JYT": ("省教育厅", "教育局"),
    "SCJ": ("省市场监管局", "市场监管局"),
    "STT": ("省生态环境厅", "生态环境局"),
    "JTT": ("省交通运输厅", "交通运输局"),
    "CGJ": (None, "城管局"),
    "YJT": ("省应急管理厅", "应急管理局"),
    "SFT": ("省司法厅", None),
    "WHT": ("省文化广电旅游厅", None),
    "JXT": ("省经济和信息化厅", None),
    "NYT": ("省农业农村厅", None),
    "CL": ("省残疾人联合会", "残联"),
}
# Cities with their own departments in the demo, and which kinds each has.
CITY_DEPTS = {
    "330100": ("杭州市", ["FGW", "DSJ", "GAT", "MZT", "RST", "ZJT", "WJW", "JYT", "SCJ", "STT", "JTT", "CGJ", "YJT", "CL"]),
    "330200": ("宁波市", ["DSJ", "GAT", "MZT", "ZJT", "SCJ", "CGJ"]),
    "330300": ("温州市", ["DSJ", "GAT", "RST", "SCJ", "CGJ"]),
}

SCHEMA = pa.schema([
    ("dept_code", pa.string()),
    ("name", pa.string()),
    ("region_code", pa.string()),
])


def dept_code(region_code: str, kind: str) -> str:
    """Codes read like "330100-GAT": owning government, then the department kind."""
    return f"{region_code}-{kind}"


def departments() -> list[dict]:
    """All departments (fixed; they do not depend on the seed)."""
    rows = []
    for kind, (prov, _) in KINDS.items():
        if prov:
            rows.append({"dept_code": dept_code(PROVINCE, kind), "name": prov, "region_code": PROVINCE, "kind": kind})
    for city, (city_name, kinds) in CITY_DEPTS.items():
        for kind in kinds:
            rows.append({"dept_code": dept_code(city, kind), "name": city_name + KINDS[kind][1],
                         "region_code": city, "kind": kind})
    return rows


def resolve(city_code: str, kind: str) -> str:
    """The department of `kind` serving `city_code`: the city's own, else the provincial one
    (城管 has no provincial bureau: the provincial 住建厅 oversees it)."""
    if city_code in CITY_DEPTS and kind in CITY_DEPTS[city_code][1]:
        return dept_code(city_code, kind)
    if KINDS[kind][0] is None:
        kind = "ZJT"
    return dept_code(PROVINCE, kind)


def departments_table() -> pa.Table:
    rows = departments()
    return pa.Table.from_pylist([{k: r[k] for k in SCHEMA.names} for r in rows], schema=SCHEMA)
