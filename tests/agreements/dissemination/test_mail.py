"""E-mail against a real SMTP server (aiosmtpd on 127.0.0.1), and the .eml folder fallback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import ipaddress
import os
import re
import socket
import ssl
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from agreements.dissemination import mail
from agreements.dissemination.mail import (SmtpConfig, build_email, list_written, parse_smtp_url,
                                           read_written, send_email)
from agreements.dissemination.message import Outgoing

T = dt.datetime(2026, 6, 18, 14, 30, tzinfo=dt.timezone.utc)
FROM = "compact@example.org"
TO = "duty-officer@fire.example.net"


SUBJECT = "[Compact] MUST by 14:30 UTC: deploy one strike team (incident T-1)"


def outgoing(id="ntf-7", subject=SUBJECT,
             text="Deploy one Type 1 engine strike team.\nIncident T-1.\n",
             html="<p>Deploy one <b>Type 1</b> engine strike team.</p>\n", created_at=T):
    return Outgoing(id=id, event="duty.given", subject=subject, text=text, html=html,
                    created_at=created_at)


def parse(raw: bytes):
    return BytesParser(policy=email.policy.default).parsebytes(raw)


def parts(msg):
    """The text and HTML as a reader sees them (lines end in CRLF on the wire, RFC 5322)."""
    return tuple(msg.get_body((kind,)).get_content().replace("\r\n", "\n")
                 for kind in ("plain", "html"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Keeps what arrives; `refuse` maps a stage (MAIL, RCPT, DATA) to the reply refusing it."""

    def __init__(self, **refuse: str):
        self.refuse, self.received = refuse, []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "MAIL" in self.refuse:
            return self.refuse["MAIL"]
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "RCPT" in self.refuse:
            return self.refuse["RCPT"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if "DATA" in self.refuse:
            return self.refuse["DATA"]
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """start(handler, **SMTP parameters) -> port of a running server; all stopped afterwards."""
    controllers = []

    def start(handler, **params):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port,
                                server_hostname="mx.test", **params)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def send(port, out=None, to=TO, scheme="smtp", userinfo="", query="", tmp_path=None):
    url = f"{scheme}://{userinfo}127.0.0.1:{port}{query}"
    return send_email(out or outgoing(), to, smtp_url=url, mail_from=FROM, folder=tmp_path)


# --- sending --------------------------------------------------------------------------------

def test_a_message_arrives_with_its_envelope_headers_and_both_parts(smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    attempt = send_email(outgoing(), TO, smtp_url=f"smtp://127.0.0.1:{port}",
                         mail_from=f"Compact <{FROM}>", folder=None)
    assert attempt == mail.Attempt(True, "250 Message accepted for delivery", where=TO)
    [(sender, recipients, raw)] = handler.received
    assert (sender, recipients) == (FROM, [TO])
    msg = parse(raw)
    assert msg["Subject"] == SUBJECT
    assert msg["From"] == f"Compact <{FROM}>"
    assert msg["To"] == TO
    assert msg["Date"] == "Thu, 18 Jun 2026 14:30:00 +0000"
    assert msg["Message-ID"] == "<ntf-7@example.org>"
    assert msg["X-Compact-Event"] == "duty.given"
    assert msg.get_content_type() == "multipart/alternative"
    assert parts(msg) == ("Deploy one Type 1 engine strike team.\nIncident T-1.\n",
                          "<p>Deploy one <b>Type 1</b> engine strike team.</p>\n")


def test_non_ascii_subject_and_body_round_trip_exactly(smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    out = outgoing(subject="Évacuation — 14:30 UTC, secteur Nord-Ouest (réf. ÉV-12) ✓",
                   text="Évacuez la zone nord — rendez-vous à 14:30 UTC.\n",
                   html="<p>Évacuez la zone nord — rendez-vous à 14:30 UTC.</p>\n")
    assert send(port, out).delivered is True
    raw = handler.received[0][2]
    assert raw.isascii()  # sent as 7-bit: no server has to understand SMTPUTF8 or 8BITMIME
    msg = parse(raw)
    assert msg["Subject"] == out.subject
    assert parts(msg) == (out.text, out.html)


def test_the_message_id_is_the_same_for_the_same_outgoing():
    first, second = build_email(outgoing(), TO, FROM), build_email(outgoing(), TO, FROM)
    assert first["Message-ID"] == second["Message-ID"] == "<ntf-7@example.org>"
    now = dt.datetime.now(dt.timezone.utc)
    undated = build_email(outgoing(created_at=None), TO, FROM)
    assert abs(parse(undated.as_bytes())["Date"].datetime - now) < dt.timedelta(seconds=5)


def authenticator(server, session, envelope, mechanism, auth_data):
    # handled=False: aiosmtpd itself answers a failure (535), as a real server would
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"alerts", b"p@ss"),
                      handled=False)


no_tls_warning = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@no_tls_warning
def test_authentication_with_the_url_decoded_password(smtp_server):
    handler = Recorder()
    port = smtp_server(handler, auth_required=True, auth_require_tls=False,
                       authenticator=authenticator)
    attempt = send(port, userinfo="alerts:p%40ss@")
    assert (attempt.delivered, attempt.outcome) == (True, "250 Message accepted for delivery")
    assert [(s, r) for s, r, _ in handler.received] == [(FROM, [TO])]


@no_tls_warning
def test_a_wrong_password_is_refused_and_not_repeated(smtp_server):
    handler = Recorder()
    port = smtp_server(handler, auth_required=True, auth_require_tls=False,
                       authenticator=authenticator)
    attempt = send(port, userinfo="alerts:wr%40ngpass@")
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.outcome == "535 5.7.8 Authentication credentials invalid"
    assert "wr@ngpass" not in repr(attempt) and "wr%40ngpass" not in repr(attempt)
    assert handler.received == []


@pytest.mark.parametrize("stage, reply, permanent", [
    ("RCPT", "550 5.1.1 mailbox unavailable", True),
    ("RCPT", "451 4.3.0 try again later", False),
    ("MAIL", "553 5.7.1 sender not allowed", True),
    ("MAIL", "421 4.7.0 too busy", False),
    ("DATA", "554 5.6.0 message content rejected", True),
    ("DATA", "452 4.3.1 insufficient system storage", False),
])
def test_a_refusal_gives_the_servers_words_and_whether_to_try_again(smtp_server, stage, reply,
                                                                    permanent):
    port = smtp_server(Recorder(**{stage: reply}))
    attempt = send(port)
    assert attempt == mail.Attempt(False, reply, permanent=permanent, where=TO)


def test_no_server_listening_is_a_temporary_failure_naming_host_and_port():
    port = free_port()
    attempt = send(port)
    assert attempt == mail.Attempt(False, f"connection refused by 127.0.0.1:{port}",
                                   permanent=False, where=TO)


def test_a_server_that_never_answers_times_out(monkeypatch):
    real_parse = mail.parse_smtp_url
    monkeypatch.setattr(mail, "parse_smtp_url",
                        lambda url: dataclasses.replace(real_parse(url), timeout=0.3))
    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        attempt = send(port)
    assert attempt == mail.Attempt(False, f"no answer from 127.0.0.1:{port} within 0.3 s",
                                   permanent=False, where=TO)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, server context)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return folder / "cert.pem", context


def test_starttls_to_a_trusted_server(smtp_server, certificate, monkeypatch):
    cert_file, server_context = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trusted by ssl.create_default_context
    handler = Recorder()
    port = smtp_server(handler, tls_context=server_context, require_starttls=True)
    attempt = send(port, query="?starttls=1")
    assert (attempt.delivered, attempt.outcome) == (True, "250 Message accepted for delivery")
    assert parse(handler.received[0][2])["Message-ID"] == "<ntf-7@example.org>"


def test_implicit_tls_to_a_trusted_server(smtp_server, certificate, monkeypatch):
    cert_file, server_context = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    handler = Recorder()
    port = smtp_server(handler, ssl_context=server_context)
    attempt = send(port, scheme="smtps")
    assert (attempt.delivered, attempt.outcome) == (True, "250 Message accepted for delivery")
    assert len(handler.received) == 1


def test_starttls_to_an_untrusted_certificate_is_refused(smtp_server, certificate, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    handler = Recorder()
    port = smtp_server(handler, tls_context=certificate[1], require_starttls=True)
    attempt = send(port, query="?starttls=1")
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.outcome.startswith(f"TLS error with 127.0.0.1:{port}: ")
    assert "self-signed certificate" in attempt.outcome
    assert handler.received == []


def test_tls_problems_with_a_plain_server(smtp_server):
    port = smtp_server(Recorder())
    no_starttls = send(port, query="?starttls=1")
    assert no_starttls == mail.Attempt(False, f"127.0.0.1:{port} does not offer STARTTLS",
                                       permanent=False, where=TO)
    implicit = send(port, scheme="smtps")
    assert (implicit.delivered, implicit.permanent) == (False, False)
    assert implicit.outcome.startswith(f"TLS error with 127.0.0.1:{port}: ")


@pytest.mark.parametrize("to", ["", "no-at-sign", "a@b@example.org", "a b@example.org",
                                "a@example.org\r\nBcc: x@evil.example",
                                "a@example.org,b@example.org",
                                "Duty <a@example.org>", "a@", "@example.org"])
def test_an_invalid_recipient_is_refused_without_connecting(to, tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        attempt = send(port, to=to)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert attempt == mail.Attempt(False, f"{to!r} is not an e-mail address", permanent=True,
                                   where=to)
    no_url = send_email(outgoing(), to, smtp_url=None, mail_from=FROM, folder=tmp_path / "o")
    assert no_url.permanent is True and not (tmp_path / "o").exists()


def test_an_unusable_smtp_url_fails_without_showing_the_password():
    attempt = send_email(outgoing(), TO, smtp_url="smtp://u:hunter2@mail.example.org:99999",
                         mail_from=FROM, folder=None)
    assert attempt == mail.Attempt(
        False, "COMPACT_SMTP_URL is not usable: the mail server URL has a port that is not a "
               "number from 1 to 65535", permanent=False, where=TO)


# --- parse_smtp_url -------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("smtp://user:password@mail.example.org:2525",
     SmtpConfig("mail.example.org", 2525, "user", "password", "none")),
    ("smtp://mail.example.org", SmtpConfig("mail.example.org", 25)),
    ("smtp://mail.example.org:2525/", SmtpConfig("mail.example.org", 2525)),
    ("smtps://alerts:s%40cret%2F1%3A@mail.example.org",
     SmtpConfig("mail.example.org", 465, "alerts", "s@cret/1:", "ssl")),
    ("smtps://mail.example.org:8465", SmtpConfig("mail.example.org", 8465, tls="ssl")),
    ("smtp://mail.example.org?starttls=1", SmtpConfig("mail.example.org", 587, tls="starttls")),
    ("smtp://a%20b:pw@mail.example.org:2587?starttls=true",
     SmtpConfig("mail.example.org", 2587, "a b", "pw", "starttls")),
    ("smtp://mail.example.org?starttls=0", SmtpConfig("mail.example.org", 25)),
    ("SMTP://Mail.Example.ORG", SmtpConfig("mail.example.org", 25)),
    ("smtp://[::1]:2525", SmtpConfig("::1", 2525)),
])
def test_parse_smtp_url(url, expected):
    config = parse_smtp_url(url)
    assert config == expected
    assert config.timeout == 10


def test_the_password_is_not_in_the_config_repr():
    assert "hunter2" not in repr(parse_smtp_url("smtp://u:hunter2@mail.example.org"))


@pytest.mark.parametrize("url, message", [
    ("http://u:hunter2@mail.example.org", "must start with smtp:// or smtps://, not http://"),
    ("", "must start with smtp:// or smtps://, not nothing"),
    ("smtp://u:hunter2@", "names no host"),
    ("smtp://u:hunter2@mail.example.org:99999", "port that is not a number from 1 to 65535"),
    ("smtp://u:hunter2@mail.example.org:hunter2", "port that is not a number from 1 to 65535"),
    ("smtp://u:hunter2@mail.example.org:0", "port that is not a number from 1 to 65535"),
    ("smtp://u:hunter2@mail.example.org?tls=1", "unknown parameter 'tls'"),
    ("smtp://u:hunter2@mail.example.org?starttls=maybe", "starttls in the mail server URL must "
                                                        "be 1 or 0"),
    ("smtps://u:hunter2@mail.example.org?starttls=1", "already uses TLS"),
    ("smtp://u:hunter2@mail.example.org/inbox", "must not have a path"),
])
def test_parse_smtp_url_refuses_with_a_clear_message_without_the_password(url, message):
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_smtp_url(url)
    assert "hunter2" not in str(caught.value)


# --- the folder fallback --------------------------------------------------------------------

def test_without_a_server_the_message_is_written_as_an_eml_file(tmp_path):
    folder = tmp_path / "instance" / "mail"
    for smtp_url in (None, ""):
        attempt = send_email(outgoing(), TO, smtp_url=smtp_url, mail_from=FROM, folder=folder)
        path = folder / "ntf-7.eml"
        assert attempt == mail.Attempt(True, "written to ntf-7.eml", where=str(path))
    msg = parse(path.read_bytes())
    assert [(k, msg[k]) for k in ("Subject", "From", "To", "Date", "Message-ID",
                                  "X-Compact-Event")] == [
        ("Subject", outgoing().subject), ("From", FROM), ("To", TO),
        ("Date", "Thu, 18 Jun 2026 14:30:00 +0000"), ("Message-ID", "<ntf-7@example.org>"),
        ("X-Compact-Event", "duty.given")]
    assert parts(msg) == (outgoing().text, outgoing().html)
    assert b"\r\n" in path.read_bytes()  # as it would go over SMTP


def test_writing_the_same_message_twice_leaves_one_file(tmp_path):
    send_email(outgoing(subject="first"), TO, smtp_url=None, mail_from=FROM, folder=tmp_path)
    send_email(outgoing(subject="second"), TO, smtp_url=None, mail_from=FROM, folder=tmp_path)
    assert os.listdir(tmp_path) == ["ntf-7.eml"]  # and no temporary file left behind
    assert parse((tmp_path / "ntf-7.eml").read_bytes())["Subject"] == "second"


def test_list_written_newest_first_leaving_out_what_cannot_be_read(tmp_path):
    for id, hours in (("ntf-1", 0), ("ntf-3", 2), ("ntf-2", 1)):
        out = outgoing(id=id, subject=f"Évacuation {id}", created_at=T + dt.timedelta(hours=hours))
        send_email(out, f"{id}@example.net", smtp_url=None, mail_from=FROM, folder=tmp_path)
    (tmp_path / "notes.txt").write_text("not a message")
    (tmp_path / "folder.eml").mkdir()
    (tmp_path / "gone.eml").symlink_to(tmp_path / "nowhere")
    listed = list_written(tmp_path)
    assert [(m.name, m.subject, m.to, m.date) for m in listed] == [
        ("ntf-3.eml", "Évacuation ntf-3", "ntf-3@example.net", T + dt.timedelta(hours=2)),
        ("ntf-2.eml", "Évacuation ntf-2", "ntf-2@example.net", T + dt.timedelta(hours=1)),
        ("ntf-1.eml", "Évacuation ntf-1", "ntf-1@example.net", T)]
    assert [(m.path, m.size) for m in listed] == [
        (tmp_path / m.name, (tmp_path / m.name).stat().st_size) for m in listed]
    assert list_written(tmp_path / "missing") == []


def test_read_written_refuses_names_that_are_not_plain_eml_files_in_the_folder(tmp_path):
    folder = tmp_path / "mail"
    send_email(outgoing(), TO, smtp_url=None, mail_from=FROM, folder=folder)
    (tmp_path / "x.eml").write_bytes((folder / "ntf-7.eml").read_bytes())
    (folder / "a").mkdir()
    (folder / "a" / "b.eml").write_bytes((folder / "ntf-7.eml").read_bytes())
    (folder / "x.txt").write_bytes((folder / "ntf-7.eml").read_bytes())
    (folder / "outside.eml").symlink_to(tmp_path / "x.eml")
    assert read_written(folder, "ntf-7.eml")["Message-ID"] == "<ntf-7@example.org>"
    for name in ("../x.eml", "a/b.eml", "x.txt", "outside.eml", "missing.eml", ".eml",
                 str(tmp_path / "x.eml"), "a\\b.eml"):
        assert read_written(folder, name) is None, name
