"""Data-quality flags (数据质量): what a 12345 data steward checks in every snapshot.

Each flag is a rule over one table that picks out the rows (requests, ledger items, streets ...)
a steward would want to look at. Ingest counts every flag per region when it publishes a
snapshot and keeps the counts in the rollup ``quality_flags`` (built by
:mod:`cockpit.ingest.quality`); the read side (``cockpit quality``, the data-quality page, the
badges on panels) only reads that rollup. Definitions in plain words: docs/methods.md §5.

Two kinds of flag:

- **state** flags look at the snapshot as published (every request it holds, the latest month
  of street metrics): "what is wrong in the data we serve";
- **arrival** flags look only at the rows the drop delivered (``drop_requests``) against the
  snapshot before it (``previous_requests``): "what is new or odd in this delivery". A snapshot
  built from a drop without requests, or the very first snapshot, has none of those.

Every flag's SQL returns ``(region_code, item_id)`` rows: the region the row belongs to (a
request's street, a ledger item's app's region, the street itself) and the id a steward looks
up. The rollup keeps per (flag, region) the count and a few example ids.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
    import pandas as pd

from cockpit.snapshot import connect_snapshot, live_snapshot_dir
from cockpit.store import StoreError

#: Days after closing from which an update counts as "arriving long after closing".
LATE_UPDATE_DAYS = 30
#: Example ids kept per flag and region (the smallest ids, so the rollup is deterministic).
EXAMPLES_PER_REGION = 5

#: Columns of the ``quality_flags`` rollup.
QUALITY_COLUMNS = ("flag", "source_table", "region_code", "flagged", "example_ids")

_STATUS_RANK = ("CASE status WHEN 'received' THEN 0 WHEN 'relayed' THEN 1 WHEN 'dispatched' THEN 2 "
                "WHEN 'handling' THEN 3 WHEN 'closed' THEN 4 END")


@dataclass(frozen=True)
class Flag:
    """One data-quality rule: its name, the table it checks, labels and the SQL that finds rows.
    A state flag on requests also has `condition`, the same rule on one request's columns, so a
    case list of requests (`cockpit.cases`) can show exactly the flagged ones."""

    name: str
    table: str
    kind: str  # "state" (the published snapshot) or "arrival" (this drop's rows)
    zh: str
    en: str
    sql: str
    condition: str | None = None


def _requests_flag(name: str, zh: str, en: str, condition: str) -> Flag:
    """A state flag on the requests the snapshot holds: those meeting `condition`."""
    return Flag(name, "requests", "state", zh, en,
                f"select street_code, request_id from requests where {condition}", condition)


def _first_seen(name: str, column: str, zh: str, en: str) -> Flag:
    """An arrival flag: a value of `column` the snapshot before never had."""
    return Flag(name, "requests", "arrival", zh, en,
                f"select street_code, request_id from drop_requests where {column} not in "
                f"(select distinct {column} from previous_requests where {column} is not null)")


#: The latest month of street metrics (both street flags look at it).
_LATEST_METRICS = "(select max(period) from street_metrics)"

FLAGS: tuple[Flag, ...] = (
    _requests_flag("closed_without_handled_time", "已办结但缺处理时间", "Closed without a handling time",
                   "(status = 'closed' or closed_at is not null) and handled_at is null"),
    _requests_flag("stage_time_missing", "环节时间缺失", "Stage time missing",
                   f"(relayed_at is null and ({_STATUS_RANK} >= 1 or dispatched_at is not null "
                   f"or handled_at is not null or closed_at is not null)) "
                   f"or (dispatched_at is null and ({_STATUS_RANK} >= 2 or handled_at is not null "
                   f"or closed_at is not null))"),
    _requests_flag("missing_coordinates", "缺少坐标", "No coordinates", "lon is null or lat is null"),
    _requests_flag("dispatched_without_department", "已派单但无承办部门", "Dispatched without a department",
                   f"dept_code is null and {_STATUS_RANK} >= 2"),
    _requests_flag("missing_due_time", "缺少办理时限", "No due time", "due_at is null"),
    _requests_flag("due_before_received", "时限早于受理时间", "Due before received", "due_at < received_at"),
    _first_seen("new_category", "category", "本批新出现的诉求类别", "Category first seen in this drop"),
    _first_seen("new_channel", "channel", "本批新出现的渠道", "Channel first seen in this drop"),
    Flag("late_update_after_closing", "requests", "arrival", "办结后很久才更新",
         f"Updated more than {LATE_UPDATE_DAYS} days after closing",
         f"select street_code, request_id from drop_requests "
         f"where closed_at is not null and updated_at > closed_at + interval {LATE_UPDATE_DAYS} day"),
    Flag("street_without_metrics", "street_metrics", "state", "最新月份无考核数据的街道",
         "Street without metrics in the latest month",
         f"select r.region_code, r.region_code from regions r where r.level = 'street' "
         f"and {_LATEST_METRICS} is not null "
         f"and not exists (select 1 from street_metrics m where m.street_code = r.region_code "
         f"and m.period = {_LATEST_METRICS})"),
    Flag("street_metrics_incomplete", "street_metrics", "state", "最新月份考核指标不全",
         "Street missing some indicators in the latest month",
         f"select m.street_code, m.street_code from street_metrics m where m.period = {_LATEST_METRICS} "
         "group by m.street_code having count(distinct m.indicator) < (select count(*) from indicators)"),
    Flag("item_without_owner", "ledger_items", "state", "清单事项无责任部门",
         "Ledger item without an owning department",
         "select a.region_code, i.item_id from ledger_items i join reform_apps a using (app_id) "
         "where i.owner_dept is null"),
    Flag("app_without_items", "reform_apps", "state", "应用无清单事项",
         "Ledger app without list items",
         "select a.region_code, a.app_id from reform_apps a where a.in_ledger "
         "and not exists (select 1 from ledger_items i where i.app_id = a.app_id)"),
)

FLAGS_BY_NAME = {f.name: f for f in FLAGS}


def quality_rollup_sql(flags: tuple[Flag, ...] = FLAGS) -> str:
    """One statement giving the ``quality_flags`` rows (QUALITY_COLUMNS) of `flags`."""
    parts = []
    for f in flags:
        parts.append(
            f"select '{f.name}' as flag, '{f.table}' as source_table, region_code, "
            f"count(*) as flagged, "
            f"list(item_id order by item_id)[1:{EXAMPLES_PER_REGION}] as example_ids "
            f"from (select * from ({f.sql}) as t(region_code, item_id)) "
            f"group by region_code")
    return ("select flag, source_table, region_code, cast(flagged as bigint) as flagged, example_ids from ("
            + "\nunion all\n".join(parts) + ") order by flag, region_code")


def quality_summary(con, region: str | None = None, examples: int = EXAMPLES_PER_REGION) -> pd.DataFrame:
    """Every defined flag with its count and example ids (within `region`, or everywhere).

    Flags the snapshot has no rows for count 0. A snapshot published before flags were counted
    (no ``quality_flags`` rollup) raises LookupError.
    """
    has = con.execute("select count(*) from duckdb_views() where view_name = 'quality_flags'").fetchall()[0][0]
    if not has:
        raise LookupError("this snapshot has no quality_flags rollup (published before data-quality "
                          "flags were counted); ingest a drop to count them")
    # Counted per region row first, examples separately: the unnest join repeats each row.
    counts = con.execute(
        "select flag, sum(flagged) from quality_flags where $region is null or region_code in "
        "(select region_code from region_tree where ancestor_code = $region) group by flag",
        {"region": region}).fetchall()
    ex = con.execute(
        "select flag, list(distinct e order by e) from quality_flags, unnest(example_ids) as x(e) "
        "where $region is null or region_code in "
        "(select region_code from region_tree where ancestor_code = $region) group by flag",
        {"region": region}).fetchall()
    by_flag = {k: int(v) for k, v in counts}
    examples_of = {k: list(v)[:examples] for k, v in ex}
    import pandas as pd

    return pd.DataFrame({
        "flag": [f.name for f in FLAGS],
        "table": [f.table for f in FLAGS],
        "kind": [f.kind for f in FLAGS],
        "count": [by_flag.get(f.name, 0) for f in FLAGS],
        "example_ids": [examples_of.get(f.name, []) for f in FLAGS],
        "label_zh": [f.zh for f in FLAGS],
        "label_en": [f.en for f in FLAGS],
    })


def cli_quality(store: Path, region: str | None = None, fmt: str = "table") -> int:
    """``cockpit quality``: the live snapshot's data-quality flags (flag, table, count, example ids).

    Exit status 0 = printed, 2 = no store, no snapshot or a snapshot without counted flags.
    """
    try:
        snap = live_snapshot_dir(store)
    except (FileNotFoundError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    con = connect_snapshot(snap)
    try:
        df = quality_summary(con, region)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    try:
        if fmt == "json":
            rows = [{"flag": r.flag, "table": r.table, "kind": r.kind, "count": int(r.count),
                     "example_ids": list(r.example_ids), "label": {"zh": r.label_zh, "en": r.label_en}}
                    for r in df.itertuples(index=False)]
            print(json.dumps({"snapshot": snap.name, "region": region, "flags": rows}, ensure_ascii=False, indent=2))
        else:
            out = df[["flag", "table", "count"]].copy()
            out["example_ids"] = [" ".join(map(str, ids)) for ids in df["example_ids"]]
            if fmt == "csv":
                out.to_csv(sys.stdout, index=False)
            else:
                from cockpit.analytics.scores import format_table
                print(format_table(out))
        sys.stdout.flush()
    except BrokenPipeError:  # `cockpit quality | head`: the reader left; not an error
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


#: Which drop table's flags bear on a relation panel SQL reads (tables, rollups, named relations).
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "requests": ("requests",), "requests_daily": ("requests",), "flow_sankey": ("requests",),
    "early_warnings": ("requests",), "monthly_growth": ("requests",), "snapshot_months": ("requests",),
    "requests_closing_daily": ("requests",), "requests_closing_days": ("requests",),
    "street_metrics": ("street_metrics",), "street_scores": ("street_metrics",),
    "street_score_ranking": ("street_metrics",), "indicator_scores": ("street_metrics",),
    "ledger_items": ("ledger_items",), "reform_apps": ("reform_apps", "ledger_items"),
    "app_visibility": ("reform_apps",), "app_collaboration": ("reform_apps",),
    "department_collaboration": ("reform_apps",), "apps_serving_street": ("reform_apps",),
}
