"""The WSGI entry point for gunicorn and other servers: `gunicorn -w 4 web.wsgi:app`.

Each worker builds its own app (its own database connections) and compiles the agreements in
force once at start, so that no request pays for it. What is alive then lives as long as the
worker: it is moved out of the garbage collector's reach (`gc.freeze`), so that collections
do not walk the compiled agreements again and again while requests wait.
"""

import gc

from agreements.incidents import warm
from web.app import create_app, db

app = create_app()
with app.app_context():
    warm(db())
gc.collect()
gc.freeze()
