"""An example third-party visual-kind package, installed by the tests through a real
`cockpit.visuals` entry point (see tests/plugin_support.py and tests/test_plugin_kind.py)."""
