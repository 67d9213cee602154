"""Helpers shared by the hand-made analytics datasets."""

from __future__ import annotations


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
