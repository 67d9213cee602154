"""Governance Cockpit (治理驾驶舱): parquet snapshots in, map-centred cockpit panels out."""

__version__ = "0.1.0"
