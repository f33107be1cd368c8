"""The project's one error type and the diagnostics it carries, with caret snippets."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node stands in its source: 1-based line and column, 0-based offsets."""

    line: int
    col: int
    end_line: int
    end_col: int
    start: int
    end: int

    @classmethod
    def at(cls, text: str, start: int, end: int | None = None) -> "Span":
        end = start if end is None else end
        line, col = line_col(text, start)
        end_line, end_col = line_col(text, end)
        return cls(line, col, end_line, end_col, start, end)


@lru_cache(maxsize=16)
def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset (a text's line starts are computed once)."""
    offset = max(0, min(offset, len(text)))
    starts = _line_starts(text)
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error or warning about an agreement, positioned in its source."""

    severity: str  # "error" or "warning"
    message: str
    span: Span | None
    filename: str = "<agreement>"
    source: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self) -> str:
        """`FILE:LINE:COL: error: MESSAGE` with the source line and a caret under the column."""
        if self.span is None:
            return f"{self.filename}: {self.severity}: {self.message}"
        head = f"{self.filename}:{self.span.line}:{self.span.col}: {self.severity}: {self.message}"
        if self.source is None:
            return head
        lines = self.source.split("\n")
        if not 1 <= self.span.line <= len(lines):
            return head
        text = lines[self.span.line - 1].rstrip("\r")
        width = 1
        if self.span.end_line == self.span.line and self.span.end_col > self.span.col:
            width = self.span.end_col - self.span.col
        pad = "".join(ch if ch == "\t" else " " for ch in text[: self.span.col - 1])
        return f"{head}\n{self.span.line:>5} | {text}\n{'':5} | {pad}{'^' * width}"

    def as_dict(self) -> dict:
        out = {"severity": self.severity, "message": self.message, "file": self.filename}
        if self.span is not None:
            out.update(line=self.span.line, column=self.span.col,
                       end_line=self.span.end_line, end_column=self.span.end_col)
        return out


class CompactError(Exception):
    """Raised for any bad input: carries one or more diagnostics ready to show a user."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("error", diagnostics, None)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)
