"""JSON incidents: a JSON object read as an incident."""

from __future__ import annotations

import json
import re

from engine.incident_types import Incident, IncidentError


def from_dict(data) -> Incident:
    if not isinstance(data, dict):
        raise IncidentError("the incident must be a JSON object { ... }, not "
                            f"{type(data).__name__ if data is not None else 'null'}")
    if "status" not in data:
        data = {**data, "status": "actual"}  # the documented default of the built-in field
    return Incident(data)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def load_json_incident(text: str) -> Incident:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IncidentError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if _SURROGATE_ESCAPE.search(text):  # a pair is an emoji; half of one is no character at all
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise IncidentError("not valid JSON text: it escapes half of a UTF-16 surrogate pair "
                                "(such as \\ud800), which is no character")
    incident = from_dict(data)
    return Incident(incident.data, received=text)
