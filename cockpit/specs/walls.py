"""Display walls: one file per wall under `layouts/walls/<name>.toml`.

A wall names its screens in order. Each screen shows one page's panels on that page's wall grid
for the screen shape (or a grid the wall file gives itself), for `seconds`, optionally once per
value of a variable (every street of the jurisdiction, or the bottom N by composite score).
Walls refer to pages and panels by name; nothing is defined twice."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cockpit.specs.errors import SpecError, pydantic_errors, read_toml
from cockpit.specs.models import Grid, PageSpec
from cockpit.text import Text

WALL_NAME = re.compile(r"^[a-z][a-z0-9\-]{0,62}$")
SHAPE = re.compile(r"^([0-9]+):([0-9]+)$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def shape_ratio(shape: str) -> float:
    """Width over height of a shape written 'W:H'."""
    m = SHAPE.match(shape)
    if not m or int(m.group(2)) == 0 or int(m.group(1)) == 0:
        raise ValueError(f"wall shape {shape!r} must look like '16:9'")
    return int(m.group(1)) / int(m.group(2))


def nearest_shape(shapes: list[str], width: float, height: float) -> str | None:
    """The declared shape closest to a screen's proportions (compared on a log scale, so 2:1 is as
    far from 1:1 as 1:2 is)."""
    if not shapes or width <= 0 or height <= 0:
        return None
    target = math.log(width / height)
    return min(shapes, key=lambda s: (abs(math.log(shape_ratio(s)) - target), s))


class Rotate(BaseModel):
    """Show the screen once per value of a variable, in turn."""

    model_config = ConfigDict(extra="forbid")
    over: Literal["street"] = Field(description="the variable: 'street' (the page must be a street template)")
    pick: Literal["all", "bottom", "top"] = Field(
        default="all", description="'all' streets of the jurisdiction, or the 'bottom'/'top' `count` by composite score")
    count: int = Field(default=10, ge=1, le=500, description="how many streets 'bottom' or 'top' shows")


class Screen(BaseModel):
    """One step of the rotation."""

    model_config = ConfigDict(extra="forbid")
    page: str = Field(description="the page id (file name under layouts/) whose panels this screen shows")
    seconds: int = Field(default=45, ge=5, le=3600, description="how long the screen stays (per value when rotating)")
    rotate: Rotate | None = Field(default=None, description="{ over = \"street\", pick = \"bottom\", count = 10 }")
    title: Text | None = Field(default=None, description="heading on the wall (default: the page's title)")
    grids: dict[str, Grid] = Field(default_factory=dict,
                                   description="grids per shape for this screen; default: the page's [wall] grids")

    @field_validator("grids")
    @classmethod
    def _shapes(cls, v: dict[str, Grid]) -> dict[str, Grid]:
        for shape in v:
            shape_ratio(shape)
        return v


class WallSpec(BaseModel):
    """One display wall: its screens in order, how it stays fresh, and its language."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="set from the file name")
    title: Text = Field(description="{ zh = \"…\", en = \"…\" } shown in the wall's header")
    lang: Literal["zh", "en"] = "zh"
    check_seconds: int = Field(default=15, ge=2, le=3600,
                               description="how often the wall asks whether a new snapshot is published (a tiny request)")
    refresh_seconds: int = Field(default=300, ge=10, le=86400,
                                 description="refresh the shown data this often even without a new snapshot")
    reload_at: str | None = Field(default="03:30", description="local time of a daily self-reload (\"HH:MM\"), "
                                                              "bounding browser memory; empty string for none")
    screens: list[Screen] = Field(min_length=1, description="[[screens]] in the order they are shown")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not WALL_NAME.match(v):
            raise ValueError("wall file names must be lower-case letters, digits and '-', starting with a letter")
        return v

    @field_validator("reload_at")
    @classmethod
    def _clock(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not _CLOCK.match(v):
            raise ValueError("must be a time of day written HH:MM, e.g. \"03:30\"")
        return v

    @model_validator(mode="after")
    def _refresh_after_check(self) -> "WallSpec":
        if self.refresh_seconds < self.check_seconds:
            raise ValueError("refresh_seconds must not be shorter than check_seconds")
        return self


def screen_grids(screen: Screen, page: PageSpec) -> dict[str, Grid]:
    """The grids a screen can use, by shape: the wall file's own, else the page's wall grids."""
    return dict(screen.grids) if screen.grids else dict(page.wall)


WALLS_DIR = "walls"


def load_walls(layouts: Path, pages: dict[str, PageSpec], panels: set[str],
               errors: list[SpecError]) -> dict[str, WallSpec]:
    """Every valid wall under `layouts/walls/`, checked against the pages and panels declared;
    problems are appended to `errors` (file, key, what was expected)."""
    walls: dict[str, WallSpec] = {}
    for path in sorted((layouts / WALLS_DIR).glob("*.toml")):
        rel = f"{layouts.name}/{WALLS_DIR}/{path.name}"
        data = read_toml(path, rel, errors)
        if data is None:
            continue
        if "id" in data:
            errors.append(SpecError(rel, "id", "do not set id: the file name is the wall's name"))
            continue
        try:
            wall = WallSpec(id=path.stem, **data)
        except ValidationError as exc:
            errors.extend(pydantic_errors(rel, exc))
            continue
        problems = wall_problems(wall, pages, panels, rel)
        errors.extend(problems)
        if not problems:
            walls[wall.id] = wall
    return walls


def wall_problems(wall: WallSpec, pages: dict[str, PageSpec], panels: set[str], rel: str) -> list[SpecError]:
    """What makes a parsed wall unusable: unknown pages or panels, a screen without any grid,
    rotation over streets on a page that is not a street template."""
    out: list[SpecError] = []
    for i, screen in enumerate(wall.screens):
        key = f"screens.{i}"
        page = pages.get(screen.page)
        if page is None:
            out.append(SpecError(rel, f"{key}.page", f"no page named {screen.page!r} (expected a file "
                                                      f"layouts/{screen.page}.toml; pages: {', '.join(sorted(pages))})"))
            continue
        if screen.rotate is not None and page.template != "street":
            out.append(SpecError(rel, f"{key}.rotate", f"rotating over streets needs a street page "
                                                        f"(template = \"street\"); {screen.page!r} is not one"))
        grids = screen_grids(screen, page)
        if not grids:
            out.append(SpecError(rel, key, f"no grid for any screen shape: add [wall.\"16:9\"] to "
                                           f"layouts/{screen.page}.toml or [screens.grids.\"16:9\"] here"))
        for shape, grid in screen.grids.items():
            for name in grid.names():
                if name not in panels:
                    out.append(SpecError(rel, f"{key}.grids.{shape}.areas",
                                         f"no panel named {name!r} (expected a file layouts/panels/{name}.toml)"))
    return out
