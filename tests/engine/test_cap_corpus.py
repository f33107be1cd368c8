"""Every file of the CAP corpus (tests/engine/cap_corpus) read, split, mapped and evaluated."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from engine.compiler import load
from engine.incidents import IncidentError, load_incident, load_incidents
from engine.index import Library

CORPUS = Path(__file__).parent / "cap_corpus"
LIBRARY = Path(__file__).parents[2] / "agreements" / "library"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in CORPUS.glob("*.xml"))


@lru_cache(maxsize=1)
def library() -> Library:
    return Library([load(p.read_text(encoding="utf-8"), p.name)
                    for p in sorted(LIBRARY.glob("*.agreement"))])


def assert_one_clear_sentence(message: str) -> None:
    assert re.match(r"[A-Za-z<$]", message), message
    assert "\n" not in message and "Traceback" not in message and "NoneType" not in message
    assert not re.search(r"\w+(Error|Exception|Forbidden)\(", message), message
    assert not re.search(r"<class |object at 0x|\\x[0-9a-f]{2}", message), message
    assert len(message) < 600, message


def test_the_corpus_is_large_and_fully_described():
    assert len(FILES) >= 120
    assert sorted(EXPECTED) == FILES


@pytest.mark.parametrize("name", FILES)
def test_corpus_file(name):
    data = (CORPUS / name).read_bytes()
    expected = EXPECTED[name]
    try:
        loaded = load_incidents(data)
    except IncidentError as exc:
        assert expected == "file", f"{name}: {exc.messages}"
        assert len(exc.messages) == 1
        assert_one_clear_sentence(exc.messages[0])
        return
    assert expected != "file", name
    assert [("ok" if a.ok else "refused") for a in loaded] == expected
    assert [a.position for a in loaded] == list(range(1, len(loaded) + 1))
    for item in loaded:
        if item.error is not None:
            assert len(item.error.messages) == 1
            assert_one_clear_sentence(item.error.messages[0])
            continue
        incident = item.incident
        assert item.identifier == incident.id
        assert incident.signature in ("valid", "invalid", "absent")
        assert len(incident.sources) == max(len(incident.variants), 1)
        for data in incident.all_variants():
            json.dumps(data)
            assert data["reported_at"] == incident.data["reported_at"]
        try:
            library().evaluate(incident)
        except IncidentError as exc:  # a value an agreement refuses, named in one sentence
            for message in exc.messages:
                assert_one_clear_sentence(message)
        # what is kept as received reads back as the same alert
        again = load_incident(incident.received)
        assert again.data == incident.data and again.signature == incident.signature


@pytest.mark.parametrize("name, signatures", [
    ("signed-valid.xml", ["valid"]), ("signed-valid-utf16.xml", ["valid"]),
    ("signed-by-authority.xml", ["valid"]), ("signed-valid-ipaws.xml", ["valid"]),
    ("signed-tampered-content.xml", ["invalid"]), ("signed-tampered-digest.xml", ["invalid"]),
    ("atom-signed-entries.xml", ["valid", "invalid"]), ("nws-ffw-12.xml", ["absent"])])
def test_corpus_signatures(name, signatures):
    loaded = load_incidents((CORPUS / name).read_bytes())
    assert [a.incident.signature for a in loaded] == signatures


@pytest.mark.parametrize("name, language, field, value", [
    ("meteoalarm-es-1.xml", "es", "type", "aviso de tormentas de nivel amarillo"),
    ("meteoalarm-fr-1.xml", "fr", "region", "Hérault"),
    ("meteoalarm-nl-1.xml", "en", "parameters", ["awareness_level: 3; orange; Severe"
                                                 .replace(": ", ":"), "awareness_type:3; Thunderstorm"]),
    ("dwd-2-stormforce.xml", "de", "type", "sturmböen"),
    ("dwd-1-thunderstorm.xml", "de", "area", ["WARNCELLID:105315000", "WARNCELLID:108117000"]),
    ("smhi-3.xml", "sv", "region", "Västra Götalands län"),
    ("smhi-4.xml", "sv", "type", "höga flöden".replace("höga flöden", "snöfall")),
    ("canada-tornado-alert.xml", "fr", "region", "Montréal – région"),
    ("canada-tornado-alert.xml", "en", "area", ["profile:CAP-CP:Location:0.3:2466",
                                                "layer:EC-MSC-SMC:1.0:CLC:011100"]),
    ("canada-rainfall-update.xml", "fr-CA", "type", "avertissement de pluie"),
    ("jma-heavy-rain-sjis.xml", "ja", "type", "大雨警報"),
    ("cap10-hazmat-1.xml", None, "certainty", "likely"),
    ("cap12-very-likely.xml", None, "certainty", "very likely"),
    ("usgs-landslide-cap10.xml", None, "area", ["fips6:006087", "fips6:006081"]),
    ("nws-ffw-12.xml", None, "event_codes", ["SAME:FFW", "NationalWeatherService:FFW"]),
])
def test_corpus_values(name, language, field, value):
    (item,) = load_incidents((CORPUS / name).read_bytes())
    assert item.incident.for_language(language)[field] == value


def test_corpus_geometry():
    (quake,) = load_incidents((CORPUS / "usgs-shakealert-2.xml").read_bytes())
    ring = quake.incident.data["geometry"]["coordinates"][0][0]
    assert len(ring) == 65 and ring[0] == ring[-1]
    (epicentre,) = load_incidents((CORPUS / "usgs-shakealert-5.xml").read_bytes())
    assert "geometry" not in epicentre.incident.data  # radius 0: a point, noted
    assert epicentre.incident.notes_for()
    (fire,) = load_incidents((CORPUS / "au-fire-4.xml").read_bytes())
    assert fire.incident.data["geometry"]["coordinates"][0][0][0] == [152.9, -27.4]
