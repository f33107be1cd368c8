"""Incidents as the engine receives them: JSON objects or CAP alerts (alone or several in a file), told apart and read."""

from __future__ import annotations

from lxml import etree

from engine.cap import load_alert
from engine.cap_signature import element_at
from engine.cap_documents import split
from engine.incident_types import Incident, IncidentError, LoadedAlert
from engine.json_incidents import checked, from_dict, load_json_incident
from engine.xml_input import Document, looks_like_xml, parse

__all__ = ["Incident", "IncidentError", "LoadedAlert", "from_dict", "load_cap", "load_incident",
           "load_incidents", "load_json_incident"]


def _json_text(text: str | bytes) -> str:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise IncidentError("the incident is not UTF-8 text")
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise IncidentError("the incident is empty: it holds neither a JSON object nor XML")
    return text


def _is_xml(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        return looks_like_xml(text)
    return text.lstrip("\ufeff \t\r\n").startswith("<")


def _received(document: Document, slot) -> str:
    """The text to keep for one alert: the file's own text when the alert is the whole file,
    else the alert alone (with the namespaces it inherits), so that it reads back by itself."""
    if not slot.path:
        return document.text
    return etree.tostring(element_at(document, slot.path), encoding="unicode")


def _load(document: Document, slot) -> Incident:
    if slot.alert is None:
        raise IncidentError(slot.problem)
    return checked(load_alert(slot.alert, document, slot.path, _received(document, slot)))


def load_cap(text: str | bytes) -> Incident:
    """One CAP alert (a file of one alert, or a feed, distribution or list holding just one)."""
    document = parse(text)
    kind, slots = split(document.root)
    if kind is None or len(slots) == 1:
        return _load(document, slots[0])
    if not slots:
        raise IncidentError(f"the {kind} holds no CAP alert")
    article = "an" if kind[0] in "AEIOU" else "a"
    raise IncidentError(f"the file holds {len(slots)} CAP alerts ({article} {kind}), which are "
                        "read one by one by load_incidents, each as its own incident")


def load_incident(text: str | bytes) -> Incident:
    """A JSON incident or a CAP XML alert, told apart by their first character; bytes of XML
    are read in the encoding they declare, bytes of JSON as UTF-8."""
    if _is_xml(text):
        return load_cap(text)
    return load_json_incident(_json_text(text))


def load_incidents(text: str | bytes) -> list[LoadedAlert]:
    """Every alert of a file in document order, each loaded or refused on its own; an
    IncidentError only when the file as a whole cannot be read (not XML, not CAP, not JSON)."""
    if not _is_xml(text):
        incident = load_json_incident(_json_text(text))
        return [LoadedAlert(1, incident.id or None, incident)]
    document = parse(text)
    _, slots = split(document.root)
    out = []
    for position, slot in enumerate(slots, start=1):
        try:
            out.append(LoadedAlert(position, slot.identifier, _load(document, slot)))
        except IncidentError as exc:
            out.append(LoadedAlert(position, slot.identifier, error=exc))
    return out
