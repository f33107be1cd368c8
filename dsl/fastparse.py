"""A hand-written reader of well-formed agreement text, giving the grammar's own syntax tree faster.

`dsl.parser` tries this reader first. It follows the pyparsing grammar element by element, in
the same order of alternatives, with the same token patterns (`dsl.tokens`) and the same rules
for keywords, white space and spans. It never reports an error itself: wherever the grammar
would fail, or wherever this reader is unsure, it gives up and the grammar reads the text
again, so that every diagnostic is the grammar's, exactly as before.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date

import pyparsing as pp

from dsl import ast
from dsl.errors import Span
from dsl.fastparse_examples import ExampleReader
from dsl.timestamps import parse_time
from dsl.tokens import (
    COMPARISON_RE, DATE_LIT_RE, DECLARATION_KEYWORDS, FIELD_NAME_RE, KEYWORD_CHARS, KINDS,
    NAIVE_TIME_RE, NAME_RE, NUMBER_RE, PERCENT_RE, SIMPLE_TYPE_RE, SLUG_RE, STRING_RE,
    TIME_LIT_RE, UNIT_RE, UNITS, WHOLE_RE, bad_escape, unquote)


class Unsure(Exception):
    """This reader cannot vouch for the text: the grammar must read it (and say what is wrong)."""


_WS = re.compile(r"[ \t\r\n]*")
_NAME = re.compile(NAME_RE)
_SLUG = re.compile(SLUG_RE)
_STRING = re.compile(STRING_RE)
_TIME = re.compile(TIME_LIT_RE)
_NAIVE = re.compile(NAIVE_TIME_RE)
_DATE = re.compile(DATE_LIT_RE)
_NUMBER = re.compile(NUMBER_RE)
_PERCENT = re.compile(PERCENT_RE)
_FIELD_NAME = re.compile(FIELD_NAME_RE)
_SIMPLE_TYPE = re.compile(SIMPLE_TYPE_RE)
_UNIT = re.compile(UNIT_RE)
_WHOLE = re.compile(WHOLE_RE)
_COMPARISON = re.compile(COMPARISON_RE)
_WHICHEVER = re.compile(r",[ \t]*whichever(?![\w-])")

_KW = frozenset(KEYWORD_CHARS)  # the grammar's K(word)
_PLAIN_KW = frozenset(pp.Keyword.DEFAULT_KEYWORD_CHARS)  # pp.Keyword(word)
_CASELESS_KW = frozenset(pp.Keyword.DEFAULT_KEYWORD_CHARS.upper())  # pp.CaselessKeyword(word)


def read(blanked: str) -> tuple | None:
    """The declarations of a text whose comments are blanked, or None if the grammar must read it."""
    try:
        return tuple(_Reader(blanked).document())
    except Exception:  # Unsure, RecursionError, or anything unforeseen: the grammar decides
        return None


def _need(result):
    if result is None:
        raise Unsure
    return result


class _Reader(ExampleReader):
    """Each method reads one element of the grammar at `loc` (white space first, as pyparsing
    does) and returns (node, end) where `end` is the end of its last token, None where the
    grammar would try its next alternative, or raises Unsure where the grammar would stop."""

    __slots__ = ("s", "n", "starts")
    need = staticmethod(_need)

    def __init__(self, s: str):
        self.s = s
        self.n = len(s)
        self.starts = [0] + [m.end() for m in re.finditer("\n", s)]  # as dsl.errors.line_col

    # ------------------------------------------------------------ tokens
    def ws(self, loc: int) -> int:
        return _WS.match(self.s, loc).end()

    def span(self, start: int, end: int) -> Span:
        """Span.at(self.s, start, end), for offsets within the text, without its clamping."""
        starts = self.starts
        line, end_line = bisect_right(starts, start), bisect_right(starts, end)
        return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1,
                    start, end)

    def kw(self, loc: int, word: str, chars=_KW) -> tuple[int, int] | None:
        """(start, end) of the keyword `word` after white space, as pp.Keyword matches it."""
        s = self.s
        loc = _WS.match(s, loc).end()
        end = loc + len(word)
        if (s.startswith(word, loc) and (loc == 0 or s[loc - 1] not in chars)
                and (end >= self.n or s[end] not in chars)):
            return loc, end
        return None

    def caseless_kw(self, loc: int, word: str) -> bool:
        s, end = self.s, loc + len(word)
        return (s[loc:end].upper() == word.upper()
                and (loc == 0 or s[loc - 1].upper() not in _CASELESS_KW)
                and (end >= self.n or s[end].upper() not in _CASELESS_KW))

    def regex(self, loc: int, pattern: re.Pattern):
        loc = self.ws(loc)
        return pattern.match(self.s, loc)

    def ident(self, loc: int):
        m = self.regex(loc, _NAME)
        if m is None:
            return None
        return ast.Name(m.group(), span=self.span(m.start(), m.end())), m.end()

    def string(self, loc: int):
        m = self.regex(loc, _STRING)
        if m is None:
            return None
        raw = m.group()
        if bad_escape(raw):
            raise Unsure
        return ast.Literal("text", unquote(raw), raw, span=self.span(m.start(), m.end())), m.end()

    def time_value(self, loc: int):
        loc = self.ws(loc)
        m = _TIME.match(self.s, loc)
        if m is not None:
            value = parse_time(m.group())  # a ValueError makes the grammar read it
            return ast.Literal("time", value, m.group(), span=self.span(loc, m.end())), m.end()
        if _NAIVE.match(self.s, loc):
            raise Unsure
        return None

    def date_lit(self, loc: int):
        m = self.regex(loc, _DATE)
        if m is None:
            return None
        value = date.fromisoformat(m.group())
        return ast.Literal("date", value, m.group(), span=self.span(m.start(), m.end())), m.end()

    def _number(self, m: re.Match):
        raw = m.group()
        span = self.span(m.start(), m.end())
        if raw.endswith("%"):
            return ast.Literal("percent", float(raw[:-1]), raw, span=span), m.end()
        return ast.Literal("number", float(raw) if "." in raw else int(raw), raw, span=span), m.end()

    def literal(self, loc: int):
        loc = self.ws(loc)
        found = self.time_value(loc) or self.date_lit(loc)
        if found:
            return found
        m = _NUMBER.match(self.s, loc)
        if m is not None:
            return self._number(m)
        found = self.string(loc)
        if found:
            return found
        for word, value in (("yes", True), ("no", False)):
            k = self.kw(loc, word)
            if k:
                return ast.Literal("yesno", value, word, span=self.span(*k)), k[1]
        return None

    def listed(self, loc: int, item):
        """`item, item, ...`: a comma must be followed by another item."""
        first = item(loc)
        if first is None:
            return None
        items, end = [first[0]], first[1]
        while True:
            comma = self.ws(end)
            if not self.s.startswith(",", comma):
                return items, end
            node, end = _need(item(comma + 1))
            items.append(node)

    def list_lit(self, loc: int):
        start = self.ws(loc)
        if not self.s.startswith("[", start):
            return None
        found = self.listed(start + 1, self.literal)
        items, end = found if found else ([], start + 1)
        close = self.ws(end)
        if not self.s.startswith("]", close):
            raise Unsure
        return ast.ListLiteral(tuple(items), span=self.span(start, close + 1)), close + 1

    def path(self, loc: int):
        """incident.FIELD or party.NAME, written without spaces around the dots."""
        s = self.s
        start = self.ws(loc)
        for root in ("incident", "party"):
            k = self.kw(start, root)
            if k and k[0] == start:
                break
        else:
            return None
        end = k[1]
        if not s.startswith(".", end):
            return None
        m = _need(_FIELD_NAME.match(s, end + 1))
        names = [m.group()]
        end = m.end()
        while s.startswith(".", end):
            m = _FIELD_NAME.match(s, end + 1)
            if m is None:
                break
            names.append(m.group())
            end = m.end()
        return ast.Path(root, tuple(names), span=self.span(start, end)), end

    # ------------------------------------------------------------ durations and deadlines
    def duration(self, loc: int):
        m = self.regex(loc, _WHOLE)
        if m is None:
            return None
        qualifier = self.kw(m.end(), "business") or self.kw(m.end(), "calendar")
        if qualifier:
            day = _need(self.kw(qualifier[1], "days") or self.kw(qualifier[1], "day"))
            raw = self.s[qualifier[0]:qualifier[1]] + " " + self.s[day[0]:day[1]]
            end = day[1]
        else:
            unit = _need(self.regex(m.end(), _UNIT))
            raw, end = unit.group(), unit.end()
        return ast.Duration(int(m.group()), UNITS[raw], raw, span=self.span(m.start(), end)), end

    def deadline(self, loc: int):
        every = self.kw(loc, "every")
        if every:
            duration, end = _need(self.duration(every[1]))
            field_path = None
            of = self.kw(end, "of")
            if of:
                field_path, end = _need(self.path(of[1]))
            return ast.Deadline("every", duration=duration, field_path=field_path,
                                span=self.span(every[0], end)), end
        first = self.term(loc)
        if first is None:
            return None
        terms, end = [first[0]], first[1]
        while True:
            joined = self.kw(end, "or")
            if not joined:
                break
            term, end = _need(self.term(joined[1], later=True))
            terms.append(term)
        if len(terms) == 1:
            return first
        which = _need(_WHICHEVER.match(self.s, self.ws(end)))
        is_ = _need(self.kw(which.end(), "is"))
        pick = _need(self.kw(is_[1], "earlier") or self.kw(is_[1], "later"))
        return ast.Deadline("whichever", terms=tuple(terms), pick=self.s[pick[0]:pick[1]],
                            span=self.span(terms[0].span.start, pick[1])), pick[1]

    def term(self, loc: int, later: bool = False):
        within = self.kw(loc, "within")
        if within is None and later and self.regex(loc, _WHOLE):
            start = self.ws(loc)
            within = (start, start)
        if within:
            duration, end = _need(self.duration(within[1]))
            of = self.kw(end, "of")
            if not of:
                return ast.Deadline("within", duration=duration,
                                    span=self.span(within[0], end)), end
            path = self.path(of[1])
            if path:
                return ast.Deadline("within_field", duration=duration, field_path=path[0],
                                    span=self.span(within[0], path[1])), path[1]
            lapse = self.kw(of[1], "lapse")
            breach = lapse or _need(self.kw(of[1], "breach"))
            of_clause = _need(self.kw(breach[1], "of"))
            name, end = _need(self.ident(of_clause[1]))
            if lapse:
                return ast.Deadline("within_lapse", duration=duration, lapse_of=name,
                                    span=self.span(within[0], end)), end
            return ast.Deadline("within_breach", duration=duration, breach_of=name,
                                span=self.span(within[0], end)), end
        by = self.kw(loc, "by")
        if by:
            time, end = _need(self.time_value(by[1]))
            return ast.Deadline("by", time=time, span=self.span(by[0], end)), end
        return None

    # ------------------------------------------------------------ conditions
    def condition(self, loc: int):
        return self._chain(loc, "or", self.and_expr, ast.Or)

    def and_expr(self, loc: int):
        return self._chain(loc, "and", self.not_expr, ast.And)

    def _chain(self, loc: int, word: str, item, cls):
        first = item(loc)
        if first is None:
            return None
        items, end = [first[0]], first[1]
        while True:
            k = self.kw(end, word)
            if not k:
                break
            node, end = _need(item(k[1]))
            items.append(node)
        if len(items) == 1:
            return items[0], end
        return cls(tuple(items), span=self.span(items[0].span.start, end)), end

    def not_expr(self, loc: int):
        k = self.kw(loc, "not")
        if k:
            node, end = _need(self.not_expr(k[1]))
            return ast.Not(node, span=self.span(k[0], end)), end
        start = self.ws(loc)
        if self.s.startswith("(", start):
            node, end = _need(self.condition(start + 1))
            close = self.ws(end)
            if not self.s.startswith(")", close):
                raise Unsure
            return ast.Group(node, span=self.span(start, close + 1)), close + 1
        for word in ("breached", "lapsed"):
            k = self.kw(start, word)
            if k:
                name, end = _need(self.ident(k[1]))
                return ast.Breached(name.name, name.span, word == "lapsed",
                                    span=self.span(k[0], end)), end
        found = self.comparison(start)
        if found:
            return found
        found = self.ident(start)
        if found:
            name = found[0]
            return ast.TriggerRef(name.name, span=name.span), found[1]
        return None

    def value(self, loc: int):
        return self.path(loc) or self.literal(loc) or self.list_lit(loc)

    def comparison(self, loc: int):
        found = self.value(loc)
        if found is None:
            return None
        left, end = found
        start = left.span.start
        k = self.kw(end, "is")
        if k:
            negated = self.kw(k[1], "not")
            given = _need(self.kw(negated[1] if negated else k[1], "given"))
            if not isinstance(left, ast.Path):
                raise Unsure
            return ast.Given(left, negated is not None, span=self.span(start, given[1])), given[1]
        k = self.kw(end, "intersects")
        if k:
            right, end = _need(self.path(k[1]))
            if not isinstance(left, ast.Path):
                raise Unsure
            return ast.Intersects(left, right, span=self.span(start, end)), end
        op, end = _need(self.operator(end))
        right, end = _need(self.value(end))
        return ast.Compare(left, op, right, span=self.span(start, end)), end

    def operator(self, loc: int):
        m = self.regex(loc, _COMPARISON)
        if m is not None:
            return m.group(), m.end()
        k = self.kw(loc, "not")
        if k:
            k2 = self.kw(k[1], "in")
            if k2:
                return "not in", k2[1]
        for word in ("in", "contains"):
            k = self.kw(loc, word)
            if k:
                return word, k[1]
        return None

    # ------------------------------------------------------------ declarations
    def document(self) -> list:
        declarations = []
        end = 0
        while True:
            start = self.ws(end)
            if start >= self.n:
                return declarations
            for word in DECLARATION_KEYWORDS:
                k = self.kw(start, word)
                if k:
                    node, end = getattr(self, "decl_" + word)(k)
                    declarations.append(node)
                    break
            else:
                raise Unsure

    def end_of(self, end: int) -> None:
        """The next declaration or the end of the text must follow."""
        start = self.ws(end)
        if start < self.n and not any(self.kw(start, w) for w in DECLARATION_KEYWORDS):
            raise Unsure

    def many(self, end: int, item) -> tuple[list, int]:
        items = []
        while True:
            found = item(end)
            if found is None:
                return items, end
            items.append(found[0])
            end = found[1]

    def decl_agreement(self, k):
        m = _need(self.regex(k[1], _SLUG))
        items, end = self.many(m.end(), self.header_item)
        self.end_of(end)
        return ast.AgreementDecl(m.group(), self.span(m.start(), m.end()), tuple(items),
                                 span=self.span(k[0], end)), end

    def header_item(self, loc: int):
        item = None
        if k := self.kw(loc, "title"):
            item = ("title", *_need(self.string(k[1])))
        elif k := self.kw(loc, "kind"):
            start = self.ws(k[1])
            kind = _need(next((w for w in KINDS if self.kw(start, w)), None))
            end = start + len(kind)
            item = ("kind", ast.Name(kind, span=self.span(start, end)), end)
        elif k := self.kw(loc, "binding"):
            item = ("binding", True, k[1])
        elif k := self.kw(loc, "non-binding"):
            item = ("binding", False, k[1])
        elif k := self.kw(loc, "effective"):
            first, end = _need(self.date_lit(k[1]))
            until = self.kw(end, "until")
            if until:
                second, end = _need(self.date_lit(until[1]))
                item = ("effective", (first, second), end)
            else:
                item = ("effective", first, end)
        elif k := self.kw(loc, "governing"):
            law = _need(self.kw(k[1], "law"))
            item = ("governing_law", *_need(self.string(law[1])))
        elif k := self.kw(loc, "withdrawal"):
            notice = _need(self.kw(k[1], "notice"))
            item = ("withdrawal_notice", *_need(self.duration(notice[1])))
        elif k := self.kw(loc, "language"):
            item = ("language", *_need(self.string(k[1])))
        elif k := self.kw(loc, "holidays"):
            first, end = _need(self.string(k[1]))
            codes = [first]
            while self.s.startswith(",", self.ws(end)):
                code, end = _need(self.string(self.ws(end) + 1))
                codes.append(code)
            item = ("holidays", first if len(codes) == 1 else tuple(codes), end)
        if item is None:
            return None
        key, value, end = item
        return ast.HeaderItem(key, value, span=self.span(k[0], end)), end

    def decl_recital(self, k):
        text, end = _need(self.string(k[1]))
        self.end_of(end)
        return ast.Recital(text, span=self.span(k[0], end)), end

    def decl_party(self, k):
        name, end = _need(self.ident(k[1]))
        full, end = _need(self.string(end))
        attributes, end = self.many(end, self.attribute)
        self.end_of(end)
        return ast.PartyDecl(name.name, name.span, full, tuple(attributes),
                             span=self.span(k[0], end)), end

    def attribute(self, loc: int):
        found = self.ident(loc)
        if found is None:
            return None
        name, end = found
        value = self.literal(end) or self.list_lit(end)
        if value is None:
            return None
        return ast.Attribute(name.name, value[0], span=self.span(name.span.start, value[1])), value[1]

    def decl_fields(self, k):
        fields, end = self.many(k[1], self.field_decl)
        self.end_of(end)
        return ast.FieldsDecl(tuple(fields), span=self.span(k[0], end)), end

    def field_decl(self, loc: int):
        start = self.ws(loc)
        if any(self.caseless_kw(start, w) for w in DECLARATION_KEYWORDS) or self.kw(start, "one"):
            return None
        m = _FIELD_NAME.match(self.s, start)
        if m is None:
            return None
        typ, end = _need(self.type_ref(m.end()))
        one_of = None
        one = self.kw(end, "one")
        if one:
            of = _need(self.kw(one[1], "of"))
            values, end = _need(self.listed(of[1], self.literal))
            one_of = tuple(values)
        return ast.FieldDecl(m.group(), typ, one_of, span=self.span(start, end)), end

    def type_ref(self, loc: int):
        start = self.ws(loc)
        k = self.kw(start, "list", _PLAIN_KW)
        if k:
            of = _need(self.kw(k[1], "of"))
            item, end = _need(self.type_ref(of[1]))
            return ast.TypeRef("list", item, span=self.span(start, end)), end
        m = _SIMPLE_TYPE.match(self.s, start)
        if m is None:
            return None
        return ast.TypeRef(m.group(), span=self.span(start, m.end())), m.end()

    def members(self, loc: int):
        return self.listed(loc, self.ident)

    def decl_role(self, k):
        name, end = _need(self.ident(k[1]))
        is_ = _need(self.kw(end, "is"))
        fields = {}
        parties = self.kw(is_[1], "parties")
        if parties:
            if w := self.kw(parties[1], "where"):
                kind = "where"
                fields["condition"], end = _need(self.condition(w[1]))
            elif e := self.kw(parties[1], "except"):
                kind = "except"
                members, end = _need(self.members(e[1]))
                fields["members"] = tuple(members)
            elif whose := self.kw(parties[1], "whose"):
                kind = "area"
                area = _need(self.kw(whose[1], "area", _PLAIN_KW))
                meets = _need(self.kw(area[1], "intersects"))
                fields["path"], end = _need(self.path(meets[1]))
            else:
                raise Unsure
        elif path := self.path(is_[1]):
            kind = "field"
            fields["path"], end = path
        else:
            kind = "fixed"
            members, end = _need(self.members(is_[1]))
            fields["members"] = tuple(members)
        self.end_of(end)
        return ast.RoleDecl(name.name, name.span, kind, span=self.span(k[0], end), **fields), end

    def decl_trigger(self, k):
        name, end = _need(self.ident(k[1]))
        when = _need(self.kw(end, "when"))
        condition, end = _need(self.condition(when[1]))
        self.end_of(end)
        return ast.TriggerDecl(name.name, name.span, condition, span=self.span(k[0], end)), end

    def decl_clause(self, k):
        name, end = _need(self.ident(k[1]))
        title = self.string(end)
        if title:
            title, end = title
        items, end = self.many(end, self.clause_item)
        self.end_of(end)
        return ast.ClauseDecl(name.name, name.span, title, tuple(items),
                              span=self.span(k[0], end)), end

    def clause_item(self, loc: int):
        for word in ("when", "unless"):
            if k := self.kw(loc, word):
                condition, end = _need(self.condition(k[1]))
                return ast.ClauseItem(word, condition, span=self.span(k[0], end)), end
        if k := self.kw(loc, "costs"):
            return self.costs(k)
        if k := self.kw(loc, "fulfilled"):
            at = _need(self.kw(k[1], "at"))
            path, end = _need(self.path(at[1]))
            return ast.ClauseItem("fulfilled_at", path, span=self.span(k[0], end)), end
        for word in ("text", "otherwise"):
            if k := self.kw(loc, word):
                text, end = _need(self.string(k[1]))
                return ast.ClauseItem(word, text, span=self.span(k[0], end)), end
        found = self.statement(loc)
        if found is None:
            return None
        return ast.ClauseItem("statement", found[0], span=found[0].span), found[1]

    def costs(self, k):
        if borne := self.kw(k[1], "borne"):
            by = _need(self.kw(borne[1], "by"))
            share, end = _need(self.share_equal(by[1]))
            kind, shares = "borne", [share]
        else:
            shared = _need(self.kw(k[1], "shared"))
            if equally := self.kw(shared[1], "equally"):
                by = _need(self.kw(equally[1], "by"))
                kind = "equal"
                shares, end = _need(self.listed(by[1], self.share_equal))
            else:
                kind = "percent"
                shares, end = _need(self.listed(shared[1], self.share_pct))
        span = self.span(k[0], end)
        return ast.ClauseItem("costs", ast.Costs(kind, tuple(shares), span=span), span=span), end

    def share_equal(self, loc: int):
        found = self.ident(loc)
        if found is None:
            return None
        return ast.CostShare(found[0], None, span=found[0].span), found[1]

    def share_pct(self, loc: int):
        found = self.ident(loc)
        if found is None:
            return None
        m = self.regex(found[1], _PERCENT)
        if m is None:
            return None
        percent, end = self._number(m)
        return ast.CostShare(found[0], percent, span=self.span(found[0].span.start, end)), end

    def modality(self, loc: int):
        must = self.kw(loc, "must")
        if must:
            never = self.kw(must[1], "not")
            return ("must not", never[1]) if never else ("must", must[1])
        may = self.kw(loc, "may")
        return ("may", may[1]) if may else None

    def statement(self, loc: int):
        found = self.ident(loc)
        if found is None:
            return None
        subject, end = found
        modal = self.modality(end)
        if modal is None:
            return None
        action, end = _need(self.string(modal[1]))
        to = ()
        if k := self.kw(end, "to"):
            names, end = _need(self.members(k[1]))
            to = tuple(names)
        deadline = self.deadline(end)
        if deadline:
            deadline, end = deadline
        return ast.Statement(subject, modal[0], action, deadline, to,
                             span=self.span(subject.span.start, end)), end
