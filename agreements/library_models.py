"""Where a new agreement starts: the blank skeleton, or a model agreement of the bundled library."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dsl.errors import CompactError
from dsl.parser import parse
from dsl.tokens import HEADER_WORDS

LIBRARY = Path(__file__).resolve().parent / "library"

# Checks with no error and no warning: it has a clause and an example that tests it, so the
# editor's first answer is "0 errors, 0 warnings" and the drafter sees every part in use. It is
# in the canonical layout already, so that Format changes nothing.
SKELETON = """\
# A new agreement: replace the id, the title and the rest, then save.
agreement new-agreement
  title "Title of the agreement"
  kind mou
  non-binding
  effective 2026-01-01

recital "Why the parties make this agreement."

party first "Full legal name of the first party"

party second "Full legal name of the second party"

clause notify "Notification of the second party"
  when incident.type == "flood"
  first must "notify the second party of the flood" within 1 hour

example "a flood is reported"
  incident \"\"\"{"id": "EX-1", "type": "flood", "reported_at": "2026-03-01T08:00:00Z"}\"\"\"
  expect first must notify by 2026-03-01T09:00:00Z
  expect no duty for second
"""

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
ID_LIMIT = 100


@dataclass(frozen=True)
class Model:
    name: str  # the file's name without .agreement: what the form sends
    id: str  # the agreement id in the file
    title: str
    kind: str


class BadModel(ValueError):
    """A model or an id the drafter cannot start from; the message says why, for a person."""


@lru_cache(maxsize=1)
def _models(folder: str) -> tuple[Model, ...]:
    found = []
    for path in sorted(Path(folder).glob("*.agreement")):
        try:
            doc = parse(path.read_text(encoding="utf-8"), path.name)
        except (CompactError, OSError, UnicodeError):
            continue  # a broken file is no model
        decl = doc.agreement
        if decl is None:
            continue
        header = {item.key: item.value for item in decl.items}
        title = header.get("title")
        kind = header.get("kind")
        found.append(Model(path.stem, decl.id, title.value if title is not None else decl.id,
                           kind.name if kind is not None else ""))
    return tuple(sorted(found, key=lambda m: m.title.casefold()))


def models(folder: Path = LIBRARY) -> tuple[Model, ...]:
    """The library's agreements a drafter can start from, by title."""
    return _models(str(folder))


def check_new_id(new_id: str) -> str:
    """The id, stripped, or BadModel saying what is wrong with it."""
    new_id = (new_id or "").strip()
    if not new_id:
        raise BadModel("Give the new agreement an id: a model's own id belongs to the agreement "
                       "it was written for.")
    if len(new_id) > ID_LIMIT:
        raise BadModel(f"An agreement id is at most {ID_LIMIT} characters.")
    if not _ID.match(new_id) or new_id in HEADER_WORDS:
        raise BadModel(f"'{new_id}' cannot be an agreement id: use letters, digits, '_', '-' "
                       "and '.', starting with a letter, such as lakeside-flood-mou.")
    return new_id


def model_text(name: str, new_id: str, folder: Path = LIBRARY) -> str:
    """The model's text with its agreement id replaced by `new_id` (comments and layout kept)."""
    model = next((m for m in models(folder) if m.name == name), None)
    if model is None:
        raise BadModel(f"There is no model agreement '{name}' in the library.")
    new_id = check_new_id(new_id)
    text = (Path(folder) / f"{name}.agreement").read_text(encoding="utf-8")
    decl = parse(text, f"{name}.agreement").agreement
    span = decl.id_span
    return text[:span.start] + new_id + text[span.end:]
