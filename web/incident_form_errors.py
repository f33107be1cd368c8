"""The incident form's refusals, every one at once, each placed beside the field or the line of the pasted text it concerns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from agreements.errors import Conflict, Invalid, OperationError
from agreements.incident_check import Problem, problem_of_message, problems_of

_LINE = re.compile(r"\bline (\d+)\b")
_REQUIRED = re.compile(r"^the incident gives no '([^']+)', which is required$")
_STEP = re.compile(r"^([A-Za-z][\w-]*)(?:\[(\d+)\])?$")
# The fields a CAP alert gives outside its <info> blocks, and their elements.
_CAP_COMMON = {"$.id": "identifier", "$.reported_at": "sent", "$.status": "status"}
TEXT_ID = {"paste": "incident-text", "file": "incident-file"}


@dataclass
class ShownError:
    """One error as the page shows it: `message` beside its field or line, `summary` in the
    list at the top (a link to `target`, the element it concerns); `id` is the message's own
    element id, which that element's aria-describedby names."""

    message: str
    summary: str
    target: str
    id: str
    field: str | None = None
    line: int | None = None
    link: tuple[str, str] | None = None  # (text, address): the incident a duplicate id names
    excerpt: str | None = None  # the pasted line it concerns


@dataclass
class FormErrors:
    source: str  # form, paste or file: which of the page's forms the errors are beside
    items: list[ShownError] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)

    def of_field(self, name: str) -> list[ShownError]:
        return [e for e in self.items if self.source == "form" and e.field == name]

    def described_by(self, name: str) -> str:
        return " ".join(e.id for e in self.of_field(name))

    def general(self) -> list[ShownError]:
        """What concerns no one input of the form (shown at the top of the form)."""
        return [e for e in self.items if self.source == "form" and e.field is None]

    def of_text(self) -> list[ShownError]:
        """The errors of the pasted or uploaded text, by line (those without one last)."""
        if self.source == "form":
            return []
        return sorted(self.items, key=lambda e: (e.line is None, e.line or 0))

    def text_described_by(self) -> str:
        return " ".join(e.id for e in self.of_text())

    @property
    def headline(self) -> str:
        n = len(self.items)
        return f"{n} problem{'' if n == 1 else 's'} to correct; nothing was saved."


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]) if text else text


# ---------------------------------------------------------------- where in the text

def json_value_lines(text: str) -> dict[str, int]:
    """JSON path -> the line (1-based) where its member's name (or, in an array, its value)
    starts, for valid JSON text; {} when the text cannot be read."""
    lines: dict[str, int] = {}
    position = [0]

    counted = [0, 1]  # up to this index, this many lines: positions only grow

    def line_at(i: int) -> int:
        counted[1] += text.count("\n", counted[0], i)
        counted[0] = i
        return counted[1]

    def skip():
        while position[0] < len(text) and text[position[0]] in " \t\r\n\ufeff":
            position[0] += 1

    def string() -> str:
        value, end = json.decoder.scanstring(text, position[0] + 1)
        position[0] = end
        return value

    def value(path: str, depth: int):
        skip()
        if depth > 64 or position[0] >= len(text):
            raise ValueError("too deep or cut short")
        char = text[position[0]]
        if char == "{":
            position[0] += 1
            skip()
            if text[position[0]] == "}":
                position[0] += 1
                return
            while True:
                skip()
                start = position[0]
                key = string()
                child = (f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
                         else f"{path}[{key!r}]")
                lines.setdefault(child, line_at(start))
                skip()
                position[0] += 1  # the colon
                value(child, depth + 1)
                skip()
                if text[position[0]] == ",":
                    position[0] += 1
                    continue
                position[0] += 1  # the closing brace
                return
        if char == "[":
            position[0] += 1
            skip()
            if text[position[0]] == "]":
                position[0] += 1
                return
            index = 0
            while True:
                skip()
                child = f"{path}[{index}]"
                lines.setdefault(child, line_at(position[0]))
                value(child, depth + 1)
                skip()
                index += 1
                if text[position[0]] == ",":
                    position[0] += 1
                    continue
                position[0] += 1
                return
        if char == '"':
            string()
            return
        match = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(text,
                                                                                   position[0])
        if match is None:
            raise ValueError("not JSON")
        position[0] = match.end()

    try:
        value("$", 0)
    except (ValueError, IndexError):
        return {}
    return lines


def cap_element_lines(text: str):
    """A function from a CAP element path relative to <alert> (`info[2]/certainty`, `sent`)
    to its line, for XML text; it parses the text once."""
    from lxml import etree
    from engine.cap_signature import element_at
    from engine.incidents import IncidentError
    from engine.xml_input import local, parse
    try:
        root = element_at(parse(text), ())
    except (IncidentError, etree.XMLSyntaxError, ValueError):
        return lambda path: None
    if local(root.tag) != "alert":
        root = next((e for e in root.iter() if local(e.tag) == "alert"), None)

    def line(path: str) -> int | None:
        element = root
        for step in path.split("/"):
            match = _STEP.match(step)
            if element is None or match is None:
                return None
            name, index = match.group(1), int(match.group(2) or 1)
            children = [c for c in element if isinstance(c.tag, str) and local(c.tag) == name]
            element = children[index - 1] if len(children) >= index else None
        return element.sourceline if element is not None else None
    return line


def line_finder(text: str | None):
    """A function from a problem to the line of `text` it concerns (None if it cannot be
    told): the line its message names, else where its path is in the JSON or the CAP alert."""
    if not text:
        return lambda problem: None
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        element_line = cap_element_lines(text)
        json_lines = {}
    else:
        element_line, json_lines = (lambda path: None), json_value_lines(text)

    def line_of(problem: Problem) -> int | None:
        said = _LINE.search(problem.message)
        if said:
            return int(said.group(1))
        path = problem.path
        if not path:
            return None
        if not path.startswith("$"):
            return element_line(path)
        if path in _CAP_COMMON and not json_lines:  # said of the alert as a whole
            return element_line(_CAP_COMMON[path])
        while path:
            if path in json_lines:
                return json_lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return 1 if problem.path == "$" and json_lines else None
    return line_of


# ---------------------------------------------------------------- building the errors

def _rendered(p: Problem) -> str:
    text = p.message if p.path is None else f"{p.path}: {p.message}"
    return text + (f" (field '{p.field}' of agreement {p.agreement})" if p.agreement else "")


def refusal_problems(session, exc: OperationError, text, *,
                     updating: str | None = None) -> list[Problem]:
    """Every problem of a refused incident: the checks of agreements.incident_check, and the
    refusal itself when it is none of them (an alert no longer current, a cancelled incident)."""
    problems = []
    if text is not None and isinstance(exc, (Invalid, Conflict)):
        problems = problems_of(session, text, updating=updating)
    said = {_rendered(p) for p in problems} | {p.message for p in problems}
    if exc.details:
        own = [problem_of_message(d) for d in exc.details]
    else:
        tail = exc.message.split(": ", 1)[-1]
        own = [] if exc.message in said or tail in said or \
            _rendered(problem_of_message(tail)) in said else [Problem(exc.message)]
    problems += [p for p in own if _rendered(p) not in said and p.message not in said]
    return problems


def form_errors(problems: list[Problem], *, source: str, text: str | None, fields,
                incident_url=None) -> FormErrors:
    """The problems as the page shows them. For the form, each beside the input of its field
    (what concerns no input is shown above them); for a pasted incident, by the line it
    concerns (`Line 4: ...`), for an uploaded one with its line in the file. `incident_url(key)`
    gives the address of a recorded incident the user may see, or None: a duplicate id then
    links to it."""
    names = {f.name: f for f in fields or ()}
    lines = (text or "").splitlines()
    line_of = line_finder(text if source != "form" else None)
    out = FormErrors(source)
    for number, p in enumerate(problems, start=1):
        message, name = p.message, p.field
        required = _REQUIRED.match(message)
        if required:
            name = required.group(1)
        link = None
        if p.existing and incident_url is not None:
            address = incident_url(p.existing)
            if address:
                link = (f"Open incident {p.existing}", address)
        owner = f" (as agreement {p.agreement} declares the field)" if p.agreement else ""
        where = "" if not p.path or p.path == "$" or p.worded else f"{p.path}: "
        error_id = f"error-{number}"
        if source == "form":
            known = names.get(name) if name else None
            if known is not None:
                beside = "This field is required." if required else _sentence(message) + owner
                path = f" ({p.path})" if where else ""
                out.items.append(ShownError(beside, f"{known.label}{path}: {beside}",
                                            f"input-{known.name}", error_id, known.name,
                                            link=link))
                continue
            shown = _sentence(where + message) + owner
            out.items.append(ShownError(shown, shown, "form-errors", error_id, link=link))
            continue
        line = line_of(p)
        if line is not None and source == "paste":
            shown = f"Line {line}: {where}{message}{owner}"
        elif line is not None:
            shown = _sentence(f"{where}{message}{owner} (line {line} of the file)")
        elif p.unreadable:
            shown = f"The incident cannot be read: {where}{message}{owner}"
        else:
            shown = _sentence(where + message) + owner
        item = ShownError(shown, shown, TEXT_ID.get(source, "incident-text"), error_id,
                          line=line, link=link)
        if line is not None and source == "paste" and 0 < line <= len(lines):
            excerpt = lines[line - 1].strip()
            item.excerpt = excerpt if len(excerpt) <= 160 else excerpt[:160] + "…"
        out.items.append(item)
    if source != "form":
        out.items.sort(key=lambda e: (e.line is None, e.line or 0))
    return out


def refused(session, user, exc: OperationError, text, kept: dict, fields, *,
            updating: str | None = None) -> FormErrors:
    """The errors to show for a refused recording or update, from what the user sent."""
    if isinstance(text, bytes):
        from engine.xml_input import decode, looks_like_xml
        try:
            text = decode(text) if looks_like_xml(text) else text.decode("utf-8-sig")
        except (UnicodeDecodeError, LookupError, ValueError):
            text = None
    source = kept.get("source") or "paste"
    problems = refusal_problems(session, exc, text, updating=updating)
    return form_errors(problems, source=source, text=text if source != "form" else None,
                       fields=fields if source == "form" else None,
                       incident_url=lambda key: visible_incident_url(session, user, key))


def visible_incident_url(session, user, key: str):
    """The board's address (the key URL-encoded) of incident `key`, if this user may see it."""
    from flask import url_for
    from agreements.access import can_see_incident
    from agreements.errors import NotFound
    from agreements.incidents import get_incident
    try:
        incident = get_incident(session, key)
    except NotFound:
        return None
    if not can_see_incident(user, session, incident):
        return None
    return url_for("incidents.board", key=incident.key)
