"""The append-only audit log, and the wrapper that makes every operation one transaction.

`operation` commits an operation's changes with its audit entries, or rolls all of them back.
It does not take locks itself: an operation that changes duties calls
agreements.incidents.lock_incident (agreements.db.lock_for_write) before it reads what it will
change, so that read-only work (page views, a breach check that finds nothing overdue) never
waits for, or holds, the write lock. A lock wait that runs out, a deadlock or a serialisation
failure is answered as a Conflict ("busy ... try again"), never as a server error.
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from agreements.errors import Conflict
from agreements.models import AuditEntry, User


def record(session: Session, actor: User | None, action: str, obj, *, at: datetime,
           agreement: str | None = None, revision_hash: str | None = None, **detail) -> AuditEntry:
    """Add one audit entry to the operation's transaction (committed with it or not at all)."""
    object_type = type(obj).__name__.lower() if not isinstance(obj, tuple) else obj[0]
    object_id = str(getattr(obj, "id", None) if not isinstance(obj, tuple) else obj[1])
    entry = AuditEntry(at=at, actor_id=actor.id if actor else None,
                       actor_email=actor.email if actor else "system", action=action,
                       object_type=object_type, object_id=object_id, agreement_slug=agreement,
                       revision_hash=revision_hash, detail=_jsonable(detail))
    session.add(entry)
    return entry


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def operation(fn):
    """Commit the operation's changes and its audit entries together, or roll all of them back."""

    @functools.wraps(fn)
    def run(session: Session, *args, **kwargs):
        try:
            result = fn(session, *args, **kwargs)
            session.commit()
            return result
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("somebody else changed this record at the same time; nothing was "
                           "saved: reload it and try again") from exc
        except OperationalError as exc:
            session.rollback()
            if _busy(exc):
                raise Conflict("the record is busy with another change; nothing was saved: "
                               "try again") from exc
            raise
        except BaseException:
            session.rollback()
            raise

    return run


# SQLSTATEs of PostgreSQL: lock_not_available (a lock_timeout ran out), serialization_failure,
# deadlock_detected. Each means: nothing was saved, and the same request may well succeed now.
_BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


def _busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    text = str(exc)
    return (code in _BUSY_SQLSTATES or "locked" in text or "could not serialize" in text
            or "lock timeout" in text or "deadlock detected" in text)
