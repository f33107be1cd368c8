"""Colours the probe found too faint (WCAG 2.1: 4.5:1 for text, 3:1 for a focus ring), read
from the style sheets the pages use, with the contrast ratio computed as WCAG defines it."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
CSS = {name: (STATIC / name).read_text() for name in ("style.css", "incidents.css",
                                                       "agreements.css")}
VARIABLES = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS["style.css"]))


def colour(value: str) -> tuple[float, float, float]:
    value = value.strip()
    name = re.fullmatch(r"var\(--([\w-]+)\)", value)
    if name:
        value = VARIABLES[name.group(1)]
    if value == "#fff":
        value = "#ffffff"
    return tuple(int(value[i:i + 2], 16) / 255 for i in (1, 3, 5))


def luminance(rgb) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(colour(a)), luminance(colour(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def declaration(sheet: str, selector: str, prop: str) -> str:
    """The last value of `prop` in a rule whose selector list holds `selector` exactly."""
    found = None
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS[sheet]):
        if selector in [s.strip() for s in selectors.split(",")]:
            match = re.search(rf"(?:^|;)\s*{re.escape(prop)}:\s*([^;]+)", body)
            if match:
                found = match.group(1).strip()
    assert found is not None, (sheet, selector, prop)
    return found


def test_the_diffs_line_numbers_can_be_read():
    fg = declaration("agreements.css", ".dno", "color")
    bg = declaration("agreements.css", ".dno", "background")
    assert ratio(fg, bg) >= 4.5, ratio(fg, bg)


def test_the_cancel_incident_button_can_be_read():
    fg = declaration("incidents.css", "details.reason-form > summary.button", "color")
    bg = declaration("style.css", "button.danger", "background")
    assert ratio(fg, bg) >= 4.5, ratio(fg, bg)


def test_the_focus_ring_stands_out_from_the_page():
    ring = declaration("style.css", "a:focus", "outline").split()[-1]
    for surface in ("#ffffff", "var(--bg)"):
        assert ratio(ring, surface) >= 3, (ring, surface, ratio(ring, surface))


def test_no_table_has_a_column_without_a_header():
    """An empty <th> leaves a screen reader's user guessing what a column of buttons is for."""
    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    empty = [f"{path.relative_to(templates)}" for path in templates.rglob("*.html")
             if re.search(r"<th(\s[^>]*)?>\s*</th>", path.read_text())]
    assert empty == []
