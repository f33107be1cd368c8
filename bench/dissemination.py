"""Benchmark of the dissemination channel: how soon every party hears of an incident's duties,
and what hundreds of open boards staying current cost the server.

    .venv/bin/python bench/dissemination.py [--organisations 50] [--duties 10] [--boards 200]
                                            [--board-seconds 30] [--workers 2] [--postgres URL]
    .venv/bin/python bench/dissemination.py --quick   # 5 organisations, 20 boards (run by the tests)

A fresh SQLite store (or a new PostgreSQL database on --postgres, dropped afterwards) gets one
executed agreement whose parties are the organisations, with clauses giving each party `--duties`
duties for a flood, prepared through the service layer: every party signs through a partner user
(who receives the organisation's mail, as by default), every organisation has one e-mail contact
point and every fifth also a webhook contact point (secret from webhooks.new_secret()). Then, on
loopback, a real SMTP server (aiosmtpd, timestamping each DATA and keeping its Message-ID), a
real webhook receiver (ThreadingHTTPServer, verifying every signature with standardwebhooks),
gunicorn started as the README documents, and ONE dispatcher: `compact dispatch --interval 1`.

1. Delivery latency: the incident is recorded with `POST /api/incidents` (bearer token); each
   message's latency is its arrival time minus the time the request was sent. Reported: p50/p99,
   the time to the last message, messages by channel, and, against the outbox table, missing
   and duplicate ids. Target: every message delivered exactly once within 30 s.
2. Open boards: `--boards` clients signed in (sessions from POST /login, shared by up to 20
   coordinators) poll `GET /incidents/<key>/version` every 10 s with If-None-Match, with a
   random phase, as web/static/board.js does (refetching the board if the version changes),
   while one measuring client fetches the board page `GET /incidents/<key>` back to back: first
   alone (baseline), then beside the boards; then the boards poll alone, and the CPU time of the
   gunicorn processes then is their cost. Reported: requests per second the boards cause, the
   share of 304 answers, the version endpoint's p50/p99, the board page's p50/p99 with and
   without the boards, the server CPU the boards take.

Figures go to stdout and to bench/results/dissemination.json (dissemination-quick.json for
--quick, dissemination-postgresql.json with --postgres); the exit status is 0 only if every expected message arrived exactly once within the
target and no request failed. --quick polls every 2 s so that its few seconds see 304 answers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

import store as store_bench  # noqa: E402  (bench/store.py: fresh stores, percentile)

web_bench = store_bench.bench_module("web")  # gunicorn as documented, free ports

from agreements import compiled  # noqa: E402
from agreements.drafting import create_agreement, publish  # noqa: E402
from agreements.dissemination.models import (ContactPoint, DeliveryAttempt,  # noqa: E402
                                             Notification)
from agreements.dissemination.webhooks import new_secret  # noqa: E402
from agreements.models import Incident, Organisation  # noqa: E402
from agreements.signing import sign  # noqa: E402
from agreements.users import create_token, create_user_unchecked  # noqa: E402

RESULTS = ROOT / "bench" / "results"
T0 = datetime(2026, 1, 15, tzinfo=timezone.utc)
PASSWORD = "bench password"
TARGET_DELIVERY_S = 30.0
TARGET_BOARDS_SHARE = 0.05  # "not more than a few percent of its capacity" (dissemination.md)
INCIDENT_KEY = "BENCH-DISSEMINATION-1"
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^>@\s]+)@", re.M | re.I)


def drill_agreement(organisations: int, duties: int) -> str:
    """One agreement of `organisations` parties, each given `duties` duties by a flood."""
    lines = ["# Synthetic: one flood gives every party the same steps (bench/dissemination.py).",
             "agreement bench-flood-alerting-drill",
             '  title "Regional Flood Alerting Drill"',
             "  kind protocol", "  binding", "  effective 2026-01-01 until 2028-12-31", ""]
    for p in range(organisations):
        lines += [f'party agency_{p:03d} "Response Agency {p + 1}"', f'  region "Zone {p % 5}"',
                  f'  contact "duty@agency-{p:03d}.bench.example"', ""]
    lines += ["fields", '  type text one of "flood", "storm"', "",
              "role members is parties where party.region is given", ""]
    for c in range(duties):
        lines += [f'clause step_{c:02d} "Flood response step {c + 1}"',
                  '  when incident.type == "flood"',
                  f'  members must "carry out step {c + 1} of the flood response plan" '
                  f"within {c + 2} hours", ""]
    lines += ['example "a flood gives the first party its first and last step"', '  incident """',
              '    {"id": "DRILL-1", "type": "flood", "reported_at": "2026-03-01T08:00:00Z"}',
              '  """', "  expect agency_000 must step_00 by 2026-03-01T10:00:00Z",
              f"  expect agency_000 must step_{duties - 1:02d} by "
              f"{T0.replace(month=3, day=1, hour=9) + timedelta(hours=duties):%Y-%m-%dT%H:%M:%SZ}",
              'example "a storm gives no one a duty"', '  incident """',
              '    {"id": "DRILL-2", "type": "storm", "reported_at": "2026-03-01T08:00:00Z"}',
              '  """', "  expect no step_00", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- receivers

class Received:
    """Every arrival, by channel: (time.time(), stable id)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals: list[tuple[str, float, str]] = []  # (channel, at, id)
        self.bad: list[str] = []  # webhooks whose signature did not verify, unreadable mail

    def add(self, channel: str, at: float, message_id: str) -> None:
        with self.lock:
            self.arrivals.append((channel, at, message_id))

    def ids(self) -> set[str]:
        with self.lock:
            return {i for _c, _t, i in self.arrivals}


class MailHandler:
    def __init__(self, received: Received):
        self.received = received

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        found = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        if found is None:
            self.received.bad.append("a message without a Message-ID")
        else:
            self.received.add("email", at, found.group(1).decode())
        return "250 2.0.0 Ok: queued"


def webhook_server(received: Received, secrets: dict[str, str]) -> ThreadingHTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            at = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            org = self.path.rsplit("/", 1)[-1]
            try:
                Webhook(secrets[org]).verify(body, dict(self.headers.items()))
            except Exception as exc:  # unknown path or a signature that does not verify
                received.bad.append(f"{self.path}: {exc}")
                self.send_response(401)
                self.end_headers()
                return
            received.add("webhook", at, self.headers["webhook-id"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------------------- the store

def prepare(db, organisations: int, duties: int, hook_port: int, users: int) -> dict:
    """The executed agreement, its partners, contact points, board viewers and a token."""
    text = drill_agreement(organisations, duties)
    secrets = {}
    with db.Session() as session:
        user = lambda email, role, org=None, password=None: create_user_unchecked(  # noqa: E731
            session, email=email, name=email.split("@")[0], role=role, organisation_id=org,
            password=password, at=T0)
        drafter, recorder = user("drafter@bench.example", "drafter"), \
            user("recorder@bench.example", "coordinator")
        viewers = [f"viewer{v:02d}@bench.example" for v in range(users)]
        for email in viewers:
            user(email, "coordinator", password=PASSWORD)
        session.commit()
        revision = create_agreement(session, drafter, text, now=T0)
        if revision.error_count:
            sys.exit(f"the drill agreement has errors:\n{revision.diagnostics}")
        publish(session, drafter, revision.agreement.slug, 1, confirm_warnings=True, now=T0)
        for n, (party, name) in enumerate(revision.parties):
            if session.get(Organisation, party) is None:
                session.add(Organisation(id=party, name=name, created_at=T0))
            partner = user(f"{party}@bench.example", "partner", party)
            session.add(ContactPoint(organisation_id=party, kind="email", label="duty officer",
                                     address=f"duty-officer@{party}.bench.example",
                                     created_at=T0))
            if n % 5 == 0:
                secrets[party] = new_secret()
                session.add(ContactPoint(organisation_id=party, kind="webhook", label="EOC system",
                                         address=f"http://127.0.0.1:{hook_port}/hooks/{party}",
                                         secret=secrets[party], created_at=T0))
            session.commit()
            sign(session, partner, revision.agreement.slug, 1, signer_name="Director",
                 signer_title="Director", consent=True, now=T0)
        _, token = create_token(session, recorder, "bench")
    db.engine.dispose()
    return {"text": text, "secrets": secrets, "token": token, "viewers": viewers,
            "parties": len(revision.parties)}


# ---------------------------------------------------------------------------- HTTP helpers

def request(port: int, method: str, path: str, body=None, headers=None, timeout=30):
    """One request on a fresh connection (gunicorn's sync workers close each one anyway):
    (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response, response.read()
    finally:
        connection.close()


def sign_in(port: int, email: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(f"http://127.0.0.1:{port}/login", data=urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": csrf}).encode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session" not in cookie:
        sys.exit(f"could not sign in as {email}")
    return cookie


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its live children (gunicorn's master, workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(entry))
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def ms(values, q):
    return round(store_bench.percentile(values, q) * 1000, 1) if values else None


# ---------------------------------------------------------------------------- 1. delivery

def drain(db, received: Received, timeout: float = 120) -> int:
    """Wait until the setup's own notifications (the agreement executed, to every party) are
    out, then forget them: how many there were."""
    deadline = time.time() + timeout
    while True:
        with db.Session() as session:
            queued = session.scalar(select(func.count(Notification.id))
                                    .where(Notification.state == "queued"))
            total = session.scalar(select(func.count(Notification.id))
                                   .where(Notification.state == "delivered"))
        if not queued and len(received.arrivals) >= total:
            break
        if time.time() > deadline:
            sys.exit(f"the dispatcher did not deliver the setup's {total} notifications")
        time.sleep(0.2)
    with received.lock:
        received.arrivals.clear()
    return total


def delivery(db, port: int, token: str, received: Received, target: float, wait: float) -> dict:
    body = json.dumps({"id": INCIDENT_KEY, "type": "flood",
                       "reported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
    sent = time.time()
    status, _, answer = request(port, "POST", "/api/incidents", body, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=120)
    answered = time.time()
    if status != 201:
        return {"recorded": False, "record_status": status,
                "record_answer": answer[:500].decode("utf-8", "replace")}
    duties = len(json.loads(answer)["duties"])
    with db.Session() as session:
        incident_id = session.scalar(select(Incident.id).where(Incident.key == INCIDENT_KEY))
        rows = session.execute(select(Notification.id, Notification.channel).where(
            Notification.incident_id == incident_id)).all()
    expected = {f"ntf-{nid}": channel for nid, channel in rows}
    while time.time() < sent + wait and not set(expected) <= received.ids():
        time.sleep(0.05)
    time.sleep(2.5)  # two more dispatcher rounds: a duplicate sent late is seen too
    with received.lock:
        arrivals = list(received.arrivals)
    seen = Counter(i for _c, _t, i in arrivals)
    first = {}
    for channel, at, message_id in arrivals:
        if message_id in expected and message_id not in first:
            first[message_id] = (channel, at - sent)
    latencies = sorted(s for _c, s in first.values())
    with db.Session() as session:
        states = dict(session.execute(select(Notification.state, func.count()).where(
            Notification.incident_id == incident_id).group_by(Notification.state)).all())
        failed_attempts = session.scalar(select(func.count(DeliveryAttempt.id)).join(
            Notification, Notification.id == DeliveryAttempt.notification_id).where(
            Notification.incident_id == incident_id, DeliveryAttempt.delivered.is_(False)))
    delivered = Counter(c for c, _s in first.values())
    last = latencies[-1] if latencies else None
    missing = sorted(set(expected) - set(first))
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    ok = (not missing and duplicates == 0 and not received.bad and last is not None
          and last <= target and len(arrivals) == len(expected))
    by_channel = {}
    for channel in ("email", "webhook"):
        values = sorted(s for c, s in first.values() if c == channel)
        by_channel[channel] = {"expected": sum(1 for c in expected.values() if c == channel),
                               "delivered": delivered[channel], "p50_s": _s(values, 0.5),
                               "p99_s": _s(values, 0.99)}
    return {
        "recorded": True, "duties": duties, "record_request_ms": round((answered - sent) * 1e3, 1),
        "expected": len(expected), "delivered": len(first), "by_channel": by_channel,
        "missing": len(missing), "missing_ids": missing[:20], "duplicates": duplicates,
        "unexpected": sum(1 for i in seen if i not in expected), "bad_messages": received.bad[:20],
        "failed_attempts": failed_attempts, "outbox_states": states,
        "first_message_s": round(latencies[0], 3) if latencies else None,
        "p50_s": _s(latencies, 0.5), "p99_s": _s(latencies, 0.99),
        "last_message_s": round(last, 3) if last is not None else None,
        "messages_per_s": round(len(latencies) / last, 1) if last else None,
        "target": f"every message delivered exactly once within {target:g} s by one dispatcher",
        "pass": ok, "result": "PASS" if ok else "FAIL",
    }


def _s(values, q):
    return round(store_bench.percentile(values, q), 3) if values else None


# ---------------------------------------------------------------------------- 2. open boards

class Board(threading.Thread):
    """One open board: polls the version every `period` s from a random phase, with the ETag
    it last got; refetches the board (X-Board-Refresh) when the version is not the one shown."""

    def __init__(self, port, key, cookie, shown, period, start, stop, rng):
        super().__init__(daemon=True)
        self.port, self.key, self.cookie, self.shown = port, key, cookie, shown
        self.period, self.stop = period, stop
        self.next = start + rng.uniform(0, period)
        self.etag = None
        self.log: list[tuple] = []  # (monotonic start, kind, status, seconds)

    def run(self):
        while not self.stop.wait(max(0.0, self.next - time.monotonic())):
            self.next += self.period
            headers = {"Cookie": self.cookie}
            if self.etag:
                headers["If-None-Match"] = self.etag
            t = time.monotonic()
            try:
                status, response, body = request(self.port, "GET",
                                                 f"/incidents/{self.key}/version", None, headers)
            except (http.client.HTTPException, OSError) as exc:
                self.log.append((t, "version", type(exc).__name__, time.monotonic() - t))
                continue
            self.log.append((t, "version", status, time.monotonic() - t))
            if status == 200:
                self.etag = response.getheader("ETag")
                version = json.loads(body)["version"]
                if version != self.shown:
                    t = time.monotonic()
                    try:
                        status, _, _ = request(self.port, "GET", f"/incidents/{self.key}", None,
                                               {"Cookie": self.cookie, "X-Board-Refresh": "1"})
                    except (http.client.HTTPException, OSError) as exc:
                        status = type(exc).__name__
                    self.log.append((t, "refresh", status, time.monotonic() - t))
                    self.shown = version


class Page(threading.Thread):
    """The measuring client: the full board page, back to back, until stopped."""

    def __init__(self, port, key, cookie, stop):
        super().__init__(daemon=True)
        self.port, self.key, self.cookie, self.stop = port, key, cookie, stop
        self.log: list[tuple] = []

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                status, _, _ = request(self.port, "GET", f"/incidents/{self.key}", None,
                                       {"Cookie": self.cookie})
            except (http.client.HTTPException, OSError) as exc:
                status = type(exc).__name__
            self.log.append((t, "page", status, time.monotonic() - t))


def page_figures(log, seconds: float, cpu: float) -> dict:
    times = sorted(s for *_x, s in log)
    return {"requests": len(log), "requests_per_s": round(len(log) / seconds, 1),
            "p50_ms": ms(times, 0.5), "p99_ms": ms(times, 0.99),
            "statuses": dict(Counter(str(st) for _t, _k, st, _s in log)),
            "server_cpu_cores": round(cpu / seconds, 3)}


def open_boards(server, port: int, cookies: list[str], args) -> dict:
    key = INCIDENT_KEY
    status, _, page = request(port, "GET", f"/incidents/{key}", None, {"Cookie": cookies[0]})
    shown = re.search(rb'data-version="([^"]+)"', page)
    if status != 200 or shown is None or b"Response Agency 1" not in page:
        sys.exit(f"the board did not show the incident's duties (status {status})")
    shown = shown.group(1).decode()
    for _ in range(4):  # warm the workers
        request(port, "GET", f"/incidents/{key}", None, {"Cookie": cookies[0]})
    master = server.pid

    # A: the board page alone.
    stop_page = threading.Event()
    page_client = Page(port, key, cookies[0], stop_page)
    cpu0, t0 = cpu_seconds(master), time.monotonic()
    page_client.start()
    time.sleep(args.baseline_seconds)
    t1, cpu1 = time.monotonic(), cpu_seconds(master)
    baseline = [e for e in page_client.log if e[0] < t1]

    # B: the boards open, the measuring client goes on.
    stop_boards = threading.Event()
    rng = random.Random(args.seed)
    boards = [Board(port, key, cookies[n % len(cookies)], shown, args.poll_period, t1,
                    stop_boards, rng) for n in range(args.boards)]
    for b in boards:
        b.start()
    time.sleep(args.board_seconds)
    t2, cpu2 = time.monotonic(), cpu_seconds(master)
    stop_page.set()
    page_client.join(60)
    busy = [e for e in page_client.log if t1 <= e[0] < t2]

    # C: the boards alone: the server CPU they take.
    cpu2, t2c = cpu_seconds(master), time.monotonic()
    time.sleep(args.idle_seconds)
    t3, cpu3 = time.monotonic(), cpu_seconds(master)
    stop_boards.set()
    for b in boards:
        b.join(60)

    polls = [e for b in boards for e in b.log]
    version = [e for e in polls if e[1] == "version"]
    statuses = Counter(str(st) for _t, _k, st, _s in polls)
    steady = [e for e in version if e[0] >= t1 + args.poll_period]  # every board polled once
    alone = [e for e in version if t2c <= e[0] < t3]
    failures = sum(1 for _t, _k, st, _s in polls + page_client.log if st not in (200, 304))
    lasted = t3 - t1
    alone_cores = (cpu3 - cpu2) / (t3 - t2c)
    share = alone_cores / (os.cpu_count() or 1)
    return {
        "boards": args.boards, "signed_in_users": len(cookies), "poll_period_s": args.poll_period,
        "seconds": round(lasted, 1), "polls": len(version),
        "refreshes": sum(1 for e in polls if e[1] == "refresh"),
        "requests_per_s": round(len(polls) / lasted, 1), "statuses": dict(sorted(statuses.items())),
        "share_304": round(sum(1 for e in version if e[2] == 304) / len(version), 3)
        if version else None,
        "share_304_after_first_poll": round(sum(1 for e in steady if e[2] == 304) / len(steady), 3)
        if steady else None,
        "version_p50_ms": ms(sorted(e[3] for e in version), 0.5),
        "version_p99_ms": ms(sorted(e[3] for e in version), 0.99),
        "board_page": {"baseline": page_figures(baseline, t1 - t0, cpu1 - cpu0),
                       "with_boards": page_figures(busy, t2 - t1, cpu2 - cpu1)},
        "boards_alone": {"seconds": round(t3 - t2c, 1), "polls": len(alone),
                         "server_cpu_cores": round(alone_cores, 4),
                         "share_of_machine": round(share, 4), "cpus": os.cpu_count(),
                         "cpu_ms_per_poll": round((cpu3 - cpu2) * 1000 / len(alone), 2)
                         if alone else None},
        "failures": failures,
        "target": f"the boards alone take at most {TARGET_BOARDS_SHARE:.0%} of the machine's CPU",
        "pass": share <= TARGET_BOARDS_SHARE and failures == 0,
    }


# ---------------------------------------------------------------------------- main

def start_dispatcher(folder: Path, url: str, port: int, smtp_port: int, log: Path):
    env = {**os.environ, "DATABASE_URL": url, "COMPACT_INSTANCE_PATH": str(folder),
           "COMPACT_SECRET_KEY": "bench-secret-key", "COMPACT_BASE_URL": f"http://127.0.0.1:{port}",
           "COMPACT_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
           "COMPACT_MAIL_FROM": "Compact <compact@bench.example>",
           "COMPACT_WEBHOOK_ALLOW": "127.0.0.1/32"}
    compact = Path(sys.executable).with_name("compact")
    out = log.open("w")
    process = subprocess.Popen([str(compact), "dispatch", "--interval", "1"], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while "dispatcher" not in log.read_text():
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            sys.exit("the dispatcher did not start:\n" + log.read_text())
        time.sleep(0.1)
    time.sleep(1.5)  # a round or so: the dispatcher is polling when the incident arrives
    return process


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--organisations", type=int, default=50)
    ap.add_argument("--duties", type=int, default=10, help="duties per organisation")
    ap.add_argument("--boards", type=int, default=200)
    ap.add_argument("--users", type=int, default=20, help="coordinators the boards sign in as")
    ap.add_argument("--poll-period", type=float, default=10.0)
    ap.add_argument("--baseline-seconds", type=float, default=15.0)
    ap.add_argument("--board-seconds", type=float, default=30.0)
    ap.add_argument("--idle-seconds", type=float, default=15.0,
                    help="the boards alone, for their CPU cost")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--postgres", metavar="URL",
                    help="a PostgreSQL server on which a fresh database is made and dropped")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true",
                    help="5 organisations, 20 boards polling every 2 s for 5 s")
    ap.add_argument("--output")
    args = ap.parse_args(argv)
    if args.quick:
        args.organisations, args.boards, args.users, args.poll_period = 5, 20, 4, 2.0
        args.baseline_seconds, args.board_seconds, args.idle_seconds = 2.0, 5.0, 3.0
    backend = "postgresql" if args.postgres else "sqlite"
    if args.postgres:
        store_bench.POSTGRES = args.postgres
    output = Path(args.output or RESULTS / (f"dissemination{'-postgresql' if args.postgres else ''}"
                                            f"{'-quick' if args.quick else ''}.json"))
    received = Received()
    smtp = Controller(MailHandler(received), hostname="127.0.0.1", port=web_bench.free_port())
    smtp.start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["COMPACT_INSTANCE_PATH"] = str(folder)
        compiled.clear()
        secrets: dict[str, str] = {}
        hooks = webhook_server(received, secrets)
        db = store_bench.Store(backend, folder)
        server = dispatcher = None
        try:
            t = time.perf_counter()
            setup = prepare(db, args.organisations, args.duties, hooks.server_address[1],
                            min(args.users, args.boards))
            secrets.update(setup["secrets"])
            (folder / "drill.agreement").write_text(setup["text"])
            print(f"{backend}: prepared one executed agreement of {setup['parties']} parties "
                  f"({len(secrets)} with a webhook) in {time.perf_counter() - t:.0f} s", flush=True)
            port = web_bench.free_port()
            server = web_bench.start_gunicorn(folder, db.url, port, args.workers)
            dispatcher = start_dispatcher(folder, db.url, port, smtp.port, folder / "dispatch.log")
            before = drain(db, received)
            wait = max(TARGET_DELIVERY_S * 2, 60)
            sent = delivery(db, port, setup["token"], received, TARGET_DELIVERY_S, wait)
            if not sent["recorded"]:
                sys.exit(f"recording failed: {sent}")
            sent["setup_messages_before"] = before
            print(f"delivery: {sent['duties']} duties, {sent['expected']} messages in the outbox "
                  f"(e-mail {sent['by_channel']['email']['expected']}, webhook "
                  f"{sent['by_channel']['webhook']['expected']}); recording answered in "
                  f"{sent['record_request_ms']} ms", flush=True)
            print(f"  delivered {sent['delivered']} (e-mail "
                  f"{sent['by_channel']['email']['delivered']}, webhook "
                  f"{sent['by_channel']['webhook']['delivered']}); missing {sent['missing']}, "
                  f"duplicates {sent['duplicates']}, bad {len(sent['bad_messages'])}, failed "
                  f"attempts {sent['failed_attempts']}")
            print(f"  latency p50 {sent['p50_s']} s, p99 {sent['p99_s']} s, first "
                  f"{sent['first_message_s']} s, last {sent['last_message_s']} s "
                  f"({sent['messages_per_s']} messages/s)")
            cookies = [sign_in(port, email) for email in setup["viewers"]]
            print(f"boards: {args.boards} boards polling every {args.poll_period:g} s ...",
                  flush=True)
            boards = open_boards(server, port, cookies, args)
            dispatch_log = (folder / "dispatch.log").read_text()
        finally:
            for process in (dispatcher, server):
                if process is not None:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(60)
            hooks.shutdown()
            smtp.stop()
            db.close()
    page = boards["board_page"]
    print(f"  {boards['polls']} polls in {boards['seconds']} s: {boards['requests_per_s']} "
          f"requests/s; 304 {boards['share_304']:.0%} (after each board's first poll "
          f"{boards['share_304_after_first_poll'] or 0:.0%}); version p50 "
          f"{boards['version_p50_ms']} ms, p99 {boards['version_p99_ms']} ms")
    print(f"  board page alone: p50 {page['baseline']['p50_ms']} ms, p99 "
          f"{page['baseline']['p99_ms']} ms ({page['baseline']['requests_per_s']}/s); beside the "
          f"boards: p50 {page['with_boards']['p50_ms']} ms, p99 {page['with_boards']['p99_ms']} ms "
          f"({page['with_boards']['requests_per_s']}/s)")
    alone = boards["boards_alone"]
    print(f"  the boards alone: {alone['server_cpu_cores']} cores of gunicorn CPU "
          f"({alone['share_of_machine']:.1%} of {alone['cpus']} CPUs, "
          f"{alone['cpu_ms_per_poll']} ms a poll); failed requests {boards['failures']}")
    if "Traceback" in dispatch_log or "failed" in dispatch_log.lower():
        print("dispatcher log:\n" + dispatch_log[-3000:])
    ok = sent["pass"] and boards["failures"] == 0
    print(f"{sent['result']}  {sent['target']}: last message at {sent['last_message_s']} s")
    print(f"{'PASS' if boards['pass'] else 'MISS'}  {boards['target']}: "
          f"{alone['share_of_machine']:.1%}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "backend": backend, "organisations": args.organisations,
        "duties_per_organisation": args.duties, "workers": args.workers,
        "cpus": os.cpu_count(), "load": os.getloadavg(), "quick": args.quick,
        "delivery": sent, "boards": boards, "failures": boards["failures"],
        "pass": ok, "result": "PASS" if ok else "FAIL"}, indent=2) + "\n")
    print(f"{'PASS' if ok else 'FAIL'}; wrote {output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
