"""The pyparsing grammar of the agreement language, building `dsl.ast` nodes with spans."""

from __future__ import annotations

import re
from datetime import date
from contextvars import ContextVar
from functools import lru_cache

import pyparsing as pp

from dsl import ast, fastparse
from dsl.errors import CompactError, Diagnostic, Span
from dsl.lexical import scan_comments
from dsl.syntax_errors import FATAL, syntax_diagnostic
from dsl.timestamps import parse_time  # noqa: F401 - parse_time re-exported
from dsl.tokens import (  # noqa: F401 - the words are re-exported for the parser's users
    COMPARISON_RE, DATE_LIT_RE, DECLARATION_KEYWORDS, FIELD_NAME_RE, HEADER_WORDS, KEYWORD_CHARS,
    KINDS, MALFORMED_OFFSET_RE, NAIVE_TIME_RE, NAME_RE, NUMBER_RE, PERCENT_RE, RESERVED,
    SCALE_TYPES, SIMPLE_TYPE_RE, SIMPLE_TYPES, SLUG_RE, STRING_RE, TIME_LIT_RE, UNIT_NAMES,
    UNIT_RE, UNITS, WHOLE_RE, bad_escape, bad_escape_message, unquote)

pp.ParserElement.set_default_whitespace_chars(" \t\r\n")




def _Fatal(s: str, loc: int, message: str) -> pp.ParseFatalException:
    """A syntax error whose message we wrote ourselves (not pyparsing's 'Expected ...')."""
    return pp.ParseFatalException(s, loc, FATAL + message)


def _listed(expr: pp.ParserElement) -> pp.ParserElement:
    """`expr, expr, ...` where a comma must be followed by another item."""
    return expr + pp.ZeroOrMore(pp.Suppress(",") - expr)


# Comment ranges of the text being parsed, so that spans can step over them: pyparsing hands
# parse actions locations that may include the white space and comments around a node.
_COMMENTS: ContextVar[tuple[dict, dict]] = ContextVar("comments", default=({}, {}))


def _span(s: str, start: int, end: int) -> Span:
    by_start, by_end = _COMMENTS.get()
    n = len(s)
    end = min(end, n)  # StringEnd reports the location one past the end
    while True:
        while start < n and s[start] in " \t\r\n":
            start += 1
        if start in by_start:
            start = by_start[start]
            continue
        break
    while end > start:
        while end > start and s[end - 1] in " \t\r\n":
            end -= 1
        if end in by_end and by_end[end] >= start:
            end = by_end[end]
            continue
        break
    return Span.at(s, start, max(start, end))


def _skip_white(s: str, loc: int) -> int:
    while loc < len(s) and s[loc] in " \t\r\n":
        loc += 1
    return loc


def _node(expr: pp.ParserElement, build, name: str | None = None) -> pp.ParserElement:
    """Wrap `expr` so its tokens become one node built by `build(tokens, span)`."""

    def action(s, loc, toks):
        return build(toks[1], _span(s, toks[0], toks[2]))

    wrapped = pp.Located(expr).set_parse_action(action)
    if name:
        wrapped.set_name(name)
    return wrapped


def K(word: str) -> pp.ParserElement:
    return pp.Keyword(word, ident_chars=KEYWORD_CHARS).set_name(f"'{word}'")


@lru_cache(maxsize=1)
def grammar() -> pp.ParserElement:
    """Build the grammar once: pyparsing elements are reusable and building them is slow."""

    S = pp.Suppress

    # ------------------------------------------------------------ tokens
    def ident_action(s, loc, toks):
        word = toks[0]
        return ast.Name(word, span=_span(s, loc, loc + len(word)))

    ident = pp.Regex(NAME_RE).set_parse_action(ident_action).set_name("a name")
    slug = pp.Regex(SLUG_RE)
    slug.set_name("an agreement id")

    def string_action(s, loc, toks):
        raw = toks[0]
        bad = bad_escape(raw)
        if bad:
            raise _Fatal(s, loc + bad.start(), bad_escape_message(bad))
        return ast.Literal("text", unquote(raw), raw, span=_span(s, loc, loc + len(raw)))

    string = pp.Regex(STRING_RE).set_parse_action(string_action)
    string.set_name("a string in double quotes")

    def time_action(s, loc, toks):
        try:
            value = parse_time(toks[0])
        except ValueError:
            raise _Fatal(s, loc, f"'{toks[0]}' is not a valid time")
        return ast.Literal("time", value, toks[0], span=_span(s, loc, loc + len(toks[0])))

    def date_action(s, loc, toks):
        try:
            value = date.fromisoformat(toks[0])
        except ValueError:
            raise _Fatal(s, loc, f"'{toks[0]}' is not a valid date")
        return ast.Literal("date", value, toks[0], span=_span(s, loc, loc + len(toks[0])))

    def naive_time_action(s, loc, toks):
        text = toks[0]
        if re.search(MALFORMED_OFFSET_RE, text):
            raise _Fatal(s, loc, f"the time '{text}' has a malformed offset; write it as Z or "
                                 "with a colon, such as +05:00")
        raise _Fatal(s, loc, f"the time '{text}' has no offset; add Z or an offset such as -05:00")

    time_lit = pp.Regex(TIME_LIT_RE).set_parse_action(time_action).set_name("a time")
    naive_time = pp.Regex(NAIVE_TIME_RE).set_parse_action(naive_time_action)
    time_value = (time_lit | naive_time).set_name("a time such as 2026-03-14T08:00:00Z")
    date_lit = pp.Regex(DATE_LIT_RE).set_parse_action(date_action).set_name("a date")

    def number_action(s, loc, toks):
        raw = toks[0]
        if raw.endswith("%"):
            return ast.Literal("percent", float(raw[:-1]), raw, span=_span(s, loc, loc + len(raw)))
        value = float(raw) if "." in raw else int(raw)
        return ast.Literal("number", value, raw, span=_span(s, loc, loc + len(raw)))

    number = pp.Regex(NUMBER_RE).set_parse_action(number_action)
    number.set_name("a number")
    percent = pp.Regex(PERCENT_RE).set_parse_action(number_action).set_name("a percentage")

    def yesno_action(s, loc, toks):
        start = _skip_white(s, loc)  # a choice of keywords is handed the place before white space
        return ast.Literal("yesno", toks[0] == "yes", toks[0],
                           span=_span(s, start, start + len(toks[0])))

    yesno = (K("yes") | K("no")).set_parse_action(yesno_action).set_name("yes or no")
    literal = (time_lit | naive_time | date_lit | number | string | yesno).set_name("a value")

    def list_action(s, loc, toks):
        return ast.ListLiteral(tuple(toks[1]), span=_span(s, toks[0], toks[2]))

    list_lit = pp.Located(S("[") - pp.Optional(_listed(literal)) - S("]"))
    list_lit.set_parse_action(list_action).set_name("a list in square brackets")

    name_part = pp.Regex(FIELD_NAME_RE)

    def path_action(s, loc, toks):
        root, *names = toks[1]
        return ast.Path(root, tuple(names), span=_span(s, toks[0], toks[2]))

    path = pp.Located(
        (K("incident") | K("party")).set_name("incident.FIELD or party.NAME") + pp.Combine(S(".") - name_part.copy().set_name(
            "a field name after the dot")) + pp.ZeroOrMore(pp.Combine(S(".") + name_part))
    ).set_parse_action(path_action).set_name("incident.FIELD or party.NAME")
    path.leave_whitespace()  # paths are written without spaces around the dots
    path_ws = (pp.Empty() + path).set_name("incident.FIELD")  # white space, then a tight path

    # ------------------------------------------------------------ durations and deadlines
    def duration_action(s, loc, toks):
        amount, unit_raw = toks[1][0], " ".join(toks[1][1:])
        return ast.Duration(int(amount), UNITS[unit_raw], unit_raw, span=_span(s, toks[0], toks[2]))

    unit = (pp.Group(K("business") - (K("days") | K("day")).set_name("'days'"))
            .set_parse_action(lambda t: "business " + t[0][1])
            | pp.Group(K("calendar") - (K("days") | K("day")).set_name("'days'"))
            .set_parse_action(lambda t: "calendar " + t[0][1])
            | pp.Regex(UNIT_RE)).set_name(UNIT_NAMES)
    duration = pp.Located(pp.Regex(WHOLE_RE).set_name("a whole number") - unit)
    duration.set_parse_action(duration_action).set_name("a duration such as 30 minutes")

    def deadline_action(s, loc, toks):
        span = _span(s, toks[0], toks[2])
        parts = list(toks[1])
        if parts[0] == "by":
            return ast.Deadline("by", time=parts[1], span=span)
        dur = parts[1]
        if len(parts) == 2:
            return ast.Deadline("within", duration=dur, span=span)
        if isinstance(parts[2], ast.Path):
            return ast.Deadline("within_field", duration=dur, field_path=parts[2], span=span)
        if parts[2] == "lapse":
            return ast.Deadline("within_lapse", duration=dur, lapse_of=parts[3], span=span)
        return ast.Deadline("within_breach", duration=dur, breach_of=parts[2], span=span)

    anchor = (path_ws | (S(K("breach")) - S(K("of")) - ident.copy().set_name("a clause id"))
              | (K("lapse") - S(K("of")) - ident.copy().set_name("a clause id")))
    anchor.set_name("incident.FIELD, 'breach of CLAUSE' or 'lapse of CLAUSE'")
    term = pp.Located(
        K("within") - duration - pp.Optional(S(K("of")) - anchor)
        | K("by") - time_value
    ).set_parse_action(deadline_action).set_name("a deadline")
    # A later term of `... or ..., whichever is earlier` may leave out its `within`.
    later_term = pp.Located((
        K("by") - time_value
        | K("within") - duration - pp.Optional(S(K("of")) - anchor)
        | pp.Empty().set_parse_action(lambda: "within") + duration
        - pp.Optional(S(K("of")) - anchor)
    ).set_name("a duration or 'by TIME'")).set_parse_action(deadline_action)
    whichever = (S(pp.Regex(r",[ \t]*whichever(?![\w-])").set_name(
        "', whichever is earlier' or ', whichever is later' after deadline terms joined by 'or'"))
        - S(K("is")) - (K("earlier") | K("later")).set_name("'earlier' or 'later'"))

    def whichever_action(s, loc, toks):
        parts = list(toks[1])
        if len(parts) == 1:
            return parts[0]
        return ast.Deadline("whichever", terms=tuple(parts[:-1]), pick=parts[-1],
                            span=_span(s, toks[0], toks[2]))

    def every_action(s, loc, toks):
        parts = list(toks[1])
        return ast.Deadline("every", duration=parts[1],
                            field_path=parts[2] if len(parts) > 2 else None,
                            span=_span(s, toks[0], toks[2]))

    every = pp.Located(K("every") - duration - pp.Optional(S(K("of")) - path_ws)
                       ).set_parse_action(every_action)
    deadline = (every | pp.Located(
        term + pp.Optional(pp.OneOrMore(S(K("or")) - later_term) - whichever)
    ).set_parse_action(whichever_action)).set_name("a deadline")

    # ------------------------------------------------------------ conditions
    condition = pp.Forward().set_name("a condition")
    value = (path_ws | literal | list_lit).set_name("a value or incident.FIELD")

    OPS = pp.Regex(COMPARISON_RE).set_name("a comparison") | \
        pp.Combine(K("not") + K("in"), adjacent=False, join_string=" ") | K("in") | K("contains")

    def comparison_action(s, loc, toks):
        span = _span(s, toks[0], toks[2])
        left, *rest = toks[1]
        if rest[0] == "is":
            if not isinstance(left, ast.Path):
                raise _Fatal(s, toks[0], "only incident.FIELD or party.NAME can be 'given'")
            return ast.Given(left, len(rest) == 3, span=span)
        if rest[0] == "intersects":
            for side in (left, rest[1]):
                if not isinstance(side, ast.Path):
                    raise _Fatal(s, side.span.start, "'intersects' compares two fields")
            return ast.Intersects(left, rest[1], span=span)
        return ast.Compare(left, rest[0], rest[1], span=span)

    comparison = pp.Located(
        value - (
            K("is") - pp.Optional(K("not")) - K("given").set_name("'given' or 'not given'")
            | K("intersects") - path_ws
            | OPS - value
        ).set_name("a comparison (==, !=, <, <=, >, >=, in, not in, contains), 'is given' or "
                   "'intersects'")
    ).set_parse_action(comparison_action)

    def breached_action(s, loc, toks):
        word, name = toks[1][0], toks[1][1]
        return ast.Breached(name.name, name.span, word == "lapsed", span=_span(s, toks[0], toks[2]))

    breached = pp.Located((K("breached") | K("lapsed")) - ident.copy().set_name("a clause id"))
    breached.set_parse_action(breached_action)

    trigger_ref = ident.copy().set_parse_action(
        ident_action, lambda t: ast.TriggerRef(t[0].name, span=t[0].span)).set_name("a trigger id")

    group = pp.Located(S("(") - condition - S(")").set_name("')'")).set_parse_action(
        lambda s, l, t: ast.Group(t[1][0], span=_span(s, t[0], t[2])))

    not_expr = pp.Forward()
    not_expr <<= (
        pp.Located(S(K("not")) - not_expr).set_parse_action(
            lambda s, l, t: ast.Not(t[1][0], span=_span(s, t[0], t[2])))
        | group | breached | comparison | trigger_ref
    ).set_name("a condition")

    def chain(cls):
        def action(s, loc, toks):
            items = toks[1]
            if len(items) == 1:
                return items[0]
            return cls(tuple(items), span=_span(s, toks[0], toks[2]))
        return action

    and_expr = pp.Located(not_expr + pp.ZeroOrMore(S(K("and")) - not_expr)).set_parse_action(
        chain(ast.And))
    condition <<= pp.Located(and_expr + pp.ZeroOrMore(S(K("or")) - and_expr)).set_parse_action(
        chain(ast.Or))

    # ------------------------------------------------------------ declarations
    decl_start = pp.MatchFirst([K(w) for w in DECLARATION_KEYWORDS])

    def end_of(what: str) -> pp.ParserElement:
        return (pp.FollowedBy(decl_start) | pp.StringEnd()).set_name(what)

    def item(key: str, expr: pp.ParserElement, cls=ast.HeaderItem) -> pp.ParserElement:
        def action(s, loc, toks):
            values = list(toks[1])
            value = values[0] if len(values) == 1 else tuple(values)
            return cls(key, value, span=_span(s, toks[0], toks[2]))
        return pp.Located(expr).set_parse_action(action)

    kind_word = pp.MatchFirst([K(k) for k in KINDS]).set_name(
        "a kind (mou, mutual-aid, compact, protocol or other)")

    def kind_action(s, loc, toks):
        start = _skip_white(s, loc)
        return ast.Name(toks[0], span=_span(s, start, start + len(toks[0])))

    kind_word.set_parse_action(kind_action)
    header_item = (
        item("title", S(K("title")) - string)
        | item("kind", S(K("kind")) - kind_word)
        | item("binding", K("binding").set_parse_action(lambda: True))
        | item("binding", K("non-binding").set_parse_action(lambda: False))
        | item("effective", S(K("effective")) - date_lit - pp.Optional(S(K("until")) - date_lit))
        | item("governing_law", S(K("governing")) - S(K("law")) - string)
        | item("withdrawal_notice", S(K("withdrawal")) - S(K("notice")) - duration)
        | item("language", S(K("language")) - string)
        | item("holidays", S(K("holidays")) - string + pp.ZeroOrMore(S(",") - string))
    )

    def agreement_action(s, loc, toks):
        _, slug_start, slug_text, *items = toks[1]
        return ast.AgreementDecl(
            slug_text, _span(s, slug_start, slug_start + len(slug_text)), tuple(items),
            span=_span(s, toks[0], toks[2]))

    agreement = pp.Located(
        K("agreement") - pp.Located(slug).set_parse_action(lambda t: [t[0], t[1][0]])
        - pp.ZeroOrMore(header_item)
        - end_of("an agreement line (title, kind, binding or non-binding, effective, "
                 "governing law, withdrawal notice)")
    ).set_parse_action(agreement_action)

    recital = pp.Located(S(K("recital")) - string - end_of("the next declaration")) \
        .set_parse_action(lambda s, l, t: ast.Recital(t[1][0], span=_span(s, t[0], t[2])))

    attr_name = ident.copy().set_name("an attribute name")
    attribute = pp.Located(attr_name + (literal | list_lit).set_name("a value")).set_parse_action(
        lambda s, l, t: ast.Attribute(t[1][0].name, t[1][1], span=_span(s, t[0], t[2])))

    def party_action(s, loc, toks):
        name, full, *attrs = toks[1]
        return ast.PartyDecl(name.name, name.span, full, tuple(attrs),
                             span=_span(s, toks[0], toks[2]))

    party = pp.Located(
        S(K("party")) - ident.copy().set_name("a party id") - string.copy().set_name(
            "the party's full legal name in double quotes")
        - pp.ZeroOrMore(attribute) - end_of("a party attribute (NAME VALUE)")
    ).set_parse_action(party_action)

    type_ref = pp.Forward().set_name("a type (text, number, yes/no, date, time, party, "
                                     "list of TYPE, severity, urgency, certainty)")
    simple_type = pp.Located(pp.Regex(SIMPLE_TYPE_RE))
    simple_type.set_parse_action(lambda s, l, t: ast.TypeRef(t[1][0], span=_span(s, t[0], t[2])))
    list_type = pp.Located(S(pp.Keyword("list")) - S(K("of")) - type_ref).set_parse_action(
        lambda s, l, t: ast.TypeRef("list", t[1][0], span=_span(s, t[0], t[2])))
    type_ref <<= (list_type | simple_type).set_name(
        "a type (text, number, yes/no, date, time, party, list of TYPE, severity, urgency or "
        "certainty)")

    def field_action(s, loc, toks):
        name, typ, *rest = toks[1]
        return ast.FieldDecl(name.name, typ, tuple(rest) if rest else None,
                             span=_span(s, toks[0], toks[2]))

    field_name = pp.Regex(FIELD_NAME_RE).set_parse_action(
        lambda s, l, t: ast.Name(t[0], span=_span(s, l, l + len(t[0])))).set_name("a field name")
    field_decl = pp.Located(
        ~pp.MatchFirst([pp.CaselessKeyword(w) for w in DECLARATION_KEYWORDS]) + ~K("one")
        + field_name - type_ref
        - pp.Optional(S(K("one")) - S(K("of")) - _listed(literal))
    ).set_parse_action(field_action)
    fields = pp.Located(
        S(K("fields")) - pp.ZeroOrMore(field_decl) - end_of("a field (NAME TYPE [one of ...])")
    ).set_parse_action(lambda s, l, t: ast.FieldsDecl(tuple(t[1]), span=_span(s, t[0], t[2])))

    member = ident.copy().set_name("a party or role id")
    members = pp.Group(_listed(member))

    def role_action(s, loc, toks):
        name, body = toks[1][0], toks[1][1]
        span = _span(s, toks[0], toks[2])
        kind = body[0]
        if kind == "where":
            return ast.RoleDecl(name.name, name.span, "where", condition=body[1], span=span)
        if kind == "except":
            return ast.RoleDecl(name.name, name.span, "except", members=tuple(body[1]), span=span)
        if kind == "area":
            return ast.RoleDecl(name.name, name.span, "area", path=body[1], span=span)
        if kind == "field":
            return ast.RoleDecl(name.name, name.span, "field", path=body[1], span=span)
        return ast.RoleDecl(name.name, name.span, "fixed", members=tuple(body[1]), span=span)

    role_body = pp.Group(
        S(K("parties")) - (
            K("where") - condition
            | K("except") - members
            | (K("whose").set_parse_action(lambda: "area") - S(pp.Keyword("area"))
               - S(K("intersects")) - path_ws)
        ).set_name("'where CONDITION', 'except ROLE, ...' or 'whose area intersects incident.area'")
        | pp.Empty().set_parse_action(lambda: "field") + path_ws
        | pp.Empty().set_parse_action(lambda: "fixed") + members
    ).set_name("parties (PARTY, ...), incident.FIELD or 'parties where/except/whose ...'")
    role = pp.Located(
        S(K("role")) - ident.copy().set_name("a role id") - S(K("is")) - role_body
        - end_of("the next declaration")
    ).set_parse_action(role_action)

    trigger = pp.Located(
        S(K("trigger")) - ident.copy().set_name("a trigger id") - S(K("when")) - condition
        - end_of("'and', 'or' or the next declaration")
    ).set_parse_action(lambda s, l, t: ast.TriggerDecl(t[1][0].name, t[1][0].span, t[1][1],
                                                       span=_span(s, t[0], t[2])))

    modality = (pp.Combine(K("must") + K("not"), adjacent=False, join_string=" ")
                | K("must") | K("may")).set_name("'must', 'may' or 'must not'")

    def statement_action(s, loc, toks):
        subject, modal, action, *rest = toks[1]
        to = ()
        if rest and isinstance(rest[0], pp.ParseResults):
            to = tuple(rest.pop(0))
        return ast.Statement(subject, modal, action, rest[0] if rest else None, to,
                             span=_span(s, toks[0], toks[2]))

    beneficiaries = pp.Group(S(K("to")) - _listed(member.copy().set_name(
        "a role or party the duty is owed to")))
    statement = pp.Located(
        ident + modality - string.copy().set_name("the action in double quotes")
        - pp.Optional(beneficiaries) - pp.Optional(deadline)
    ).set_parse_action(statement_action)

    def share_action(s, loc, toks):
        who, *pct = toks[1]
        return ast.CostShare(who, pct[0] if pct else None, span=_span(s, toks[0], toks[2]))

    share_equal = pp.Located(member.copy()).set_parse_action(share_action)
    share_pct = pp.Located(member + percent).set_parse_action(share_action)

    def costs_action(s, loc, toks):
        kind, *shares = toks[1]
        return ast.ClauseItem("costs", ast.Costs(kind, tuple(shares), span=_span(s, toks[0], toks[2])),
                              span=_span(s, toks[0], toks[2]))

    costs = pp.Located(
        S(K("costs")) - (
            K("borne").set_parse_action(lambda: "borne") - S(K("by")) - share_equal
            | S(K("shared")) - (
                K("equally").set_parse_action(lambda: "equal") - S(K("by")) - _listed(share_equal)
                | pp.Empty().set_parse_action(lambda: "percent") + _listed(share_pct)
            ).set_name("'equally by ROLE, ...' or 'ROLE N%, ROLE N%, ...'")
        ).set_name("'borne by', 'shared equally by' or 'shared ROLE N%, ...'")
    ).set_parse_action(costs_action)

    clause_item = (
        item("when", S(K("when")) - condition, ast.ClauseItem)
        | item("unless", S(K("unless")) - condition, ast.ClauseItem)
        | costs
        | item("text", S(K("text")) - string, ast.ClauseItem)
        | item("otherwise", S(K("otherwise")) - string.copy().set_name(
            "what follows a breach or lapse, in double quotes"), ast.ClauseItem)
        | item("fulfilled_at", S(K("fulfilled")) - S(K("at").set_name("'at'"))
               - path_ws, ast.ClauseItem)
        | item("statement", statement, ast.ClauseItem)
    )

    def clause_action(s, loc, toks):
        name, *rest = toks[1]
        title = None
        if rest and isinstance(rest[0], ast.Literal):
            title = rest.pop(0)
        return ast.ClauseDecl(name.name, name.span, title, tuple(rest), span=_span(s, toks[0], toks[2]))

    clause = pp.Located(
        S(K("clause")) - ident.copy().set_name("a clause id") - pp.Optional(string)
        - pp.ZeroOrMore(clause_item)
        - end_of("a clause line (when, unless, costs, text, otherwise, fulfilled at, or ROLE "
                 "must|may|must not \"...\")")
    ).set_parse_action(clause_action)

    def expect_action(s, loc, toks):
        parts = list(toks[1])
        span = _span(s, toks[0], toks[2])
        if parts[0] == "no":
            if parts[1] == "duty":
                return ast.ExampleItem("expect", ast.Expect("no_duty", party=parts[2], span=span),
                                       span=span)
            return ast.ExampleItem("expect", ast.Expect(
                "no_clause", clause=parts[1], party=parts[2] if len(parts) > 2 else None,
                span=span), span=span)
        if parts[0] == "warning":
            return ast.ExampleItem("expect", ast.Expect("warning", text=parts[1], span=span),
                                   span=span)
        party_name, modal, clause_name, *rest = parts
        by = next((p for p in rest if isinstance(p, ast.Literal)), None)
        status = next((p for p in rest if isinstance(p, ast.Name)), None)
        return ast.ExampleItem("expect", ast.Expect(
            "duty", party=party_name, modality=modal, clause=clause_name, by=by, status=status,
            span=span), span=span)

    def status_action(s, loc, toks):
        start = s.index(toks[0], loc)  # loc may be before the blanks that precede the word
        return ast.Name(toks[0], span=_span(s, start, start + len(toks[0])))

    status = (K("open") | K("breached") | K("fulfilled") | K("lapsed")).set_parse_action(
        status_action).set_name("a status (open, breached, fulfilled or lapsed)")
    expect = pp.Located(
        S(K("expect")) - (
            K("no") - (K("duty") - S(K("for")) - ident.copy().set_name("a party id")
                       | ident.copy() + pp.Optional(S(K("for")) - ident.copy().set_name(
                           "a party id"))).set_name("a clause id or 'duty for PARTY'")
            | K("warning") + string.copy().set_name("the warning's text in double quotes")
            | ident.copy().set_name("a party id, 'no' or 'warning \"...\"'") - modality
            - ident.copy().set_name("a clause id") - pp.Optional(S(K("by")) - time_value)
            - pp.Optional(status)
        )
    ).set_parse_action(expect_action)

    example_item = (
        item("incident", S(K("incident")) - string.copy().set_name(
            "the incident as a JSON string (\"\"\"...\"\"\")"), ast.ExampleItem)
        | item("at", S(K("at")) - time_value, ast.ExampleItem)
        | expect
    )
    example = pp.Located(
        S(K("example")) - string.copy().set_name("the example's name in double quotes")
        - pp.ZeroOrMore(example_item)
        - end_of("an example line (incident, at, expect)")
    ).set_parse_action(lambda s, l, t: ast.ExampleDecl(t[1][0], tuple(t[1][1:]),
                                                       span=_span(s, t[0], t[2])))

    declaration = (agreement | recital | party | fields | role | trigger | clause | example)
    declaration.set_name("a declaration (agreement, recital, party, fields, role, trigger, "
                         "clause or example)")
    document = pp.ZeroOrMore(declaration) - pp.StringEnd().set_name(
        "a declaration (agreement, recital, party, fields, role, trigger, clause or example)")
    document.parse_with_tabs()  # keep offsets and columns as the author sees them
    return document


def blank_comments(text: str, comments: list | None = None) -> str:
    """The text with each comment turned into spaces of its length.

    Offsets and lines stay true, and neither reader need look for a comment before every token
    (the slowest part of parsing with pyparsing).
    """
    if comments is None:
        comments, _ = scan_comments(text)
    blanked = list(text)
    for start, body, _ in comments:
        blanked[start:start + len(body)] = " " * len(body)
    return "".join(blanked)


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse(text: str, filename: str = "<agreement>", *, fast: bool = True) -> ast.Document:
    """Parse agreement text into a Document, or raise CompactError with one syntax diagnostic.

    Well-formed text is read by `dsl.fastparse`, which gives the grammar's own tree; the grammar
    reads the rest (`fast=False` makes it read everything), so every diagnostic is the grammar's.
    """
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:  # e.g. "\ud800" in JSON: no UTF-8 file or PDF can hold it
        raise CompactError(Diagnostic(
            "error", f"the text holds an invalid character (U+{ord(surrogate.group()):04X}, half "
                     f"of a UTF-16 pair); remove it", Span.at(text, surrogate.start(),
                                                             surrogate.start() + 1),
            filename, _SURROGATE.sub("\ufffd", text)))
    comments, problem = scan_comments(text)
    if problem is not None:
        offset, message = problem
        raise CompactError(Diagnostic("error", message, Span.at(text, offset, offset + 1),
                                      filename, text))
    token = _COMMENTS.set(({start: start + len(body) for start, body, _ in comments},
                           {start + len(body): start for start, body, _ in comments}))
    blanked_text = blank_comments(text, comments)
    try:
        result = (fastparse.read(blanked_text) if fast else None)
        if result is None:  # the hand-written reader is unsure: the grammar reads it and says why
            result = grammar().parse_string(blanked_text, parse_all=True)
    except pp.ParseBaseException as exc:
        raise CompactError(syntax_diagnostic(exc, text, filename)) from None
    except RecursionError:
        raise CompactError(Diagnostic("error", "the text is nested too deeply to read",
                                      Span.at(text, 0, 1), filename, text)) from None
    finally:
        _COMMENTS.reset(token)
    comment_nodes = tuple(
        ast.Comment(body, own_line, span=Span.at(text, start, start + len(body)))
        for start, body, own_line in comments)
    return ast.Document(tuple(result), comment_nodes, filename, text,
                        span=Span.at(text, 0, len(text)))
