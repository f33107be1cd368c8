"""Benchmark of reading agreement text: the hand-written reader against the pyparsing grammar.

    .venv/bin/python bench/parser.py            # the library and 1,000 synthetic agreements
    .venv/bin/python bench/parser.py --quick    # the library and 50 (the test suite runs this)

For the agreements of agreements/library/ and the synthetic texts of bench/engine.py, each text
is parsed with `dsl.parser.parse` as it runs (the fast reader, falling back to the grammar when
unsure) and with `fast=False` (the grammar alone); both trees are compared field by field,
spans included, and each timing is the best of --repeats runs over the set. It also times the
whole of a cold compile (parse, check, compile), which is what a start without cached compiled
forms pays per agreement. Figures go to stdout and to bench/results/parser.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"


def _engine_bench():
    if str(ROOT / "bench") not in sys.path:
        sys.path.append(str(ROOT / "bench"))
    import store
    return store.bench_module("engine")


def best(fn, texts, repeats: int) -> float:
    """The best time of `repeats` passes over all texts, in ms per text."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for text in texts:
            fn(text)
        times.append(time.perf_counter() - t)
    return min(times) / len(texts) * 1000


def measure(name: str, texts: list[str], repeats: int) -> dict:
    from dsl import fastparse
    from dsl.ast import tree_difference as difference
    from dsl.parser import blank_comments, parse
    from engine.compiler import compile_source

    handled = sum(fastparse.read(blank_comments(t)) is not None for t in texts)
    differing = [i for i, t in enumerate(texts)
                 if difference(parse(t), parse(t, fast=False)) is not None]
    fast_ms = best(parse, texts, repeats)
    grammar_ms = best(lambda t: parse(t, fast=False), texts, repeats)
    compile_ms = best(compile_source, texts, max(1, repeats // 2))
    kb = sum(len(t.encode()) for t in texts) / len(texts) / 1024
    return {"set": name, "texts": len(texts), "mean_kb": round(kb, 1),
            "read_by_fast_reader": handled, "trees_differing": len(differing),
            "fast_ms": round(fast_ms, 3), "grammar_ms": round(grammar_ms, 3),
            "speedup": round(grammar_ms / fast_ms, 2), "cold_compile_ms": round(compile_ms, 3),
            "parse_share_of_cold_compile": round(fast_ms / compile_ms, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--synthetic", type=int, help="how many synthetic agreements (1,000)")
    ap.add_argument("--repeats", type=int, help="passes over each set; the best is kept")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    n = args.synthetic or (50 if args.quick else 1000)
    repeats = args.repeats or (2 if args.quick else 3)

    library = [p.read_text() for p in sorted((ROOT / "agreements/library").glob("*.agreement"))]
    B = _engine_bench()
    synthetic = [B.AgreementWriter(i, args.seed, 1.0, n).text() for i in range(n)]
    rows = [measure("library", library, repeats), measure(f"synthetic {n}", synthetic, repeats)]
    print(f"{'set':<16}{'texts':>6}{'KB':>6}{'fast':>6}{'ms fast':>9}{'ms grammar':>12}"
          f"{'×':>7}{'ms compile':>12}{'differ':>8}")
    for r in rows:
        print(f"{r['set']:<16}{r['texts']:>6}{r['mean_kb']:>6}{r['read_by_fast_reader']:>6}"
              f"{r['fast_ms']:>9}{r['grammar_ms']:>12}{r['speedup']:>7}{r['cold_compile_ms']:>12}"
              f"{r['trees_differing']:>8}")
    out = Path(args.output) if args.output else RESULTS / ("parser-quick.json" if args.quick
                                                          else "parser.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "load": os.getloadavg(), "results": rows}, indent=2) + "\n")
    return 1 if any(r["trees_differing"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
