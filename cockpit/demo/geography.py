"""Regions of the demo: real Zhejiang province/city/county boundaries + synthetic streets.

China publishes no open street/town (街道/乡镇) boundaries, so the demo invents them: inside each
county we drop 8–15 seeded points and take their Voronoi cells clipped to the county. Clipped
Voronoi cells of points inside a polygon tile that polygon exactly (no gaps, no overlaps), so
every street-level roll-up adds up to its county, as real data would.

Each street also gets a population weight (where requests come from) and a hidden "quality"
(how well it is run), which the request, metric and veto generators share so the story is
consistent: a badly run street is slow, gets reopened complaints and ranks low.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from cockpit.demo.rand import rng_for
from cockpit.settings import PROJECT_ROOT

BOUNDARIES = PROJECT_ROOT / "data" / "geo" / "zhejiang_boundaries.parquet"

# Street names are two syllables + a kind; the pinyin travels with each syllable so the English
# name needs no pinyin library at run time.
_FIRST = [
    ("东", "dong"), ("西", "xi"), ("南", "nan"), ("北", "bei"), ("新", "xin"), ("长", "chang"),
    ("明", "ming"), ("清", "qing"), ("安", "an"), ("永", "yong"), ("和", "he"), ("平", "ping"),
    ("兴", "xing"), ("华", "hua"), ("文", "wen"), ("凤", "feng"), ("龙", "long"), ("金", "jin"),
    ("银", "yin"), ("桃", "tao"), ("柳", "liu"), ("梅", "mei"), ("湖", "hu"), ("江", "jiang"),
    ("溪", "xi"), ("山", "shan"), ("石", "shi"), ("云", "yun"), ("白", "bai"), ("青", "qing"),
    ("丰", "feng"), ("古", "gu"), ("双", "shuang"), ("三", "san"), ("大", "da"), ("上", "shang"),
]
_SECOND = [
    ("浦", "pu"), ("桥", "qiao"), ("塘", "tang"), ("港", "gang"), ("岭", "ling"), ("湾", "wan"),
    ("川", "chuan"), ("源", "yuan"), ("埠", "bu"), ("堰", "yan"), ("林", "lin"), ("田", "tian"),
    ("门", "men"), ("口", "kou"), ("头", "tou"), ("阳", "yang"), ("宁", "ning"), ("城", "cheng"),
    ("河", "he"), ("渡", "du"), ("岙", "ao"), ("坞", "wu"), ("墩", "dun"), ("庄", "zhuang"),
    ("洋", "yang"), ("苑", "yuan"), ("泽", "ze"), ("亭", "ting"), ("峰", "feng"), ("滨", "bin"),
    ("园", "yuan"), ("里", "li"), ("屿", "yu"), ("岗", "gang"), ("畈", "fan"), ("垟", "yang"),
]
_KINDS = {"街道": "Subdistrict", "镇": "Town", "乡": "Township"}
# Share of 街道 / 镇 / 乡 by the kind of county: districts are urban, counties rural.
_KIND_MIX = {"区": (0.8, 0.2, 0.0), "市": (0.4, 0.5, 0.1), "县": (0.15, 0.6, 0.25)}
# Rough population pull of each city (Hangzhou largest), used only to weight request volume.
_CITY_PULL = {
    "330100": 1.7, "330200": 1.3, "330300": 1.3, "330400": 0.9, "330500": 0.7, "330600": 0.9,
    "330700": 1.1, "330800": 0.6, "330900": 0.4, "331000": 1.0, "331100": 0.5,
}
_COUNTY_PULL = {"区": 2.5, "市": 1.8, "县": 1.0}

STREETS_MIN, STREETS_MAX = 8, 15
POINTS_PER_STREET = 64  # pool of locations inside each street for request coordinates


@dataclass(frozen=True)
class Geography:
    """Everything the generators need to know about places.

    `regions` is the GeoDataFrame written as regions.parquet. `streets` has one row per street
    (street_code, name, county_code, city_code, weight, quality) in region-code order, and
    `points[i]` is an (N, 2) lon/lat pool inside street i; `county_bbox[i]` its county's bbox.
    """

    regions: gpd.GeoDataFrame
    streets: pd.DataFrame
    points: np.ndarray  # (n_streets, POINTS_PER_STREET, 2)
    county_bbox: np.ndarray  # (n_streets, 4): minx, miny, maxx, maxy of the street's county


@lru_cache(maxsize=2)
def load_boundaries() -> gpd.GeoDataFrame:
    """The committed province/city/county boundaries (see data/geo/README.md)."""
    return gpd.read_parquet(BOUNDARIES)


def _inside_points(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform random points inside geom (rejection sampling in its bbox)."""
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    shapely.prepare(geom)
    while len(out) < n:
        # Islands-only counties (嵊泗) fill little of their bbox: draw generously.
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 256), 2))
        out = np.vstack([out, cand[shapely.contains_xy(geom, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _spread_seeds(pool: np.ndarray, n: int, rng: np.random.Generator, k: int = 8) -> np.ndarray:
    """Pick n well-spread seeds from the pool (Mitchell's best-candidate): pure uniform seeds
    give slivers and giant cells, which look wrong on a map of streets."""
    chosen = [pool[rng.integers(len(pool))]]
    for _ in range(n - 1):
        cand = pool[rng.integers(len(pool), size=k)]
        d = np.min(np.linalg.norm(cand[:, None, :] - np.asarray(chosen)[None, :, :], axis=2), axis=1)
        chosen.append(cand[np.argmax(d)])
    return np.asarray(chosen)


def _polygonal(geom):
    """Keep only the polygonal parts (a clip can add stray lines or points on the border)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _street_names(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """n distinct (zh stem, English stem) pairs, unique across the whole province."""
    combos = [(a + b, (pa_ + ("'" if pb[0] in "aoe" else "") + pb).capitalize())
              for a, pa_ in _FIRST for b, pb in _SECOND if a != b]
    idx = rng.permutation(len(combos))[:n]
    return [combos[i] for i in idx]


def build_geography(seed: int) -> Geography:
    """Real boundaries + seeded synthetic streets (deterministic for a seed, well under 2 s)."""
    base = load_boundaries()
    rng = rng_for(seed, "geography")
    counties = base[base["level"] == "county"].sort_values("region_code")
    n_per = rng.integers(STREETS_MIN, STREETS_MAX + 1, size=len(counties))
    names = iter(_street_names(int(n_per.sum()), rng))

    rows, geoms, pools, bboxes = [], [], [], []
    for (_, county), n in zip(counties.iterrows(), n_per):
        geom = county.geometry
        pool = _inside_points(geom, 40 * n, rng)
        seeds = _spread_seeds(pool, int(n), rng)
        # Codes run north to south, then west to east, like a reader scanning the map.
        seeds = seeds[np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], 3)))]
        minx, miny, maxx, maxy = geom.bounds
        cells = shapely.voronoi_polygons(
            shapely.multipoints(seeds), extend_to=shapely.box(minx - 1, miny - 1, maxx + 1, maxy + 1),
            ordered=True,
        )
        cells = shapely.intersection(shapely.get_parts(cells), geom)
        kind_p = _KIND_MIX[county["name"][-1]]
        county_pull = _COUNTY_PULL[county["name"][-1]] * _CITY_PULL[county["parent_code"]]
        street_w = rng.lognormal(0.0, 0.6, size=n)
        street_w = county_pull * street_w / street_w.sum() * n / 12.0
        quality = rng.normal(0.0, 1.0, size=n)
        for i, cell in enumerate(cells):
            kind = rng.choice(list(_KINDS), p=kind_p)
            zh, en = next(names)
            code = f"{county['region_code']}{i + 1:03d}"
            rows.append({
                "region_code": code, "name": zh + kind, "name_en": f"{en} {_KINDS[kind]}",
                "level": "street", "parent_code": county["region_code"], "synthetic": True,
                "weight": float(street_w[i]), "quality": float(quality[i]),
                "city_code": county["parent_code"],
            })
            cell = _polygonal(cell)
            geoms.append(cell)
            pools.append(_inside_points(cell, POINTS_PER_STREET, rng))
            bboxes.append(geom.bounds)

    streets = pd.DataFrame(rows)
    street_gdf = gpd.GeoDataFrame(
        streets[["region_code", "name", "name_en", "level", "parent_code", "synthetic"]],
        geometry=geoms, crs="EPSG:4326",
    )
    real = base.assign(synthetic=False)[street_gdf.columns.drop("geometry").tolist() + ["geometry"]]
    regions = pd.concat([real, street_gdf], ignore_index=True)
    regions = gpd.GeoDataFrame(regions, geometry="geometry", crs="EPSG:4326")
    info = streets.rename(columns={"region_code": "street_code", "parent_code": "county_code"})[
        ["street_code", "name", "name_en", "county_code", "city_code", "weight", "quality"]
    ]
    return Geography(regions=regions, streets=info, points=np.stack(pools), county_bbox=np.asarray(bboxes))


def regions_for_parquet(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Regions with Arrow `string`/`bool` columns so the GeoParquet has the contract's types."""
    out = regions.copy()
    for col in ("region_code", "name", "name_en", "level", "parent_code"):
        values = [None if pd.isna(v) else str(v) for v in out[col].tolist()]
        out[col] = pd.array(values, dtype=pd.ArrowDtype(pa.string()))
    out["synthetic"] = out["synthetic"].astype(bool)
    return out
