"""The facts of an incident as the agreements read them, as (label, value) lines to print."""

from __future__ import annotations

import re
from datetime import timezone

from agreements.models import Incident
from dsl.timestamps import parse_time

# The facts the agreements most often read, in this order; then every other field, by name.
NAMED = (
    ("severity", "Severity"),
    ("urgency", "Urgency"),
    ("certainty", "Certainty"),
    ("regions", "Regions"),
    ("area", "Areas"),
    ("headline", "Headline"),
    ("description", "Description"),
    ("instruction", "Instruction"),
    ("requested_by", "Requested by"),
)
# Shown from the incident itself (its key, type and report time), or the CAP alert as read
# (`info`, `cap`: the raw structure the fields were mapped from), not as facts of their own.
NOT_FACTS = {"id", "type", "reported_at", "info", "cap"}
# `region` is the text of `regions`; it is shown when `regions` is not given.
SAME_AS = {"region": "regions"}
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def facts_of(incident: Incident, time_text=None) -> list[tuple[str, str]]:
    """The latest message's facts: the named ones first, then the other fields alphabetically.
    Lists are joined with ", ", times shown in UTC (or as `time_text(moment, seconds)` writes
    them, for a page in the reader's zone), texts kept as written (line breaks too)."""
    data = dict(incident.latest_message.mapped or {}) if incident.messages else {}
    return facts_of_data(data, time_text)


def facts_of_data(data: dict, time_text=None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    named = {field for field, _label in NAMED}
    for field, label in NAMED:
        if field == "regions" and not _given(data.get("regions")) and _given(data.get("region")):
            field, label = "region", "Region"
        if _given(data.get(field)):
            out.append((label, shown(data[field], time_text)))
    for field in sorted(data):
        if field in named or field in NOT_FACTS or field in SAME_AS or not _given(data[field]):
            continue
        out.append((label_of(field), shown(data[field], time_text)))
    return out


def label_of(field: str) -> str:
    words = field.replace("_", " ").replace(".", " › ").strip()
    return words[:1].upper() + words[1:]


def _given(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def shown(value, time_text=None) -> str:
    """One value as printed: yes/no, numbers as written, lists joined, times in UTC (or as
    `time_text(moment, seconds)` writes them)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(item, time_text) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{label_of(str(k))}: {shown(v, time_text)}" for k, v in value.items())
    text = str(value)
    if _TIME.match(text):
        try:
            moment = parse_time(text)
        except ValueError:
            return text
        if time_text is not None:
            return time_text(moment, bool(moment.second))
        fmt = "%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC"
        return moment.astimezone(timezone.utc).strftime(fmt)
    return text
