"""Facts about incident field types shared by the checker and the engine: scales, built-ins."""

from __future__ import annotations

from dataclasses import dataclass

# Ordered from least to greatest; `unknown` is outside every order.
SCALES: dict[str, tuple[str, ...]] = {
    "severity": ("minor", "moderate", "severe", "extreme"),
    "urgency": ("past", "future", "expected", "immediate"),
    "certainty": ("unlikely", "possible", "likely", "observed"),
}
SCALE_RANK = {scale: {v: i for i, v in enumerate(values)} for scale, values in SCALES.items()}
UNKNOWN = "unknown"

STATUS_VALUES = ("actual", "exercise", "test")
SIGNATURE_VALUES = ("valid", "invalid", "absent")


@dataclass(frozen=True)
class FieldInfo:
    """What an agreement knows about one incident field."""

    name: str
    type: str  # "text", "number", "yes/no", "date", "time", "party", a scale, "list of T", "any"
    one_of: tuple | None = None
    required: bool = False
    builtin: bool = True


BUILTIN_FIELDS: dict[str, FieldInfo] = {
    f.name: f for f in (
        FieldInfo("id", "text", required=True),
        FieldInfo("type", "text", required=True),
        FieldInfo("reported_at", "time", required=True),
        FieldInfo("severity", "severity"),
        FieldInfo("urgency", "urgency"),
        FieldInfo("certainty", "certainty"),
        FieldInfo("status", "text", one_of=STATUS_VALUES),
        FieldInfo("region", "text"),
        FieldInfo("area", "list of text"),
        FieldInfo("fulfilled", "list of fulfilment"),
        # A CAP alert's whole content, for conditions that need more than the mapping gives.
        FieldInfo("cap", "any"),
        # v2: what a CAP alert says beyond the v1 mapping (interfaces.md, "CAP alerts as the
        # world sends them"); a JSON incident may give them too.
        FieldInfo("onset", "time"),
        FieldInfo("effective", "time"),
        FieldInfo("expires", "time"),
        FieldInfo("regions", "list of text"),
        FieldInfo("geometry", "any"),
        FieldInfo("event_codes", "list of text"),
        FieldInfo("parameters", "list of text"),
        FieldInfo("categories", "list of text"),
        FieldInfo("response_types", "list of text"),
        FieldInfo("headline", "text"),
        FieldInfo("description", "text"),
        FieldInfo("instruction", "text"),
        FieldInfo("sender", "text"),
        FieldInfo("sender_name", "text"),
        FieldInfo("info", "any"),
        FieldInfo("signature", "text", one_of=SIGNATURE_VALUES),
    )
}


# Built-in fields whose values are fixed by the language (their schema is an enum), unlike a
# declared field's `one of`, which is a warning only.
ENUM_FIELDS = {"status": STATUS_VALUES, "signature": SIGNATURE_VALUES}


def is_list(type_name: str) -> bool:
    return type_name.startswith("list of ")


def item_type(type_name: str) -> str:
    return type_name[len("list of "):] if is_list(type_name) else type_name


def literal_type(kind: str) -> str:
    """The field type a literal of this kind belongs to."""
    return {"text": "text", "number": "number", "percent": "number", "yesno": "yes/no",
            "date": "date", "time": "time"}[kind]
