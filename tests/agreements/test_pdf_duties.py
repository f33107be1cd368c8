"""The PDF's wording of the duty constructs of v2: a consequence, a lapse, beneficiaries."""

from __future__ import annotations

import pytest

from agreements.pdf import Wording, document_context, render_pdf
from engine.compiler import load
from tests.agreements.test_pdf import flat, pdf_text

AGREEMENT = '''agreement billing
  title "Billing and protest"
  kind mutual-aid
  binding
  effective 2026-01-01

party lakeside "Lakeside County"

party riverbend "City of Riverbend"

fields
  billed_at time
  paid_at time

role requesting is lakeside
role assisting is riverbend

clause pay "Payment of the bill"
  when incident.billed_at is given
  requesting must "pay the bill" within 30 days of incident.billed_at
  fulfilled at incident.paid_at
  otherwise "interest accrues at the statutory rate"

clause protest "Protest of a bill"
  when incident.billed_at is given
  requesting may "protest the bill in writing" within 30 days of incident.billed_at
  otherwise "the bill is deemed accepted"
  text "The Requesting Party may protest the bill within thirty (30) days of its date."

clause accepted "Payment of an accepted bill"
  when lapsed protest
  requesting must "pay the bill in full" within 10 days of lapse of protest

clause reimburse "Reimbursement"
  when incident.billed_at is given
  requesting must "reimburse the documented costs" to assisting, lakeside within 60 days

example "a bill"
  incident """{"id": "B-1", "type": "bill", "reported_at": "2026-03-14T08:00:00Z",
               "billed_at": "2026-03-14T09:00:00Z"}"""
  expect lakeside must pay by 2026-04-13T09:00:00Z
'''


@pytest.fixture(scope="module")
def views():
    agreement = load(AGREEMENT, "billing.agreement")
    return {c["id"]: c for c in document_context(agreement, None, (), None)["clauses"]}


def test_a_consequence_ends_the_clause_worded_from_its_logic(views):
    assert views["pay"]["text"] == (
        "When the incident's billed_at is given, the requesting party shall pay the bill within "
        "30 days of the incident's billed_at. It counts as fulfilled at the time the incident's "
        "paid_at gives. Otherwise, interest accrues at the statutory rate.")
    assert views["pay"]["fulfilled_at"] == "At the time the incident's paid_at gives"
    assert views["protest"]["fulfilled_at"] is None


def test_the_summary_says_what_follows_a_breach_or_a_lapse(views):
    assert views["pay"]["otherwise"] == (
        "If the duty is breached: interest accrues at the statutory rate")
    assert views["protest"]["otherwise"] == "If the permission lapses: the bill is deemed accepted"
    assert views["protest"]["text"] == ("The Requesting Party may protest the bill within thirty "
                                        "(30) days of its date.")  # the agreement's own words


def test_a_lapse_is_worded_in_the_condition_and_the_deadline(views):
    assert views["accepted"]["text"] == (
        "When the permission of clause 2 (Protest of a bill) has lapsed, the requesting party "
        "shall pay the bill in full within 10 days of the lapse of the permission of clause 2 "
        "(Protest of a bill).")
    assert views["accepted"]["by_when"] == (
        "within 10 days of the lapse of the permission of clause 2 (Protest of a bill)")


def test_beneficiaries_are_named_in_the_wording_and_the_summary(views):
    assert views["reimburse"]["text"] == (
        "When the incident's billed_at is given, the requesting party shall reimburse the "
        "documented costs to the assisting party and Lakeside County within 60 days of the "
        "incident's onset.")
    assert views["reimburse"]["what"] == (
        "must reimburse the documented costs to the assisting party and Lakeside County")


def test_the_pdf_prints_the_consequence(tmp_path):
    text = flat(pdf_text(render_pdf(AGREEMENT), tmp_path, layout=False))
    assert "Otherwise, interest accrues at the statutory rate." in text
    assert "Otherwise If the permission lapses: the bill is deemed accepted" in text
    assert "reimburse the documented costs to the assisting party and Lakeside County" in text


ROLES = AGREEMENT.replace("role assisting is riverbend\n",
                          "role assisting is riverbend\nrole responders is assisting, requesting\n"
                          "role others is parties where party.id != \"lakeside\"\n").replace(
    '  requesting may "protest the bill in writing"',
    '  responders may "protest the bill in writing"').replace(
    '  requesting must "pay the bill in full"', '  others must "pay the bill in full"')


def test_a_union_of_roles_and_party_id_are_worded():
    agreement = load(ROLES, "roles.agreement")
    context = document_context(agreement, None, (), None)
    definitions = dict(context["role_definitions"])
    assert definitions["The responders"] == "the assisting party and the requesting party"
    assert definitions["The others"] == ("every party of this agreement for which the party's "
                                         "id is not “lakeside”")
    annex = {entry["party"].id: {d["clause"]: d["as"] for d in entry["duties"]}
             for entry in context["annex"]}
    assert annex["riverbend"]["protest"] == (
        "As one of the responders (as the assisting party (named))")
    assert annex["riverbend"]["accepted"] == ("As one of the others, when the party's id is not "
                                              "“lakeside”")
    assert "accepted" not in annex["lakeside"]  # its own id rules it out
