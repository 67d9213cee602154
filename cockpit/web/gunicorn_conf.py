"""gunicorn settings for the cockpit (`gunicorn -c python:cockpit.web.gunicorn_conf app:server`).

The master imports the libraries every worker uses (Dash, plotly, pandas, pyarrow, DuckDB, the
installed panel kinds) before it forks, so the workers share those pages instead of each loading
its own copy: about 50 MiB less memory per worker. It builds no app, opens no database and starts
no thread (a DuckDB connection or a thread pool does not survive a fork): each worker still
creates the app itself, as without this file. Command-line flags override nothing here but what
they name; this file sets no bind address, worker count or timeout.

Each worker then renders the first page for the top region before it accepts a request
(`post_worker_init`, `COCKPIT_WORKER_WARM_S`, default 5 s): the first viewers after a start do not
pay the worker's one-time costs.
"""

import cockpit.web.app  # noqa: F401 - the imports are the point
import cockpit.web.cases  # noqa: F401
import cockpit.web.lineage  # noqa: F401
from cockpit.visuals.registry import visuals

visuals()  # the installed kinds' modules (entry points), imported once in the master


def post_worker_init(worker) -> None:
    """In each worker, after it built the app and before it serves: `warm.warm_worker`."""
    from cockpit.web.warm import warm_worker

    warm_worker(worker.wsgi)
