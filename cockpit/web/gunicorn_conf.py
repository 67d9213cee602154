"""gunicorn settings for the cockpit (`gunicorn -c python:cockpit.web.gunicorn_conf app:server`).

The master imports the libraries every worker uses (Dash, plotly, pandas, pyarrow, DuckDB, the
installed panel kinds) before it forks, so the workers share those pages instead of each loading
its own copy: about 50 MiB less memory per worker. It builds no app, opens no database and starts
no thread (a DuckDB connection or a thread pool does not survive a fork): each worker still
creates the app itself, as without this file. Command-line flags override nothing here but what
they name; this file sets no bind address, worker count or timeout.
"""

import cockpit.web.app  # noqa: F401 - the imports are the point
import cockpit.web.cases  # noqa: F401
import cockpit.web.lineage  # noqa: F401
from cockpit.visuals.registry import visuals

visuals()  # the installed kinds' modules (entry points), imported once in the master
