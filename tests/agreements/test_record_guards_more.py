"""More of the record kept as written, on SQLite and PostgreSQL:

* a drafter's save and a partner's last signature at the same moment serialise (real threads),
  so no revision is executed after a later revision replaced it;
* the embedded database file (and its -wal/-shm files) can be read by its owner only;
* the database refuses to rewrite a revision's parties, title and publication time, a duty's
  party and reasons, a stored PDF and a withdrawal (migration 0008), while publishing, signing,
  withdrawing, recording an incident and rendering PDFs still work.
"""

from __future__ import annotations

import os
import stat
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from agreements import drafting, signing, users
from agreements.documents import revision_pdf
from agreements.drafting import create_agreement, get_agreement, publish, save_revision
from agreements.errors import Conflict
from agreements.incidents import record_incident
from agreements.models import (AppendOnlyError, AuditEntry, Duty, Revision, Signature, StoredPdf, User,
                               Withdrawal)
from agreements.signing import sign, withdraw

from .conftest import LIBRARY, library_text, make_people
from .test_concurrency import BUSY, GENERIC, SITREP, race

SLUG = "columbia-intrastate-mutual-aid"
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county"]
SOURCE = library_text("intrastate-mutual-aid.agreement")
REQUEST_TEXT = (LIBRARY / "incidents" / "lakeside-flood-oral-request.json").read_text()
T = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
NOT_OUT = f"'{SLUG}' has no revision out for signature"


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    monkeypatch.setattr(users, "_N", 2 ** 4)


@pytest.fixture
def people(db):
    return make_people(db, PARTIES)


# --- 1. a save racing the last signature ---------------------------------------------------

def _all_but_one_signed(db, people):
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES[:-1]:
        sign(db, people.partners[party], SLUG, 1, signer_name=f"Director of {party}",
             signer_title="Director", consent=True, now=utc("2026-01-04T09:00:00Z"))


def _slow_reader(monkeypatch, module, after_read: threading.Event, other_done: threading.Event):
    """Make `module`'s get_agreement pause after it read the agreement, until the other
    operation is done (or 1.5 s, when the other one waits for our lock): the widest window for
    the other one to slip in between our read and our write."""
    original = module.get_agreement

    def slow(session, slug, **kwargs):
        agreement = original(session, slug, **kwargs)
        if kwargs.get("for_update"):
            after_read.set()
            other_done.wait(1.5)
        return agreement

    monkeypatch.setattr(module, "get_agreement", slow)


def _check_serialised(Session, results):
    """Either the signature came first (revision 1 executed, revision 2 saved after it as a
    draft) or the save came first (revision 1 replaced: no longer out for signature, and the
    signature refused). A revision is *replaced* when a later revision of the agreement is saved
    while it is out for signature: save_revision then takes it out (published_revision = None)
    and sets the agreement back to draft; it may never be executed after that."""
    (save_kind, save_value), (sign_kind, sign_value) = results
    assert save_kind == "ok", repr(save_value)
    assert save_value == 2
    with Session() as reader:
        agreement = get_agreement(reader, SLUG)
        revisions = {r.number: r for r in agreement.revisions}
        assert sorted(revisions) == [1, 2]
        log = [(e.action, e.detail.get("number")) for e in reader.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(
                ["revision.save", "revision.sign", "agreement.execute"])).order_by(AuditEntry.id))]
        signatures = reader.scalars(select(Signature).where(
            Signature.revision_id == revisions[1].id)).all()
        if sign_kind == "ok":
            # The signature first: revision 1 executed, then revision 2 saved as a draft.
            assert agreement.executed_revision_id == revisions[1].id
            assert agreement.published_revision_id is None
            assert agreement.state == "draft"
            assert len(signatures) == len(PARTIES)
            assert log[-3:] == [("revision.sign", None), ("agreement.execute", 1),
                                ("revision.save", 2)], log
        else:
            # The save first: revision 1 was replaced, so the last signature is refused.
            assert type(sign_value) is Conflict, repr(sign_value)
            assert sign_value.message in (NOT_OUT, BUSY, GENERIC), sign_value.message
            assert agreement.executed_revision_id is None
            assert agreement.published_revision_id is None
            assert agreement.state == "draft"
            assert len(signatures) == len(PARTIES) - 1
            assert log[-1] == ("revision.save", 2), log
            assert ("agreement.execute", 1) not in log
        # Never: an executed revision that a later save had replaced.
        if ("agreement.execute", 1) in log:
            assert log.index(("agreement.execute", 1)) < log.index(("revision.save", 2)), log


def _racers(people):
    last = PARTIES[-1]

    def saver(session):
        actor = session.get(User, people.drafter.id)
        session.rollback()
        return lambda: save_revision(session, actor, SLUG, SOURCE + SITREP,
                                     base_revision=1)[0].number

    def signer(session):
        actor = session.get(User, people.partners[last].id)
        session.rollback()
        return lambda: sign(session, actor, SLUG, 1, signer_name=f"Director of {last}",
                            signer_title="Director", consent=True).party_id

    return saver, signer


def _done_after(call, event):
    def load(session):
        run = call(session)

        def go():
            try:
                return run()
            finally:
                event.set()
        return go
    return load


def test_a_signature_that_read_first_and_a_save_serialise(db, people, Session, monkeypatch):
    _all_but_one_signed(db, people)
    signed_read, saved = threading.Event(), threading.Event()
    _slow_reader(monkeypatch, signing, signed_read, saved)
    saver, signer = _racers(people)

    def late_saver(session):
        run = _done_after(saver, saved)(session)

        def go():
            signed_read.wait(10)  # the partner's page has read the agreement
            return run()
        return go

    _check_serialised(Session, race(Session, late_saver, signer))


def test_a_save_that_read_first_and_a_signature_serialise(db, people, Session, monkeypatch):
    _all_but_one_signed(db, people)
    save_read, signed = threading.Event(), threading.Event()
    _slow_reader(monkeypatch, drafting, save_read, signed)
    saver, signer = _racers(people)

    def late_signer(session):
        run = _done_after(signer, signed)(session)

        def go():
            save_read.wait(10)
            return run()
        return go

    _check_serialised(Session, race(Session, saver, late_signer))


def test_a_save_and_the_last_signature_at_once_serialise(db, people, Session):
    _all_but_one_signed(db, people)
    saver, signer = _racers(people)
    _check_serialised(Session, race(Session, saver, signer))


# --- 2. the embedded database file is its owner's only -------------------------------------

@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)  # the common default, which leaves new files world-readable
    yield
    os.umask(previous)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_app_creates_the_store_and_its_folder_private(tmp_path, monkeypatch, usual_umask):
    from agreements import compiled
    from web.app import create_app

    instance = tmp_path / "fresh" / "instance"
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    compiled.clear()
    app = create_app({"TESTING": True, "SECRET_KEY": "test"})
    try:
        engine = app.extensions["compact.engine"]
        with engine.connect() as connection:  # the WAL and shared-memory files exist while open
            connection.execute(text("SELECT count(*) FROM revision"))
            database = instance / "compact.sqlite"
            assert str(engine.url.database) == str(database)
            files = [database, instance / "compact.sqlite-wal", instance / "compact.sqlite-shm"]
            assert all(f.exists() for f in files), sorted(p.name for p in instance.iterdir())
            assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
        assert oct(_mode(instance)) == "0o700"
    finally:
        app.extensions["compact.engine"].dispose()


def test_an_engine_on_a_new_sqlite_file_creates_it_private(tmp_path, usual_umask):
    from agreements.db import make_engine, upgrade

    path = tmp_path / "elsewhere.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            for name in ("elsewhere.sqlite", "elsewhere.sqlite-wal", "elsewhere.sqlite-shm"):
                assert oct(_mode(tmp_path / name)) == "0o600", name
    finally:
        engine.dispose()


# --- 3. the database refuses to rewrite more of the record ---------------------------------

@pytest.fixture
def on_record(db, people, tmp_path, monkeypatch):
    """An executed agreement with a stored (sealed) PDF, an incident's duties and a withdrawal;
    every step through the normal operations, which the guards must leave working."""
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("COMPACT_SEAL_KEY", raising=False)
    monkeypatch.delenv("COMPACT_SEAL_CERT", raising=False)
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-01-02T09:00:00Z"))
    draft_pdf = revision_pdf(db, people.drafter, SLUG, 1, now=utc("2026-01-02T09:30:00Z"))
    assert not draft_pdf.sealed
    publish(db, people.drafter, SLUG, 1, now=utc("2026-01-03T09:00:00Z"))
    for party in PARTIES:
        sign(db, people.partners[party], SLUG, 1, signer_name=f"Director of {party}",
             signer_title="Director", consent=True, now=utc("2026-01-04T09:00:00Z"))
    assert get_agreement(db, SLUG).state == "executed"
    executed_pdf = revision_pdf(db, people.admin, SLUG, 1, now=utc("2026-01-04T10:00:00Z"))
    assert executed_pdf.sealed
    record_incident(db, people.coordinator, REQUEST_TEXT, now=utc("2026-04-10T14:05:00Z"))
    withdraw(db, people.partners["ashford_county"], SLUG, reason="budget",
             now=utc("2026-05-01T09:00:00Z"))
    assert db.scalar(select(StoredPdf.id).limit(1)) is not None
    assert db.scalar(select(Duty.id).limit(1)) is not None
    assert db.scalar(select(Withdrawal.id).limit(1)) is not None
    return db


@pytest.mark.parametrize("statement, message", [
    ("UPDATE revision SET parties = '[]'", "a revision is immutable"),
    ("UPDATE revision SET title = 'Forged title'", "a revision is immutable"),
    ("UPDATE revision SET published_at = created_at WHERE published_at IS NOT NULL",
     "a revision is published once; its publication time is kept"),
    ("UPDATE revision SET published_at = NULL WHERE published_at IS NOT NULL",
     "a revision is published once; its publication time is kept"),
    ("UPDATE duty SET party_id = 'state_eoc' WHERE party_id <> 'state_eoc'",
     "a duty keeps the party and the reasons it was given"),
    ("UPDATE duty SET because = '[]'", "a duty keeps the party and the reasons it was given"),
    ("UPDATE stored_pdf SET sha256 = 'forged'", "a stored PDF is kept as rendered"),
    ("UPDATE stored_pdf SET sealed = sealed", "a stored PDF is kept as rendered"),
    ("DELETE FROM stored_pdf", "a stored PDF is kept as rendered"),
    ("UPDATE withdrawal SET reason = 'forged'", "a withdrawal is kept as given"),
    ("UPDATE withdrawal SET effective_at = notice_at", "a withdrawal is kept as given"),
    ("DELETE FROM withdrawal", "a withdrawal is kept as given"),
])
def test_raw_sql_cannot_rewrite_more_of_the_record(on_record, engine, statement, message):
    on_record.commit()
    with pytest.raises(DBAPIError, match=message):
        with engine.begin() as connection:
            connection.execute(text(statement))


def test_a_publication_time_is_set_once_and_what_may_change_still_changes(on_record, engine,
                                                                          people):
    db = on_record
    with engine.begin() as connection:
        # Setting it to itself is no change; a duty's state and note still change.
        assert connection.execute(text(
            "UPDATE revision SET published_at = published_at")).rowcount == 1
        assert connection.execute(text("UPDATE duty SET note = note")).rowcount > 0
    # A new revision is saved unpublished and then published: NULL -> the moment, once.
    drafter = db.get(User, people.drafter.id)
    revision, created = save_revision(db, drafter, SLUG, SOURCE + SITREP, base_revision=1,
                                      now=utc("2026-05-02T09:00:00Z"))
    assert created and revision.published_at is None
    publish(db, drafter, SLUG, 2, now=utc("2026-05-03T09:00:00Z"))
    sign(db, people.partners["state_eoc"], SLUG, 2, signer_name="Director of state_eoc",
         signer_title="Director", consent=True, now=utc("2026-05-04T09:00:00Z"))
    signing_pdf = revision_pdf(db, drafter, SLUG, 2, now=utc("2026-05-04T10:00:00Z"))
    assert not signing_pdf.sealed
    with Session_of(engine)() as reader:
        stored = reader.scalar(select(Revision).where(Revision.number == 2))
        assert stored.published_at == utc("2026-05-03T09:00:00Z")
        assert reader.scalar(select(StoredPdf.id).where(
            StoredPdf.revision_id == stored.id)) is not None


def Session_of(engine):
    from agreements.db import session_factory
    return session_factory(engine)
