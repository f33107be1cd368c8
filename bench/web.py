"""Benchmark of the web application under gunicorn (2 workers, loopback), measured with wrk.

    .venv/bin/python bench/web.py [--agreements 100] [--duration 15] [--connections 8]
    .venv/bin/python bench/web.py --quick        # smoke run: 10 agreements, 3 s each

Two measurements, each on a fresh SQLite store in a temporary folder, prepared through the
service layer before gunicorn starts:
- the incident board (GET /incidents/<key>, signed in as a coordinator) of an incident with 500
  live duties: 50 parties, 10 clauses each, of one executed agreement (plus the synthetic
  library of bench/engine.py in force beside it), with 8 connections (the target is judged
  there) and again with 16;
- POST /api/evaluate (bearer token) with incidents aimed at the synthetic library of 100
  executed agreements (bench/engine.py's world), rotating over 200 different incident bodies.
wrk reports requests per second and latency percentiles; figures go to stdout and to
bench/results/web.json (web-quick.json for --quick) with PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import store as store_bench  # noqa: E402  (bench/store.py: the synthetic world and populate)

from agreements import compiled  # noqa: E402
from agreements.drafting import create_agreement, publish  # noqa: E402
from agreements.incidents import record_incident  # noqa: E402
from agreements.models import Organisation, User  # noqa: E402
from agreements.signing import sign  # noqa: E402
from agreements.users import create_token, create_user_unchecked  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_BOARD_P99_MS = 200
TARGET_EVALUATE_RPS = 300
PASSWORD = "bench password"
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def wide_agreement(parties: int, clauses: int) -> str:
    """One agreement that gives every one of `parties` parties a duty from each of `clauses`."""
    lines = ["agreement bench-regional-flood-plan", '  title "Regional Flood Response Plan"',
             "  kind protocol", "  binding", "  effective 2026-01-01 until 2028-12-31", ""]
    for p in range(parties):
        lines += [f'party member_{p:02d} "Member Agency {p + 1}"', f'  region "Zone {p % 5}"', ""]
    lines += ["fields", '  type text one of "flood", "storm"', "",
              "role members is parties where party.region is given", ""]
    for c in range(clauses):
        lines += [f'clause step_{c:02d} "Response step {c + 1}"', '  when incident.type == "flood"',
                  f'  members must "carry out response step {c + 1} of the regional plan" '
                  f'within {c + 1} hours', ""]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path, agreements: int, seed: int) -> dict:
    """The store: the synthetic library executed, the wide agreement executed with its incident."""
    db = store_bench.Store("sqlite", folder)
    writers = [store_bench.AgreementWriter(i, seed, 1.0, agreements) for i in range(agreements)]
    texts = [w.text() for w in writers]
    incidents = store_bench.aimed(store_bench.make_incidents(200, seed, agreements), writers, seed)
    with db.Session() as session:
        coordinator, partners = store_bench.populate(session, texts)
        drafter = session.scalar(select(User).where(User.role == "drafter"))
        wide = wide_agreement(50, 10)
        revision = create_agreement(session, drafter, wide, now=T0)
        publish(session, drafter, revision.agreement.slug, 1, confirm_warnings=True, now=T0)
        for party, name in revision.parties:
            if session.get(Organisation, party) is None:
                session.add(Organisation(id=party, name=name, created_at=T0))
            partner = create_user_unchecked(session, email=f"{party}@bench.example", name=name,
                                            role="partner", organisation_id=party, at=T0)
            session.commit()
            sign(session, partner, revision.agreement.slug, 1, signer_name="Director",
                 signer_title="Director", consent=True, now=T0)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        incident = record_incident(session, coordinator, json.dumps(
            {"id": "BENCH-BOARD-1", "type": "flood", "reported_at":
             now.strftime("%Y-%m-%dT%H:%M:%SZ")}), now=now)
        duties = len([d for d in incident.duties if d.state != "superseded"])
        viewer = create_user_unchecked(session, email="viewer@bench.example", name="Viewer",
                                       role="coordinator", password=PASSWORD, at=T0)
        session.commit()
        _, token = create_token(session, viewer, "bench")
    db.engine.dispose()
    bodies = [json.dumps(data) for data, _ in incidents]
    return {"url": db.url, "board_key": "BENCH-BOARD-1", "board_duties": duties,
            "token": token, "bodies": bodies}


def start_gunicorn(folder: Path, url: str, port: int, workers: int) -> subprocess.Popen:
    """gunicorn as the README documents it (`-c python:web.gunicorn_conf`, preloaded)."""
    env = {**os.environ, "DATABASE_URL": url, "COMPACT_INSTANCE_PATH": str(folder),
           "COMPACT_SECRET_KEY": "bench-secret-key", "COMPACT_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(workers)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "python:web.gunicorn_conf", "--log-level", "warning",
         "web.wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                sys.exit("gunicorn did not start:\n" + process.stdout.read())
            time.sleep(0.3)
    process.kill()
    sys.exit("gunicorn did not answer within 120 s")


def session_cookie(port: int) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(f"http://127.0.0.1:{port}/login", data=urlencode(
        {"email": "viewer@bench.example", "password": PASSWORD, "csrf_token": token}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, duration: int, connections: int, script: Path | None = None,
        headers: dict | None = None) -> dict:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if "Latency Distribution" not in out:
        sys.exit(f"wrk measured nothing:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {p: _ms(v) for p, v in
                   re.findall(r"^\s+(50|75|90|99)(?:\.\d+)?%\s+(\S+)\s*$", out, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": rps, "p50_ms": percentiles["50"], "p99_ms": percentiles["99"],
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0, "raw": out}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


LUA = """
bodies = {%s}
counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter %% #bodies) + 1]
  return wrk.format("POST", "/api/evaluate", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
end
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agreements", type=int, default=100)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=8,
                    help="concurrent connections for POST /api/evaluate (scripts)")
    ap.add_argument("--board-connections", type=int, default=8,
                    help="concurrent connections for the board (people refreshing it)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    if args.quick:
        args.agreements, args.duration = 10, 3
    if shutil.which("wrk") is None:
        sys.exit("bench/web.py needs wrk (Debian package wrk; `make test` installs it)")
    output = Path(args.output or RESULTS / f"web{'-quick' if args.quick else ''}.json")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["COMPACT_INSTANCE_PATH"] = str(folder)
        compiled.clear()
        t = time.perf_counter()
        setup = prepare(folder, args.agreements, args.seed)
        print(f"prepared {args.agreements} executed agreements and a board of "
              f"{setup['board_duties']} duties in {time.perf_counter() - t:.0f} s")
        port = free_port()
        server = start_gunicorn(folder, setup["url"], port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            cookie = session_cookie(port)
            board_url = f"{base}/incidents/{setup['board_key']}"
            check = urllib.request.Request(board_url, headers={"Cookie": cookie})
            page = urllib.request.urlopen(check).read().decode()
            assert "member_49" in page or "Member Agency 50" in page, "the board shows no duties"
            wrk(board_url, 1, 2, headers={"Cookie": cookie})  # warm both workers
            board = wrk(board_url, args.duration, args.board_connections,
                        headers={"Cookie": cookie})
            board_busy = wrk(board_url, args.duration, 2 * args.board_connections,
                             headers={"Cookie": cookie})
            script = folder / "evaluate.lua"
            script.write_text(LUA % (", ".join(json.dumps(b) for b in setup["bodies"]),
                                     setup["token"]))
            wrk(f"{base}/api/evaluate", 1, 2, script)
            evaluate = wrk(f"{base}/api/evaluate", args.duration, args.connections, script)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    checks = [
        {"target": f"board of {setup['board_duties']} duties: p99 under {TARGET_BOARD_P99_MS} ms",
         "value": board["p99_ms"], "pass": board["p99_ms"] < TARGET_BOARD_P99_MS
         and board["non_2xx"] == 0},
        {"target": f"POST /api/evaluate with {args.agreements} executed agreements: at least "
                   f"{TARGET_EVALUATE_RPS} requests/s", "value": evaluate["requests_per_s"],
         "pass": evaluate["requests_per_s"] >= TARGET_EVALUATE_RPS and evaluate["non_2xx"] == 0},
    ]
    for label, row in ((f"board, {args.board_connections} connections", board),
                       (f"board, {2 * args.board_connections} connections", board_busy),
                       (f"evaluate, {args.connections} connections", evaluate)):
        print(f"{label}: {row['requests_per_s']} requests/s, p50 {row['p50_ms']} ms, "
              f"p99 {row['p99_ms']} ms, non-2xx {row['non_2xx']}")
    for c in checks:
        print(f"{'PASS' if c['pass'] else 'MISS'}  {c['target']}: {c['value']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "agreements": args.agreements, "workers": args.workers, "connections": args.connections,
        "duration_s": args.duration, "cpus": os.cpu_count(), "load": os.getloadavg(),
        "board_connections": args.board_connections,
        "board": {k: v for k, v in board.items() if k != "raw"},
        "board_twice_the_connections": {k: v for k, v in board_busy.items() if k != "raw"},
        "evaluate": {k: v for k, v in evaluate.items() if k != "raw"}, "targets": checks},
        indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
