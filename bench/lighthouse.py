"""Lighthouse (desktop preset) on a page: performance score, LCP and TBT.

Lighthouse is pinned in bench/package.json and installed into bench/node_modules by `make bench`
(`npm ci`); it drives Debian's Chromium (CHROME_PATH). Without node or the package the figures
are skipped with a message saying why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = HERE / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"


def unavailable() -> str | None:
    """Why Lighthouse cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not BIN.exists():
        return f"lighthouse is not installed (run: npm ci --prefix {HERE.name})"
    if not Path(CHROME).exists():
        return f"{CHROME} is missing"
    return None


def run(url: str, timeout_s: float = 300) -> dict:
    """{"score", "lcp_ms", "tbt_ms"} of one desktop run, or {"skipped": why}."""
    why = unavailable()
    if why:
        return {"skipped": why}
    with tempfile.TemporaryDirectory(prefix="bench-lh-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [str(BIN), url, "--preset=desktop", "--only-categories=performance", "--output=json",
               f"--output-path={report}", "--quiet",
               f"--chrome-flags=--headless=new --no-sandbox --disable-gpu --user-data-dir={tmp}/profile"]
        env = {**os.environ, "CHROME_PATH": CHROME}
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"skipped": f"lighthouse took longer than {timeout_s:.0f} s"}
        if done.returncode != 0 or not report.is_file():
            return {"skipped": f"lighthouse failed ({done.returncode}): {done.stderr.strip()[-300:]}"}
        data = json.loads(report.read_text())
    audits = data["audits"]
    score = data["categories"]["performance"]["score"]
    return {"score": None if score is None else round(score * 100),
            "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
            "tbt_ms": round(audits["total-blocking-time"]["numericValue"])}
