"""The WSGI entry point for gunicorn and other servers:

    gunicorn --preload -w 4 web.wsgi:app

Importing this module builds the app and the trigger index of every agreement in force
(`agreements.incidents.warm`): the compiled forms are loaded from the compiled_form table, and
only revisions without a row of this Compact version are parsed (their rows are written then),
so a restart loads instead of parsing. With `--preload` this happens once, in gunicorn's
master, before it forks: every worker starts with the Library already built and shares its
memory pages with the others (copy on write). What is alive then lives as long as the
server: it is moved out of the garbage collector's reach (`gc.freeze`), so that collections
neither walk the compiled agreements while requests wait nor touch (and so copy) the shared
pages; the collector is off while they are loaded and indexed, for the same reason. The database connections used for warming are closed before the fork, so that no worker
inherits another's connection. Without `--preload` each worker does the same for itself.
"""

import gc
import logging
import time

from agreements import compiled
from agreements.incidents import warm
from web.app import create_app, db

log = logging.getLogger("compact.wsgi")

app = create_app()
_t0 = time.perf_counter()
gc.collect()  # the garbage of the imports, before the long-lived objects arrive
with app.app_context():
    in_force = warm(db())
engine = app.extensions.get("compact.engine")
if engine is not None:
    engine.dispose()  # connections are not shared across fork; each worker opens its own
if compiled.stats["parsed"]:
    gc.collect()  # parsing leaves cyclic garbage; loading (done with the collector off) none
gc.freeze()
log.info("%d agreements in force, warmed in %.1f s", in_force, time.perf_counter() - _t0)
