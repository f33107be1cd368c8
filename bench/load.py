"""Load test: gunicorn with 4 workers and 50 concurrent clients on SQLite and PostgreSQL, mixing
recording, updates, acknowledgements, fulfilments, board views (each runs the breach check)
and duty lists; then an integrity pass that checks every answered request against the store.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--workers 4]
                                   [--backends sqlite,postgresql] [--quick]

Reported per database: requests per second, p50/p99 latency, answers by status (refusals
such as 409 for acknowledging a duty someone else acknowledged first are expected; errors are
5xx answers and failed connections), throughput in the first and the last 20 s, and the
integrity problems found (nothing lost, every duty history a chain, audit entries equal to the
successful operations). Targets: 0 errors, 0 integrity problems, last 20 s >= 90% of the first.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select  # noqa: E402

import store as store_bench  # noqa: E402


web_bench = store_bench.bench_module("web")
from agreements.models import AuditEntry, Duty, DutyEvent, Incident  # noqa: E402
from agreements.users import create_token, create_user_unchecked  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MIX = {"record": 15, "update": 10, "acknowledge": 20, "fulfil": 10, "board": 20, "duties": 25}


class Client(threading.Thread):
    """One client: a keep-alive connection, requests chosen by weight until the deadline."""

    def __init__(self, number, port, shared, deadline, seed):
        super().__init__(daemon=True)
        self.number, self.port, self.shared, self.deadline = number, port, shared, deadline
        self.rng = random.Random(seed * 1_000 + number)
        self.log: list[tuple] = []  # (start, action, status, seconds, detail)
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        """One request; only a kept-alive connection that the server had closed meanwhile is
        tried again (on a fresh one), so that a reset of a request in flight is counted."""
        for attempt in range(2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def run(self):
        shared = self.shared
        api = {"Authorization": f"Bearer {shared['token']}"}
        actions, weights = list(MIX), list(MIX.values())
        while time.monotonic() < self.deadline:
            action = self.rng.choices(actions, weights)[0]
            start = time.monotonic()
            detail = None
            try:
                if action == "record":
                    body = shared["next_incident"]()
                    status, data = self.request("POST", "/api/incidents", body,
                                                {**api, "Content-Type": "application/json"})
                    if status == 201:
                        answer = json.loads(data)
                        detail = answer["id"]
                        shared["add_incident"](answer["id"], body,
                                               [d["id"] for d in answer["duties"]])
                elif action == "update":
                    key, body = shared["some_incident"](self.rng)
                    if key is None:
                        continue
                    changed = json.loads(body)
                    changed["severity"] = self.rng.choice(["moderate", "severe", "extreme"])
                    status, data = self.request("POST", f"/api/incidents/{key}/updates",
                                                json.dumps(changed),
                                                {**api, "Content-Type": "application/json"})
                    detail = key
                    if status == 200:
                        shared["add_duties"]([d["id"] for d in json.loads(data)["duties"]])
                elif action in ("acknowledge", "fulfil"):
                    duty = shared["some_duty"](self.rng)
                    if duty is None:
                        continue
                    status, _ = self.request("POST", f"/api/duties/{duty}/{action}", b"{}",
                                             {**api, "Content-Type": "application/json"})
                    detail = duty
                elif action == "board":
                    key, _ = shared["some_incident"](self.rng)
                    if key is None:
                        continue
                    status, _ = self.request("GET", f"/incidents/{key}",
                                             headers={"Cookie": shared["cookie"]})
                else:
                    status, _ = self.request("GET", "/api/duties?state=open", headers=api)
            except (http.client.HTTPException, OSError) as exc:
                status, detail = "connection", type(exc).__name__
            self.log.append((start, action, status, time.monotonic() - start, detail))


def shared_state(bodies, seed):
    lock = threading.Lock()
    incidents: list[tuple[str, str]] = []
    duties: list[int] = []
    counter = iter(range(10 ** 9))
    run = f"{seed}-{int(time.time())}"

    def next_incident():
        n = next(counter)
        data = json.loads(bodies[n % len(bodies)])
        data["id"] = f"LOAD-{run}-{n:06d}"
        return json.dumps(data)

    def add_incident(key, body, ids):
        with lock:
            incidents.append((key, body))
            duties.extend(ids)

    def add_duties(ids):
        with lock:
            duties.extend(ids)

    def some_incident(rng):
        with lock:
            return rng.choice(incidents) if incidents else (None, None)

    def some_duty(rng):
        with lock:
            return rng.choice(duties[-2000:]) if duties else None

    return {"next_incident": next_incident, "add_incident": add_incident,
            "add_duties": add_duties, "some_incident": some_incident, "some_duty": some_duty}


def prepare(backend: str, folder: Path, agreements: int, seed: int):
    db = store_bench.Store(backend, folder)
    writers = [store_bench.AgreementWriter(i, seed, 1.0, agreements) for i in range(agreements)]
    texts = [w.text() for w in writers]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    incidents = store_bench.aimed(store_bench.make_incidents(400, seed, agreements), writers, seed)
    bodies = []
    for data, _later in incidents:
        data = dict(data, reported_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        data.pop("fulfilled", None)
        bodies.append(json.dumps(data))
    with db.Session() as session:
        coordinator, _partners = store_bench.populate(session, texts)
        viewer = create_user_unchecked(session, email="viewer@bench.example", name="Viewer",
                                       role="coordinator", password=web_bench.PASSWORD, at=now)
        session.commit()
        _, token = create_token(session, viewer, "load")
        viewer_id = viewer.id
    return db, {"bodies": bodies, "token": token, "viewer": viewer_id}


def integrity(db, log, viewer_id) -> list[str]:
    """Every answered request checked against the store."""
    problems = []
    ok = Counter()
    recorded = set()
    for _start, action, status, _s, detail in log:
        if (action == "record" and status == 201) or (action == "update" and status == 200) \
                or (action in ("acknowledge", "fulfil") and status == 200):
            ok[action] += 1
        if action == "record" and status == 201:
            recorded.add(detail)
    with db.Session() as session:
        keys = set(session.scalars(select(Incident.key).where(Incident.key.like("LOAD-%"))))
        lost = recorded - keys
        if lost:
            problems.append(f"{len(lost)} incidents answered 201 are not in the store")
        events = defaultdict(list)
        for e in session.scalars(select(DutyEvent).order_by(DutyEvent.id)):
            events[e.duty_id].append(e)
        broken = 0
        for duty_id, chain in events.items():
            previous = None
            for k, event in enumerate(chain):
                if event.from_state != previous or (previous == "superseded"):
                    broken += 1
                    if broken <= 5:
                        problems.append(f"duty {duty_id}: history " + " ".join(
                            f"{e.from_state}->{e.to_state}" for e in chain))
                    break
                previous = event.to_state
        if broken:
            problems.append(f"{broken} duties with a broken history")
        for action, to_state in (("acknowledge", "acknowledged"), ("fulfil", "fulfilled")):
            made = session.scalar(select(func.count(DutyEvent.id)).where(
                DutyEvent.to_state == to_state, DutyEvent.actor_id == viewer_id))
            if made != ok[action]:
                problems.append(f"{ok[action]} {action} answered 200 but {made} recorded")
            audited = session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == f"duty.{action}", AuditEntry.actor_id == viewer_id))
            if audited != ok[action]:
                problems.append(f"{ok[action]} {action} answered 200 but {audited} audited")
        for action, audit in (("record", "incident.record"), ("update", "incident.update")):
            audited = session.scalar(select(func.count(AuditEntry.id)).where(
                AuditEntry.action == audit, AuditEntry.actor_id == viewer_id))
            if audited != ok[action]:
                problems.append(f"{ok[action]} {action} answered as done but {audited} audited")
        states = session.execute(select(Duty.state, Duty.superseded_at)).all()
        odd = sum(1 for state, gone in states if (state == "superseded") != (gone is not None))
        if odd:
            problems.append(f"{odd} duties whose state and superseded time disagree")
    return problems


def measure(backend: str, args) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"compact-load-{backend}-"))
    db, setup = prepare(backend, folder, args.agreements, args.seed)
    port = web_bench.free_port()
    server = web_bench.start_gunicorn(folder, db.url, port, args.workers)
    try:
        cookie = web_bench.session_cookie(port)
        shared = shared_state(setup["bodies"], args.seed)
        shared.update(token=setup["token"], cookie=cookie)
        began = time.monotonic()
        clients = [Client(n, port, shared, began + args.seconds, args.seed)
                   for n in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(args.seconds + 60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    log = [entry for c in clients for entry in c.log]
    problems = integrity(db, log, setup["viewer"])
    db.close()
    latencies = sorted(s for _t, _a, _st, s, _d in log)
    statuses = Counter(str(st) for _t, _a, st, _s, _d in log)
    by_action = Counter((a, str(st)) for _t, a, st, _s, _d in log)
    window = min(20, args.seconds / 3)
    first = sum(1 for t, *_ in log if t - began < window)
    last = sum(1 for t, *_ in log if t - began >= args.seconds - window)
    errors = sum(n for st, n in statuses.items() if st.startswith("5") or st == "connection")
    return {
        "backend": backend, "seconds": args.seconds, "clients": args.clients,
        "workers": args.workers, "requests": len(log),
        "requests_per_s": round(len(log) / args.seconds, 1),
        "p50_ms": round(store_bench.percentile(latencies, 0.5) * 1000, 1) if latencies else None,
        "p99_ms": round(store_bench.percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "statuses": dict(sorted(statuses.items())),
        "by_action": {f"{a} {st}": n for (a, st), n in sorted(by_action.items())},
        "errors": errors, "first_window": first, "last_window": last,
        "last_over_first": round(last / first, 3) if first else None,
        "integrity_problems": problems,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--agreements", type=int, default=20)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="smoke run: 6 s, 8 clients, SQLite")
    ap.add_argument("--output", help="default bench/results/load.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.clients, args.agreements, args.backends = 6, 8, 5, "sqlite"
    results = []
    ok = True
    for backend in args.backends.split(","):
        print(f"{backend}: {args.clients} clients for {args.seconds} s against {args.workers} "
              "gunicorn workers ...", flush=True)
        r = measure(backend, args)
        results.append(r)
        print(f"  {r['requests']} requests, {r['requests_per_s']}/s, p50 {r['p50_ms']} ms, "
              f"p99 {r['p99_ms']} ms")
        print(f"  answers: {r['statuses']}")
        print(f"  first {min(20, args.seconds // 3)} s: {r['first_window']} requests, last: "
              f"{r['last_window']} ({r['last_over_first']})")
        print(f"  errors: {r['errors']}; integrity problems: {len(r['integrity_problems'])}")
        for p in r["integrity_problems"]:
            print(f"    {p}")
        ok &= r["errors"] == 0 and not r["integrity_problems"]
        if not args.quick:
            ok &= (r["last_over_first"] or 0) >= 0.9
    out = Path(args.output) if args.output else RESULTS / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'PASS' if ok else 'FAIL'}; wrote {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
