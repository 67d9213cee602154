"""Docs checked against code (as datasette does): the panel reference is generated from the
visual registry and spec models, and the README's example panel really passes `cockpit check`."""

from __future__ import annotations

import re
from pathlib import Path

from cockpit.specs.docs import render_panels_markdown
from cockpit.specs.loader import load_panel
from cockpit.visuals.registry import visuals

ROOT = Path(__file__).resolve().parent.parent


def test_panel_reference_is_current():
    committed = (ROOT / "docs" / "panels.md").read_text(encoding="utf-8")
    assert committed == render_panels_markdown(), "run: python -m cockpit.specs.docs"


def test_every_kind_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for kind in visuals():
        assert f"`{kind}`" in readme, f"README does not mention the visual kind {kind}"


def test_readme_example_panel_is_valid(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n# layouts/panels/(\w+)\.toml\n(.*?)```", readme, re.S)
    assert block, "README has no example panel block"
    folder = tmp_path / "layouts" / "panels"
    folder.mkdir(parents=True)
    path = folder / f"{block.group(1)}.toml"
    path.write_text(block.group(2), encoding="utf-8")
    errors = []
    assert load_panel(path, tmp_path / "layouts", errors) is not None, [str(e) for e in errors]
