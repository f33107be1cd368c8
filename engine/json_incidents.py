"""JSON incidents: a JSON object read as an incident."""

from __future__ import annotations

import json
import re

from engine.incident_types import Incident, IncidentError


MAX_DEPTH = 64  # objects and arrays inside each other; an incident needs a handful
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "true or false"}


def from_dict(data) -> Incident:
    if not isinstance(data, dict):
        kind = "null" if data is None else _JSON_KINDS.get(type(data), type(data).__name__)
        raise IncidentError(f"the incident must be a JSON object {{ ... }}, not {kind}")
    if "status" not in data:
        data = {**data, "status": "actual"}  # the documented default of the built-in field
    return Incident(data)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """Whether objects and arrays nest deeper than MAX_DEPTH (strings are skipped)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def load_json_incident(text: str) -> Incident:
    if ("[" in text or "{" in text) and _too_deep(text):
        raise IncidentError(f"the JSON nests objects and arrays deeper than {MAX_DEPTH} levels, "
                            "which no incident does, so it is refused")
    try:
        data = json.loads(text)
    except RecursionError:
        raise IncidentError(f"the JSON nests objects and arrays deeper than {MAX_DEPTH} levels, "
                            "which no incident does, so it is refused")
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
