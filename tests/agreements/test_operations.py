"""The service operations one by one: who may do what, what each refuses and with which
message, and what is (or is not) stored afterwards, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

import engine.compiler
from agreements import drafting, incidents, signing, users
from agreements.drafting import analyse, create_agreement, get_agreement, publish, save_revision
from agreements.duties import change_duty, effective_state
from agreements.errors import Conflict, Invalid, NotAllowed, NotFound
from agreements.incidents import check_breaches, record_incident, update_incident
from agreements.models import (Agreement, AppendOnlyError, AuditEntry, Duty, DutyEvent, Incident,
                               IncidentMessage, Organisation, Revision, Signature, User)
from agreements.signing import sign
from agreements.users import create_organisation, create_user, update_user
from agreements.whatif import what_if

from .conftest import LIBRARY, library_text, make_people

SLUG = "columbia-intrastate-mutual-aid"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county"]
SOURCE = library_text("intrastate-mutual-aid.agreement")
REQUEST_TEXT = (LIBRARY / "incidents" / "lakeside-flood-oral-request.json").read_text()
REQUEST = json.loads(REQUEST_TEXT)
CANCEL = (LIBRARY / "incidents" / "cap-flash-flood-cancel.xml").read_bytes()

BORDER_SLUG = "norland-border-information-sharing"
BORDER_PARTIES = ["norland_crisis_centre", "norland_border_guard", "norland_migration",
                  "norland_police", "norland_fire_rescue", "norland_red_cross",
                  "vasar_municipality", "lindholm_municipality"]
SURGE = json.loads((LIBRARY / "incidents" / "vasar-border-surge.json").read_text())

SITREP = '''
clause sitrep "Situation report"
  when activated and incident.requested_by is given
  coordinator must "publish a situation report to every Party" within 12 hours
'''
TABLES = (Organisation, User, Agreement, Revision, Signature, Incident, IncidentMessage, Duty,
          DutyEvent, AuditEntry)


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def exact(message: str) -> str:
    """A `match=` pattern for exactly this message."""
    return "^" + re.escape(message) + "$"


def incident_json(**changes) -> str:
    return json.dumps({**REQUEST, **changes})


def without(field: str) -> str:
    return json.dumps({k: v for k, v in REQUEST.items() if k != field})


def counts(Session) -> dict:
    """Rows per table, read in a new session: what anyone else would see."""
    with Session() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in TABLES}


def execute(db, people, source=SOURCE, slug=SLUG, parties=PARTIES) -> Revision:
    """Create, publish and have every party sign revision 1."""
    revision = create_agreement(db, people.drafter, source, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, slug, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in parties:
        sign(db, people.partners[party], slug, 1, signer_name=f"Director of {party}",
             signer_title="Director", consent=True, address="198.51.100.1",
             now=utc("2026-01-04T09:00:00Z"))
    assert revision.agreement.state == "executed"
    return revision


def live(incident: Incident) -> dict:
    return {(d.clause, d.party_id): d for d in incident.duties if d.state != "superseded"}


def remove_clause(source: str, clause: str) -> str:
    """The text without a clause and without the example lines that name it."""
    block = re.search(rf"\nclause {clause} .*?\n\n", source, re.S).group(0)
    source = source.replace(block, "\n")
    return "".join(line for line in source.splitlines(keepends=True)
                   if not re.match(rf"\s+expect .*\b{clause}$", line))


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Cheap scrypt parameters for the test users (they are stored with each hash)."""
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def people(db):
    return make_people(db, PARTIES + ["estmark_mfa"])


@pytest.fixture
def executed(db, people):
    return execute(db, people)


@pytest.fixture
def request_incident(db, people, executed):
    return record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))


# ---------------------------------------------------------------- permissions


def test_a_coordinator_or_partner_cannot_create_revise_or_publish(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    before = counts(Session)
    partner = people.partners["lakeside_county"]
    for actor, role in ((people.coordinator, "coordinator"), (partner, "partner")):
        with pytest.raises(NotAllowed, match=exact(
                f"only a drafter or admin may create an agreement; you are a {role}")) as caught:
            create_agreement(db, actor, SOURCE.replace(SLUG, "another-agreement"))
        assert caught.value.status == 403
        with pytest.raises(NotAllowed, match=exact(
                f"only a drafter or admin may revise an agreement; you are a {role}")):
            save_revision(db, actor, SLUG, SOURCE + SITREP, base_revision=1)
        with pytest.raises(NotAllowed, match=exact(
                f"only a drafter or admin may publish an agreement; you are a {role}")):
            publish(db, actor, SLUG, 1)
    assert counts(Session) == before
    assert get_agreement(db, SLUG).state == "draft"


def test_a_drafter_cannot_record_or_update_an_incident(db, people, executed, Session):
    before = counts(Session)
    with pytest.raises(NotAllowed, match=exact(
            "only a coordinator or admin may record an incident; you are a drafter")):
        record_incident(db, people.drafter, REQUEST_TEXT)
    with pytest.raises(NotAllowed, match=exact(
            "only a coordinator or admin may record an incident; you are a partner")):
        record_incident(db, people.partners["lakeside_county"], REQUEST_TEXT)
    assert counts(Session) == before
    record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    with pytest.raises(NotAllowed, match=exact(
            "only a coordinator or admin may update an incident; you are a drafter")):
        update_incident(db, people.drafter, REQUEST["id"], incident_json(request_form="written"))


def test_only_partners_of_a_party_sign(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    before = counts(Session)
    for actor, role in ((people.drafter, "drafter"), (people.coordinator, "coordinator")):
        with pytest.raises(NotAllowed, match=exact(
                f"only a partner may sign an agreement; you are a {role}")):
            sign(db, actor, SLUG, 1, signer_name="Someone", signer_title="Director",
                 consent=True)
    # estmark_mfa exists as an organisation, with a partner user, but is no party here.
    with pytest.raises(NotAllowed, match=exact(
            f"your organisation (estmark_mfa) is not a party of '{SLUG}'")):
        sign(db, people.partners["estmark_mfa"], SLUG, 1, signer_name="Erik Estmark",
             signer_title="Minister", consent=True)
    assert counts(Session) == before


def test_a_partner_acts_only_on_its_own_duties_and_cannot_waive(db, people, request_incident):
    duties = live(request_incident)
    harmon_respond = duties[("respond", "harmon_county")]
    lakeside = people.partners["lakeside_county"]
    for action in ("acknowledge", "fulfil"):
        with pytest.raises(NotAllowed, match=exact(
                "this duty belongs to harmon_county; a partner acts only on its own "
                "organisation's duties")):
            change_duty(db, lakeside, harmon_respond.id, action, now=utc("2026-04-10T14:10:00Z"))
    with pytest.raises(NotAllowed, match=exact(
            "this duty belongs to harmon_county; a partner acts only on its own "
            "organisation's duties")):
        change_duty(db, lakeside, harmon_respond.id, "decline", note="not ours",
                    now=utc("2026-04-10T14:10:00Z"))
    own = duties[("notify_state", "lakeside_county")]
    with pytest.raises(NotAllowed, match=exact(
            "only a coordinator or admin may waive a duty; you are a partner")):
        change_duty(db, lakeside, own.id, "waive", note="we are busy",
                    now=utc("2026-04-10T14:10:00Z"))
    db.expire_all()
    assert (harmon_respond.state, own.state) == ("open", "open")
    assert [e.to_state for e in harmon_respond.events] == ["open"]
    assert [e.to_state for e in own.events] == ["open"]


def test_an_inactive_user_can_do_nothing(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES[:-1]:
        sign(db, people.partners[party], SLUG, 1, signer_name="X", signer_title="Director",
             consent=True, now=utc("2026-01-04T09:00:00Z"))
    second_admin = create_user(db, people.admin, email="admin2@compact.example",
                               name="Second Admin", role="admin")
    partner = people.partners["ashford_county"]
    for user in (people.drafter, people.coordinator, partner, second_admin):
        update_user(db, people.admin, user.id, active=False)
    before = counts(Session)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to create an agreement")):
        create_agreement(db, people.drafter, SOURCE.replace(SLUG, "another-agreement"))
    with pytest.raises(NotAllowed, match=exact("you must be signed in to revise an agreement")):
        save_revision(db, people.drafter, SLUG, SOURCE + SITREP, base_revision=1)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to publish an agreement")):
        publish(db, people.drafter, SLUG, 1)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to sign an agreement")):
        sign(db, partner, SLUG, 1, signer_name="A", signer_title="B", consent=True)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to record an incident")):
        record_incident(db, people.coordinator, REQUEST_TEXT)
    with pytest.raises(NotAllowed, match=exact(
            "you must be signed in to run a what-if evaluation")):
        what_if(db, people.coordinator, SLUG, 1)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to create users")):
        create_user(db, second_admin, email="x@compact.example", name="X", role="drafter")
    with pytest.raises(NotAllowed, match=exact("you must be signed in to create organisations")):
        create_organisation(db, second_admin, "new_org", "New Org")
    assert counts(Session) == before
    assert get_agreement(db, SLUG).state == "out_for_signature"


def test_an_inactive_partner_cannot_act_on_its_duties(db, people, request_incident):
    duty = live(request_incident)[("notify_state", "lakeside_county")]
    partner = people.partners["lakeside_county"]
    update_user(db, people.admin, partner.id, active=False)
    with pytest.raises(NotAllowed, match=exact("you must be signed in to acknowledge a duty")):
        change_duty(db, partner, duty.id, "acknowledge", now=utc("2026-04-10T14:10:00Z"))
    db.expire_all()
    assert duty.state == "open"


def test_only_an_admin_creates_users_and_organisations(db, people, Session):
    before = counts(Session)
    for actor in (people.drafter, people.coordinator, people.partners["state_eoc"]):
        with pytest.raises(NotAllowed, match=rf"^only an? admin may create users; "
                                             rf"you are a {actor.role}$"):
            create_user(db, actor, email="new@compact.example", name="New", role="drafter")
        with pytest.raises(NotAllowed, match=rf"^only an? admin may create organisations; "
                                             rf"you are a {actor.role}$"):
            create_organisation(db, actor, "new_org", "New Organisation")
    assert counts(Session) == before
    user = create_user(db, people.admin, email="New@Compact.example", name="New Person",
                       role="drafter")
    organisation = create_organisation(db, people.admin, "new_org", "New Organisation")
    with Session() as session:
        assert session.get(User, user.id).email == "new@compact.example"
        assert session.get(Organisation, "new_org").name == organisation.name
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["user.create", "organisation.create"]


def test_refusals_name_the_admin_role_with_the_right_article(db, people):
    # A user reads these messages: "only a admin" / "you are a admin" is wrong English.
    with pytest.raises(NotAllowed, match=exact("only an admin may create users; you are a "
                                               "drafter")):
        create_user(db, people.drafter, email="new@compact.example", name="New", role="drafter")
    with pytest.raises(NotAllowed, match=exact("only a partner may sign an agreement; you are an "
                                               "admin")):
        sign(db, people.admin, SLUG, 1, signer_name="A", signer_title="B", consent=True)


# ---------------------------------------------------------------- drafting


def test_create_needs_an_agreement_id_and_a_new_one(db, people, Session):
    before = counts(Session)
    with pytest.raises(Invalid, match=exact("the text does not start with 'agreement ID', so the "
                                            "agreement has no id")) as caught:
        create_agreement(db, people.drafter, 'title "No header"\nrecital "x"\n')
    assert caught.value.status == 422
    assert caught.value.details and "error" in caught.value.details[0]
    assert counts(Session) == before
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    after_first = counts(Session)
    with pytest.raises(Conflict, match=exact(f"an agreement '{SLUG}' already exists; open it and "
                                             f"save a new revision instead")) as caught:
        create_agreement(db, people.drafter2, SOURCE + SITREP)
    assert caught.value.status == 409
    assert counts(Session) == after_first


def test_a_revision_cannot_rename_the_agreement(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    before = counts(Session)
    renamed = SOURCE.replace(f"agreement {SLUG}", "agreement columbia-renamed-aid")
    with pytest.raises(Invalid, match=exact(
            f"the text names agreement 'columbia-renamed-aid', but this is agreement '{SLUG}'; "
            f"an agreement keeps its id across revisions")):
        save_revision(db, people.drafter, SLUG, renamed, base_revision=1)
    assert counts(Session) == before


def test_a_draft_with_errors_is_saved_but_not_published(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    broken = (SOURCE.replace('  affected must "notify the State EOC',
                             '  nobody must "notify the State EOC')
              .replace('  regional must "report its available',
                       '  somebody must "report its available'))
    revision, created = save_revision(db, people.drafter, SLUG, broken, base_revision=1,
                                      now=utc("2026-01-05T09:00:00Z"))
    assert created and revision.number == 2
    with Session() as session:
        stored = session.get(Revision, revision.id)
        assert (stored.error_count, stored.source) == (2, broken)
        lines = stored.diagnostics.splitlines()
        first = lines.index("<agreement>:76:3: error: unknown role 'nobody'")
        assert lines[first + 1:first + 3] == [
            '   76 |   nobody must "notify the State EOC of the declaration and of the resources '
            'it expects to need" to coordinator within 2 hours',
            "      |   ^^^^^^"]
        second = lines.index("<agreement>:81:3: error: unknown role 'somebody'")
        assert lines[second + 2] == "      |   ^^^^^^^^"
        assert sum(": error: " in line for line in lines) == 2
    with pytest.raises(Invalid, match=exact(
            f"revision 2 of '{SLUG}' has 2 errors; only a revision without errors can be "
            f"published")) as caught:
        publish(db, people.drafter, SLUG, 2)
    assert "<agreement>:76:3: error: unknown role 'nobody'" in caught.value.details
    with Session() as session:
        agreement = get_agreement(session, SLUG)
        assert (agreement.state, agreement.published_revision_id) == ("draft", None)
        assert session.get(Revision, revision.id).published_at is None


def test_publishing_only_the_latest_revision_and_only_once(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    save_revision(db, people.drafter, SLUG, SOURCE + SITREP, base_revision=1,
                  now=utc("2026-01-02T10:00:00Z"))
    with pytest.raises(Conflict, match=exact(f"revision 1 is not the latest revision of '{SLUG}' "
                                             f"(revision 2 is); publish the latest one")):
        publish(db, people.drafter, SLUG, 1)
    published = publish(db, people.drafter, SLUG, 2, now=utc("2026-01-03T09:00:00Z"))
    before = counts(Session)
    with pytest.raises(Conflict, match=exact(f"revision 2 of '{SLUG}' is already out for "
                                             f"signature")):
        publish(db, people.drafter2, SLUG, 2, now=utc("2026-01-03T10:00:00Z"))
    assert counts(Session) == before
    with Session() as session:
        assert session.get(Revision, published.id).published_at == utc("2026-01-03T09:00:00Z")


def test_an_executed_revision_cannot_be_published_again(db, people, executed, Session):
    before = counts(Session)
    with pytest.raises(Conflict, match=rf"^revision 1 of '{SLUG}' is already "):
        publish(db, people.drafter, SLUG, 1, now=utc("2026-02-01T09:00:00Z"))
    assert counts(Session) == before
    with Session() as session:
        agreement = get_agreement(session, SLUG)
        assert (agreement.state, agreement.executed_revision_id) == ("executed", executed.id)
        assert agreement.published_revision_id is None
        assert session.get(Revision, executed.id).published_at == utc("2026-01-03T09:00:00Z")


def test_publishing_creates_the_organisations_not_yet_known(db, Session):
    people = make_people(db, ["state_eoc", "lakeside_county"])
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    with Session() as session:
        assert session.get(Organisation, "harmon_county") is None
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    with Session() as session:
        organisations = {o.id: o.name for o in session.scalars(select(Organisation)).all()}
        assert organisations == {
            "state_eoc": "state_eoc",  # known before: kept as it was
            "lakeside_county": "lakeside_county",
            "harmon_county": "Harmon County Emergency Management Agency",
            "pine_ridge_county": "Pine Ridge County Department of Emergency Services",
            "ashford_county": ("Ashford County Office of Homeland Security and Emergency "
                               "Management")}
        created = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "organisation.create").order_by(AuditEntry.id)).all()
        assert [e.object_id for e in created] == ["harmon_county", "pine_ridge_county",
                                                  "ashford_county"]
        assert all(e.actor_email == "drafter@compact.example" and e.agreement_slug == SLUG
                   for e in created)


def test_a_new_revision_out_for_signature_returns_to_draft_and_keeps_old_signatures(
        db, people, Session):
    first = create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    sign(db, people.partners["lakeside_county"], SLUG, 1, signer_name="Lee Lake",
         signer_title="Director", consent=True, now=utc("2026-01-04T09:00:00Z"))
    second, created = save_revision(db, people.drafter, SLUG, SOURCE + SITREP, base_revision=1,
                                    now=utc("2026-01-05T09:00:00Z"))
    assert created
    with Session() as session:
        agreement = get_agreement(session, SLUG)
        assert (agreement.state, agreement.published_revision_id) == ("draft", None)
        signatures = session.scalars(select(Signature)).all()
        assert [(s.revision_id, s.party_id, s.content_hash) for s in signatures] == [
            (first.id, "lakeside_county", first.content_hash)]
        assert session.get(Revision, second.id).signatures == []
    with pytest.raises(Conflict, match=exact(f"'{SLUG}' has no revision out for signature")):
        sign(db, people.partners["harmon_county"], SLUG, 1, signer_name="Hal Harmon",
             signer_title="Director", consent=True)
    publish(db, people.drafter, SLUG, 2, now=utc("2026-01-06T09:00:00Z"))
    # The signature of revision 1 does not count for revision 2: Lakeside signs again.
    sign(db, people.partners["lakeside_county"], SLUG, 2, signer_name="Lee Lake",
         signer_title="Director", consent=True, now=utc("2026-01-07T09:00:00Z"))
    with Session() as session:
        assert {(s.revision_id, s.party_id) for s in session.scalars(select(Signature))} == {
            (first.id, "lakeside_county"), (second.id, "lakeside_county")}


def test_a_layout_only_change_is_no_new_revision(db, people, Session):
    first = create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    relaid = SOURCE.replace("  binding\n", "      binding\n") + "\n\n\n"
    assert relaid != SOURCE
    before = counts(Session)
    same, created = save_revision(db, people.drafter2, SLUG, relaid, base_revision=1,
                                  now=utc("2026-01-03T09:00:00Z"))
    assert not created
    assert (same.id, same.number, same.content_hash) == (first.id, 1, first.content_hash)
    assert counts(Session) == before
    with Session() as session:
        assert session.get(Revision, first.id).source == SOURCE


def test_a_stored_revision_is_immutable(db, people, Session):
    first = create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    first.source = SOURCE + SITREP
    with pytest.raises(AppendOnlyError, match=exact(
            "a revision is immutable (tried to change source)")):
        db.flush()
    db.rollback()
    first.content_hash = "0" * 64
    with pytest.raises(AppendOnlyError, match=exact(
            "a revision is immutable (tried to change content_hash)")):
        db.flush()
    db.rollback()
    db.delete(db.get(Revision, first.id))
    with pytest.raises(AppendOnlyError, match=exact("a revision is never deleted")):
        db.flush()
    db.rollback()
    with Session() as session:
        stored = session.get(Revision, first.id)
        assert (stored.source, stored.content_hash) == (SOURCE, analyse(SOURCE).content_hash)


def test_the_audit_log_cannot_be_changed_through_the_orm(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    before = counts(Session)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "agreement.create"))
    entry.actor_email = "somebody-else@compact.example"
    with pytest.raises(AppendOnlyError, match=exact("the audit log is append-only")):
        db.flush()
    db.rollback()
    db.delete(db.get(AuditEntry, entry.id))
    with pytest.raises(AppendOnlyError, match=exact("the audit log is append-only")):
        db.flush()
    db.rollback()
    assert counts(Session) == before
    with Session() as session:
        assert session.get(AuditEntry, entry.id).actor_email == "drafter@compact.example"


@pytest.mark.parametrize("statement", [
    "DELETE FROM audit_log",
    "UPDATE audit_log SET actor_email = 'somebody-else@compact.example'",
])
def test_the_database_refuses_to_change_the_audit_log(db, people, Session, statement):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    before = counts(Session)
    assert before["audit_log"] >= 2
    with pytest.raises(DatabaseError, match="the audit log is append-only"):
        db.execute(text(statement))
    db.rollback()
    assert counts(Session) == before
    with Session() as session:
        assert set(session.scalars(select(AuditEntry.actor_email))) == {
            "system", "drafter@compact.example"}


# ---------------------------------------------------------------- signing


def test_signing_needs_name_title_and_consent(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    before = counts(Session)
    partner = people.partners["lakeside_county"]
    cases = [
        (dict(signer_name="", signer_title="", consent=True),
         "to sign, give your name and your title"),
        (dict(signer_name="  ", signer_title="Director", consent=True),
         "to sign, give your name"),
        (dict(signer_name="Lee Lake", signer_title=" ", consent=True),
         "to sign, give your title"),
        (dict(signer_name="Lee Lake", signer_title="Director", consent=False),
         "to sign, confirm that you consent to be bound on behalf of your organisation"),
        (dict(signer_name="Lee Lake", signer_title="Director", consent="yes"),
         "to sign, confirm that you consent to be bound on behalf of your organisation"),
    ]
    for fields, message in cases:
        with pytest.raises(Invalid, match=exact(message)):
            sign(db, partner, SLUG, 1, **fields)
    assert counts(Session) == before


def test_a_party_signs_once_and_the_refusal_names_the_earlier_signer(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    colleague = create_user(db, people.admin, email="deputy@lakeside.example",
                            name="Deputy of Lakeside", role="partner",
                            organisation_id="lakeside_county")
    sign(db, people.partners["lakeside_county"], SLUG, 1, signer_name="Lee Lake",
         signer_title="Director", consent=True, now=utc("2026-01-04T09:30:00Z"))
    before = counts(Session)
    for actor in (people.partners["lakeside_county"], colleague):
        with pytest.raises(Conflict, match=exact(
                f"Lee Lake already signed revision 1 of '{SLUG}' for lakeside_county on "
                f"2026-01-04 09:30 UTC")):
            sign(db, actor, SLUG, 1, signer_name="Dee Deputy", signer_title="Deputy",
                 consent=True, now=utc("2026-01-05T09:00:00Z"))
    assert counts(Session) == before


def test_signing_a_revision_not_out_for_signature_is_a_conflict(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    partner = people.partners["lakeside_county"]
    with pytest.raises(Conflict, match=exact(f"'{SLUG}' has no revision out for signature")):
        sign(db, partner, SLUG, 1, signer_name="Lee Lake", signer_title="Director",
             consent=True)
    save_revision(db, people.drafter, SLUG, SOURCE + SITREP, base_revision=1)
    publish(db, people.drafter, SLUG, 2, now=utc("2026-01-03T09:00:00Z"))
    before = counts(Session)
    with pytest.raises(Conflict, match=exact(
            f"revision 1 of '{SLUG}' is not the one out for signature (revision 2 is); read it "
            f"and sign that one")):
        sign(db, partner, SLUG, 1, signer_name="Lee Lake", signer_title="Director",
             consent=True)
    with pytest.raises(Conflict, match=exact(
            f"revision 3 of '{SLUG}' is not the one out for signature (revision 2 is); read it "
            f"and sign that one")):
        sign(db, partner, SLUG, 3, signer_name="Lee Lake", signer_title="Director",
             consent=True)
    assert counts(Session) == before


def test_executed_only_when_every_party_signed_and_what_a_signature_records(db, people, Session):
    revision = create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    signed_at = {}
    for i, party in enumerate(PARTIES):
        with Session() as session:
            agreement = get_agreement(session, SLUG)
            assert (agreement.state, agreement.executed_revision_id) == ("out_for_signature",
                                                                         None)
        at = utc("2026-01-10T08:00:00Z") + timedelta(hours=i, minutes=7)
        signed_at[party] = at
        sign(db, people.partners[party], SLUG, 1, signer_name=f"  Signer {i}  ",
             signer_title="Director", consent=True, address=f"203.0.113.{i + 10}", now=at)
    with Session() as session:
        agreement = get_agreement(session, SLUG)
        assert agreement.state == "executed"
        assert agreement.executed_revision_id == revision.id
        assert agreement.published_revision_id is None
        assert agreement.executed_at == signed_at["ashford_county"]
        signatures = session.scalars(select(Signature).order_by(Signature.id)).all()
        assert [(s.party_id, s.user_id, s.signer_name, s.signer_title, s.consent,
                 s.content_hash, s.address, s.signed_at) for s in signatures] == [
            (party, people.partners[party].id, f"Signer {i}", "Director", True,
             revision.content_hash, f"203.0.113.{i + 10}", signed_at[party])
            for i, party in enumerate(PARTIES)]
        log = session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
            ("revision.sign", "agreement.execute"))).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_email, e.revision_hash) for e in log] == [
            ("revision.sign", f"{p}@partner.example", revision.content_hash) for p in PARTIES
        ] + [("agreement.execute", "ashford_county@partner.example", revision.content_hash)]
        assert log[0].detail["address"] == "203.0.113.10"
    with pytest.raises(Conflict, match=exact(f"'{SLUG}' has no revision out for signature")):
        sign(db, people.partners["lakeside_county"], SLUG, 1, signer_name="Lee Lake",
             signer_title="Director", consent=True)


# ---------------------------------------------------------------- incidents


@pytest.mark.parametrize("incident, message", [
    ("this is not JSON",
     "the incident cannot be read: not valid JSON: Expecting value (line 1, column 1)"),
    (without("id"),
     "the incident cannot be read: $: the incident gives no 'id', which is required"),
    (without("reported_at"),
     "the incident does not fit the agreements in force: $: the incident gives no "
     "'reported_at', which is required"),
    (incident_json(reported_at=20260410),
     "the incident does not fit the agreements in force: $.reported_at: 20260410 is not a "
     "time with an offset, such as '2026-03-14T08:00:00Z'"),
    (incident_json(reported_at="yesterday"),
     "the incident does not fit the agreements in force: $.reported_at: 'yesterday' is not a "
     "time with an offset, such as '2026-03-14T08:00:00Z'"),
    (incident_json(request_authorised="maybe"),
     "the incident does not fit the agreements in force: $.request_authorised: 'maybe' is not "
     "a yes/no value: write true or false (field 'request_authorised' of agreement columbia-intrastate-mutual-aid)"),
], ids=["not-json", "no-id", "no-reported-at", "reported-at-not-text", "bad-reported-at",
        "wrong-type"])
def test_an_invalid_incident_is_refused_with_its_json_path_and_nothing_is_written(
        db, people, executed, Session, incident, message):
    before = counts(Session)
    with pytest.raises(Invalid, match=exact(message)) as caught:
        record_incident(db, people.coordinator, incident, now=utc("2026-04-10T14:05:00Z"))
    assert caught.value.status == 422
    assert counts(Session) == before


def test_a_number_field_given_as_text_is_refused_and_nothing_is_written(db, Session):
    people = make_people(db, BORDER_PARTIES)
    execute(db, people, library_text("border-information-sharing.agreement"), BORDER_SLUG,
            BORDER_PARTIES)
    before = counts(Session)
    with pytest.raises(Invalid, match=exact(
            "the incident does not fit the agreements in force: $.arrivals: 'many' is not a "
            "number: write digits without quotes, such as 12 or 0.5 (field 'arrivals' of agreement norland-border-information-sharing)"
    )) as caught:
        record_incident(db, people.coordinator, json.dumps({**SURGE, "arrivals": "many"}),
                        now=utc("2026-08-13T22:05:00Z"))
    assert caught.value.details == [
        "$.arrivals: 'many' is not a number: write digits without quotes, such as 12 or 0.5 "
        "(field 'arrivals' of agreement norland-border-information-sharing)"]
    assert counts(Session) == before
    # The same incident with a number is recorded, with duties.
    incident = record_incident(db, people.coordinator, json.dumps(SURGE),
                               now=utc("2026-08-13T22:05:00Z"))
    assert live(incident)[("open_channel", "norland_crisis_centre")].due == utc(
        "2026-08-14T04:00:00Z")


def test_recording_the_same_incident_twice_is_a_conflict(db, people, request_incident, Session):
    before = counts(Session)
    with pytest.raises(Conflict, match=exact(
            "incident 'CIMA-2026-014' is already recorded; send changed facts as an update of "
            "it")):
        record_incident(db, people.coordinator, incident_json(request_form="written"),
                        now=utc("2026-04-10T15:00:00Z"))
    assert counts(Session) == before


def test_the_recorded_incident_and_its_duties_as_stored(db, people, request_incident, Session):
    with Session() as session:
        incident = session.scalar(select(Incident).where(Incident.key == "CIMA-2026-014"))
        assert (incident.state, incident.type, incident.exercise) == ("active", "flood", False)
        assert incident.reported_at == utc("2026-04-10T14:00:00Z")
        assert [(m.sequence, m.format, m.message_type, m.received) for m in incident.messages] \
            == [(1, "json", "Alert", REQUEST_TEXT)]
        duties = {(d.clause, d.party_id): (d.modality, d.due, d.state) for d in incident.duties}
        assert duties == {
            ("notify_state", "lakeside_county"): ("must", utc("2026-04-10T16:00:00Z"), "open"),
            ("mission_number", "state_eoc"): ("must", utc("2026-04-10T19:30:00Z"), "open"),
            ("regional_inventory", "lakeside_county"): ("must", utc("2026-04-10T20:00:00Z"),
                                                        "open"),
            ("regional_inventory", "harmon_county"): ("must", utc("2026-04-10T20:00:00Z"),
                                                      "open"),
            ("respond", "harmon_county"): ("must", utc("2026-04-10T21:30:00Z"), "open"),
            ("respond", "pine_ridge_county"): ("must", utc("2026-04-10T21:30:00Z"), "open"),
            ("respond", "ashford_county"): ("must", utc("2026-04-10T21:30:00Z"), "open"),
            ("confirm_in_writing", "lakeside_county"): ("must", utc("2026-04-13T15:30:00Z"),
                                                        "open"),
            ("withhold", "harmon_county"): ("may", None, "open"),
            ("withhold", "pine_ridge_county"): ("may", None, "open"),
            ("withhold", "ashford_county"): ("may", None, "open"),
        }
        revision = session.get(Revision, request_incident.duties[0].revision_id)
        assert all(d.content_hash == revision.content_hash and d.agreement_slug == SLUG
                   for d in incident.duties)
        notify = next(d for d in incident.duties if d.clause == "notify_state")
        assert notify.because == ['activated: incident.declaration in ["local", "governor"] '
                                  '(was "local")']


def test_an_update_supersedes_what_no_longer_applies_and_keeps_the_rest(
        db, people, request_incident, Session):
    before = live(request_incident)
    before_ids = {d.id for d in request_incident.duties}
    kept_because = {k: list(d.because) for k, d in before.items()}
    changed = incident_json(declaration="governor", request_form="written",
                            requested_at="2026-04-10T11:30:00-05:00",
                            aid_ended_at="2026-04-11T17:00:00Z")
    update_incident(db, people.coordinator, "CIMA-2026-014", changed,
                    now=utc("2026-04-10T15:00:00Z"))
    with Session() as session:
        incident = session.scalar(select(Incident).where(Incident.key == "CIMA-2026-014"))
        assert [(m.sequence, m.message_type, m.received) for m in incident.messages] == [
            (1, "Alert", REQUEST_TEXT), (2, "Update", changed)]
        assert before_ids <= {d.id for d in incident.duties}  # nothing deleted
        after = live(incident)
        kept = [("notify_state", "lakeside_county"), ("regional_inventory", "lakeside_county"),
                ("regional_inventory", "harmon_county"), ("withhold", "harmon_county"),
                ("withhold", "pine_ridge_county"), ("withhold", "ashford_county")]
        for key in kept:
            assert after[key].id == before[key].id, key
            assert after[key].because == kept_because[key], key
            assert after[key].state == "open"
        # The written request needs no confirmation; an hour later request, an hour later due.
        superseded = {(d.clause, d.party_id) for d in incident.duties if d.state == "superseded"}
        assert superseded == {("confirm_in_writing", "lakeside_county"),
                              ("mission_number", "state_eoc"), ("respond", "harmon_county"),
                              ("respond", "pine_ridge_county"), ("respond", "ashford_county")}
        for duty in incident.duties:
            if duty.state == "superseded":
                assert duty.superseded_at == utc("2026-04-10T15:00:00Z")
                assert [(e.from_state, e.to_state, e.actor_id, e.note) for e in duty.events] == [
                    (None, "open", people.coordinator.id, "recorded"),
                    ("open", "superseded", people.coordinator.id,
                     "re-evaluated after update 2")]
        new = {k: (d.due, d.id in before_ids) for k, d in after.items() if k not in kept}
        assert new == {
            ("mission_number", "state_eoc"): (utc("2026-04-10T20:30:00Z"), False),
            ("respond", "harmon_county"): (utc("2026-04-10T22:30:00Z"), False),
            ("respond", "pine_ridge_county"): (utc("2026-04-10T22:30:00Z"), False),
            ("respond", "ashford_county"): (utc("2026-04-10T22:30:00Z"), False),
            ("report", "harmon_county"): (utc("2026-05-11T17:00:00Z"), False),
            ("report", "pine_ridge_county"): (utc("2026-05-11T17:00:00Z"), False),
            ("report", "ashford_county"): (utc("2026-05-11T17:00:00Z"), False),
        }
        assert '(was "governor")' in after[("respond", "harmon_county")].because[0]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.update")
                                ).one()
        assert (entry.detail["added"], entry.detail["superseded"], entry.detail["kept"]) == (
            7, 5, 6)


def test_a_cancel_that_references_nothing_recorded_is_invalid(db, people, executed, Session):
    before = counts(Session)
    with pytest.raises(Invalid, match=exact(
            "this CAP Cancel references no alert recorded here; nothing to cancel")):
        record_incident(db, people.coordinator, CANCEL, now=utc("2026-06-19T11:40:00Z"))
    assert counts(Session) == before


def test_an_exercise_gives_duties_flagged_exercise(db, people, executed, Session):
    exercise = incident_json(id="CIMA-EX-2026-1", status="exercise")
    record_incident(db, people.coordinator, exercise, now=utc("2026-04-10T14:05:00Z"))
    with Session() as session:
        incident = session.scalar(select(Incident).where(Incident.key == "CIMA-EX-2026-1"))
        assert incident.exercise is True
        assert len(incident.duties) == 11
        assert all(d.exercise is True for d in incident.duties)
        assert incident.duties[0].as_dict()["exercise"] is True
    real = record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    assert real.exercise is False and not any(d.exercise for d in real.duties)


def test_an_incident_before_any_executed_agreement_gets_no_duties(db, people, Session):
    incident = record_incident(db, people.coordinator, REQUEST_TEXT,
                               now=utc("2026-04-10T14:05:00Z"))
    with Session() as session:
        stored = session.get(Incident, incident.id)
        assert (stored.key, stored.state, len(stored.messages), stored.duties) == (
            "CIMA-2026-014", "active", 1, [])
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident.record")
                                ).one()
        assert (entry.detail["revision_hashes"], entry.detail["added"]) == ({}, 0)


def test_draft_and_unsigned_agreements_are_never_used_for_real_incidents(db, people, Session):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    incident = record_incident(db, people.coordinator, incident_json(id="A"),
                               now=utc("2026-04-10T14:05:00Z"))
    assert incident.duties == []
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES[:-1]:  # all but one party signed
        sign(db, people.partners[party], SLUG, 1, signer_name="X", signer_title="Director",
             consent=True, now=utc("2026-01-04T09:00:00Z"))
    incident = record_incident(db, people.coordinator, incident_json(id="B"),
                               now=utc("2026-04-10T14:05:00Z"))
    assert incident.duties == []
    with Session() as session:
        assert session.scalar(select(func.count()).select_from(Duty)) == 0


def test_the_executed_revision_is_used_not_a_newer_draft(db, people, executed, Session):
    draft, _ = save_revision(db, people.drafter, SLUG,
                             SOURCE.replace("within 2 hours", "within 3 hours") + SITREP,
                             base_revision=1, now=utc("2026-02-01T09:00:00Z"))
    assert draft.error_count == 0
    incident = record_incident(db, people.coordinator, REQUEST_TEXT,
                               now=utc("2026-04-10T14:05:00Z"))
    with Session() as session:
        duties = session.scalars(select(Duty).where(Duty.incident_id == incident.id)).all()
        assert {d.content_hash for d in duties} == {executed.content_hash}
        assert {d.revision_id for d in duties} == {executed.id}
        notify = next(d for d in duties if d.clause == "notify_state")
        assert notify.due == utc("2026-04-10T16:00:00Z")
        assert "sitrep" not in {d.clause for d in duties}


def test_an_incident_outside_the_effective_period_gives_no_duties(db, people, executed, Session):
    late = incident_json(id="CIMA-2029-001", reported_at="2029-03-01T10:00:00Z",
                         requested_at="2029-03-01T10:30:00Z")
    incident = record_incident(db, people.coordinator, late, now=utc("2029-03-01T10:05:00Z"))
    early = incident_json(id="CIMA-2025-001", reported_at="2025-12-31T10:00:00Z",
                          requested_at="2025-12-31T10:30:00Z")
    earlier = record_incident(db, people.coordinator, early, now=utc("2026-04-10T10:05:00Z"))
    with Session() as session:
        assert session.get(Incident, incident.id).duties == []
        assert session.get(Incident, earlier.id).duties == []


# ---------------------------------------------------------------- duties


def test_decline_and_waive_need_a_reason(db, people, request_incident, Session):
    duty = live(request_incident)[("respond", "harmon_county")]
    before = counts(Session)
    for actor, action in ((people.partners["harmon_county"], "decline"),
                          (people.coordinator, "decline"), (people.coordinator, "waive")):
        for note in (None, "", "   "):
            with pytest.raises(Invalid, match=exact(f"to {action} a duty, give the reason")):
                change_duty(db, actor, duty.id, action, note=note,
                            now=utc("2026-04-10T14:10:00Z"))
    assert counts(Session) == before
    with pytest.raises(Invalid, match=exact(
            "unknown action 'cancel'; use one of acknowledge, fulfil, decline, waive, reopen")):
        change_duty(db, people.coordinator, duty.id, "cancel", note="x")
    with pytest.raises(NotFound, match=exact("there is no duty 999999")):
        change_duty(db, people.coordinator, 999999, "acknowledge")


def test_a_terminal_duty_cannot_change(db, people, request_incident):
    duties = live(request_incident)
    at = utc("2026-04-10T14:10:00Z")
    fulfilled = duties[("notify_state", "lakeside_county")]
    change_duty(db, people.partners["lakeside_county"], fulfilled.id, "fulfil", now=at)
    declined = duties[("respond", "harmon_county")]
    change_duty(db, people.partners["harmon_county"], declined.id, "decline",
                note="our crews are committed at home", now=at)
    waived = duties[("respond", "ashford_county")]
    change_duty(db, people.coordinator, waived.id, "waive", note="Ashford is itself flooded",
                now=at)
    update_incident(db, people.coordinator, "CIMA-2026-014",
                    incident_json(request_form="written"), now=utc("2026-04-10T14:20:00Z"))
    superseded = duties[("confirm_in_writing", "lakeside_county")]
    assert superseded.state == "superseded"
    cases = [(fulfilled, "lakeside_county", "fulfilled"), (declined, "harmon_county", "declined"),
             (waived, "ashford_county", "waived"),
             (superseded, "lakeside_county", "superseded")]
    for duty, party, state in cases:
        for action, to_state, note in (("acknowledge", "acknowledged", None),
                                       ("fulfil", "fulfilled", None),
                                       ("decline", "declined", "no"), ("waive", "waived", "no")):
            with pytest.raises(Conflict, match=exact(
                    f"duty {duty.id} ({duty.clause} for {party}) is {state}; it cannot be "
                    f"{to_state} from there")):
                change_duty(db, people.coordinator, duty.id, action, note=note,
                            now=utc("2026-04-10T14:30:00Z"))
    db.expire_all()
    assert [d.state for d, _, _ in cases] == ["fulfilled", "declined", "waived", "superseded"]


def test_effective_state_is_breached_only_for_an_open_must_duty_past_due(db, people, Session):
    execute(db, people)
    unauthorised = incident_json(id="CIMA-2026-033", requested_by="harmon_county",
                                 request_authorised=False)
    incident = record_incident(db, people.coordinator, unauthorised,
                               now=utc("2026-04-10T14:05:00Z"))
    duties = live(incident)
    must = duties[("notify_state", "lakeside_county")]
    must_not = duties[("no_self_deploy", "lakeside_county")]
    assert (must.modality, must.due, must_not.modality, must_not.due) == (
        "must", utc("2026-04-10T16:00:00Z"), "must not", None)
    assert effective_state(must, utc("2026-04-10T15:59:00Z")) == "open"
    assert effective_state(must, utc("2026-04-10T16:00:00Z")) == "open"  # due, not yet past
    assert effective_state(must, utc("2026-04-10T16:01:00Z")) == "breached"
    assert effective_state(must_not, utc("2027-01-01T00:00:00Z")) == "open"
    request = record_incident(db, people.coordinator, incident_json(id="CIMA-2026-034"),
                              now=utc("2026-04-10T14:05:00Z"))
    may = live(request)[("withhold", "harmon_county")]
    assert effective_state(may, utc("2027-01-01T00:00:00Z")) == "open"
    respond = live(request)[("respond", "harmon_county")]
    change_duty(db, people.partners["harmon_county"], respond.id, "acknowledge",
                now=utc("2026-04-10T15:00:00Z"))
    assert effective_state(respond, utc("2026-04-10T21:31:00Z")) == "breached"
    inventory = live(request)[("regional_inventory", "harmon_county")]
    change_duty(db, people.partners["harmon_county"], inventory.id, "fulfil",
                now=utc("2026-04-10T15:00:00Z"))
    assert effective_state(inventory, utc("2026-04-11T00:00:00Z")) == "fulfilled"
    with Session() as session:  # read back from the database: due times come back in UTC
        stored = session.get(Duty, must.id)
        assert effective_state(stored, utc("2026-04-10T16:01:00Z")) == "breached"
        assert stored.state == "open"


def test_acknowledging_a_duty_past_due_is_refused_as_breached(db, people, request_incident,
                                                              Session):
    duty = live(request_incident)[("notify_state", "lakeside_county")]
    partner = people.partners["lakeside_county"]
    before = counts(Session)
    with pytest.raises(Conflict, match=exact(
            f"duty {duty.id} (notify_state for lakeside_county) is breached; it cannot be "
            f"acknowledged from there")):
        change_duty(db, partner, duty.id, "acknowledge", now=utc("2026-04-10T16:30:00Z"))
    assert counts(Session) == before
    # Fulfilling late is allowed: the breach is recorded first, by the system.
    change_duty(db, partner, duty.id, "fulfil", note="late, sorry",
                now=utc("2026-04-10T16:45:00Z"))
    with Session() as session:
        stored = session.get(Duty, duty.id)
        assert (stored.state, stored.fulfilled_at) == ("fulfilled", utc("2026-04-10T16:45:00Z"))
        assert [(e.from_state, e.to_state, e.actor_id) for e in stored.events] == [
            (None, "open", people.coordinator.id), ("open", "breached", None),
            ("breached", "fulfilled", partner.id)]


def test_the_duty_history_records_who_when_and_the_note(db, people, request_incident, Session):
    duty = live(request_incident)[("respond", "pine_ridge_county")]
    partner = people.partners["pine_ridge_county"]
    change_duty(db, partner, duty.id, "acknowledge", note="  looking at our roster  ",
                now=utc("2026-04-10T14:30:00Z"))
    change_duty(db, partner, duty.id, "decline", note="our engines are out on a wildfire",
                now=utc("2026-04-10T15:10:00Z"))
    with Session() as session:
        events = session.scalars(select(DutyEvent).where(DutyEvent.duty_id == duty.id)
                                 .order_by(DutyEvent.id)).all()
        assert [(e.from_state, e.to_state, e.actor_id, e.at, e.note) for e in events] == [
            (None, "open", people.coordinator.id, utc("2026-04-10T14:05:00Z"), "recorded"),
            ("open", "acknowledged", partner.id, utc("2026-04-10T14:30:00Z"),
             "looking at our roster"),
            ("acknowledged", "declined", partner.id, utc("2026-04-10T15:10:00Z"),
             "our engines are out on a wildfire")]
        assert session.get(Duty, duty.id).state == "declined"
        log = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "duty",
                                                       AuditEntry.object_id == str(duty.id))
                              .order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_email, e.detail.get("note")) for e in log][1:] == [
            ("duty.acknowledge", "pine_ridge_county@partner.example", "looking at our roster"),
            ("duty.decline", "pine_ridge_county@partner.example",
             "our engines are out on a wildfire")]


# ---------------------------------------------------------------- what-if


def test_what_if_shows_added_removed_and_changed_duties(db, people, request_incident):
    save_revision(db, people.drafter, SLUG, SOURCE + SITREP, base_revision=1)
    save_revision(db, people.drafter, SLUG, remove_clause(SOURCE, "withhold"), base_revision=2)
    save_revision(db, people.drafter, SLUG, SOURCE.replace("within 2 hours", "within 3 hours"),
                  base_revision=3)
    revisions = get_agreement(db, SLUG).revisions
    assert [r.error_count for r in revisions] == [0, 0, 0, 0]
    record_incident(db, people.coordinator, incident_json(
        id="CIMA-2026-031", type="wildfire", region="South Hills", area=["FIPS:039005"],
        requested_by="pine_ridge_county"), now=utc("2026-04-10T14:05:00Z"))

    added = what_if(db, people.drafter, SLUG, 2)
    assert [d.incident for d in added] == ["CIMA-2026-014", "CIMA-2026-031"]
    assert [[(x.clause, x.party, x.due) for x in d.added] for d in added] == [
        [("sitrep", "state_eoc", utc("2026-04-11T02:00:00Z"))]] * 2
    assert [(d.removed, d.changed, d.unchanged) for d in added] == [([], [], 11)] * 2

    removed = what_if(db, people.coordinator, SLUG, 3, incident_keys=["CIMA-2026-014"])
    assert len(removed) == 1 and removed[0].added == [] and removed[0].changed == []
    assert sorted((x.clause, x.party, x.modality) for x in removed[0].removed) == [
        ("withhold", "ashford_county", "may"), ("withhold", "harmon_county", "may"),
        ("withhold", "pine_ridge_county", "may")]

    changed = what_if(db, people.drafter, SLUG, 4, incident_keys=["CIMA-2026-031"])
    assert [(c.before.clause, c.before.party, c.changed, c.before.due, c.after.due)
            for c in changed[0].changed] == [
        ("notify_state", "pine_ridge_county", ["due"], utc("2026-04-10T16:00:00Z"),
         utc("2026-04-10T17:00:00Z"))]
    assert changed[0].as_dict()["changed"][0]["fields"] == ["due"]
    assert (changed[0].added, changed[0].removed) == ([], [])


def test_what_if_refuses_bad_revisions_unknown_incidents_and_partners(db, people,
                                                                      request_incident):
    broken = SOURCE.replace('  affected must "notify the State EOC',
                            '  nobody must "notify the State EOC')
    save_revision(db, people.drafter, SLUG, broken, base_revision=1)
    with pytest.raises(Invalid, match=exact("revision 2 has errors; fix them before a what-if")):
        what_if(db, people.drafter, SLUG, 2)
    with pytest.raises(NotFound, match=exact(f"agreement '{SLUG}' has no revision 7")):
        what_if(db, people.drafter, SLUG, 7)
    with pytest.raises(NotFound, match=exact("there is no agreement 'no-such-agreement'")):
        what_if(db, people.drafter, "no-such-agreement", 1)
    with pytest.raises(NotFound, match=exact("no incident 'NOPE-1'")) as caught:
        what_if(db, people.drafter, SLUG, 1, incident_keys=["CIMA-2026-014", "NOPE-1"])
    assert caught.value.status == 404
    with pytest.raises(NotAllowed, match=exact(
            "only a drafter, coordinator or admin may run a what-if evaluation; you are a "
            "partner")):
        what_if(db, people.partners["lakeside_county"], SLUG, 1)


# ---------------------------------------------------------------- the compiled cache


def test_recording_more_incidents_never_reparses_agreement_text(db, people, executed, Session,
                                                                monkeypatch):
    record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    # From here on only the service's own cache may spare the parser.
    if hasattr(engine.compiler, "_compile_cached"):
        engine.compiler._compile_cached.cache_clear()
    parsed = []
    real_parse = engine.compiler.parse
    monkeypatch.setattr(engine.compiler, "parse",
                        lambda *args, **kwargs: parsed.append(args[1:]) or real_parse(*args,
                                                                                      **kwargs))
    with Session() as session:  # a new session, as for the next web request
        coordinator = session.get(User, people.coordinator.id)
        for i in range(3):
            record_incident(session, coordinator, incident_json(id=f"CIMA-2026-1{i}"),
                            now=utc("2026-04-10T14:05:00Z"))
        update_incident(session, coordinator, "CIMA-2026-014",
                        incident_json(request_form="written"), now=utc("2026-04-10T14:30:00Z"))
        check_breaches(session, now=utc("2026-04-10T17:00:00Z"))
        assert session.scalar(select(func.count()).select_from(Incident)) == 4
    assert parsed == []
    analyse(SOURCE)  # the spy does see a parse
    assert len(parsed) == 1


# ---------------------------------------------------------------- atomicity


def _fail_on_call(monkeypatch, module, n: int):
    """Make `module.record` (the audit) raise on its n-th call in this operation."""
    real = module.record
    calls = []

    def record(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == n:
            raise RuntimeError(f"audit failed at {args[2]}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "record", record)
    return calls


def test_a_signature_whose_execution_fails_leaves_nothing(db, people, Session, monkeypatch):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES[:-1]:
        sign(db, people.partners[party], SLUG, 1, signer_name="X", signer_title="Director",
             consent=True, now=utc("2026-01-04T09:00:00Z"))
    before = counts(Session)
    calls = _fail_on_call(monkeypatch, signing, 2)
    with pytest.raises(RuntimeError, match="audit failed at agreement.execute"):
        sign(db, people.partners["ashford_county"], SLUG, 1, signer_name="Ash Ford",
             signer_title="Coordinator", consent=True, now=utc("2026-01-05T09:00:00Z"))
    assert calls == ["revision.sign", "agreement.execute"]
    assert counts(Session) == before
    with Session() as session:
        agreement = get_agreement(session, SLUG)
        assert (agreement.state, agreement.executed_revision_id, agreement.executed_at) == (
            "out_for_signature", None, None)
        assert agreement.published_revision.number == 1
    monkeypatch.undo()
    sign(db, people.partners["ashford_county"], SLUG, 1, signer_name="Ash Ford",
         signer_title="Coordinator", consent=True, now=utc("2026-01-05T09:00:00Z"))
    assert get_agreement(db, SLUG).state == "executed"


def test_an_incident_whose_audit_fails_midway_leaves_nothing(db, people, executed, Session,
                                                            monkeypatch):
    before = counts(Session)
    calls = _fail_on_call(monkeypatch, incidents, 12)  # 11 duty.create, then incident.record
    with pytest.raises(RuntimeError, match="audit failed at incident.record"):
        record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    assert calls[-1] == "incident.record" and calls.count("duty.create") == 11
    assert counts(Session) == before


def test_a_publish_whose_audit_fails_creates_no_organisation(db, Session, monkeypatch):
    people = make_people(db, ["state_eoc"])
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    before = counts(Session)
    calls = _fail_on_call(monkeypatch, drafting, 5)  # 4 organisations, then the publication
    with pytest.raises(RuntimeError, match="audit failed at revision.publish"):
        publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    assert calls == ["organisation.create"] * 4 + ["revision.publish"]
    assert counts(Session) == before
    with Session() as session:
        assert session.scalars(select(Organisation.id)).all() == ["state_eoc"]
        agreement = get_agreement(session, SLUG)
        assert (agreement.state, agreement.published_revision_id) == ("draft", None)
        assert agreement.revisions[0].published_at is None


def test_a_failed_flush_leaves_nothing_of_the_incident(db, people, executed, Session,
                                                      monkeypatch):
    before = counts(Session)
    # A duty pointing at a duty that does not exist: the database refuses it at flush time.
    monkeypatch.setattr(incidents, "_escalated_duty", lambda *args: 987654)
    with pytest.raises(Conflict, match=exact(
            "somebody else changed this record at the same time; nothing was saved: reload it "
            "and try again")):
        record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    assert counts(Session) == before
    monkeypatch.undo()
    incident = record_incident(db, people.coordinator, REQUEST_TEXT,
                               now=utc("2026-04-10T14:05:00Z"))
    assert len(incident.duties) == 11
