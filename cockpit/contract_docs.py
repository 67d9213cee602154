"""docs/data-contract.md, rendered from the declarations of `cockpit.contract` (for data providers).

A test keeps the committed file equal to the rendering, so docs and code cannot drift apart.
Regenerate it after changing the contract:

    python -m cockpit.contract_docs > docs/data-contract.md
"""

from __future__ import annotations

from cockpit.contract import (
    ACCEPTED_CRS,
    CONTRACTS,
    LOGICAL_TYPES,
    MANIFEST_FILE,
    REQUEST_STAGE_TIMES,
    RESERVED_SUFFIX,
    Column,
    TableContract,
)


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
    w("# Data contract v1")
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
    w("## The folder")
    w("")
    w(f"- `{MANIFEST_FILE}` (required): `{{\"as_of\": \"YYYY-MM-DD\"}}` — the date the data describes."
      " Other keys are allowed and ignored, except an optional `\"source\"` (text) naming where the drop"
      " came from.")
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
