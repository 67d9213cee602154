"""`cockpit check`: every declaration validated, every panel's SQL (and the methods' SQL) checked to be
portable between engines (`cockpit.specs.portable`), checked against what it may read on the live
snapshot (`cockpit.sqlguard`), then run (LIMIT 0) there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cockpit.cases import all_statements, match_params
from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.query import QueryError, refusals, run_sql
from cockpit.settings import Settings, get_settings
from cockpit.specs.loader import Catalog, SpecError, load_catalog, sql_rules_for
from cockpit.specs.portable import portable_errors
from cockpit.visuals.registry import get_visual, load_errors, visuals


def check_sql(catalog: Catalog, db: Database) -> list[SpecError]:
    """Refuse panel SQL that reads what it may not on the live snapshot; run the rest with LIMIT 0
    and compare result columns with what its kind needs."""
    errors: list[SpecError] = []
    ctx = resolve(FilterState(), db, get_settings().jurisdiction).ctx
    for panel in catalog.panels.values():
        spec = panel.spec
        visual = get_visual(spec.kind)
        refused = [(key, msg) for key, sql in [("sql", spec.sql), *((f"queries.{k}", v) for k, v in spec.queries.items())]
                   for msg in refusals(db, ctx.snapshot, sql)]
        if refused:
            errors += [SpecError(panel.file, key, msg) for key, msg in refused]
            continue
        try:
            cols = set(run_sql(spec.sql, ctx, db=db, limit=0).columns)
        except QueryError as exc:
            errors.append(SpecError(panel.file, "sql", f"does not run on snapshot {ctx.snapshot}: {exc}"))
            continue
        needed = set(visual.columns(panel.options)) | set(visual.columns(panel.wall_options))
        if spec.cross_filter:
            needed.add(spec.cross_filter.column)
        needed |= set(spec.translate)
        missing = sorted(needed - cols)
        if missing:
            errors.append(SpecError(panel.file, "options", f"column(s) {', '.join(missing)} not in the SQL result "
                                                           f"(it has: {', '.join(sorted(cols))})"))
        if spec.cases is not None:
            errors += check_cases(panel, ctx, db, cols)
        for name, sql in spec.queries.items():
            try:
                qcols = set(run_sql(sql, ctx, db=db, limit=0).columns)
            except QueryError as exc:
                errors.append(SpecError(panel.file, f"queries.{name}", f"does not run: {exc}"))
                continue
            wanted = visual.queries.get(name, ())
            if not set(wanted) <= qcols:
                errors.append(SpecError(panel.file, f"queries.{name}", f"must return columns {' and '.join(wanted)}"))
    return errors


def check_cases(panel, ctx, db: Database, figure_columns: set[str]) -> list[SpecError]:
    """The `[cases]` statement refused or failing on the live snapshot, or matching columns the
    figure does not return."""
    c = panel.spec.cases
    # a Sankey's clicks name flow positions (its `node_columns`), not result columns
    nodes = {n for n in getattr(panel.options, "node_columns", ()) if n}
    named = {"cases.match": set(c.match) - nodes, "cases.series": set(c.series), "cases": c.figure_columns(),
             "cases.compare": c.compare.figure_columns() if c.compare else set()}
    for key, columns in named.items():
        unknown = sorted(columns - figure_columns)
        if unknown:
            return [SpecError(panel.file, key, f"column(s) {', '.join(unknown)} not in the SQL result "
                                               f"(it has: {', '.join(sorted(figure_columns))})")]
    extra = {param: None for _, _, param in match_params(c.match)}
    for sql in all_statements(c):
        key = "cases"
        refused = refusals(db, ctx.snapshot, sql)
        if refused:
            return [SpecError(panel.file, key, msg) for msg in refused]
        try:
            run_sql(sql, ctx, db=db, limit=0, extra=extra)
        except QueryError as exc:
            return [SpecError(panel.file, key, f"does not run on snapshot {ctx.snapshot}: {exc}")]
    return []


def check_all(store: Path, layouts: Path) -> tuple[Catalog, list[SpecError]]:
    """Load the catalog and, when a snapshot is live, check its SQL too."""
    db = Database(store)
    catalog = load_catalog(layouts, sql_rules_for(db))
    unportable, warnings = portable_errors(catalog)
    errors = list(catalog.errors) + unportable
    catalog.warnings.extend(warnings)
    if db.live_id() is not None:
        errors += check_sql(catalog, db)
    return catalog, errors


def layouts_shown(layouts: Path) -> str:
    """Which layouts folder is checked and why: relative to the current directory when inside it."""
    resolved = layouts.resolve()
    try:
        shown = resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        shown = resolved.as_posix()
    env = os.environ.get("COCKPIT_LAYOUTS")
    if env and Path(env).resolve() == resolved:
        how = "from COCKPIT_LAYOUTS"
    elif not env and resolved == Path(Settings.model_fields["layouts"].default).resolve():
        how = "the default; pass --layouts or set COCKPIT_LAYOUTS to check another folder"
    else:
        how = "from --layouts"
    return f"{shown} ({how})"


def cli_check(store: Path, layouts: Path) -> int:
    """Print one line per problem (file: key: what was expected) and per warning; exit 1 when there
    is any problem (warnings alone exit 0). The summary line names the layouts folder checked."""
    catalog, errors = check_all(store, layouts)
    for err in errors:
        print(err, file=sys.stderr)
    for warn in catalog.warnings:
        print(f"warning: {warn}", file=sys.stderr)
    visuals()  # the registry is loaded: its load errors are known
    for name, reason in sorted(load_errors.items()):
        # An installed plug-in that does not load: panels of its kind are errors above.
        print(f"warning: plug-in kind {name!r} did not load: {reason}", file=sys.stderr)
    live = Database(store).live_id()
    sql_note = f"SQL checked on snapshot {live}" if live else "SQL not run: no live snapshot in the store"
    print(f"checked {layouts_shown(layouts)}: {len(catalog.panels)} panels, {len(catalog.pages)} pages, "
          f"{len(catalog.walls)} walls, {len(errors)} problem(s), {len(catalog.warnings)} warning(s); {sql_note}")
    return 1 if errors else 0
