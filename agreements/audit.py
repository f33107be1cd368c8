"""The append-only audit log, and the wrapper that makes every operation one transaction."""

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
            if "locked" in str(exc) or "could not serialize" in str(exc):
                raise Conflict("the record is busy with another change; nothing was saved: "
                               "try again") from exc
            raise
        except BaseException:
            session.rollback()
            raise

    return run
