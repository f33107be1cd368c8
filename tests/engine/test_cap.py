"""CAP 1.2 alerts as incidents: the mapping table of interfaces.md, and what is rejected."""

from __future__ import annotations

import time

import pytest

from engine.compiler import load
from engine.evaluator import evaluate
from engine.incidents import IncidentError, load_incident
from engine.index import Library
from tests.engine.samples import CAP_INFO, LAKESIDE, cap_alert

FLOOD_AGREEMENT = '''\
agreement cap-flood
  title "CAP flood protocol"
  kind protocol
  binding
  effective 2026-01-01 until 2028-12-31

party lakeside "Lakeside County"
  area ["FIPS:039001", "FIPS:039003"]

party riverbend "City of Riverbend"
  area ["FIPS:039005"]

party harmon "Harmon County"
  area ["FIPS:039999"]

party state "State EOC"

role local is parties whose area intersects incident.area

clause warn "Warn the public"
  when incident.type == "flash flood warning" and incident.severity >= "severe"
  local must "warn the public" within 1 hour

clause public "Public alerts"
  when incident.cap.scope == "Public"
  state must "log the alert" within 2 hours
'''


def flood_agreement():
    return load(FLOOD_AGREEMENT, "cap-flood.agreement")


def both(incident_text, agreements, at=None) -> dict:
    linear = evaluate(load_incident(incident_text), agreements, at=at)
    indexed = Library(agreements).evaluate(load_incident(incident_text), at=at)
    assert indexed.to_json() == linear.to_json()
    return linear.as_dict()


def first_info(cap: dict) -> dict:
    info = cap["info"]
    return info[0] if isinstance(info, list) else info


def rejection(text) -> str:
    with pytest.raises(IncidentError) as exc:
        load_incident(text)
    assert exc.value.messages
    return " ".join(exc.value.messages)


# ================================================================ the mapping

def test_mapping_of_every_field():
    data = load_incident(cap_alert()).data
    assert data["id"] == "CAP-2026-0001"
    assert data["reported_at"] == "2026-06-18T23:10:00-05:00"  # info/onset
    assert data["type"] == "flash flood warning"
    assert data["severity"] == "extreme"
    assert data["urgency"] == "immediate"
    assert data["certainty"] == "observed"
    assert data["status"] == "actual"
    assert data["region"] == "Lakeside County; Harmon County"  # the first areaDesc
    assert data["area"] == ["FIPS:039001", "SAME:039003", "FIPS:039005"]
    assert isinstance(data["cap"], dict)


def test_cap_object_holds_the_whole_alert():
    cap = load_incident(cap_alert()).data["cap"]
    assert cap["identifier"] == "CAP-2026-0001"
    assert cap["sender"] == "w-nws.riverbend@weather.columbia.example"
    assert cap["sent"] == "2026-06-18T23:12:00-05:00"
    assert cap["status"] == "Actual"
    assert cap["msgType"] == "Alert"
    assert cap["scope"] == "Public"
    info = first_info(cap)
    assert info["event"] == "Flash Flood Warning"  # as sent, not lower-cased
    assert info["headline"] == "Flash Flood Warning for Lakeside and Harmon Counties"
    assert info["severity"] == "Extreme"


def test_reported_at_falls_back_to_effective_then_sent():
    no_onset = CAP_INFO.replace("<onset>2026-06-18T23:10:00-05:00</onset>", "")
    assert load_incident(cap_alert(infos=[no_onset])).data["reported_at"] == \
        "2026-06-18T23:12:00-05:00"
    no_onset_effective = (no_onset
                          .replace("<effective>2026-06-18T23:12:00-05:00</effective>", ""))
    data = load_incident(cap_alert(infos=[no_onset_effective],
                                   sent="2026-06-18T23:15:00-05:00")).data
    assert data["reported_at"] == "2026-06-18T23:15:00-05:00"
    other_effective = no_onset.replace("2026-06-18T23:12:00-05:00", "2026-06-18T23:20:00-05:00")
    assert load_incident(cap_alert(infos=[other_effective])).data["reported_at"] == \
        "2026-06-18T23:20:00-05:00"


@pytest.mark.parametrize("status, exercise", [("Actual", False), ("Exercise", True),
                                              ("Test", True)])
def test_status_is_lower_cased_and_exercises_are_marked(status, exercise):
    text = cap_alert(status=status)
    assert load_incident(text).data["status"] == status.lower()
    result = both(text, [flood_agreement()])
    assert result["exercise"] is exercise
    assert [(d["clause"], d["party"]) for d in result["duties"]] == [
        ("warn", "lakeside"), ("warn", "riverbend"), ("public", "state")]


def test_cap_incident_evaluates_against_agreements():
    result = both(cap_alert(), [flood_agreement()])
    assert result["incident"] == "CAP-2026-0001"
    assert result["evaluated_at"] == "2026-06-19T04:10:00Z"
    assert [(d["clause"], d["party"], d["due"], d["status"]) for d in result["duties"]] == [
        ("warn", "lakeside", "2026-06-19T05:10:00Z", "open"),
        ("warn", "riverbend", "2026-06-19T05:10:00Z", "open"),
        ("public", "state", "2026-06-19T06:10:00Z", "open"),
    ]
    warn = result["duties"][0]
    assert warn["role"] == "local"
    assert warn["because"] == [
        'incident.type == "flash flood warning" (was "flash flood warning")',
        "incident.severity >= severe (was extreme)"]
    assert result["duties"][2]["because"] == ['incident.cap.scope == "Public" (was "Public")']


def test_lower_cased_values_compare_with_scales():
    info = CAP_INFO.replace("<severity>Extreme</severity>", "<severity>Moderate</severity>")
    result = both(cap_alert(infos=[info]), [flood_agreement()])
    assert [d["clause"] for d in result["duties"]] == ["public"]


def test_bytes_with_a_byte_order_mark_are_accepted():
    text = cap_alert()
    data = load_incident(b"\xef\xbb\xbf" + text.encode("utf-8")).data
    assert data["id"] == "CAP-2026-0001"


def test_several_info_blocks_use_the_first():
    spanish = """
    <language>es-US</language>
    <event>Aviso de Inundacion</event>
    <urgency>Past</urgency>
    <severity>Minor</severity>
    <certainty>Unlikely</certainty>
    <onset>2026-06-18T20:00:00-05:00</onset>
    <area><areaDesc>Otro condado</areaDesc>
      <geocode><valueName>FIPS</valueName><value>039999</value></geocode></area>
  """
    text = cap_alert(infos=[CAP_INFO, spanish])
    data = load_incident(text).data
    assert data["type"] == "flash flood warning"
    assert data["severity"] == "extreme"
    assert data["reported_at"] == "2026-06-18T23:10:00-05:00"
    assert data["region"] == "Lakeside County; Harmon County"
    assert data["area"] == ["FIPS:039001", "SAME:039003", "FIPS:039005"]
    result = both(text, [flood_agreement()])
    assert [(d["clause"], d["party"]) for d in result["duties"]] == [
        ("warn", "lakeside"), ("warn", "riverbend"), ("public", "state")]
    # and the other order
    data = load_incident(cap_alert(infos=[spanish, CAP_INFO])).data
    assert data["type"] == "aviso de inundacion"
    assert data["severity"] == "minor"
    assert data["area"] == ["FIPS:039999"]


def test_invalid_mapped_values_are_input_errors():
    info = CAP_INFO.replace("<onset>2026-06-18T23:10:00-05:00</onset>",
                            "<onset>2026-06-18T23:10:00</onset>")
    with pytest.raises(IncidentError) as exc:
        evaluate(load_incident(cap_alert(infos=[info])), [flood_agreement()])
    assert any(m.startswith("$.reported_at: ") for m in exc.value.messages)


# ================================================================ Cancel

def test_cancel_yields_no_duties():
    text = cap_alert(msg_type="Cancel", extra="\n  <references>w-nws.riverbend@weather.columbia."
                                              "example,CAP-2026-0000,2026-06-18T22:00:00-05:00"
                                              "</references>")
    assert load_incident(text).cancelled
    agreements = [flood_agreement(), load(LAKESIDE, "lakeside.agreement")]
    result = both(text, agreements)
    assert result["duties"] == []
    assert result["incident"] == "CAP-2026-0001"
    # The same alert as an Alert does give duties.
    assert both(cap_alert(), agreements)["duties"]


# ================================================================ rejected alerts

@pytest.mark.parametrize("status", ["System", "Draft"])
def test_system_and_draft_are_rejected_with_a_clear_message(status):
    message = rejection(cap_alert(status=status))
    assert status in message
    assert "status" in message.lower()
    assert "Traceback" not in message


@pytest.mark.parametrize("text", [
    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identifier>",
    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</identfier></alert>",
    "<?xml version=\"1.0\"?>\n<alert",
    "<",
])
def test_malformed_xml_is_rejected(text):
    message = rejection(text)
    assert "XML" in message


@pytest.mark.parametrize("text", [
    "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></feed>",
    "<alert><identifier>no namespace</identifier><status>Actual</status></alert>",
    "<alert xmlns=\"urn:example:not-cap\"><identifier>x</identifier></alert>",
])
def test_xml_that_is_not_cap_is_rejected(text):
    message = rejection(text)
    assert "CAP" in message


BOMB = """<?xml version="1.0"?>
<!DOCTYPE alert [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
 <!ENTITY j "&i;&i;&i;&i;&i;&i;&i;&i;&i;&i;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>&j;</identifier>
  <sender>x</sender>
  <sent>2026-06-18T23:12:00-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
</alert>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>&secret;</identifier>
  <sender>x</sender>
  <sent>2026-06-18T23:12:00-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
</alert>
"""


@pytest.mark.parametrize("text", [BOMB, BOMB.encode("utf-8")])
def test_entity_expansion_bomb_is_rejected_safely(text):
    start = time.monotonic()
    message = rejection(text)
    assert time.monotonic() - start < 2.0
    assert len(message) < 1000
    assert "aaaaaaaaaa" not in message


def test_external_entities_are_rejected():
    message = rejection(EXTERNAL)
    assert "root:" not in message
