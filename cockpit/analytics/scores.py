"""街道考核 Street scores: a CityScore-style composite per street and period, ranks and veto.

Method (docs/methods.md, "Street scores" has the worked example):

* each indicator value is scored as a ratio to its target — ``value ÷ target`` when higher is
  better, ``target ÷ value`` when lower is better; a lower-is-better value of 0 (or below) has no
  finite ratio and scores the cap;
* the ratio is floored at 0 and capped at :data:`SCORE_CAP` (1.5), so one runaway indicator cannot
  hide the others;
* composite = weighted mean of the capped ratios over the indicators the street *has a value for*
  (missing values drop out of numerator and denominator alike) × 100;
* ranks: unvetoed streets with a score first, then unvetoed streets without a score, then vetoed
  streets (一票否决); within each group by score (rounded to 6 decimals, so float noise never
  decides) descending, then ``street_code`` ascending. ``rank`` is within the parent region
  (county), ``rank_all`` within the whole jurisdiction; ranks are 1, 2, 3 ... without gaps or ties;
* rank change = previous rank − current rank (positive = moved up), where the previous period is
  the latest period before this one that has any metric or veto, ranked with the same weights and
  jurisdiction; null when the street had no rank then.

SQL parameters follow the query layer's names: ``$period_start`` (the month, its first day;
NULL = every period) and ``$region`` (region code; NULL = every street); the what-if variant for
*n* weights also binds ``$w_ind_0`` … ``$w_ind_<n-1>`` and ``$w_val_0`` … (indicator → weight
overriding ``indicators.weight``, read as the rows of a VALUES relation; indicators not listed
keep their published weight). One value per parameter: the same SQL runs on DuckDB and Spark.
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from pathlib import Path
from typing import Any, Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
    import pandas as pd

from cockpit.analytics import run
from cockpit.snapshot import connect_snapshot, live_snapshot_dir
from cockpit.store import StoreError

#: A ratio above this counts as this (150 % of target is as good as it gets).
SCORE_CAP = 1.5

# The shared front part of every scores query. The cap 1.5 is written out as a literal (it is a
# fixed part of the method, documented, not a viewer's choice); SCORE_CAP mirrors it for Python
# and a test keeps the two equal.
_SCORES_CTES_TEMPLATE = """
periods as (
    -- every period that has a metric or a veto, with the one before it (for rank change)
    select period, lag(period) over (order by period) as prev_period
    from (select period from street_metrics union select period from street_vetoes) p
),
wanted as (
    select period from periods
    where cast($period_start as date) is null
       or period = cast($period_start as date)
       or period = (select prev_period from periods where period = cast($period_start as date))
),
streets as (
    -- the streets of the jurisdiction: the region itself or anything under it in region_tree
    select s.region_code as street_code, s.name, s.parent_code, p.name as parent_name
    from regions s
    left join regions p on p.region_code = s.parent_code
    where s.level = 'street'
      and (cast($region as varchar) is null
           or s.region_code = cast($region as varchar)
           or s.region_code in (select region_code from region_tree
                                where ancestor_code = cast($region as varchar)))
),
{IND}
metric as (
    select m.period, m.street_code, m.indicator, m.value,
           i.indicator_name, i.unit, i.higher_is_better, i.target, i.weight,
           case
               when m.value is null then null
               when i.higher_is_better then m.value / i.target
               when m.value <= 0 then 1.5          -- lower is better and nothing to count: best
               else i.target / m.value
           end as ratio
    from street_metrics m
    join ind i on i.indicator = m.indicator
    where m.period in (select period from wanted)
      and m.street_code in (select street_code from streets)
),
metric_scored as (
    select *, least(greatest(ratio, 0.0), 1.5) as capped_ratio
    from metric
),
street_score as (
    select period, street_code,
           100.0 * sum(weight * capped_ratio)
                 / nullif(sum(case when capped_ratio is not null then weight end), 0) as score,
           sum(case when capped_ratio is not null then weight end) as weight_total,
           count(capped_ratio) as n_indicators
    from metric_scored
    group by period, street_code
),
veto as (
    select period, street_code, string_agg(reason, '; ' order by reason) as veto_reason
    from street_vetoes
    where period in (select period from wanted)
      and street_code in (select street_code from streets)
    group by period, street_code
),
scored as (
    select coalesce(sc.period, v.period) as period,
           coalesce(sc.street_code, v.street_code) as street_code,
           sc.score, coalesce(sc.n_indicators, 0) as n_indicators,
           v.street_code is not null as veto, v.veto_reason
    from street_score sc
    full join veto v on v.period = sc.period and v.street_code = sc.street_code
),
ranked as (
    select sc.*, st.name, st.parent_code, st.parent_name,
           row_number() over (partition by sc.period, st.parent_code
                              order by sc.veto, sc.score is null, round(sc.score, 6) desc,
                                       sc.street_code) as rank,
           row_number() over (partition by sc.period
                              order by sc.veto, sc.score is null, round(sc.score, 6) desc,
                                       sc.street_code) as rank_all
    from scored sc
    join streets st on st.street_code = sc.street_code
),
with_change as (
    select r.*, p.prev_period,
           prev.rank - r.rank as rank_change,
           prev.rank_all - r.rank_all as rank_all_change
    from ranked r
    join periods p on p.period = r.period
    left join ranked prev on prev.period = p.prev_period and prev.street_code = r.street_code
)"""

_IND_PUBLISHED = """
ind as (
    select i.indicator, i.name as indicator_name, i.unit, i.higher_is_better, i.target, i.weight
    from indicators i
),"""

_IND_WHAT_IF = """
weight_override as (
    -- what-if weights: one bound (indicator, weight) pair per row
    select o.indicator, o.weight from (values {ROWS}) as o(indicator, weight)
),
ind as (
    select i.indicator, i.name as indicator_name, i.unit, i.higher_is_better, i.target,
           coalesce(o.weight, i.weight) as weight
    from indicators i
    left join weight_override o on o.indicator = i.indicator
),"""


def _ctes(weights: int) -> str:
    # Only fixed SQL fragments are put together here; every value stays a bound parameter.
    if weights <= 0:
        return "with" + _SCORES_CTES_TEMPLATE.replace("{IND}", _IND_PUBLISHED)
    rows = ", ".join(f"(cast($w_ind_{i} as varchar), cast($w_val_{i} as double))" for i in range(int(weights)))
    return "with" + _SCORES_CTES_TEMPLATE.replace("{IND}", _IND_WHAT_IF.replace("{ROWS}", rows))


_SCORES_CTES = _ctes(0)[len("with"):]

_STREET_SELECT = """
select period, street_code, name, parent_code, parent_name, score, n_indicators,
       rank, rank_all, rank_change, rank_all_change, veto, veto_reason
from with_change
where cast($period_start as date) is null or period = cast($period_start as date)
order by period, rank_all
"""

_INDICATOR_SELECT = """,
grid as (
    select w.period, w.street_code, w.name, w.parent_code, i.indicator, i.indicator_name,
           i.unit, i.higher_is_better, i.target, i.weight
    from with_change w cross join ind i
    where cast($period_start as date) is null or w.period = cast($period_start as date)
)
select g.period, g.street_code, g.name, g.parent_code, g.indicator, g.indicator_name, g.unit,
       g.higher_is_better, m.value, g.target, m.ratio, m.capped_ratio, g.weight,
       100.0 * g.weight * m.capped_ratio / nullif(ss.weight_total, 0) as contribution
from grid g
left join metric_scored m
       on m.period = g.period and m.street_code = g.street_code and m.indicator = g.indicator
left join street_score ss on ss.period = g.period and ss.street_code = g.street_code
order by g.period, g.street_code, g.indicator
"""


def street_scores_sql(weights: int = 0) -> str:
    """SQL of :func:`street_scores`: one row per street and period.

    Binds ``$period_start`` (the month; NULL = every period) and ``$region`` (NULL = all
    streets); with ``weights`` = n > 0 also ``$w_ind_0``/``$w_val_0`` … ``$w_ind_<n-1>``/``$w_val_<n-1>``
    (:func:`weight_params` gives them).
    """
    return _ctes(weights) + _STREET_SELECT


def indicator_scores_sql(weights: int = 0) -> str:
    """SQL of :func:`indicator_scores` (per street × indicator); binds as :func:`street_scores_sql`."""
    return _ctes(weights) + _INDICATOR_SELECT


def is_what_if_statement(sql: str) -> bool:
    """Whether `sql` is exactly one of the what-if statements above (for some number of weights)."""
    n = sql.count("$w_val_")
    return n > 0 and sql in (street_scores_sql(n), indicator_scores_sql(n))


#: Panel SQL: scores and ranks of the streets of $region for the month $period_start
#: (published weights). Columns as :func:`street_scores`.
STREET_SCORES_SQL = street_scores_sql()

#: Panel SQL: the indicator breakdown of $region's streets for $period_start (published weights).
INDICATOR_SCORES_SQL = indicator_scores_sql()

#: The rollup's rows: every period, whole tree, published weights. Binds nothing.
STREET_SCORES_ROLLUP_SQL = (_ctes(0).replace("cast($period_start as date)", "cast(null as date)")
                            .replace("cast($region as varchar)", "cast(null as varchar)") + """
select period, street_code, parent_code, score, rank, rank_change, rank_all, veto, veto_reason
from with_change
order by period, rank_all
""")

#: Re-rank the ``street_scores`` rollup for a jurisdiction (cheap; for panels that do not need
#: what-if weights). ``rank`` within the parent is as in the rollup (a jurisdiction holds whole
#: counties, or one street); ``rank_all`` is recomputed within $region. Binds $period_start, $region.
STREET_RANKING_FROM_ROLLUP_SQL = """
with scoped as (
    select s.*
    from street_scores s
    where cast($region as varchar) is null
       or s.street_code = cast($region as varchar)
       or s.street_code in (select region_code from region_tree
                            where ancestor_code = cast($region as varchar))
),
ranked as (
    select *, row_number() over (partition by period
                                 order by veto, score is null, round(score, 6) desc,
                                          street_code) as rank_all_scoped
    from scoped
),
prev as (
    select period, lag(period) over (order by period) as prev_period
    from (select distinct period from street_scores) p
)
select r.period, r.street_code, g.name, r.parent_code, r.score, r.rank, r.rank_change,
       r.rank_all_scoped as rank_all, q.rank_all_scoped - r.rank_all_scoped as rank_all_change,
       r.veto, r.veto_reason
from ranked r
join prev p on p.period = r.period
left join ranked q on q.period = p.prev_period and q.street_code = r.street_code
left join regions g on g.region_code = r.street_code
where r.period = cast($period_start as date)
order by r.rank_all_scoped
"""


def weight_params(weights: Mapping[str, float] | None) -> dict[str, Any]:
    """The values a what-if statement for ``len(weights)`` weights binds: ``w_ind_<i>`` (indicator)
    and ``w_val_<i>`` (its weight), one value each ({} = published weights)."""
    out: dict[str, Any] = {}
    for i, (name, w) in enumerate((weights or {}).items()):
        w = float(w)
        if not w >= 0:  # also rejects NaN
            raise ValueError(f"weight of {name!r} must be a number ≥ 0, got {w!r}")
        out[f"w_ind_{i}"], out[f"w_val_{i}"] = str(name), w
    return out


def _period(period: dt.date | str | None) -> dt.date | None:
    """Accept a date, ``YYYY-MM`` or ``YYYY-MM-DD``; periods are first days of months."""
    if period is None or isinstance(period, dt.date):
        return period
    text = str(period)
    return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)


def street_scores(con: Any, period: dt.date | str | None, region: str | None = None,
                  weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Composite score and ranks of every street of ``region`` for ``period``.

    Columns: period, street_code, name, parent_code, parent_name, score (0–150), n_indicators,
    rank (within parent), rank_all (within the jurisdiction), rank_change, rank_all_change
    (previous rank − rank; positive = moved up; NULL when not ranked in the previous period),
    veto (bool), veto_reason. Ordered by rank_all. ``period=None`` gives every period.
    """
    params = {"period_start": _period(period), "region": region, **weight_params(weights)}
    return run(con, street_scores_sql(len(weights or {})), params)


def indicator_scores(con: Any, period: dt.date | str | None, region: str | None = None,
                     weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per street × indicator: value, target, ratio, capped_ratio, weight, contribution.

    Columns: period, street_code, name, parent_code, indicator, indicator_name, unit,
    higher_is_better, value, target, ratio, capped_ratio, weight, contribution (score points;
    a street's contributions sum to its score).
    """
    params = {"period_start": _period(period), "region": region, **weight_params(weights)}
    return run(con, indicator_scores_sql(len(weights or {})), params)


_CLI_COLUMNS = ["street_code", "name", "parent_code", "score", "rank", "rank_change",
                "rank_all", "rank_all_change", "veto", "veto_reason"]


def _display_width(text: str) -> int:
    """Terminal columns of ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(df: pd.DataFrame) -> str:
    """An aligned text table (numbers right, text left) that stays aligned with Chinese names."""
    import pandas as pd

    cells = [[("" if pd.isna(v) else str(v)) for v in row] for row in df.itertuples(index=False)]
    header = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in df.columns]
    widths = [max([_display_width(h)] + [_display_width(r[i]) for r in cells])
              for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        out = []
        for v, w, num in zip(values, widths, numeric):
            pad = " " * (w - _display_width(v))
            out.append(pad + v if num else v + pad)
        return "  ".join(out).rstrip()

    return "\n".join([line(header)] + [line(r) for r in cells])


def cli_scores(store: Path, period: str, region: str | None = None, fmt: str = "table") -> int:
    """``cockpit scores``: print the street scores of one period of the live snapshot.

    Exit status 0 = printed, 1 = no scores for that period/region, 2 = no store or bad period.
    """
    try:
        snap = live_snapshot_dir(store)
        when = _period(period)
    except (FileNotFoundError, StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    con = connect_snapshot(snap)
    try:
        df = street_scores(con, when, region)
    finally:
        con.close()
    if df.empty:
        print(f"no street scores for period {when:%Y-%m}" + (f" in region {region}" if region else ""),
              file=sys.stderr)
        return 1
    df = df[_CLI_COLUMNS].copy()
    df["score"] = df["score"].round(2)
    for col in ("rank", "rank_all", "rank_change", "rank_all_change"):
        df[col] = df[col].astype("Int64")
    df["veto_reason"] = df["veto_reason"].astype(object).where(df["veto_reason"].notna(), "")
    try:
        if fmt == "csv":
            df.to_csv(sys.stdout, index=False)
        else:
            print(format_table(df))
        sys.stdout.flush()
    except BrokenPipeError:  # `cockpit scores ... | head`: the reader left; not an error
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
