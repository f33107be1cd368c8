"""Incidents as the engine receives them: JSON objects or CAP alerts, told apart and read."""

from __future__ import annotations

from engine.cap import load_cap
from engine.incident_types import Incident, IncidentError
from engine.json_incidents import from_dict, load_json_incident

__all__ = ["Incident", "IncidentError", "from_dict", "load_incident", "load_json_incident"]


def load_incident(text: str | bytes) -> Incident:
    """A JSON incident or a CAP 1.2 XML alert, told apart by their first character."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise IncidentError("the incident is not UTF-8 text")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return load_cap(text)
    return load_json_incident(stripped)
