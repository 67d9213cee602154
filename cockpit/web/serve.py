"""`cockpit serve`: the development server (production runs gunicorn app:server)."""

from __future__ import annotations

import os
from pathlib import Path


def serve(store: Path, host: str, port: int, dev: bool) -> int:
    """Serve the cockpit; with `dev`, declaration files are reloaded when they change."""
    os.environ["COCKPIT_STORE"] = str(store)
    if dev:
        os.environ["COCKPIT_DEV"] = "1"
    from cockpit.db import get_db
    from cockpit.settings import get_settings
    get_settings.cache_clear()
    from cockpit.web.app import create_app

    app = create_app(get_settings(), get_db())
    app.run(host=host, port=port, debug=dev, dev_tools_hot_reload=False, dev_tools_disable_version_check=True, use_reloader=False)
    return 0
