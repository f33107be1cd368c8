"""The data types of incidents (Incident, IncidentError), imported by every reader and importing none."""

from __future__ import annotations

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
