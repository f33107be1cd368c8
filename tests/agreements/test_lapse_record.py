"""Lapses on record: when a permission's time passes unused, the clock marks it lapsed once
and gives what follows from the lapse (`when lapsed C`, `within D of lapse of C`); a later
tick adds nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreements.drafting import create_agreement, publish, save_revision
from agreements.duties import change_duty
from agreements.errors import Conflict
from agreements.incidents import check_breaches, record_incident
from agreements.reports.csv_export import to_csv
from agreements.reports.pdf import render_report_html
from agreements.reports.situation import situation_report
from agreements.signing import sign
from agreements.whatif import what_if

from .conftest import make_people

SOURCE = '''agreement billing-mou
  title "Billing"
  kind mou
  non-binding
  effective 2026-01-01

party north "North County"

party state "State EOC"

clause protest "A bill may be protested"
  when incident.type == "flood"
  north may "protest the bill in writing" within 2 days
  otherwise "the bill is deemed accepted"

clause accepted "A bill not protested is paid"
  when lapsed protest
  north must "pay the bill" within 10 days of lapse of protest

example "the bill not protested"
  incident """{"id": "1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}"""
  at 2026-03-17T08:00:00Z
  expect north may protest by 2026-03-16T08:00:00Z lapsed
  expect north must accepted by 2026-03-26T08:00:00Z
'''


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def live(incident) -> list[tuple]:
    return sorted((d.clause, d.modality, d.due, d.state) for d in incident.duties
                  if d.state != "superseded")


def recorded(db):
    people = make_people(db, ["north", "state"])
    create_agreement(db, people.drafter, SOURCE, now=utc("2026-02-01T09:00:00Z"))
    publish(db, people.drafter, "billing-mou", 1, now=utc("2026-02-02T09:00:00Z"))
    for i, party in enumerate(["north", "state"]):
        sign(db, people.partners[party], "billing-mou", 1, signer_name=f"Signer {i}",
             signer_title="Director", consent=True, now=utc("2026-02-03T09:00:00Z"))
    incident = record_incident(db, people.coordinator, json.dumps(
        {"id": "B-1", "type": "flood", "reported_at": "2026-03-14T08:00:00Z"}),
        now=utc("2026-03-14T08:05:00Z"))
    return people, incident


def test_the_clock_records_a_lapse_once_and_gives_the_follow_on_duty(db):
    people, incident = recorded(db)
    assert live(incident) == [("protest", "may", utc("2026-03-16T08:00:00Z"), "open")]
    assert check_breaches(db, now=utc("2026-03-16T07:59:00Z")) == []

    lapsed = check_breaches(db, now=utc("2026-03-16T08:30:00Z"))
    assert [i.key for i in lapsed] == ["B-1"]
    assert live(incident) == [("accepted", "must", utc("2026-03-26T08:00:00Z"), "open"),
                              ("protest", "may", utc("2026-03-16T08:00:00Z"), "lapsed")]
    protest = next(d for d in incident.duties if d.clause == "protest")
    assert [(e.from_state, e.to_state, e.note) for e in protest.events] == [
        (None, "open", "recorded"),
        ("open", "lapsed", "not used by its due time 2026-03-16 08:00 UTC")]
    assert protest.as_dict()["state"] == "lapsed"

    # Further ticks find nothing more to do: no loop of re-evaluations, no second duty.
    before = len(incident.duties)
    assert check_breaches(db, now=utc("2026-03-17T08:30:00Z")) == []
    assert check_breaches(db, now=utc("2026-03-20T08:30:00Z")) == []
    assert len(incident.duties) == before

    # The situation report: the lapse in the timeline, the follow-on escalation after it.
    report = situation_report(db, people.coordinator, incident, utc("2026-03-17T09:00:00Z"))
    assert [(e.label, e.text, e.note) for e in report.timeline if e.duty_id is not None] == [
        ("Duty given", "north: may protest the bill in writing (billing-mou › protest), "
                       "due 2026-03-16 08:00 UTC", "recorded"),
        ("Escalation", "north: must pay the bill (billing-mou › accepted), due "
                       f"2026-03-26 08:00 UTC after the lapse of duty {protest.id}",
         "re-evaluated after a lapse"),
        ("Lapse", "north: may protest the bill in writing (billing-mou › protest): "
                  "open → lapsed", "not used by its due time 2026-03-16 08:00 UTC")]
    assert [(d.clause, d.state) for d in report.duties] == [("protest", "lapsed"),
                                                           ("accepted", "open")]
    assert [(d.clause, d.consequence, d.escalation_after) for d in report.duties] == [
        ("protest", "the bill is deemed accepted", "breach"), ("accepted", None, "lapse")]
    html, _css = render_report_html(report)
    assert ("may protest the bill in writing<br>Otherwise: the bill is deemed accepted<br>"
            in html)
    assert f"escalation of duty {protest.id} (after its lapse)" in html
    assert ",protest,A bill may be protested,may,protest the bill in writing," \
           "2026-03-16T08:00:00Z,lapsed," in to_csv(report)

    # A lapsed permission is closed: nothing is done on it.
    with pytest.raises(Conflict) as refused:
        change_duty(db, people.partners["north"], protest.id, "acknowledge",
                    now=utc("2026-03-17T09:00:00Z"))
    assert str(refused.value) == (f"duty {protest.id} (protest for north) is lapsed; it cannot "
                                  "be acknowledged from there")


def test_a_permission_acknowledged_before_its_time_lapses_too(db):
    people, incident = recorded(db)
    protest = next(d for d in incident.duties if d.clause == "protest")
    change_duty(db, people.partners["north"], protest.id, "acknowledge",
                now=utc("2026-03-15T09:00:00Z"))
    check_breaches(db, now=utc("2026-03-16T09:00:00Z"))
    assert live(incident) == [("accepted", "must", utc("2026-03-26T08:00:00Z"), "open"),
                              ("protest", "may", utc("2026-03-16T08:00:00Z"), "lapsed")]


def test_a_permission_used_in_time_does_not_lapse_and_is_looked_at_once(db):
    people = make_people(db, ["north", "state"])
    source = SOURCE.replace('party north', 'fields\n  protested_at time\n\nparty north').replace(
        '  otherwise "the bill is deemed accepted"\n',
        '  otherwise "the bill is deemed accepted"\n'
        '  fulfilled at incident.protested_at\n')
    create_agreement(db, people.drafter, source, now=utc("2026-02-01T09:00:00Z"))
    publish(db, people.drafter, "billing-mou", 1, now=utc("2026-02-02T09:00:00Z"))
    for i, party in enumerate(["north", "state"]):
        sign(db, people.partners[party], "billing-mou", 1, signer_name=f"Signer {i}",
             signer_title="Director", consent=True, now=utc("2026-02-03T09:00:00Z"))
    incident = record_incident(db, people.coordinator, json.dumps(
        {"id": "B-2", "type": "flood", "reported_at": "2026-03-14T08:00:00Z",
         "protested_at": "2026-03-15T10:00:00Z"}), now=utc("2026-03-15T11:00:00Z"))
    assert [i.key for i in check_breaches(db, now=utc("2026-03-16T09:00:00Z"))] == ["B-2"]
    assert live(incident) == [("protest", "may", utc("2026-03-16T08:00:00Z"), "open")]
    protest = incident.duties[0]
    assert [(e.from_state, e.to_state, e.note) for e in protest.events][1:] == [
        ("open", "open", "used by its due time 2026-03-16 08:00 UTC; it does not lapse")]
    assert check_breaches(db, now=utc("2026-03-17T09:00:00Z")) == []
    assert len(protest.events) == 2


def test_the_what_if_compares_lapses_consequences_beneficiaries_and_occurrences(db):
    people, incident = recorded(db)
    draft = (SOURCE.replace('"the bill is deemed accepted"', '"the bill is deemed accepted in full"')
             .replace('"pay the bill" within', '"pay the bill" to state within')
             .replace('\nexample', '\nclause sitrep "Situation reports"\n  when incident.type == '
                      '"flood"\n  north must "send a situation report" every 1 day\n\nexample'))
    save_revision(db, people.drafter, "billing-mou", draft, base_revision=1)

    # At its report time nothing has lapsed yet: only the first report is new.
    [at_report] = what_if(db, people.drafter, "billing-mou", 2)
    assert [(d.clause, d.occurrence, d.due, d.status) for d in at_report.added] == [
        ("sitrep", 1, utc("2026-03-15T08:00:00Z"), "open")]
    assert (at_report.changed, at_report.removed, at_report.unchanged) == ([], [], 1)

    # As of three days on: the lapse, what follows it, and each occurrence so far.
    [later] = what_if(db, people.drafter, "billing-mou", 2, as_of=utc("2026-03-17T09:00:00Z"))
    assert [(d.clause, d.occurrence, d.due, d.status) for d in later.added] == [
        ("sitrep", 1, utc("2026-03-15T08:00:00Z"), "breached"),
        ("sitrep", 2, utc("2026-03-16T08:00:00Z"), "breached"),
        ("sitrep", 3, utc("2026-03-17T08:00:00Z"), "breached"),
        ("sitrep", 4, utc("2026-03-18T08:00:00Z"), "open")]
    assert [(c.after.clause, c.changed, getattr(c.before, c.changed[0]),
             getattr(c.after, c.changed[0])) for c in later.changed] == [
        ("accepted", ["to"], None, ("state",)),
        ("protest", ["consequence"], "the bill is deemed accepted",
         "the bill is deemed accepted in full")]
    assert later.as_dict()["changed"][1]["after"]["status"] == "lapsed"


def test_the_dispatchers_clock_gives_the_follow_on_duty_once(db, Session, tmp_path):
    from agreements.dissemination import dispatcher
    from agreements.dissemination.models import Notification
    from agreements.models import Duty

    _people, _incident = recorded(db)
    db.commit()
    config = dispatcher.Config(folder=tmp_path / "outbox", name="test-dispatcher")
    clock = {"now": utc("2026-03-16T07:00:00Z")}

    def given(clause: str) -> list[Notification]:
        return [n for n in db.scalars(select(Notification).where(
            Notification.event == "duty.given")) if n.duty.clause == clause]

    def tick(text: str) -> list[tuple]:
        clock["now"] = utc(text)
        dispatcher.dispatch_once(Session, config, now=lambda: clock["now"])
        db.expire_all()
        return sorted((d.clause, d.state) for d in db.scalars(select(Duty)))

    assert tick("2026-03-16T07:59:00Z") == [("protest", "open")]
    assert tick("2026-03-16T08:00:30Z") == [("accepted", "open"), ("protest", "lapsed")]
    told = len(given("accepted"))
    assert told == 1  # to North County's partner user
    for later in ("2026-03-16T08:01:00Z", "2026-03-17T08:00:00Z", "2026-03-20T12:00:00Z"):
        assert tick(later) == [("accepted", "open"), ("protest", "lapsed")]
    assert len(given("accepted")) == told  # told once: no second follow-on duty
