"""Throwaway keys and certificates, and CAP alerts signed with them (not a test module)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner, methods

NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)


def _key(seed: int):
    # RSA keys cannot be derived from a seed with `cryptography`; one per name per process.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@lru_cache(maxsize=None)
def authority(common_name: str = "Compact test CA"):
    """A self-signed certificate authority: (key, certificate)."""
    key = _key(0)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name))
            .issuer_name(_name(common_name)).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


@lru_cache(maxsize=None)
def signer(common_name: str = "alerts.example", issuer: str | None = None):
    """A signing key and its certificate: self-signed, or issued by `authority(issuer)`."""
    key = _key(1)
    builder = (x509.CertificateBuilder().subject_name(_name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer is None:
        cert = builder.issuer_name(_name(common_name)).sign(key, hashes.SHA256())
    else:
        ca_key, ca_cert = authority(issuer)
        cert = (builder.issuer_name(ca_cert.subject)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
    return key, cert


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def sign(xml: str | bytes, common_name: str = "alerts.example", issuer: str | None = None,
         encoding: str = "UTF-8") -> bytes:
    """The alert with an enveloped ds:Signature (RSA-SHA256, exclusive C14N) as its last child."""
    key, cert = signer(common_name, issuer)
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser=etree.XMLParser(remove_blank_text=False))
    signed = XMLSigner(method=methods.enveloped, signature_algorithm="rsa-sha256",
                       digest_algorithm="sha256",
                       c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        root, key=key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()),
        cert=[pem(cert).decode()] + ([pem(authority(issuer)[1]).decode()] if issuer else []))
    return etree.tostring(signed, xml_declaration=True, encoding=encoding)
