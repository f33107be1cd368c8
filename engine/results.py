"""The answers of an evaluation: its duties, warnings and skipped agreements, and their JSON
(interfaces.md's evaluation JSON: keys are only ever added)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from engine.deadlines import utc_text


@dataclass(frozen=True)
class Duty:
    agreement: str
    clause: str
    title: str
    modality: str
    party: str
    role: str | None
    action: str
    due: datetime | None
    status: str
    costs: tuple[tuple[str, float], ...]
    because: tuple[str, ...]
    note: str | None = None
    occurrence: int | None = None  # of a recurring duty, from 1
    since: datetime | None = field(default=None, compare=False)  # its period's start
    consequence: str | None = None  # the clause's `otherwise`, once breached or lapsed
    to: tuple[str, ...] | None = None  # the parties the duty is owed to (`to ROLE, ...`)

    @property
    def due_text(self) -> str | None:
        return utc_text(self.due) if self.due is not None else None

    def sort_key(self):
        return (self.due is None, self.due.timestamp() if self.due else 0.0, self.agreement,
                self.clause, self.party)

    def as_dict(self) -> dict:
        out = {
            "agreement": self.agreement, "clause": self.clause, "title": self.title,
            "modality": self.modality, "party": self.party, "role": self.role,
            "action": self.action, "due": self.due_text, "status": self.status,
            "costs": [{"party": p, "share": s} for p, s in self.costs],
            "because": list(self.because),
        }
        if self.note is not None:
            out["note"] = self.note
        if self.occurrence is not None:
            out["occurrence"] = self.occurrence
        if self.consequence is not None:
            out["consequence"] = self.consequence
        if self.to is not None:
            out["to"] = list(self.to)
        return out


@dataclass(frozen=True)
class Warning_:
    agreement: str | None
    clause: str | None
    message: str
    field: str | None = None  # a value outside every `one of`: the field and the value
    value: object = None

    def as_dict(self) -> dict:
        out = {"agreement": self.agreement, "clause": self.clause, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class Evaluation:
    incident: str
    evaluated_at: datetime
    exercise: bool
    duties: tuple[Duty, ...]
    skipped: tuple[tuple[str, str], ...]
    warnings: tuple[Warning_, ...]
    clauses_examined: int = 0
    clauses_total: int = 0
    signature: str | None = None  # a CAP alert's XML signature: valid, invalid or absent

    def as_dict(self, skipped: bool = True) -> dict:
        out = {
            "incident": self.incident,
            "evaluated_at": utc_text(self.evaluated_at),
            "exercise": self.exercise,
            "duties": [d.as_dict() for d in self.duties],
            "skipped": [{"agreement": a, "reason": r} for a, r in self.skipped] if skipped
            else None,
            "warnings": [w.as_dict() for w in self.warnings],
        }
        if self.signature is not None:
            out["signature"] = self.signature
        return out

    def to_json(self, compact: bool = False) -> str:
        """The evaluation JSON of interfaces.md. The CLI prints it indented (two spaces, a final
        newline); `compact=True` is the same JSON without whitespace (`,` and `:` separators,
        no final newline): the same keys, values and order, for the API. Compact output goes
        through the C encoder, which `indent` rules out (about 3x faster)."""
        if not compact:
            return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"
        if not isinstance(self.skipped, OutOfEffect):
            return _COMPACT(self.as_dict())
        # The same text, with the skipped list (the bulk of it in a large library) from the
        # pieces the index keeps per period.
        out = self.as_dict(skipped=False)
        return "{" + ",".join(
            _COMPACT(k) + ":" + (self.skipped.compact_json() if k == "skipped" else _COMPACT(v))
            for k, v in out.items()) + "}"


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class OutOfEffect(tuple):
    """A day's skipped list, (agreement, reason) pairs in `finish`'s order, that also knows
    its compact JSON: `day.join(pieces)`, the pieces being kept per period by the index. It
    is a tuple like any other (a copy or a pickle of it is a plain tuple)."""

    def __new__(cls, items, day: str, pieces: tuple[str, ...]):
        self = super().__new__(cls, items)
        self.day, self.pieces = day, pieces
        return self

    def __reduce__(self):
        return tuple, (tuple(self),)

    def compact_json(self) -> str:
        return self.day.join(self.pieces)

    @staticmethod
    def json_pieces(entries, head: str) -> tuple[str, ...]:
        """For (agreement, rest of reason) pairs whose reasons are `head + DAY + rest`: the
        pieces that `DAY.join` makes the compact JSON of their skipped list with."""
        if not entries:
            return ("[]",)
        pieces, before = [], "["
        for agreement, rest in entries:
            pieces.append(f'{before}{{"agreement":{_COMPACT(agreement)},"reason":'
                          f'{_COMPACT(head)[:-1]}')
            before = _COMPACT(rest)[1:-1] + '"},'
        pieces.append(before[:-1] + "]")
        return tuple(pieces)
