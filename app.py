"""WSGI entry point: `gunicorn app:server`."""

from cockpit.web.app import create_app

app = create_app()
server = app.server
