"""Benchmark of the Compact engine: parsing, compiling, indexing and evaluating a synthetic library.

    .venv/bin/python bench/engine.py [--sizes 10,100,1000,10000] [--incidents 200] [--seed 7]
    .venv/bin/python bench/engine.py --quick            # smoke run: sizes 10,100, 40 incidents

A deterministic library of agreement *texts* is generated (3-6 parties from a shared pool of
organisations in a world of regions that grows with the library, a `fields` block, roles of every form, 1-4 triggers, 5-20 clauses
over 45 hazard types, each clause about a hazard in the agreement's own regions; about 0.3% of
clauses have no indexable condition). Each text is compiled
once with `engine.compiler.load` (in a process pool for 1,000+ agreements: parsing is slow);
each size is its own library in a world of its own size, so that about as many agreements speak
of any one region at every size, and its incidents happen in that world. Random incidents are evaluated through the index
(`Library.evaluate`) and linearly (`Library.evaluate_linear`), each timed with writing its compact
JSON (`to_json(compact=True)`, what `POST /api/evaluate` does; "no JSON" rows time the evaluation
alone); both JSON texts (compact and indented) must be equal byte for byte, otherwise the run
stops with a reproducer in bench/results/. Objects alive after compiling, and the
index once built, are moved out of the garbage collector's reach (`gc.freeze()`), as a
long-running server would.
Figures go to stdout and to bench/results/engine.json (engine-quick.json for --quick), with
PASS/MISS per target ("faster" compares mean time per incident unless it says p99). Exit status: 0 after a complete
run whatever the targets; 1 (with a message) if the index and the linear evaluator disagree.
"""

from __future__ import annotations

import argparse
import copyreg
import gc
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the `engine` package, not this file

from dsl.errors import CompactError  # noqa: E402
from dsl.parser import parse  # noqa: E402
from engine import conditions as C  # noqa: E402
from engine.compiler import load  # noqa: E402
from engine.index import Library  # noqa: E402

RESULTS = ROOT / "bench" / "results"

# ---------------------------------------------------------------- the synthetic world

HAZARDS = (
    "flood, flash flood, wildfire, tornado, winter storm, hazmat, earthquake, hurricane, tropical "
    "storm, storm surge, landslide, mudslide, drought, heat wave, cold wave, ice storm, blizzard, "
    "avalanche, tsunami, volcanic ash, dam failure, levee breach, power outage, water "
    "contamination, gas leak, chemical spill, oil spill, radiological release, structure fire, "
    "industrial explosion, building collapse, bridge collapse, train derailment, aviation "
    "accident, maritime accident, mass casualty, pandemic, animal disease, cyber attack, civil "
    "unrest, terrorist attack, active shooter, mass gathering, evacuation, sinkhole").split(", ")
HAZARD_WEIGHTS = [1 / (1 + i) ** 0.6 for i in range(len(HAZARDS))]  # floods are commoner
STATES = ["Columbia", "Jefferson", "Franklin", "Superior", "Lincoln", "Cascadia", "Sequoyah",
          "Absaroka", "Deseret", "Westmoreland"]
_NAMES = [f"{a} {b}" for b in ("Valley", "Hills", "Coast", "Plains", "Lakes", "Ridge", "Delta",
                               "Basin", "Forest") for a in ("North", "South", "East", "West",
                                                            "Central", "Upper", "Lower")][:60]
# The world grows with the library: agreement i is drawn from the first world(i) regions, so a
# larger library covers more jurisdictions rather than piling more agreements onto each one
# (about AGREEMENTS_PER_REGION agreements speak of any one region, at every size).
AGREEMENTS_PER_REGION = 6
REGIONS = _NAMES + [f"{_NAMES[k % 60]} {k // 60 + 1}" for k in range(60, 2000)]
STATE_OF = {r: i % len(STATES) for i, r in enumerate(REGIONS)}
GEOCODES = {r: [f"FIPS:{STATE_OF[r] + 10:02d}{i * 10 + k:05d}" for k in range(4)]
            for i, r in enumerate(REGIONS)}


def world(size: int) -> list[str]:
    """The regions of a library of `size` agreements."""
    return REGIONS[:min(len(REGIONS), max(60, size // AGREEMENTS_PER_REGION))]
ORG_KINDS = [("oem", "Office of Emergency Management"), ("fire", "Fire Department"),
             ("ems", "Emergency Medical Services"), ("hosp", "Hospital Coalition"),
             ("util", "Electric Utility"), ("water", "Water District"),
             ("works", "Department of Public Works"), ("redcross", "Red Cross Chapter")]
DECLS = ["none", "local", "state", "federal"]
SEVERITIES = ["minor", "moderate", "severe", "extreme", "unknown"]
UNLESS = ["incident.displaced > 10000", "incident.aid_donated == yes",
          'incident.status == "exercise"', 'incident.severity <= "minor"']
COSTS = ["borne by requesting", "shared equally by requesting, coordinator",
         "shared requesting 75%, coordinator 25%"]
LEGAL = ("The {who} party shall {verb} as set out in section {n} of the operational annex, in "
         "accordance with applicable law and the incident command structure.")
VERBS = ["notify", "deploy", "report", "shelter", "assess", "supply", "escort", "inspect",
         "restore", "staff", "decontaminate", "coordinate"]


def slug(text: str) -> str:
    return text.lower().replace(" ", "_")


def q(value) -> str:
    """A text or a list of texts, written as the language writes them (as JSON does)."""
    return json.dumps(value)


def orgs_of(region: str) -> list[dict]:
    """The organisations of a region: the same ids in every agreement (one organisation each)."""
    return [{"id": f"{slug(region)}_{kind}", "name": f"{region} {label}", "region": region,
             "area": GEOCODES[region][i:i + 1 + i % 2] if i < 3 else None}
            for i, (kind, label) in enumerate(ORG_KINDS)]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- agreement text

class AgreementWriter:
    """One agreement's text, from its own random stream (so agreement i never depends on N)."""

    def __init__(self, index: int, seed: int, one_of_share: float, size: int):
        self.i, self.one_of_share, self.world = index, one_of_share, world(size)
        self.rng = random.Random(seed * 1_000_003 + index)

    def text(self) -> str:
        rng, i = self.rng, self.i
        state = rng.randrange(len(STATES))
        local = [r for r in self.world if STATE_OF[r] == state]
        self.regions = rng.sample(local, min(len(local), rng.randint(1, 3)))
        pool = [o for r in self.regions for o in orgs_of(r)]
        seoc = {"id": f"{slug(STATES[state])}_seoc", "region": "Statewide", "area": None,
                "name": f"State of {STATES[state]} Emergency Operations Center"}
        self.parties = rng.sample(pool, min(len(pool), rng.randint(2, 5))) + [seoc]
        rng.shuffle(self.parties)
        self.hazards = sorted(set(rng.choices(HAZARDS, HAZARD_WEIGHTS, k=rng.randint(2, 8))))
        start = rng.choice(["2024-01-01", "2025-07-01", "2026-01-01"])
        until = rng.choices([" until 2029-12-31", " until 2025-12-31", ""], [85, 5, 10])[0]
        if until == " until 2025-12-31" or rng.random() < 0.04:  # expired, or not yet in effect
            start, until = ("2024-01-01", until) if until else ("2027-01-01", "")
        title = f"Mutual Aid Agreement {i} for {', '.join(self.regions)}"
        exposed = f"The Parties are exposed to {', '.join(self.hazards)} beyond any one's means."
        out = [f"# Synthetic agreement {i} (bench/engine.py)",
               f"agreement bench-{i:05d}-{slug(self.regions[0]).replace('_', '-')}",
               f"  title {q(title)}", f"  kind {rng.choice(['mou', 'mutual-aid', 'compact'])}",
               f"  {rng.choice(['binding', 'non-binding'])}", f"  effective {start}{until}",
               f"  governing law {q('the laws of the State of ' + STATES[state])}",
               f"  withdrawal notice {rng.choice([30, 60, 90])} days", "", f"recital {q(exposed)}",
               'recital "The Parties wish to arrange assistance before the next emergency."', ""]
        for p in self.parties:
            out += [f"party {p['id']} {q(p['name'])}", f"  region {q(p['region'])}"]
            out += [f"  area {q(p['area'])}"] if p["area"] else []
            out += [f"  contact {q(p['id'].replace('_', '-') + '@ops.example')}",
                    '  signatory "Director"', ""]
        out.append("fields")
        if rng.random() < self.one_of_share:
            out.append(f"  type text one of {', '.join(q(h) for h in self.hazards)}")
        out += ["  displaced number", "  declaration text one of " + ", ".join(map(q, DECLS)),
                "  requested_by party", "  requested_at time", "  aid_donated yes/no", "",
                f"role coordinator is {seoc['id']}", "role requesting is incident.requested_by",
                "role affected is parties where party.region == incident.region",
                "role assisting is parties except requesting, coordinator",
                "role impacted is parties whose area intersects incident.area",
                f"role leads is {', '.join(p['id'] for p in self.parties[:2])}", ""]
        self.roles = ["coordinator", "requesting", "affected", "assisting", "impacted", "leads"]
        self.triggers = []
        for t in range(rng.randint(1, 4)):  # a named hazard, or mass displacement
            h = self.hazards[t % len(self.hazards)]
            self.triggers.append(f"t{t}_major_{slug(h)}" if t < 3 else "t3_mass_displacement")
            out.append(f"trigger {self.triggers[-1]} when " + (
                f"incident.type == {q(h)} and {self.here()} and {self.refinement()}" if t < 3
                else f"incident.displaced >= {rng.choice([1000, 2500, 5000])} and {self.here()}"))
        self.musts: list[str] = []  # earlier `must` clauses with a deadline, for `breached`
        for c in range(rng.randint(5, 20)):
            out += [""] + self.clause(c)
        return "\n".join(out) + "\n"

    def here(self) -> str:
        """The agreement's own jurisdiction: a local agreement speaks of incidents there."""
        if len(self.regions) == 1 or self.rng.random() < 0.3:
            return f"incident.region == {q(self.rng.choice(self.regions))}"
        return f"incident.region in {q(self.regions)}"

    def scope(self) -> str:
        """A selective condition, as real clauses have: a hazard in the agreement's jurisdiction."""
        rng, k = self.rng, self.rng.random()
        if k < 0.55:
            return f"incident.type == {q(rng.choice(self.hazards))} and {self.here()}"
        if k < 0.75:
            return (f"incident.type in {q(rng.sample(self.hazards, min(2, len(self.hazards))))} "
                    f"and {self.here()}")
        if k < 0.9:
            return f"{self.here()} and incident.type == {q(rng.choice(self.hazards))}"
        # A neighbouring region's hazard (border agreements).
        return f"incident.region in {q(rng.sample(self.world, 2))} and incident.type == " \
               f"{q(rng.choice(self.hazards))}"

    def refinement(self) -> str:
        rng = self.rng
        return rng.choice([
            f"incident.severity >= {q(rng.choice(['moderate', 'severe', 'extreme']))}",
            f"incident.urgency >= {q(rng.choice(['expected', 'immediate']))}",
            'incident.certainty >= "likely"',
            f"incident.displaced >= {rng.choice([50, 100, 500, 1000])}",
            f"incident.displaced < {rng.choice([100, 1000])}", "incident.requested_by is given",
            "incident.requested_by is not given", 'incident.declaration in ["state", "federal"]',
            f"incident.area contains {q(rng.choice(GEOCODES[rng.choice(self.regions)]))}",
            f"not (incident.region == {q(rng.choice(self.world))})"])

    def condition(self) -> str:
        rng, k = self.rng, self.rng.random()
        refine = lambda n: "".join(f" and {self.refinement()}" for _ in range(n))  # noqa: E731
        if k < 0.003:  # nothing the index can file the clause under
            # Still local, as real clauses are: scoped by a geocode the index cannot key on.
            code = q(GEOCODES[self.regions[0]][0])
            return rng.choice([f'incident.area contains {code} and incident.status != "exercise"',
                               f"incident.area contains {code} and not (incident.type in "
                               f"{q(self.hazards[:2])})",
                               f"incident.area contains {code}"])
        if k < 0.01:  # broad: any very large incident
            return rng.choice(['incident.severity >= "extreme" and incident.displaced >= 20000',
                               "incident.displaced >= 50000",
                               f'incident.declaration == "federal" and {self.here()}'])
        if k < 0.14 and self.musts:
            return f"breached {rng.choice(self.musts)}" + refine(rng.randint(0, 1))
        if k < 0.30:
            return rng.choice(self.triggers) + refine(rng.randint(0, 1))
        if k < 0.42:
            return f"({self.scope()} or {self.scope()}){refine(1)}"
        if k < 0.52:
            return f"{self.scope()}{refine(1)} or {self.scope()}{refine(1)}"
        return self.scope() + refine(rng.choice([0, 1, 1, 2]))

    def clause(self, c: int) -> list[str]:
        rng = self.rng
        verb = rng.choice(VERBS)
        cid = f"c{c:02d}_{verb}"
        modality = rng.choices(["must", "may", "must not"], [70, 15, 15])[0]
        who = rng.choice(self.roles) if rng.random() < 0.9 else rng.choice(self.parties)["id"]
        deadline, n = "", rng.randint(1, 48)
        if modality == "must":
            unit = rng.choice(["minutes", "hours", "days", "business days", "weeks"])
            by = datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
            deadline = rng.choice([
                f" within {n} {unit}", f" within {n} hours", f" by {stamp(by)}",
                f" within {n} hours of incident.requested_at",
                f" within {n} hours of breach of {rng.choice(self.musts)}" if self.musts else ""])
        action = q(f"{verb} as agreed in section {c + 1} of the annex")
        lines = [f"clause {cid} {q(f'{verb.title()} duty {c + 1}')}", f"  when {self.condition()}",
                 f"  {who} {modality} {action}{deadline}"]
        if rng.random() < 0.2:
            lines.append("  unless " + rng.choice(UNLESS))
        if modality == "must" and rng.random() < 0.25:
            lines.append("  costs " + rng.choice(COSTS))
        if rng.random() < 0.5:
            lines.append(f"  text {q(LEGAL.format(who=who, verb=verb, n=c + 1))}")
        if deadline and " of breach of " not in deadline:
            self.musts.append(cid)
        return lines


def make_incidents(count: int, seed: int, size: int) -> list[tuple[dict, datetime | None]]:
    """Valid incidents in 2026 with evaluation times; 40% evaluated later (to reach breaches)."""
    rng, base = random.Random(seed * 7_919 + 1), datetime(2026, 1, 1, tzinfo=timezone.utc)
    out = []
    for k in range(count):
        region = rng.choice(world(size))
        reported = base + timedelta(minutes=rng.randrange(525_600))
        inc = {"id": f"INC-{k:05d}", "type": rng.choices(HAZARDS, HAZARD_WEIGHTS)[0],
               "reported_at": stamp(reported), "region": region,
               "severity": rng.choices(SEVERITIES, [30, 35, 20, 8, 7])[0],
               "urgency": rng.choice(["past", "future", "expected", "immediate", "unknown"]),
               "certainty": rng.choice(["unlikely", "possible", "likely", "observed"]),
               "area": rng.sample(GEOCODES[region], rng.randint(1, 3)),
               "displaced": int(rng.lognormvariate(3.5, 1.8)),
               "declaration": rng.choices(DECLS, [40, 35, 20, 5])[0]}
        if rng.random() < 0.05:
            inc["status"] = rng.choice(["exercise", "test"])
        if rng.random() < 0.5:
            inc["requested_by"] = rng.choice(orgs_of(region))["id"]
            inc["requested_at"] = stamp(reported + timedelta(minutes=rng.randrange(240)))
        if rng.random() < 0.2:
            inc["aid_donated"] = rng.random() < 0.5
        if rng.random() < 0.1:
            inc["fulfilled"] = [{"clause": f"c{rng.randrange(8):02d}_notify", "party": rng.choice(
                orgs_of(region))["id"], "at": stamp(reported + timedelta(hours=1))}]
        later = reported + timedelta(hours=rng.randint(2, 96))
        out.append((inc, later if rng.random() < 0.4 else None))
    return out


# ---------------------------------------------------------------- compiling

def _proxy(items: dict) -> MappingProxyType:
    return MappingProxyType(items)


# Compiled agreements cross process boundaries only here: a mappingproxy and a Comparison (which
# holds a lambda) cannot be pickled as they are, so they travel as their constructor arguments.
copyreg.pickle(MappingProxyType, lambda m: (_proxy, (dict(m),)))
copyreg.pickle(C.Comparison, lambda c: (C.Comparison, (c.left, c.op, c.right, c.scale)))


def _load_chunk(chunk: list[tuple[int, str]]) -> list:
    try:
        return [load(text, f"bench-{k}.agreement") for k, text in chunk]
    except CompactError as exc:
        raise ValueError(str(exc)) from None  # CompactError may not survive pickling


def compile_all(texts: list[str], jobs: int) -> list:
    """`engine.compiler.load` on every text, in a process pool for 1,000 texts and more."""
    numbered = list(enumerate(texts))
    chunks = [numbered[i:i + 100] for i in range(0, len(texts), 100)]
    out, t0 = [], time.perf_counter()
    try:
        if jobs <= 1 or len(texts) < 1000:
            return [ag for chunk in chunks for ag in _load_chunk(chunk)]
        # (an executor, not a Pool: a worker that dies breaks the run instead of hanging it)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for part in pool.map(_load_chunk, chunks):
                out.extend(part)
                if len(out) % max(1000, len(texts) // 10) == 0:
                    print(f"  compiled {len(out):,}/{len(texts):,} "
                          f"({time.perf_counter() - t0:.0f} s)", flush=True)
        return out
    except ValueError as exc:
        sys.exit(f"a generated agreement does not check (a bug in bench/engine.py):\n{exc}")


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, text=True, capture_output=True,
                              timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""  # no git: figures are still written, without the commit


def engine_diff() -> str:
    """Uncommitted changes to engine/ and dsl/: other people edit them while this runs."""
    return git("diff", "HEAD", "--", "engine", "dsl")


DIFF_AT_START, HEAD = engine_diff(), git("rev-parse", "--short", "HEAD").strip()

# ---------------------------------------------------------------- measuring


def timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def mismatch(n: int, inc: dict, at, indexed, linear, agreements, texts, seed: int):
    """Write a reproducer for an engine bug (index and linear disagree) and stop."""
    a, b = indexed.as_dict(), linear.as_dict()
    involved = {x["agreement"] for key in ("duties", "warnings") for x in a[key] + b[key]
                if (x in a[key]) != (x in b[key])}
    keep = [(ag, t) for ag, t in zip(agreements, texts) if ag.id in involved]
    keep = keep or list(zip(agreements, texts))
    small = Library([ag for ag, _ in keep])
    small.known = on_record(n)
    still = small.evaluate(inc, at).as_dict() != small.evaluate_linear(inc, at).as_dict()
    path = RESULTS / f"mismatch-{n}-{inc['id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "seed": seed, "size": n, "incident": inc, "at": at.isoformat() if at else None,
        "agreements": {ag.id: t for ag, t in keep}, "only_these_still_disagree": still,
        "engine_diff_at_start": DIFF_AT_START, "engine_diff_now": engine_diff(),
        "indexed": a, "linear": b}, indent=2))
    sys.exit(f"\nENGINE BUG: Library.evaluate and evaluate_linear disagree at size {n} on "
             f"incident {inc['id']} (at={at}); agreements involved: {sorted(involved) or 'all'}; "
             f"a library of only those still disagrees: {still}.\nReproducer: {path} (replay: "
             "Library([load(t) for t in agreements.values()]).evaluate(incident, at) against "
             ".evaluate_linear; it also holds the engine's diff from HEAD)")


def on_record(size: int) -> frozenset:
    """Every organisation of the generated world, as the application has them on record: an
    incident's party fields may name any of them (interfaces.md)."""
    return frozenset(o["id"] for region in world(size) for o in orgs_of(region))


def answer(evaluate, inc, at):
    """What the API does per incident: evaluate, then write the compact JSON; both times."""
    t0 = time.perf_counter()
    result = evaluate(inc, at)
    t1 = time.perf_counter()
    text = result.to_json(compact=True)
    return result, text, t1 - t0, time.perf_counter() - t0


def run_size(n, agreements, texts, incidents, linear_limit, seed) -> dict:
    library, build = timed(Library, agreements[:n])
    library.known = on_record(n)
    library.evaluate(*incidents[0]), library.evaluate_linear(*incidents[0])  # warm caches
    # The index too is built once and kept, as a server keeps it: out of the collector's reach.
    gc.collect()
    gc.freeze()
    ts = {"indexed": [], "linear": [], "indexed_evaluation": []}
    share, duties = {"indexed": [], "linear": []}, []
    for k, (inc, at) in enumerate(incidents):
        runs = [("indexed", library.evaluate)]
        runs += [("linear", library.evaluate_linear)] if k < linear_limit else []
        results, texts_of = {}, {}
        for name, evaluate in runs:
            results[name], texts_of[name], t_eval, t = answer(evaluate, inc, at)
            ts[name].append(t)
            if name == "indexed":
                ts["indexed_evaluation"].append(t_eval)
            share[name].append(results[name].clauses_examined / max(results[name].clauses_total, 1))
        duties.append(len(results["indexed"].duties))
        # Byte for byte: the compact JSON (the API's) and the indented one (the CLI's).
        if "linear" in results and (texts_of["indexed"] != texts_of["linear"] or
                                    results["indexed"].to_json() != results["linear"].to_json()):
            mismatch(n, inc, at, results["indexed"], results["linear"], agreements[:n], texts[:n],
                     seed)
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    out = {"agreements": n, "clauses": library.total_clauses, "index_build_ms": build * 1e3,
           "always_clauses": len(getattr(library, "_always", ())),  # an internal of the index
           "duties": mean(duties), "incidents": {m: len(ts[m]) for m in share}}
    for m in ts:
        cuts = statistics.quantiles(ts[m], n=100, method="inclusive")  # percentiles 1..99
        out[m] = {"p50_ms": cuts[49] * 1e3, "p99_ms": cuts[98] * 1e3, "mean_ms": mean(ts[m]) * 1e3,
                  "per_s": 1 / mean(ts[m])}
        if m in share:
            out[m]["examined"] = mean(share[m])
    out["speedup"] = {k: out["linear"][k] / out["indexed"][k]
                      for k in ("p50_ms", "p99_ms", "mean_ms")}
    return out


def targets(sizes: dict) -> list[dict]:
    """PASS/MISS per target; "faster" compares the mean time per incident (throughput), or the
    99th percentiles where it says so."""
    out = []
    for n, name, limit in ((1000, "indexed p99 < 1 ms", 1.0),
                           (1000, "indexed >= 10x faster than linear", 10),
                           (10000, "indexed >= 50x faster than linear", 50),
                           (10000, "indexed >= 50x faster than linear at the p99", 50),
                           (10, "indexed no slower than linear", 1)):
        if n in sizes:
            p99 = sizes[n]["indexed"]["p99_ms"]
            speedup = sizes[n]["speedup"]["p99_ms" if "at the p99" in name else "mean_ms"]
            ok, value = (p99 < limit, f"{p99:.3f} ms") if name.endswith("ms") else (
                speedup >= limit, f"{speedup:.1f}x")
            out.append({"size": n, "target": name, "pass": ok, "value": value})
    return out


ROWS = [  # label, key path in a size's figures, format
    ("clauses", "clauses", "{:,}"), ("clauses never indexed", "always_clauses", "{:,}"),
    ("index build", "index_build_ms", "{:.1f} ms"), ("duties per incident", "duties", "{:,.1f}"),
    ("incidents indexed/linear", "incidents", "{0[indexed]}/{0[linear]}"),
    *[(f"{m} {label}", f"{m}.{key}", fmt) for m in ("indexed", "linear") for label, key, fmt in (
        ("p50", "p50_ms", "{:.3f} ms"), ("p99", "p99_ms", "{:.3f} ms"),
        ("incidents/s", "per_s", "{:,.1f}"), ("clauses examined", "examined", "{:.2%}"))],
    ("indexed p50, no JSON", "indexed_evaluation.p50_ms", "{:.3f} ms"),
    ("indexed p99, no JSON", "indexed_evaluation.p99_ms", "{:.3f} ms"),
    *[(f"speed-up {k}", f"speedup.{k}_ms", "{:.1f}x") for k in ("p50", "p99", "mean")]]


def table(p: dict, sizes: dict, checks: list[dict]) -> str:
    def cell(s, path, fmt):
        for key in path.split("."):
            s = s[key]
        return fmt.format(s)
    ns, w = sorted(sizes), max(len(r[0]) for r in ROWS) + 2
    lines = ["agreements".ljust(w) + "".join(f"{n:>13,}" for n in ns), "-" * (w + 13 * len(ns))]
    lines += [label.ljust(w) + "".join(f"{cell(sizes[n], key, fmt):>13}" for n in ns)
              for label, key, fmt in ROWS]
    lines += ["", f"parse: {p['parse_ms_per_kb']:.2f} ms/KB ({p['sample']} texts, "
                  f"{p['sample_kb']:.0f} KB, {p['mean_kb']:.1f} KB each); load (parse+check+"
                  f"compile) of {p['agreements']:,}: {p['load_s']:.1f} s wall, {p['jobs']} "
                  "process(es)", "", "targets:"]
    lines += [f"  {'PASS' if c['pass'] else 'MISS'}  {c['size']:>6,} agreements: {c['target']} "
              f"({c['value']})" for c in checks]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--incidents", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--linear-large", type=int, default=30,
                    help="incidents evaluated linearly at 5,000 agreements and more")
    ap.add_argument("--one-of-share", type=float, default=1.0,
                    help="share of agreements narrowing `type` with `one of` (a warning source)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="compiling processes")
    ap.add_argument("--quick", action="store_true", help="smoke run: sizes 10,100, 40 incidents")
    ap.add_argument("--output", help="default bench/results/engine.json (engine-quick.json)")
    args = ap.parse_args(argv)
    if args.quick:  # its own output file, so a smoke test never overwrites the full figures
        args.sizes, args.incidents = "10,100", min(args.incidents, 40)
    args.output = args.output or str(RESULTS / f"engine{'-quick' if args.quick else ''}.json")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    total, started = max(sizes), time.perf_counter()
    if DIFF_AT_START:
        print(f"note: engine/ or dsl/ differ from HEAD ({HEAD}): measuring uncommitted edits")
    results, parse_stats = {}, None
    for n in sizes:
        # Each size is a library of its own, in a world of its size (see `world`).
        texts = [AgreementWriter(i, args.seed, args.one_of_share, n).text() for i in range(n)]
        if n == total:
            sample = texts[::max(1, total // 200)][:200]
            parse_s = sum(timed(parse, t, f"sample-{k}.agreement")[1]
                          for k, t in enumerate(sample))
            kb = sum(len(t.encode()) for t in sample) / 1024
        agreements, load_s = timed(compile_all, texts, args.jobs)
        if n == total:
            parse_stats = {"sample": len(sample), "sample_kb": kb, "mean_kb": kb / len(sample),
                           "parse_ms_per_kb": parse_s * 1e3 / kb, "agreements": total,
                           "load_s": load_s,
                           "jobs": args.jobs if total >= 1000 and args.jobs > 1 else 1}
        gc.collect()
        gc.freeze()
        incidents = make_incidents(args.incidents, args.seed, n)
        limit = args.linear_large if n >= 5000 else args.incidents
        results[n], t = timed(run_size, n, agreements, texts, incidents, limit, args.seed)
        del agreements
        gc.unfreeze()
        print(f"  size {n:,}: measured in {t:.1f} s", flush=True)
    checks = targets(results)
    print(f"\nCompact engine benchmark (seed {args.seed}, {args.incidents} incidents, `type one "
          f"of` in {args.one_of_share:.0%} of agreements, load average {os.getloadavg()[0]:.1f})")
    print(table(parse_stats, results, checks))
    if any(n >= 5000 for n in sizes):
        print(f"\nnote: at 5,000+ agreements only the first {args.linear_large} incidents are "
              "evaluated linearly (it is slow there); indexed figures use all of them, and the "
              "equality check covers the incidents evaluated both ways.")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "seed": args.seed, "incidents": args.incidents, "one_of_share": args.one_of_share,
        "python": sys.version.split()[0], "cpus": os.cpu_count(), "load": os.getloadavg(),
        "commit": HEAD, "engine_uncommitted_edits": bool(DIFF_AT_START), "parse": parse_stats,
        "sizes": {str(n): r for n, r in results.items()}, "targets": checks}, indent=2) + "\n")
    print(f"total {time.perf_counter() - started:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
