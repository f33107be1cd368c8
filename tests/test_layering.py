"""The packages' layering: text -> dsl -> engine -> agreements -> web, with no import going back
up, and no module of the web layer importing the app factory it is registered by."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each layer may not import (by top-level name, or a module path's prefix).
FORBIDDEN = {
    "dsl": ("engine", "agreements", "web", "flask", "sqlalchemy"),
    "engine": ("agreements", "web", "flask", "sqlalchemy"),
    "agreements": ("web", "flask"),
}
# The app factory's only importers: the WSGI entry point and the CLI that serves it.
APP_IMPORTERS = {"web/wsgi.py", "web/cli.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(package: str):
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_layer_imports_one_above_it(package):
    wrong = []
    for path in modules(package):
        for name in imported(path):
            if name.split(".")[0] in FORBIDDEN[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_only_the_entry_points_import_the_app_factory():
    wrong = [f"{path.relative_to(ROOT)} imports {name}"
             for path in modules("web") if path.name != "app.py"
             and str(path.relative_to(ROOT)) not in APP_IMPORTERS
             for name in imported(path) if name == "web.app" or name.startswith("web.app.")]
    assert wrong == []
