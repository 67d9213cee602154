"""docs/data-contract.md, rendered from the declarations of `cockpit.contract` (for data providers).

A test keeps the committed file equal to the rendering, so docs and code cannot drift apart.
Regenerate it after changing the contract:

    python -m cockpit.contract_docs > docs/data-contract.md
"""

from __future__ import annotations

from cockpit.contract import (
    ACCEPTED_CRS,
    CONTRACT_VERSION,
    AS_OF_EARLIEST,
    AS_OF_MAX_DAYS_AHEAD,
    CONTRACTS,
    LOGICAL_TYPES,
    MANIFEST_FILE,
    MANIFEST_MAX_BYTES,
    PARQUET_MAX_COLUMN_CHUNKS,
    PARQUET_MAX_COLUMNS,
    PARQUET_MAX_FOOTER_BYTES,
    PARQUET_MAX_ROW_GROUPS,
    REQUEST_STAGE_TIMES,
    RESERVED_SUFFIX,
    SOURCE_MAX_CHARS,
    Column,
    TableContract,
)
from cockpit.settings import Settings


def _default_max_region_vertices() -> int:
    """The default of COCKPIT_MAX_REGION_VERTICES (not this process's value: the docs are the same everywhere)."""
    return int(Settings.model_fields["max_region_vertices"].default)


def _column_rules(table: TableContract, col: Column) -> str:
    parts: list[str] = []
    if col.optional:
        parts.append("optional column")
    if col.unique:
        parts.append("unique")
    if col.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col.enum))
    rng = col.range_text()
    if rng:
        parts.append(rng)
    if col.first_of_month:
        parts.append("first day of a month")
    if col.references:
        fk = col.references
        each = "each element " if col.type == "list<string>" else ""
        parts.append(each + fk.describe().replace(f"{fk.table}.{fk.column}", f"`{fk.table}.{fk.column}`"))
    if col.null_doc:
        parts.append(col.null_doc)
    if col.type == "geometry":
        parts.append("Polygon or MultiPolygon, valid, lon/lat in range")
    return "; ".join(parts)


def render_contract_markdown() -> str:
    """docs/data-contract.md, rendered from the declarations of `cockpit.contract`."""
    out: list[str] = []
    w = out.append
    w(f"# Data contract v{CONTRACT_VERSION}")
    w("")
    w("<!-- Generated from cockpit/contract.py by `python -m cockpit.contract_docs > docs/data-contract.md`;"
      " do not edit by hand. -->")
    w("")
    w("This is what a data provider hands to the cockpit. Put the files in one folder and run")
    w("")
    w("    cockpit ingest FOLDER")
    w("")
    w("The folder is checked against every rule below **before** anything is published. If any rule")
    w("is broken, the whole drop is rejected: the command prints one line per problem (file, column,")
    w("rows, rule), keeps a report in `STORE/rejected/`, exits with status 1, and the cockpit keeps")
    w("serving the data it had. The drop folder itself is never modified. Fix the files and run the")
    w("command again.")
    w("")
    w("Every drop is treated as untrusted. The command first copies the folder's `manifest.json` and")
    w("`*.parquet` files into the store (`STORE/staging/<run>/drop/`), then checks and publishes that")
    w("copy: a file changed in the folder after it was checked cannot reach the published data (the")
    w("store needs room for this copy while the command runs). Two `cockpit ingest` runs on one store")
    w("never overlap: the second waits for the first, then is checked against the snapshot the first")
    w("published.")
    w("")
    w("## The folder")
    w("")
    w(f"- `{MANIFEST_FILE}` (required, at most {MANIFEST_MAX_BYTES // 1024} KiB):"
      f" `{{\"as_of\": \"YYYY-MM-DD\"}}` — the date the data describes. Other keys are allowed and ignored,"
      f" except an optional `\"source\"` (one line of at most {SOURCE_MAX_CHARS} characters) naming where"
      " the drop came from.")
    w(f"- `as_of` must be a real calendar day written `YYYY-MM-DD`, {AS_OF_EARLIEST} or later, and not in"
      f" the future: at most {AS_OF_MAX_DAYS_AHEAD} day after the day the command runs (so a drop made"
      " in another time zone still passes). It must not be before the `as_of` of the published snapshot,"
      " so the cockpit's date never goes backwards; to publish an older date on purpose (to correct or"
      " replay a drop), run `cockpit ingest --backdate FOLDER`. The same `as_of` again is fine.")
    w("- Only regular files are taken. A **symbolic link** (whatever it points at, even inside the folder)"
      " and anything that is not a regular file (a FIFO, socket or device) is refused, whatever its name;"
      " links are never followed. A file that changes while it is being copied is refused (send the"
      " drop again once every file is complete). Sub-folders are ignored, unless named like a table"
      " (`NAME.parquet`), which is refused.")
    w("- Any of the core files below. A drop does not need all of them: a file that is absent keeps"
      " the table of the currently published snapshot (so a daily drop can hold just"
      " `requests.parquet`). Every file that is present replaces its table completely, except"
      " `requests.parquet`, which is merged (see below). The very first drop must carry every file"
      " that other files refer to.")
    w("- Any other `NAME.parquet` is an **extra table** for analysts' panels, queryable as `NAME`."
      " NAME must match `^[a-z][a-z0-9_]{0,62}$` (lower-case letters, digits, underscore), must not"
      " be a core file name, the name of a derived table (such as `region_tree`), an SQL reserved word,"
      f" or end in `{RESERVED_SUFFIX}`. Only its readability is checked. An extra table stays in later"
      " snapshots until a drop replaces it.")
    w("- Files that do not end in `.parquet` are ignored.")
    w("")
    w("## Parquet files")
    w("")
    w("The footer (file metadata) of every parquet file is checked from its bytes before the file is"
      " read, so a broken or hostile file is refused with a message instead of exhausting the"
      " machine. A file is refused when")
    w("")
    w("- it does not start and end with the magic `PAR1` (not parquet, or truncated), or is encrypted"
      " (`PARE`);")
    w(f"- its footer is larger than {PARQUET_MAX_FOOTER_BYTES // (1024 * 1024)} MiB, or claims more bytes than"
      " the file has, or is not valid parquet metadata;")
    w(f"- it has more than {PARQUET_MAX_ROW_GROUPS:,} row groups, more than {PARQUET_MAX_COLUMNS:,} columns,"
      f" or more than {PARQUET_MAX_COLUMN_CHUNKS:,} column chunks (row groups × columns). A writer that"
      " makes a row group per small batch should write bigger ones (pyarrow's `row_group_size`; the"
      " defaults of pandas, pyarrow and DuckDB are fine).")
    w("")
    w("## Types")
    w("")
    w("| contract type | accepted parquet/arrow types | stored as |")
    w("|---|---|---|")
    accepted = {
        "string": "string, large_string, string_view, dictionary-encoded strings",
        "int": "any signed or unsigned integer width (int8 … int64, uint8 … uint64)",
        "float": "float16/32/64, decimal, or any integer type",
        "bool": "bool",
        "date": "date32, date64 (not a timestamp: convert pandas datetimes with `.dt.date`)",
        "timestamp": "timestamp in any unit (s, ms, us, ns) **without time zone**, holding local time"
                     " (Asia/Shanghai); a zone-aware column is rejected",
        "list<string>": "list / large_list of strings",
        "geometry": "WKB binary in a GeoParquet file (`geo` metadata, encoding WKB)",
    }
    for logical, stored in LOGICAL_TYPES.items():
        w(f"| {logical} | {accepted[logical]} | {stored} |")
    w("")
    w("A column of the arrow `null` type (all values null) is accepted for any non-geometry column. "
      "Columns not listed in the contract are rejected (a misspelt optional column would otherwise be "
      "silently dropped); put additional data in an extra table. Pandas index columns"
      " (`__index_level_0__` …) and the bbox column of a GeoParquet covering are ignored and not stored."
      " Floats must be finite (no NaN or infinity).")
    w("")
    w("## Rules that apply to every file")
    w("")
    w("- Every column listed is required unless it says *optional column*.")
    w("- A column may hold nulls only where the **null** column says *yes*.")
    w("- Codes (`region_code`, `dept_code`, …) are text, never numbers.")
    w("- Foreign keys are checked against the file in the same drop if it is there, else against the"
      " published snapshot's table. A drop that replaces a table must also keep every value that the"
      " published snapshot's other tables still refer to (for example new `departments.parquet` must"
      " still contain every `dept_code` used by the published requests that the drop does not update).")
    w("- Row numbers in problem messages are **0-based** positions in the file (the first data row is"
      " row 0, the same as the pandas row position `df.iloc[0]`).")
    w("")
    for t in CONTRACTS.values():
        w(f"## {t.file}")
        w("")
        w(t.doc)
        w("")
        w("| column | type | null | rules | meaning |")
        w("|---|---|---|---|---|")
        for col in t.columns:
            null = "yes" if col.nullable else "no"
            w(f"| `{col.name}` | {col.type} | {null} | {_column_rules(t, col)} | {col.doc} |")
        w("")
        extra: list[str] = []
        if t.key:
            extra.append(f"Unique together: ({', '.join(f'`{k}`' for k in t.key)}) — {t.key_doc}.")
        for r in t.row_rules:
            if r.rule.startswith("stage times never run backwards") and t.name == "requests":
                continue
            extra.append(f"Rule: {r.rule}.")
        if t.name == "requests":
            extra.append("Stage times never run backwards: of "
                         + " ≤ ".join(f"`{c}`" for c in REQUEST_STAGE_TIMES)
                         + ", those that are set are in this order.")
        for r in t.table_rules:
            extra.append(f"Rule: {r.rule}.")
        if t.geo:
            extra.append(f"Rule: a region's boundary may have at most {_default_max_region_vertices():,}"
                         " coordinates (vertices; each ring's closing point counts), setting"
                         " `COCKPIT_MAX_REGION_VERTICES`. A region with more is **refused**, not simplified"
                         " (the problem names its `region_code` and count): simplify it before sending,"
                         " e.g. with shapely `simplify(tolerance, preserve_topology=True)`.")
            extra.append("GeoParquet: the `geo` schema metadata must name the column `geometry`, encoding"
                         " WKB, and a CRS of " + " or ".join(f"`{c}`" for c in ACCEPTED_CRS)
                         + " (a missing or null CRS is rejected, although the GeoParquet spec would default"
                         " to OGC:CRS84: say it explicitly, e.g. `gdf.set_crs('EPSG:4326')`).")
        if t.merge == "upsert":
            extra.append(f"Merge: {t.merge_doc}. Stored partitioned by month of `received_at`.")
        if extra:
            for e in extra:
                w(f"- {e}")
            w("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(render_contract_markdown())
