"""`compact db upgrade`, `compact pdf` and `compact verify`: messages and exit statuses."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from agreements import compiled
from agreements.db import make_engine, session_factory
from agreements.documents import revision_pdf
from agreements.drafting import create_agreement, publish
from agreements.signing import sign
from tests.agreements.conftest import library_text, make_people
from web.cli import main

COMPACT = Path(sys.executable).with_name("compact")
BORDER = Path(__file__).resolve().parents[2] / "agreements" / "library" / \
    "border-information-sharing.agreement"
T = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, used through the environment as a deployment would."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("COMPACT_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    compiled.clear()
    return folder


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_db_upgrade_creates_the_embedded_database_then_has_nothing_to_do(instance):
    first = run("db", "upgrade")
    assert first.exit_code == 0, first.output
    database = instance / "compact.sqlite"
    assert first.output == (f"sqlite:///{database}: upgraded from migration (empty) to 0011\n")
    assert database.is_file()
    second = run("db", "upgrade")
    assert second.exit_code == 0
    assert second.output == f"sqlite:///{database}: already at migration 0011; nothing to do\n"


def test_db_upgrade_reports_an_unreachable_database_without_a_traceback(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = subprocess.run([str(COMPACT), "db", "upgrade"], capture_output=True, text=True,
                            env={**__import__("os").environ})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("compact: cannot reach the database "
                                    "postgresql+psycopg://nobody@127.0.0.1:9/none")


def test_pdf_writes_the_agreement(instance, tmp_path):
    out = tmp_path / "border.pdf"
    result = run("pdf", str(BORDER), "-o", str(out), "--revision", "4")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} (")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Revision 4" in text and "Norland" in text


def test_pdf_of_a_bad_agreement_exits_1_with_the_diagnostic(instance, tmp_path):
    bad = tmp_path / "bad.agreement"
    bad.write_text(BORDER.read_text().replace("kind mou", "kind mou\n  kind mou", 1))
    out = tmp_path / "bad.pdf"
    result = run("pdf", str(bad), "-o", str(out))
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "error: the agreement says 'kind' twice" in \
        result.output
    assert not out.exists()


def test_pdf_needs_an_output(instance):
    result = run("pdf", str(BORDER))
    assert result.exit_code == 2 and "Missing option '-o'" in result.output


@pytest.fixture
def sealed_pdf(instance, tmp_path):
    """An executed agreement's sealed PDF from the embedded store."""
    assert run("db", "upgrade").exit_code == 0
    engine = make_engine()
    with session_factory(engine)() as session:
        source = library_text("border-information-sharing.agreement")
        revision = create_agreement(session, None or _drafter(session), source, now=T)
        slug = revision.agreement.slug
        publish(session, session.info["people"].drafter, slug, 1, now=T)
        for party, partner in session.info["people"].partners.items():
            sign(session, partner, slug, 1, signer_name=f"Signer of {party}",
                 signer_title="Director", consent=True, now=T)
        document = revision_pdf(session, session.info["people"].coordinator, slug, 1, now=T)
    engine.dispose()
    assert document.sealed
    path = tmp_path / "sealed.pdf"
    path.write_bytes(document.data)
    return path, slug


def _drafter(session):
    from agreements.drafting import analyse
    parties = analyse(library_text("border-information-sharing.agreement")).parties
    people = make_people(session, [p for p, _ in parties], dict(parties))
    session.info["people"] = people
    return people.drafter


def test_verify_a_sealed_pdf_names_its_revision(sealed_pdf):
    path, slug = sealed_pdf
    result = run("verify", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{path}: valid. The seal is valid")
    assert f"names revision 1 of '{slug}'" in result.output


def test_verify_fails_after_one_changed_byte(sealed_pdf, tmp_path):
    path, _ = sealed_pdf
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    result = run("verify", str(changed))
    assert result.exit_code == 1
    assert result.output.startswith(f"{changed}: invalid. ")


def test_verify_an_unsealed_pdf_exits_1(instance, tmp_path):
    out = tmp_path / "plain.pdf"
    assert run("pdf", str(BORDER), "-o", str(out)).exit_code == 0
    result = run("verify", str(out))
    assert result.exit_code == 1
    assert result.output == (f"{out}: invalid. This PDF carries no seal, so nothing vouches "
                             f"for its contents.\n")


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.7\n%%EOF"])
def test_verify_garbage_exits_1_without_a_traceback(instance, tmp_path, content):
    path = tmp_path / "garbage.pdf"
    path.write_bytes(content)
    result = run("verify", str(path))
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: invalid. ") and "Traceback" not in result.output


def test_verify_a_missing_file_or_certificate_exits_1(instance, tmp_path):
    missing = run("verify", str(tmp_path / "nope.pdf"))
    assert missing.exit_code == 1
    assert missing.output == f"{tmp_path / 'nope.pdf'}: error: cannot read it (No such file or directory)\n"
    out = tmp_path / "plain.pdf"
    assert run("pdf", str(BORDER), "-o", str(out)).exit_code == 0
    cert = run("verify", str(out), "--trust", str(tmp_path / "none.pem"))
    assert cert.exit_code == 1
    assert cert.output == f"{tmp_path / 'none.pem'}: error: cannot read it (no such file)\n"
