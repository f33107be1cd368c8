"""A library of compiled agreements with a trigger index, so evaluation costs what matches.

At build time every clause gets a guard: a set of keys, at least one of which holds whenever
the clause's `when` holds (equality and `in` on incident fields, scale and number thresholds).
A clause without such a guard is examined for every incident. The answers are exactly those of
`engine.evaluator.evaluate`, which the tests check on random libraries and incidents.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Iterable

from dsl.errors import CompactError
from dsl.types import SCALE_RANK, SCALES
from engine import conditions as C
from engine.compiler import CompiledAgreement
from engine import advice
from engine.evaluator import (AgreementRun, Evaluation, OutOfEffect, as_incident, cancelled,
                              check_builtins, evaluate, finish, known_parties, language_warnings,
                              party_field_violations, raise_violations, reported_at, skip_reason,
                              Warning_)
from engine.schema import Violation, validate_value

ALWAYS = None  # a guard that cannot narrow anything
_KEY_JSON = json.JSONEncoder(sort_keys=True).encode  # json.dumps(v, sort_keys=True), built once


# A guard is a set of alternatives, one of which holds whenever the condition holds. An
# alternative is a tuple of atoms that must all hold:
#   ("eq", field, key value)      incident.field == value (or one value of an `in` list)
#   ("given", field)              incident.field is given
#   ("has", field, key value)     a list field contains the value
#   ("min", field, scale, rank)   a scale field at or above a rank
#   ("num", field, op, bound)     a number field above or below a bound
# Alternatives of one or two eq/given atoms are looked up in a hash table; a single min or
# num atom in ordered tables. An empty guard means the condition can never hold.
KEYED = ("eq", "given", "has")
MAX_ALTERNATIVES = 32


def _rank(guard: frozenset) -> tuple:
    """Lower is more selective: pairs of keys, single keys, thresholds, presence."""
    worst = 0
    for alternative in guard:
        kinds = [atom[0] for atom in alternative]
        if len(alternative) == 2:
            level = 0 if "given" not in kinds else 1
        elif kinds[0] in ("eq", "has"):
            level = 2
        elif kinds[0] in ("min", "num"):
            level = 3
        else:
            level = 4
        worst = max(worst, level)
    return (worst, len(guard))


def guard_of(cond: C.Cond, agreement: CompiledAgreement, depth: int = 0):
    """The guard implied by `cond`, or ALWAYS when it implies no key."""
    if depth > 50:
        return ALWAYS
    if isinstance(cond, (C.Parens, C.TriggerCall)):
        inner = cond.item if isinstance(cond, C.Parens) else cond.cond
        return guard_of(inner, agreement, depth + 1)
    if isinstance(cond, C.BreachedClause):
        # A breach needs a duty of that clause, so that clause's `when` held.
        return guard_of(agreement.clause_index[cond.clause].when, agreement, depth + 1)
    if isinstance(cond, C.AnyOf):
        out = set()
        for item in cond.items:
            g = guard_of(item, agreement, depth + 1)
            if g is ALWAYS:
                return ALWAYS
            out |= g
        return frozenset(out) if len(out) <= 4 * MAX_ALTERNATIVES else ALWAYS
    if isinstance(cond, C.AllOf):
        guards = [g for g in (guard_of(i, agreement, depth + 1) for i in cond.items)
                  if g is not ALWAYS]
        if not guards:
            return ALWAYS
        if any(not g for g in guards):
            return frozenset()  # one part can never hold, so neither can the whole
        best = min(guards, key=_rank)
        singles = sorted((g for g in guards if all(len(a) == 1 and a[0][0] in KEYED for a in g)),
                         key=_rank)
        if len(singles) >= 2 and len(singles[0]) * len(singles[1]) <= MAX_ALTERNATIVES \
                and not {a[0][1] for a in singles[0]} & {a[0][1] for a in singles[1]}:
            # Two parts on different fields: file the clause under both at once.
            paired = frozenset(tuple(sorted(a + b)) for a in singles[0] for b in singles[1])
            if _rank(paired) < _rank(best):
                best = paired
        return best
    if isinstance(cond, C.IsGiven):
        path = cond.path
        if cond.negated or path.root != "incident" or len(path.names) != 1:
            return ALWAYS
        return frozenset({(("given", path.field),)})
    if isinstance(cond, C.Comparison):
        return _comparison_guard(cond)
    return ALWAYS


def _comparison_guard(cond: C.Comparison):
    left, right, op = cond.left, cond.right, cond.op
    if isinstance(right, C.PathOperand) and isinstance(left, C.LiteralOperand) and op in (
            "==", "<", "<=", ">", ">="):
        left, right = right, left
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if not (isinstance(left, C.PathOperand) and isinstance(right, C.LiteralOperand)):
        return ALWAYS
    if left.root != "incident" or len(left.names) != 1 or left.type in (None, "any"):
        return ALWAYS
    field, value = left.field, right.value
    if left.type.startswith("list"):
        key = advice.value_key(value)
        if op != "contains" or key is None:
            return ALWAYS
        return frozenset({(("has", field, key),)})
    if op in ("==", "in"):
        values = value if op == "in" else [value]
        if not isinstance(values, list):
            return ALWAYS
        keys = [advice.value_key(v) for v in values]
        if any(k is None for k in keys):
            return ALWAYS
        return frozenset((("eq", field, k),) for k in keys)
    if left.type in SCALES and op in (">", ">=") and isinstance(value, str):
        rank = SCALE_RANK[left.type].get(value)
        if rank is None:
            return frozenset()  # `>= "unknown"` never holds
        return frozenset({(("min", field, left.type, rank + (1 if op == ">" else 0)),)})
    if left.type == "number" and op in ("<", "<=", ">", ">=") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return frozenset({(("num", field, op, value),)})
    return ALWAYS



class Library:
    """Compiled agreements and their trigger index; evaluate incidents against all of them."""

    def __init__(self, agreements: Iterable[CompiledAgreement]):
        self.agreements: tuple[CompiledAgreement, ...] = tuple(agreements)
        seen: dict[str, str] = {}
        for ag in self.agreements:
            if ag.id in seen:
                raise CompactError(f"agreement id '{ag.id}' is used by both {seen[ag.id]} and "
                                   f"{ag.filename}; an id names one agreement")
            seen[ag.id] = ag.filename
        self.total_clauses = sum(len(a.clauses) for a in self.agreements)
        self._build()

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        keyed = defaultdict(list)  # alternative (1 or 2 eq/given atoms) -> refs
        scale_min = defaultdict(lambda: defaultdict(list))  # (field, scale) -> rank -> refs
        num_ge = defaultdict(list)  # field -> [(bound, strict, ref)]
        num_le = defaultdict(list)
        always = []
        for a_index, ag in enumerate(self.agreements):
            for clause in ag.clauses:
                ref = (a_index, clause.index)
                g = guard_of(clause.when, ag)
                if g is ALWAYS:
                    always.append(ref)
                    continue
                for alternative in g:
                    head = alternative[0]
                    if head[0] in KEYED:
                        keyed[alternative].append(ref)
                    elif head[0] == "min":
                        scale_min[(head[1], head[2])][head[3]].append(ref)
                    elif head[2] in (">", ">="):
                        num_ge[head[1]].append((head[3], head[2] == ">", ref))
                    else:
                        num_le[head[1]].append((head[3], head[2] == "<", ref))
        self._keyed = dict(keyed)
        self._pair_fields = frozenset(atom[1] for alt in keyed if len(alt) == 2 for atom in alt)
        # For a scale value of rank r, every clause whose minimum is <= r.
        scales = defaultdict(list)  # field -> [(ranks of its scale, refs by incident rank)]
        for (field, scale), by_rank in scale_min.items():
            cumulative, acc = [], []
            for rank in range(len(SCALES[scale])):
                acc = acc + by_rank.get(rank, [])
                cumulative.append(tuple(acc))
            scales[field].append((SCALE_RANK[scale], cumulative))
        self._scale = dict(scales)
        self._num_ge = {f: self._sorted(v) for f, v in num_ge.items()}
        self._num_le = {f: self._sorted(v) for f, v in num_le.items()}
        self._always = tuple(always)

        # Validation and warnings per field, not per agreement.
        declared = defaultdict(lambda: defaultdict(list))
        one_of = defaultdict(list)
        for ag in self.agreements:
            for field, key in ag.field_schemas.items():
                declared[field][key].append(ag)
            for field in ag.one_of:
                one_of[field].append(ag)
        self._declared = {f: dict(v) for f, v in declared.items()}
        self._one_of = dict(one_of)
        # Per field: value key -> the agreements that list it, and the agreements narrowing it.
        listing = defaultdict(lambda: defaultdict(list))
        for field, ags in self._one_of.items():
            for ag in ags:
                for value in ag.one_of[field]:
                    listing[field][advice.value_key(value)].append(ag.id)
        self._listing = {f: dict(v) for f, v in listing.items()}
        self._narrowing = {f: frozenset(a.id for a in ags) for f, ags in self._one_of.items()}
        self.known = known_parties(self.agreements)
        self._party_fields = defaultdict(list)
        for ag in self.agreements:
            for field in ag.party_fields:
                self._party_fields[field].append(ag.id)
        self._one_of_cache: dict = {}
        self._skipped_cache: dict = {}
        # Effective periods, for the skipped list without a pass over every agreement.
        self._by_start = sorted(self.agreements, key=lambda a: a.effective_from)
        self._starts = [a.effective_from for a in self._by_start]
        ends = [a for a in self.agreements if a.effective_until is not None]
        self._by_end = sorted(ends, key=lambda a: a.effective_until)
        self._ends = [a.effective_until for a in self._by_end]
        # Every day between two consecutive boundaries (a first day in effect, a day after the
        # last) has the same agreements out of effect: one entry per such period, kept.
        self._bounds = sorted({a.effective_from for a in self.agreements}
                              | {a.effective_until + timedelta(days=1) for a in ends
                                 if a.effective_until < date.max})
        self._periods: dict = {}
        self._languages = {a.language for a in self.agreements}

    @staticmethod
    def _sorted(entries):
        entries.sort(key=lambda e: e[0])
        return ([e[0] for e in entries], entries)

    # ------------------------------------------------------------ lookup
    def candidates(self, data: dict) -> set:
        """Clause refs (agreement index, clause index) that may match this incident."""
        found = set(self._always)
        keyed = self._keyed
        atoms = []
        for field, value in data.items():
            if value is None:
                continue
            atoms.append(("given", field))
            key = advice.value_key(value)
            if key is not None:
                atoms.append(("eq", field, key))
            elif isinstance(value, list):
                members = {advice.value_key(item) for item in value}
                atoms.extend(("has", field, k) for k in members if k is not None)
            if isinstance(value, str):
                for ranks, cumulative in self._scale.get(field, ()):
                    rank = ranks.get(value)
                    if rank is not None:
                        found.update(cumulative[rank])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ge = self._num_ge.get(field)
                if ge is not None:
                    bounds, entries = ge
                    # bound < value, or bound == value and not strict
                    for bound, strict, ref in entries[:bisect.bisect_right(bounds, value)]:
                        if bound < value or not strict:
                            found.add(ref)
                le = self._num_le.get(field)
                if le is not None:
                    bounds, entries = le
                    for bound, strict, ref in entries[bisect.bisect_left(bounds, value):]:
                        if bound > value or not strict:
                            found.add(ref)
        for atom in atoms:
            refs = keyed.get((atom,))
            if refs:
                found.update(refs)
        paired = sorted(a for a in atoms if a[1] in self._pair_fields)
        for i, first in enumerate(paired):
            for second in paired[i + 1:]:
                refs = keyed.get((first, second))
                if refs:
                    found.update(refs)
        return found

    def in_effect_skipped(self, day) -> tuple[tuple[tuple[str, str], ...], frozenset]:
        """The agreements not in effect on a day, with reasons (in their final order), and
        their ids: kept per day, and made from what is kept per period, so that a new day costs
        a string per agreement out of effect, not a pass over the library. Every day of one
        period shares one frozenset of ids (so the warnings kept per set serve the period)."""
        found = self._skipped_cache.get(day)
        if found is None:
            period = bisect.bisect_right(self._bounds, day)
            kept = self._periods.get(period)
            if kept is None:
                kept = self._periods[period] = self._period(day)
            suffixes, ids, pieces = kept
            head = f"not in effect on {day}"
            found = (OutOfEffect(((a, head + suffix) for a, suffix in suffixes), str(day),
                                 pieces), ids)
            if len(self._skipped_cache) < 4096:
                self._skipped_cache[day] = found
        return found

    def _period(self, day) -> tuple:
        """For the period of `day`: (id, reason after the day) sorted as `finish` sorts the
        skipped list, the ids, and the pieces of its compact JSON (`OutOfEffect`). The reasons
        are `skip_reason`'s, cut after the day."""
        head = f"not in effect on {day}"
        suffixes = []
        for a, reason in self._skipped_on(day):
            assert reason.startswith(head), reason
            suffixes.append((a, reason[len(head):]))
        suffixes.sort()
        return (tuple(suffixes), frozenset(a for a, _ in suffixes),
                OutOfEffect.json_pieces(suffixes, "not in effect on "))

    def _skipped_on(self, day) -> tuple[tuple[str, str], ...]:
        out = []
        later = bisect.bisect_right(self._starts, day)
        for ag in self._by_start[later:]:
            out.append((ag.id, skip_reason(ag, day)))
        for ag in self._by_end[:bisect.bisect_left(self._ends, day)]:
            out.append((ag.id, skip_reason(ag, day)))
        return tuple(out)

    # ------------------------------------------------------------ evaluation
    def evaluate(self, incident, at: datetime | None = None,
                 excluded: dict[str, frozenset] | None = None,
                 known: frozenset | None = None) -> Evaluation:
        """The same answer as the linear `evaluate`, examining only candidate clauses.
        `known` are the organisations a party field may name (default: the agreements')."""
        incident = as_incident(incident)
        if incident.cancelled:
            return cancelled(incident, at)
        known = self.known if known is None else known
        if len(incident.all_variants()) > 1 and len(self._languages) > 1:
            # Agreements in different languages read different mappings of one CAP alert.
            return evaluate(incident, self.agreements, at, excluded, known)
        violations = check_builtins(incident, self._languages)
        language = next(iter(self._languages), None)
        data = incident.for_language(language)
        moment = at or reported_at(incident.data)
        day = reported_at(data).date()
        skipped, skipped_ids = self.in_effect_skipped(day)

        for field, value in data.items():
            for key, owners in self._declared.get(field, {}).items():
                found = validate_value(field, value, key, None)
                if found:
                    for ag in owners:
                        if ag.id not in skipped_ids:
                            violations.update(Violation(v.path, v.message, v.field, ag.id)
                                              for v in found)
        if not violations:
            violations.update(self._party_violations(data, skipped_ids, known))
        if violations:
            raise_violations(violations)

        warnings = []
        if language is not None and not incident.language_match(language) and any(
                a.id not in skipped_ids for a in self.agreements):
            warnings.extend(language_warnings(incident, {language}))
        for field, value in data.items():
            if field in self._narrowing and value is not None:
                warnings.extend(self._one_of_warnings(field, value, skipped_ids))

        by_agreement = defaultdict(list)
        for a_index, c_index in self.candidates(data):
            by_agreement[a_index].append(c_index)
        duties = []
        examined = 0
        for a_index, clause_indexes in by_agreement.items():
            ag = self.agreements[a_index]
            if ag.id in skipped_ids:
                continue
            run = AgreementRun(ag, data, moment, (excluded or {}).get(ag.id, frozenset()))
            for c_index in sorted(clause_indexes):
                run.duties(ag.clauses[c_index])
            examined += len(clause_indexes)
            duties.extend(run.all_duties())
            warnings.extend(run.warnings)
        return finish(incident, moment, duties, skipped, warnings, examined, self.total_clauses)

    def _party_violations(self, data: dict, skipped_ids: frozenset, known: frozenset) -> set:
        out = set()
        for field, owners in self._party_fields.items():
            value = data.get(field)
            if value is None or not any(a not in skipped_ids for a in owners):
                continue
            out.update(party_field_violations(field, value, known))
        return out

    def _one_of_warnings(self, field: str, value, skipped_ids: frozenset) -> list:
        """The linear evaluator's `one_of_warnings` for one field, from the per-field table:
        a pure function of the library, the value and the agreements in effect, kept."""
        key = (field, _KEY_JSON(value), skipped_ids)
        found = self._one_of_cache.get(key)
        if found is not None:
            return found
        found = []
        if any(a not in skipped_ids for a in self._narrowing[field]):
            listing = self._listing[field]

            def listed(k) -> bool:
                return any(a not in skipped_ids for a in listing.get(k, ()))

            seen = {}
            for item in advice.field_values(value):
                seen.setdefault(advice.value_key(item), item)
            for k, item in seen.items():
                if not listed(k):
                    candidates = [c[1] for c in listing if c[0] == "s" and listed(c)]
                    found.append(Warning_(None, None, advice.one_of_message(
                        field, item, advice.closest(item, candidates)), field, item))
        if len(self._one_of_cache) < 10_000:
            self._one_of_cache[key] = found
        return found

    def why_not(self, incident, agreement: str, clause: str | None = None,
                party: str | None = None, at: datetime | None = None,
                excluded: dict[str, frozenset] | None = None) -> list:
        """Why a clause (or every clause of an agreement) gave no duty, or no duty to a party:
        `engine.whynot.why_not` over this library."""
        from engine.whynot import why_not
        return why_not(self.agreements, incident, agreement, clause, party, at, excluded)

    def evaluate_linear(self, incident, at: datetime | None = None,
                        excluded: dict[str, frozenset] | None = None,
                        known: frozenset | None = None) -> Evaluation:
        return evaluate(incident, self.agreements, at, excluded,
                        self.known if known is None else known)


