"""Files that hold CAP alerts: one alert, an Atom or RSS feed, an EDXL-DE 1.0/2.0 distribution, or a list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from engine.cap import CAP_NAMESPACES, identifier_of, is_alert
from engine.incident_types import IncidentError
from engine.xml_input import local, namespace

ATOM = "http://www.w3.org/2005/Atom"
EDXL = {"urn:oasis:names:tc:emergency:EDXL:DE:1.0": "EDXL-DE 1.0 distribution",
        "urn:oasis:names:tc:emergency:EDXL:DE:2.0": "EDXL-DE 2.0 distribution"}
RSS_10 = "http://purl.org/rss/1.0/"


@dataclass(frozen=True)
class Slot:
    """One place of a file that should hold an alert: the alert and its path, or why not."""

    alert: ET.Element | None
    path: tuple[int, ...]  # element child indexes from the root to the alert
    problem: str | None = None

    @property
    def identifier(self) -> str | None:
        return identifier_of(self.alert) if self.alert is not None else None


def _alerts_within(element: ET.Element, path: tuple[int, ...]) -> list[tuple[ET.Element, tuple]]:
    """The outermost CAP alerts inside `element`, in document order (not inside each other)."""
    found, stack = [], [(element, path)]
    while stack:
        node, where = stack.pop()
        if is_alert(node):
            found.append((node, where))
            continue
        stack.extend(reversed([(child, where + (i,)) for i, child in enumerate(node)]))
    return found


def _named(element: ET.Element, *names: str) -> str | None:
    for child in element:
        if local(child.tag) in names and (child.text or "").strip():
            return " ".join(child.text.split())
    return None


def _slots(holders: list[tuple[ET.Element, tuple]], what: str) -> list[Slot]:
    slots = []
    for number, (holder, where) in enumerate(holders, start=1):
        alerts = _alerts_within(holder, where)
        if not alerts:
            name = _named(holder, "id", "guid", "title", "distributionID", "contentDescription")
            named = f" ('{name}')" if name else ""
            slots.append(Slot(None, where, f"{what} {number}{named} holds no embedded CAP alert "
                                           "(one that only links to an alert is not followed: "
                                           "nothing is fetched from the network)"))
        slots.extend(Slot(alert, path) for alert, path in alerts)
    return slots


def _descendants(root: ET.Element, name: str, uri: str | None = None):
    """Elements named `name` (in namespace `uri` when given), outside of any CAP alert."""
    out, stack = [], [(root, ())]
    while stack:
        node, where = stack.pop()
        if is_alert(node):
            continue
        if node is not root and local(node.tag) == name and (uri is None or
                                                              namespace(node.tag) == uri):
            out.append((node, where))
            continue
        stack.extend(reversed([(child, where + (i,)) for i, child in enumerate(node)]))
    return out


def split(root: ET.Element) -> tuple[str | None, list[Slot]]:
    """What kind of file this is (None for a single alert) and its slots in document order;
    an IncidentError when it is neither a CAP alert nor a file of them."""
    if is_alert(root):
        return None, [Slot(root, ())]
    name, uri = local(root.tag), namespace(root.tag)
    if name == "feed" and uri == ATOM:
        return "Atom feed", _slots(_descendants(root, "entry", ATOM), "the feed entry")
    if name == "rss" or (name == "RDF" and any(namespace(c.tag) == RSS_10 for c in root)):
        return "RSS feed", _slots(_descendants(root, "item"), "the feed item")
    if name == "EDXLDistribution" and uri in EDXL:
        return EDXL[uri], _slots(_descendants(root, "contentObject", uri),
                                 "the EDXL-DE content object")
    alerts = [(child, (i,)) for i, child in enumerate(root) if is_alert(child)]
    if alerts:
        return "list of alerts", [Slot(alert, path) for alert, path in alerts]
    where = f"in namespace {uri}" if uri else "with no namespace"
    raise IncidentError(f"the file is not a CAP alert: its root element is <{name}> {where}, "
                        f"while a CAP alert is an <alert> in namespace "
                        f"{', '.join(CAP_NAMESPACES[:-1])} or {CAP_NAMESPACES[-1]}, alone or "
                        "inside an Atom or RSS feed, an EDXL-DE distribution or a list")
