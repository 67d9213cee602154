"""`cockpit serve`: the development server (production runs gunicorn app:server).

It never runs Werkzeug's interactive debugger (a traceback page that executes code typed into
it) nor its reloader, in any mode; `--dev` (declarations reload when they change, panels show
error details) binds loopback only, so no other machine can reach an analyst's server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The hosts `--dev` may bind: this machine only.
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(store: Path, host: str, port: int, dev: bool) -> int:
    """Serve the cockpit; with `dev`, declaration files are reloaded when they change."""
    if dev and host not in LOOPBACK:
        print(f"cockpit serve --dev: refusing to bind {host!r}. Dev mode shows error details and "
              f"serves declarations as they are edited, so it binds this machine only "
              f"(--host {' / '.join(LOOPBACK)}). To serve other machines, run gunicorn app:server "
              "(README, Deploy for many users).", file=sys.stderr)
        return 2
    os.environ["COCKPIT_STORE"] = str(store)
    if dev:
        os.environ["COCKPIT_DEV"] = "1"
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from cockpit.db import get_db
    from cockpit.settings import get_settings
    get_settings.cache_clear()
    from cockpit.web.app import create_app

    class Handler(WSGIRequestHandler):
        def version_string(self) -> str:
            return "cockpit"  # not "Werkzeug/x.y Python/x.y"

    app = create_app(get_settings(), get_db())
    app.server.debug = False
    run_simple(host, port, app.server, use_reloader=False, use_debugger=False, use_evalex=False,
               threaded=True, request_handler=Handler)
    return 0
