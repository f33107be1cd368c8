"""The database itself keeps the record as written: raw SQL cannot rewrite or delete it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from agreements.drafting import create_agreement, publish
from agreements.incidents import record_incident
from agreements.signing import sign

from .conftest import LIBRARY, library_text, make_people

T = datetime(2026, 6, 19, 4, 15, tzinfo=timezone.utc)
PARTIES = ["state_eoc", "lakeside_county", "harmon_county", "pine_ridge_county", "ashford_county",
           "state_patrol", "columbia_guard", "columbia_dep"]


@pytest.fixture
def on_record(db):
    people = make_people(db, PARTIES)
    revision = create_agreement(db, people.drafter, library_text("cap-joint-task-force.agreement"),
                                now=T)
    publish(db, people.drafter, revision.agreement.slug, 1, now=T)
    for party in PARTIES:
        sign(db, people.partners[party], revision.agreement.slug, 1, signer_name="S",
             signer_title="Director", consent=True, now=T)
    record_incident(db, people.coordinator,
                    (LIBRARY / "incidents" / "cap-flash-flood-warning.xml").read_bytes(), now=T)
    return db


@pytest.mark.parametrize("statement, message", [
    ("UPDATE revision SET source = 'agreement forged'", "a revision is immutable"),
    ("UPDATE revision SET content_hash = 'x'", "a revision is immutable"),
    ("DELETE FROM revision", "a revision is never deleted"),
    ("UPDATE signature SET signer_name = 'Someone Else'", "a signature is immutable"),
    ("DELETE FROM signature", "a signature is immutable"),
    ("UPDATE incident_message SET received = '{}'", "an incident message is kept as received"),
    ("DELETE FROM duty", "a duty is never deleted"),
    ("UPDATE duty_event SET note = 'rewritten'", "the history of a duty is append-only"),
    ("DELETE FROM duty_event", "the history of a duty is append-only"),
    ("UPDATE audit_log SET actor_email = 'nobody'", "the audit log is append-only"),
    ("DELETE FROM audit_log", "the audit log is append-only"),
])
def test_raw_sql_cannot_rewrite_the_record(on_record, engine, statement, message):
    with pytest.raises(DBAPIError, match=message):
        with engine.begin() as connection:
            connection.execute(text(statement))


def test_what_may_change_still_changes(on_record, engine):
    # A duty changes state, and a revision is published: those updates are allowed.
    with engine.begin() as connection:
        assert connection.execute(text("UPDATE duty SET note = note")).rowcount > 0
        assert connection.execute(text("UPDATE revision SET published_at = published_at")
                                  ).rowcount == 1
