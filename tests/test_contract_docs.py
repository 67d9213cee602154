"""docs/data-contract.md is generated from cockpit/contract.py; the two must not drift apart."""

from pathlib import Path

import pyarrow as pa

from cockpit import contract
from cockpit.contract import CONTRACTS
from cockpit.contract_docs import render_contract_markdown
from cockpit.contract_types import type_accepts

DOCS = Path(__file__).resolve().parent.parent / "docs" / "data-contract.md"


def test_committed_docs_equal_rendering():
    assert DOCS.read_text(encoding="utf-8") == render_contract_markdown(), (
        "docs/data-contract.md is stale: run `python -m cockpit.contract_docs > docs/data-contract.md`")


def test_docs_mention_every_file_and_column():
    text = render_contract_markdown()
    for t in CONTRACTS.values():
        assert f"## {t.file}" in text
        for col in t.columns:
            assert f"| `{col.name}` |" in text
            for value in col.enum:
                assert f"`{value}`" in text


def test_foreign_keys_point_at_declared_columns():
    for t, col, fk in contract.foreign_keys():
        target = CONTRACTS[fk.table]
        assert fk.column in target.column_names, (t.name, col.name)
        if fk.level:
            assert "level" in target.column_names


def test_rules_reference_declared_columns():
    for t in CONTRACTS.values():
        for rule in (*t.row_rules, *t.table_rules):
            assert set(rule.columns) <= set(t.column_names), (t.name, rule.rule)
            assert rule.column in t.column_names
        assert set(t.key) <= set(t.column_names)


def test_type_acceptance():
    assert type_accepts("int", pa.int8()) and type_accepts("int", pa.uint64())
    assert not type_accepts("int", pa.float64())
    assert type_accepts("timestamp", pa.timestamp("s")) and type_accepts("timestamp", pa.timestamp("ns"))
    assert not type_accepts("timestamp", pa.timestamp("us", tz="Asia/Shanghai"))
    assert type_accepts("date", pa.date64()) and not type_accepts("date", pa.timestamp("ns"))
    assert type_accepts("string", pa.dictionary(pa.int32(), pa.string()))
    assert type_accepts("string", pa.large_string())
    assert type_accepts("list<string>", pa.large_list(pa.large_string()))
    assert type_accepts("float", pa.int32())
    assert not type_accepts("geometry", pa.null())
