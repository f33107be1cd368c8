"""The WSGI entry point for gunicorn and other servers: `gunicorn -w 4 web.wsgi:app`.

Each worker builds its own app (its own database connections) and compiles the agreements in
force once at start, so that no request pays for it.
"""

from agreements.incidents import warm
from web.app import create_app, db

app = create_app()
with app.app_context():
    warm(db())
