"""Agreement and incident texts shared by the engine and CLI tests (not a test module)."""

# The complete example of language.md, verbatim.
LAKESIDE = '''\
# Lakeside County / City of Riverbend mutual aid
agreement lakeside-riverbend-mutual-aid
  title "Mutual Aid Agreement between Lakeside County and the City of Riverbend"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31
  governing law "the laws of the State of Columbia"
  withdrawal notice 30 days

recital "Both parties are exposed to seasonal river flooding that can exceed the resources of either party alone."
recital "The parties wish to arrange assistance in advance, before the next emergency."

party lakeside "Lakeside County Office of Emergency Management"
  region "Lakeside"
  contact "eoc@lakeside.example"
  signatory "Director of Emergency Management"

party riverbend "City of Riverbend Fire Department"
  region "Riverbend"
  contact "dispatch@riverbend.example"

party state "State Emergency Operations Center"
  region "Statewide"

fields
  type text one of "flood", "wildfire", "hazmat"
  displaced number
  requested_by party
  requested_at time

role coordinator is state
role affected is parties where party.region == incident.region
role requesting is incident.requested_by
role assisting is parties except requesting, coordinator

trigger major_flood when incident.type == "flood" and incident.severity >= "severe"
trigger mass_displacement when incident.displaced >= 500

clause notify "Notification of the State"
  when major_flood or mass_displacement
  affected must "notify the State EOC through the shared incident channel" within 30 minutes
  text "The Affected Party shall notify the State EOC within thirty (30) minutes of the onset of a major flood or of the displacement of five hundred or more persons."

clause engines "Deployment of engine strike teams"
  when major_flood and incident.requested_by is given
  assisting must "deploy one Type 1 engine strike team to the staging area" within 4 hours of incident.requested_at
  unless incident.displaced > 5000
  costs borne by requesting

clause escalate "Escalation to the State"
  when breached engines
  coordinator must "arrange alternate resources through the statewide compact" within 2 hours of breach of engines

clause withhold "Right to withhold resources"
  when major_flood
  assisting may "withhold resources needed to protect its own jurisdiction"

clause no_self_deploy "No self-deployment"
  when major_flood and incident.requested_by is not given
  assisting must not "deploy resources without a request"

example "severe flood in Lakeside with a request"
  incident """
    {"id": "T-1", "type": "flood", "severity": "extreme", "region": "Lakeside",
     "reported_at": "2026-03-14T08:00:00Z", "displaced": 120,
     "requested_by": "lakeside", "requested_at": "2026-03-14T09:00:00Z"}
  """
  expect lakeside must notify by 2026-03-14T08:30:00Z
  expect riverbend must engines by 2026-03-14T13:00:00Z
  expect riverbend may withhold
  expect no duty for state
  expect no no_self_deploy
'''

LAKESIDE_ID = "lakeside-riverbend-mutual-aid"

# The incident of the language.md example.
T1 = {
    "id": "T-1", "type": "flood", "severity": "extreme", "region": "Lakeside",
    "reported_at": "2026-03-14T08:00:00Z", "displaced": 120,
    "requested_by": "lakeside", "requested_at": "2026-03-14T09:00:00Z",
}

# The engines duty exactly as interfaces.md shows it.
T1_ENGINES_DUTY = {
    "agreement": "lakeside-riverbend-mutual-aid",
    "clause": "engines",
    "title": "Deployment of engine strike teams",
    "modality": "must",
    "party": "riverbend",
    "role": "assisting",
    "action": "deploy one Type 1 engine strike team to the staging area",
    "due": "2026-03-14T13:00:00Z",
    "status": "open",
    "costs": [{"party": "lakeside", "share": 1.0}],
    "because": [
        "major_flood: incident.type == \"flood\" (was \"flood\") and incident.severity >= severe "
        "(was extreme)",
        "incident.requested_by is given (was \"lakeside\")",
    ],
}

MAJOR_FLOOD_BECAUSE = T1_ENGINES_DUTY["because"][0]


def cap_alert(*, status="Actual", msg_type="Alert", infos=None, sent="2026-06-18T23:12:00-05:00",
              identifier="CAP-2026-0001", extra="") -> str:
    """A CAP 1.2 alert; `infos` are the inner XML of each <info> block."""
    if infos is None:
        infos = [CAP_INFO]
    blocks = "".join(f"  <info>{info}</info>\n" for info in infos)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>w-nws.riverbend@weather.columbia.example</sender>
  <sent>{sent}</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>{extra}
{blocks}</alert>
"""


CAP_INFO = """
    <language>en-US</language>
    <category>Met</category>
    <event>Flash Flood Warning</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    <effective>2026-06-18T23:12:00-05:00</effective>
    <onset>2026-06-18T23:10:00-05:00</onset>
    <headline>Flash Flood Warning for Lakeside and Harmon Counties</headline>
    <area>
      <areaDesc>Lakeside County; Harmon County</areaDesc>
      <geocode><valueName>FIPS</valueName><value>039001</value></geocode>
      <geocode><valueName>SAME</valueName><value>039003</value></geocode>
    </area>
    <area>
      <areaDesc>Pine Ridge County</areaDesc>
      <geocode><valueName>FIPS</valueName><value>039005</value></geocode>
    </area>
  """
