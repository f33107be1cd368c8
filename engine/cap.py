"""CAP 1.2 alerts (OASIS Common Alerting Protocol) mapped to incidents as interfaces.md says."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from engine.incident_types import Incident, IncidentError

CAP_NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
# Elements CAP allows more than once are always lists in the `cap` object, so that a
# condition reads the same shape whether an alert has one of them or several.
REPEATED = {"info", "area", "geocode", "parameter", "eventCode", "resource", "polygon", "circle",
            "category", "responseType"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _to_json(element: ET.Element):
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        name = _local(child.tag)
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


def _text(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def load_cap(text: str) -> Incident:
    try:
        root = fromstring(text)
    except DefusedXmlException as exc:
        raise IncidentError(f"the CAP alert uses a forbidden XML feature ({type(exc).__name__})")
    except ET.ParseError as exc:
        raise IncidentError(f"not valid XML: {exc}")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "alert" or namespace not in CAP_NAMESPACES:
        raise IncidentError("not a CAP 1.2 alert: the root element must be <alert xmlns=\""
                            f"{CAP_NAMESPACES[0]}\">")
    identifier = _text(root, "identifier")
    if identifier is None:
        raise IncidentError("the CAP alert has no <identifier>")
    status = (_text(root, "status") or "").lower()
    if status in ("system", "draft"):
        raise IncidentError(f"CAP status '{status.capitalize()}' is not an incident; only "
                            "Actual, Exercise and Test alerts are accepted")
    if status not in ("actual", "exercise", "test"):
        raise IncidentError(f"the CAP alert's <status> must be Actual, Exercise or Test, not "
                            f"{_text(root, 'status')!r}")
    message_type = _text(root, "msgType") or "Alert"
    if message_type not in ("Alert", "Update", "Cancel", "Ack", "Error"):
        raise IncidentError(f"the CAP alert's <msgType> {message_type!r} is not a CAP 1.2 "
                            "message type")
    if message_type in ("Ack", "Error"):
        raise IncidentError(f"a CAP {message_type} message acknowledges another message; it is "
                            "not an incident")
    whole = _to_json(root)
    infos = _children(root, "info")
    sent = _text(root, "sent")
    variants = []
    for info in infos:
        language = _text(info, "language") or "en-US"
        variants.append((language, _map(identifier, status, sent, info, whole)))
    default = variants[0][1] if variants else _map(identifier, status, sent, None, whole)
    references = tuple((_text(root, "references") or "").split())
    return Incident(default, "cap", tuple(variants), message_type, references, text)


def _map(identifier: str, status: str, sent: str | None, info: ET.Element | None,
         whole: dict) -> dict:
    data: dict = {"id": identifier, "status": status}
    reported = _text(info, "onset") or _text(info, "effective") or sent
    if reported is not None:
        data["reported_at"] = reported
    if info is not None:
        event = _text(info, "event")
        if event is not None:
            data["type"] = event.lower()
        for name in ("severity", "urgency", "certainty"):
            value = _text(info, name)
            if value is not None:
                data[name] = value.lower()
        areas = _children(info, "area")
        if areas:
            desc = _text(areas[0], "areaDesc")
            if desc is not None:
                data["region"] = desc
        codes = []
        for area in areas:
            for geocode in _children(area, "geocode"):
                name, value = _text(geocode, "valueName"), _text(geocode, "value")
                if name and value:
                    codes.append(f"{name}:{value}")
        if areas:
            data["area"] = codes
    data["cap"] = whole
    return data
