"""Agreement and incident texts shared by the engine and CLI tests (not a test module)."""

# The complete example of language.md, verbatim (one copy, kept by the dsl tests).
from tests.dsl.base_agreement import BASE as LAKESIDE  # noqa: E402

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
