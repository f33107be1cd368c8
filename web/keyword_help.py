"""One line of help for each keyword the editor highlights, and the reference section it links to.

The anchors are those docs/language.md's headings get on the language reference page
(web/reference.py); tests/web/test_editor_tools.py checks that each one exists there.
"""

from __future__ import annotations

# keyword (as highlighted; phrases with one space) -> (explanation, anchor)
HELP: dict[str, tuple[str, str]] = {
    "agreement": ("Starts the file: the agreement's id, then its title, kind, binding and "
                  "effective lines.", "agreement"),
    "title": ("The agreement's full title, in quotes (required).", "agreement"),
    "kind": ("What sort of agreement: mou, mutual-aid, compact, protocol or other.",
             "agreement"),
    "binding": ("The parties mean the agreement to be enforceable (else: non-binding).",
                "agreement"),
    "non-binding": ("The parties do not mean the agreement to be enforceable.", "agreement"),
    "effective": ("The first day the agreement applies, and with 'until' the last.",
                  "agreement"),
    "until": ("The last day of the agreement's effective period.", "agreement"),
    "governing law": ("The law the agreement is read under, in quotes.", "agreement"),
    "withdrawal notice": ("How long after a party's written notice its withdrawal takes "
                          "effect.", "agreement"),
    "language": ("Which language block of a multi-language CAP alert the agreement reads.",
                 "agreement"),
    "recital": ("A whereas-clause: why the parties make the agreement; printed before the "
                "clauses.", "recital"),
    "party": ("An organisation that signs: its id, its full legal name, then attributes. In a "
              "condition, party.NAME reads a candidate party's attribute, party.id its id.",
              "party"),
    "fields": ("The incident fields the agreement reads beyond the built-in ones, with their "
               "types.", "fields"),
    "one": ("'one of' lists the values a field is expected to take.", "fields"),
    "role": ("A part parties play, decided for each incident: fixed parties, a party field, "
             "or parties where / except / whose area ...", "role"),
    "is": ("'role ID is ...' says who plays a role; 'PATH is given' tests that a field is "
           "present.", "role"),
    "parties": ("Every party of the agreement, narrowed by where, except or whose area.",
                "role"),
    "except": ("Every party but the roles or parties listed.", "role"),
    "where": ("The parties for which a condition on party.NAME holds.", "role"),
    "whose": ("'parties whose area intersects incident.area': the parties in the incident's "
              "area.", "role"),
    "intersects": ("Holds when two lists share a value (or a boundary meets the incident's "
                   "geometry).", "areas-intersects"),
    "trigger": ("A named condition that clauses can share.", "trigger"),
    "when": ("The condition under which a clause (or trigger) applies.", "when-and-unless"),
    "clause": ("One duty: who must, may or must not do what, and by when.", "clause"),
    "must": ("An obligation; a must duty can be breached when its deadline passes.",
             "must-may-and-must-not"),
    "may": ("A permission; never breached, but with a deadline it lapses.",
            "must-may-and-must-not"),
    "not": ("Negates a condition; 'must not' is a prohibition; 'not in' and 'is not given' "
            "too.", "and-or-not"),
    "unless": ("An exception: when it holds, the clause gives no duty.", "when-and-unless"),
    "within": ("A deadline: that long after reported_at, a time field, or a breach.",
               "deadlines"),
    "of": ("What a deadline counts from: incident.FIELD or breach of CLAUSE.", "deadlines"),
    "breach": ("'within D of breach of CLAUSE': counted from the earliest due time of that "
               "clause's breached duties.", "deadlines"),
    "by": ("A deadline at a fixed time; in costs, who bears them.", "deadlines"),
    "whichever": ("'D1 or D2, whichever is earlier|later': the earliest or latest of several "
                  "deadline terms.", "whichever-is-earlier-whichever-is-later"),
    "earlier": ("'whichever is earlier': the first due time of the deadline terms.",
                "whichever-is-earlier-whichever-is-later"),
    "later": ("'whichever is later': the last due time of the deadline terms.",
              "whichever-is-earlier-whichever-is-later"),
    "every": ("'every D [of incident.FIELD]': a recurring duty, one per period, numbered by "
              "occurrence.", "recurring-duties"),
    "holidays": ("The public-holiday calendars business days skip (\"US-FL\"); also a party "
                 "attribute.", "public-holidays"),
    "costs": ("Who pays: borne by one, shared equally, or shared in percentages.", "costs"),
    "borne": ("'costs borne by ROLE': one role or party pays.", "costs"),
    "shared": ("'costs shared equally by ...' or 'costs shared ROLE 75%, ROLE 25%'.", "costs"),
    "equally": ("The listed roles or parties pay equal shares.", "costs"),
    "text": ("The clause's legal wording for the PDF; also the field type for text.", "text"),
    "fulfilled": ("'fulfilled at incident.FIELD': when that time field is given, the duty "
                  "counts as fulfilled at its time.", "fulfilled-at"),
    "to": ("After the action: the roles or parties the duty is owed to (they see it, read "
           "only).",
           "beneficiaries-to"),
    "otherwise": ("What follows when the duty is breached (must) or has lapsed (may), in "
                  "quotes.", "otherwise"),
    "example": ("A test the agreement carries: an incident and what must follow from it.",
                "examples"),
    "incident": ("In an example, the incident as JSON; in a condition, incident.FIELD reads "
                 "its fields.", "built-in-incident-fields"),
    "at": ("The time an example is evaluated at (default: its reported_at); in a clause, "
           "'fulfilled at incident.FIELD'.", "examples"),
    "expect": ("What an example's incident must give: a duty (with its due time and status), "
               "no duty from a clause (for a party), none for a party, or a warning.", "expect"),
    "no": ("The yes/no value no; in an example, 'expect no CLAUSE [for PARTY]' or 'expect no "
           "duty for PARTY'.", "expect"),
    "duty": ("'expect no duty for PARTY': the party has no duty at all.", "expect"),
    "for": ("'expect no duty for PARTY', 'expect no CLAUSE for PARTY'.", "expect"),
    "and": ("Both conditions hold; binds tighter than or.", "and-or-not"),
    "or": ("Either condition holds.", "and-or-not"),
    "in": ("The value is one of a list: incident.type in [\"flood\", \"storm\"].",
           "lists-in-not-in-contains"),
    "contains": ("A list (or text) holds the value.", "lists-in-not-in-contains"),
    "given": ("'is given' / 'is not given': whether the incident has the field at all.",
              "presence-is-given"),
    "breached": ("Holds when a must duty of that clause is past due and not fulfilled.",
                 "triggers-and-breached"),
    "lapsed": ("Holds when a may of that clause is past its due time and was not used by "
               "then.", "triggers-and-breached"),
    "lapse": ("'within D of lapse of CLAUSE': counted from the earliest due time of that "
              "clause's lapsed permissions.", "deadlines"),
    "yes": ("The yes/no value yes (true in JSON).", "numbers-percentages-yes-and-no"),
}

REFERENCE_ENDPOINT = "editor.language"
