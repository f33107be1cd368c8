"""The canonical layout of an agreement (`compact fmt`): idempotent, keeps comments and meaning."""

from __future__ import annotations

import json
import textwrap

from dsl import ast
from dsl.parser import parse

INDENT = "  "
CONTINUATION = "    "
WIDTH = 100


def format_source(text: str, filename: str = "<agreement>") -> str:
    """Reformat agreement text; raises CompactError if it does not parse."""
    return format_document(parse(text, filename))


def format_document(doc: ast.Document) -> str:
    lines: list[tuple[int, str]] = []  # (source line of the item, output line)
    items: list[tuple[int, int, list[str]]] = []  # (first source line, kind key, rendered lines)
    previous_kind = None
    for decl in doc.declarations:
        kind = type(decl).__name__
        single = isinstance(decl, (ast.Recital, ast.RoleDecl, ast.TriggerDecl))
        blank = previous_kind is not None and not (single and kind == previous_kind)
        rendered = list(render_declaration(decl))
        for i, (line_no, text) in enumerate(rendered):
            items.append((line_no, blank and i == 0, text))
        previous_kind = kind
    return _with_comments(items, doc.comments)


def _with_comments(items, comments) -> str:
    """Place each comment before the item that follows it, or at the end of the item it trails.

    `items` holds one entry per output line: (source line of its item, blank line before it,
    text). A trailing comment goes to the last output line of the last item that started at or
    before it; a second trailing comment on the same item goes above that item instead, so that
    formatting the output again changes nothing.
    """
    starts = [line for line, _, _ in items]
    own = sorted((c for c in comments if c.own_line), key=lambda c: c.span.start)
    trail_for: dict[int, str] = {}
    lead_for: dict[int, list[str]] = {}
    for c in comments:
        if c.own_line:
            continue
        index = max((i for i, s in enumerate(starts) if s <= c.span.line), default=None)
        if index is None:
            own.append(c)
        elif index in trail_for:
            first = index
            while first > 0 and starts[first - 1] == starts[index]:
                first -= 1
            lead_for.setdefault(first, []).append(c.text)
        else:
            trail_for[index] = c.text
    own.sort(key=lambda c: c.span.start)
    out: list[str] = []
    ci = 0
    for i, (line, blank, text) in enumerate(items):
        leading = []
        while ci < len(own) and own[ci].span.line < line:
            leading.append(own[ci].text)
            ci += 1
        leading.extend(lead_for.get(i, ()))
        if blank and out:
            out.append("")
        indent = text[: len(text) - len(text.lstrip(" "))]
        out.extend(indent + c for c in leading)
        if i in trail_for:
            text = f"{text}  {trail_for[i]}"
        out.append(text)
    rest = own[ci:]
    if rest:
        if out:
            out.append("")
        out.extend(c.text for c in rest)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- declarations

def render_declaration(decl):
    """Yield (source line, output line) pairs for one declaration."""
    line = decl.span.line
    if isinstance(decl, ast.AgreementDecl):
        yield line, f"agreement {decl.id}"
        for item in decl.items:
            yield item.span.line, INDENT + render_header(item)
    elif isinstance(decl, ast.Recital):
        for text in block("recital ", decl.text, ""):
            yield line, text
    elif isinstance(decl, ast.PartyDecl):
        yield line, f"party {decl.id} {string(decl.name)}"
        for attr in decl.attributes:
            yield attr.span.line, f"{INDENT}{attr.name} {value(attr.value)}"
    elif isinstance(decl, ast.FieldsDecl):
        yield line, "fields"
        for f in decl.fields:
            text = f"{INDENT}{f.name} {f.type}"
            if f.one_of is not None:
                text += " one of " + ", ".join(literal(v) for v in f.one_of)
            yield f.span.line, text
    elif isinstance(decl, ast.RoleDecl):
        yield line, f"role {decl.id} is {render_role(decl)}"
    elif isinstance(decl, ast.TriggerDecl):
        for i, text in enumerate(condition_lines(f"trigger {decl.id} when ", decl.condition, "")):
            yield line, text
    elif isinstance(decl, ast.ClauseDecl):
        head = f"clause {decl.id}"
        if decl.title is not None:
            head += " " + string(decl.title)
        yield line, head
        for item in decl.items:
            for text in render_clause_item(item):
                yield item.span.line, text
    elif isinstance(decl, ast.ExampleDecl):
        yield line, f"example {string(decl.name)}"
        for item in decl.items:
            for text in render_example_item(item):
                yield item.span.line, text


def render_header(item: ast.HeaderItem) -> str:
    if item.key == "title":
        return f"title {string(item.value)}"
    if item.key == "kind":
        return f"kind {item.value.name}"
    if item.key == "binding":
        return "binding" if item.value else "non-binding"
    if item.key == "effective":
        if isinstance(item.value, tuple):
            return f"effective {item.value[0].raw} until {item.value[1].raw}"
        return f"effective {item.value.raw}"
    if item.key == "governing_law":
        return f"governing law {string(item.value)}"
    if item.key == "withdrawal_notice":
        return f"withdrawal notice {duration(item.value)}"
    if item.key == "language":
        return f"language {string(item.value)}"
    raise AssertionError(item.key)


def render_role(role: ast.RoleDecl) -> str:
    if role.kind == "fixed":
        return ", ".join(m.name for m in role.members)
    if role.kind == "field":
        return str(role.path)
    if role.kind == "where":
        return "parties where " + condition(role.condition)
    if role.kind == "except":
        return "parties except " + ", ".join(m.name for m in role.members)
    return f"parties whose area intersects {role.path}"


def render_clause_item(item: ast.ClauseItem):
    if item.key in ("when", "unless"):
        yield from condition_lines(f"{INDENT}{item.key} ", item.value, INDENT)
    elif item.key == "statement":
        st = item.value
        text = f"{INDENT}{st.subject.name} {st.modality} {string(st.action)}"
        if st.deadline is not None:
            text += " " + deadline(st.deadline)
        yield text
    elif item.key == "costs":
        costs = item.value
        if costs.kind == "borne":
            yield f"{INDENT}costs borne by {costs.shares[0].who.name}"
        elif costs.kind == "equal":
            yield f"{INDENT}costs shared equally by " + ", ".join(s.who.name for s in costs.shares)
        else:
            yield f"{INDENT}costs shared " + ", ".join(
                f"{s.who.name} {s.percent.raw}" for s in costs.shares)
    elif item.key == "text":
        yield from block(f"{INDENT}text ", item.value, INDENT)


def render_example_item(item: ast.ExampleItem):
    if item.key == "incident":
        yield from block(f"{INDENT}incident ", item.value, INDENT)
    elif item.key == "at":
        yield f"{INDENT}at {item.value.raw}"
    else:
        exp = item.value
        if exp.kind == "no_duty":
            yield f"{INDENT}expect no duty for {exp.party.name}"
        elif exp.kind == "no_clause":
            yield f"{INDENT}expect no {exp.clause.name}"
        else:
            text = f"{INDENT}expect {exp.party.name} {exp.modality} {exp.clause.name}"
            if exp.by is not None:
                text += f" by {exp.by.raw}"
            yield text


# ---------------------------------------------------------------- small parts

def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def string(lit: ast.Literal) -> str:
    """A text literal: single-line strings stay `"..."`; a JSON-like value may stay `\"\"\"`."""
    text = lit.value
    if "\n" not in text and lit.raw.startswith('"""') and '"' in text \
            and not text.endswith('"') and '"""' not in text:
        return f'"""{text}"""'
    return quote(text)


def block(prefix: str, lit: ast.Literal, indent: str) -> list[str]:
    """A string that spans lines as an indented triple-quoted block, if it reads back the same."""
    text = lit.value
    lines = text.split("\n")
    fits = ("\n" in text and '"""' not in text and not text.endswith(('"', "\n"))
            and not text.startswith("\n") and textwrap.dedent(text) == text
            and all(line.strip() or not line for line in lines))
    if not fits:
        return [prefix + string(lit)]
    body = [(indent + INDENT + line) if line else "" for line in lines]
    return [prefix + '"""', *body, indent + '"""']


def literal(lit: ast.Literal) -> str:
    return string(lit) if lit.kind == "text" else lit.raw


def value(v) -> str:
    if isinstance(v, ast.ListLiteral):
        return "[" + ", ".join(literal(i) for i in v.items) + "]"
    if isinstance(v, ast.Path):
        return str(v)
    return literal(v)


def duration(d: ast.Duration) -> str:
    return f"{d.amount} {d.raw_unit}"


def deadline(dl: ast.Deadline) -> str:
    if dl.kind == "by":
        return f"by {dl.time.raw}"
    text = f"within {duration(dl.duration)}"
    if dl.kind == "within_field":
        text += f" of {dl.field_path}"
    elif dl.kind == "within_breach":
        text += f" of breach of {dl.breach_of.name}"
    return text


PRECEDENCE = {ast.Or: 1, ast.And: 2}


def condition(cond, parent: int = 0) -> str:
    if isinstance(cond, ast.Or):
        return " or ".join(condition(i, 1) for i in cond.items)
    if isinstance(cond, ast.And):
        return " and ".join(condition(i, 2) for i in cond.items)
    if isinstance(cond, ast.Group):
        return "(" + condition(cond.item) + ")"
    if isinstance(cond, ast.Not):
        inner = cond.item
        if isinstance(inner, (ast.Or, ast.And)):  # cannot happen from the parser without a Group
            return "not (" + condition(inner) + ")"
        return "not " + condition(inner, 3)
    if isinstance(cond, ast.TriggerRef):
        return cond.name
    if isinstance(cond, ast.Breached):
        return f"breached {cond.clause}"
    if isinstance(cond, ast.Given):
        return f"{cond.path} is {'not ' if cond.negated else ''}given"
    if isinstance(cond, ast.Intersects):
        return f"{cond.left} intersects {cond.right}"
    if isinstance(cond, ast.Compare):
        return f"{value(cond.left)} {cond.op} {value(cond.right)}"
    raise AssertionError(type(cond))


def condition_lines(prefix: str, cond, indent: str) -> list[str]:
    """A condition on one line, or broken before each top-level `or`/`and` when it is long."""
    flat = prefix + condition(cond)
    if len(flat) <= WIDTH or not isinstance(cond, (ast.Or, ast.And)):
        return [flat]
    word = "or" if isinstance(cond, ast.Or) else "and"
    level = 1 if word == "or" else 2
    parts = [condition(i, level) for i in cond.items]
    lines = [prefix + parts[0]]
    for part in parts[1:]:
        lines.append(f"{indent}{CONTINUATION}{word} {part}")
    return lines
