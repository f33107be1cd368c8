"""`parties whose area intersects incident.area` with geometry: a party's `boundary` (GeoJSON,
inline or a file beside the agreement, or CAP-style points) against the alert's polygons."""

from __future__ import annotations

import json

from engine.compiler import load
from engine.evaluator import evaluate
from engine.incidents import load_incident
from engine.index import Library

AGREEMENT = '''\
agreement willow-geometry
  title "Willow Creek warnings by geometry"
  kind protocol
  binding
  effective 2026-01-01 until 2028-12-31

party upstream "Upstream County"
  boundary "38.0,-91.0 38.0,-90.0 39.0,-90.0 39.0,-91.0 38.0,-91.0"

party downstream "Downstream County"
  boundary "{BOUNDARY}"

party coded "Coded County"
  area ["FIPS:039001"]

party nowhere "County with neither"

role warned is parties whose area intersects incident.area

clause relay "Relay the warning"
  when incident.type == "flash flood warning"
  warned must "relay the warning" within 30 minutes
'''

# A square well east of the polygon below: never warned by it.
DOWNSTREAM = {"type": "Polygon", "coordinates": [[[-80.0, 30.0], [-79.0, 30.0], [-79.0, 31.0],
                                                  [-80.0, 31.0], [-80.0, 30.0]]]}


def alert(area: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>GEO-1</identifier><sender>nws@example</sender>
  <sent>2026-06-18T23:12:00-05:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Met</category><event>Flash Flood Warning</event><urgency>Immediate</urgency>
    <severity>Extreme</severity><certainty>Observed</certainty>
    <area><areaDesc>Willow Creek</areaDesc>{area}</area></info>
</alert>"""


def run(agreements, text):
    linear = evaluate(load_incident(text), agreements)
    indexed = Library(agreements).evaluate(load_incident(text))
    assert indexed.to_json() == linear.to_json()
    return linear.as_dict()


def test_inline_boundary_meets_the_alerts_polygon_and_a_party_without_either_is_warned():
    ag = load(AGREEMENT.replace("{BOUNDARY}", json.dumps(DOWNSTREAM).replace('"', '\\"')),
              "willow.agreement")
    result = run([ag], alert("<polygon>38.5,-90.5 38.6,-90.4 38.4,-90.3 38.5,-90.5</polygon>"))
    assert [d["party"] for d in result["duties"]] == ["upstream"]
    assert result["warnings"] == [{
        "agreement": "willow-geometry", "clause": None,
        "message": "role warned: the alert gives only geometry (no geocodes), and coded, "
                   "nowhere have no boundary to compare it with"}]


def test_a_circle_and_geocodes_together():
    ag = load(AGREEMENT.replace("{BOUNDARY}", json.dumps(DOWNSTREAM).replace('"', '\\"')),
              "willow.agreement")
    area = ("<circle>30.5,-79.5 5</circle><geocode><valueName>FIPS</valueName>"
            "<value>039001</value></geocode>")
    result = run([ag], alert(area))
    assert [d["party"] for d in result["duties"]] == ["coded", "downstream"]
    assert result["warnings"] == []


def test_a_boundary_file_beside_the_agreement(tmp_path):
    (tmp_path / "downstream.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                     "geometry": DOWNSTREAM}]}))
    path = tmp_path / "willow.agreement"
    text = AGREEMENT.replace("{BOUNDARY}", "downstream.geojson")
    path.write_text(text)
    ag = load(text, str(path))
    result = run([ag], alert("<polygon>30.2,-79.8 30.4,-79.8 30.4,-79.6 30.2,-79.8</polygon>"))
    assert [d["party"] for d in result["duties"]] == ["downstream"]


def test_an_unreadable_boundary_is_a_warning_not_a_crash(tmp_path):
    ag = load(AGREEMENT.replace("{BOUNDARY}", "missing.geojson"), str(tmp_path / "w.agreement"))
    result = run([ag], alert("<polygon>38.5,-90.5 38.6,-90.4 38.4,-90.3 38.5,-90.5</polygon>"))
    assert [d["party"] for d in result["duties"]] == ["upstream"]
    assert {"agreement": "willow-geometry", "clause": None,
            "message": "party downstream's boundary cannot be read: the file 'missing.geojson' "
                       "cannot be read (No such file or directory)"} in result["warnings"]
