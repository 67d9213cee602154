"""Shared by the visual tests: the built-in kinds pinned by name, a sample result and options
for each, render contexts, and JSON helpers."""

from __future__ import annotations

import json

import pandas as pd

from cockpit.visuals.base import RenderContext
from cockpit.visuals.registry import visuals

NAN = float("nan")
#: Every built-in kind, pinned by name (pyproject's entry points): a kind that fails to load fails
#: these tests instead of silently dropping out of the parametrised ones.
BUILTIN = ("kpi", "bar", "line", "sankey", "choropleth", "heatmap", "ranking_table", "light_table", "ticker",
           "markdown", "gauge", "whatif")
COMPONENT_KINDS = {"ranking_table", "light_table", "ticker", "markdown", "whatif"}
MINE = ("line", "sankey", "heatmap", "ranking_table", "light_table", "ticker", "markdown", "gauge")

GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": code, "properties": {},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[120 + i, 30], [120.5 + i, 30], [120.5 + i, 30.5], [120 + i, 30]]]}}
    for i, code in enumerate(["330102", "330106"])]}

# kind → (options, sample result). Samples carry NaN and None where a real query can produce them.
SAMPLES: dict[str, tuple[dict, pd.DataFrame]] = {
    "kpi": ({"value": "v", "compare": "c"}, pd.DataFrame({"v": [12.0], "c": [10.0]})),
    "bar": ({"x": "street", "y": ["a", "b"]},
            pd.DataFrame({"street": ["西湖", "湖滨"], "a": [1.0, NAN], "b": [2, 3]})),
    "choropleth": ({"value": "v"}, pd.DataFrame({"region_code": ["330102", "330106"], "v": [1.5, NAN]})),
    "line": ({"x": "month", "y": "n", "compare": "n_prev", "markers": True},
             pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"]),
                           "n": [120.0, NAN, 140.0], "n_prev": [100, 110, None]})),
    "sankey": ({"source": "s", "target": "t", "value": "n"},
               pd.DataFrame({"s": ["12345", "12345", "街道", None], "t": ["街道", "区县", "办结", "办结"],
                             "n": [30, 10, 25, NAN]})),
    "heatmap": ({"x": "street", "y": "category", "value": "n"},
                pd.DataFrame({"street": ["西湖", "湖滨", "西湖"], "category": ["噪音", "噪音", "路灯"],
                              "n": [3, NAN, 5]})),
    "ranking_table": ({"columns": [{"field": "street", "label": {"zh": "街道", "en": "Street"}},
                                   {"field": "score", "bar": True, "format": {"d3": ".1f"}},
                                   {"field": "rank_change", "change": True}]},
                      pd.DataFrame({"street": ["西湖街道", "湖滨街道", None], "score": [91.5, NAN, 78.0],
                                    "rank_change": [2, -1, None]})),
    # the light table takes the ranking table's options and results
    "light_table": ({"columns": [{"field": "street", "label": {"zh": "街道", "en": "Street"}},
                           {"field": "score", "bar": True, "format": {"d3": ".1f"}},
                           {"field": "rank_change", "change": True}]},
              pd.DataFrame({"street": ["西湖街道", "湖滨街道", None], "score": [91.5, NAN, 78.0],
                            "rank_change": [2, -1, None]})),
    "ticker": ({"time": "received_at", "text": "title", "tag": "category"},
               pd.DataFrame({"received_at": pd.to_datetime(["2026-11-25 08:00", "2026-11-25 09:30", None]),
                             "title": ["路灯不亮", "夜间施工噪音", None],
                             "category": ["城建", None, "环境"]})),
    "markdown": ({"text": {"zh": "本月受理 **{n}** 件，办结率 {rate}。",
                           "en": "{n} requests, {rate} closed."},
                  "formats": {"rate": {"d3": ".1%"}}},
                 pd.DataFrame({"n": [1234], "rate": [0.873]})),
    "gauge": ({"value": "done", "max": "total", "label": "list", "mode": "progress"},
              pd.DataFrame({"list": ["需求", "场景", "改革"], "done": [3, NAN, 9], "total": [10, 5, 0]})),
    "whatif": ({"rows": 5}, pd.DataFrame({"indicator": ["close", "sat"], "name": ["办结率", "满意率"],
                                          "weight": [0.2, NAN]})),
}

CONTEXTS = {
    "zh-light": dict(lang="zh", theme="light", wall=False),
    "en-dark-wall": dict(lang="en", theme="dark", wall=True),
}


def ctx_for(kind: str, **kw) -> RenderContext:
    ctx = RenderContext(panel_id=f"p_{kind}", **kw)
    if kind == "choropleth":
        ctx.extra.update(geojson=GEOJSON, names={"330102": "上城区", "330106": "西湖区"})
    return ctx


def registered() -> list[str]:
    return sorted(visuals())


def strict_json(out) -> str:
    """JSON with plain types only: no NaN, no numpy scalars; components through their plotly JSON."""
    return json.dumps(out, default=lambda o: o.to_plotly_json(), allow_nan=False, ensure_ascii=False)


def render(kind: str, options: dict, df: pd.DataFrame, **ctx_kw):
    visual = visuals()[kind]
    return visual.render(df, visual.options.model_validate(options), ctx_for(kind, **ctx_kw))


def texts(out) -> str:
    """Everything a component or figure would show, as one string."""
    return strict_json(out)
