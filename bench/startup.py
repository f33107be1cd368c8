"""Benchmark of a server's start-up: how long a worker takes to be ready, and its memory.

    .venv/bin/python bench/startup.py                  # 1,000 and 10,000 agreements in force
    .venv/bin/python bench/startup.py --quick          # 20 agreements (the test suite runs this)

For each size a fresh SQLite store is filled with that many executed agreements: the synthetic
texts of bench/engine.py, compiled once here (in a process pool) for their canonical text and
hash, and inserted directly as agreement and revision rows in bulk (no drafting, signing or
audit: only what `executed_in_force` reads). Then a new Python process imports `web.wsgi` (what
`gunicorn --preload` does before forking its workers: the app, and the Library of every
agreement in force) twice: *cold*, with the compiled_form table empty, so that every agreement
is parsed, checked and compiled (and its row written), and *warm*, loading those rows. Each run
reports its wall time from the start of the import, what it parsed and loaded, and its resident
memory (VmRSS and peak VmHWM from /proc, or getrusage). Figures go to stdout and to
bench/results/startup.json (startup-quick.json for --quick).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the `engine` package, not bench/engine.py

RESULTS = ROOT / "bench" / "results"
T0 = datetime(2025, 12, 1, tzinfo=timezone.utc)
TARGET_WARM_S = 20.0
TARGET_RSS_MB = 1024
TARGET_SIZE = 10_000


def _engine_bench():
    """bench/engine.py's synthetic world (its module name would clash with the engine package)."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.append(str(ROOT / "bench"))  # after ROOT: `engine` stays the package
    import store
    return store.bench_module("engine")


def memory() -> dict:
    """This process's resident memory now and at its peak, in MB."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out = {"VmRSS": round(peak, 1), "VmHWM": round(peak, 1)}
    return {"rss_mb": out.get("VmRSS"), "peak_rss_mb": out.get("VmHWM")}


# ---------------------------------------------------------------- one worker's start (child)

def worker() -> int:
    """Import web.wsgi as a gunicorn master with --preload does, and report on stdout."""
    t = time.perf_counter()
    import web.wsgi  # noqa: F401  (builds the app and the Library at import)
    elapsed = time.perf_counter() - t
    from agreements import compiled
    print(json.dumps({"start_s": round(elapsed, 2), "in_force": web.wsgi.in_force,
                      **memory(), **{k: compiled.stats[k] for k in ("parsed", "loaded",
                                                                    "stored", "rejected")}}))
    return 0


# ---------------------------------------------------------------- the store

def _compile_chunk(chunk: list[str]) -> list[tuple]:
    from engine.compiler import compile_source
    out = []
    for text in chunk:
        c = compile_source(text, "bench.agreement")
        out.append((c.id, c.title, c.canonical_source, c.content_hash,
                    [[p.id, p.name] for p in c.parties], len(c.warnings)))
    return out


def compile_all(texts: list[str], jobs: int) -> list[tuple]:
    chunks = [texts[i:i + 50] for i in range(0, len(texts), 50)]
    if jobs <= 1 or len(texts) < 200:
        return [row for chunk in chunks for row in _compile_chunk(chunk)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return [row for part in pool.map(_compile_chunk, chunks) for row in part]


def populate(url: str, texts: list[str], jobs: int) -> float:
    """Executed agreements in force, inserted in bulk; returns the seconds it took."""
    from sqlalchemy import insert, update

    from agreements.db import make_engine, upgrade
    from agreements.models import Agreement, Organisation, Revision, User
    t = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    rows = compile_all(texts, jobs)
    with engine.begin() as connection:
        connection.execute(insert(User), [{"id": 1, "email": "drafter@bench.example",
                                           "name": "drafter", "role": "drafter",
                                           "active": True, "created_at": T0}])
        orgs = {p: n for row in rows for p, n in row[4]}
        connection.execute(insert(Organisation), [{"id": p, "name": n, "created_at": T0}
                                                  for p, n in orgs.items()])
        agreements, revisions = [], []
        for n, ((slug, title, canonical, content_hash, parties, warnings), source) in \
                enumerate(zip(rows, texts), start=1):
            agreements.append({"id": n, "slug": slug, "state": "executed", "executed_at": T0,
                               "created_at": T0, "created_by_id": 1})
            revisions.append({"id": n, "agreement_id": n, "number": 1, "source": source,
                              "canonical_source": canonical, "content_hash": content_hash,
                              "title": title, "error_count": 0, "warning_count": warnings,
                              "diagnostics": "", "parties": parties, "author_id": 1,
                              "created_at": T0, "published_at": T0})
        for i in range(0, len(rows), 1000):
            connection.execute(insert(Agreement), agreements[i:i + 1000])
            connection.execute(insert(Revision), revisions[i:i + 1000])
        connection.execute(update(Agreement).values(executed_revision_id=Agreement.id))
    engine.dispose()
    return time.perf_counter() - t


def start(url: str, folder: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "COMPACT_INSTANCE_PATH": folder,
           "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    if run.returncode != 0:
        sys.exit(f"the worker failed to start:\n{run.stdout}\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_size(n: int, seed: int, jobs: int, folder: Path) -> dict:
    from sqlalchemy import delete, func, select

    from agreements.db import make_engine
    from agreements.models import CompiledForm
    world = _engine_bench()
    texts = [world.AgreementWriter(i, seed, 1.0, n).text() for i in range(n)]
    url = f"sqlite:///{folder / f'startup-{n}.sqlite'}"
    setup = populate(url, texts, jobs)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(delete(CompiledForm))
    cold = start(url, str(folder))
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(CompiledForm))
        size = connection.scalar(select(func.sum(func.length(CompiledForm.data))))
    warm = start(url, str(folder))
    engine.dispose()
    row = {"agreements": n, "source_kb_mean": round(sum(map(len, texts)) / n / 1024, 1),
           "setup_s": round(setup, 1), "cold": cold, "warm": warm,
           "compiled_form_rows": rows, "compiled_form_kb_mean": round((size or 0) / max(rows, 1)
                                                                      / 1024, 1)}
    print(f"{n:>6} agreements: cold {cold['start_s']} s ({cold['parsed']} parsed, "
          f"RSS {cold['rss_mb']} MB), warm {warm['start_s']} s ({warm['loaded']} loaded, "
          f"{warm['parsed']} parsed, RSS {warm['rss_mb']} MB, peak {warm['peak_rss_mb']} MB); "
          f"{row['compiled_form_kb_mean']} KB a compiled form", flush=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes compiling the texts to store (not the measured start)")
    ap.add_argument("--quick", action="store_true", help="20 agreements")
    ap.add_argument("--output")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker()
    if args.quick:
        args.sizes = "20"
    output = Path(args.output or RESULTS / f"startup{'-quick' if args.quick else ''}.json")
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            results[str(n)] = run_size(n, args.seed, args.jobs, Path(folder))
    checks = []
    if str(TARGET_SIZE) in results:
        warm = results[str(TARGET_SIZE)]["warm"]
        checks = [{"target": f"warm start with {TARGET_SIZE:,} agreements under {TARGET_WARM_S} s",
                   "value": warm["start_s"], "pass": warm["start_s"] < TARGET_WARM_S},
                  {"target": f"RSS with {TARGET_SIZE:,} agreements under {TARGET_RSS_MB} MB",
                   "value": warm["peak_rss_mb"], "pass": warm["peak_rss_mb"] < TARGET_RSS_MB}]
    for c in checks:
        print(f"{'PASS' if c['pass'] else 'MISS'}  {c['target']}: {c['value']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"sizes": sizes, "seed": args.seed, "cpus": os.cpu_count(),
                                  "load": os.getloadavg(), "results": results,
                                  "targets": checks}, indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
