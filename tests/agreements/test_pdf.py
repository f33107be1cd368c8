"""The agreement PDF: its contents, determinism, refusal to fetch anything, and its PAdES seal."""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from agreements import pdf as pdf_module
from agreements.pdf import FetchRefused, RefusingURLFetcher, SignatureRecord, render_pdf
from agreements.seal import (SealError, SealFileMissing, SealIdentity, Verification,
                             ensure_identity, seal_pdf, verify_pdf)
from dsl.errors import CompactError
from engine.compiler import load

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "agreements" / "library"
MUTUAL_AID = LIBRARY / "intrastate-mutual-aid.agreement"
SIGNED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
EXECUTED_AT = datetime(2026, 1, 6, 17, 30, tzinfo=timezone.utc)

# pdftotext comes with poppler-utils, which `make test` installs: no skipping here.

# The example of language.md: clauses without legal text, so the PDF words them from logic.
WORDED = '''\
agreement lakeside-riverbend-mutual-aid
  title "Mutual Aid Agreement between Lakeside County and the City of Riverbend"
  kind mutual-aid
  binding
  effective 2026-01-01 until 2028-12-31
  governing law "the laws of the State of Columbia"
  withdrawal notice 30 days

recital "Both parties are exposed to seasonal river flooding that can exceed the resources of either party alone."

party lakeside "Lakeside County Office of Emergency Management"
  region "Lakeside"
  contact "eoc@lakeside.example"
  signatory "Director of Emergency Management"

party riverbend "City of Riverbend Fire Department"
  region "Riverbend"

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

clause engines "Deployment of engine strike teams"
  when major_flood and incident.requested_by is given
  assisting must "deploy one Type 1 engine strike team to the staging area" within 4 hours of incident.requested_at
  unless incident.displaced > 5000
  costs borne by requesting

clause escalate "Escalation to the State"
  when breached engines
  coordinator must "arrange alternate resources through the statewide compact" within 2 hours of breach of engines

clause shelter "Shared costs"
  when mass_displacement
  coordinator may "open a shelter"
  costs shared coordinator 75%, requesting 25%

example "severe flood in Lakeside with a request"
  incident """{"id": "T-1", "type": "flood", "severity": "extreme", "region": "Lakeside", "reported_at": "2026-03-14T08:00:00Z", "displaced": 120, "requested_by": "lakeside", "requested_at": "2026-03-14T09:00:00Z"}"""
  expect lakeside must notify by 2026-03-14T08:30:00Z
  expect riverbend must engines by 2026-03-14T13:00:00Z
'''


def pdf_text(pdf: bytes, tmp: Path, *, layout: bool) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def flat(text: str) -> str:
    """Text with every run of whitespace as one space, so wrapped lines read as written."""
    return " ".join(text.split())


def signatures_for(agreement, *, skip=()) -> list[SignatureRecord]:
    return [SignatureRecord(party.id, f"Signer {party.id}", f"Director of {party.id}",
                            SIGNED_AT + timedelta(hours=i), f"user{i}@{party.id}.example",
                            f"192.0.2.{i + 10}", agreement.content_hash)
            for i, party in enumerate(agreement.parties) if party.id not in skip]


# ---------------------------------------------------------------- rendered once per module

@pytest.fixture(scope="module")
def source() -> str:
    return MUTUAL_AID.read_text()


@pytest.fixture(scope="module")
def agreement(source):
    return load(source, MUTUAL_AID.name)


@pytest.fixture(scope="module")
def signatures(agreement):
    return signatures_for(agreement)


@pytest.fixture(scope="module")
def executed_pdf(source, signatures) -> bytes:
    return render_pdf(source, revision_number=2, signatures=signatures,
                      executed_at=EXECUTED_AT, filename=MUTUAL_AID.name)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf")


@pytest.fixture(scope="module")
def layout_pages(executed_pdf, scratch) -> list[str]:
    pages = pdf_text(executed_pdf, scratch, layout=True).split("\f")
    return [p for p in pages if p.strip()]


@pytest.fixture(scope="module")
def reading(executed_pdf, scratch) -> str:
    """The text in reading order, flattened: a clause's text is not interleaved with its box."""
    return flat(pdf_text(executed_pdf, scratch, layout=False))


def section(text: str, heading: str, next_heading: str | None) -> str:
    start = text.index(heading)
    return text[start:text.index(next_heading, start)] if next_heading else text[start:]


HEADINGS = ["Recitals", "Definitions", "Clauses", "Annex: duties by party", "Signatures",
            "Certificate of completion"]


# ---------------------------------------------------------------- contents

def test_every_section_appears_once_in_order(reading):
    positions = [reading.index(h) for h in HEADINGS]
    assert positions == sorted(positions)


def test_cover_shows_the_agreement_its_revision_and_hash(layout_pages, agreement):
    cover = flat(layout_pages[0])
    assert flat(agreement.title) in cover
    for words in ("Mutual aid agreement", "Binding", "Revision 2", agreement.content_hash,
                  "From 1 January 2026 to 31 December 2028", "the laws of the State of Columbia",
                  "30 days", agreement.id, "Executed 2026-01-06 17:30:00 UTC"):
        assert words in cover, words
    for party in agreement.parties:
        assert party.name in cover
        assert party.attributes["contact"] in cover


def test_recitals_and_plain_word_definitions(reading):
    recitals = section(reading, "Recitals", "Definitions")
    assert "Whereas the Counties are exposed to floods, wildfires, tornadoes" in recitals
    assert recitals.count("Whereas") == 3
    definitions = section(reading, "Definitions", "Clauses")
    assert "The requesting party the party named in the incident's requested_by field." \
        in definitions
    assert ("The assisting parties every party of this agreement except the requesting party "
            "and the coordinator.") in definitions
    assert "The coordinator State of Columbia Emergency Operations Center." in definitions
    assert "“Activated” met when the incident's declaration is “local” or “governor”." \
        in definitions


def test_clauses_are_numbered_with_their_text_and_a_summary(reading, agreement):
    clauses = section(reading, "Clauses", "Annex: duties by party")
    for clause in agreement.clauses:
        heading = f"{clause.index + 1}. {clause.title}"
        assert heading in clauses
        assert flat(clause.text) in clauses
    assert clauses.count("Summary of clause") == len(agreement.clauses)
    for label in ("Who", "What", "By when", "Trigger", "Costs"):
        assert clauses.count(label) >= len(agreement.clauses), label
    assert "within 72 hours of the incident's requested_at" in clauses
    assert 'when valid_request and incident.request_form == "oral"' in clauses
    assert "unless incident.aid_donated == yes" in clauses
    assert "Costs are borne by the requesting party." in clauses


def test_clause_text_sits_beside_its_summary(layout_pages):
    clause_page = next(p for p in layout_pages if "1. Notice of the declared emergency" in p)
    line = next(ln for ln in clause_page.splitlines() if "1. Notice of the declared" in ln)
    assert "Summary of clause 1" in line  # the same printed line: two columns


def test_annex_lists_each_partys_possible_duties(reading, agreement):
    annex = section(reading, "Annex: duties by party", "Signatures")
    names = [p.name for p in agreement.parties]
    blocks = {name: section(annex, name, nxt) for name, nxt in
              zip(names, names[1:] + [None])}
    state = blocks["State of Columbia Emergency Operations Center"]
    assert "4. State mission tracking" in state and "As the coordinator (named)" in state
    # The coordinator is excluded from the assisting parties, and has no area to be affected.
    assert "5. Response to a request" not in state
    assert "1. Notice of the declared emergency" not in state
    lakeside = blocks["Lakeside County Office of Emergency Management"]
    for duty in ("1. Notice of the declared emergency", "5. Response to a request",
                 "9. Reimbursement"):
        assert duty in lakeside
    assert "As an assisting party, when it is not the requesting party or the coordinator" \
        in lakeside
    assert "must answer the request" in lakeside and "may withhold resources" in lakeside
    assert "within 6 hours of the incident's requested_at" in lakeside


def test_signature_page_fills_every_signed_block(reading, signatures):
    page = section(reading, "Signatures", "Certificate of completion")
    for record in signatures:
        assert record.signer_name in page and record.signer_title in page
    assert page.count("Signed electronically") == len(signatures)
    assert "2026-01-05" in page


def test_certificate_lists_every_signature_event(reading, signatures, agreement):
    certificate = section(reading, "Certificate of completion", None)
    for i, record in enumerate(signatures):
        for words in (record.signer_name, record.signer_title, record.user,
                      f"from {record.address}",
                      (SIGNED_AT + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S UTC")):
            assert words in certificate, words
    assert certificate.count(f"Revision hash signed: {agreement.content_hash}") == len(signatures)
    assert "Executed at 2026-01-06 17:30:00 UTC." in certificate


def test_every_footer_numbers_its_page_and_carries_the_hash(layout_pages, agreement):
    total = len(layout_pages)
    assert total >= 6
    for number, page in enumerate(layout_pages, start=1):
        assert f"Page {number} of {total}" in page
        assert agreement.content_hash in page.strip().splitlines()[-1]


def test_metadata_carries_hash_agreement_and_revision(executed_pdf, agreement):
    unsealed = verify_pdf(executed_pdf)
    assert (unsealed.content_hash, unsealed.agreement_id, unsealed.revision_number) == \
        (agreement.content_hash, agreement.id, 2)


def test_a_draft_has_blank_signature_lines_and_no_certificate(source, tmp_path):
    draft = render_pdf(source)
    text = flat(pdf_text(draft, tmp_path, layout=False))
    assert "Unnumbered draft" in text
    assert "Certificate of completion" not in text
    assert "Signed electronically" not in text
    assert verify_pdf(draft).revision_number is None


def test_a_partly_signed_revision_fills_only_the_signed_block(source, agreement, tmp_path):
    one = signatures_for(agreement)[1:2]
    text = flat(pdf_text(render_pdf(source, revision_number=3, signatures=one), tmp_path,
                         layout=False))
    assert "Revision 3" in text
    assert text.count("Signed electronically") == 1
    assert one[0].signer_name in text
    assert "Certificate of completion" not in text


def test_clauses_without_legal_text_are_worded_from_their_logic(tmp_path):
    text = flat(pdf_text(render_pdf(WORDED), tmp_path, layout=False))
    assert ("When the “major flood” condition is met and the incident's requested_by is given, "
            "each assisting party shall deploy one Type 1 engine strike team to the staging "
            "area within 4 hours of the incident's requested_at, unless the incident's "
            "displaced is more than 5000. Costs are borne by the requesting party.") in text
    assert ("When the “major flood” condition is met or the “mass displacement” condition is "
            "met, each affected party shall notify the State EOC through the shared incident "
            "channel within 30 minutes of the incident's onset.") in text
    assert ("When clause 2 (Deployment of engine strike teams) has been breached, the "
            "coordinator shall arrange alternate resources") in text
    assert "Costs are shared: the coordinator 75% and the requesting party 25%." in text
    assert ("The affected parties every party of this agreement for which the party's region "
            "is the incident's region.") in text


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.agreement")), ids=lambda p: p.name)
def test_every_library_agreement_renders(path):
    agreement = load(path.read_text(), path.name)
    pdf = render_pdf(path.read_text(), revision_number=1, signatures=signatures_for(agreement),
                     executed_at=EXECUTED_AT, filename=path.name)
    assert pdf.startswith(b"%PDF-") and verify_pdf(pdf).content_hash == agreement.content_hash


# ---------------------------------------------------------------- errors

def test_bad_agreement_text_raises_compact_error():
    with pytest.raises(CompactError):
        render_pdf("agreement broken\n  title 42\n")
    with pytest.raises(CompactError):
        render_pdf(WORDED.replace("role coordinator is state", "role coordinator is stat"))


def test_signatures_must_fit_the_revision(source, agreement):
    good = signatures_for(agreement)
    other_hash = [SignatureRecord(**{**good[0].__dict__, "content_hash": "0" * 64})]
    with pytest.raises(ValueError, match="binds to revision"):
        render_pdf(source, signatures=other_hash)
    stranger = [SignatureRecord(**{**good[0].__dict__, "party_id": "nobody"})]
    with pytest.raises(ValueError, match="not a party"):
        render_pdf(source, signatures=stranger)
    with pytest.raises(ValueError, match="two signatures"):
        render_pdf(source, signatures=[good[0], good[0]])
    naive = [SignatureRecord(**{**good[0].__dict__, "signed_at": datetime(2026, 1, 5)})]
    with pytest.raises(ValueError, match="aware"):
        render_pdf(source, signatures=naive)
    with pytest.raises(ValueError, match="every party"):
        render_pdf(source, signatures=good[1:], executed_at=EXECUTED_AT)
    with pytest.raises(ValueError, match="revision_number"):
        render_pdf(source, revision_number=-1)


# ---------------------------------------------------------------- determinism and speed

def test_the_same_inputs_give_the_same_bytes(executed_pdf, source, signatures):
    again = render_pdf(source, revision_number=2, signatures=signatures,
                       executed_at=EXECUTED_AT, filename=MUTUAL_AID.name)
    assert again == executed_pdf
    assert render_pdf(WORDED) == render_pdf(WORDED)
    assert b"/CreationDate" not in executed_pdf and b"/ModDate" not in executed_pdf


def test_another_process_renders_the_same_bytes(tmp_path):
    # Set iteration order changes with the hash seed; nothing in the PDF may depend on it.
    script = ("import sys; from agreements.pdf import render_pdf; "
              "sys.stdout.buffer.write(render_pdf(sys.stdin.read()))")
    other = subprocess.run([sys.executable, "-c", script], input=WORDED.encode(), cwd=ROOT,
                           capture_output=True, check=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": "12345", "LC_ALL": "C.UTF-8"})
    assert other.stdout == render_pdf(WORDED)


def long_agreement(clauses: int, parties: int = 4) -> str:
    """A synthetic agreement whose clauses carry long legal text."""
    sentence = ("The party shall act with all reasonable diligence, keep the other parties "
                "informed of its progress, and record every step it takes in the shared log. ")
    lines = ["agreement long-test", '  title "A long agreement to time the renderer"',
             "  kind compact", "  binding", "  effective 2026-01-01 until 2030-12-31", "",
             'recital "The parties test the renderer with a long agreement."', ""]
    for i in range(parties):
        lines += [f'party p{i} "Party number {i} of the long agreement"', f'  region "R{i % 2}"']
    lines += ["", "fields", "  requested_by party", "  requested_at time", "",
              "role requesting is incident.requested_by",
              "role others is parties except requesting",
              "role regional is parties where party.region == incident.region", "",
              'trigger big when incident.severity >= "severe"', ""]
    for i in range(clauses):
        role = ("others", "regional", "requesting")[i % 3]
        lines += [f'clause c{i} "Clause number {i} of the long agreement"',
                  "  when big and incident.requested_by is given",
                  f'  {role} must "do task {i} carefully and completely" '
                  f"within {i % 12 + 1} hours of incident.requested_at",
                  "  costs borne by requesting", f'  text "{sentence * 3}"', ""]
    lines += ['example "nothing happens"',
              '  incident """{"id": "x", "type": "t", "reported_at": "2026-02-01T00:00:00Z"}"""',
              "  expect no c0", ""]
    return "\n".join(lines)


def test_a_ten_page_agreement_renders_quickly(tmp_path):
    source = long_agreement(clauses=7)
    render_pdf(source)  # the first render also pays for loading fonts
    started = time.perf_counter()
    pdf = render_pdf(source)
    elapsed = time.perf_counter() - started
    pages = pdf_text(pdf, tmp_path, layout=True).count("\f")
    assert pages >= 10
    assert elapsed < 2.0, f"{pages} pages took {elapsed:.2f} s"


# ---------------------------------------------------------------- nothing is ever fetched

HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<link rel=stylesheet href="http://127.0.0.1:{port}/x.css">',
    '<style>@import url(http://127.0.0.1:{port}/i.css); body {{ background: url(file:///etc/passwd) }}</style>',
    '<object data="http://127.0.0.1:{port}/o"></object><iframe src="file:///etc/passwd"></iframe>',
    '<link rel="attachment" href="file:///etc/passwd">',
    '<svg><image href="http://127.0.0.1:{port}/s.png"/></svg>',
    "</p><script>x()</script>&amp; &lt;b&gt;",
]


@pytest.fixture()
def http_server():
    """A local HTTP server that records every request it gets."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


def quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def hostile_agreement(port: int) -> tuple[str, list[str]]:
    payloads = [p.format(port=port) for p in HOSTILE]
    source = WORDED
    source = source.replace('title "Mutual Aid Agreement between',
                            f'title "{quoted(payloads[0])} Mutual Aid Agreement between')
    source = source.replace('recital "Both parties', f'recital "{quoted(payloads[1])} Both parties')
    source = source.replace('contact "eoc@lakeside.example"',
                            f'contact "{quoted(payloads[2])}"')
    source = source.replace('party riverbend "City of Riverbend Fire Department"',
                            f'party riverbend "City of Riverbend {quoted(payloads[3])}"')
    source = source.replace('  costs borne by requesting\n',
                            f'  costs borne by requesting\n  text "{quoted(payloads[4])}"\n')
    source = source.replace('"notify the State EOC through the shared incident channel"',
                            f'"notify the State EOC {quoted(payloads[5])}"')
    source = source.replace('coordinator may "open a shelter"',
                            f'coordinator may "open a shelter {quoted(payloads[6])}"')
    return source, payloads


def test_hostile_agreement_text_is_printed_literally_and_fetches_nothing(
        http_server, monkeypatch, tmp_path):
    port, requests = http_server
    asked: list[str] = []
    original = RefusingURLFetcher.fetch

    def recording_fetch(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(RefusingURLFetcher, "fetch", recording_fetch)
    source, payloads = hostile_agreement(port)
    agreement = load(source)
    signer = SignatureRecord("lakeside", payloads[0], payloads[1], SIGNED_AT, payloads[2],
                             payloads[3], agreement.content_hash)
    pdf = render_pdf(source, revision_number=1, signatures=[signer])

    assert asked == [] and requests == []
    text = pdf_text(pdf, tmp_path, layout=False)
    # Long markup-like words wrap anywhere, so compare with all whitespace removed.
    squeezed = "".join(text.split())
    for payload in payloads:
        assert "".join(payload.split()) in squeezed, payload
    assert "root:x:0:0" not in text
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "doc.pdf")],
                            capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) == 2  # the header lines only: no image at all


def test_the_fetcher_refuses_every_url_and_weasyprint_honours_it(http_server):
    port, requests = http_server
    fetcher = RefusingURLFetcher()
    assert isinstance(fetcher, URLFetcher)
    for url in ("file:///etc/passwd", f"http://127.0.0.1:{port}/x", "data:text/css,p{}"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
        with pytest.raises(FetchRefused):
            fetcher(url)
    # Markup that does ask for resources (agreement text never becomes markup) gets none.
    html = (f'<link rel=stylesheet href="http://127.0.0.1:{port}/x.css">'
            f'<img src="http://127.0.0.1:{port}/i.png"><img src="file:///etc/passwd">')
    HTML(string=html, base_url=None, url_fetcher=RefusingURLFetcher()).write_pdf()
    assert requests == []


def test_render_pdf_hands_weasyprint_only_the_refusing_fetcher(monkeypatch):
    seen = []
    real_html = pdf_module.HTML

    def spy(*args, **kwargs):
        seen.append((kwargs.get("url_fetcher"), kwargs.get("base_url", "missing")))
        return real_html(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "HTML", spy)
    render_pdf(WORDED)
    [(fetcher, base_url)] = seen
    assert isinstance(fetcher, RefusingURLFetcher) and base_url is None


# ---------------------------------------------------------------- the seal

@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> SealIdentity:
    return ensure_identity(tmp_path_factory.mktemp("seal"))


@pytest.fixture(scope="module")
def sealed(executed_pdf, identity) -> bytes:
    return seal_pdf(executed_pdf, identity)


def test_a_sealed_pdf_verifies_with_the_trusted_certificate(sealed, identity, agreement):
    result = verify_pdf(sealed, [identity.cert_path])
    assert result == Verification(True, True, True, agreement.content_hash, agreement.id, 2,
                                  result.message)
    assert result.message.startswith("The seal is valid")


def test_pyhanko_itself_validates_the_seal(sealed, identity):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation.pdf_embedded import read_certification_data
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(BytesIO(sealed))
    [signature] = reader.embedded_signatures
    assert signature.field_name == "CompactSeal"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(identity.cert_path))],
                                allow_fetching=False)
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert read_certification_data(reader).permission == MDPPerm.NO_CHANGES


def byte_flipped(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def signed_offsets(sealed: bytes) -> dict[str, int]:
    """Offsets inside the signed byte range: the page content, the metadata, the header."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    [signature] = PdfFileReader(BytesIO(sealed)).embedded_signatures
    start, first_length, second_start, _ = signature.sig_object["/ByteRange"]
    stream = sealed.index(b"stream", 0, first_length) + 40  # inside a compressed stream
    assert start == 0 and stream < first_length
    return {
        "content stream": stream,
        "middle of the document": first_length // 2,
        "metadata": sealed.index(b"/CompactContentHash") + 30,
        "header": 5,
        "signature value": first_length + 100,  # inside /Contents, outside the range
        "after the signature": second_start + 20,
    }


@pytest.mark.parametrize("where", ["content stream", "middle of the document", "metadata",
                                   "header", "signature value", "after the signature"])
def test_one_changed_byte_breaks_the_seal(sealed, identity, where):
    changed = byte_flipped(sealed, signed_offsets(sealed)[where])
    result = verify_pdf(changed, [identity.cert_path])
    assert not result.valid
    assert result.message
    if where in ("content stream", "middle of the document", "metadata", "header"):
        assert result.sealed and not result.intact  # the digest over the signed range fails
        assert "broken" in result.message


def test_sealing_an_already_sealed_pdf_is_refused(sealed, identity):
    with pytest.raises(SealError):
        seal_pdf(sealed, identity)


def test_a_seal_by_an_untrusted_identity_is_not_valid(sealed, tmp_path):
    stranger = ensure_identity(tmp_path, common_name="Somebody else")
    result = verify_pdf(sealed, [stranger.cert_path])
    assert (result.valid, result.sealed, result.intact) == (False, True, True)
    assert "trusted" in result.message
    assert not verify_pdf(sealed).valid  # and no trust roots at all trusts nothing


def test_a_seal_from_another_identity_does_not_verify(executed_pdf, identity, tmp_path):
    forged = seal_pdf(executed_pdf, ensure_identity(tmp_path, common_name="Compact local seal"))
    assert not verify_pdf(forged, [identity.cert_path]).valid


def test_an_update_appended_after_the_seal_is_not_valid(sealed, identity):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    info = writer.trailer["/Info"]
    info["/CompactContentHash"] = generic.TextStringObject("f" * 64)
    writer.update_container(info)
    out = BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), [identity.cert_path])
    assert not result.valid and result.sealed


def test_an_unsealed_pdf_is_not_valid_but_names_its_revision(executed_pdf, identity, agreement):
    result = verify_pdf(executed_pdf, [identity.cert_path])
    assert (result.valid, result.sealed) == (False, False)
    assert result.content_hash == agreement.content_hash
    assert "no seal" in result.message


@pytest.mark.parametrize("garbage", [b"", b"hello", b"%PDF-1.7\n", b"\x00" * 1000,
                                     bytes(range(256)) * 40, "not bytes"])
def test_garbage_is_never_valid_and_never_raises(garbage, identity):
    result = verify_pdf(garbage, [identity.cert_path])
    assert not result.valid and result.message


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_sealed_pdf_is_not_valid(sealed, identity, fraction):
    result = verify_pdf(sealed[:int(len(sealed) * fraction)], [identity.cert_path])
    assert not result.valid and result.message


# ---------------------------------------------------------------- the seal identity

def test_ensure_identity_creates_a_signing_certificate_once_and_reuses_it(tmp_path):
    from cryptography import x509

    first = ensure_identity(tmp_path)
    assert first == SealIdentity(tmp_path / "seal-key.pem", tmp_path / "seal-cert.pem")
    key, cert = first.key_path.read_bytes(), first.cert_path.read_bytes()
    assert first.key_path.stat().st_mode & 0o077 == 0  # the key is private to its owner
    again = ensure_identity(tmp_path)
    assert again == first
    assert (again.key_path.read_bytes(), again.cert_path.read_bytes()) == (key, cert)

    certificate = x509.load_pem_x509_certificate(cert)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=3600) < lifetime < timedelta(days=3700)
    assert certificate.public_key().curve.name == "secp256r1"


def test_a_configured_identity_is_used_by_path(tmp_path, executed_pdf):
    made = ensure_identity(tmp_path / "made", common_name="Configured seal")
    configured = ensure_identity(tmp_path / "unused", key_path=made.key_path,
                                 cert_path=made.cert_path)
    assert configured == made
    assert not (tmp_path / "unused" / "seal-key.pem").exists()
    assert verify_pdf(seal_pdf(executed_pdf, configured), [made.cert_path]).valid


def test_a_missing_configured_file_is_a_clear_error(tmp_path):
    made = ensure_identity(tmp_path / "made")
    missing = tmp_path / "nowhere" / "seal-key.pem"
    with pytest.raises(SealFileMissing, match="does not exist") as caught:
        ensure_identity(tmp_path, key_path=missing, cert_path=made.cert_path)
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, SealError)
    assert str(missing) in str(caught.value)
    with pytest.raises(SealError, match="both"):
        ensure_identity(tmp_path, key_path=made.key_path)


def test_a_key_that_does_not_match_its_certificate_is_refused(tmp_path):
    one = ensure_identity(tmp_path / "one")
    two = ensure_identity(tmp_path / "two")
    with pytest.raises(SealError, match="does not belong"):
        ensure_identity(tmp_path, key_path=one.key_path, cert_path=two.cert_path)


def test_half_an_identity_on_disk_is_not_silently_replaced(tmp_path):
    made = ensure_identity(tmp_path)
    made.cert_path.unlink()
    with pytest.raises(SealError, match="without its pair"):
        ensure_identity(tmp_path)


def test_verify_reports_an_unreadable_trusted_certificate_as_configuration(sealed, tmp_path):
    with pytest.raises(SealError):
        verify_pdf(sealed, [tmp_path / "missing.pem"])


def test_the_executed_text_names_the_signed_revision(reading, agreement):
    # The signature page binds every signature to this revision's hash.
    signatures_page = section(reading, "Signatures", "Certificate of completion")
    assert re.search(rf"revision 2 \(content hash {agreement.content_hash}\)", signatures_page)
