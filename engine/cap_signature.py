"""Enveloped XML signatures of CAP alerts checked with signxml: "valid", "invalid" or "absent".

What "valid" means. Without configuration, trust is *the signature matches the certificate
it carries*: the alert's content is exactly what the holder of the key in the certificate of
its <ds:KeyInfo> signed, and the certificate was valid when the alert was sent. That says the
alert was not altered since it was signed; it does not say who signed it, since anyone can make
a certificate. With the environment variable COMPACT_CAP_TRUST set to the path of a PEM bundle
of trusted certificates, the certificates carried must also chain to one of them, so a valid
signature by an untrusted certificate is "invalid".

"invalid" is any signature that does not verify: content or digest altered, a signature value
that does not match, a certificate unusable or untrusted, a SHA-1 or other weak algorithm
(signxml's default policy), or a signature that covers only part of the alert. A bad signature
never refuses the alert: it is recorded. Only the signature's own XML is parsed again (with
lxml, entities off, no network), after defusedxml has accepted the file.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

DS = "http://www.w3.org/2000/09/xmldsig#"
TRUST_VARIABLE = "COMPACT_CAP_TRUST"
VALID, INVALID, ABSENT = "valid", "invalid", "absent"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=False)


def has_signature(alert) -> bool:
    """Whether an (ElementTree) alert element has a ds:Signature child."""
    return any(child.tag == f"{{{DS}}}Signature" for child in alert)


def _element_children(element):
    return [c for c in element if isinstance(c.tag, str)]


def element_at(document, path: tuple[int, ...]):
    """The element at `path` (element child indexes from the root) of an xml_input.Document,
    read with lxml (parsed once per document, after defusedxml has accepted it)."""
    if "lxml" not in document.cache:
        document.cache["lxml"] = etree.fromstring(document.data, parser=_PARSER)
    element = document.cache["lxml"]
    for index in path:
        element = _element_children(element)[index]
    return element


def _time(sent: str | None) -> datetime:
    try:
        moment = datetime.fromisoformat((sent or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else datetime.now(timezone.utc)


def _covers_alert(results) -> bool:
    results = results if isinstance(results, list) else [results]
    return any(etree.QName(r.signed_xml).localname == "alert" for r in results
               if r.signed_xml is not None)


def check(document, path: tuple[int, ...], alert, sent: str | None) -> str:
    """The signature status of the alert element `alert` (ElementTree), found at `path` in the
    xml_input.Document: "absent" without a ds:Signature child, else "valid" or "invalid"."""
    if not has_signature(alert):
        return ABSENT
    try:
        element = element_at(document, path)
        config = SignatureConfiguration(verification_time=_time(sent))
        trust = os.environ.get(TRUST_VARIABLE)
        if trust:
            results = XMLVerifier().verify(element, ca_pem_file=trust, expect_config=config)
            return VALID if _covers_alert(results) else INVALID
        signature = element.find(f"{{{DS}}}Signature")
        certificates = [c.text for c in signature.iterfind(
            f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate") if c.text]
        for certificate in certificates:
            try:
                results = XMLVerifier().verify(element, x509_cert=certificate,
                                               expect_config=config)
            except Exception:  # noqa: BLE001 - this certificate does not verify it; try the next
                continue
            if _covers_alert(results):
                return VALID
        return INVALID
    except Exception:  # noqa: BLE001 - whatever is wrong with a signature, it is recorded, never raised
        return INVALID
