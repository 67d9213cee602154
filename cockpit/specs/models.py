"""Pydantic models of the declaration files: one panel per `layouts/panels/<id>.toml`, one page per
`layouts/<page>.toml`. Panels are defined once; layouts refer to them by id (as in Grafana's
dashboard schema v2), for the interactive page and separately for each wall shape."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cockpit.cases import AREA_NAME_MATCH, CASE_RELATIONS, MONTH_MATCH, REGION_MATCH
from cockpit.fields import CROSS_FILTER_FIELDS
from cockpit.text import Text

ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class CrossFilter(BaseModel):
    """A click on this panel filters the page by `field`, taking the value from result `column`."""

    model_config = ConfigDict(extra="forbid")
    field: str
    column: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, v: str) -> str:
        if v not in CROSS_FILTER_FIELDS:
            raise ValueError(f"must be one of {', '.join(CROSS_FILTER_FIELDS)}")
        return v


def _one_condition(text: str | None, key: str) -> None:
    if text is not None and (";" in text or "--" in text):
        raise ValueError(f"{key} must be one condition (no ';' or comments)")


class CaseFigures(BaseModel):
    """Which of the figure's result columns a list's numbers equal (checked by the tests, shown to readers)."""

    figure: str | None = Field(default=None, description="the figure column the list's count equals")
    figure_counted: str | None = Field(default=None, description="the figure column the counted rows (`counts`) equal")
    figure_rate: str | None = Field(default=None, description="the figure column equal to counted ÷ count (a rate)")
    figure_total: str | None = Field(default=None, description="the figure column the sum of `total` equals")

    def figure_columns(self) -> set[str]:
        return {c for c in (self.figure, self.figure_counted, self.figure_rate, self.figure_total) if c}


class CasesCompare(CaseFigures):
    """The comparison side of a figure's cases (a KPI's `previous`): another window, condition or numerator."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field(default="$cmp_start", description="SQL over $parameters: the first moment of the "
                                                          "comparison window (e.g. $period_start - interval 1 year)")
    end: str = Field(default="$cmp_end", description="SQL over $parameters: the end (exclusive) of the window")
    where: str | None = Field(default=None, description="the condition of the comparison's rows (default: `where`), "
                                                        "e.g. like for like: c.closed_at < cast($cmp_as_of as timestamp) "
                                                        "+ interval 1 day")
    counts: str | None = Field(default=None, description="the comparison's numerator condition (default: `counts`)")

    @model_validator(mode="after")
    def _conditions(self) -> "CasesCompare":
        for key in ("start", "end", "where", "counts"):
            _one_condition(getattr(self, key), f"compare.{key}")
        return self


class CasesSpec(CaseFigures):
    """The drill-through of a panel: the rows behind its figure (see `cockpit.cases`)."""

    model_config = ConfigDict(extra="forbid")
    relation: str = Field(description="a case relation: " + ", ".join(CASE_RELATIONS))
    period: str | None = Field(default=None, description="a column of the relation the page's period limits "
                                                          "(e.g. received_at); unset: not limited by period")
    where: str | None = Field(default=None, description="an SQL condition on the relation's columns (alias c), "
                                                         "values only as $parameters, e.g. c.overdue")
    match: dict[str, str] = Field(default_factory=dict, description="figure result column → case column "
                                  f"(or \"{REGION_MATCH}\": in that region's subtree; \"{AREA_NAME_MATCH}\": in the subtree "
                                  f"of the child of $map_parent so named; \"{MONTH_MATCH}<column>\": that column in the month the value "
                                  "starts with), "
                                  "for a clicked point")
    counts: str | None = Field(default=None, description="for a rate: the numerator's condition on a row (the list "
                                                         "is the denominator's rows, a column says which count)")
    counts_label: Text | None = Field(default=None, description="the name of that column (default 计入分子 / Counted)")
    total: str | None = Field(default=None, description="a numeric column of the relation whose sum the list shows "
                                                         "(e.g. contribution: a street's points add up to its score)")
    series: dict[str, str] = Field(default_factory=dict, description="for bars of several value columns: value column "
                                   "→ the condition of a clicked bar of that column, or \"compare\" (it opens the "
                                   "comparison's list)")
    compare: CasesCompare | None = Field(default=None, description="[cases.compare]: the comparison side's window, "
                                                                  "condition and numerator (a second list)")

    @model_validator(mode="after")
    def _columns(self) -> "CasesSpec":
        relation = CASE_RELATIONS.get(self.relation)
        if relation is None:
            raise ValueError(f"relation {self.relation!r} is not a case relation; use one of "
                             + ", ".join(CASE_RELATIONS))
        names = [c.name for c in relation.columns] + [relation.key, relation.region_column]
        if self.period is not None and not _is_column(self.period, relation):
            raise ValueError(f"period column {self.period!r} is not a column of {self.relation!r} "
                             f"({', '.join(dict.fromkeys(names))})")
        for column, target in self.match.items():
            plain = target.removeprefix(MONTH_MATCH)
            if target not in (REGION_MATCH, AREA_NAME_MATCH) and not _is_column(plain, relation):
                raise ValueError(f"match {column!r} → {target!r}: not a column of {self.relation!r} "
                                 f"({', '.join(dict.fromkeys(names))}) nor {REGION_MATCH!r}, {AREA_NAME_MATCH!r} "
                                 f"or {MONTH_MATCH!r}<column>")
        if self.total is not None and relation.column(self.total) is None:
            raise ValueError(f"total {self.total!r} is not a column of {self.relation!r}")
        _one_condition(self.where, "where")
        _one_condition(self.counts, "counts")
        for column, condition in self.series.items():
            _one_condition(condition, f"series.{column}")
            if condition == "compare" and self.compare is None:
                raise ValueError(f"series.{column} opens the comparison: declare [cases.compare]")
        return self


def _is_column(name: str, relation) -> bool:
    """A column of the relation's SELECT, shown or not (e.g. requests' handling_level)."""
    return relation.column(name) is not None or re.search(rf"\b{re.escape(name)}\b", relation.sql) is not None


class WallOverride(BaseModel):
    """What changes when the panel is shown on a display wall."""

    model_config = ConfigDict(extra="forbid")
    title: Text | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class PanelSpec(BaseModel):
    """One panel: SQL + visual kind + options. `id` is the file stem."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="set from the file name; do not write it")
    title: Text = Field(description="{ zh = \"…\", en = \"…\" }")
    description: Text | None = Field(default=None, description="shown as the title's tooltip")
    empty: Text | None = Field(default=None, description="what the panel says when its query returns no rows: "
                                                         "name what is missing (default 暂无数据 / No data)")
    kind: str = Field(description="a visual kind (see below)")
    sql: str = Field(min_length=1, description="one SELECT in DuckDB SQL; values only as $parameters")
    queries: dict[str, str] = Field(default_factory=dict, description="extra named queries, e.g. a sparkline")
    options: dict[str, Any] = Field(default_factory=dict, description="the kind's options (see below)")
    labels: dict[str, Text] = Field(default_factory=dict, description="display names of result columns")
    translate: list[str] = Field(default_factory=list,
                                 description="result columns whose values are shown through layouts/labels.toml")
    cross_filter: CrossFilter | None = Field(
        default=None, description="{ field = \"category\", column = \"category\" }: a click filters the page")
    wall: WallOverride | None = Field(default=None, description="title and options that differ on a display wall")
    cases: CasesSpec | None = Field(default=None, description="[cases] relation = \"requests\", period = \"received_at\": "
                                                               "the rows behind the figure, one click away")
    no_cases: Text | None = Field(default=None, description="why the panel has no rows behind it (a text, a what-if, "
                                                             "an analyst table without a case relation), instead of [cases]")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID.match(v):
            raise ValueError("panel file names must be lower_snake_case (a-z, 0-9, _), starting with a letter")
        return v

    @model_validator(mode="after")
    def _cases_or_why_not(self) -> "PanelSpec":
        if self.cases is not None and self.no_cases is not None:
            raise ValueError("declare either [cases] or no_cases (why there are none), not both")
        return self


class Grid(BaseModel):
    """CSS-grid placement: each row a string of area names separated by spaces; '.' is empty."""

    model_config = ConfigDict(extra="forbid")
    areas: list[str] = Field(min_length=1, description="rows of panel ids; a panel spans a rectangle; '.' is empty")
    rows: list[str] | None = Field(default=None, description="CSS sizes of the rows, e.g. [\"130px\", \"1fr\"]")
    columns: list[str] | None = Field(default=None, description="CSS sizes of the columns (default equal)")

    def cells(self) -> list[list[str]]:
        return [row.split() for row in self.areas]

    @model_validator(mode="after")
    def _rectangular(self) -> "Grid":
        for problem in grid_problems(self):
            raise ValueError(problem)
        return self

    def names(self) -> list[str]:
        seen: list[str] = []
        for row in self.cells():
            for name in row:
                if name != "." and name not in seen:
                    seen.append(name)
        return seen


def _span(what: str, first: int, last: int) -> str:
    """'row 2' or 'rows 1–2' (1-based, as an analyst counts the strings of `areas`)."""
    return f"{what} {first + 1}" if first == last else f"{what}s {first + 1}–{last + 1}"


def grid_problems(grid: Grid) -> list[str]:
    """Why a grid is not a set of non-overlapping rectangles (empty when it is)."""
    cells = grid.cells()
    widths = {len(r) for r in cells}
    if len(widths) != 1:
        return [f"every row of areas must have the same number of cells, found {sorted(widths)}"]
    problems = []
    names = {n for r in cells for n in r if n != "."}
    for name in sorted(names):
        spots = [(i, j) for i, r in enumerate(cells) for j, n in enumerate(r) if n == name]
        rows = [i for i, _ in spots]
        cols = [j for _, j in spots]
        top, bottom, left, right = min(rows), max(rows), min(cols), max(cols)
        intruder = next(((i, j) for i in range(top, bottom + 1) for j in range(left, right + 1)
                         if cells[i][j] != name), None)
        if intruder is not None:
            i, j = intruder
            other = "empty ('.')" if cells[i][j] == "." else repr(cells[i][j])
            problems.append(f"area {name!r} is not one rectangle: {_span('row', top, bottom)}, "
                            f"{_span('column', left, right)} hold it, but row {i + 1} column {j + 1} is {other}")
    if grid.rows is not None and len(grid.rows) != len(cells):
        problems.append(f"rows has {len(grid.rows)} sizes for {len(cells)} rows of areas")
    if grid.columns is not None and len(grid.columns) != len(cells[0]):
        problems.append(f"columns has {len(grid.columns)} sizes for {len(cells[0])} columns of areas")
    return problems


class PageSpec(BaseModel):
    """One page: where it lives, its title, and where its panels go on the page and on walls."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="set from the file name")
    title: Text = Field(description="{ zh = \"…\", en = \"…\" } shown in the navigation")
    path: str = Field(pattern=r"^/[a-z0-9\-/]*$", description="URL path, e.g. \"/requests\"")
    order: int = Field(default=100, description="position in the navigation")
    template: Literal["street"] | None = Field(
        default=None, description="'street': one page per street, chosen in the page; binds $street")
    page: Grid = Field(description="the interactive page's grid")
    wall: dict[str, Grid] = Field(default_factory=dict, description="grids per wall shape, e.g. '16:9', '32:9'")

    @field_validator("wall")
    @classmethod
    def _shapes(cls, v: dict[str, Grid]) -> dict[str, Grid]:
        for shape in v:
            if not re.match(r"^[0-9]+:[0-9]+$", shape):
                raise ValueError(f"wall shape {shape!r} must look like '16:9'")
        return v

    def panel_ids(self) -> list[str]:
        ids = self.page.names()
        for grid in self.wall.values():
            ids += [n for n in grid.names() if n not in ids]
        return ids


class ValueLabels(BaseModel):
    """layouts/labels.toml: display names of data values in both languages."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Text] = Field(default_factory=dict)
