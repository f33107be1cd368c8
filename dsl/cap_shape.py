"""The shape of a CAP alert as `incident.cap` and `incident.info` hold it; paths that misread it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dsl import ast
from dsl.lexical import suggest


@dataclass(frozen=True)
class Element:
    """One CAP element: whether it repeats (a JSON list) and its children (None: text or opaque)."""

    name: str
    repeats: bool = False
    children: dict[str, "Element"] | None = None
    opaque: bool = False  # content the language does not describe (an XML signature)


def _elements(*specs) -> dict[str, Element]:
    return {e.name: e for e in specs}


def _text(name: str, repeats: bool = False) -> Element:
    return Element(name, repeats)


def _pair(name: str) -> Element:
    """A repeated valueName/value pair (geocode, eventCode, parameter)."""
    return Element(name, True, _elements(_text("valueName"), _text("value")))


# OASIS CAP 1.2 (with 1.0's <password>); every element CAP allows more than once is a list.
AREA = Element("area", True, _elements(
    _text("areaDesc"), _text("polygon", True), _text("circle", True), _pair("geocode"),
    _text("altitude"), _text("ceiling")))
RESOURCE = Element("resource", True, _elements(
    _text("resourceDesc"), _text("mimeType"), _text("size"), _text("uri"), _text("derefUri"),
    _text("digest")))
INFO = Element("info", True, _elements(
    _text("language"), _text("category", True), _text("event"), _text("responseType", True),
    _text("urgency"), _text("severity"), _text("certainty"), _text("audience"), _pair("eventCode"),
    _text("effective"), _text("onset"), _text("expires"), _text("senderName"), _text("headline"),
    _text("description"), _text("instruction"), _text("web"), _text("contact"),
    _pair("parameter"), RESOURCE, AREA))
ALERT = Element("alert", False, _elements(
    _text("identifier"), _text("sender"), _text("sent"), _text("status"), _text("msgType"),
    _text("source"), _text("scope"), _text("restriction"), _text("addresses"), _text("code", True),
    _text("note"), _text("references"), _text("incidents"), _text("password"), INFO,
    Element("Signature", opaque=True)))
# `incident.info` is the one <info> block an agreement reads, not the list of them.
ONE_INFO = replace(INFO, repeats=False)

# The built-in fields that give what a path inside one <info> block reads without stepping
# through a list, by the path's first names; the two-name entries win over the one-name ones.
BUILT_IN_FOR = {
    ("event",): ("incident.type",),
    ("severity",): ("incident.severity",),
    ("urgency",): ("incident.urgency",),
    ("certainty",): ("incident.certainty",),
    ("onset",): ("incident.onset",),
    ("effective",): ("incident.effective",),
    ("expires",): ("incident.expires",),
    ("headline",): ("incident.headline",),
    ("description",): ("incident.description",),
    ("instruction",): ("incident.instruction",),
    ("senderName",): ("incident.sender_name",),
    ("category",): ("incident.categories (lower case)",),
    ("responseType",): ("incident.response_types (lower case)",),
    ("eventCode",): ("incident.event_codes (each as valueName:value)",),
    ("parameter",): ("incident.parameters (each as valueName:value)",),
    ("area",): ("incident.area (the geocodes)", "incident.regions (the area descriptions)",
                "incident.geometry (the polygons and circles)"),
    ("area", "geocode"): ("incident.area (every geocode as valueName:value)",),
    ("area", "areaDesc"): ("incident.regions (every area description)",
                           "incident.region (the first)"),
    ("area", "polygon"): ("incident.geometry (every polygon and circle, as GeoJSON)",),
    ("area", "circle"): ("incident.geometry (every polygon and circle, as GeoJSON)",),
}


def path_problem(path: ast.Path) -> str | None:
    """Why a path into `incident.cap` or `incident.info` cannot be read as written, or None."""
    if path.root != "incident" or path.names[0] not in ("cap", "info") or len(path.names) < 2:
        return None
    element = ALERT if path.names[0] == "cap" else ONE_INFO
    through: list[str] = []  # repeated elements the path steps through
    for index, name in enumerate(path.names[1:], start=1):
        if element.opaque:
            return None
        if element.repeats:
            through.append(element.name)
        if element.children is None:
            if through:
                break  # the list of text is the first thing wrong
            shown = ".".join(("incident",) + path.names[:index])
            return f"{shown} is text; it has no part '{name}'"
        child = element.children.get(name)
        if child is None:
            return _unknown(path, index, element)
        element = child
    if not through:
        return None
    return _through_message(path, through)


def _unknown(path: ast.Path, index: int, element: Element) -> str:
    name = path.names[index]
    if element is ALERT and name in INFO.children:
        return (f"{path}: <{name}> is inside <info>, which repeats (a list); read "
                + _advice(ast.Path("incident", ("cap", "info") + path.names[index:],
                                   span=path.span))[len("read "):])
    at = ".".join(("incident",) + path.names[:index])
    candidates = {n: f"{at}.{n}" for n in element.children}
    if element is ALERT:
        candidates.update({n: f"incident.info.{n}" for n in INFO.children if n not in candidates})
    found = suggest(name, candidates)
    hint = f" (did you mean '{candidates[found]}'?)" if found else ""
    return f"{path}: a CAP <{element.name}> has no element <{name}>{hint}"


def _through_message(path: ast.Path, through: list[str]) -> str:
    if len(through) == 1:
        what = f"steps through <{through[0]}>, which repeats (a list)"
    else:
        names = ", ".join(f"<{n}>" for n in through[:-1]) + f" and <{through[-1]}>"
        what = f"steps through {names}, which repeat (lists)"
    return f"{path} {what}; {_advice(path)}"


def _advice(path: ast.Path) -> str:
    names = path.names
    if names[0] == "cap" and names[1] != "info":
        # Outside <info> only <code> repeats, and its values are text.
        return f"only the list itself, incident.cap.{names[1]}, can be read (e.g. with 'contains')"
    rest = names[2:] if names[0] == "cap" else names[1:]
    choices = []
    in_one_info = ast.Path("incident", ("info",) + rest, span=path.span)
    if names[0] == "cap" and path_problem(in_one_info) is None:
        choices.append(str(in_one_info))
    if rest[:2] in BUILT_IN_FOR:
        choices.extend(BUILT_IN_FOR[rest[:2]])
    elif rest[:1] in BUILT_IN_FOR and (rest[0] != "area" or len(rest) == 1):
        choices.extend(BUILT_IN_FOR[rest[:1]])
    if not choices:
        # A list no built-in field gives, such as <resource>, or <area>'s <altitude>.
        return f"only the list itself, incident.info.{rest[0]}, can be read (e.g. with 'is given')"
    if len(choices) == 1:
        return f"read {choices[0]}"
    return "read " + ", ".join(choices[:-1]) + f" or {choices[-1]}"
