"""Every problem of an incident sent to be recorded or updated, in one list: what recording refuses one at a time."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agreements import compiled as cache
from agreements.incidents import executed_in_force
from agreements.models import Incident, Organisation
from engine import limits
from engine.incidents import Incident as EngineIncident
from engine.incidents import IncidentError, from_dict, load_incident
from engine.violations import every_violation

# A message that starts with where it is: "$.severity: ...", "$: ...", "info[2]/certainty: ...".
_WHERE = re.compile(r"^(\$[^:\s]*|[A-Za-z][\w-]*(?:\[\d+\])?(?:/[\w:-]+(?:\[\d+\])?)*): (.+)$",
                    re.DOTALL)
_FIELD = re.compile(r"^\$\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the incident; `path` is where (a JSON path, or a CAP element
    relative to <alert>), `field` the incident field it concerns, `existing` the key of the
    recorded incident that a duplicate id names."""

    message: str
    path: str | None = None
    field: str | None = None
    agreement: str | None = None
    existing: str | None = None
    unreadable: bool = False  # the text could not be read as an incident at all, or not whole
    worded: bool = False  # the message says in words what it concerns; the path only locates it


def problem_of_message(message: str) -> Problem:
    """A problem from a message as the readers word it, with its path when it starts with one."""
    match = _WHERE.match(message)
    if not match:
        return Problem(message)
    path, rest = match.groups()
    field = _FIELD.match(path)
    return Problem(rest, path, field.group(1) if field else None)


def problems_of(session: Session, text: str | bytes, *,
                updating: str | None = None) -> list[Problem]:
    """Every problem of the incident `text` against the agreements in force: what cannot be
    read; else an id already recorded (for a new incident) or naming another incident (for an
    update of `updating`), and every field the built-in schema, an agreement's declared fields
    or a party field refuses. Empty when recording would refuse it for another reason (an
    expired alert, a cancelled incident) or not at all."""
    problems = []
    try:
        parsed = load_incident(text)
    except IncidentError as exc:
        problems = [dataclasses.replace(problem_of_message(m), unreadable=True)
                    for m in exc.messages]
        parsed = _beyond_limits(text)  # the rest of it is still checked, if it is JSON
        if parsed is None:
            return problems
    amends = parsed.format == "cap" and parsed.message_type in ("Update", "Cancel")
    if parsed.id and limits.valid_id(parsed.id) and not amends:
        if updating is None and session.scalar(
                select(Incident.id).where(Incident.key == parsed.id)) is not None:
            problems.append(Problem(f"incident '{parsed.id}' is already recorded; send changed "
                                    f"facts as an update of it", "$.id", "id",
                                    existing=parsed.id, worded=True))
        elif updating is not None and parsed.format == "json" and parsed.id != updating:
            problems.append(Problem(f"the update names incident '{parsed.id}', not "
                                    f"'{updating}'", "$.id", "id", worded=True))
    library = cache.library(executed_in_force(session))
    known = frozenset(session.scalars(select(Organisation.id))) | library.known
    limited = {p.path for p in problems if p.path}  # said once: the limit is the reason
    for v in every_violation(parsed, library.agreements, known):
        if v.path not in limited:
            problems.append(Problem(v.message, v.path, v.field or None, v.agreement))
    return problems


def _beyond_limits(text: str | bytes) -> EngineIncident | None:
    """A JSON incident that was refused only for values beyond the limits (engine/limits.py),
    read anyway so that its other problems are found too; None for anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return None
    try:
        return from_dict(limits.loads(text, check=False))
    except (IncidentError, limits.LimitError, ValueError, RecursionError):
        return None
