"""`compact dispatch`, `compact contacts` and `compact outbox`: what they print, what they
change, and that every bad input is one sentence on stderr and exit status 1."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from agreements import compiled, users
from agreements.db import make_engine, session_factory
from agreements.dissemination.models import ContactPoint, Notification
from agreements.drafting import analyse, create_agreement, publish
from agreements.incidents import record_incident
from agreements.models import AuditEntry
from agreements.signing import sign
from tests.agreements.conftest import LIBRARY, library_text, make_people
from web.cli import main

COMPACT = Path(sys.executable).with_name("compact")
TASK_FORCE = "cap-joint-task-force.agreement"
TASK_FORCE_ID = "columbia-cap-joint-task-force"
ALERT = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes()
NOW = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
ADMIN = "admin@compact.example"
ORG = "lakeside_county"
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, used through the environment as a deployment would."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(folder))
    for name in ("DATABASE_URL", "COMPACT_SMTP_URL", "COMPACT_WEBHOOK_ALLOW"):
        monkeypatch.delenv(name, raising=False)
    compiled.clear()
    return folder


@pytest.fixture
def store(instance):
    """The embedded store with the task force protocol executed and an alert recorded: its
    duties' notifications are queued in the outbox."""
    assert run("db", "upgrade").exit_code == 0
    engine = make_engine()
    with session_factory(engine)() as session:
        parties = analyse(library_text(TASK_FORCE)).parties
        people = make_people(session, [p for p, _ in parties], dict(parties))
        create_agreement(session, people.drafter, library_text(TASK_FORCE), now=NOW)
        publish(session, people.drafter, TASK_FORCE_ID, 1, now=NOW)
        for party, partner in people.partners.items():
            sign(session, partner, TASK_FORCE_ID, 1, signer_name=f"Signer of {party}",
                 signer_title="Director", consent=True, now=NOW)
        record_incident(session, people.coordinator, ALERT, now=NOW)
    yield engine
    engine.dispose()


def run(*args):
    return CliRunner().invoke(main, list(args))


def rows(engine, model, *where):
    with session_factory(engine)() as session:
        return session.scalars(select(model).where(*where).order_by(model.id)).all()


def refused(result, message: str) -> None:
    """Exit status 1 and the message on stderr, no traceback and nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- dispatch

def test_dispatch_once_writes_the_queued_mail_as_files_and_prints_the_counts(store, instance):
    queued = rows(store, Notification)
    assert queued and {n.state for n in queued} == {"queued"}
    result = run("dispatch", "--once")
    assert result.exit_code == 0, result.output
    first, counts = result.stdout.splitlines()
    assert first.endswith(f": no COMPACT_SMTP_URL: e-mail is written as .eml files to "
                          f"{instance / 'outbox'} (listed on /admin/outbox)")
    found = re.fullmatch(r"(\d+) delivered, 0 to retry, 0 failed; (\d+) raised by the clock",
                         counts)
    assert found, counts
    after = rows(store, Notification)
    assert {n.state for n in after} == {"delivered"}
    assert int(found.group(1)) == len(after) >= len(queued)
    files = sorted((instance / "outbox").glob("*.eml"))
    assert {f.name for f in files} == {f"ntf-{n.id}.eml" for n in after if n.channel == "email"}
    assert b"Subject: [Compact]" in files[0].read_bytes()
    again = run("dispatch", "--once")
    assert again.stdout.splitlines()[1] == "0 delivered, 0 to retry, 0 failed; 0 raised by the clock"


def test_dispatch_refuses_a_database_not_upgraded_and_a_bad_smtp_url(instance, monkeypatch):
    refused(run("dispatch", "--once"),
            "compact: the database is not up to date; run `compact db upgrade` first")
    assert run("db", "upgrade").exit_code == 0
    monkeypatch.setenv("COMPACT_SMTP_URL", "carrier-pigeon://x")
    result = run("dispatch", "--once")
    assert result.exit_code == 1 and result.stderr.startswith("compact: ")
    assert "COMPACT_SMTP_URL" in result.stderr or "smtp" in result.stderr.lower()


# ---------------------------------------------------------------- contacts

def test_contacts_add_list_pause_resume_remove(store, monkeypatch):
    listed = run("contacts", "list", ORG)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == (f"{ORG} has no contact point of its own\n"
                             f"{ORG} has no e-mail contact point: the agreements' contact "
                             f"address is mailed instead\n")

    added = run("contacts", "add", ORG, "email", "desk@lakeside.example", "--label",
                "24-hour duty desk", "--as", ADMIN)
    assert added.exit_code == 0, added.output
    [email] = rows(store, ContactPoint)
    assert added.stdout == (f"contact point {email.id}: email desk@lakeside.example added for "
                            f"{ORG}\n")
    monkeypatch.setenv("COMPACT_WEBHOOK_ALLOW", "127.0.0.1/32")
    hooked = run("contacts", "add", ORG, "webhook", HOOK, "--as", ADMIN.upper())
    assert hooked.exit_code == 0, hooked.output
    hook = rows(store, ContactPoint, ContactPoint.kind == "webhook")[0]
    assert hook.secret.startswith("whsec_")
    assert hooked.stdout.splitlines()[1] == (
        "signing secret (shown only now; keep it where the receiver verifies signatures): "
        f"{hook.secret}")

    listed = run("contacts", "list", ORG)
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "ADDRESS", "LABEL", "HEALTH"]
    assert lines[1].split() == [str(email.id), "email", "desk@lakeside.example", "24-hour",
                                "duty", "desk", "ok"]
    assert lines[2].split() == [str(hook.id), "webhook", HOOK, "-", "ok"]
    assert lines[3] == f"{ORG}'s e-mail contact points replace the agreements' contact address"
    assert hook.secret not in listed.output

    paused = run("contacts", "pause", ORG, str(hook.id), "--as", ADMIN)
    assert paused.stdout == (f"contact point {hook.id} ({HOOK}) is paused: nothing is sent to "
                             f"it until it is resumed\n")
    assert run("contacts", "list", ORG).stdout.splitlines()[2].split()[-1] == "paused"
    resumed = run("contacts", "resume", ORG, str(hook.id), "--as", ADMIN)
    assert resumed.stdout == f"contact point {hook.id} ({HOOK}) is resumed\n"
    removed = run("contacts", "remove", ORG, str(email.id), "--as", ADMIN)
    assert removed.stdout == (f"contact point {email.id} (desk@lakeside.example) is removed: "
                              f"nothing more is sent to it\n")
    again = run("contacts", "remove", ORG, str(email.id), "--as", ADMIN)
    assert again.exit_code == 0 and "is already removed" in again.stdout
    lines = run("contacts", "list", ORG).stdout.splitlines()
    assert len(lines) == 3 and lines[1].startswith(str(hook.id))
    assert lines[2].endswith("the agreements' contact address is mailed instead")
    refused(run("contacts", "pause", ORG, str(email.id), "--as", ADMIN),
            "compact: the contact point desk@lakeside.example was removed; nothing was changed")

    with session_factory(store)() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("contact_point.%")).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == [
            "contact_point.add", "contact_point.add", "contact_point.pause",
            "contact_point.resume", "contact_point.remove"]
        assert {e.actor_email for e in entries} == {ADMIN}
        assert all(hook.secret not in str(e.detail) for e in entries)


def test_contacts_refuse_bad_input_with_a_sentence_and_exit_1(store):
    add = ("contacts", "add", ORG, "email", "desk@lakeside.example")
    refused(run(*add, "--as", "coordinator@compact.example"),
            "compact: --as coordinator@compact.example: this user is a coordinator; the "
            "contact commands act as an active administrator")
    refused(run(*add, "--as", "nobody@compact.example"),
            "compact: --as nobody@compact.example: there is no user with this e-mail address")
    refused(run(*add), "Missing option '--as'")
    refused(run("contacts", "add", "no_such_org", "email", "a@b.example", "--as", ADMIN),
            "compact: there is no organisation 'no_such_org'")
    refused(run("contacts", "list", "no_such_org"), "compact: there is no organisation "
                                                    "'no_such_org'")
    refused(run("contacts", "add", ORG, "sms", "+1555", "--as", ADMIN),
            "'sms' is not one of 'email', 'webhook'")
    refused(run("contacts", "add", ORG, "email", "two@x.example, three@x.example", "--as", ADMIN),
            "is not one e-mail address")
    refused(run("contacts", "add", ORG, "webhook", HOOK, "--as", ADMIN),
            "compact: webhook address 127.0.0.1 is a loopback address; the deployment allows "
            "only public addresses unless COMPACT_WEBHOOK_ALLOW lists its network")
    refused(run("contacts", "add", ORG, "email", "a@b.example", "--label", "x" * 201,
                "--as", ADMIN), "a label has at most 200 characters")
    assert rows(store, ContactPoint) == []
    assert run(*add, "--as", ADMIN).exit_code == 0
    refused(run(*add, "--as", ADMIN), "already has the e-mail contact point "
                                      "desk@lakeside.example")
    [point] = rows(store, ContactPoint)
    refused(run("contacts", "pause", "harmon_county", str(point.id), "--as", ADMIN),
            f"compact: harmon_county has no contact point {point.id}; `compact contacts list "
            f"harmon_county` shows its contact points")
    refused(run("contacts", "pause", ORG, "999999", "--as", ADMIN),
            f"compact: {ORG} has no contact point 999999")
    refused(run("contacts", "remove", ORG, "first", "--as", ADMIN),
            "'first' is not a valid integer")
    refused(run("contacts", "resume", ORG, "--as", ADMIN), "Missing argument 'POINT_ID'")
    refused(run("contacts", "rename", ORG), "No such command 'rename'")
    assert rows(store, ContactPoint)[0].removed_at is None


def test_a_deactivated_administrator_may_not_act(store):
    from agreements.models import User
    with session_factory(store)() as session:
        admin = session.scalar(select(User).where(User.email == ADMIN))
        admin.active = False
        session.commit()
    refused(run("contacts", "add", ORG, "email", "a@b.example", "--as", ADMIN),
            f"compact: --as {ADMIN}: this user is deactivated")


def test_the_real_command_exits_1_without_a_traceback(store):
    result = subprocess.run([str(COMPACT), "contacts", "pause", ORG, "7", "--as",
                             "drafter@compact.example"], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == ("compact: --as drafter@compact.example: this user is a drafter; "
                             "the contact commands act as an active administrator\n")


# ---------------------------------------------------------------- outbox

def test_outbox_lists_the_notifications_newest_first(store):
    queued = rows(store, Notification)
    listed = run("outbox")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "EVENT", "WAVE", "TO", "STATE", "ATTEMPTS", "LAST",
                                "OUTCOME"]
    newest = queued[-1]
    assert lines[1].split()[:2] == [str(newest.id), newest.event]
    assert f"{newest.channel}:{newest.address}" in lines[1]
    assert lines[1].split()[-3:] == ["queued", "0", "-"]
    shown = min(50, len(queued))
    assert len(lines) == shown + 2
    assert lines[-1] == f"{shown} of {len(queued)} notifications, newest first"

    two = run("outbox", "--limit", "2").stdout.splitlines()
    assert [line.split()[0] for line in two[1:3]] == [str(queued[-1].id), str(queued[-2].id)]
    assert two[-1] == f"2 of {len(queued)} notifications, newest first"

    assert run("outbox", "--state", "failed").stdout == "no failed notifications in the outbox\n"
    assert run("dispatch", "--once").exit_code == 0
    delivered = run("outbox", "--state", "delivered", "--limit", "1000").stdout.splitlines()
    total = len(rows(store, Notification))
    assert delivered[-1] == f"{total} of {total} delivered notifications, newest first"
    for line in delivered[1:-1]:
        cells = line.split()
        assert cells[-5:-3] == ["delivered", "1"]
        assert cells[-3:] == ["written", "to", f"ntf-{cells[0]}.eml"]  # all e-mail, no hook
    assert run("outbox", "--state", "queued").stdout == "no queued notifications in the outbox\n"

    refused(run("outbox", "--state", "lost"), "'lost' is not one of 'queued', 'delivered', "
                                              "'failed'")
    refused(run("outbox", "--limit", "0"), "0 is not in the range 1<=x<=1000")


def test_outbox_on_a_database_not_upgraded_exits_1(instance):
    refused(run("outbox"), "compact: the database is not up to date; run `compact db upgrade` "
                           "first")
