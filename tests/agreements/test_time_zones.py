"""Time zones of users and organisations: which zone a user sees, who may change it, the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agreements.errors import Invalid, NotAllowed, NotFound
from agreements.models import AuditEntry, Organisation, User
from agreements.time_zones import (choices, problem, set_organisation_time_zone,
                                   set_user_time_zone, zone, zone_name_of)

from .conftest import T0, make_people


@pytest.fixture
def people(db):
    return make_people(db, ["lakeside_county", "harmon_county"])


def test_a_user_sees_their_own_zone_else_their_organisations_else_utc(db, people):
    partner = people.partners["lakeside_county"]
    assert zone_name_of(partner) == "UTC"
    assert zone_name_of(people.admin) == "UTC"  # no organisation at all
    assert zone_name_of(None) == "UTC"
    db.get(Organisation, "lakeside_county").time_zone = "America/Chicago"
    assert zone_name_of(partner) == "America/Chicago"
    partner.time_zone = "Europe/Berlin"
    assert zone_name_of(partner) == "Europe/Berlin"
    # A name the zone database no longer knows counts as not set, never as an error.
    partner.time_zone = "Mars/Olympus_Mons"
    assert zone_name_of(partner) == "America/Chicago"
    assert zone("Mars/Olympus_Mons") is zone(None)
    assert str(zone("Europe/Berlin")) == "Europe/Berlin"


def test_names_are_checked_against_the_zone_database(db):
    assert problem("Europe/Berlin") is None and problem("UTC") is None
    assert problem("US/Eastern") is None  # known, though not offered in the list
    assert problem("Mars/Base") == ("“Mars/Base” is not a time zone: use an IANA name such as "
                                    "Europe/Berlin or America/New_York.")
    assert problem("europe/berlin") == ("“europe/berlin” is not a time zone: use an IANA name "
                                        "such as Europe/Berlin or America/New_York (did you "
                                        "mean Europe/Berlin?).")
    assert problem("America/New York").endswith("(did you mean America/New_York?).")
    assert problem("../../etc/passwd").startswith("“../../etc/passwd” is not a time zone")
    assert problem("A" * 300) == ("“" + "A" * 64 + "…” is not a time zone: use an IANA name "
                                  "such as Europe/Berlin or America/New_York.")
    offered = choices()
    assert offered[0] == "UTC" and "Europe/Berlin" in offered and "Asia/Kolkata" in offered
    assert "US/Eastern" not in offered and "Etc/GMT+5" not in offered


def test_users_choose_their_own_zone_and_it_is_audited(db, people):
    partner = people.partners["lakeside_county"]
    set_user_time_zone(db, partner, "America/New_York", now=T0)
    assert db.get(User, partner.id).time_zone == "America/New_York"
    set_user_time_zone(db, partner, "  ", now=T0)  # back to the organisation's
    assert db.get(User, partner.id).time_zone is None
    set_user_time_zone(db, partner, "", now=T0)  # no change: nothing more in the log
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "user.time_zone")
                         .order_by(AuditEntry.id)).all()
    assert [(e.actor_email, e.object_id, e.detail) for e in entries] == [
        (partner.email, str(partner.id), {"before": None, "after": "America/New_York"}),
        (partner.email, str(partner.id), {"before": "America/New_York", "after": None})]


def test_a_zone_that_is_none_is_refused_and_nothing_changes(db, people):
    partner = people.partners["lakeside_county"]
    set_user_time_zone(db, partner, "Europe/Berlin", now=T0)
    with pytest.raises(Invalid) as refused:
        set_user_time_zone(db, partner, "Europe/Atlantis", now=T0)
    assert refused.value.message.startswith("“Europe/Atlantis” is not a time zone")
    assert db.get(User, partner.id).time_zone == "Europe/Berlin"


def test_only_an_administrator_sets_another_users_zone(db, people):
    partner, other = people.partners["lakeside_county"], people.partners["harmon_county"]
    with pytest.raises(NotAllowed):
        set_user_time_zone(db, partner, "Europe/Berlin", user_id=other.id, now=T0)
    assert db.get(User, other.id).time_zone is None
    set_user_time_zone(db, people.admin, "Asia/Tokyo", user_id=other.id, now=T0)
    assert db.get(User, other.id).time_zone == "Asia/Tokyo"
    with pytest.raises(NotFound):
        set_user_time_zone(db, people.admin, "Asia/Tokyo", user_id=999_999, now=T0)


def test_administrators_set_an_organisations_zone(db, people):
    partner = people.partners["lakeside_county"]
    with pytest.raises(NotAllowed):
        set_organisation_time_zone(db, partner, "lakeside_county", "Europe/Berlin", now=T0)
    with pytest.raises(NotAllowed):
        set_organisation_time_zone(db, people.coordinator, "lakeside_county", "Europe/Berlin",
                                   now=T0)
    set_organisation_time_zone(db, people.admin, "lakeside_county", "America/Chicago", now=T0)
    assert db.get(Organisation, "lakeside_county").time_zone == "America/Chicago"
    assert zone_name_of(db.get(User, partner.id)) == "America/Chicago"
    with pytest.raises(Invalid):
        set_organisation_time_zone(db, people.admin, "lakeside_county", "Chicago", now=T0)
    with pytest.raises(NotFound):
        set_organisation_time_zone(db, people.admin, "atlantis", "UTC", now=T0)
    set_organisation_time_zone(db, people.admin, "lakeside_county", "", now=T0)
    assert db.get(Organisation, "lakeside_county").time_zone is None
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "organisation.time_zone")
                         .order_by(AuditEntry.id)).all()
    assert [(e.actor_email, e.object_type, e.object_id, e.detail) for e in entries] == [
        (people.admin.email, "organisation", "lakeside_county",
         {"before": None, "after": "America/Chicago"}),
        (people.admin.email, "organisation", "lakeside_county",
         {"before": "America/Chicago", "after": None})]
