"""WSGI entry point: `gunicorn app:server`. The app is built from the process settings
(`COCKPIT_*` environment variables) and this process's database."""

from cockpit.db import get_db
from cockpit.settings import get_settings
from cockpit.web.app import create_app

app = create_app(get_settings(), get_db())
server = app.server
