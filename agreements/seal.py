"""Seal agreement PDFs with a PAdES signature (pyHanko) and verify such seals."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import fcntl
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from agreements.db import make_private_folder
from agreements.pdf import (INFO_AGREEMENT_ID, INFO_CONTENT_HASH, INFO_REVISION,
                            KEYWORD_CONTENT_HASH)

KEY_FILE = "seal-key.pem"
CERT_FILE = "seal-cert.pem"
VALIDITY = dt.timedelta(days=3653)

T = TypeVar("T")


class SealError(ValueError):
    """The seal identity cannot be used, or a PDF cannot be sealed."""


class SealFileMissing(SealError, FileNotFoundError):
    """A seal key or certificate configured by path does not exist."""


@dataclass(frozen=True)
class SealIdentity:
    key_path: Path
    cert_path: Path


@dataclass(frozen=True)
class Verification:
    valid: bool  # seal present, intact, covering the whole file, signed by a trusted identity
    sealed: bool
    intact: bool
    content_hash: str | None  # read from the PDF metadata
    agreement_id: str | None
    revision_number: int | None
    message: str  # one clear sentence for a person


# ---------------------------------------------------------------- the identity

def ensure_identity(directory: Path, *, key_path: Path | None = None,
                    cert_path: Path | None = None,
                    common_name: str = "Compact local seal") -> SealIdentity:
    """The deployment's seal key and certificate: the configured ones, or a local self-signed pair.

    Without paths, `<directory>/seal-key.pem` and `seal-cert.pem` are created on first use
    and reused afterwards. Raises SealError (SealFileMissing for a missing configured file).
    """
    if key_path is not None or cert_path is not None:
        if key_path is None or cert_path is None:
            raise SealError("configure both the seal key and the seal certificate, not only one")
        identity = SealIdentity(Path(key_path), Path(cert_path))
        for what, path in (("key", identity.key_path), ("certificate", identity.cert_path)):
            if not path.is_file():
                raise SealFileMissing(f"the configured seal {what} {path} does not exist")
        _check_pair(identity)
        return identity

    directory = Path(directory)
    make_private_folder(directory.parent)
    make_private_folder(directory)
    identity = SealIdentity(directory / KEY_FILE, directory / CERT_FILE)
    # A lock, so two processes starting at once cannot write a key and a certificate that
    # belong to different pairs.
    with open(directory / ".seal.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key_exists, cert_exists = identity.key_path.exists(), identity.cert_path.exists()
        if key_exists != cert_exists:
            present = identity.key_path if key_exists else identity.cert_path
            raise SealError(f"{present} exists without its pair; restore the other file or "
                            f"remove it to create a new seal identity")
        if not key_exists:
            _create_self_signed(identity, common_name)
    _check_pair(identity)
    return identity


def _create_self_signed(identity: SealIdentity, common_name: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Compact")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    _write_new(identity.key_path, key_pem, mode=0o600)
    _write_new(identity.cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    # Written beside the target and renamed, so a crash never leaves half a key behind.
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _check_pair(identity: SealIdentity) -> None:
    try:
        key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(identity.cert_path.read_bytes())
    except (ValueError, TypeError, OSError) as exc:
        raise SealError(f"the seal key {identity.key_path} or certificate "
                        f"{identity.cert_path} cannot be read: {exc}") from exc
    if key.public_key().public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo) != \
            cert.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SealError(f"the seal key {identity.key_path} does not belong to the certificate "
                        f"{identity.cert_path}")


# ---------------------------------------------------------------- sealing

def seal_pdf(pdf: bytes, identity: SealIdentity, *, reason: str = "Executed agreement",
             field_name: str = "CompactSeal") -> bytes:
    """The PDF with an invisible PAdES certification seal that forbids later changes.

    No timestamp server is asked: sealing never touches the network.
    """
    try:
        signer = signers.SimpleSigner.load(str(identity.key_path), str(identity.cert_path))
    except Exception as exc:  # pyHanko reports unreadable key material in several ways
        raise SealError(f"cannot load the seal identity: {exc}") from exc
    if signer is None:
        raise SealError(f"cannot load the seal identity from {identity.key_path}")
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(metadata, signer)

    def sign() -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        return pdf_signer.sign_pdf(writer).getvalue()

    try:
        return _outside_event_loop(sign)
    except SealError:
        raise
    except Exception as exc:
        raise SealError(f"cannot seal this PDF: {exc}") from exc


# ---------------------------------------------------------------- verification

def verify_pdf(pdf: bytes, trusted_cert_paths: Sequence[Path] = ()) -> Verification:
    """Whether a PDF carries an intact seal by a trusted identity, and which revision it shows.

    Never raises for bad input: anything that is not a well-sealed PDF is reported invalid.
    Raises SealError only for a trusted certificate path that cannot be read (configuration).
    """
    trust_roots = [_load_trusted(Path(p)) for p in trusted_cert_paths]
    try:
        reader = PdfFileReader(BytesIO(bytes(pdf)), strict=False)
        signatures = list(reader.embedded_regular_signatures)
    except Exception:
        return Verification(False, False, False, None, None, None,
                            "This file is not a readable PDF (it may be damaged or cut short), "
                            "so it carries no valid seal.")
    identity = _read_identity(reader)
    if not signatures:
        return Verification(False, False, False, *identity,
                            "This PDF carries no seal, so nothing vouches for its contents.")
    try:
        statuses = [_outside_event_loop(lambda s=s: validate_pdf_signature(
            s, ValidationContext(trust_roots=trust_roots, allow_fetching=False,
                                 revocation_mode="soft-fail")))
            for s in signatures]
    except Exception:
        return Verification(False, True, False, *identity,
                            "The seal is damaged and cannot be checked; do not rely on this PDF.")

    intact = all(s.intact and s.valid for s in statuses)
    if not intact:
        return Verification(False, True, False, *identity,
                            "The seal is broken: this PDF was changed after it was sealed.")
    if not all(s.trusted for s in statuses):
        return Verification(False, True, True, *identity,
                            "The seal is intact but was not made by a trusted seal certificate.")
    if statuses[-1].coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verification(False, True, True, *identity,
                            "The seal is intact, but content was added to this PDF after it "
                            "was sealed.")
    if not all(s.bottom_line for s in statuses):
        return Verification(False, True, True, *identity,
                            "The seal does not meet the validation rules (for example an "
                            "expired certificate or a forbidden change).")
    if identity[0] is None:
        return Verification(False, True, True, *identity,
                            "The seal is valid, but this PDF names no agreement revision.")
    return Verification(True, True, True, *identity,
                        f"The seal is valid: this PDF is unchanged since it was sealed by "
                        f"{_signer_name(statuses[-1])}.")


def _load_trusted(path: Path):
    try:
        return load_cert_from_pemder(str(path))
    except Exception as exc:
        raise SealError(f"the trusted seal certificate {path} cannot be read: {exc}") from exc


def _read_identity(reader: PdfFileReader) -> tuple[str | None, str | None, int | None]:
    """(content hash, agreement id, revision number) from the document information."""
    try:
        info = reader.trailer["/Info"]
        info = info.get_object() if hasattr(info, "get_object") else info
    except Exception:
        return None, None, None

    def text(key: str) -> str | None:
        try:
            value = info.get(key)
            return None if value is None else str(value)
        except Exception:
            return None

    content_hash = text(INFO_CONTENT_HASH)
    if content_hash is None:
        keywords = text("/Keywords") or ""
        found = re.search(re.escape(KEYWORD_CONTENT_HASH) + r"([0-9a-f]{64})", keywords)
        content_hash = found.group(1) if found else None
    if content_hash is not None and not re.fullmatch(r"[0-9a-f]{64}", content_hash):
        content_hash = None
    revision = text(INFO_REVISION)
    return (content_hash, text(INFO_AGREEMENT_ID),
            int(revision) if revision and revision.isdigit() else None)


def _signer_name(status) -> str:
    try:
        return status.signing_cert.subject.native.get("common_name") or "the seal certificate"
    except Exception:
        return "the seal certificate"


def _outside_event_loop(call: Callable[[], T]) -> T:
    # pyHanko's synchronous API calls asyncio.run(), which fails inside a running loop
    # (an async web server); there, run it on a worker thread instead.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()
