"""`compact verify` on files that are not well-sealed PDFs: exit status 1, one clear line, and
never a library's traceback (run as a deployment runs it, in its own process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agreements.pdf import render_pdf
from agreements.seal import ensure_identity, seal_pdf

COMPACT = Path(sys.executable).with_name("compact")
BORDER = Path(__file__).resolve().parents[2] / "agreements" / "library" / \
    "border-information-sharing.agreement"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    """(sealed PDF bytes, the certificate that made it)."""
    folder = tmp_path_factory.mktemp("seal")
    identity = ensure_identity(folder)
    data = render_pdf(BORDER.read_text(), revision_number=1, filename=BORDER.name)
    return seal_pdf(data, identity), identity.cert_path


def _replace_same_length(data: bytes, pattern: bytes, make) -> bytes:
    match = re.search(pattern, data)
    assert match, pattern
    new = make(match.group(0))
    assert len(new) == len(match.group(0))
    return data[:match.start()] + new + data[match.end():]


def _broken(kind: str, data: bytes) -> bytes:
    if kind == "byterange garbage":
        return _replace_same_length(data, rb"/ByteRange\s*\[[^\]]*\]",
                                    lambda m: b"/ByteRange [" + b"x" * (len(m) - 13) + b"]")
    if kind == "byterange out of the file":
        return _replace_same_length(
            data, rb"/ByteRange\s*\[[^\]]*\]",
            lambda m: (b"/ByteRange [0 99999999 99999999 99999999]").ljust(len(m) - 1)[:len(m) - 1]
            + b"]" if len(m) >= 42 else m)
    if kind == "contents not hex":
        return _replace_same_length(data, rb"/Contents\s*<[0-9a-fA-F]{64}",
                                    lambda m: m[:-64] + b"zz" * 32)
    if kind == "contents not a signature":
        return _replace_same_length(data, rb"/Contents\s*<[0-9a-fA-F]{64}",
                                    lambda m: m[:-64] + b"00" * 32)
    if kind == "no subfilter":
        return _replace_same_length(data, rb"/SubFilter\s*/[A-Za-z.]+",
                                    lambda m: b"/SubFilteX /" + b"X" * (len(m) - 12))
    if kind == "no type":
        return _replace_same_length(data, rb"/Type\s*/Sig\b", lambda m: b"/Type /XXX"[:len(m)])
    raise AssertionError(kind)


def _compact(tmp_path, *args):
    env = {**os.environ, "COMPACT_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    return subprocess.run([str(COMPACT), *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _check_refused(result, path):
    assert result.returncode == 1, (result.stdout, result.stderr)
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    lines = [line for line in everything.splitlines() if line.strip()]
    assert len(lines) == 1, everything
    assert lines[0].startswith(f"{path}: invalid. ") or lines[0].startswith(f"{path}: error: "), \
        lines[0]
    return lines[0]


@pytest.mark.parametrize("name, content", [
    ("empty.pdf", b""),
    ("text.pdf", b"this is not a PDF at all\n"),
    ("png.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("header-only.pdf", b"%PDF-1.7\n"),
])
def test_verify_a_file_that_is_no_pdf(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    line = _check_refused(_compact(tmp_path, "verify", str(path)), path)
    assert "not a readable PDF" in line or "carries no seal" in line, line


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_verify_a_truncated_sealed_pdf(tmp_path, sealed, fraction):
    data, cert = sealed
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[:int(len(data) * fraction)])
    _check_refused(_compact(tmp_path, "verify", str(path), "--trust", str(cert)), path)


@pytest.mark.parametrize("kind", ["byterange garbage", "byterange out of the file",
                                  "contents not hex", "contents not a signature",
                                  "no subfilter", "no type"])
def test_verify_a_pdf_with_a_broken_signature_dictionary(tmp_path, sealed, kind):
    data, cert = sealed
    path = tmp_path / "broken.pdf"
    path.write_bytes(_broken(kind, data))
    _check_refused(_compact(tmp_path, "verify", str(path), "--trust", str(cert)), path)


def test_verify_with_a_trusted_file_that_is_no_certificate(tmp_path, sealed):
    data, _ = sealed
    path, bogus = tmp_path / "sealed.pdf", tmp_path / "bogus.pem"
    path.write_bytes(data)
    bogus.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    result = _compact(tmp_path, "verify", str(path), "--trust", str(bogus))
    assert result.returncode == 1, (result.stdout, result.stderr)
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    lines = [line for line in everything.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"{bogus}: error: "), everything


def test_a_well_sealed_pdf_still_verifies(tmp_path, sealed):
    data, cert = sealed
    path = tmp_path / "sealed.pdf"
    path.write_bytes(data)
    result = _compact(tmp_path, "verify", str(path), "--trust", str(cert))
    assert "Traceback" not in result.stdout + result.stderr
    # It names no revision of a store (rendered outside one), so it is not "valid" as a record,
    # but the seal itself checks out.
    assert "The seal is" in result.stdout + result.stderr
