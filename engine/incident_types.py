"""Incident data types (Incident, IncidentError, LoadedAlert): every reader imports them, they import no reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.schema import Violation


class IncidentError(Exception):
    """A bad incident: not JSON, not an object, a rejected CAP alert, or schema violations."""

    def __init__(self, messages: list[str] | str, violations: list[Violation] | None = None):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.violations = list(violations or [])
        super().__init__("; ".join(self.messages))

    def render(self, source: str = "incident") -> str:
        return "\n".join(f"{source}: error: {m}" for m in self.messages)


def language_matches(block: str, wanted: str) -> bool:
    """`en` matches `en-US` and `en-US` matches `en`, case-insensitively; `en-GB` is not `en-US`."""
    block, wanted = block.lower(), wanted.lower()
    if block == wanted:
        return True
    return block.split("-")[0] == wanted.split("-")[0] and ("-" not in wanted or "-" not in block)


@dataclass(frozen=True)
class Incident:
    """One incident; a CAP alert keeps one mapping per `info` block (its language and data).

    `sources` is parallel to `variants`: for each block, incident field name -> the XML element
    it was read from, relative to <alert> (`"info[2]/certainty"`, `"sent"`); a CAP Cancel
    without <info> has no variants and one mapping, for `data`. `signature` is `"valid"`,
    `"invalid"` or `"absent"` for a CAP alert, None for JSON. `notes` are, per block, what was
    left out of the mapping and why (an unusable polygon), for warnings.
    """

    data: dict
    format: str = "json"  # json or cap
    variants: tuple[tuple[str, dict], ...] = ()  # (language, mapped incident) for CAP
    message_type: str | None = None  # CAP msgType: Alert, Update, Cancel
    references: tuple[str, ...] = ()  # CAP references: "sender,identifier,sent"
    received: str | None = field(default=None, repr=False)
    sources: tuple[dict, ...] = field(default=(), repr=False)
    signature: str | None = None
    notes: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    version: str | None = None  # CAP version: "1.0", "1.1" or "1.2"

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    @property
    def cancelled(self) -> bool:
        return self.message_type == "Cancel"

    # ------------------------------------------------------------ the block an agreement reads
    def block_index(self, language: str | None) -> int | None:
        """The index in `variants` of the block an agreement in `language` reads: the first in
        that language, else the first; None for an incident without blocks."""
        if not self.variants:
            return None
        if language:
            for index, (lang, _) in enumerate(self.variants):
                if language_matches(lang, language):
                    return index
        return 0

    def language_match(self, language: str | None) -> bool:
        """False only when there are blocks and none is in `language` (the first is read then)."""
        if not language or not self.variants:
            return True
        return any(language_matches(lang, language) for lang, _ in self.variants)

    def for_language(self, language: str | None) -> dict:
        """The mapping an agreement in `language` reads: the first info block in it, else the first."""
        index = self.block_index(language)
        return self.data if index is None else self.variants[index][1]

    def for_language_found(self, language: str | None) -> tuple[dict, bool]:
        """The mapping `for_language` gives, and whether a block was in that language."""
        return self.for_language(language), self.language_match(language)

    def all_variants(self) -> list[dict]:
        return [data for _, data in self.variants] or [self.data]

    def source_of(self, name: str, language: str | None = None) -> str | None:
        """The XML element the field `name` of the block read in `language` came from."""
        index = self.block_index(language)
        if index is None:
            index = 0
        if index >= len(self.sources):
            return None
        return self.sources[index].get(name)

    def notes_for(self, language: str | None = None) -> tuple[str, ...]:
        index = self.block_index(language) or 0
        return self.notes[index] if index < len(self.notes) else ()

    def expired(self, at: datetime, language: str | None = None) -> bool:
        """Whether the block read in `language` has an `expires` time before `at`."""
        expires = self.for_language(language).get("expires")
        if not isinstance(expires, str):
            return False
        try:
            moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            return False
        if moment.tzinfo is None or at.tzinfo is None:
            return False
        return moment < at


@dataclass(frozen=True)
class LoadedAlert:
    """One alert of a file that may hold several: its place, its identifier, and what came of it."""

    position: int  # 1-based, in document order
    identifier: str | None
    incident: Incident | None = None
    error: IncidentError | None = None

    @property
    def ok(self) -> bool:
        return self.incident is not None
