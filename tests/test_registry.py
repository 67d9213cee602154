"""The registry of visual kinds: a broken built-in kind fails loudly; a broken third-party plug-in
is recorded, reported by `cockpit check`, and leaves the built-in kinds working."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cockpit.specs.loader import load_panel
from cockpit.visuals import registry
from plugin_support import installed, subprocess_env, write_dist_info
from test_specs import GOOD_PANEL, ROOT
from visual_samples import BUILTIN


def test_a_builtin_kind_that_fails_to_load_raises(tmp_path):
    with installed(tmp_path, "cockpit-extra", {"broken": "cockpit.visuals.no_such_kind:VISUAL"}):
        with pytest.raises(ImportError, match=r"built-in visual kind broken \(cockpit.visuals.no_such_kind"):
            registry.visuals()
    assert set(BUILTIN) <= set(registry.visuals())  # uninstalled again


def test_a_broken_plugin_is_recorded_and_the_builtins_still_load(tmp_path):
    with installed(tmp_path, "cockpit-thirdparty", {"broken": "no_such_plugin_module:VISUAL"}):
        found = registry.visuals()
        assert set(BUILTIN) <= set(found) and "broken" not in found
        assert "no_such_plugin_module" in registry.load_errors["broken"]
        with pytest.raises(KeyError, match="kind 'broken' is installed but no_such_plugin_module:VISUAL failed"):
            registry.get_visual("broken")
        folder = tmp_path / "layouts" / "panels"
        folder.mkdir(parents=True)
        path = folder / "zz_plugin.toml"
        path.write_text(GOOD_PANEL.replace('kind = "bar"', 'kind = "broken"'), encoding="utf-8")
        errors = []
        assert load_panel(path, tmp_path / "layouts", errors) is None
        assert [(e.key, "failed to load" in e.message) for e in errors] == [("kind", True)]
    assert "broken" not in registry.visuals() and registry.load_errors == {}


def test_cockpit_check_reports_a_broken_plugin(tmp_path, demo_store):
    plugins = write_dist_info(tmp_path / "site", "cockpit-thirdparty", {"broken": "no_such_plugin_module:VISUAL"})
    cmd = [sys.executable, "-m", "cockpit.cli", "check", "--store", str(demo_store), "--layouts",
           str(ROOT / "layouts")]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=subprocess_env(plugins))
    assert out.returncode == 0, out.stderr  # no panel uses it: the declarations are fine
    assert "plug-in kind 'broken' did not load: no_such_plugin_module:VISUAL failed to load" in out.stderr
