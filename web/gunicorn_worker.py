"""A gunicorn worker that, told to stop, first answers the requests already waiting for it."""

from __future__ import annotations

import errno
import time

from gunicorn.workers.sync import SyncWorker

# How long a stopping worker goes on answering what is already queued at the most.
DRAIN_SECONDS = 10.0


class DrainingWorker(SyncWorker):
    """gunicorn's sync worker, but on SIGTERM it does not just exit: connections the kernel has
    already accepted into the listen queue would be reset when the last worker closes the
    socket, so it answers every one of them (for at most DRAIN_SECONDS) before it goes."""

    def run(self):
        super().run()  # returns once SIGTERM (or a lost parent) ended the loop
        self.drain()

    def drain(self) -> None:
        deadline = time.monotonic() + min(DRAIN_SECONDS, max(self.cfg.graceful_timeout - 1, 1))
        while time.monotonic() < deadline:
            served = False
            for listener in self.sockets:
                try:
                    self.accept(listener)
                    served = True
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED,
                                         errno.EINTR):
                        return  # the socket is gone: nothing more can be waiting
            if not served:
                time.sleep(0.05)  # one more look: a client may be between connect and send
                if not any(self._waiting(listener) for listener in self.sockets):
                    return

    @staticmethod
    def _waiting(listener) -> bool:
        import select
        try:
            ready, _, _ = select.select([listener], [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(ready)
