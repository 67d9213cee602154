"""Data contract v1.1: what a data provider's drop folder must contain, declared in one place.

Every file of the drop (BRIEF §3) is described by one `TableContract`: its columns with their
logical type, nullability, uniqueness, allowed values, ranges and foreign keys, plus the rules
that involve several columns or the whole table. This module only declares; nothing here reads
data. `cockpit.ingest.validate` turns the declarations into checks (with the accepted physical
types of `cockpit.contract_types`), `cockpit.ingest` uses the canonical pyarrow schemas to write
the snapshot, and `cockpit.contract_docs` renders them as docs/data-contract.md (a test keeps
the committed file equal to the rendering, so docs and code cannot drift apart).

Regenerate the docs after changing this module:

    python -m cockpit.contract_docs > docs/data-contract.md
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

CONTRACT_VERSION = "1.1"  # 1.1 added the optional digital_officials table

# Logical types used by the contract, and the canonical physical type each is stored as in a
# snapshot. A drop may use any compatible physical type (`cockpit.contract_types.type_accepts`);
# ingest casts to these.
LOGICAL_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "list<string>": pa.list_(pa.string()),
    "geometry": pa.binary(),  # WKB, described by the GeoParquet 'geo' schema metadata
}

# The same canonical types as DuckDB SQL types (used when DuckDB writes the requests partitions).
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "list<string>": "VARCHAR[]",
    "geometry": "BLOB",
}

LEVELS = ("province", "city", "county", "street")  # top to bottom
RUNWAYS = ("党政机关整体智治", "数字政府", "数字经济", "数字社会", "数字法治", "数字文化")
STAGES = ("谋划生成", "立项审批", "实施建设", "验收评估", "复制推广")
LISTS = ("需求", "场景", "改革")
ITEM_STATUSES = ("planned", "in_progress", "done", "blocked")
REQUEST_STATUSES = ("received", "relayed", "dispatched", "handling", "closed")
HANDLING_LEVELS = ("street", "county", "city", "province")
# The request stage timestamps in the order the stages happen (传递 → 转达 → 派单 → 处理 → 反馈).
REQUEST_STAGE_TIMES = ("received_at", "relayed_at", "dispatched_at", "handled_at", "closed_at")

MANIFEST_FILE = "manifest.json"
# Every drop is untrusted: the limits below are checked before anything is read or published.
MANIFEST_MAX_BYTES = 64 * 1024
SOURCE_MAX_CHARS = 500  # manifest "source"
# as_of: a real calendar date, no earlier than this, at most this many days after today, and
# not before the live snapshot's as_of (unless `cockpit ingest --backdate`).
AS_OF_EARLIEST = "2000-01-01"
AS_OF_MAX_DAYS_AHEAD = 1
# Parquet files: the footer (file metadata) is checked from its raw bytes before any reader
# decodes it, so a hostile footer cannot make a reader allocate without bound.
PARQUET_MAX_FOOTER_BYTES = 16 * 1024 * 1024
PARQUET_MAX_ROW_GROUPS = 10_000
PARQUET_MAX_COLUMNS = 1_000  # leaf columns (a list column counts once)
PARQUET_MAX_COLUMN_CHUNKS = 100_000  # row groups × columns
# Name rule of extra analyst tables: a plain lower-case SQL identifier, usable unquoted as a view.
EXTRA_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Suffix of the relations the query layer prepends to panel SQL; an extra table must not shadow them.
RESERVED_SUFFIX = "_scoped"
# Accepted coordinate reference systems of regions.parquet: WGS 84 longitude/latitude.
ACCEPTED_CRS = ("EPSG:4326", "OGC:CRS84")
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class ForeignKey:
    """The column's values must exist in `table.column` (optionally only rows of regions at `level`)."""

    table: str
    column: str
    level: str | None = None

    def describe(self) -> str:
        """The rule as one phrase, used in problems and docs."""
        if self.level:
            return f"must be a {self.column} of level {self.level} in {self.table}"
        return f"must exist in {self.table}.{self.column}"


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    `optional` columns may be absent from the file (ingest then stores them as all-null);
    `nullable` columns may hold nulls. Range bounds apply to non-null values; `references` of a
    list column applies to each element.
    """

    name: str
    type: str
    doc: str
    nullable: bool = False
    optional: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    first_of_month: bool = False
    references: ForeignKey | None = None
    null_doc: str = ""  # when nulls are allowed only in some rows, say when (e.g. "only at the top")

    def __post_init__(self) -> None:
        if self.type not in LOGICAL_TYPES:
            raise ValueError(f"{self.name}: unknown logical type {self.type!r}")

    def range_text(self) -> str:
        """The range rule as text ('>= 0', '0 to 100', '> 0'), or '' when there is none."""
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"{'>' if self.min_exclusive else '>='} {_num(self.min)}"
        if self.max is not None:
            return f"<= {_num(self.max)}"
        return ""


@dataclass(frozen=True)
class RowRule:
    """A rule between the columns of one row.

    `violation` is a DuckDB SQL boolean expression over the row's columns that is TRUE for a bad
    row (NULL counts as fine, so write rules that only bite when the values involved are set).
    The problem is reported on `column`; the rule is skipped when any of `columns` is unusable.
    """

    rule: str
    column: str
    columns: tuple[str, ...]
    violation: str


@dataclass(frozen=True)
class TableRule:
    """A rule over the whole table, expressed as a query.

    `sql` selects offending rows as (rn, value) from the table, written as `{t}` (a view with a
    0-based `file_row_number` column). With expect="none" every selected row is a violation;
    with expect="exactly_one" the table must yield exactly one row.
    """

    rule: str
    column: str
    columns: tuple[str, ...]
    sql: str
    expect: str = "none"


@dataclass(frozen=True)
class TableContract:
    """The contract of one parquet file of the drop."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # a composite unique key (single-column keys use Column.unique)
    key_doc: str = ""
    row_rules: tuple[RowRule, ...] = ()
    table_rules: tuple[TableRule, ...] = ()
    geo: bool = False  # GeoParquet with a 'geometry' column (WKB, EPSG:4326)
    merge: str = "replace"  # replace: the drop's file replaces the table; upsert: merged by key
    merge_doc: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def arrow_schema(self) -> pa.Schema:
        """The canonical pyarrow schema this table is stored with in a snapshot."""
        return pa.schema([pa.field(c.name, LOGICAL_TYPES[c.type], nullable=True) for c in self.columns])


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _stage_order_rules() -> tuple[RowRule, ...]:
    """One rule per pair of stage times: a later stage, when set, is not before an earlier one."""
    rules = []
    for i, early in enumerate(REQUEST_STAGE_TIMES):
        for late in REQUEST_STAGE_TIMES[i + 1:]:
            rules.append(RowRule(
                rule=f"stage times never run backwards: {late} must not be before {early}",
                column=late, columns=(early, late),
                violation=f"{late} < {early}",
            ))
    return tuple(rules)


def _level_rank(expr: str) -> str:
    levels = ", ".join(f"'{lv}'" for lv in LEVELS)
    return f"list_position([{levels}], {expr})"


REGIONS = TableContract(
    name="regions",
    doc=("The administrative region tree of the jurisdiction: one province (or city) at the top, "
         "down to streets/towns (街道/乡镇). GeoParquet with CRS EPSG:4326 (WGS 84 lon/lat), e.g. "
         "written by geopandas `gdf.set_crs('EPSG:4326').to_parquet(path)`."),
    columns=(
        Column("region_code", "string", "GB/T 2260 code: 6 digits for province/city/county, 9 for a "
               "street/town.", unique=True),
        Column("name", "string", "Chinese name, e.g. 西湖区."),
        Column("level", "string", "Level in the tree.", enum=LEVELS),
        Column("parent_code", "string", "region_code of the parent.", nullable=True,
               null_doc="null only for the one region at the top",
               references=ForeignKey("regions", "region_code")),
        Column("geometry", "geometry", "Boundary: a valid Polygon or MultiPolygon in lon/lat."),
        Column("name_en", "string", "English name.", nullable=True, optional=True),
        Column("synthetic", "bool", "True when the boundary is made up (e.g. demo streets).",
               nullable=True, optional=True),
    ),
    row_rules=(
        RowRule(rule="region_code must be 6 digits for province/city/county and 9 digits for street",
                column="region_code", columns=("region_code", "level"),
                violation=("CASE WHEN level = 'street' THEN NOT regexp_full_match(region_code, '[0-9]{9}') "
                           "ELSE NOT regexp_full_match(region_code, '[0-9]{6}') END")),
    ),
    table_rules=(
        TableRule(rule="exactly one region (the top) has parent_code null",
                  column="parent_code", columns=("parent_code",),
                  sql="SELECT file_row_number AS rn, region_code AS value FROM {t} WHERE parent_code IS NULL",
                  expect="exactly_one"),
        TableRule(rule="the parent must be of a higher level (province > city > county > street)",
                  column="parent_code", columns=("region_code", "parent_code", "level"),
                  sql=("SELECT c.file_row_number AS rn, c.parent_code AS value FROM {t} c "
                       "JOIN {t} p ON p.region_code = c.parent_code "
                       f"WHERE {_level_rank('p.level')} >= {_level_rank('c.level')}")),
    ),
    geo=True,
)

DEPARTMENTS = TableContract(
    name="departments",
    doc="Government departments (部门) that lead or co-build reform apps and handle requests.",
    columns=(
        Column("dept_code", "string", "Department code.", unique=True),
        Column("name", "string", "Chinese name."),
        Column("region_code", "string", "The government (region) the department belongs to.",
               references=ForeignKey("regions", "region_code")),
    ),
)

REFORM_APPS = TableContract(
    name="reform_apps",
    doc="The digital-reform ledger (一本账) of apps as of the manifest's `as_of`.",
    columns=(
        Column("app_id", "string", "App id.", unique=True),
        Column("name", "string", "App name."),
        Column("runway", "string", "Runway (跑道).", enum=RUNWAYS),
        Column("region_code", "string", "Region that owns the app.",
               references=ForeignKey("regions", "region_code")),
        Column("lead_dept", "string", "Lead department (牵头).",
               references=ForeignKey("departments", "dept_code")),
        Column("co_depts", "list<string>", "Co-building departments (共建); may be an empty list.",
               references=ForeignKey("departments", "dept_code")),
        Column("stage", "string", "Stage of the app's life.", enum=STAGES),
        Column("iterations", "int", "Number of iterations (迭代) so far.", min=0),
        Column("in_ledger", "bool", "Whether the app is in the ledger (纳入一本账)."),
        Column("launched_on", "date", "Launch date.", nullable=True),
        Column("monthly_active_users", "int", "Monthly active users.", nullable=True, min=0),
        Column("central_publications", "int", "Publications by central media/bodies.", min=0),
        Column("provincial_publications", "int", "Publications at provincial level.", min=0),
        Column("meeting_demos", "int", "Demonstrations at meetings.", min=0),
        Column("expert_score", "float", "Expert evaluation score.", nullable=True, min=0, max=100),
        Column("leader_endorsed", "bool", "Endorsed by a leader (领导批示)."),
    ),
)

LEDGER_ITEMS = TableContract(
    name="ledger_items",
    doc="The three lists (三张清单: 重大需求 → 多跨场景 → 改革任务) behind the apps.",
    columns=(
        Column("item_id", "string", "Item id.", unique=True),
        Column("app_id", "string", "The app the item belongs to.",
               references=ForeignKey("reform_apps", "app_id")),
        Column("list", "string", "Which list: 需求 major need, 场景 multi-cross scenario, 改革 reform task.",
               enum=LISTS),
        Column("title", "string", "Title."),
        Column("status", "string", "Progress.", enum=ITEM_STATUSES),
        Column("owner_dept", "string", "Responsible department.", nullable=True,
               references=ForeignKey("departments", "dept_code")),
        Column("due_on", "date", "Deadline.", nullable=True),
        Column("done_on", "date", "Completion date.", nullable=True, null_doc="set only when status is done"),
    ),
    row_rules=(
        RowRule(rule="done_on may be set only when status is done", column="done_on",
                columns=("done_on", "status"), violation="done_on IS NOT NULL AND status <> 'done'"),
    ),
)

REQUESTS = TableContract(
    name="requests",
    doc=("Citizen requests (民呼我为), new or changed since the last drop. Rows are upserted by "
         "`request_id`: the version with the latest `updated_at` wins (on a tie, the newer drop wins), "
         "so a drop needs only the requests that are new or changed."),
    columns=(
        Column("request_id", "string", "Request id, stable across drops."),
        Column("channel", "string", "Channel the request came in by (e.g. 12345 hotline, app)."),
        Column("category", "string", "Category of the request."),
        Column("street_code", "string", "The street/town the request is about.",
               references=ForeignKey("regions", "region_code", level="street")),
        Column("lon", "float", "Longitude (WGS 84).", nullable=True, min=73, max=136),
        Column("lat", "float", "Latitude (WGS 84).", nullable=True, min=3, max=54),
        Column("received_at", "timestamp", "When the request was received."),
        Column("relayed_at", "timestamp", "When it was relayed (传递).", nullable=True),
        Column("dispatched_at", "timestamp", "When it was dispatched to a department (派单).", nullable=True),
        Column("handled_at", "timestamp", "When handling finished (处理).", nullable=True),
        Column("closed_at", "timestamp", "When it was closed after feedback (反馈).", nullable=True,
               null_doc="required when status is closed"),
        Column("due_at", "timestamp", "Deadline.", nullable=True),
        Column("dept_code", "string", "Handling department.", nullable=True,
               references=ForeignKey("departments", "dept_code")),
        Column("handling_level", "string", "Level of government handling it.", enum=HANDLING_LEVELS),
        Column("status", "string", "Current state.", enum=REQUEST_STATUSES),
        Column("satisfaction", "int", "Feedback: 3 满意 satisfied, 2 基本满意 mostly, 1 不满意 not.",
               nullable=True, min=1, max=3),
        Column("reopened", "bool", "Whether the request was reopened."),
        Column("updated_at", "timestamp", "When this version of the row was produced (decides the upsert)."),
    ),
    key=("request_id", "updated_at"),
    key_doc="one version of a request per `updated_at` (a drop may carry several versions; the latest wins)",
    row_rules=(
        RowRule(rule="a closed request must have closed_at", column="closed_at",
                columns=("status", "closed_at"), violation="status = 'closed' AND closed_at IS NULL"),
        *_stage_order_rules(),
    ),
    merge="upsert",
    merge_doc="upserted into the live requests by request_id (latest updated_at wins; ties: the new drop)",
)

INDICATORS = TableContract(
    name="indicators",
    doc="Indicators of the street assessment (街道考核) with targets and weights.",
    columns=(
        Column("indicator", "string", "Indicator code.", unique=True),
        Column("name", "string", "Name."),
        Column("unit", "string", "Unit (may be an empty string)."),
        Column("higher_is_better", "bool", "Direction: true when a higher value is better."),
        Column("target", "float", "Target value; the score is actual ÷ target, direction-aware.",
               min=0, min_exclusive=True),
        Column("weight", "float", "Weight in the composite score.", min=0),
    ),
)

STREET_METRICS = TableContract(
    name="street_metrics",
    doc="Monthly indicator values per street.",
    columns=(
        Column("period", "date", "The month, as its first day (e.g. 2026-11-01).", first_of_month=True),
        Column("street_code", "string", "The street.",
               references=ForeignKey("regions", "region_code", level="street")),
        Column("indicator", "string", "The indicator.", references=ForeignKey("indicators", "indicator")),
        Column("value", "float", "Actual value."),
    ),
    key=("period", "street_code", "indicator"),
    key_doc="one value per street, indicator and month",
)

STREET_VETOES = TableContract(
    name="street_vetoes",
    doc="One-vote vetoes (一票否决): a street vetoed in a month ranks last whatever its score.",
    columns=(
        Column("period", "date", "The month, as its first day.", first_of_month=True),
        Column("street_code", "string", "The street.",
               references=ForeignKey("regions", "region_code", level="street")),
        Column("reason", "string", "Why the street was vetoed."),
    ),
)

OFFICIAL_POSTS = ("town_a", "town_b", "bureau")

DIGITAL_OFFICIALS = TableContract(
    name="digital_officials",
    doc=("Who answers for a street or a unit (contract v1.1, optional): each street's 数字镇长 — post "
         "`town_a` (A岗, the street's deputy party secretary) and post `town_b` (B岗, a district-level "
         "leader) — and each district unit's 数字局长 (post `bureau`)."),
    columns=(
        Column("post", "string", "town_a 数字镇长 A岗, town_b 数字镇长 B岗, bureau 数字局长.", enum=OFFICIAL_POSTS),
        Column("street_code", "string", "The street (posts town_a and town_b).", nullable=True,
               references=ForeignKey("regions", "region_code", level="street"),
               null_doc="required for town_a and town_b, empty for bureau"),
        Column("dept_code", "string", "The district unit (post bureau).", nullable=True,
               references=ForeignKey("departments", "dept_code"),
               null_doc="required for bureau, empty for town_a and town_b"),
        Column("name", "string", "Name of the official."),
        Column("title", "string", "Their office, e.g. 街道党工委副书记, 区委常委.", nullable=True),
    ),
    row_rules=(
        RowRule(rule="posts town_a and town_b name a street and no unit", column="street_code",
                columns=("post", "street_code", "dept_code"),
                violation="post IN ('town_a', 'town_b') AND (street_code IS NULL OR dept_code IS NOT NULL)"),
        RowRule(rule="post bureau names a unit and no street", column="dept_code",
                columns=("post", "street_code", "dept_code"),
                violation="post = 'bureau' AND (dept_code IS NULL OR street_code IS NOT NULL)"),
    ),
    table_rules=(
        TableRule(rule="one official per street and post, one 数字局长 per unit", column="post",
                  columns=("post", "street_code", "dept_code"),
                  sql=("SELECT file_row_number AS rn, post || ' ' || coalesce(street_code, dept_code, '') AS value "
                       "FROM {t} QUALIFY count(*) OVER (PARTITION BY post, street_code, dept_code) > 1")),
    ),
)

# Every core file, in dependency order (a table's foreign keys point to tables listed before it).
CONTRACTS: dict[str, TableContract] = {c.name: c for c in (
    REGIONS, DEPARTMENTS, REFORM_APPS, LEDGER_ITEMS, REQUESTS, INDICATORS, STREET_METRICS, STREET_VETOES,
    DIGITAL_OFFICIALS,
)}
CORE_TABLES: tuple[str, ...] = tuple(CONTRACTS)


def foreign_keys() -> list[tuple[TableContract, Column, ForeignKey]]:
    """Every (table, column, foreign key) of the contract."""
    return [(t, c, c.references) for t in CONTRACTS.values() for c in t.columns if c.references]
