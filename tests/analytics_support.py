"""Helpers shared by the hand-made analytics datasets."""

from __future__ import annotations

import duckdb

# Province 330000 > city 330100 > counties A 330102, B 330105 > streets A1, A2, B1:
# (code, name, level, parent), the small tree of the flow and warning examples.
REGIONS = [
    ("330000", "浙江省", "province", None),
    ("330100", "杭州市", "city", "330000"),
    ("330102", "A区", "county", "330100"),
    ("330105", "B区", "county", "330100"),
    ("330102001", "A1街道", "street", "330102"),
    ("330102002", "A2街道", "street", "330102"),
    ("330105001", "B1街道", "street", "330105"),
]


def region_tree_rows(regions):
    """(ancestor_code, region_code, depth, level) for every ancestor, itself included at depth 0.

    `regions` holds (code, name, level, parent) tuples; written out independently of the
    region_tree rollup so the tests do not use the code under test to build their inputs."""
    parent = {code: p for code, _, _, p in regions}
    level = {code: lv for code, _, lv, _ in regions}
    rows = []
    for code in parent:
        anc, depth = code, 0
        while anc is not None:
            rows.append((anc, code, depth, level[code]))
            anc, depth = parent[anc], depth + 1
    return rows


def tree_connection(regions=REGIONS) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding `regions` and their hand-written `region_tree`."""
    con = duckdb.connect()
    con.execute("create table regions (region_code varchar, name varchar, level varchar, parent_code varchar)")
    con.executemany("insert into regions values (?, ?, ?, ?)", regions)
    con.execute("create table region_tree (ancestor_code varchar, region_code varchar, depth integer, level varchar)")
    con.executemany("insert into region_tree values (?, ?, ?, ?)", region_tree_rows(regions))
    return con
