"""The canonical layout of an agreement (`compact fmt`): idempotent, keeps comments and meaning."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from dsl import ast
from dsl.parser import parse

INDENT = "  "
CONTINUATION = "    "
WIDTH = 100


def format_source(text: str, filename: str = "<agreement>") -> str:
    """Reformat agreement text; raises CompactError if it does not parse."""
    return format_document(parse(text, filename))


@dataclass
class Item:
    """One thing the formatter writes: its source line range and its output lines."""

    start: int
    end: int
    lines: list[str]
    blank: bool = False  # a blank line before it
    leading: list[str] = field(default_factory=list)
    trailing: str | None = None


def format_document(doc: ast.Document) -> str:
    items: list[Item] = []
    previous_kind = None
    for decl in doc.declarations:
        kind = type(decl).__name__
        single = isinstance(decl, (ast.Recital, ast.RoleDecl, ast.TriggerDecl))
        blank = previous_kind is not None and not (single and kind == previous_kind)
        for i, (start, end, lines) in enumerate(render_declaration(decl)):
            items.append(Item(start, end, list(lines), blank and i == 0))
        previous_kind = kind
    return _with_comments(items, doc.comments)


def _with_comments(items: list[Item], comments) -> str:
    """Place every comment where it reads as it did.

    A comment within an item's source lines stays with that item: trailing its last line if it
    is the item's only comment and trails code, otherwise above the item, in source order. A
    comment between items goes above the item that follows it. Formatting the output again
    changes nothing.
    """
    inside: dict[int, list] = {}
    between = []
    for c in sorted(comments, key=lambda c: c.span.start):
        owner = None
        for index, item in enumerate(items):
            if item.start <= c.span.line <= item.end and (
                    not c.own_line or item.start < c.span.line):
                owner = index  # the innermost (latest starting) item wins
        if owner is None:
            between.append(c)
        else:
            inside.setdefault(owner, []).append(c)
    for index, found in inside.items():
        item = items[index]
        if len(found) == 1 and not found[0].own_line:
            item.trailing = found[0].text
        else:
            item.leading.extend(c.text for c in found)
    out: list[str] = []
    ci = 0
    for item in items:
        above = []
        while ci < len(between) and between[ci].span.line < item.start:
            above.append(between[ci].text)
            ci += 1
        if item.blank and out:
            out.append("")
        indent = item.lines[0][: len(item.lines[0]) - len(item.lines[0].lstrip(" "))]
        out.extend(indent + text for text in above + item.leading)
        lines = list(item.lines)
        if item.trailing is not None:
            lines[-1] = f"{lines[-1]}  {item.trailing}"
        out.extend(lines)
    rest = between[ci:]
    if rest:
        if out:
            out.append("")
        out.extend(c.text for c in rest)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- declarations

def _end(node) -> int:
    return node.span.end_line


def render_declaration(decl):
    """Yield (first source line, last source line, output lines) for each item of a declaration."""
    line = decl.span.line
    if isinstance(decl, ast.AgreementDecl):
        yield line, decl.id_span.end_line, [f"agreement {decl.id}"]
        for item in decl.items:
            yield item.span.line, _end(item), [INDENT + render_header(item)]
    elif isinstance(decl, ast.Recital):
        yield line, _end(decl), block("recital ", decl.text, "")
    elif isinstance(decl, ast.PartyDecl):
        yield line, _end(decl.name), [f"party {decl.id} {string(decl.name)}"]
        for attr in decl.attributes:
            yield attr.span.line, _end(attr), [f"{INDENT}{attr.name} {value(attr.value)}"]
    elif isinstance(decl, ast.FieldsDecl):
        yield line, line, ["fields"]
        for f in decl.fields:
            text = f"{INDENT}{f.name} {f.type}"
            if f.one_of is not None:
                text += " one of " + ", ".join(literal(v) for v in f.one_of)
            yield f.span.line, _end(f), [text]
    elif isinstance(decl, ast.RoleDecl):
        yield line, _end(decl), [f"role {decl.id} is {render_role(decl)}"]
    elif isinstance(decl, ast.TriggerDecl):
        yield line, _end(decl), condition_lines(f"trigger {decl.id} when ", decl.condition, "")
    elif isinstance(decl, ast.ClauseDecl):
        head = f"clause {decl.id}"
        if decl.title is not None:
            head += " " + string(decl.title)
        yield line, _end(decl.title) if decl.title else decl.id_span.end_line, [head]
        for item in decl.items:
            yield item.span.line, _end(item), list(render_clause_item(item))
    elif isinstance(decl, ast.ExampleDecl):
        yield line, _end(decl.name), [f"example {string(decl.name)}"]
        for item in decl.items:
            yield item.span.line, _end(item), list(render_example_item(item))


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
    if item.key == "holidays":
        codes = item.value if isinstance(item.value, tuple) else (item.value,)
        return "holidays " + ", ".join(string(c) for c in codes)
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
        if st.to:
            text += " to " + ", ".join(n.name for n in st.to)
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
    elif item.key == "fulfilled_at":
        yield f"{INDENT}fulfilled at {item.value}"
    elif item.key == "otherwise":
        yield from block(f"{INDENT}otherwise ", item.value, INDENT)


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
            yield f"{INDENT}expect no {exp.clause.name}" + (
                f" for {exp.party.name}" if exp.party is not None else "")
        elif exp.kind == "warning":
            yield f"{INDENT}expect warning {quote(exp.text.value)}"
        else:
            text = f"{INDENT}expect {exp.party.name} {exp.modality} {exp.clause.name}"
            if exp.by is not None:
                text += f" by {exp.by.raw}"
            if exp.status is not None:
                text += f" {exp.status.name}"
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
    if dl.kind == "every":
        return f"every {duration(dl.duration)}" + (f" of {dl.field_path}" if dl.field_path
                                                   else "")
    if dl.kind == "whichever":
        later = [deadline(t).removeprefix("within ") for t in dl.terms[1:]]
        return " or ".join([deadline(dl.terms[0])] + later) + f", whichever is {dl.pick}"
    if dl.kind == "by":
        return f"by {dl.time.raw}"
    text = f"within {duration(dl.duration)}"
    if dl.kind == "within_field":
        text += f" of {dl.field_path}"
    elif dl.kind == "within_breach":
        text += f" of breach of {dl.breach_of.name}"
    elif dl.kind == "within_lapse":
        text += f" of lapse of {dl.lapse_of.name}"
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
        return f"{'lapsed' if cond.lapsed else 'breached'} {cond.clause}"
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
