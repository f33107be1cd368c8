"""CAP 1.2 alerts as incidents: the mapping table of interfaces.md, and what is rejected."""

from __future__ import annotations

import json
import time

import pytest

from engine.compiler import load
from engine.evaluator import evaluate
from engine.incidents import Incident, IncidentError, load_incident, load_incidents
from engine.index import Library
from tests.engine.cap_signing import authority, pem, sign
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
    assert data["reported_at"] == "2026-06-18T23:12:00-05:00"  # alert/sent
    assert data["onset"] == "2026-06-18T23:10:00-05:00"
    assert data["effective"] == "2026-06-18T23:12:00-05:00"
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


def test_reported_at_is_sent_whatever_onset_and_effective_say():
    other = CAP_INFO.replace("<effective>2026-06-18T23:12:00-05:00</effective>",
                             "<effective>2026-06-18T23:20:00-05:00</effective>")
    data = load_incident(cap_alert(infos=[other], sent="2026-06-18T23:15:00-05:00")).data
    assert data["reported_at"] == "2026-06-18T23:15:00-05:00"
    assert data["onset"] == "2026-06-18T23:10:00-05:00"
    assert data["effective"] == "2026-06-18T23:20:00-05:00"


def test_effective_defaults_to_sent_and_absent_times_are_absent():
    bare = (CAP_INFO.replace("<onset>2026-06-18T23:10:00-05:00</onset>", "")
            .replace("<effective>2026-06-18T23:12:00-05:00</effective>", ""))
    incident = load_incident(cap_alert(infos=[bare], sent="2026-06-18T23:15:00-05:00"))
    assert incident.data["effective"] == "2026-06-18T23:15:00-05:00"
    assert incident.source_of("effective") == "sent"
    assert "onset" not in incident.data and "expires" not in incident.data


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
    assert result["evaluated_at"] == "2026-06-19T04:12:00Z"  # when it was sent
    assert [(d["clause"], d["party"], d["due"], d["status"]) for d in result["duties"]] == [
        ("warn", "lakeside", "2026-06-19T05:12:00Z", "open"),
        ("warn", "riverbend", "2026-06-19T05:12:00Z", "open"),
        ("public", "state", "2026-06-19T06:12:00Z", "open"),
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
    assert data["reported_at"] == "2026-06-18T23:12:00-05:00"
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
    # The message names the XML element the sender wrote, not a JSON path.
    assert exc.value.messages == ["info[1]/onset: '2026-06-18T23:10:00' is not a time with an "
                                  "offset, such as '2026-03-14T08:00:00Z'"]
    with pytest.raises(IncidentError) as exc:
        evaluate(load_incident(cap_alert(sent="2026-06-18T23:12:00")), [flood_agreement()])
    assert exc.value.messages[0].startswith("sent: '2026-06-18T23:12:00' is not a time")


SPANISH_AGREEMENT = FLOOD_AGREEMENT.replace("  effective 2026-01-01 until 2028-12-31\n",
                                            "  effective 2026-01-01 until 2028-12-31\n"
                                            "  language \"es\"\n").replace(
    "agreement cap-flood", "agreement cap-flood-es")


def test_only_the_block_an_agreement_reads_is_validated():
    alert = cap_alert(infos=[CAP_INFO, SPANISH])
    # English agreements read block 1: the Spanish block's bad certainty refuses nothing.
    result = both(alert, [flood_agreement()])
    assert [(d["clause"], d["party"]) for d in result["duties"]][:1] == [("warn", "lakeside")]
    # A Spanish agreement reads block 2, and is told which element is wrong.
    spanish = load(SPANISH_AGREEMENT, "cap-flood-es.agreement")
    with pytest.raises(IncidentError) as exc:
        evaluate(load_incident(alert), [flood_agreement(), spanish])
    assert exc.value.messages == [
        "info[2]/certainty: 'very likely' is not a certainty: write 'observed', 'likely', "
        "'possible', 'unlikely' or 'unknown'"]


def test_no_block_in_the_agreements_language_is_warned():
    french = FLOOD_AGREEMENT.replace("  effective 2026-01-01 until 2028-12-31\n",
                                     "  effective 2026-01-01 until 2028-12-31\n"
                                     "  language \"fr\"\n")
    result = both(cap_alert(), [load(french, "cap-flood-fr.agreement")])
    assert {"agreement": None, "clause": None,
            "message": "no <info> block of the alert is in language 'fr': agreements in 'fr' "
                       "read the first block ('en-US')"} in result["warnings"]
    assert result["duties"]


def test_the_evaluation_says_whether_the_alert_was_signed():
    assert both(cap_alert(), [flood_agreement()])["signature"] == "absent"
    assert "signature" not in evaluate({"id": "J", "type": "x",
                                        "reported_at": "2026-06-19T00:00:00Z"},
                                       [flood_agreement()]).as_dict()


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


# ================================================================ v2: CAP as the world sends it

NWS_INFO = """
    <language>en-US</language>
    <category>Met</category>
    <category>Safety</category>
    <event>  Flash   Flood
      Warning </event>
    <responseType>Evacuate</responseType>
    <responseType>Monitor</responseType>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <eventCode><valueName>SAME</valueName><value>FFW</value></eventCode>
    <eventCode><valueName>NationalWeatherService</valueName><value>FFW</value></eventCode>
    <onset>2026-06-18T23:10:00-05:00</onset>
    <expires>2026-06-19T01:15:00-05:00</expires>
    <senderName>NWS Riverbend</senderName>
    <headline>Flash Flood Warning until 1:15 AM CDT</headline>
    <description>At 11:10 PM CDT, heavy rain was falling.
Flash flooding is ongoing.</description>
    <instruction>Move to higher ground now.</instruction>
    <parameter><valueName>NWSheadline</valueName><value>FLASH FLOOD WARNING</value></parameter>
    <parameter><valueName>VTEC</valueName><value>/O.NEW.KRBX.FF.W.0012.260619T0410Z-260619T0615Z/</value></parameter>
    <area>
      <areaDesc>Lakeside, OH</areaDesc>
      <polygon>41.10,-81.60 41.20,-81.40 41.00,-81.30 41.10,-81.60</polygon>
      <geocode><valueName>SAME</valueName><value>039001</value></geocode>
      <geocode><valueName>UGC</valueName><value>OHC001</value></geocode>
    </area>
    <area>
      <areaDesc>Pine Ridge, OH</areaDesc>
      <circle>41.0,-81.0 10</circle>
      <geocode><valueName>SAME</valueName><value>039005</value></geocode>
      <geocode><valueName>SAME</valueName><value>039001</value></geocode>
    </area>
    <area>
      <areaDesc>Lakeside, OH</areaDesc>
    </area>
  """


def nws() -> Incident:
    return load_incident(cap_alert(infos=[NWS_INFO]))


def test_every_new_field_is_mapped_exactly():
    data = nws().data
    assert data["reported_at"] == "2026-06-18T23:12:00-05:00"
    assert data["onset"] == "2026-06-18T23:10:00-05:00"
    assert data["effective"] == "2026-06-18T23:12:00-05:00"  # none given: sent
    assert data["expires"] == "2026-06-19T01:15:00-05:00"
    assert data["type"] == "flash flood warning"
    assert data["region"] == "Lakeside, OH"
    assert data["regions"] == ["Lakeside, OH", "Pine Ridge, OH"]
    assert data["area"] == ["SAME:039001", "UGC:OHC001", "SAME:039005"]
    assert data["event_codes"] == ["SAME:FFW", "NationalWeatherService:FFW"]
    assert data["parameters"] == ["NWSheadline:FLASH FLOOD WARNING",
                                  "VTEC:/O.NEW.KRBX.FF.W.0012.260619T0410Z-260619T0615Z/"]
    assert data["categories"] == ["met", "safety"]
    assert data["response_types"] == ["evacuate", "monitor"]
    assert data["headline"] == "Flash Flood Warning until 1:15 AM CDT"
    assert data["description"] == ("At 11:10 PM CDT, heavy rain was falling.\n"
                                   "Flash flooding is ongoing.")
    assert data["instruction"] == "Move to higher ground now."
    assert data["sender"] == "w-nws.riverbend@weather.columbia.example"
    assert data["sender_name"] == "NWS Riverbend"
    assert data["signature"] == "absent"
    assert data["info"]["senderName"] == "NWS Riverbend"
    assert data["info"]["parameter"][1] == {
        "valueName": "VTEC", "value": "/O.NEW.KRBX.FF.W.0012.260619T0410Z-260619T0615Z/"}
    assert data["info"]["category"] == ["Met", "Safety"]
    assert [a["areaDesc"] for a in data["info"]["area"]] == ["Lakeside, OH", "Pine Ridge, OH",
                                                             "Lakeside, OH"]
    assert data["cap"]["info"][0] == data["info"]
    json.dumps(data)  # plain JSON all through


def test_absent_values_are_absent_not_empty():
    bare = """<language>en-US</language><event>Test</event><urgency>Unknown</urgency>
              <severity>Unknown</severity><certainty>Unknown</certainty>"""
    data = load_incident(cap_alert(infos=[bare])).data
    for name in ("onset", "expires", "regions", "region", "area", "geometry", "event_codes",
                 "parameters", "categories", "response_types", "headline", "description",
                 "instruction", "sender_name"):
        assert name not in data, name
    assert data["severity"] == "unknown"
    # An area without geocodes still gives an (empty) area, as v1 did.
    with_area = bare + "<area><areaDesc>Somewhere</areaDesc></area>"
    data = load_incident(cap_alert(infos=[with_area])).data
    assert data["area"] == [] and data["regions"] == ["Somewhere"]


def test_sources_name_the_xml_elements():
    incident = load_incident(cap_alert(infos=[CAP_INFO, SPANISH]))
    assert incident.sources[1]["certainty"] == "info[2]/certainty"
    assert incident.sources[0]["type"] == "info[1]/event"
    assert incident.sources[0]["reported_at"] == "sent"
    assert incident.sources[0]["id"] == "identifier"
    assert incident.sources[0]["region"] == "info[1]/area[1]/areaDesc"
    assert incident.source_of("certainty", "es") == "info[2]/certainty"
    assert incident.source_of("area", "en") == "info[1]/area/geocode"
    assert incident.source_of("certainty") == "info[1]/certainty"
    assert incident.source_of("no_such_field") is None
    assert len(incident.sources) == len(incident.variants)


SPANISH = """
    <language>es-US</language>
    <event>Aviso de Inundación</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Very Likely</certainty>
    <area><areaDesc>Condado de Lakeside</areaDesc></area>
  """


def test_language_blocks_and_the_match_flag():
    incident = load_incident(cap_alert(infos=[CAP_INFO, SPANISH]))
    assert [lang for lang, _ in incident.variants] == ["en-US", "es-US"]
    assert incident.for_language("es")["type"] == "aviso de inundación"
    assert incident.for_language("ES-us")["type"] == "aviso de inundación"
    assert incident.for_language("en")["type"] == "flash flood warning"
    assert incident.for_language_found("fr-CA") == (incident.variants[0][1], False)
    assert incident.for_language_found("es") == (incident.variants[1][1], True)
    assert incident.language_match("en") and not incident.language_match("en-GB")
    assert incident.language_match(None)
    assert incident.block_index("es-US") == 1 and incident.block_index("de") == 0
    # A bad value in one block does not refuse the alert: it is kept, lower-cased.
    assert incident.for_language("es")["certainty"] == "very likely"
    assert incident.version == "1.2"


CAP10 = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="http://www.incident.com/cap/1.0">
  <identifier>USGS-landslides-2006-0831</identifier>
  <sender>alerts@usgs.example</sender>
  <sent>2006-08-31T18:48:46-00:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Geo</category>
    <event>Landslide</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Very Likely</certainty>
    <eventCode>EAS=LSW</eventCode>
    <parameter>trigger=rainfall</parameter>
    <area>
      <areaDesc>Santa Cruz Mountains</areaDesc>
      <geocode>fips6=006087</geocode>
      <geocode>fips6=006081</geocode>
    </area>
  </info>
</alert>
"""


def test_cap_10_is_read_and_very_likely_is_likely():
    incident = load_incident(CAP10)
    data = incident.data
    assert incident.version == "1.0"
    assert data["certainty"] == "likely"
    assert data["area"] == ["fips6:006087", "fips6:006081"]
    assert data["event_codes"] == ["EAS:LSW"]
    assert data["parameters"] == ["trigger:rainfall"]
    assert data["reported_at"] == "2006-08-31T18:48:46-00:00"


def test_cap_11_namespace_is_read():
    text = cap_alert().replace("cap:1.2", "cap:1.1")
    assert load_incident(text).version == "1.1"


EUROPE = """<?xml version="1.0" encoding="{encoding}"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>2.49.0.0.276.0.DWD.PVW.1782100000000.ab12</identifier>
  <sender>opendata@dwd.example</sender>
  <sent>2026-06-18T10:00:00+02:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>de-DE</language>
    <category>Met</category>
    <event>STURMBÖEN</event>
    <urgency>Immediate</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <headline>Amtliche WARNUNG vor STURMBÖEN in Süßen und Åre</headline>
    <area><areaDesc>Gemeinde Süßen; Målilla; Besançon</areaDesc>
      <geocode><valueName>WARNCELLID</valueName><value>808117065</value></geocode></area>
  </info>
</alert>
"""


@pytest.mark.parametrize("encoding, python", [
    ("UTF-8", "utf-8"), ("UTF-16", "utf-16"), ("ISO-8859-1", "iso-8859-1"),
    ("windows-1252", "cp1252"), ("UTF-16LE", "utf-16-le")])
def test_declared_encodings_are_honoured(encoding, python):
    raw = EUROPE.format(encoding=encoding).encode(python)
    if encoding == "UTF-16LE":
        raw = b"\xff\xfe" + raw
    data = load_incident(raw).data
    assert data["type"] == "sturmböen"
    assert data["headline"] == "Amtliche WARNUNG vor STURMBÖEN in Süßen und Åre"
    assert data["region"] == "Gemeinde Süßen; Målilla; Besançon"
    assert data["area"] == ["WARNCELLID:808117065"]


def test_text_is_read_whatever_encoding_its_declaration_names():
    data = load_incident(EUROPE.format(encoding="UTF-16")).data  # already decoded text
    assert data["type"] == "sturmböen"


def test_multi_byte_encodings_are_read_through_python():
    text = EUROPE.format(encoding="Shift_JIS").replace("STURMBÖEN", "大雨警報")
    text = text.replace("Süßen und Åre", "東京").replace("Gemeinde Süßen; Målilla; Besançon",
                                                      "東京都")
    data = load_incident(text.encode("shift_jis")).data
    assert data["type"] == "大雨警報" and data["region"] == "東京都"


def test_an_unknown_encoding_is_refused_clearly():
    raw = EUROPE.format(encoding="x-no-such").encode("utf-8")
    assert rejection(raw) == ("the XML declares the encoding 'x-no-such', which is not a known "
                              "character encoding")


def test_json_bytes_are_utf8():
    assert load_incident(b'\xef\xbb\xbf{"id": "J-1", "type": "flood", '
                         b'"reported_at": "2026-01-01T00:00:00Z"}').id == "J-1"
    # UTF-16 JSON is not XML (its first character is not `<`), and a JSON incident is UTF-8.
    assert rejection('{"id": "J-1"}'.encode("utf-16")) == "the incident is not UTF-8 text"
    assert rejection(b'{"id": "\xe9"}') == "the incident is not UTF-8 text"


# ---------------------------------------------------------------- geometry

def test_a_circle_is_a_closed_ring_of_65_coordinates():
    geometry = nws().data["geometry"]
    assert geometry["type"] == "MultiPolygon"
    assert len(geometry["coordinates"]) == 2
    ring = geometry["coordinates"][1][0]
    assert len(ring) == 65 and ring[0] == ring[-1] and len({tuple(p) for p in ring}) == 64
    assert ring[0] == [-81.0, 41.089932]  # due north of the centre, 10 km away, [lon, lat]
    lons = [p[0] for p in ring]
    assert min(lons) == pytest.approx(-81.119, abs=0.001) and max(lons) == pytest.approx(
        -80.881, abs=0.001)
    assert ring[16][0] < -81.0  # counter-clockwise: north, then west
    # and the same every time
    assert json.dumps(nws().data["geometry"]) == json.dumps(geometry)


def test_polygon_points_are_lon_lat_and_rings_are_closed():
    geometry = nws().data["geometry"]
    assert geometry["coordinates"][0] == [[[-81.6, 41.1], [-81.4, 41.2], [-81.3, 41.0],
                                           [-81.6, 41.1]]]
    open_ring = NWS_INFO.replace("41.00,-81.30 41.10,-81.60", "41.00,-81.30")
    ring = load_incident(cap_alert(infos=[open_ring])).data["geometry"]["coordinates"][0][0]
    assert ring == [[-81.6, 41.1], [-81.4, 41.2], [-81.3, 41.0], [-81.6, 41.1]]


def test_unusable_shapes_are_left_out_with_a_note():
    info = (NWS_INFO.replace("<circle>41.0,-81.0 10</circle>", "<circle>41.0,-81.0 0</circle>")
            .replace("41.10,-81.60 41.20,-81.40 41.00,-81.30 41.10,-81.60", "91,0 1,1 2,2"))
    incident = load_incident(cap_alert(infos=[info]))
    assert "geometry" not in incident.data
    assert incident.notes_for() == (
        "info[1]/area[1]/polygon[1]: '91,0' is outside the range of latitudes and longitudes; "
        "it is left out of incident.geometry",
        "info[1]/area[2]/circle[1]: a circle of radius 0 is a point, not an area; it is left "
        "out of incident.geometry")


def test_a_self_intersecting_polygon_becomes_valid_polygons():
    bow_tie = NWS_INFO.replace("41.10,-81.60 41.20,-81.40 41.00,-81.30 41.10,-81.60",
                               "0,0 1,1 0,1 1,0 0,0")
    polygons = load_incident(cap_alert(infos=[bow_tie])).data["geometry"]["coordinates"]
    assert len(polygons) == 3  # two triangles of the bow tie, then the circle
    assert all(p[0][0] == p[0][-1] for p in polygons)


# ---------------------------------------------------------------- signatures

def test_signature_valid_invalid_absent():
    signed = sign(cap_alert())
    assert load_incident(signed).signature == "valid"
    assert load_incident(signed).data["signature"] == "valid"
    tampered = signed.replace(b"Lakeside and Harmon", b"Lakeside and Harmom", 1)
    assert len(tampered) == len(signed) and tampered != signed
    assert load_incident(tampered).signature == "invalid"
    assert load_incident(tampered).data["headline"].endswith("Harmom Counties")
    assert load_incident(cap_alert()).signature == "absent"
    assert "Signature" not in load_incident(signed).data["cap"]


def test_a_damaged_signature_value_or_certificate_is_invalid_not_an_error():
    signed = sign(cap_alert()).decode()
    value = signed.index("<ds:SignatureValue>") + len("<ds:SignatureValue>")
    broken = signed[:value] + ("B" if signed[value] != "B" else "C") + signed[value + 1:]
    assert load_incident(broken).signature == "invalid"
    cert = signed.index("<ds:X509Certificate>") + len("<ds:X509Certificate>")
    assert load_incident(signed[:cert] + "!!" + signed[cert + 2:]).signature == "invalid"


def test_signatures_survive_any_encoding():
    assert load_incident(sign(cap_alert(), encoding="UTF-16")).signature == "valid"
    assert load_incident(sign(cap_alert(), encoding="ISO-8859-1")).signature == "valid"


def test_trusted_certificates_from_the_environment(tmp_path, monkeypatch):
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(pem(authority("Trusted test CA")[1]))
    monkeypatch.setenv("COMPACT_CAP_TRUST", str(bundle))
    assert load_incident(sign(cap_alert(), "a.example", "Trusted test CA")).signature == "valid"
    assert load_incident(sign(cap_alert(), "b.example", "Other test CA")).signature == "invalid"
    assert load_incident(sign(cap_alert())).signature == "invalid"  # self-signed, untrusted
    monkeypatch.delenv("COMPACT_CAP_TRUST")
    assert load_incident(sign(cap_alert(), "b.example", "Other test CA")).signature == "valid"


# ---------------------------------------------------------------- several alerts in one file

def bare_alert(identifier: str, prefix: str = "", xmlns: bool = True, **kwargs) -> str:
    text = cap_alert(identifier=identifier, **kwargs).split("?>", 1)[1].strip()
    if not xmlns:
        text = text.replace(' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', "")
    return text


def atom(*entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<id>urn:feed</id><title>Alerts</title>" + "".join(entries) + "</feed>")


def entry(content: str, name: str = "e") -> str:
    return f'<entry><id>{name}</id><title>{name}</title><content type="text/xml">{content}' \
           "</content></entry>"


def test_an_atom_feed_splits_into_its_alerts():
    link_only = ('<entry><id>urn:x:3</id><title>Linked</title>'
                 '<link href="https://alerts.example/3.xml"/></entry>')
    text = atom(entry(bare_alert("A-1")), entry(bare_alert("A-2", status="Draft")), link_only,
                entry(bare_alert("A-4")))
    loaded = load_incidents(text)
    assert [(a.position, a.identifier, a.ok) for a in loaded] == [
        (1, "A-1", True), (2, "A-2", False), (3, None, False), (4, "A-4", True)]
    assert loaded[0].incident.data["id"] == "A-1"
    assert loaded[1].error.messages == ["CAP status 'Draft' is not an incident; only Actual, "
                                        "Exercise and Test alerts are accepted"]
    assert loaded[2].error.messages == [
        "the feed entry 3 ('urn:x:3') holds no embedded CAP alert (one that only links to an "
        "alert is not followed: nothing is fetched from the network)"]
    assert rejection(text) == ("the file holds 4 CAP alerts (an Atom feed), which are read one "
                               "by one by load_incidents, each as its own incident")
    # Each embedded alert is kept as an alert by itself, and reads back alone.
    again = load_incident(loaded[3].incident.received)
    assert again.data == loaded[3].incident.data


def test_a_wrapper_of_one_alert_is_that_alert_and_an_empty_one_holds_none():
    assert load_incident(atom(entry(bare_alert("A-1")))).id == "A-1"
    assert load_incidents(atom()) == []
    assert rejection(atom()) == "the Atom feed holds no CAP alert"


def test_rss_items_hold_alerts():
    text = ("<rss version=\"2.0\"><channel><title>x</title>"
            f"<item><guid>g1</guid>{bare_alert('R-1')}</item>"
            f"<item><guid>g2</guid>{bare_alert('R-2', msg_type='Ack')}</item>"
            "<item><guid>g3</guid><link>https://alerts.example/r3</link></item>"
            "</channel></rss>")
    loaded = load_incidents(text)
    assert [(a.position, a.identifier, a.ok) for a in loaded] == [
        (1, "R-1", True), (2, "R-2", False), (3, None, False)]
    assert "not an incident" in loaded[1].error.messages[0]
    assert loaded[2].error.messages[0].startswith("the feed item 3 ('g3') holds no embedded")


@pytest.mark.parametrize("version, content", [
    ("1.0", "<contentObject><xmlContent><embeddedXMLContent>{}</embeddedXMLContent>"
            "</xmlContent></contentObject>"),
    ("2.0", "<content><contentObject><xmlContent><embeddedXMLContent>{}</embeddedXMLContent>"
            "</xmlContent></contentObject></content>")])
def test_edxl_de_distributions_hold_alerts(version, content):
    objects = "".join(content.format(bare_alert(f"E-{i}")) for i in (1, 2))
    objects += content.format("<other xmlns=\"urn:x\">no CAP here</other>")
    text = (f'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:{version}">'
            f"<distributionID>D-1</distributionID>{objects}</EDXLDistribution>")
    loaded = load_incidents(text.encode("utf-8"))
    assert [(a.position, a.identifier, a.ok) for a in loaded] == [
        (1, "E-1", True), (2, "E-2", True), (3, None, False)]
    assert loaded[2].error.messages[0].startswith("the EDXL-DE content object 3 holds no "
                                                  "embedded CAP alert")
    assert f"EDXL-DE {version} distribution" in rejection(text)


def test_a_list_of_alerts():
    text = f"<alerts>{bare_alert('L-1')}<note>x</note>{bare_alert('L-2')}</alerts>"
    loaded = load_incidents(text)
    assert [(a.position, a.identifier, a.ok) for a in loaded] == [(1, "L-1", True),
                                                                  (2, "L-2", True)]
    assert "(a list of alerts)" in rejection(text)


def test_a_signed_alert_inside_a_feed_is_checked():
    signed = sign(bare_alert("S-1")).split(b"?>", 1)[1].decode()
    tampered = signed.replace("Lakeside and Harmon", "Lakeside and Harmom", 1)
    loaded = load_incidents(atom(entry(signed), entry(tampered), entry(bare_alert("S-3"))))
    assert [a.incident.signature for a in loaded] == ["valid", "invalid", "absent"]


def test_a_single_alert_and_json_are_one_item():
    assert [(a.position, a.identifier, a.ok) for a in load_incidents(cap_alert())] == [
        (1, "CAP-2026-0001", True)]
    (refused,) = load_incidents(cap_alert(status="System"))
    assert refused.identifier == "CAP-2026-0001" and not refused.ok
    (item,) = load_incidents('{"id": "J-1", "type": "x", "reported_at": "2026-01-01T00:00:00Z"}')
    assert item.identifier == "J-1" and item.ok


# ---------------------------------------------------------------- exact refusals

def test_an_alert_without_info_is_refused_for_that_reason():
    assert rejection(cap_alert(infos=[])) == (
        "the CAP alert 'CAP-2026-0001' has no <info> block, so it says nothing about what "
        "happened (no event, area, urgency or severity); only a Cancel may come without one")
    cancel = load_incident(cap_alert(infos=[], msg_type="Cancel"))
    assert cancel.cancelled and cancel.variants == () and cancel.source_of("id") == "identifier"


@pytest.mark.parametrize("text, message", [
    ("<alert><identifier>x</identifier></alert>",
     "the file is not a CAP alert: its root element is <alert> with no namespace, while a CAP "
     "alert is an <alert> in namespace urn:oasis:names:tc:emergency:cap:1.2, "
     "urn:oasis:names:tc:emergency:cap:1.1 or http://www.incident.com/cap/1.0, alone or inside "
     "an Atom or RSS feed, an EDXL-DE distribution or a list"),
    ('<report xmlns="urn:example:not-cap"/>',
     "the file is not a CAP alert: its root element is <report> in namespace "
     "urn:example:not-cap, while a CAP alert is an <alert> in namespace "
     "urn:oasis:names:tc:emergency:cap:1.2, urn:oasis:names:tc:emergency:cap:1.1 or "
     "http://www.incident.com/cap/1.0, alone or inside an Atom or RSS feed, an EDXL-DE "
     "distribution or a list"),
    (cap_alert().replace("<identifier>CAP-2026-0001</identifier>", ""),
     "the CAP alert has no <identifier>, so it cannot be told apart from other alerts"),
    (cap_alert().replace("<sent>2026-06-18T23:12:00-05:00</sent>", ""),
     "the CAP alert 'CAP-2026-0001' has no <sent> time, which anchors every deadline"),
    (cap_alert(msg_type="Error"),
     "a CAP Error message acknowledges another message; it is not an incident"),
    (cap_alert(status="Rehearsal"),
     "the CAP alert's <status> must be Actual, Exercise or Test, not 'Rehearsal'"),
    ("<alert", "the file is not valid XML: unclosed token at line 1, column 0"),
    ("<a>" * 150 + "</a>" * 150,
     "the XML nests elements deeper than 100 levels, which no CAP alert, feed or distribution "
     "does, so it is refused"),
    (BOMB, "the XML is refused because it declares an entity (<!ENTITY ...>), which could "
           "expand without bound or read other files"),
    ("[" * 5000 + "]" * 5000,
     "the JSON nests objects and arrays deeper than 64 levels, which no incident does, so it "
     "is refused"),
    ("[1]", "the incident must be a JSON object { ... }, not an array"),
])
def test_exact_refusal_messages(text, message):
    assert rejection(text) == message


def test_alert_codes_are_always_a_list():
    one = load_incident(cap_alert(extra="<code>IPAWSv1.0</code>")).data["cap"]
    assert one["code"] == ["IPAWSv1.0"]
