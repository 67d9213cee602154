"""`cockpit brief --page P --region CODE --out FILE`: the briefing PDF of a page from the command line.

Serves the app on a loopback port of its own (logins off: an operator's tool on this machine)
for the time Chromium needs to photograph the page and print the briefing (`cockpit.web.brief`).
"""

from __future__ import annotations

import logging
import threading

from cockpit.web.brief import make_pdf
from cockpit.web.plainpage import state_query


def cli_brief(store, page_id: str, region: str | None, out, lang: str = "zh", period: str | None = None) -> int:
    """`cockpit brief`: write the briefing PDF of a page for a region; 0 written, 2 bad input."""
    import os
    import sys
    from pathlib import Path

    from werkzeug.serving import make_server

    os.environ["COCKPIT_STORE"] = str(store)
    os.environ["COCKPIT_AUTH"] = "off"  # a local operator's tool on this machine's loopback only
    from cockpit.db import Database
    from cockpit.settings import get_settings
    from cockpit.web.app import create_app

    get_settings.cache_clear()
    settings = get_settings()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request of our own browser
    app = create_app(settings, Database(Path(store)))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from cockpit.web.catalog import CatalogHolder

        pages = CatalogHolder(settings.layouts, dev=False).get().pages
        page = next((p for p in pages if p.id == page_id or p.path == "/" + page_id.strip("/")), None)
        if page is None:
            print(f"error: no page {page_id!r}; pages: {', '.join(p.id for p in pages)}", file=sys.stderr)
            return 2
        query = state_query({k: v for k, v in (("region", region), ("lang", lang), ("period", period)) if v})
        pdf = make_pdf(f"http://127.0.0.1:{server.server_port}", page.path, query)
        Path(out).write_bytes(pdf)
        print(f"briefing of {page.id} written to {out} ({len(pdf) / 1024:.0f} KB)")
        return 0
    finally:
        server.shutdown()
