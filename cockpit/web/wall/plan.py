"""A wall's plan for one token: the steps of its rotation and the grids of each screen.

Computed on the server from the wall file, the live snapshot and the token's region, so a screen
can never ask for a street outside the token's subtree: the client only names a step."""

from __future__ import annotations

from dataclasses import dataclass, field


from cockpit.filters import FilterState, Resolved, resolve
from cockpit.query import results
from cockpit.specs.loader import Catalog
from cockpit.specs.models import Grid
from cockpit.specs.walls import Screen, WallSpec, screen_grids
from cockpit.web.views import Views

#: The streets ranked lowest (or highest) in the latest assessed month, within the scope.
_RANKED_STREETS_SQL = """
select street_code, veto, score from street_scores_scoped
where period = (select max(period) from street_scores_scoped where period <= $as_of)
order by veto desc, score is null desc, round(score, 6) asc, street_code desc
"""


@dataclass(frozen=True)
class Step:
    """One shown state of the wall: a screen, and the street it shows when it rotates."""

    screen: int
    value: str | None
    seconds: int
    title: str


@dataclass
class Plan:
    steps: list[Step]
    grids: list[dict[str, Grid]]  # per screen: shape -> grid
    titles: dict[str, str] = field(default_factory=dict)  # panel id -> title in the wall's language

    def step(self, screen: int, value: str | None) -> Step | None:
        return next((s for s in self.steps if s.screen == screen and s.value == value), None)


def wall_resolve(views: Views, wall: WallSpec, region: str, screen: Screen | None, value: str | None) -> Resolved:
    """The trusted context of one wall step: always the token's region (its jurisdiction), the live
    snapshot, the current period, the wall's language."""
    catalog = views.holder.get()
    page = catalog.page(screen.page) if screen is not None else None
    street_page = bool(page and page.template == "street")
    state = FilterState(lang=wall.lang, street=value if street_page else None)
    return resolve(state, views.db, region, street_page=street_page)


def _rotation_values(views: Views, res: Resolved, screen: Screen) -> list[str | None]:
    if screen.rotate is None:
        return [None]
    streets = res.regions.streets_under(res.root)
    if screen.rotate.pick == "all" or not streets:
        return streets or [None]
    if "street_scores" not in views.db.tables(res.ctx.snapshot):
        return streets[: screen.rotate.count]
    ranked = results.query(_RANKED_STREETS_SQL, res.ctx, views.db)
    codes = [c for c in ranked["street_code"] if isinstance(c, str)] if not ranked.empty else []
    if screen.rotate.pick == "top":
        codes = codes[::-1]
    return codes[: screen.rotate.count] or streets[: screen.rotate.count]


def build_plan(views: Views, catalog: Catalog, wall: WallSpec, region: str) -> Plan:
    """The rotation and grids of `wall` for a token bound to `region`."""
    lang = wall.lang
    steps: list[Step] = []
    grids: list[dict[str, Grid]] = []
    titles: dict[str, str] = {}
    for i, screen in enumerate(wall.screens):
        page = catalog.page(screen.page)
        if page is None:  # the wall was checked at load; a dev-mode edit may still remove a page
            grids.append({})
            continue
        shape_grids = screen_grids(screen, page)
        grids.append(shape_grids)
        for grid in shape_grids.values():
            for pid in grid.names():
                panel = catalog.panels.get(pid)
                if panel is not None:
                    over = panel.spec.wall.title if panel.spec.wall and panel.spec.wall.title else None
                    titles[pid] = (over or panel.spec.title).get(lang)
        res = wall_resolve(views, wall, region, screen, None)
        title = (screen.title or page.title).get(lang)
        for value in _rotation_values(views, res, screen):
            name = res.regions.get(value).label(lang) if value and res.regions.get(value) else None
            steps.append(Step(screen=i, value=value, seconds=screen.seconds,
                              title=f"{title} · {name}" if name else title))
    return Plan(steps=steps, grids=grids, titles=titles)


def grid_json(grid: Grid) -> dict:
    """What the wall's script lays out: CSS grid areas and track sizes."""
    cells = grid.cells()
    return {"areas": grid.areas, "names": grid.names(),
            "rows": grid.rows or ["minmax(0, 1fr)"] * len(cells),
            "columns": grid.columns or ["minmax(0, 1fr)"] * len(cells[0])}


