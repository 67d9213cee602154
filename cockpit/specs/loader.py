"""Load and validate the declaration files under `layouts/`.

Every problem becomes a `SpecError` naming the file, the key (a dotted path into the file) and
what was expected, so `cockpit check` and the app's start-up refusal say the same thing. Panel SQL
that reads past the viewer's scope (a regional table instead of its `_scoped` relation, a file, a
table function) is such a problem (`cockpit.sqlguard`): the rules are what the read side knows
without data, plus the tables of the configured store's live snapshot when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from pydantic import ValidationError

from cockpit.db import Database, get_db
from cockpit.query import sql_rules, validate_statement
from cockpit.cases import all_statements
from cockpit.sqlguard import Rules, problems as sql_problems, static_rules
from cockpit.store import StoreError
from cockpit.specs.errors import SpecError, pydantic_errors as _pydantic_errors, read_toml as _read_toml
from cockpit.specs.models import PageSpec, PanelSpec, ValueLabels
from cockpit.specs.walls import WallSpec, load_walls
from cockpit.text import Text
from cockpit.visuals.base import Options
from cockpit.visuals.registry import get_visual

#: The one file in layouts/ that is not a page: display names of data values.
LABELS_FILE = "labels.toml"


@dataclass
class Panel:
    """A validated panel: its spec plus the parsed options of its kind (page and wall variants)."""

    spec: PanelSpec
    options: Options
    wall_options: Options
    file: str


@dataclass
class Catalog:
    """Every panel and page declared, plus every problem found loading them."""

    panels: dict[str, Panel] = field(default_factory=dict)
    pages: list[PageSpec] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    page_files: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, Text] = field(default_factory=dict)
    walls: dict[str, WallSpec] = field(default_factory=dict)
    #: What `cockpit check` reports without failing (e.g. a panel with no English title).
    warnings: list[SpecError] = field(default_factory=list)

    def page(self, page_id: str) -> PageSpec | None:
        return next((p for p in self.pages if p.id == page_id), None)


def sql_rules_for(db: Database | None = None) -> Rules:
    """What panel SQL may read, as far as it is known without a request: the static rules, and the
    tables of `db`'s live snapshot (the configured store's when `db` is None) when one is published.
    A store that cannot be read leaves the static rules (run_sql still judges every query)."""
    rules = static_rules()
    try:
        db = db or get_db()
        live = db.live_id()
        if live is not None:
            rules = rules.merged(sql_rules(db, live))
    except (OSError, KeyError, StoreError, duckdb.Error):
        pass
    return rules


def load_panel(path: Path, root: Path, errors: list[SpecError], rules: Rules | None = None) -> Panel | None:
    """Parse and validate one panel file; problems are appended to `errors`. `rules`: what its
    SQL may read (default: the static rules of `cockpit.sqlguard`)."""
    rel = path.relative_to(root.parent).as_posix() if root.parent in path.parents else path.name
    data = _read_toml(path, rel, errors)
    if data is None:
        return None
    if "id" in data:
        errors.append(SpecError(rel, "id", "do not set id: the file name is the panel id"))
        return None
    try:
        spec = PanelSpec(id=path.stem, **data)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(rel, exc))
        return None
    ok = True
    try:
        visual = get_visual(spec.kind)
    except KeyError as exc:
        errors.append(SpecError(rel, "kind", str(exc.args[0])))
        return None
    for key, sql in [("sql", spec.sql), *((f"queries.{k}", v) for k, v in spec.queries.items())]:
        problem = validate_statement(sql)
        if problem:
            errors.append(SpecError(rel, key, problem))
            ok = False
            continue
        for refused in sql_problems(sql, rules or static_rules()):
            errors.append(SpecError(rel, key, refused))
            ok = False
    if spec.cases is not None:
        # The drill-through is panel SQL too: one SELECT, reading only what panels may read.
        for cases_sql in all_statements(spec.cases):
            for refused in [p for p in [validate_statement(cases_sql)] if p] or sql_problems(cases_sql, rules or static_rules()):
                errors.append(SpecError(rel, "cases", refused))
                ok = False
    for name in spec.queries:
        if name in visual.renamed_queries:
            new = visual.renamed_queries[name]
            errors.append(SpecError(rel, f"queries.{name}", f"was renamed to {new!r} (kind {spec.kind!r}): "
                                                           f"write `{new} = ...` under [queries]"))
            ok = False
        elif name not in visual.queries:
            known = ", ".join(visual.queries) or "none"
            errors.append(SpecError(rel, f"queries.{name}", f"kind {spec.kind!r} uses no query {name!r} (it uses: {known})"))
            ok = False
    try:
        options = visual.options.model_validate(spec.options)
    except ValidationError as exc:
        errors.extend(_pydantic_errors(rel, exc, "options."))
        return None
    wall_options = options
    if spec.wall and spec.wall.options:
        try:
            wall_options = visual.options.model_validate({**spec.options, **spec.wall.options})
        except ValidationError as exc:
            errors.extend(_pydantic_errors(rel, exc, "wall.options."))
            return None
    return Panel(spec, options, wall_options, rel) if ok else None


def load_catalog(layouts: Path, rules: Rules | None = None) -> Catalog:
    """Load every panel under `layouts/panels/` and every page `layouts/*.toml`. `rules`: what
    panel SQL may read (default: `sql_rules_for()`, the configured store's live snapshot)."""
    cat = Catalog()
    panel_dir = layouts / "panels"
    if not layouts.is_dir():
        cat.errors.append(SpecError(str(layouts), "(folder)", "layouts folder does not exist"))
        return cat
    declared: set[str] = set()
    rules = rules or sql_rules_for()
    for path in sorted(panel_dir.glob("*.toml")):
        declared.add(path.stem)
        panel = load_panel(path, layouts, cat.errors, rules)
        if panel is not None:
            cat.panels[panel.spec.id] = panel
            if not (panel.spec.title.en or "").strip():
                cat.warnings.append(SpecError(panel.file, "title.en", "no English title: the English view "
                                                                      "shows the Chinese one"))
    labels_file = layouts / LABELS_FILE
    if labels_file.is_file():
        data = _read_toml(labels_file, f"{layouts.name}/{LABELS_FILE}", cat.errors)
        try:
            cat.value_labels = ValueLabels.model_validate(data or {}).values
        except ValidationError as exc:
            cat.errors.extend(_pydantic_errors(f"{layouts.name}/{LABELS_FILE}", exc))
    paths: dict[str, str] = {}
    for path in sorted(p for p in layouts.glob("*.toml") if p.name != LABELS_FILE):
        rel = f"{layouts.name}/{path.name}"
        data = _read_toml(path, rel, cat.errors)
        if data is None:
            continue
        try:
            page = PageSpec(id=path.stem, **data)
        except ValidationError as exc:
            cat.errors.extend(_pydantic_errors(rel, exc))
            continue
        broken = False
        grids = [("page.areas", page.page), *((f"wall.{k}.areas", g) for k, g in page.wall.items())]
        for key, grid in grids:
            for name in grid.names():
                if name not in declared:
                    cat.errors.append(SpecError(rel, key, f"no panel named {name!r} (expected a file "
                                                          f"{layouts.name}/panels/{name}.toml)"))
                    broken = True
        # Files are read in sorted order: the second to claim a path is the one blamed, even when
        # the first has problems of its own (else fixing those would move the error to another file).
        if page.path in paths:
            cat.errors.append(SpecError(rel, "path", f"{page.path!r} is already the path of {paths[page.path]}"))
            broken = True
        else:
            paths[page.path] = rel
        if not broken:
            cat.pages.append(page)
            cat.page_files[page.id] = rel
    cat.pages.sort(key=lambda p: (p.order, p.id))
    cat.walls = load_walls(layouts, {p.id: p for p in cat.pages}, set(cat.panels), cat.errors)
    if not cat.pages and not any(e.key == "(folder)" for e in cat.errors):
        cat.errors.append(SpecError(layouts.name, "(folder)", "no page declared (expected layouts/*.toml)"))
    return cat
