"""Writes the CAP corpus of this folder (invented alerts shaped like national services' ones) and expected.json.

Run from the repository root: `.venv/bin/python tests/engine/cap_corpus/make_corpus.py`.
Every alert here is made up: the structure follows what each service publishes (elements,
geocode and parameter names, languages, wrappers), the content is fiction. expected.json says,
for each file, "file" when the file as a whole is refused, else one entry per alert: "ok" or
"refused".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.engine.cap_signing import sign  # noqa: E402

NS = {"1.0": "http://www.incident.com/cap/1.0", "1.1": "urn:oasis:names:tc:emergency:cap:1.1",
      "1.2": "urn:oasis:names:tc:emergency:cap:1.2"}
FILES: dict[str, bytes] = {}
EXPECTED: dict[str, object] = {}


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pair(tag: str, name: str, value: str, version: str = "1.2") -> str:
    if version == "1.0":
        return f"<{tag}>{esc(name)}={esc(value)}</{tag}>"
    return f"<{tag}><valueName>{esc(name)}</valueName><value>{esc(value)}</value></{tag}>"


def area(desc: str, geocodes=(), polygons=(), circles=(), version="1.2") -> str:
    out = [f"<area><areaDesc>{esc(desc)}</areaDesc>"]
    out += [f"<polygon>{p}</polygon>" for p in polygons]
    out += [f"<circle>{c}</circle>" for c in circles]
    out += [pair("geocode", n, v, version) for n, v in geocodes]
    return "".join(out) + "</area>"


def info(language, event, urgency, severity, certainty, *, category="Met", areas=(),
         event_codes=(), parameters=(), onset=None, effective=None, expires=None,
         sender_name=None, headline=None, description=None, instruction=None,
         response=("Monitor",), version="1.2") -> str:
    out = ["<info>"]
    if language:
        out.append(f"<language>{language}</language>")
    for c in (category if isinstance(category, tuple) else (category,)):
        out.append(f"<category>{c}</category>")
    out.append(f"<event>{esc(event)}</event>")
    if version != "1.0":
        out += [f"<responseType>{r}</responseType>" for r in response]
    out += [f"<urgency>{urgency}</urgency>", f"<severity>{severity}</severity>",
            f"<certainty>{certainty}</certainty>"]
    out += [pair("eventCode", n, v, version) for n, v in event_codes]
    for name, value in (("effective", effective), ("onset", onset), ("expires", expires),
                        ("senderName", sender_name), ("headline", headline),
                        ("description", description), ("instruction", instruction)):
        if value:
            out.append(f"<{name}>{esc(value)}</{name}>")
    out += [pair("parameter", n, v, version) for n, v in parameters]
    out += list(areas)
    return "".join(out) + "</info>"


def alert(identifier, sender, sent, infos=(), *, status="Actual", msg_type="Alert",
          scope="Public", references=None, version="1.2", extra="", prefix="") -> str:
    p = f"{prefix}:" if prefix else ""
    body = [f"<{p}identifier>{identifier}</{p}identifier>", f"<{p}sender>{sender}</{p}sender>",
            f"<{p}sent>{sent}</{p}sent>", f"<{p}status>{status}</{p}status>",
            f"<{p}msgType>{msg_type}</{p}msgType>", f"<{p}scope>{scope}</{p}scope>", extra]
    if references:
        body.append(f"<{p}references>{references}</{p}references>")
    blocks = "".join(infos)
    if prefix:  # a prefixed alert: every CAP element carries the prefix
        import re
        blocks = re.sub(r"<(/?)(?=[a-zA-Z])", rf"<\1{p}", blocks)
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{NS[version]}"'
    return f"<{p}alert {xmlns}>\n  " + "\n  ".join(b for b in body if b) + \
        f"\n  {blocks}\n</{p}alert>"


def write(name: str, text: str, encoding: str = "UTF-8", python: str | None = None,
          expected=("ok",), declaration: bool = True) -> None:
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n' if declaration else ""
    FILES[name] = (head + text + "\n").encode(python or encoding.lower(), "xmlcharrefreplace")
    EXPECTED[name] = list(expected) if expected != "file" else "file"


def raw(name: str, data: bytes, expected) -> None:
    FILES[name] = data
    EXPECTED[name] = list(expected) if expected != "file" else "file"


# ---------------------------------------------------------------- MeteoAlarm (EUMETNET)

METEOALARM = [  # country, OID, languages with event names, regions with EMMA_ID, encoding
    ("at", "2.49.0.0.40.0", [("de-AT", "Sturmböen"), ("en-GB", "Wind")],
     [("Wien", "AT009"), ("Niederösterreich Süd", "AT012")], "UTF-8"),
    ("be", "2.49.0.0.56.0", [("fr-BE", "Orages"), ("nl-BE", "Onweer"), ("de-BE", "Gewitter"),
                              ("en-GB", "Thunderstorms")], [("Liège", "BE005")], "UTF-8"),
    ("fr", "2.49.0.0.250.0", [("fr-FR", "Vigilance orange pluie-inondation"),
                               ("en-GB", "Orange rain-flood warning")],
     [("Hérault", "FR434"), ("Gard", "FR430")], "ISO-8859-1"),
    ("es", "2.49.0.0.724.0", [("es-ES", "Aviso de tormentas de nivel amarillo"),
                               ("en-GB", "Yellow thunderstorm warning")],
     [("Litoral de Cádiz", "ES614102"), ("Campiña cordobesa", "ES614401")], "windows-1252"),
    ("se", "2.49.0.0.752.0", [("sv-SE", "Kraftig åska"), ("en-GB", "Severe thunderstorm")],
     [("Västra Götalands län", "SE014"), ("Örebro län", "SE018")], "UTF-8"),
    ("de", "2.49.0.0.276.0", [("de-DE", "Starkes Gewitter"), ("en-GB", "Severe thunderstorm")],
     [("Kreis Göppingen", "DE146")], "ISO-8859-1"),
    ("no", "2.49.0.0.578.0", [("no", "Kraftige vindkast"), ("en-GB", "Strong wind gusts")],
     [("Møre og Romsdal", "NO015")], "UTF-8"),
    ("fi", "2.49.0.0.246.0", [("fi-FI", "Maastopalovaroitus"), ("sv-FI", "Varning för terrängbrand"),
                               ("en-GB", "Forest fire warning")], [("Pohjois-Savo", "FI011")],
     "UTF-8"),
    ("pt", "2.49.0.0.620.0", [("pt-PT", "Agitação marítima"), ("en-GB", "Coastal event")],
     [("Faro", "PT005")], "windows-1252"),
    ("it", "2.49.0.0.380.0", [("it-IT", "Allerta pioggia"), ("en-GB", "Rain warning")],
     [("Valle d'Aosta", "IT001")], "UTF-8"),
    ("nl", "2.49.0.0.528.0", [("nl-NL", "Zeer zware windstoten"), ("en-GB", "Severe gusts")],
     [("Zeeland", "NL011"), ("Noord-Holland", "NL008")], "UTF-16"),
    ("ch", "2.49.0.0.756.0", [("de-CH", "Starkregen"), ("fr-CH", "Fortes précipitations"),
                               ("it-CH", "Forti precipitazioni"), ("en-GB", "Heavy rain")],
     [("Tessin", "CH021")], "UTF-8"),
]
LEVELS = [("2; yellow; Moderate", "Moderate", "Possible"), ("3; orange; Severe", "Severe", "Likely"),
          ("4; red; Extreme", "Extreme", "Likely")]


def meteoalarm():
    for index, (country, oid, languages, regions, encoding) in enumerate(METEOALARM):
        for variant in range(2):
            level, severity, certainty = LEVELS[(index + variant) % 3]
            day = 10 + variant
            ident = f"{oid}.2026061{variant}{index:02d}0000.{country.upper()}{index}{variant}"
            infos = [info(lang, event, "Future" if variant else "Immediate", severity, certainty,
                          event_codes=[("SAME", "SVR")] if variant else [],
                          parameters=[("awareness_level", level), ("awareness_type", "3; Thunderstorm")],
                          onset=f"2026-06-{day}T12:00:00+02:00", effective=f"2026-06-{day}T06:00:00+02:00",
                          expires=f"2026-06-{day}T23:59:00+02:00",
                          sender_name=f"Met service {country.upper()} (EUMETNET member)",
                          headline=f"{event}: {regions[0][0]}",
                          description=f"{event} — {', '.join(r for r, _ in regions)}.",
                          areas=[area(r, [("EMMA_ID", code)]) for r, code in regions])
                     for lang, event in languages]
            msg, refs = ("Update", f"{oid},{oid}.20260610{index:02d}0000.{country.upper()}{index}0,"
                         "2026-06-10T05:00:00+02:00") if variant else ("Alert", None)
            write(f"meteoalarm-{country}-{variant + 1}.xml",
                  alert(ident, f"meteoalarm.{country}@meteoalarm.example",
                        f"2026-06-{day}T05:00:00+02:00", infos, msg_type=msg, references=refs),
                  encoding=encoding)


# ---------------------------------------------------------------- DWD (Germany)

DWD = [("GEWITTER", "THUNDERSTORM", "31", "Severe"), ("STURMBÖEN", "STORM-FORCE GUSTS", "52", "Moderate"),
       ("STARKREGEN", "HEAVY RAIN", "63", "Severe"), ("GLÄTTE", "ICY SURFACES", "84", "Minor"),
       ("FROST", "FROST", "22", "Minor"), ("ORKANBÖEN", "HURRICANE-FORCE GUSTS", "58", "Extreme"),
       ("DAUERREGEN", "PERSISTENT RAIN", "66", "Severe"), ("HITZE", "HEAT", "247", "Moderate")]
CELLS = [("Stadt Köln", "105315000"), ("Kreis Göppingen", "108117000"),
         ("Stadt München", "109162000"), ("Kreis Nordfriesland", "101054000")]


def dwd():
    for index, (de, en, ii, severity) in enumerate(DWD):
        cells = [CELLS[index % 4], CELLS[(index + 1) % 4]]
        polygon = ["50.90,6.80 51.05,6.80 51.05,7.10 50.90,7.10 50.90,6.80"] if index % 2 else []
        common = dict(event_codes=[("PROFILE_VERSION", "2.1.11"), ("LICENSE", "© GeoBasis-DE"),
                                   ("II", ii), ("GROUP", "WIND" if "BÖEN" in de else "RAIN"),
                                   ("AREA_COLOR", "255 170 0")],
                      parameters=[("PHASE", "2"), ("gust", "75 [km/h]")],
                      onset="2026-06-15T14:00:00+02:00", expires="2026-06-15T20:00:00+02:00",
                      sender_name="Deutscher Wetterdienst")
        areas = [area(name, [("WARNCELLID", cell)], polygon) for name, cell in cells]
        infos = [info("de-DE", de.capitalize(), "Immediate", severity, "Likely", areas=areas,
                      headline=f"Amtliche WARNUNG vor {de}", response=("Prepare",),
                      description=f"Es tritt {de.lower()} auf. Süßes Gebäck schützt nicht.", **common),
                 info("en-GB", en.capitalize(), "Immediate", severity, "Likely", areas=areas,
                      headline=f"Official WARNING of {en}", response=("Prepare",), **common)]
        status = "Exercise" if index == 7 else "Actual"
        encoding = ("ISO-8859-1", "UTF-8", "windows-1252")[index % 3]
        write(f"dwd-{index + 1}-{en.lower().split()[0].replace('-', '')}.xml",
              alert(f"2.49.0.0.276.0.DWD.PVW.17824{index:05d}.{index}f3", "opendata@dwd.example",
                    "2026-06-15T13:30:00+02:00", infos, status=status), encoding=encoding)


# ---------------------------------------------------------------- Canada (NAAD, CAP-CP)

CANADA = [("rainfall", "Rainfall warning", "Avertissement de pluie", "Moderate", "3510", "Toronto"),
          ("tornado", "Tornado warning", "Alerte de tornade", "Extreme", "2466", "Montréal"),
          ("wildfire", "Wildfire", "Feu de forêt", "Severe", "5915", "Kamloops"),
          ("amber", "Amber alert", "Alerte Amber", "Severe", "4811", "Edmonton"),
          ("flood", "Flood warning", "Avertissement d'inondation", "Severe", "4611", "Winnipeg"),
          ("snowfall", "Snowfall warning", "Avertissement de neige", "Moderate", "1209", "Halifax")]


def canada():
    for index, (code, en, fr, severity, csd, place) in enumerate(CANADA):
        ident = f"urn:oid:2.49.0.1.124.{1000 + index}.2026"
        layer = [("layer:SOREM:1.0:Broadcast_Immediately", "Yes" if severity == "Extreme" else "No"),
                 ("layer:EC-MSC-SMC:1.0:Alert_Type", "warning"),
                 ("layer:SOREM:2.0:WirelessImmediate", "Yes" if severity == "Extreme" else "No"),
                 ("layer:EC-MSC-SMC:1.0:MSC_Event_ID", f"{code}-{index}")]
        geo = [("profile:CAP-CP:Location:0.3", csd), ("layer:EC-MSC-SMC:1.0:CLC", f"0{index}1100")]
        poly = ["43.60,-79.50 43.85,-79.50 43.85,-79.10 43.60,-79.10 43.60,-79.50"]
        codes = [("profile:CAP-CP:Event:0.4", code)]
        infos = [info("en-CA", en, "Expected", severity, "Likely", areas=[area(place, geo, poly)],
                      event_codes=codes, parameters=layer, sender_name="Environment Canada",
                      effective="2026-07-02T10:00:00-04:00", expires="2026-07-03T10:00:00-04:00",
                      headline=en.lower()),
                 info("fr-CA", fr, "Expected", severity, "Likely",
                      areas=[area(f"{place} – région", geo, poly)], event_codes=codes,
                      parameters=layer, sender_name="Environnement Canada",
                      effective="2026-07-02T10:00:00-04:00", expires="2026-07-03T10:00:00-04:00",
                      headline=fr.lower(), description="Pluie abondante prévue; soyez prêts.")]
        sender = "cap-pac@canada.example"
        write(f"canada-{code}-alert.xml",
              alert(ident, sender, "2026-07-02T10:00:00-04:00", infos, scope="Public",
                    extra="<code>profile:CAP-CP:0.4</code>"))
        reference = f"{sender},{ident},2026-07-02T10:00:00-04:00"
        write(f"canada-{code}-update.xml",
              alert(ident + ".u", sender, "2026-07-02T14:00:00-04:00", infos, msg_type="Update",
                    references=reference, extra="<code>profile:CAP-CP:0.4</code>"),
              encoding="UTF-16")
        if index % 2 == 0:
            write(f"canada-{code}-cancel.xml",
                  alert(ident + ".c", sender, "2026-07-02T18:00:00-04:00", infos[:1],
                        msg_type="Cancel", references=reference,
                        extra="<code>profile:CAP-CP:0.4</code>"))


# ---------------------------------------------------------------- NWS / IPAWS (USA)

NWS = [("Flash Flood Warning", "FFW", "FF.W", "Extreme", "Immediate", "Observed"),
       ("Tornado Warning", "TOR", "TO.W", "Extreme", "Immediate", "Observed"),
       ("Severe Thunderstorm Warning", "SVR", "SV.W", "Severe", "Immediate", "Likely"),
       ("Flood Warning", "FLW", "FL.W", "Moderate", "Expected", "Likely"),
       ("Winter Storm Warning", "WSW", "WS.W", "Moderate", "Expected", "Likely"),
       ("Hurricane Warning", "HUW", "HU.W", "Extreme", "Expected", "Likely"),
       ("Red Flag Warning", "FWW", "FW.W", "Severe", "Expected", "Likely"),
       ("Special Weather Statement", "SPS", "", "Minor", "Expected", "Observed")]


def nws():
    for index, (event, same, vtec, severity, urgency, certainty) in enumerate(NWS):
        version = "1.1" if index % 3 == 2 else "1.2"
        office = ["KRBX", "KLSX", "KOUN", "KMFL"][index % 4]
        params = [("WMOidentifier", f"WUUS5{index} {office} 190412"),
                  ("NWSheadline", f"{event.upper()} IN EFFECT UNTIL 115 AM CDT"),
                  ("EAS-ORG", "WXR"), ("BLOCKCHANNEL", "CMAS"), ("BLOCKCHANNEL", "NWEM")]
        if vtec:
            params.insert(0, ("VTEC", f"/O.NEW.{office}.{vtec}.00{index + 1}.260619T0412Z-260619T0615Z/"))
        polygon = [f"{38 + index * 0.1:.2f},-90.50 {38.3 + index * 0.1:.2f},-90.20 "
                   f"{38.1 + index * 0.1:.2f},-89.90 {38 + index * 0.1:.2f},-90.50"]
        areas = [area("Lakeside, MO; Harmon, MO", [("SAME", "029001"), ("SAME", "029003"),
                                                     ("UGC", "MOC001"), ("UGC", "MOC003")],
                      polygon, version=version)]
        sent = "2026-06-18T23:12:00-05:00"
        expires = "2026-06-19T01:15:00-05:00"
        if index == 3:  # an alert long expired when it is read
            sent, expires = "2019-04-02T08:00:00-05:00", "2019-04-02T20:00:00-05:00"
        infos = [info("en-US", event, urgency, severity, certainty, areas=areas,
                      event_codes=[("SAME", same), ("NationalWeatherService", same)],
                      parameters=params, effective=sent, onset=sent, expires=expires,
                      sender_name=f"NWS {office[1:]} Office", headline=f"{event} issued",
                      description=f"* WHAT...{event}.\n* WHERE...Lakeside and Harmon.",
                      instruction="Move to higher ground now. Act quickly.",
                      response=("Shelter",) if "Tornado" in event else ("Avoid", "Monitor"),
                      version=version)]
        if index == 5:  # a Spanish block as well, as some offices send
            infos.append(info("es-US", "Aviso de Huracán", urgency, severity, certainty,
                              areas=areas, sender_name="SNM", headline="Aviso de huracán",
                              version=version))
        status = "Test" if index == 7 else "Actual"
        ident = f"urn:oid:2.49.0.1.840.0.{index:04x}{same.lower()}.001.1"
        write(f"nws-{same.lower()}-{version.replace('.', '')}.xml",
              alert(ident, "w-nws.webmaster@noaa.example", sent, infos, status=status,
                    version=version, extra="<code>IPAWSv1.0</code>"))
        if index < 3:
            write(f"nws-{same.lower()}-update.xml",
                  alert(ident.replace(".1", ".2"), "w-nws.webmaster@noaa.example",
                        "2026-06-19T00:10:00-05:00", infos, msg_type="Update",
                        references=f"w-nws.webmaster@noaa.example,{ident},{sent}",
                        version=version))
            write(f"nws-{same.lower()}-cancel.xml",
                  alert(ident.replace(".1", ".3"), "w-nws.webmaster@noaa.example",
                        "2026-06-19T00:40:00-05:00", [], msg_type="Cancel",
                        references=f"w-nws.webmaster@noaa.example,{ident},{sent}",
                        version=version))


# ---------------------------------------------------------------- USGS ShakeAlert, earthquakes

QUAKES = [("38.83,-122.80 40", "Magnitude 5.1 earthquake", "Severe"),
          ("34.05,-118.25 120", "Magnitude 6.7 earthquake", "Extreme"),
          ("47.61,-122.33 25", "Magnitude 4.6 earthquake", "Moderate"),
          ("61.22,-149.90 300", "Magnitude 7.4 earthquake", "Extreme"),
          ("36.17,-115.14 0", "Magnitude 3.9 earthquake (epicentre only)", "Minor")]


def usgs():
    for index, (circle, event, severity) in enumerate(QUAKES):
        centre = circle.split()[0]
        infos = [info("en-US", event, "Immediate", severity, "Observed", category="Geo",
                      areas=[area("Within the shaking area", circles=[circle],
                                  polygons=[] if index % 2 else [])],
                      event_codes=[("SAME", "EQW")],
                      parameters=[("EventID", f"us7000{index:04d}"), ("Magnitude", event.split()[1]),
                                  ("Epicenter", centre), ("Depth", "8.2 km")],
                      sender_name="USGS ShakeAlert", headline=event,
                      instruction="Drop, cover and hold on.", response=("Shelter",),
                      onset="2026-05-01T03:14:15-07:00")]
        write(f"usgs-shakealert-{index + 1}.xml",
              alert(f"us7000{index:04d}-shakealert", "shakealert@usgs.example",
                    "2026-05-01T03:14:20-07:00", infos, version="1.2" if index != 4 else "1.1"))
    # a USGS CAP 1.0 alert of the early 2000s: Very Likely and valueName=value codes
    infos = [info(None, "Landslide", "Expected", "Severe", "Very Likely", category="Geo",
                  areas=[area("Santa Cruz Mountains", [("fips6", "006087"), ("fips6", "006081")],
                              version="1.0")],
                  event_codes=[("EAS", "LSW")], parameters=[("trigger", "rainfall")],
                  version="1.0")]
    write("usgs-landslide-cap10.xml", alert("USGS-landslides-20060831T184846", "usgs@usgs.example",
                                            "2006-08-31T18:48:46-00:00", infos, version="1.0"))


# ---------------------------------------------------------------- Australia (CAP-AU fire services)

AUSTRALIA = [("Bushfire", "Emergency Warning", "Extreme", "-33.70,150.30 15", "NSW RFS"),
             ("Bushfire", "Watch and Act", "Severe", "-37.50,145.40 8", "CFA Victoria"),
             ("Grassfire", "Advice", "Moderate", "-31.95,115.86 5", "DFES WA"),
             ("Bushfire", "Emergency Warning", "Extreme", None, "QFES"),
             ("Structure fire", "Advice", "Minor", "-34.93,138.60 1", "SA CFS")]


def australia():
    for index, (event, level, severity, circle, agency) in enumerate(AUSTRALIA):
        polygons = [] if circle else ["-27.40,152.90 -27.30,153.05 -27.45,153.15 -27.55,152.95 -27.40,152.90"]
        infos = [info("en-AU", event, "Immediate", severity, "Observed", category="Fire",
                      response=("Evacuate",) if severity == "Extreme" else ("Monitor",),
                      areas=[area(f"{agency} fire ground {index + 1}", [("POSTCODE", f"27{index}0")],
                                  polygons, [circle] if circle else [])],
                      event_codes=[("https://govshare.gov.au/cap-au/event-code", event.lower())],
                      parameters=[("AlertLevel", level), ("FireDangerRating", "Extreme")],
                      sender_name=agency, headline=f"{level}: {event}",
                      instruction="Leave now if the path is clear." if severity == "Extreme"
                      else "Stay informed.", onset="2026-01-12T14:00:00+11:00",
                      expires="2026-01-12T22:00:00+11:00")]
        write(f"au-fire-{index + 1}.xml",
              alert(f"AU-FIRE-2026-{index + 1:04d}", f"{agency.split()[0].lower()}@fire.example",
                    "2026-01-12T14:05:00+11:00", infos, status="Exercise" if index == 4 else "Actual",
                    extra="<code>urn:oasis:names:tc:emergency:cap:1.2:profile:CAP-AU:1.0</code>"))


# ---------------------------------------------------------------- SMHI (Sweden)

SMHI = [("Kuling", "Gale", "Moderate"), ("Höga flöden", "High flows", "Severe"),
        ("Skogsbrandrisk", "Risk of forest fire", "Moderate"), ("Snöfall", "Snowfall", "Minor"),
        ("Åska", "Thunder", "Severe")]


def smhi():
    for index, (sv, en, severity) in enumerate(SMHI):
        regions = [("Västra Götalands län", "14"), ("Jönköpings län", "06")]
        areas = [area(r, [("MunicipalityCode" if index % 2 else "CountyCode", c)]) for r, c in regions]
        common = dict(areas=areas, onset="2026-09-03T06:00:00+02:00",
                      expires="2026-09-04T06:00:00+02:00", sender_name="SMHI",
                      parameters=[("warningLevel", ["yellow", "orange", "red"][index % 3])])
        infos = [info("sv-SE", sv, "Expected", severity, "Likely", headline=f"{sv} i {regions[0][0]}",
                      description="Risk för översvämning av vägar; åtgärder bör vidtas.", **common),
                 info("en-GB", en, "Expected", severity, "Likely", headline=f"{en} warning", **common)]
        encoding = ("UTF-8", "ISO-8859-1", "windows-1252", "UTF-16", "UTF-8")[index]
        write(f"smhi-{index + 1}.xml",
              alert(f"2.49.0.1.752.0.SMHI.2026090{index}", "smhi@smhi.example",
                    "2026-09-03T05:00:00+02:00", infos), encoding=encoding)


# ---------------------------------------------------------------- Japan, Philippines and others

def others():
    jma = [info("ja-JP", "大雨警報", "Immediate", "Severe", "Likely",
                areas=[area("東京都２３区", [("気象庁予報区", "130011")])],
                headline="東京地方に大雨警報", sender_name="気象庁"),
           info("en-US", "Heavy Rain Warning", "Immediate", "Severe", "Likely",
                areas=[area("Tokyo 23 wards", [("JMA", "130011")])], sender_name="JMA")]
    write("jma-heavy-rain.xml", alert("urn:uuid:jma-2026-0001", "jma@jma.example",
                                      "2026-07-07T09:00:00+09:00", jma))
    write("jma-heavy-rain-sjis.xml", alert("urn:uuid:jma-2026-0002", "jma@jma.example",
                                           "2026-07-07T09:30:00+09:00", jma),
          encoding="Shift_JIS", python="shift_jis")
    pagasa = [info("en-PH", "Tropical Cyclone Wind Signal No. 3", "Expected", "Severe", "Likely",
                   category=("Met", "Safety"),
                   areas=[area("Catanduanes", [("PSGC", "052000000")],
                               circles=["13.70,124.20 150"])], sender_name="PAGASA")]
    write("pagasa-typhoon.xml", alert("PAGASA-TCWS-2026-11", "pagasa@pagasa.example",
                                      "2026-10-21T05:00:00+08:00", pagasa))
    # a prefixed alert (cap:alert, cap:info ...), as some gateways write them
    write("prefixed-cap-elements.xml",
          alert("PREFIX-1", "gateway@example.org", "2026-03-01T10:00:00Z",
                [info("en", "Test message", "Unknown", "Unknown", "Unknown")], status="Test",
                prefix="cap"))


# ---------------------------------------------------------------- CAP 1.0 and 1.1 specimens

def old_versions():
    for index, certainty in enumerate(["Very Likely", "Likely", "Possible", "Unlikely"]):
        infos = [info(None, "Chemical release", "Immediate", "Severe", certainty,
                      category="CBRNE", areas=[area("Port district", [("fips6", "006075")],
                                                    ["37.75,-122.40 37.80,-122.40 37.80,-122.35 37.75,-122.40"],
                                                    version="1.0")],
                      event_codes=[("EAS", "HMW")], parameters=[("agent", "chlorine")],
                      version="1.0")]
        write(f"cap10-hazmat-{index + 1}.xml",
              alert(f"CAP10-HAZ-{index + 1}", "hazmat@county.example", "2005-03-02T09:00:00-08:00",
                    infos, version="1.0"), encoding=("UTF-8", "ISO-8859-1")[index % 2])
    # CAP 1.2 with a 1.0 word: kept lower-cased ("very likely"), judged by the agreement read
    write("cap12-very-likely.xml",
          alert("CAP12-VL-1", "someone@example.org", "2026-02-02T10:00:00Z",
                [info("en-US", "Flood warning", "Expected", "Severe", "Very Likely",
                      areas=[area("Lower valley", [("FIPS", "039001")])])]))
    for index in range(3):
        infos = [info("en-US", "Civil emergency message", "Immediate", "Severe", "Observed",
                      category="Safety", areas=[area(f"District {index + 1}", [("FIPS6", f"03900{index}")])],
                      version="1.1")]
        write(f"cap11-civil-{index + 1}.xml",
              alert(f"CAP11-CEM-{index + 1}", "eoc@state.example", "2011-05-05T12:00:00-04:00",
                    infos, version="1.1"), encoding=("UTF-8", "windows-1252", "UTF-16")[index])


# ---------------------------------------------------------------- signed alerts

def signed():
    base = alert("SIGNED-2026-1", "alerts@state.example", "2026-04-04T12:00:00Z",
                 [info("en-US", "Hazardous Materials Warning", "Immediate", "Severe", "Observed",
                       category="CBRNE", areas=[area("Harbor, Ålesund district",
                                                     [("FIPS", "039001")])],
                       headline="Chlorine leak near the harbor")])
    good = sign(base)
    raw("signed-valid.xml", good, ["ok"])
    raw("signed-tampered-content.xml",
        good.replace(b"Chlorine leak near", b"Chlorine leak neer", 1), ["ok"])
    raw("signed-tampered-digest.xml",
        good.replace(b"<ds:DigestValue>", b"<ds:DigestValue>A", 1).replace(b"=</ds:DigestValue>",
                                                                           b"</ds:DigestValue>", 1),
        ["ok"])
    raw("signed-valid-utf16.xml", sign(base, encoding="UTF-16"), ["ok"])
    raw("signed-by-authority.xml", sign(base, "alerts.state.example", "Example State CA"), ["ok"])
    nws_like = alert("SIGNED-IPAWS-1", "ipaws@fema.example", "2026-04-04T12:30:00Z",
                     [info("en-US", "Civil Danger Warning", "Immediate", "Extreme", "Observed",
                           category="Safety", areas=[area("Lakeside", [("SAME", "039001")])])])
    signed_nws = sign(nws_like)
    raw("signed-valid-ipaws.xml", signed_nws, ["ok"])
    feed = (b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            b"<id>urn:signed-feed</id><title>Signed alerts</title>"
            b"<entry><id>s1</id><title>s1</title><content type=\"text/xml\">"
            + good.split(b"?>", 1)[1] + b"</content></entry>"
            b"<entry><id>s2</id><title>s2</title><content type=\"text/xml\">"
            + signed_nws.split(b"?>", 1)[1].replace(b"Civil Danger", b"Civil Dancer", 1)
            + b"</content></entry></feed>\n")
    raw("atom-signed-entries.xml", feed, ["ok", "ok"])


# ---------------------------------------------------------------- several alerts in one file

def simple(identifier, event="Flood warning", status="Actual", msg_type="Alert", infos=None,
           version="1.2", language="en-US"):
    if infos is None:
        infos = [info(language, event, "Expected", "Severe", "Likely",
                      areas=[area("Riverside", [("FIPS", "039001")])], version=version)]
    return alert(identifier, "feeds@example.org", "2026-08-08T08:00:00Z", infos, status=status,
                 msg_type=msg_type, version=version)


def atom(entries: list[str]) -> str:
    return ('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
            "<id>urn:uuid:feed</id><title>Alerts</title><updated>2026-08-08T08:00:00Z</updated>"
            + "".join(entries) + "</feed>")


def entry(n: int, content: str | None, link: bool = False) -> str:
    body = f'<content type="application/cap+xml">{content}</content>' if content else ""
    linked = f'<link rel="alternate" type="application/cap+xml" href="https://alerts.example/{n}.xml"/>'
    return (f"<entry><id>urn:uuid:entry-{n}</id><title>Entry {n}</title>"
            f"<updated>2026-08-08T08:00:00Z</updated>{linked if link or not content else ''}"
            f"{body}</entry>")


def edxl(version: str, alerts: list[str], extra_objects: str = "") -> str:
    ns = f"urn:oasis:names:tc:emergency:EDXL:DE:{version}"
    obj = ("<contentObject><contentDescription>CAP alert</contentDescription><xmlContent>"
           "<embeddedXMLContent>{}</embeddedXMLContent></xmlContent></contentObject>")
    objects = "".join(obj.format(a) for a in alerts) + extra_objects
    if version == "2.0":
        objects = f"<content>{objects}</content>"
    return (f'<EDXLDistribution xmlns="{ns}"><distributionID>DE-{version}-1</distributionID>'
            "<senderID>hub@example.org</senderID><dateTimeSent>2026-08-08T08:00:00Z</dateTimeSent>"
            "<distributionStatus>Actual</distributionStatus><distributionType>Report</distributionType>"
            f"<combinedConfidentiality>UNCLASSIFIED</combinedConfidentiality>{objects}</EDXLDistribution>")


def wrappers():
    write("atom-three-alerts.xml", atom([entry(i, simple(f"ATOM-{i}")) for i in (1, 2, 3)]),
          expected=["ok"] * 3)
    write("atom-mixed.xml", atom([entry(1, simple("MIX-1")), entry(2, None),
                                  entry(3, simple("MIX-3", status="Draft")),
                                  entry(4, simple("MIX-4", version="1.1")),
                                  entry(5, simple("MIX-5", msg_type="Ack"))]),
          expected=["ok", "refused", "refused", "ok", "refused"])
    write("atom-nws-index.xml", atom([
        f'<entry xmlns:cap="{NS["1.1"]}"><id>urn:oid:x.{i}</id><title>Flood Warning {i}</title>'
        f'<link href="https://alerts.example/{i}"/><cap:event>Flood Warning</cap:event>'
        "<cap:effective>2026-08-08T08:00:00-05:00</cap:effective><cap:severity>Moderate</cap:severity>"
        "</entry>" for i in (1, 2)]), expected=["refused", "refused"])
    write("atom-one-alert.xml", atom([entry(1, simple("ATOM-ONE"))]))
    write("atom-empty.xml", atom([]), expected=[])
    write("atom-utf16.xml", atom([entry(i, simple(f"ATOM16-{i}", event="Überflutung in Köln"))
                                  for i in (1, 2)]), encoding="UTF-16", expected=["ok", "ok"])
    write("atom-multilingual.xml", atom([entry(1, simple("ML-1", infos=[
        info("fr-CA", "Avertissement de chaleur", "Expected", "Moderate", "Likely"),
        info("en-CA", "Heat warning", "Expected", "Moderate", "Likely")])),
        entry(2, simple("ML-2", language="sv-SE", event="Värmebölja"))]), expected=["ok", "ok"])
    rss = ('<rss version="2.0"><channel><title>Alerts</title><link>https://alerts.example/</link>'
           "<description>x</description>{}</channel></rss>")
    write("rss-two-alerts.xml", rss.format("".join(
        f"<item><title>Item {i}</title><guid>rss-{i}</guid>{simple(f'RSS-{i}')}</item>"
        for i in (1, 2))), expected=["ok", "ok"])
    write("rss-link-only.xml", rss.format(
        "<item><title>Linked</title><guid>rss-l</guid><link>https://alerts.example/l.xml</link></item>"
        f"<item><title>Embedded</title><guid>rss-e</guid>{simple('RSS-E')}</item>"),
        expected=["refused", "ok"])
    write("rss-latin1.xml", rss.format("".join(
        f"<item><title>Objet {i}</title><guid>rss-fr-{i}</guid>"
        f"{simple(f'RSS-FR-{i}', event='Crue à Besançon', language='fr-FR')}</item>"
        for i in (1, 2, 3))), encoding="ISO-8859-1", expected=["ok"] * 3)
    write("edxl-de-10.xml", edxl("1.0", [simple("EDXL1-1"), simple("EDXL1-2", status="Exercise")]),
          expected=["ok", "ok"])
    write("edxl-de-10-with-other-content.xml", edxl("1.0", [simple("EDXL1-3")],
          "<contentObject><contentDescription>a map</contentDescription><nonXMLContent>"
          "<mimeType>image/png</mimeType><uri>https://maps.example/1.png</uri></nonXMLContent>"
          "</contentObject>"), expected=["ok", "refused"])
    write("edxl-de-20.xml", edxl("2.0", [simple("EDXL2-1"), simple("EDXL2-2", version="1.1"),
                                         simple("EDXL2-3", status="System")]),
          expected=["ok", "ok", "refused"])
    write("edxl-de-20-single.xml", edxl("2.0", [simple("EDXL2-ONE")]))
    write("list-of-alerts.xml", "<alerts>" + "".join(simple(f"LIST-{i}") for i in (1, 2, 3, 4))
          + "</alerts>", expected=["ok"] * 4)
    write("list-mixed-versions.xml", "<batch><note>nightly batch</note>" + simple("LV-1", version="1.0")
          + simple("LV-2", version="1.1") + simple("LV-3") + "</batch>", expected=["ok"] * 3)
    write("atom-edxl-inside.xml", atom([entry(1, edxl("1.0", [simple("NEST-1")]))]))


# ---------------------------------------------------------------- refused files

LAUGHS = """<!DOCTYPE alert [
 <!ENTITY a "ha ha ha ha ha ha ha ha ha ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
"""


def bad():
    body = [info("en-US", "Flood warning", "Expected", "Severe", "Likely")]
    write("bad-no-info.xml", alert("BAD-NOINFO", "x@example.org", "2026-01-01T00:00:00Z"),
          expected=["refused"])
    write("bad-draft.xml", alert("BAD-DRAFT", "x@example.org", "2026-01-01T00:00:00Z", body,
                                 status="Draft"), expected=["refused"])
    write("bad-system.xml", alert("BAD-SYSTEM", "x@example.org", "2026-01-01T00:00:00Z", body,
                                  status="System"), expected=["refused"])
    write("bad-ack.xml", alert("BAD-ACK", "x@example.org", "2026-01-01T00:00:00Z", [],
                               msg_type="Ack", references="x@example.org,A-1,2026-01-01T00:00:00Z"),
          expected=["refused"])
    write("bad-error.xml", alert("BAD-ERROR", "x@example.org", "2026-01-01T00:00:00Z", [],
                                 msg_type="Error"), expected=["refused"])
    write("bad-no-identifier.xml", alert("", "x@example.org", "2026-01-01T00:00:00Z", body)
          .replace("<identifier></identifier>", ""), expected=["refused"])
    write("bad-no-sent.xml", alert("BAD-NOSENT", "x@example.org", "", body)
          .replace("<sent></sent>", ""), expected=["refused"])
    write("bad-status-unknown.xml", alert("BAD-STATUS", "x@example.org", "2026-01-01T00:00:00Z",
                                          body, status="Rehearsal"), expected=["refused"])
    write("bad-msgtype-unknown.xml", alert("BAD-MSG", "x@example.org", "2026-01-01T00:00:00Z",
                                           body, msg_type="Notice"), expected=["refused"])
    write("bad-no-namespace.xml", alert("BAD-NS", "x@example.org", "2026-01-01T00:00:00Z", body)
          .replace(f' xmlns="{NS["1.2"]}"', ""), expected="file")
    write("bad-wrong-namespace.xml", alert("BAD-NS2", "x@example.org", "2026-01-01T00:00:00Z", body)
          .replace(NS["1.2"], "urn:oasis:names:tc:emergency:cap:2.0"), expected="file")
    write("bad-not-cap-kml.xml", '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
          "<name>Warning area</name></Document></kml>", expected="file")
    write("bad-not-cap-html.xml", "<html><body><h1>Alerts</h1></body></html>", expected="file",
          declaration=False)
    write("bad-broken-xml.xml", alert("BAD-BROKEN", "x@example.org", "2026-01-01T00:00:00Z", body)
          .replace("</info>", "</inf>"), expected="file")
    write("bad-truncated.xml", alert("BAD-TRUNC", "x@example.org", "2026-01-01T00:00:00Z",
                                     body)[:300], expected="file")
    write("bad-billion-laughs.xml", LAUGHS + alert("&h;", "x@example.org", "2026-01-01T00:00:00Z",
                                                   body), expected="file")
    write("bad-external-entity.xml", '<!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
          + alert("&x;", "x@example.org", "2026-01-01T00:00:00Z", body), expected="file")
    write("bad-deeply-nested.xml", alert("BAD-DEEP", "x@example.org", "2026-01-01T00:00:00Z",
                                         [info("en-US", "x", "Unknown", "Unknown", "Unknown")
                                          .replace("</info>", "<resource>" + "<d>" * 5000
                                                   + "</d>" * 5000 + "</resource></info>")]),
          expected="file")
    write("bad-unknown-encoding.xml", alert("BAD-ENC", "x@example.org", "2026-01-01T00:00:00Z",
                                            body), encoding="x-martian", python="utf-8",
          expected="file")
    raw("bad-wrong-encoding-declared.xml",
        ('<?xml version="1.0" encoding="UTF-8"?>\n' + alert(
            "BAD-ENC2", "x@example.org", "2026-01-01T00:00:00Z",
            [info("de-DE", "Sturmböen", "Expected", "Severe", "Likely")])).encode("iso-8859-1"),
        "file")
    raw("bad-empty.xml", b"", "file")
    raw("bad-binary.xml", bytes(range(256)), "file")
    write("bad-cancel-system.xml", alert("BAD-CS", "x@example.org", "2026-01-01T00:00:00Z", [],
                                         status="System", msg_type="Cancel"), expected=["refused"])


def main() -> None:
    for make in (meteoalarm, dwd, canada, nws, usgs, australia, smhi, others, old_versions,
                 signed, wrappers, bad):
        make()
    for old in HERE.glob("*.xml"):
        old.unlink()
    for name, data in sorted(FILES.items()):
        (HERE / name).write_bytes(data)
    (HERE / "expected.json").write_text(json.dumps(dict(sorted(EXPECTED.items())), indent=1,
                                                   ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(FILES)} files")


if __name__ == "__main__":
    main()
