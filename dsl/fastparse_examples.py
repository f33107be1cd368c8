"""The example declarations for dsl.fastparse's reader: `incident`, `at` and the `expect` lines."""

from __future__ import annotations

from dsl import ast

STATUSES = ("open", "breached", "fulfilled", "lapsed")


class ExampleReader:
    """The methods of dsl.fastparse._Reader that read an example (a part of that class, whose
    `need` gives back a result or raises its Unsure)."""

    __slots__ = ()

    def decl_example(self, k):
        name, end = self.need(self.string(k[1]))
        items, end = self.many(end, self.example_item)
        self.end_of(end)
        return ast.ExampleDecl(name, tuple(items), span=self.span(k[0], end)), end

    def example_item(self, loc: int):
        if k := self.kw(loc, "incident"):
            text, end = self.need(self.string(k[1]))
            return ast.ExampleItem("incident", text, span=self.span(k[0], end)), end
        if k := self.kw(loc, "at"):
            time, end = self.need(self.time_value(k[1]))
            return ast.ExampleItem("at", time, span=self.span(k[0], end)), end
        k = self.kw(loc, "expect")
        if not k:
            return None
        warning = self.kw(k[1], "warning")
        said = self.string(warning[1]) if warning else None
        if no := self.kw(k[1], "no"):
            if duty := self.kw(no[1], "duty"):
                of = self.need(self.kw(duty[1], "for"))
                party, end = self.need(self.ident(of[1]))
                fields = {"kind": "no_duty", "party": party}
            else:
                clause, end = self.need(self.ident(no[1]))
                fields = {"kind": "no_clause", "clause": clause}
                if of := self.kw(end, "for"):
                    fields["party"], end = self.need(self.ident(of[1]))
        elif said is not None:
            text, end = said
            fields = {"kind": "warning", "text": text}
        else:
            party, end = self.need(self.ident(k[1]))
            modal, end = self.need(self.modality(end))
            clause, end = self.need(self.ident(end))
            by = status = None
            if by_kw := self.kw(end, "by"):
                by, end = self.need(self.time_value(by_kw[1]))
            after = self.ws(end)
            if after < self.n and self.s[after] in "obfl":  # a status word may follow
                for word in STATUSES:
                    if found := self.kw(end, word):
                        status, end = ast.Name(word, span=self.span(*found)), found[1]
                        break
            fields = {"kind": "duty", "party": party, "modality": modal, "clause": clause, "by": by,
                      "status": status}
        span = self.span(k[0], end)
        return ast.ExampleItem("expect", ast.Expect(span=span, **fields), span=span), end
