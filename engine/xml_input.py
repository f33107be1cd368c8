"""Untrusted XML read safely: defusedxml only, the declared encoding honoured, nesting depth limited."""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml.common import (DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden,
                               NotSupportedError)
from defusedxml.ElementTree import DefusedXMLParser

from engine.incident_types import IncidentError

MAX_DEPTH = 100  # no CAP alert, feed or EDXL-DE distribution nests anywhere near this deep

_DECLARATION = re.compile(rb"""\A<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_TEXT_DECLARATION = re.compile(r"""\A(<\?xml[^>]*?\bencoding\s*=\s*["'])([^"']*)(["'])""")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class Document:
    """A parsed XML file: its root element, the bytes parsed, and the text they encode."""

    root: ET.Element
    data: bytes
    text: str
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # its lxml tree, once


class _TooDeep(Exception):
    pass


class _Builder(ET.TreeBuilder):
    """A tree builder that stops at the first element nested deeper than MAX_DEPTH."""

    def __init__(self):
        super().__init__()
        self.depth = 0

    def start(self, tag, attrs):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep()
        return super().start(tag, attrs)

    def end(self, tag):
        self.depth -= 1
        return super().end(tag)


def looks_like_xml(data: bytes) -> bool:
    """Whether bytes hold XML (its first character is `<`), in whatever encoding they declare."""
    for bom, _ in _BOMS:
        if data.startswith(bom):
            if bom == codecs.BOM_UTF8:
                return data[len(bom):].lstrip(b" \t\r\n").startswith(b"<")
            try:  # UTF-16 or UTF-32: XML only if its first character is `<`
                text = data.decode(_, errors="strict").lstrip("\ufeff")
            except (UnicodeDecodeError, LookupError):
                return False
            return text.lstrip(" \t\r\n").startswith("<")
    if data[:2] in (b"<\x00", b"\x00<") or data[:4] in (b"\x00\x00\x00<", b"<\x00\x00\x00"):
        return True
    return data.lstrip(b" \t\r\n").startswith(b"<")


def declared_encoding(data: bytes) -> str:
    """The Python codec of the bytes: their byte order mark, else their XML declaration, else UTF-8."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if data[:2] == b"<\x00":
        return "utf-16-le"
    if data[:2] == b"\x00<":
        return "utf-16-be"
    found = _DECLARATION.match(data.lstrip(b" \t\r\n"))
    return found.group(1).decode("ascii") if found else "utf-8"


def decode(data: bytes) -> str:
    """The text the bytes encode (for keeping as received); undecodable bytes are replaced."""
    try:
        return data.decode(declared_encoding(data), errors="replace").lstrip("\ufeff")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def as_utf8(text: str) -> bytes:
    """Text as UTF-8 bytes, its XML declaration saying so (the text is already decoded)."""
    text = text.lstrip("\ufeff \t\r\n")
    text = _TEXT_DECLARATION.sub(lambda m: m.group(1) + "UTF-8" + m.group(3), text, count=1)
    return text.encode("utf-8", errors="surrogatepass")


_FORBIDDEN = {
    EntitiesForbidden: "it declares an entity (<!ENTITY ...>), which could expand without bound "
                       "or read other files",
    ExternalReferenceForbidden: "it refers to an external file or address, which is never read",
    DTDForbidden: "it has a document type declaration",
    NotSupportedError: "it uses an XML feature that is not supported",
}


def _parse(data: bytes) -> ET.Element:
    parser = DefusedXMLParser(target=_Builder())
    parser.feed(data)
    return parser.close()


def parse(source: str | bytes) -> Document:
    """Parse untrusted XML; every failure is an IncidentError of one clear sentence."""
    if isinstance(source, str):
        data = as_utf8(source)
        text = source.lstrip("\ufeff")
    else:
        data = source
        if data.startswith(codecs.BOM_UTF8) or not data[:1].strip():
            stripped = data[3:] if data.startswith(codecs.BOM_UTF8) else data
            if stripped.lstrip(b" \t\r\n").startswith(b"<"):
                data = stripped.lstrip(b" \t\r\n")  # white space before <?xml is forgiven
        text = decode(data)
    try:
        try:
            root = _parse(data)
        except (ValueError, LookupError) as exc:
            # expat reads only one-byte encodings beyond UTF-8 and UTF-16; Python reads others.
            if isinstance(exc, DefusedXmlException):
                raise
            if "multi-byte" not in str(exc):
                raise IncidentError(f"the XML declares the encoding '{declared_encoding(data)}', "
                                    "which is not a known character encoding")
            try:
                text = data.decode(declared_encoding(data))
            except (UnicodeDecodeError, LookupError):
                raise IncidentError(f"the XML is not valid text in the encoding it declares "
                                    f"('{declared_encoding(data)}')")
            data = as_utf8(text)
            root = _parse(data)
    except _TooDeep:
        raise IncidentError(f"the XML nests elements deeper than {MAX_DEPTH} levels, which no CAP "
                            "alert, feed or distribution does, so it is refused")
    except tuple(_FORBIDDEN) as exc:
        reason = next(r for cls, r in _FORBIDDEN.items() if isinstance(exc, cls))
        raise IncidentError(f"the XML is refused because {reason}")
    except ET.ParseError as exc:
        message = str(exc).replace(": line", " at line")
        raise IncidentError(f"the file is not valid XML: {message}")
    return Document(root, data, text)


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""
