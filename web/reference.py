"""The language reference page: docs/language.md rendered with markdown-it, headings anchored."""

from __future__ import annotations

import re
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

# Where the document is: in a clone (or an editable install) the repository's docs/ folder; in
# an installed wheel, the data files pyproject.toml installs under share/compact/docs.
INSTALLED = Path("share") / "compact" / "docs" / "language.md"


def candidates() -> list[Path]:
    """The places the reference may be, in order: the repository's, then the installed copy's
    (the environment's data folder, then a `pip install --user` one)."""
    places = [Path(__file__).resolve().parents[1] / "docs" / "language.md"]
    for scheme in (None, f"{sysconfig.get_default_scheme()}", "posix_user", "nt_user"):
        try:
            data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        if data:
            places.append(Path(data) / INSTALLED)
    return list(dict.fromkeys(places))


def find_reference() -> Path:
    """The first place that holds the reference (the repository's if none does)."""
    places = candidates()
    return next((p for p in places if p.is_file()), places[0])


REFERENCE = find_reference()
_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")

_lock = threading.Lock()
_cache: dict[tuple[str, float], "Reference"] = {}


@dataclass(frozen=True)
class Reference:
    title: str
    html: Markup
    contents: tuple[tuple[int, str, str], ...]  # (level, anchor, heading text)

    @property
    def anchors(self) -> set[str]:
        return {anchor for _, anchor, _ in self.contents}


def _markdown() -> MarkdownIt:
    # Raw HTML in the document is shown as text, never passed through.
    return (MarkdownIt("commonmark", {"html": False, "typographer": False})
            .enable("table")
            .use(anchors_plugin, min_level=2, max_level=3, permalink=True,
                 permalinkSymbol="#", permalinkBefore=False))


def reference(path: Path = REFERENCE) -> Reference:
    """The rendered document, rendered again only when the file changes."""
    key = (str(path), path.stat().st_mtime)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            return found
    text = path.read_text(encoding="utf-8")
    first = re.search(r"^# (.+)$", text, re.M)
    title = first.group(1).strip() if first else "The agreement language"
    body = text[first.end():] if first else text  # the page sets the title itself
    # A code block may scroll sideways on a phone: focusable, so a keyboard can scroll it too.
    html = _markdown().render(body).replace("<pre>", '<pre tabindex="0">')
    contents = tuple(
        (int(level), anchor, _TAGS.sub("", inner).replace(" #", "").strip())
        for level, anchor, inner in _HEADING.findall(html))
    rendered = Reference(title, Markup(html), contents)
    with _lock:
        _cache.clear()
        _cache[key] = rendered
    return rendered
