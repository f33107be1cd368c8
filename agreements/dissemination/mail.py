"""E-mail: an Outgoing as a MIME message, sent over SMTP or written as an .eml file."""

from __future__ import annotations

import email.policy
import os
import re
import smtplib
import ssl
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from agreements.dissemination.message import Attempt, Outgoing

_ADDRESS = re.compile(r'[^@\s,;<>"]+@[^@\s,;<>"]+')
_ID = re.compile(r"[A-Za-z0-9._-]+")
# SMTP, but bodies chosen 7-bit (quoted-printable or base64 where not ASCII): 8BITMIME is not
# assumed of the server, and a written .eml file stays plain ASCII.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the mail server (from COMPACT_SMTP_URL)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "none"  # "none" | "ssl" (implicit TLS) | "starttls"
    timeout: float = 10.0


@dataclass(frozen=True)
class WrittenMail:
    """One .eml file written instead of sent, as listed on the administrator's page."""

    name: str
    path: Path
    subject: str
    to: str
    date: datetime | None
    size: int


def parse_smtp_url(url: str) -> SmtpConfig:
    """smtp://user:password@host:port, smtps://... (TLS, port 465), smtp://host?starttls=1 (587)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise ValueError("the mail server URL cannot be read as a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"the mail server URL must start with smtp:// or smtps://, "
                         f"not {scheme + '://' if scheme else 'nothing'}")
    if not parts.hostname:
        raise ValueError("the mail server URL names no host (expected smtp://host:port)")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("the mail server URL must not have a path or #fragment after the host")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("the mail server URL has a port that is not a number from 1 to 65535")
    starttls = False
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "starttls":
            raise ValueError(f"the mail server URL has an unknown parameter {name!r} "
                             f"(only starttls=1 is understood)")
        if value.lower() not in _YES + _NO:
            raise ValueError("starttls in the mail server URL must be 1 or 0")
        starttls = value.lower() in _YES
    if starttls and scheme == "smtps":
        raise ValueError("smtps:// already uses TLS: starttls=1 cannot be added to it")
    tls = "ssl" if scheme == "smtps" else "starttls" if starttls else "none"
    if port is None:
        port = {"ssl": 465, "starttls": 587, "none": 25}[tls]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpConfig(parts.hostname, port, username, password, tls)


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1] or mail_from
    domain = address.rpartition("@")[2].strip().strip(">")
    return domain if domain and _ADDRESS.fullmatch("x@" + domain) else "compact.invalid"


def build_email(out: Outgoing, to: str, mail_from: str) -> EmailMessage:
    """The message for `to`: text and HTML alternatives, a Message-ID stable for `out.id`."""
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = " ".join(out.subject.split())  # no line breaks: they would be headers
    msg["From"] = mail_from
    msg["To"] = to
    when = out.created_at or datetime.now(timezone.utc)
    msg["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=timezone.utc))
    msg["Message-ID"] = f"<{out.id}@{_domain(mail_from)}>"
    msg["X-Compact-Event"] = out.event
    msg.set_content(out.text, charset="utf-8")
    msg.add_alternative(out.html, subtype="html", charset="utf-8")
    return msg


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())


class _Refused(Exception):
    """A reply refusing MAIL FROM, RCPT TO or the message: for good if it is 5xx."""

    def __init__(self, code: int, text: bytes):
        super().__init__(_reply(code, text))
        self.permanent = 500 <= code < 600


def _deliver(config: SmtpConfig, sender: str, to: str, data: bytes) -> str:
    """Sends; returns the reply to the end of DATA, or raises (_Refused, SMTP or OS errors)."""
    if config.tls == "ssl":
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    polite = False  # after an error the server may not answer a QUIT: do not wait for it
    try:
        if config.tls == "starttls":
            smtp.ehlo()
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        smtp.ehlo_or_helo_if_needed()
        for send, argument, accepted in ((smtp.mail, sender, (250,)), (smtp.rcpt, to, (250, 251)),
                                         (smtp.data, data, (250,))):
            code, text = send(argument)
            if code not in accepted:
                polite = True
                raise _Refused(code, text)
        polite = True
        return _reply(code, text)
    finally:
        if polite:
            with suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        smtp.close()


def _failure(exc: BaseException, config: SmtpConfig) -> tuple[str, bool]:
    """(outcome, permanent) for what went wrong talking to the server."""
    at = f"{config.host}:{config.port}"
    if isinstance(exc, _Refused):
        return str(exc), exc.permanent
    if isinstance(exc, smtplib.SMTPDataError):  # DATA itself refused
        return _reply(exc.smtp_code, exc.smtp_error), 500 <= exc.smtp_code < 600
    if isinstance(exc, smtplib.SMTPResponseException):  # greeting, EHLO, STARTTLS, AUTH
        return _reply(exc.smtp_code, exc.smtp_error), False
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        what = next((w for w in ("STARTTLS", "AUTH") if w in str(exc)), None)
        return (f"{at} does not offer {what}" if what else f"{at}: {exc}"), False
    if isinstance(exc, smtplib.SMTPServerDisconnected):  # smtplib's name for a read timeout too
        if not isinstance(exc.__context__, TimeoutError):
            return f"connection to {at} closed unexpectedly", False
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {at}", False
    if isinstance(exc, (TimeoutError, smtplib.SMTPServerDisconnected)):
        return f"no answer from {at} within {config.timeout:g} s", False
    if isinstance(exc, ssl.SSLError):
        why = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
        return f"TLS error with {at}: {why}", False
    if isinstance(exc, OSError):
        return f"cannot reach {at}: {exc.strerror or exc}", False
    return f"error talking to {at}: {exc}", False


def _write(data: bytes, out: Outgoing, folder: Path) -> Attempt:
    if not _ID.fullmatch(out.id) or out.id.startswith("."):
        return Attempt(False, f"{out.id!r} cannot name a file", permanent=True)
    path = folder / f"{out.id}.eml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        return Attempt(False, f"cannot write {path}: {exc.strerror or exc}", where=str(path))
    return Attempt(True, f"written to {path.name}", where=str(path))


def send_email(out: Outgoing, to: str, *, smtp_url: str | None, mail_from: str,
               folder: Path) -> Attempt:
    """Sends `out` to `to` over SMTP, or without `smtp_url` writes it to `folder`; never raises."""
    if not (to.isascii() and _ADDRESS.fullmatch(to)):
        return Attempt(False, f"{to!r} is not an e-mail address", permanent=True, where=to)
    try:
        msg = build_email(out, to, mail_from)
        data = msg.as_bytes(policy=email.policy.SMTP)
    except (ValueError, TypeError, LookupError) as exc:  # e.g. a From with a line break
        return Attempt(False, f"cannot build the message: {exc}", where=to)
    if not smtp_url:
        return _write(data, out, Path(folder))
    try:
        config = parse_smtp_url(smtp_url)
    except ValueError as exc:
        return Attempt(False, f"COMPACT_SMTP_URL is not usable: {exc}", where=to)
    sender = parseaddr(mail_from)[1] or mail_from
    try:
        reply = _deliver(config, sender, to, data)
    except Exception as exc:  # every failure becomes an attempt, none is raised
        outcome, permanent = _failure(exc, config)
        if config.password:
            outcome = outcome.replace(config.password, "***")
        return Attempt(False, outcome, permanent=permanent, where=to)
    return Attempt(True, reply, where=to)


def list_written(folder: Path) -> list[WrittenMail]:
    """The .eml files in `folder`, newest first; a file that cannot be read is left out."""
    folder, found = Path(folder), []
    if not folder.is_dir():
        return []
    for path in folder.glob("*.eml"):
        try:
            if path.name.startswith(".") or not path.is_file():
                continue
            with path.open("rb") as file:
                headers = BytesHeaderParser(policy=email.policy.default).parse(file)
                stat = os.fstat(file.fileno())
            date = headers["Date"]
            mail = WrittenMail(path.name, path, str(headers["Subject"] or ""),
                               str(headers["To"] or ""),
                               getattr(date, "datetime", None) if date else None, stat.st_size)
        except (OSError, ValueError, LookupError):
            continue
        when = mail.date or datetime.fromtimestamp(stat.st_mtime, timezone.utc)
        found.append(((when if when.tzinfo else when.replace(tzinfo=timezone.utc)), mail))
    found.sort(key=lambda pair: (pair[0], pair[1].name), reverse=True)
    return [mail for _, mail in found]


def read_written(folder: Path, name: str) -> EmailMessage | None:
    """The written message called `name` (a plain *.eml name in `folder`), or None."""
    if (not name.endswith(".eml") or len(name) <= 4 or name.startswith(".") or ".." in name
            or "/" in name or "\\" in name or "\0" in name):
        return None
    folder = Path(folder)
    path = folder / name
    try:
        if path.resolve().parent != folder.resolve() or not path.is_file():
            return None
        with path.open("rb") as file:
            return BytesParser(policy=email.policy.default).parse(file)
    except (OSError, ValueError, LookupError):
        return None
