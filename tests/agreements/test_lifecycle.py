"""The whole life of an agreement on record: draft to withdrawal, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from agreements.documents import revision_pdf, seal_identity, verify_document
from agreements.drafting import create_agreement, publish, save_revision
from agreements.duties import change_duty
from agreements.errors import Conflict, NotAllowed
from agreements.incidents import check_breaches, record_incident
from agreements.models import Agreement, AuditEntry, Incident
from agreements.signing import sign, withdraw

from .conftest import LIBRARY, library_text, make_people


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


ESCALATION = '''
clause relay_escalation "Escalation of a missed relay"
  when breached relay_warning
  lead must "relay the protective-action instructions statewide for every County that has not" within 15 minutes of breach of relay_warning
'''
SLUG = "columbia-cap-joint-task-force"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county",
           "state_patrol", "columbia_guard", "columbia_dep"]
ALERT = (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes()
UPDATE = (LIBRARY / "incidents" / "cap-flash-flood-update.xml").read_bytes()
CANCEL = (LIBRARY / "incidents" / "cap-flash-flood-cancel.xml").read_bytes()


def live(incident: Incident) -> dict:
    return {(d.clause, d.party_id): d for d in incident.duties if d.state != "superseded"}


def test_the_whole_life_of_an_agreement(db, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path))  # the seal identity lives here
    people = make_people(db, PARTIES)
    source = library_text("cap-joint-task-force.agreement")

    # Draft, then two revisions: an escalation clause, then a tighter relay deadline.
    first = create_agreement(db, people.drafter, source, now=utc("2026-05-01T09:00:00Z"))
    assert (first.number, first.error_count) == (1, 0)
    rev2, created = save_revision(db, people.drafter, SLUG, source + ESCALATION, base_revision=1,
                                  now=utc("2026-05-02T09:00:00Z"))
    assert created and rev2.number == 2
    # Unchanged text (even re-laid-out) makes no new revision.
    same, created = save_revision(db, people.drafter, SLUG, source + ESCALATION + "\n\n",
                                  base_revision=2, now=utc("2026-05-02T10:00:00Z"))
    assert not created and same.number == 2
    rev3_text = (source + ESCALATION).replace(
        'relay the alert\'s protective-action instructions on local warning channels',
        'relay the alert\'s protective-action instructions on every local warning channel')
    rev3, created = save_revision(db, people.drafter2, SLUG, rev3_text, base_revision=2,
                                  now=utc("2026-05-03T09:00:00Z"))
    assert created and rev3.number == 3 and rev3.author.email == "drafter2@compact.example"
    # A save based on revision 2, after revision 3 exists, is refused and writes nothing.
    with pytest.raises(Conflict, match=r"revision 3 of 'columbia-cap-joint-task-force' was "
                                       r"saved by Drew Drafter .* after revision 2"):
        save_revision(db, people.drafter, SLUG, source, base_revision=2,
                      now=utc("2026-05-03T10:00:00Z"))
    assert [r.number for r in db.scalar(select(Agreement)).revisions] == [1, 2, 3]

    published = publish(db, people.drafter, SLUG, 3, now=utc("2026-05-04T09:00:00Z"))
    agreement = db.scalar(select(Agreement).where(Agreement.slug == SLUG))
    assert agreement.state == "out_for_signature" and published.id == rev3.id
    executed_hash = rev3.content_hash

    # Every party signs; the agreement is executed by the last signature.
    for i, party in enumerate(PARTIES):
        assert agreement.state == "out_for_signature"
        sign(db, people.partners[party], SLUG, 3, signer_name=f"Signer {i}",
             signer_title="Director", consent=True, address=f"10.0.0.{i + 1}",
             now=utc("2026-05-10T09:00:00Z") + timedelta(hours=i))
    assert agreement.state == "executed"
    assert agreement.executed_revision.number == 3
    assert agreement.executed_at == utc("2026-05-10T16:00:00Z")
    assert all(s.content_hash == executed_hash for s in rev3.signatures)
    check_signed_pdf(db, people, executed_hash, tmp_path)

    # A CAP alert is recorded: duties stored with explanations and the revision hash.
    incident = record_incident(db, people.coordinator, ALERT, now=utc("2026-06-19T04:15:00Z"))
    assert incident.key == "CO-NWS-2026-0618-FFW-001"
    assert incident.messages[0].format == "cap" and incident.messages[0].received == ALERT.decode()
    assert incident.messages[0].mapped["type"] == "flash flood warning"
    duties = live(incident)
    assert {k: (d.modality, d.due) for k, d in duties.items()} == {
        ("stand_up", "state_eoc"): ("must", utc("2026-06-19T05:12:00Z")),  # sent + 1 hour
        ("relay_warning", "lakeside_county"): ("must", utc("2026-06-19T04:42:00Z")),
        ("relay_warning", "harmon_county"): ("must", utc("2026-06-19T04:42:00Z")),
        ("liaison", "lakeside_county"): ("must", utc("2026-06-19T06:10:00Z")),
        ("liaison", "harmon_county"): ("must", utc("2026-06-19T06:10:00Z")),
        ("traffic_control", "state_patrol"): ("must", utc("2026-06-19T05:40:00Z")),
        ("high_water", "columbia_guard"): ("may", None),
        ("no_self_dispatch", "pine_ridge_county"): ("must not", None),
        ("no_self_dispatch", "ashford_county"): ("must not", None),
    }
    assert all(d.content_hash == executed_hash and d.state == "open" for d in duties.values())
    relay = duties[("relay_warning", "harmon_county")]
    assert relay.action == ("relay the alert's protective-action instructions on every local "
                            "warning channel")
    assert relay.because == [
        "imminent: incident.severity >= severe (was extreme) and incident.urgency == immediate "
        "(was immediate) and incident.certainty >= likely (was observed)",
        'jtf_hazard: incident.type in ["flash flood warning", "flood warning"] '
        '(was "flash flood warning")',
        'not exercise (incident.status was "actual")']

    # Duties acknowledged and fulfilled by the parties that owe them.
    stand_up = duties[("stand_up", "state_eoc")]
    change_duty(db, people.partners["state_eoc"], stand_up.id, "acknowledge",
                now=utc("2026-06-19T04:20:00Z"))
    change_duty(db, people.partners["state_eoc"], stand_up.id, "fulfil",
                note="JTF channel open", now=utc("2026-06-19T04:50:00Z"))
    lakeside_relay = duties[("relay_warning", "lakeside_county")]
    change_duty(db, people.partners["lakeside_county"], lakeside_relay.id, "fulfil",
                now=utc("2026-06-19T04:30:00Z"))
    assert [e.to_state for e in stand_up.events] == ["open", "acknowledged", "fulfilled"]
    assert stand_up.events[-1].note == "JTF channel open"
    with pytest.raises(NotAllowed, match="this duty belongs to state_eoc"):
        change_duty(db, people.partners["harmon_county"], stand_up.id, "acknowledge")

    # Harmon misses its relay: the breach check marks it and the escalation duty appears.
    check_breaches(db, now=utc("2026-06-19T04:45:00Z"))
    db.refresh(incident)
    duties = live(incident)
    assert duties[("relay_warning", "harmon_county")].state == "breached"
    assert duties[("relay_warning", "lakeside_county")].state == "fulfilled"
    escalation = duties[("relay_escalation", "state_eoc")]
    assert escalation.due == utc("2026-06-19T04:57:00Z")  # 15 minutes after the 04:42 breach
    assert escalation.escalation_of_id == duties[("relay_warning", "harmon_county")].id
    assert any("breached relay_warning" in b for b in escalation.because)

    # The CAP Update extends the warning to Pine Ridge: re-evaluated, nothing deleted.
    before_ids = {d.id for d in incident.duties}
    updated = record_incident(db, people.coordinator, UPDATE, now=utc("2026-06-19T06:30:00Z"))
    assert updated.id == incident.id and len(updated.messages) == 2
    assert updated.messages[1].message_type == "Update"
    assert before_ids <= {d.id for d in updated.duties}
    duties = live(updated)
    assert ("relay_warning", "pine_ridge_county") in duties
    assert ("liaison", "pine_ridge_county") in duties
    assert ("no_self_dispatch", "pine_ridge_county") not in duties
    superseded = [d for d in updated.duties if d.state == "superseded"]
    assert [(d.clause, d.party_id) for d in superseded] == [("no_self_dispatch",
                                                             "pine_ridge_county")]
    assert duties[("stand_up", "state_eoc")].id == stand_up.id  # unchanged duties are kept

    # The Cancel supersedes every duty; none is deleted.
    count = len(updated.duties)
    cancelled = record_incident(db, people.coordinator, CANCEL, now=utc("2026-06-19T11:40:00Z"))
    assert cancelled.state == "cancelled" and len(cancelled.duties) == count
    assert all(d.state == "superseded" for d in cancelled.duties)
    assert stand_up.events[-1].to_state == "superseded"

    # Ashford withdraws: 30 days' notice, after which a warning for its area gives it nothing.
    notice = withdraw(db, people.partners["ashford_county"], SLUG, reason="county merger",
                      now=utc("2026-07-01T00:00:00Z"))
    assert notice.effective_at == utc("2026-07-31T00:00:00Z")
    tornado = ('{"id": "TOR-%s", "type": "tornado warning", "severity": "extreme", '
               '"urgency": "immediate", "certainty": "observed", "area": ["FIPS:039007"], '
               '"reported_at": "%s"}')
    during = record_incident(db, people.coordinator, tornado % (1, "2026-07-15T12:00:00Z"),
                             now=utc("2026-07-15T12:00:00Z"))
    after = record_incident(db, people.coordinator, tornado % (2, "2026-08-15T12:00:00Z"),
                            now=utc("2026-08-15T12:00:00Z"))
    assert ("liaison", "ashford_county") in live(during)
    assert not [k for k in live(after) if k[1] == "ashford_county"]

    # The audit log holds every step, with actor and revision hash.
    log = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    steps = [(e.action, e.actor_email) for e in log if e.action not in ("user.create",
                                                                         "duty.create",
                                                                         "duty.breach")]
    assert steps[:5] == [("agreement.create", "drafter@compact.example"),
                         ("revision.save", "drafter@compact.example"),
                         ("revision.save", "drafter@compact.example"),
                         ("revision.save", "drafter2@compact.example"),
                         ("revision.publish", "drafter@compact.example")]
    signs = [e for e in log if e.action == "revision.sign"]
    assert [e.detail["party"] for e in signs] == PARTIES
    assert all(e.revision_hash == executed_hash for e in signs)
    assert [e.actor_email for e in signs] == [f"{p}@partner.example" for p in PARTIES]
    actions = [e.action for e in log]
    for action in ("agreement.execute", "incident.record", "duty.create", "duty.acknowledge",
                   "duty.fulfil", "duty.breach", "incident.reevaluate", "incident.update",
                   "incident.cancel", "agreement.withdraw"):
        assert action in actions, action
    assert all(e.revision_hash == executed_hash for e in log
               if e.action.startswith("duty.") or e.action in ("agreement.execute",
                                                                 "agreement.withdraw"))
    breach = next(e for e in log if e.action == "duty.breach")
    assert breach.actor_email == "system" and breach.detail["party"] == "harmon_county"
    fulfil = next(e for e in log if e.action == "duty.fulfil")
    assert fulfil.actor_email == "state_eoc@partner.example" or fulfil.detail["party"] == \
        "lakeside_county"


def check_signed_pdf(db, people, executed_hash: str, tmp_path) -> None:
    """The executed agreement's PDF: sealed, every section in its text, broken by one byte."""
    document = revision_pdf(db, people.partners["harmon_county"], SLUG, 3,
                            now=utc("2026-05-11T09:00:00Z"))
    assert document.sealed and document.filename == f"{SLUG}-r3-executed.pdf"
    again = revision_pdf(db, people.coordinator, SLUG, 3, now=utc("2026-05-12T09:00:00Z"))
    assert again.data == document.data  # served from storage, not rendered again
    assert [e.action for e in db.scalars(select(AuditEntry).where(
        AuditEntry.action == "revision.render_pdf"))] == ["revision.render_pdf"]

    # pyHanko's own validation, trusting the deployment's certificate.
    reader = PdfFileReader(BytesIO(document.data))
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(
        str(seal_identity().cert_path))], allow_fetching=False)
    assert validate_pdf_signature(signature, context).bottom_line

    path = tmp_path / "executed.pdf"
    path.write_bytes(document.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    pages = text.count("\f")
    for expected in ["Protocol on a Joint Task Force Activated by Common Alerting Protocol",
                     "Revision 3", executed_hash, "Recitals", "Definitions", "Clauses",
                     "Relay of protective actions", "Escalation of a missed relay",
                     "Summary of clause", "Annex: duties by party", "Signatures",
                     "Certificate of completion", "Signer 0", "Signer 7", "10.0.0.8",
                     f"Page 1 of {pages}", f"Page {pages} of {pages}"]:
        assert expected in flat, expected
    assert flat.count(executed_hash) >= pages  # the hash is in every footer

    verified = verify_document(db, document.data)
    assert verified.valid and verified.revision.number == 3
    assert f"names revision 3 of '{SLUG}'" in verified.message
    changed = bytearray(document.data)
    changed[len(changed) // 3] ^= 0x01
    broken = verify_document(db, bytes(changed))
    assert not broken.valid and not broken.verification.valid
    assert broken.message == broken.verification.message and "seal" in broken.message.lower()
