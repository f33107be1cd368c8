"""Compact beside two peer rule engines, on the same generated library and incidents.

    .venv/bin/python bench/peers.py [--sizes 100,1000,10000] [--incidents 200] [--seed 7]
    .venv/bin/python bench/peers.py --quick           # smoke run: size 100, 20 incidents

The library and the incidents are bench/engine.py's (`AgreementWriter`, `make_incidents`,
`compile_all`). The peers, from the `bench` extra (`pip install -e '.[bench]'`):

* durable-rules (PyPI `durable-rules`): a Rete engine with a C core. Each clause is a rule of
  one ruleset; an incident is asserted as a fact (every rule it satisfies fires its action,
  which records the clause) and retracted after; the time is the assertion's.
* rule-engine (PyPI `rule-engine`): each clause is a `rule_engine.Rule` of its own text,
  matched against the incident one rule after another (it has no index).

Each is given the clauses' `when` conditions, translated from the compiled conditions
(engine/conditions.py): comparisons, `in` and `not in`, `contains` on a list field, `is
given`, `and`/`or`/`not`, triggers inlined; a scale order (`severity >= "severe"`) becomes
membership in the values at or above it. Clauses whose conditions use `breached`, a party's
attributes or anything else these engines cannot say are left out for everyone and counted.
Effective periods are left out for everyone too: matching is "which clauses' `when` holds".

Compact is measured twice: matching alone (`Library.candidates` and the candidates' `when`,
the same work the peers do), and the full evaluation with its compact JSON (what
`POST /api/evaluate` does). For every incident each peer must find exactly the clauses Compact
finds; mismatches are counted and the first few printed. rule-engine (and Compact's linear
matching, for reference) see only the first `--slow-incidents` incidents at 1,000 agreements and
more: one incident there takes it seconds. Figures go to stdout and bench/results/peers.json
(peers-quick.json for --quick). Exit status: 0 after a complete run, 1 if a peer is missing, 2 if
any peer disagreed with Compact on any incident.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dsl.types import SCALE_RANK  # noqa: E402
from engine import conditions as C  # noqa: E402
from engine.evaluator import AgreementRun, as_incident, reported_at  # noqa: E402
from engine.index import Library  # noqa: E402


def _bench_engine():
    """bench/engine.py as a module (its name would shadow the `engine` package)."""
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_engine"] = module
    spec.loader.exec_module(module)
    return module


B = _bench_engine()
RESULTS = ROOT / "bench" / "results"
ANCHOR = "compact_peer_anchor"  # a field of value 1 in every durable-rules fact (for "false")

# ---------------------------------------------------------------- translation


class Untranslatable(Exception):
    """A condition the peers cannot be given; its argument says what kind (for the counts):
    breached, party attribute, intersects, nested field, time or date, other."""


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
         ">=": lambda a, b: a >= b}


def tree(cond: C.Cond, depth: int = 0):
    """A compiled condition as a neutral tree, its triggers inlined:
    ("and"|"or", [items]), ("not", item), ("cmp", field, op, value), ("oneof", field, values),
    ("noneof", field, values), ("given", field), ("contains", field, value), ("false",)."""
    if depth > 60:
        raise Untranslatable("other")
    if isinstance(cond, C.Parens):
        return tree(cond.item, depth + 1)
    if isinstance(cond, C.TriggerCall):
        return tree(cond.cond, depth + 1)
    if isinstance(cond, C.AllOf):
        return ("and", [tree(i, depth + 1) for i in cond.items])
    if isinstance(cond, C.AnyOf):
        return ("or", [tree(i, depth + 1) for i in cond.items])
    if isinstance(cond, C.Negation):
        return ("not", tree(cond.item, depth + 1))
    if isinstance(cond, C.IsGiven):
        item = ("given", _field(cond.path), (cond.path.type or "").startswith("list"))
        return ("not", item) if cond.negated else item
    if isinstance(cond, C.Comparison):
        return _comparison(cond)
    if isinstance(cond, C.BreachedClause):
        raise Untranslatable("breached")
    raise Untranslatable("intersects" if isinstance(cond, C.Overlap) else "other")


def _field(path: C.PathOperand) -> str:
    if path.root != "incident":
        raise Untranslatable("party attribute")
    if len(path.names) != 1:
        raise Untranslatable("nested field")
    if path.type in ("time", "date", "list of time", "list of date"):
        raise Untranslatable("time or date")
    return path.field


def _comparison(cond: C.Comparison):
    left, op, right = cond.left, cond.op, cond.right
    if isinstance(left, C.LiteralOperand) and isinstance(right, C.PathOperand) and op in FLIP:
        left, right, op = right, left, FLIP[op]
    if not (isinstance(left, C.PathOperand) and isinstance(right, C.LiteralOperand)):
        raise Untranslatable("other")
    field, value = _field(left), right.value
    listy = (left.type or "").startswith("list")
    if op == "contains":
        if not listy or isinstance(value, (list, dict)):
            raise Untranslatable("other")  # text containment: no peer says it
        return ("contains", field, value)
    if listy:
        raise Untranslatable("other")
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise Untranslatable("other")
        return ("oneof" if op == "in" else "noneof", field, tuple(value))
    if cond.scale is not None and op in ORDER:
        ranks = SCALE_RANK[cond.scale]
        bound = ranks.get(value)
        if bound is None:
            return ("false",)
        return ("oneof", field, tuple(v for v, r in sorted(ranks.items(), key=lambda x: x[1])
                                      if ORDER[op](r, bound)))
    if op in ORDER and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise Untranslatable("other")
    if op not in ("==", "!=", *ORDER) or isinstance(value, (list, dict)) or value is None:
        raise Untranslatable("other")
    return ("cmp", field, op, value)


# rule-engine: a text per clause; every atom is false on a missing field, as in Compact.

def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def rule_engine_text(node) -> str:
    kind = node[0]
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(rule_engine_text(i) for i in node[1]) + ")"
    if kind == "not":
        return f"not {rule_engine_text(node[1])}"
    if kind == "false":
        return "false"
    field = node[1]
    if kind == "given":
        return f"({field} != null)"
    if kind == "contains":
        return f"({field} != null and {_literal(node[2])} in {field})"
    if kind == "oneof":
        return f"({field} in [{', '.join(map(_literal, node[2]))}])"
    if kind == "noneof":
        return f"({field} != null and not {field} in [{', '.join(map(_literal, node[2]))}])"
    op, value = node[2], node[3]
    if op == "==":
        return f"({field} == {_literal(value)})"
    return f"({field} != null and {field} {op} {_literal(value)})"


# durable-rules: no general `not`, so negations are pushed down to the atoms (De Morgan), an
# atom's negation being "missing, or the opposite test". durable-rules' own missing-field test
# (`-m.f`) cannot stand alone in an `or` (the rule never completes) and fills a node's short
# list of such tests quickly, so a fact carries every field the rules read, a missing one as
# MISSING, and "missing" is `m.f == MISSING`; a missing list field is [MISSING] (a list is never
# equal to a text in durable-rules, not even unequal), "missing" then being `anyItem == MISSING`.
MISSING = "\u0000missing"


def durable_expr(node, negated: bool = False):
    from durable.lang import item, m
    kind = node[0]
    if kind == "not":
        return durable_expr(node[1], not negated)
    if kind in ("and", "or"):
        parts = [durable_expr(i, negated) for i in node[1]]
        return _fold(parts, "and" if (kind == "and") != negated else "or")
    if kind == "false":
        return getattr(m, ANCHOR) == (1 if negated else 0)
    f = getattr(m, node[1])
    if kind == "given" and node[2]:  # a list field
        return f.anyItem(item == MISSING) if negated else f.allItems(item != MISSING)
    if kind == "contains":  # a missing list ([MISSING]) contains nothing
        return f.allItems(item != node[2]) if negated else f.anyItem(item == node[2])
    missing, present = f == MISSING, f != MISSING
    if kind == "given":
        return missing if negated else present
    if kind in ("oneof", "noneof"):
        values = node[2]
        if (kind == "oneof") != negated:  # some value equal (negated noneof: or missing)
            some = _fold([f == v for v in values], "or") if values else \
                getattr(m, ANCHOR) == 0
            return (missing | some) if negated else some
        # every value different and given (negated oneof: or missing)
        every = _fold([present] + [f != v for v in values], "and")
        return (missing | every) if negated else every
    op, value = node[2], node[3]
    test = _durable_test(f, NEGATED[op] if negated else op, value)
    if op == "==" and not negated:
        return test
    return (missing | (present & test)) if negated else (present & test)


def _fold(parts, how):
    out = parts[0]
    for p in parts[1:]:
        out = (out | p) if how == "or" else (out & p)
    return out


def _durable_test(f, op, value):
    return {"==": lambda: f == value, "!=": lambda: f != value, "<": lambda: f < value,
            "<=": lambda: f <= value, ">": lambda: f > value, ">=": lambda: f >= value}[op]()


def fields_of(node) -> dict:
    """The fields a tree reads: field -> whether it is a list."""
    if node[0] in ("and", "or"):
        return {k: v for i in node[1] for k, v in fields_of(i).items()}
    if node[0] == "not":
        return fields_of(node[1])
    if node[0] == "false":
        return {}
    return {node[1]: node[0] == "contains" or (node[0] == "given" and node[2])}


# ---------------------------------------------------------------- the engines

class CompactMatching:
    """Compact's matching alone: the index's candidates, then their `when` conditions."""

    def __init__(self, library: Library, keep: set):
        self.library, self.keep = library, keep

    def match(self, data: dict, at) -> set:
        lib, found, runs = self.library, set(), {}
        for ref in lib.candidates(data):
            if ref not in self.keep:
                continue
            a, c = ref
            run = runs.get(a)
            ag = lib.agreements[a]
            if run is None:
                run = runs[a] = AgreementRun(ag, data, at)
            clause = ag.clauses[c]
            if clause.when.holds(run):
                found.add((ag.id, clause.id))
        return found

    def linear(self, data: dict, at) -> set:
        found = set()
        for a, ag in enumerate(self.library.agreements):
            run = AgreementRun(ag, data, at)
            for clause in ag.clauses:
                if (a, clause.index) in self.keep and clause.when.holds(run):
                    found.add((ag.id, clause.id))
        return found


class DurablePeer:
    """The clauses as durable-rules rules. One ruleset holds as many as durable-rules accepts
    (its C core caps the children of a node, 512 tests or 128 list tests, and the depth of its
    matching stack), so a large library is split into rulesets of at most `chunk` rules, the
    largest that builds and matches every incident of `probe` (a pass before timing), and a
    fact is asserted into each. The search starts at 1,024 rules: building one ruleset grows
    much faster than its size (measured at 10,000 agreements, 8,192 rules built in 0.7 s as
    rulesets of 256 and 1.3 s as rulesets of 512, and one ruleset of 2,048 did not finish in
    ten minutes), while matching gains little beyond 512 (p50 0.80, 0.52 and 0.48 ms a fact
    for 256, 512 and 1,024)."""

    def __init__(self, name: str, rules: list[tuple[tuple[str, str], object]],
                 probe: list[dict], chunk: int = 1024):
        from durable.engine import MessageNotHandledException
        self.hits, self.unhandled = [], MessageNotHandledException
        self.fields = {k: v for _, node in rules for k, v in fields_of(node).items()}
        self.prefix, self.builds = name, 0
        while True:
            try:
                self._build(rules, chunk)
                for k, data in enumerate(probe):
                    fact = self.fact(data, -1 - k)
                    self.match(fact)
                    self.clear(fact)
                break
            except Exception as exc:  # durable_rules_engine.error: a limit of its C core
                if chunk == 1 or "error code" not in str(exc):
                    raise
                chunk //= 2
        self.chunk = chunk

    def _build(self, rules, chunk: int) -> None:
        from durable.lang import get_host, ruleset, when_all
        self.names = []
        for start in range(0, len(rules), chunk):
            self.builds += 1
            ruleset_name = f"{self.prefix}_{self.builds}"
            with ruleset(ruleset_name):
                for key, node in rules[start:start + chunk]:
                    when_all(durable_expr(node))(self._action(key))
            self.host = get_host()
            self.names.append(ruleset_name)

    def _action(self, key):
        hits = self.hits

        def action(c):
            hits.append(key)
        return action

    def fact(self, data: dict, serial: int) -> dict:
        out = {f: [MISSING] if listy else MISSING for f, listy in self.fields.items()}
        out.update((k, v) for k, v in data.items() if v is not None)
        out[ANCHOR] = 1
        out["id"] = f"{data.get('id')}#{serial}"
        return out

    def match(self, fact: dict) -> set:
        del self.hits[:]
        for name in self.names:
            try:
                self.host.assert_fact(name, fact)
            except self.unhandled:  # how durable-rules says that no rule matched
                pass
        return set(self.hits)

    def clear(self, fact: dict) -> None:
        for name in self.names:
            try:
                self.host.retract_fact(name, fact)
            except self.unhandled:
                pass


class RuleEnginePeer:
    def __init__(self, rules: list[tuple[tuple[str, str], object]]):
        import rule_engine
        context = rule_engine.Context(default_value=None)
        self.rules = [(key, rule_engine.Rule(rule_engine_text(node), context=context))
                      for key, node in rules]

    def match(self, data: dict) -> set:
        return {key for key, rule in self.rules if rule.matches(data)}


# ---------------------------------------------------------------- measuring

def translate(library: Library):
    """(clause key, tree) for every translatable clause, their refs, and what was left out."""
    rules, keep, skipped = [], set(), {}
    for a, ag in enumerate(library.agreements):
        for clause in ag.clauses:
            try:
                node = tree(clause.when)
            except Untranslatable as exc:
                skipped[str(exc)] = skipped.get(str(exc), 0) + 1
                continue
            rules.append(((ag.id, clause.id), node))
            keep.add((a, clause.index))
    return rules, keep, skipped


def cuts(times: list[float]) -> dict:
    if len(times) < 2:
        return {"p50_ms": times[0] * 1e3 if times else None, "p99_ms": None, "mean_ms": None,
                "n": len(times)}
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3,
            "mean_ms": statistics.mean(times) * 1e3, "n": len(times)}


def run_size(n: int, args, peers: set) -> dict:
    t0 = time.perf_counter()
    cached = Path(args.cache) / f"compiled-{args.seed}-{n}.pickle" if args.cache else None
    if cached is not None and cached.exists():  # written by an earlier run of this script
        with cached.open("rb") as f:
            agreements = pickle.load(f)
    else:
        texts = [B.AgreementWriter(i, args.seed, 1.0, n).text() for i in range(n)]
        agreements = B.compile_all(texts, args.jobs)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with cached.open("wb") as f:
                pickle.dump(agreements, f, protocol=pickle.HIGHEST_PROTOCOL)
    load_s = time.perf_counter() - t0
    library = Library(agreements)
    library.known = B.on_record(n)
    rules, keep, skipped = translate(library)
    incidents = B.make_incidents(args.incidents, args.seed, n)
    slow = args.incidents if n < 1000 else min(args.incidents, args.slow_incidents)
    datas = [as_incident(inc).for_language(None) for inc, _ in incidents]
    t0 = time.perf_counter()
    engines = {}
    built = {}
    if "durable-rules" in peers:
        t1 = time.perf_counter()
        engines["durable-rules"] = DurablePeer(f"compact_{n}_{os.getpid()}", rules, datas)
        built["durable-rules"] = time.perf_counter() - t1
    if "rule-engine" in peers:
        t1 = time.perf_counter()
        engines["rule-engine"] = RuleEnginePeer(rules)
        built["rule-engine"] = time.perf_counter() - t1
    compact = CompactMatching(library, keep)
    # warm every engine once, then keep what exists out of the collector's reach
    first = datas[0]
    compact.match(first, incidents[0][1] or reported_at(first))
    library.evaluate(*incidents[0]).to_json(compact=True)
    if "durable-rules" in engines:
        fact = engines["durable-rules"].fact(first, -1)
        engines["durable-rules"].match(fact)
        engines["durable-rules"].clear(fact)
    gc.collect()
    gc.freeze()
    times = {k: [] for k in ("compact matching", "compact evaluation+JSON",
                             "compact linear matching", *engines)}
    mismatches = {k: 0 for k in engines}
    shown = []
    matched = []
    clock = time.perf_counter
    for k, ((inc, at), data) in enumerate(zip(incidents, datas)):
        moment = at or reported_at(data)
        t = clock()
        expected = compact.match(data, moment)
        times["compact matching"].append(clock() - t)
        t = clock()
        library.evaluate(inc, at).to_json(compact=True)
        times["compact evaluation+JSON"].append(clock() - t)
        matched.append(len(expected))
        found = {}
        if k < slow:
            t = clock()
            linear = compact.linear(data, moment)
            times["compact linear matching"].append(clock() - t)
            if linear != expected:
                raise SystemExit(f"Compact's index and its linear matching disagree on {inc['id']}")
        if "durable-rules" in engines:
            peer = engines["durable-rules"]
            fact = peer.fact(data, k)
            t = clock()
            found["durable-rules"] = peer.match(fact)
            times["durable-rules"].append(clock() - t)
            peer.clear(fact)
        if "rule-engine" in engines and k < slow:
            t = clock()
            found["rule-engine"] = engines["rule-engine"].match(data)
            times["rule-engine"].append(clock() - t)
        for name, got in found.items():
            if got != expected:
                mismatches[name] += 1
                if len(shown) < 5:
                    shown.append({"engine": name, "incident": inc, "missing": sorted(
                        expected - got)[:5], "extra": sorted(got - expected)[:5]})
    gc.unfreeze()
    return {"agreements": n, "clauses": library.total_clauses, "translated": len(rules),
            "left_out": skipped, "load_s": load_s, "peer_build_s": built,
            "durable_rulesets": len(engines["durable-rules"].names)
            if "durable-rules" in engines else None,
            "durable_chunk": engines["durable-rules"].chunk if "durable-rules" in engines else None,
            "matching_clauses": statistics.mean(matched), "incidents": len(incidents),
            "slow_incidents": slow, "engines": {k: cuts(v) for k, v in times.items()},
            "mismatches": mismatches, "examples": shown}


def table(results: dict) -> str:
    names = ["compact matching", "durable-rules", "rule-engine", "compact evaluation+JSON",
             "compact linear matching"]
    lines = [f"{'engine':28}{'agreements':>11}{'p50':>11}{'p99':>11}{'mean':>11}"
             f"{'incidents':>10}{'mismatches':>11}"]
    for n, r in sorted(results.items()):
        lines.append("-" * 93)
        for name in names:
            if name not in r["engines"]:
                continue
            e = r["engines"][name]
            fmt = lambda v: "-" if v is None else f"{v:.3f} ms"  # noqa: E731
            lines.append(f"{name:28}{n:>11,}{fmt(e['p50_ms']):>11}{fmt(e['p99_ms']):>11}"
                         f"{fmt(e['mean_ms']):>11}{e['n']:>10}"
                         f"{r['mismatches'].get(name, '-'):>11}")
        left = ", ".join(f"{k} {v}" for k, v in sorted(r["left_out"].items())) or "none"
        ahead = []
        for peer in ("durable-rules", "rule-engine"):
            if peer in r["engines"] and r["engines"][peer]["p50_ms"]:
                ahead.append(f"{peer} p50 / Compact matching p50 = "
                             f"{r['engines'][peer]['p50_ms'] / r['engines']['compact matching']['p50_ms']:.1f}x")
        lines.append(f"  {r['translated']:,} of {r['clauses']:,} clauses given to the peers "
                     f"(left out: {left}); {r['matching_clauses']:.1f} matching per incident; "
                     f"durable-rules in {r['durable_rulesets']} ruleset(s)")
        if ahead:
            lines.append("  " + "; ".join(ahead))
    return "\n".join(lines)


def available() -> dict[str, str | None]:
    """Each peer's import error, or None when it is importable."""
    out = {}
    for name, module in (("durable-rules", "durable.lang"), ("rule-engine", "rule_engine")):
        try:
            importlib.import_module(module)
            out[name] = None
        except ImportError as exc:
            out[name] = str(exc)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--incidents", type=int, default=200)
    ap.add_argument("--slow-incidents", type=int, default=20,
                    help="incidents for rule-engine and linear matching at 1,000+ agreements")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="compiling processes")
    ap.add_argument("--cache", help="a folder of your own for the compiled libraries (pickles "
                    "this script writes and reads back: compiling 10,000 takes minutes)")
    ap.add_argument("--quick", action="store_true", help="smoke run: size 100, 20 incidents")
    ap.add_argument("--output", help="default bench/results/peers.json (peers-quick.json)")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.incidents = "100", min(args.incidents, 20)
    args.output = args.output or str(RESULTS / f"peers{'-quick' if args.quick else ''}.json")
    missing = {k: v for k, v in available().items() if v}
    if missing:
        print("missing peers (pip install -e '.[bench]'): " +
              "; ".join(f"{k}: {v}" for k, v in missing.items()), file=sys.stderr)
        return 1
    results, started = {}, time.perf_counter()
    for n in sorted(int(s) for s in args.sizes.split(",")):
        results[n] = run_size(n, args, {"durable-rules", "rule-engine"})
        print(f"  size {n:,} measured ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"\nCompact and peer rule engines (seed {args.seed}, {args.incidents} incidents, "
          f"load average {os.getloadavg()[0]:.1f}); times per incident")
    print(table(results))
    for r in results.values():
        for example in r["examples"]:
            print("MISMATCH", json.dumps(example)[:400])
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "seed": args.seed, "incidents": args.incidents, "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "load": os.getloadavg(), "commit": B.HEAD,
        "sizes": {str(n): r for n, r in results.items()}}, indent=2, default=str) + "\n")
    print(f"total {time.perf_counter() - started:.0f} s; wrote {out}")
    return 2 if any(v for r in results.values() for v in r["mismatches"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
