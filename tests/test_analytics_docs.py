"""docs/methods.md says what the code does: constants, stages, weights and rollup columns."""

from __future__ import annotations

import re
from pathlib import Path

from cockpit.analytics import flow, ledger, scores, warning

DOC = (Path(__file__).resolve().parent.parent / "docs" / "methods.md").read_text(encoding="utf-8")


def test_score_cap_documented():
    assert f"**capped at {scores.SCORE_CAP}**" in DOC
    assert "ranks below every" in DOC and "broken by street code" in DOC


def test_stage_table_matches_code():
    rows = re.findall(r"^\| (\S+) (\w+) \| `(\w+)` \| `(\w+)` \|", DOC, flags=re.M)
    documented = {(zh, key, a, b) for zh, key, a, b in rows}
    for key, zh, a, b in (*flow.STAGES, flow.TOTAL):
        assert (zh, key, a, b) in documented, key


def test_requests_daily_columns_documented():
    for col in flow.REQUESTS_DAILY_COLUMNS:
        generic = re.sub(r"dur_(\w+?)_(h_sum|n)$", r"dur_<stage>_\2", col)
        assert f"`{generic}`" in DOC or f"`{col}`" in DOC, col


def test_warning_constants_documented():
    assert f"**{warning.BASELINE_WEEKS} weeks before it**" in DOC
    assert f"**{warning.MAD_SCALE} × MAD**" in DOC
    assert f"at\nleast **{warning.MIN_VOLUME}**" in DOC or f"at least **{warning.MIN_VOLUME}**" in DOC
    assert f"at least **{warning.Z_THRESHOLD}**" in DOC
    assert f"between 0 and {warning.LOOKBACK_WEEKS - 1}" in DOC


def test_visibility_table_matches_code():
    names = {"central_publications": "central publications",
             "provincial_publications": "provincial publications",
             "meeting_demos": "meeting demonstrations", "expert_score": "expert score (0–100)",
             "leader_endorsed": "leader endorsement"}
    for comp, weight, sat in ledger.VISIBILITY_WEIGHTS:
        row = re.search(rf"^\| {re.escape(names[comp])} \| (\d+) \| (\S+) \|", DOC, flags=re.M)
        assert row, comp
        assert int(row.group(1)) == weight
        assert row.group(2) == ("yes" if comp == "leader_endorsed" else str(sat))
        assert f"{weight}.0 * " in ledger._APPS  # the SQL uses the same weight


def test_quality_flags_documented():
    from cockpit.analytics import quality

    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (\w+) \|", DOC, flags=re.M)
    assert {(f.name, f.table, f.kind) for f in quality.FLAGS} <= set(rows)
    assert f"more than **{quality.LATE_UPDATE_DAYS} days**" in DOC
    assert f"the {quality.EXAMPLES_PER_REGION} smallest ids" in DOC
