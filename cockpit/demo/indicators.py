"""Street assessment (街道考核) inputs: indicators with targets and weights, 12 months of monthly
values per street, and a few one-vote vetoes (一票否决).

A street's values follow its hidden quality (shared with the request generator), so the
streets that answer requests slowly also rank low. Each street also has a momentum: its
quality drifts towards today's over the year, so ranks move from month to month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cockpit.demo.geography import Geography
from cockpit.demo.rand import rng_for

# indicator, name, unit, higher_is_better, target, weight (weights add up to 1)
INDICATORS = [
    ("closure_rate", "办结率", "%", True, 95.0, 0.20),
    ("ontime_rate", "按期办结率", "%", True, 90.0, 0.20),
    ("satisfaction_rate", "满意率", "%", True, 92.0, 0.20),
    ("avg_handle_hours", "平均处理时长", "小时", False, 48.0, 0.15),
    ("repeat_complaint_rate", "重复投诉率", "%", False, 3.0, 0.10),
    ("app_usage_rate", "应用使用率", "%", True, 60.0, 0.10),
    ("proactive_discovery_rate", "主动发现率", "%", True, 40.0, 0.05),
]
VETO_REASONS = [
    "发生重大安全生产事故",
    "发生较大及以上火灾事故",
    "发生重大环境污染事件",
    "发生群体性事件并造成恶劣影响",
    "发生重大食品安全事故",
    "信访积案化解不力造成严重后果",
]

INDICATORS_SCHEMA = pa.schema([
    ("indicator", pa.string()), ("name", pa.string()), ("unit", pa.string()),
    ("higher_is_better", pa.bool_()), ("target", pa.float64()), ("weight", pa.float64()),
])
METRICS_SCHEMA = pa.schema([
    ("period", pa.date32()), ("street_code", pa.string()), ("indicator", pa.string()), ("value", pa.float64()),
])
VETOES_SCHEMA = pa.schema([("period", pa.date32()), ("street_code", pa.string()), ("reason", pa.string())])


def periods(as_of: dt.date, months: int = 12) -> list[dt.date]:
    """First days of the `months` months ending with as_of's month, oldest first."""
    out, y, m = [], as_of.year, as_of.month
    for _ in range(months):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def indicators_table() -> pa.Table:
    return pa.Table.from_pylist([dict(zip(INDICATORS_SCHEMA.names, row)) for row in INDICATORS],
                                schema=INDICATORS_SCHEMA)


def street_metrics_table(geo: Geography, seed: int, as_of: dt.date) -> pa.Table:
    """One value per street × indicator × month (vectorised: ~1000 streets × 7 × 12)."""
    rng = rng_for(seed, "indicators.metrics")
    st = geo.streets
    n, months = len(st), periods(as_of)
    urban = st["county_code"].map(geo.regions.set_index("region_code")["name"]).str[-1].eq("区").to_numpy()
    momentum = rng.normal(0.0, 0.7, size=n)
    t = np.linspace(-1.0, 0.0, len(months))  # a year ago → now
    q = st["quality"].to_numpy()[:, None] + momentum[:, None] * t[None, :]  # (n, months)
    month_i = np.arange(len(months))[None, :]

    def noise(scale):
        return rng.normal(0.0, scale, size=q.shape)

    values = {
        "closure_rate": np.clip(96.0 + 1.3 * q + noise(0.8), 80, 100),
        "ontime_rate": np.clip(89.5 + 3.0 * q + 0.15 * month_i + noise(1.5), 60, 100),
        "satisfaction_rate": np.clip(92.5 + 2.2 * q + noise(1.2), 70, 100),
        "avg_handle_hours": 50.0 * np.exp(-0.2 * q) * (1 - 0.01 * month_i) * rng.lognormal(0, 0.08, size=q.shape),
        "repeat_complaint_rate": 3.2 * np.exp(-0.35 * q) * rng.lognormal(0, 0.15, size=q.shape),
        "app_usage_rate": np.clip(40 + 12 * urban[:, None] + 7 * q + 1.5 * month_i + noise(3), 5, 95),
        "proactive_discovery_rate": np.clip(36 + 6 * q + 0.8 * month_i + noise(3), 5, 90),
    }
    codes, periods_col, inds, vals = [], [], [], []
    street_codes = st["street_code"].to_numpy()
    for ind, *_ in INDICATORS:
        v = np.round(values[ind], 2)
        for mi, period in enumerate(months):
            codes.append(street_codes)
            periods_col.append(np.full(n, np.datetime64(period, "D")))
            inds.append(np.full(n, ind))
            vals.append(v[:, mi])
    table = pa.Table.from_arrays([
        pa.array(np.concatenate(periods_col), type=pa.date32()),
        pa.array(np.concatenate(codes).tolist(), type=pa.string()),
        pa.array(np.concatenate(inds).tolist(), type=pa.string()),
        pa.array(np.concatenate(vals), type=pa.float64()),
    ], schema=METRICS_SCHEMA)
    return table.sort_by([("period", "ascending"), ("street_code", "ascending"), ("indicator", "ascending")])


def street_vetoes_table(geo: Geography, seed: int, as_of: dt.date) -> pa.Table:
    """3–6 vetoes, mostly on badly run streets, at least one in the latest month (so the
    "streets vetoed" tile is not zero on the default screen)."""
    rng = rng_for(seed, "indicators.vetoes")
    st = geo.streets
    months = periods(as_of)
    k = int(rng.integers(3, 7))
    p = np.exp(-1.2 * st["quality"].to_numpy())
    picks = rng.choice(len(st), size=k, replace=False, p=p / p.sum())
    month_idx = [len(months) - 1] + rng.integers(0, len(months), size=k - 1).tolist()
    reasons = rng.choice(len(VETO_REASONS), size=k, replace=False)
    rows = sorted(
        ({"period": months[mi], "street_code": st["street_code"].iloc[si], "reason": VETO_REASONS[ri]}
         for mi, si, ri in zip(month_idx, picks, reasons)),
        key=lambda r: (r["period"], r["street_code"]),
    )
    return pa.Table.from_pylist(rows, schema=VETOES_SCHEMA)
