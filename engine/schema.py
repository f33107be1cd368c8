"""JSON Schemas for incidents, built from built-in and declared fields, and their validation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import jsonschema

from dsl.timestamps import TIME_RE
from dsl.types import BUILTIN_FIELDS, ENUM_FIELDS, SCALES, UNKNOWN, FieldInfo, is_list, item_type

_TIME = re.compile(TIME_RE + r"\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("compact-time", raises=ValueError)
def _is_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _TIME.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("compact-date", raises=ValueError)
def _is_date(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    date.fromisoformat(value)
    return True


def type_schema(type_name: str) -> dict:
    """The JSON Schema of one field type of the language; `$comment` keeps the type's name, so
    that a violation is worded in the language's types rather than JSON Schema's."""
    if is_list(type_name):
        schema = {"type": "array", "items": type_schema(item_type(type_name))}
    elif type_name == "fulfilment":
        schema = {"type": "object", "required": ["clause", "party", "at"], "properties": {
            "clause": type_schema("text"), "party": type_schema("party"),
            "at": type_schema("time"), "agreement": type_schema("text"),
            "occurrence": {"type": "integer", "minimum": 1, "$comment": "occurrence"}}}
    elif type_name in SCALES:
        schema = {"type": "string", "enum": [*SCALES[type_name][::-1], UNKNOWN]}
    else:
        schema = {
            "text": {"type": "string"},
            "party": {"type": "string"},
            "number": {"type": "number"},
            "yes/no": {"type": "boolean"},
            "time": {"type": "string", "format": "compact-time"},
            "date": {"type": "string", "format": "compact-date"},
            "any": {},
        }[type_name]
    return {**schema, "$comment": type_name} if schema else schema


def field_schema(info: FieldInfo) -> dict:
    schema = type_schema(info.type)
    if info.name in ENUM_FIELDS:
        schema = {"type": "string", "enum": list(info.one_of or ENUM_FIELDS[info.name]),
                  "$comment": f"one of {info.name}"}
    return schema


BUILTIN_SCHEMAS = {name: field_schema(info) for name, info in BUILTIN_FIELDS.items()}
REQUIRED = tuple(name for name, info in BUILTIN_FIELDS.items() if info.required)


def incident_schema(fields: dict[str, FieldInfo], title: str = "incident") -> dict:
    """The whole incident schema of one agreement (`one of` lists are warnings, not schema)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "required": list(REQUIRED),
        "properties": {name: field_schema(info) for name, info in fields.items()},
    }


@dataclass(frozen=True, order=True)
class Violation:
    """One reason an incident is invalid; `agreement` is None for built-in fields."""

    path: str
    message: str
    field: str
    agreement: str | None

    def render(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.agreement is not None:
            text += f" (field '{self.field}' of agreement {self.agreement})"
        return text


def json_path(parts) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += "[" + repr(part) + "]"
    return out


def shown(value) -> str:
    """A value as the message quotes it: text in single quotes, anything else as JSON."""
    if isinstance(value, str):
        return repr(value)
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _either(values) -> str:
    quoted = [repr(v) for v in values]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else quoted[0]


_JSON_TYPES = {"string": "text", "number": "number", "boolean": "yes/no", "array": "list of any"}


def _message(error: jsonschema.ValidationError) -> str:
    """The violation in the words of the language's types (`'yes' is not a yes/no value: write
    true or false`); the path is said beside it."""
    value = shown(error.instance)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        name = error.message.split("'")[1] if error.message.startswith("'") else error.message
        if not error.absolute_path:
            return f"the incident gives no '{name}', which is required"
        return f"the record gives no '{name}', which a fulfilment record requires"
    if not error.absolute_path and schema.get("type") == "object" and "$comment" not in schema:
        return f"{value} is not an incident: write its fields between {{ and }}"
    kind = schema.get("$comment") or _JSON_TYPES.get(schema.get("type"), "")
    if "enum" in schema:  # a scale, or a built-in field of fixed values
        if kind.startswith("one of "):
            return (f"{value} is not one of the values of {kind[len('one of '):]}: write "
                    f"{_either(schema['enum'])}")
        kind = kind or "value"
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{value} is not {article} {kind}: write {_either(schema['enum'])}"
    if kind == "time":
        return f"{value} is not a time with an offset, such as '2026-03-14T08:00:00Z'"
    if kind == "date":
        return f"{value} is not a date such as '2026-03-14'"
    if kind == "yes/no":
        return f"{value} is not a yes/no value: write true or false"
    if kind == "number":
        return f"{value} is not a number: write digits without quotes, such as 12 or 0.5"
    if kind == "text":
        return f"{value} is not text: write it in double quotes"
    if kind == "party":
        return f"{value} is not a party: write the organisation's id in double quotes"
    if kind.startswith("list of "):
        of = kind[len("list of "):]
        of = {"fulfilment": "fulfilment records", "any": "values"}.get(of, of)
        return f"{value} is not a list of {of}: write its values between [ and ]"
    if kind == "occurrence":
        return f"{value} is not an occurrence: write its number, 1 for the first"
    if kind == "fulfilment":
        return (f"{value} is not a fulfilment record: write "
                '{"clause": ..., "party": ..., "at": ...}')
    return error.message


@lru_cache(maxsize=None)
def _validator(schema_key: str) -> jsonschema.protocols.Validator:
    import json
    return jsonschema.Draft202012Validator(json.loads(schema_key), format_checker=FORMATS)


def schema_key(schema: dict) -> str:
    import json
    return json.dumps(schema, sort_keys=True)


def surely_valid(value, schema: dict) -> bool:
    """A quick check of the schemas built here: True only if jsonschema would find no error.

    Every incident is validated, so the common case (a valid value) must be cheap; whenever
    this says False, jsonschema decides and words the errors.
    """
    if not schema:
        return True
    if "enum" in schema:
        return isinstance(value, str) and value in schema["enum"]
    kind = schema.get("type")
    if kind == "string":
        if not isinstance(value, str):
            return False
        fmt = schema.get("format")
        if fmt is None:
            return True
        try:
            return _is_time(value) if fmt == "compact-time" else _is_date(value)
        except ValueError:
            return False
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        items = schema.get("items", {})
        return isinstance(value, list) and all(surely_valid(v, items) for v in value)
    if kind == "object":
        if not isinstance(value, dict) or any(k not in value for k in schema.get("required", ())):
            return False
        props = schema.get("properties", {})
        return all(surely_valid(v, props[k]) for k, v in value.items() if k in props)
    return False


@lru_cache(maxsize=None)
def _schema(key: str) -> dict:
    import json
    return json.loads(key)


def validate_value(field: str, value, schema: str, agreement: str | None) -> list[Violation]:
    """Violations of one field's value against its schema (given as a `schema_key`)."""
    if surely_valid(value, _schema(schema)):
        return []
    found = [Violation(json_path([field, *e.absolute_path]), _message(e), field, agreement)
             for e in _validator(schema).iter_errors(value)]
    return list(dict.fromkeys(found))  # a scale's type and values can fail in the same words


def validate_document(incident: dict, schema: dict, agreement: str,
                      builtin_keys: dict[str, str]) -> list[Violation]:
    """Violations of a whole incident against one agreement's full schema (the reference path).

    A field whose schema is the built-in one is reported without the agreement's name, so that
    the same mistake is reported once however many agreements read the field.
    """
    if surely_valid(incident, schema):
        return []
    out = []
    for e in _validator(schema_key(schema)).iter_errors(incident):
        parts = list(e.absolute_path)
        if e.validator == "required":
            field = re.match(r"'([^']*)'", e.message).group(1) if e.message.startswith("'") else ""
        else:
            field = parts[0] if parts else ""
        props = schema["properties"]
        if e.validator == "required" or not parts:
            owner = None
        elif builtin_keys.get(field) == schema_key(props.get(field, {})):
            owner = None
        else:
            owner = agreement
        out.append(Violation(json_path(parts), _message(e), str(field), owner))
    return list(dict.fromkeys(out))  # a scale's type and values can fail in the same words


BUILTIN_KEYS = {name: schema_key(s) for name, s in BUILTIN_SCHEMAS.items()}
