"""The incident form: its fields built from the agreements in force, and an incident built from it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from agreements import compiled as cache
from agreements.incidents import executed_in_force
from dsl.types import BUILTIN_FIELDS, SCALES, STATUS_VALUES, UNKNOWN, is_list, item_type
from web import local_time


@dataclass
class FormField:
    """One input of the incident form, built from the fields of the agreements in force."""

    name: str
    kind: str  # text, choice, suggest, number, yesno, time, date, party, scale, list, raw
    label: str
    required: bool = False
    options: list = field(default_factory=list)  # [(value, label)]
    agreements: list = field(default_factory=list)  # the agreements that declare it
    hint: str = ""
    type_name: str = "text"

    @property
    def input_name(self) -> str:
        return f"field-{self.name}"


BUILTIN_ORDER = ("id", "type", "reported_at", "onset", "expires", "status", "severity",
                 "urgency", "certainty", "region", "area")
BUILTIN_LABELS = {"id": "Incident id", "type": "Type", "reported_at": "Reported at",
                  "onset": "Onset", "expires": "Expires",
                  "status": "Status", "severity": "Severity", "urgency": "Urgency",
                  "certainty": "Certainty", "region": "Region", "area": "Area codes"}
BUILTIN_HINTS = {"id": "A unique reference, e.g. CO-2026-0618-FLOOD.",
                 "area": "Geocodes separated by commas, e.g. FIPS:039001, FIPS:039003.",
                 "status": "An exercise or test gives duties marked as exercise.",
                 "onset": "When the hazard begins, if known: clauses may count from it.",
                 "expires": "When the alert expires, if it says so."}
# Lists of records, whole alerts and what only a CAP alert says: JSON or CAP only. (`onset`
# and `expires`, which deadlines and expiry read, stay in the form.)
SKIPPED = {"fulfilled", "cap", "info", "geometry", "signature", "effective", "regions",
           "event_codes", "parameters", "categories", "response_types", "headline",
           "description", "instruction", "sender", "sender_name"}


def _kind(info) -> str:
    type_name = info.type
    if is_list(type_name):
        return "list"
    if type_name in SCALES:
        return "scale"
    if type_name == "yes/no":
        return "yesno"
    if type_name in ("number", "time", "date", "party"):
        return type_name
    if type_name == "text" and info.one_of:
        return "choice"
    return "text" if type_name == "text" else "raw"


def incident_form_fields(session) -> tuple[list[FormField], list[str]]:
    """The form's fields: the built-in ones, then those the executed agreements in force
    declare, with the choices each allows. Returns the fields and the agreements read."""
    in_force = executed_in_force(session)
    agreements = [cache.by_hash(r.content_hash, r.source, f"{r.slug}.agreement")
                  for r in in_force]
    infos: dict[str, list] = {}  # name -> [(agreement, FieldInfo)]
    for agreement in agreements:
        for name, info in agreement.fields.items():
            infos.setdefault(name, []).append((agreement, info))
    for name in BUILTIN_ORDER:
        infos.setdefault(name, [(None, BUILTIN_FIELDS[name])])
    names = list(BUILTIN_ORDER) + sorted(n for n in infos if n not in BUILTIN_ORDER
                                         and n not in SKIPPED)
    fields = []
    for name in names:
        pairs = infos[name]
        declaring = [a.id for a, info in pairs if a is not None and not info.builtin]
        types = {info.type for _, info in pairs}
        info = pairs[0][1]
        kind = _kind(info) if len(types) == 1 else "raw"
        item = FormField(name=name, kind=kind, type_name=info.type if len(types) == 1 else "any",
                         label=BUILTIN_LABELS.get(name, name.replace("_", " ").capitalize()),
                         required=any(i.required for _, i in pairs), agreements=declaring,
                         hint=BUILTIN_HINTS.get(name, ""))
        if name == "type":
            item.kind = "suggest"  # a type outside one agreement's list is a warning only
            values = []
            for _, i in pairs:
                values += [v for v in (i.one_of or ()) if v not in values]
            item.options = [(v, v) for v in values]
        elif kind == "choice":
            values = []
            for _, i in pairs:
                values += [v for v in (i.one_of or ()) if v not in values]
            item.options = [(v, v) for v in values]
        elif kind == "scale":
            item.options = [(v, v) for v in reversed(SCALES[info.type])] + [(UNKNOWN, UNKNOWN)]
        elif kind == "party":
            seen = {}
            for agreement, _ in pairs:
                for party in (agreement.parties if agreement is not None else ()):
                    seen.setdefault(party.id, party.name)
            item.options = sorted(seen.items(), key=lambda kv: kv[1].lower())
        elif kind == "yesno":
            item.options = [("yes", "yes"), ("no", "no")]
        if name == "status":
            item.kind = "choice"
            item.options = [(v, v) for v in STATUS_VALUES]
        if kind == "raw" and not item.hint:
            item.hint = ("The agreements in force give this field different types; the value is "
                         "read as JSON when it is JSON, else as text.")
        elif kind == "list" and not item.hint:
            item.hint = "Values separated by commas." + (
                f" {local_time.zone_hint()}" if item_type(item.type_name) == "time" else "")
        elif kind == "time":  # typed in the user's zone (web.local_time), and it says which
            item.hint = local_time.zone_hint() + (f" {item.hint}" if item.hint else "")
        fields.append(item)
    return fields, [a.id for a in agreements]


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def _time_value(text: str) -> str:
    """A date-time with no offset read as UTC (web.local_time.form_time reads it in a zone)."""
    return local_time.form_time(text, "UTC")[0]


def _converted(kind: str, type_name: str, text: str, read_time=_time_value):
    if kind == "number":
        if _NUMBER.match(text):
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        return text  # the validation says "'many' is not a number: ..." with the path
    if kind == "yesno":
        return {"yes": True, "no": False}.get(text, text)
    if kind == "time":
        return read_time(text)
    if kind == "list":
        item = item_type(type_name)
        parts = [p.strip() for p in re.split(r"[,\n]", text) if p.strip()]
        return [_converted(_kind_of_type(item), item, p, read_time) for p in parts]
    if kind == "raw":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _kind_of_type(type_name: str) -> str:
    return {"number": "number", "yes/no": "yesno", "time": "time"}.get(type_name, "text")


def incident_from_form(fields: list[FormField], form, *, zone: str = "UTC",
                       unclear: dict | None = None) -> tuple[dict, dict]:
    """The incident the form describes (empty inputs left out), and the values as typed. Times
    without an offset are read in `zone`; one the clocks skip or repeat there is put in
    `unclear` (field name -> web.local_time.LocalTimeError) for the page to refuse."""
    values = {f.name: (form.get(f.input_name) or "").strip() for f in fields}
    data = {}
    for f in fields:
        text = values[f.name]
        if text:
            read = local_time.form_reader(zone, f.name, unclear,
                                          offset=form.get(f.input_name + "-offset"))
            data[f.name] = _converted(f.kind, f.type_name, text, read)
    return data, values
