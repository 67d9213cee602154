"""The demo's 数字镇长 and 数字局长 (`digital_officials.parquet`, contract v1.1).

Every street gets post A (the street's deputy party secretary) and post B (a leader of its
county), every department a 数字局长. The names are plainly fictitious: a common surname, a
numbered given name and the mark （虚构）, so no screen can be mistaken for real appointments.
"""

from __future__ import annotations

import pyarrow as pa

from cockpit.demo.rand import rng_for

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
SCHEMA = pa.schema([("post", pa.string()), ("street_code", pa.string()), ("dept_code", pa.string()),
                    ("name", pa.string()), ("title", pa.string())])


def _name(rng, n: int) -> str:
    return f"{SURNAMES[int(rng.integers(0, len(SURNAMES)))]}{n:03d}（虚构）"


def officials_table(regions, depts: pa.Table, seed: int) -> pa.Table:
    """One row per street and post (town_a, town_b) and one per department (bureau)."""
    rng = rng_for(seed, "officials")
    streets = regions[regions["level"] == "street"].sort_values("region_code")
    county_leader: dict[str, str] = {}
    rows, n = [], 0
    for code, parent in zip(streets["region_code"], streets["parent_code"]):
        n += 1
        rows.append({"post": "town_a", "street_code": code, "dept_code": None, "name": _name(rng, n),
                     "title": "街道党工委副书记"})
        # One district-level leader looks after several streets of the county, as in practice.
        if parent not in county_leader or rng.random() < 0.25:
            n += 1
            county_leader[parent] = _name(rng, n)
        rows.append({"post": "town_b", "street_code": code, "dept_code": None, "name": county_leader[parent],
                     "title": "区委常委、副区长"})
    for dept in sorted(depts.column("dept_code").to_pylist()):
        n += 1
        rows.append({"post": "bureau", "street_code": None, "dept_code": dept, "name": _name(rng, n),
                     "title": "分管副局长"})
    return pa.Table.from_pylist(rows, schema=SCHEMA)
