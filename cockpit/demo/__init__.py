"""Deterministic demo drop: real Zhejiang boundaries, synthetic streets and synthetic data.

`write_demo_drop(out, requests, seed, as_of)` writes a folder that follows data contract v1
(docs in docs/demo-data.md). Everything in it is invented and is shown as 演示数据 on screen.
"""

from cockpit.demo.drop import FILES, write_demo_drop

__all__ = ["FILES", "write_demo_drop"]
