"""gunicorn settings for Compact: `gunicorn -c python:web.gunicorn_conf web.wsgi:app`.

Each setting can be changed on the command line or by the environment variables named here.
A stopping server (SIGTERM) finishes the requests it has, and the ones already queued, before
its workers exit (web/gunicorn_worker.py).
"""

import os

bind = os.environ.get("COMPACT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "web.gunicorn_worker.DrainingWorker"
# Load the application (and compile the agreements in force) once, before forking, so that the
# workers share one copy of the compiled library.
preload_app = os.environ.get("COMPACT_PRELOAD", "1") == "1"
timeout = int(os.environ.get("COMPACT_WORKER_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("COMPACT_GRACEFUL_TIMEOUT", "20"))
keepalive = 2
accesslog = os.environ.get("COMPACT_ACCESS_LOG") or None


def post_fork(server, worker):
    """Connections opened before the fork (by the preloaded app) belong to the arbiter: each
    worker opens its own."""
    import sys
    wsgi = sys.modules.get("web.wsgi")
    if wsgi is not None:
        wsgi.app.extensions["compact.engine"].dispose(close=False)
