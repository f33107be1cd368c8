"""Incidents as the engine receives them: JSON objects or CAP 1.2 alerts mapped to fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from engine.schema import Violation


class IncidentError(Exception):
    """A bad incident: not JSON, not an object, a rejected CAP alert, or schema violations."""

    def __init__(self, messages: list[str] | str, violations: list[Violation] | None = None):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.violations = list(violations or [])
        super().__init__("; ".join(self.messages))

    def render(self, source: str = "incident") -> str:
        return "\n".join(f"{source}: error: {m}" for m in self.messages)


@dataclass(frozen=True)
class Incident:
    """One incident; a CAP alert keeps one mapping per `info` language."""

    data: dict
    format: str = "json"  # json or cap
    variants: tuple[tuple[str, dict], ...] = ()  # (language, mapped incident) for CAP
    message_type: str | None = None  # CAP msgType: Alert, Update, Cancel
    references: tuple[str, ...] = ()  # CAP references: "sender,identifier,sent"
    received: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    @property
    def cancelled(self) -> bool:
        return self.message_type == "Cancel"

    def for_language(self, language: str | None) -> dict:
        """The mapping an agreement in `language` reads: the first info block in it, else the first."""
        if language and self.variants:
            wanted = language.lower()
            for lang, data in self.variants:
                lang = lang.lower()
                if lang == wanted or lang.split("-")[0] == wanted.split("-")[0] and (
                        "-" not in wanted or "-" not in lang):
                    return data
        return self.data

    def all_variants(self) -> list[dict]:
        return [data for _, data in self.variants] or [self.data]


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


def load_incident(text: str | bytes) -> Incident:
    """A JSON incident or a CAP 1.2 XML alert, told apart by their first character."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise IncidentError("the incident is not UTF-8 text")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        from engine.cap import load_cap
        return load_cap(text)
    return load_json_incident(stripped)
