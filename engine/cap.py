"""One CAP 1.0, 1.1 or 1.2 alert element mapped to an incident, one mapping per <info> block (interfaces.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine import cap_signature
from engine.cap_geometry import GeometryError, circle_ring, multipolygon, polygon_rings
from engine.incident_types import Incident, IncidentError
from engine.xml_input import Document, local, namespace

VERSIONS = {
    "urn:oasis:names:tc:emergency:cap:1.2": "1.2",
    "urn:oasis:names:tc:emergency:cap:1.1": "1.1",
    "http://www.incident.com/cap/1.0": "1.0",
}
CAP_NAMESPACES = tuple(VERSIONS)
# Elements CAP allows more than once are always lists in the `cap` and `info` objects, so that
# a condition reads the same shape whether an alert has one of them or several.
REPEATED = {"info", "area", "geocode", "parameter", "eventCode", "resource", "polygon", "circle",
            "category", "responseType", "code"}
STATUSES = ("actual", "exercise", "test")
MESSAGE_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
# CAP 1.0's certainty scale had "Very Likely" above "Likely"; CAP 1.1 merged them as "Likely".
CAP10_CERTAINTY = {"very likely": "likely"}


def is_alert(element: ET.Element) -> bool:
    return local(element.tag) == "alert" and namespace(element.tag) in VERSIONS


def _to_json(element: ET.Element):
    children = [c for c in element if c.tag != f"{{{cap_signature.DS}}}Signature"]
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        name = local(child.tag)
        value = _to_json(child)
        if name in REPEATED:
            out.setdefault(name, []).append(value)
        elif name in out:
            if not isinstance(out[name], list):
                out[name] = [out[name]]
            out[name].append(value)
        else:
            out[name] = value
    return out


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def _text(element: ET.Element | None, name: str) -> str | None:
    for child in _children(element, name):
        text = (child.text or "").strip()
        return text or None
    return None


def identifier_of(alert: ET.Element) -> str | None:
    return _text(alert, "identifier")


def _pair(element: ET.Element) -> str | None:
    """A geocode, eventCode or parameter as "valueName:value" (CAP 1.0 wrote "valueName=value")."""
    name, value = _text(element, "valueName"), _text(element, "value")
    if name is None and value is None and not list(element):
        text = (element.text or "").strip()
        if "=" in text:
            name, _, value = text.partition("=")
            name, value = name.strip(), value.strip()
    if not name or value is None:
        return None
    return f"{name}:{value}"


def _unique(values) -> list:
    out = []
    for value in values:
        if value is not None and value not in out:
            out.append(value)
    return out


def _lower(value: str | None) -> str | None:
    return " ".join(value.split()).lower() if value is not None else None


def load_alert(alert: ET.Element, document: Document, path: tuple[int, ...] = (),
               received: str | None = None) -> Incident:
    """The incident of one <alert> element of `document`, found at `path` (element child
    indexes from the root: () for an alert that is the root)."""
    version = VERSIONS[namespace(alert.tag)]
    identifier = identifier_of(alert)
    if identifier is None:
        raise IncidentError("the CAP alert has no <identifier>, so it cannot be told apart from "
                            "other alerts")
    status_text = _text(alert, "status")
    status = (status_text or "").lower()
    if status in ("system", "draft"):
        raise IncidentError(f"CAP status '{status.capitalize()}' is not an incident; only "
                            "Actual, Exercise and Test alerts are accepted")
    if status not in STATUSES:
        found = f"not '{status_text}'" if status_text else "and it has none"
        raise IncidentError(f"the CAP alert's <status> must be Actual, Exercise or Test, {found}")
    message_type = _text(alert, "msgType") or "Alert"
    if message_type not in MESSAGE_TYPES:
        raise IncidentError(f"the CAP alert's <msgType> '{message_type}' is not a CAP message "
                            "type (Alert, Update, Cancel, Ack or Error)")
    if message_type in ("Ack", "Error"):
        raise IncidentError(f"a CAP {message_type} message acknowledges another message; it is "
                            "not an incident")
    sent = _text(alert, "sent")
    if sent is None:
        raise IncidentError(f"the CAP alert '{identifier}' has no <sent> time, which anchors "
                            "every deadline")
    infos = _children(alert, "info")
    if not infos and message_type != "Cancel":
        raise IncidentError(f"the CAP alert '{identifier}' has no <info> block, so it says "
                            "nothing about what happened (no event, area, urgency or "
                            "severity); only a Cancel may come without one")
    signature = cap_signature.check(document, path, alert, sent)
    whole = _to_json(alert)
    common = {"id": identifier, "status": status, "reported_at": sent}
    common_sources = {"id": "identifier", "status": "status", "reported_at": "sent"}
    sender = _text(alert, "sender")
    if sender is not None:
        common["sender"] = sender
        common_sources["sender"] = "sender"
    variants, sources, notes = [], [], []
    for number, info in enumerate(infos, start=1):
        data, where, problems = _map_info(info, f"info[{number}]", sent, version)
        data = {**common, **data, "cap": whole, "signature": signature}
        variants.append((_text(info, "language") or "en-US", data))
        sources.append({**common_sources, **where})
        notes.append(tuple(problems))
    if variants:
        default = variants[0][1]
    else:
        default = {**common, "cap": whole, "signature": signature}
        sources, notes = [common_sources], [()]
    references = tuple((_text(alert, "references") or "").split())
    return Incident(default, "cap", tuple(variants), message_type, references,
                    received if received is not None else document.text, tuple(sources),
                    signature, tuple(notes), version)


def _map_info(info: ET.Element, at: str, sent: str, version: str):
    """One <info> block: (fields, field -> element path, notes on what was left out)."""
    data: dict = {}
    where: dict = {}
    notes: list[str] = []

    def put(name: str, value, element: str) -> None:
        if value is None or value == [] or value == "":
            return
        data[name] = value
        where[name] = f"{at}/{element}"

    for name in ("onset", "effective", "expires"):
        put(name, _text(info, name), name)
    if "effective" not in data:
        data["effective"] = sent
        where["effective"] = "sent"
    event = _text(info, "event")
    put("type", _lower(event), "event")
    for name in ("severity", "urgency", "certainty"):
        value = _lower(_text(info, name))
        if version == "1.0" and name == "certainty":
            value = CAP10_CERTAINTY.get(value, value)
        put(name, value, name)
    put("categories", _unique(_lower(c.text) for c in _children(info, "category")
                              if (c.text or "").strip()), "category")
    put("response_types", _unique(_lower(c.text) for c in _children(info, "responseType")
                                  if (c.text or "").strip()), "responseType")
    put("event_codes", _unique(_pair(c) for c in _children(info, "eventCode")), "eventCode")
    put("parameters", _unique(_pair(c) for c in _children(info, "parameter")), "parameter")
    for name, element in (("headline", "headline"), ("description", "description"),
                          ("instruction", "instruction"), ("sender_name", "senderName")):
        put(name, _text(info, element), element)

    areas = _children(info, "area")
    descriptions = []
    for number, area in enumerate(areas, start=1):
        desc = _text(area, "areaDesc")
        if desc is not None:
            descriptions.append(desc)
            if "region" not in data:
                put("region", desc, f"area[{number}]/areaDesc")
    put("regions", _unique(descriptions), "area/areaDesc")
    if areas:
        data["area"] = _unique(_pair(g) for area in areas for g in _children(area, "geocode"))
        where["area"] = f"{at}/area/geocode"
    polygons = []
    for number, area in enumerate(areas, start=1):
        counts = {"polygon": 0, "circle": 0}
        for shape in area:
            kind = local(shape.tag)
            if kind not in counts:
                continue
            counts[kind] += 1
            text = (shape.text or "").strip()
            if not text:
                continue
            try:
                if kind == "polygon":
                    polygons.extend(polygon_rings(text))
                else:
                    polygons.append([circle_ring(text)])
            except GeometryError as exc:
                notes.append(f"{at}/area[{number}]/{kind}[{counts[kind]}]: {exc}; it is left "
                             "out of incident.geometry")
    if polygons:
        data["geometry"] = multipolygon(polygons)
        where["geometry"] = f"{at}/area"
    data["info"] = _to_json(info)
    where["info"] = at
    return data, where, notes
