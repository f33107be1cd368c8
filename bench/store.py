"""Benchmark of the record: incidents recorded and evaluated in SQLite and PostgreSQL, and PDFs.

    .venv/bin/python bench/store.py [--agreements 100] [--incidents 1000] [--backends sqlite,postgresql]
    .venv/bin/python bench/store.py --quick        # smoke run: 10 agreements, 50 incidents, SQLite

For each database: a fresh store (SQLite file in a temporary folder; a new PostgreSQL database
on COMPACT_BENCH_POSTGRES, default postgres@127.0.0.1:5432, dropped afterwards) is migrated, the
synthetic agreements of bench/engine.py are created, published and signed by every party
through the service layer (not timed), then incidents are recorded one by one with
`agreements.incidents.record_incident`, each in its own transaction: parse, evaluate against
every executed agreement in effect, store the incident, its duties, their history and the audit
entries (timed). Then PDFs: render time of a 1-page and a 10-page agreement, and the time to
serve an executed agreement's stored, sealed PDF again. Figures go to stdout and to
bench/results/store.json (store-quick.json for --quick), with PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from agreements import compiled  # noqa: E402
from agreements.db import make_engine, session_factory, upgrade  # noqa: E402
from agreements.documents import revision_pdf  # noqa: E402
from agreements.drafting import create_agreement, publish  # noqa: E402
from agreements.incidents import record_incident, warm  # noqa: E402
from agreements.models import Duty, Organisation, Revision  # noqa: E402
from agreements.pdf import render_pdf  # noqa: E402
from agreements.signing import sign  # noqa: E402
from agreements.users import create_user_unchecked  # noqa: E402


def bench_module(name: str):
    """bench/NAME.py loaded by its path as `bench_NAME`: bench/engine.py and bench/web.py would
    shadow the `engine` and `web` packages if imported by their names."""
    import importlib.util
    found = sys.modules.get(f"bench_{name}")
    if found is not None:
        return found
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = module
    spec.loader.exec_module(module)
    return module


_world = bench_module("engine")
AgreementWriter, make_incidents = _world.AgreementWriter, _world.make_incidents

RESULTS = ROOT / "bench" / "results"
POSTGRES = os.environ.get("COMPACT_BENCH_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 12, 1, tzinfo=timezone.utc)
TARGET_INCIDENTS_PER_S = 200
TARGET_PDF_10_PAGES_S = 2.0
TARGET_STORED_PDF_MS = 50


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class Store:
    """A fresh database of one kind, dropped afterwards."""

    def __init__(self, backend: str, folder: Path):
        self.backend, self.server, self.name = backend, None, None
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / 'bench.sqlite'}"
        else:
            self.server = make_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            self.name = f"compact_bench_{uuid.uuid4().hex[:8]}"
            with self.server.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = self.server.url.set(database=self.name).render_as_string(
                hide_password=False)
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        self.Session = session_factory(self.engine)

    def close(self):
        self.engine.dispose()
        if self.server is not None:
            with self.server.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.server.dispose()


def populate(session, texts: list[str]):
    """Create, publish and have every party sign each agreement (not timed)."""
    user = lambda email, role, org=None: create_user_unchecked(  # noqa: E731
        session, email=email, name=email.split("@")[0], role=role, organisation_id=org, at=T0)
    drafter, coordinator = user("drafter@bench.example", "drafter"), \
        user("coordinator@bench.example", "coordinator")
    session.commit()
    partners = {}
    for n, source in enumerate(texts):
        revision = create_agreement(session, drafter, source, now=T0)
        if revision.error_count:
            sys.exit(f"a generated agreement has errors:\n{revision.diagnostics}")
        publish(session, drafter, revision.agreement.slug, 1, confirm_warnings=True, now=T0)
        for party, name in revision.parties:
            if party not in partners:
                if session.get(Organisation, party) is None:
                    session.add(Organisation(id=party, name=name, created_at=T0))
                partners[party] = user(f"{party}@bench.example", "partner", party)
                session.commit()
            sign(session, partners[party], revision.agreement.slug, 1, signer_name="Director",
                 signer_title="Director", consent=True, address="10.0.0.1", now=T0)
    return coordinator, partners


def aimed(incidents, writers, seed: int):
    """Incidents of a hazard in the regions of some agreement, so that most give duties (random
    ones in the synthetic world mostly fall where no agreement speaks, which measures little)."""
    import random
    rng = random.Random(seed)
    out = []
    for data, later in incidents:
        writer = rng.choice(writers)
        region = rng.choice(writer.regions)
        data = {**data, "type": rng.choice(writer.hazards), "region": region,
                "area": _world.GEOCODES[region][:rng.randint(1, 3)]}
        if "requested_by" in data:
            data["requested_by"] = rng.choice(writer.parties)["id"]
        out.append((data, later))
    return out


def record_all(session, coordinator, incidents) -> dict:
    times = []
    for data, later in incidents:
        reported = datetime.fromisoformat(data["reported_at"].replace("Z", "+00:00"))
        body = json.dumps(data)
        t = time.perf_counter()
        record_incident(session, coordinator, body, now=later or reported)
        times.append(time.perf_counter() - t)
        session.expunge_all()  # a request handles one incident; do not grow one identity map
    total = sum(times)
    duties = session.scalar(select(func.count(Duty.id)))
    return {"incidents": len(times), "seconds": round(total, 3),
            "incidents_per_s": round(len(times) / total, 1),
            "p50_ms": round(percentile(times, 0.5) * 1e3, 2),
            "p99_ms": round(percentile(times, 0.99) * 1e3, 2),
            "duties_stored": duties, "duties_per_incident": round(duties / len(times), 2)}


def long_agreement(clauses: int) -> str:
    """One agreement whose printed form runs to many pages: long legal wording per clause."""
    words = ("The assisting Party shall, upon a valid request and subject to the availability "
             "of its resources, provide the personnel, equipment and services described in the "
             "request, under the operational control of the requesting Party and the "
             "administrative control of its home agency. ")
    head = (ROOT / "agreements" / "library" / "intrastate-mutual-aid.agreement").read_text()
    head = head[:head.index("\nclause ")]
    body = []
    for c in range(clauses):
        body.append(f'\nclause extra_{c:03d} "Additional duty {c + 1}"\n'
                    f'  when incident.requested_by is given\n'
                    f'  assisting must "provide the resources of annex {c + 1}" within '
                    f'{c % 12 + 1} hours of incident.requested_at\n'
                    f'  costs borne by requesting\n'
                    f'  text "{words * 2}"\n')
    return head + "".join(body)


def page_count(pdf: bytes) -> int:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    return int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])


def pdf_figures(store: Store, repeats: int) -> dict:
    small = (ROOT / "agreements" / "library" / "border-information-sharing.agreement").read_text()
    out = {}
    # A 1-page document: just a header, two parties and one clause.
    one_page = ('agreement one-page\n  title "A One-Page Notice Protocol"\n  kind mou\n'
                '  non-binding\n  effective 2026-01-01\n\nparty a "Agency A"\nparty b "Agency B"\n'
                '\nclause notify "Notice"\n  when incident.type == "flood"\n'
                '  b must "notify agency A" within 1 hour\n')
    cases = [("1-page text", one_page), ("border MOU (library)", small)]
    # Grow the long agreement until it prints at least ten pages.
    clauses = 1
    while True:
        ten = long_agreement(clauses)
        if page_count(render_pdf(ten)) >= 10:
            break
        clauses += 1
    cases.append(("10 pages", ten))
    for label, source in cases:
        render_pdf(source)  # warm the templates and fonts once, as a running server has
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            data = render_pdf(source, revision_number=1)
            times.append(time.perf_counter() - t)
        out[label] = {"pages": page_count(data), "render_s": round(statistics.median(times), 3),
                      "bytes": len(data)}
    # Serving a stored, sealed PDF: the first call renders and seals; later calls read storage.
    with store.Session() as session:
        revision = session.scalar(select(Revision).order_by(Revision.id).limit(1))
        slug, number = revision.agreement.slug, revision.number
        reader = create_user_unchecked(session, email="reader@bench.example", name="Reader",
                                       role="coordinator")
        session.commit()
        t = time.perf_counter()
        first = revision_pdf(session, reader, slug, number)
        first_s = time.perf_counter() - t
        serve = []
        for _ in range(50):
            session.expunge_all()
            t = time.perf_counter()
            again = revision_pdf(session, reader, slug, number)
            serve.append(time.perf_counter() - t)
        assert again.data == first.data and first.sealed
    out["stored"] = {"first_render_and_seal_s": round(first_s, 3),
                     "served_p50_ms": round(percentile(serve, 0.5) * 1e3, 2),
                     "served_max_ms": round(max(serve) * 1e3, 2), "bytes": len(first.data)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agreements", type=int, default=100)
    ap.add_argument("--incidents", type=int, default=1000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pdf-repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="10 agreements, 50 incidents, SQLite")
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    if args.quick:
        args.agreements, args.incidents, args.backends = 10, 50, "sqlite"
        args.pdf_repeats = 1
    output = Path(args.output or RESULTS / f"store{'-quick' if args.quick else ''}.json")
    writers = [AgreementWriter(i, args.seed, 1.0, args.agreements) for i in range(args.agreements)]
    texts = [w.text() for w in writers]
    incidents = aimed(make_incidents(args.incidents, args.seed, args.agreements), writers,
                      args.seed)
    results, checks = {}, []
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("COMPACT_INSTANCE_PATH", folder)  # the seal identity lives here
        for backend in args.backends.split(","):
            try:
                store = Store(backend, Path(folder))
            except Exception as exc:  # an unreachable server: say so and go on
                print(f"{backend}: skipped ({str(exc).splitlines()[0]})")
                continue
            try:
                compiled.clear()
                with store.Session() as session:
                    t = time.perf_counter()
                    coordinator, _ = populate(session, texts)
                    setup = time.perf_counter() - t
                    compiled.clear()
                    t = time.perf_counter()
                    warm(session)  # a server compiles the agreements in force once, at start
                    warm_s = time.perf_counter() - t
                    row = record_all(session, coordinator, incidents)
                row["setup_s"] = round(setup, 1)
                row["compile_in_force_s"] = round(warm_s, 2)
                if backend == "sqlite":
                    row["pdf"] = pdf_figures(store, args.pdf_repeats)
                results[backend] = row
                print(f"{backend}: {row['incidents_per_s']} incidents/s "
                      f"(p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
                      f"{row['duties_per_incident']} duties each; compiling the agreements in "
                      f"force first took {row['compile_in_force_s']} s)")
            finally:
                store.close()
    if "sqlite" in results:
        s = results["sqlite"]
        checks.append({"target": f">= {TARGET_INCIDENTS_PER_S} incidents/s on SQLite with "
                                 f"{args.agreements} executed agreements",
                       "value": s["incidents_per_s"],
                       "pass": s["incidents_per_s"] >= TARGET_INCIDENTS_PER_S})
        pdf = s["pdf"]
        checks.append({"target": f"10-page PDF under {TARGET_PDF_10_PAGES_S} s",
                       "value": pdf["10 pages"]["render_s"],
                       "pass": pdf["10 pages"]["render_s"] < TARGET_PDF_10_PAGES_S})
        checks.append({"target": f"stored PDF served under {TARGET_STORED_PDF_MS} ms",
                       "value": pdf["stored"]["served_p50_ms"],
                       "pass": pdf["stored"]["served_p50_ms"] < TARGET_STORED_PDF_MS})
        for label, p in pdf.items():
            if label != "stored":
                print(f"PDF {label}: {p['pages']} pages rendered in {p['render_s']} s")
        print(f"stored sealed PDF: first render and seal {pdf['stored']['first_render_and_seal_s']}"
              f" s, then served in {pdf['stored']['served_p50_ms']} ms (p50)")
    for c in checks:
        print(f"{'PASS' if c['pass'] else 'MISS'}  {c['target']}: {c['value']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"agreements": args.agreements, "incidents": args.incidents,
                                  "seed": args.seed, "cpus": os.cpu_count(),
                                  "load": os.getloadavg(), "results": results,
                                  "targets": checks}, indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
