"""Webhook delivery against a real HTTP receiver on 127.0.0.1, and the address rules."""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from agreements.dissemination.message import Outgoing
from agreements.dissemination.webhooks import (
    allowed_networks, check_url, new_secret, send_webhook)

LOOPBACK = allowed_networks("127.0.0.1/32")
HINT = ("the deployment allows only public addresses unless COMPACT_WEBHOOK_ALLOW "
        "lists its network")


def outgoing(**payload) -> Outgoing:
    return Outgoing(id="ntf-42", event="duty.given", subject="s", text="t", html="<p>t</p>",
                    payload=payload or {"type": "duty.given", "id": "ntf-42",
                                        "incident": {"title": "Überschwemmung Köln"},
                                        "duty": {"id": 7, "state": "given"}})


class Receiver:
    """A ThreadingHTTPServer that records each POST and answers as the test sets."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.body = b""
        self.location = None
        self.sleep = 0.0
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                receiver.requests.append({"method": "POST", "path": self.path,
                                          "headers": dict(self.headers.items()),
                                          "body": self.rfile.read(length)})
                if receiver.sleep:
                    receiver.release.wait(receiver.sleep)
                try:
                    self.send_response(receiver.status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    if receiver.status != 204:
                        self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    if receiver.status != 204:
                        self.wfile.write(receiver.body)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/compact"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def secret():
    return new_secret()


def test_delivery_is_signed_and_verifies(receiver, secret):
    out = outgoing()
    before = int(time.time())
    attempt = send_webhook(out, receiver.url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.outcome, attempt.permanent, attempt.where) == (
        True, "HTTP 200", False, receiver.url)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got["method"] == "POST" and got["path"] == "/hooks/compact"
    expected = json.dumps(out.payload, separators=(",", ":"), ensure_ascii=False).encode()
    assert got["body"] == expected
    assert "Überschwemmung".encode() in got["body"]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["webhook-id"] == "ntf-42"
    assert before <= int(headers["webhook-timestamp"]) <= int(time.time())
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Compact-Webhooks/1"
    assert Webhook(secret).verify(got["body"], headers) == out.payload
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got["body"], headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got["body"].replace(b'"given"', b'"taken"'), headers)


def test_204_is_delivery(receiver, secret):
    receiver.status = 204
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.outcome) == (True, "HTTP 204")


def test_same_outgoing_twice_has_same_webhook_id(receiver, secret):
    out = outgoing()
    with httpx.Client() as client:  # a shared client, as a dispatcher would pass
        first = send_webhook(out, receiver.url, secret, allow=LOOPBACK, client=client)
        second = send_webhook(out, receiver.url, secret, allow=LOOPBACK, client=client)
        assert not client.is_closed
    assert first.delivered and second.delivered
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert ids == ["ntf-42", "ntf-42"]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_500_is_a_failed_attempt_that_may_be_retried(receiver, secret):
    receiver.status = 500
    receiver.body = b"database down\n   try later"
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.outcome.startswith("HTTP 500")
    assert attempt.outcome == "HTTP 500 Internal Server Error: database down try later"


def test_error_body_is_cut_to_200_characters(receiver, secret):
    receiver.status = 503
    receiver.body = b"x" * 5000
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK)
    assert attempt.outcome == "HTTP 503 Service Unavailable: " + "x" * 200


def test_410_gone_is_permanent(receiver, secret):
    receiver.status = 410
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent, attempt.outcome) == (False, True, "HTTP 410 Gone")


def test_redirect_is_not_delivery_and_not_followed(receiver, secret):
    receiver.status = 302
    receiver.location = f"http://127.0.0.1:{receiver.port}/elsewhere"
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.outcome == (f"HTTP 302 Found; redirects are not followed "
                               f"(to http://127.0.0.1:{receiver.port}/elsewhere)")
    assert [r["path"] for r in receiver.requests] == ["/hooks/compact"]


def test_timeout(receiver, secret):
    receiver.sleep = 2.0
    started = time.monotonic()
    attempt = send_webhook(outgoing(), receiver.url, secret, allow=LOOPBACK, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert (attempt.delivered, attempt.permanent, attempt.outcome) == (
        False, False, "no answer within 0.5 s")


def test_connection_refused(secret):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    attempt = send_webhook(outgoing(), url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent, attempt.where) == (False, False, url)
    assert attempt.outcome == f"connection refused by 127.0.0.1:{port}"


def test_unusable_secret_is_permanent_and_sends_nothing(receiver):
    attempt = send_webhook(outgoing(), receiver.url, "", allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent) == (False, True)
    assert attempt.outcome.startswith("webhook secret is not usable")
    assert receiver.requests == []


def test_loopback_refused_without_allow_list_and_nothing_sent(receiver, secret):
    attempt = send_webhook(outgoing(), receiver.url, secret)
    assert (attempt.delivered, attempt.permanent, attempt.where) == (False, True, receiver.url)
    assert attempt.outcome == f"webhook address 127.0.0.1 is a loopback address; {HINT}"
    assert receiver.requests == []


@pytest.mark.parametrize("url, why", [
    ("http://localhost/", f"webhook address localhost resolves to 127.0.0.1, a loopback address; {HINT}"),
    ("http://2130706433/", f"webhook address 2130706433 resolves to 127.0.0.1, a loopback address; {HINT}"),
    ("http://10.1.2.3/", f"webhook address 10.1.2.3 is a private address; {HINT}"),
    ("http://169.254.169.254/latest/meta-data",
     f"webhook address 169.254.169.254 is a link-local address; {HINT}"),
    ("http://[::1]/", f"webhook address ::1 is a loopback address; {HINT}"),
    ("http://[::ffff:127.0.0.1]/", "webhook address ::ffff:7f00:1 is a loopback address "
     f"(IPv4 127.0.0.1 written as IPv6); {HINT}"),
    ("http://0.0.0.0:8080/", f"webhook address 0.0.0.0 is an unspecified address; {HINT}"),
    ("http://224.0.0.1/", f"webhook address 224.0.0.1 is a multicast address; {HINT}"),
    ("http://240.0.0.1/", f"webhook address 240.0.0.1 is a reserved address; {HINT}"),
    ("http://100.64.0.1/", f"webhook address 100.64.0.1 is not a public address; {HINT}"),
    ("http://[fd00::5]/", f"webhook address fd00::5 is a private address; {HINT}"),
    ("ftp://example.org/", "webhook address must use http or https, not ftp"),
    ("example.org/hook", "webhook address must use http or https, not no scheme"),
    ("http://user:pw@example.org/",
     "webhook address must not carry a user name or password; use the signing secret"),
    ("http:///nohost", "webhook address 'http:///nohost' has no host"),
    ("http://example.org:0/", "webhook address port 0 is not between 1 and 65535"),
    ("http://example.org:70000/",
     "webhook address 'http://example.org:70000/' is not a valid URL (Port out of range 0-65535)"),
])
def test_check_url_refuses(url, why):
    assert check_url(url) == why


def fake_dns(monkeypatch, answers):
    """Resolve names from `answers` ({name: [address, ...]}) instead of asking any DNS server."""
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in answers[host]]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_resolved_address_must_be_public(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.org": ["93.184.216.34"],
                           "mixed.example.org": ["93.184.216.34", "10.0.0.5"]})
    assert check_url("https://hooks.example.org/x") is None
    assert check_url("https://mixed.example.org/x") == (
        f"webhook address mixed.example.org resolves to 10.0.0.5, a private address; {HINT}")
    assert check_url("https://mixed.example.org/x", allowed_networks("10.0.0.0/8")) is None
    assert check_url("https://nowhere.example.org/") == (
        "webhook address host nowhere.example.org does not resolve "
        "([Errno -2] Name or service not known)")


def test_refused_urls_send_nothing(receiver, secret):
    for url in ("http://localhost:%d/" % receiver.port, "http://[::ffff:127.0.0.1]:%d/" % receiver.port):
        attempt = send_webhook(outgoing(), url, secret)
        assert (attempt.delivered, attempt.permanent) == (False, True)
    assert receiver.requests == []


def test_public_and_allowed_addresses_pass():
    assert check_url("http://93.184.216.34/") is None
    assert check_url("https://93.184.216.34:8443/hook?x=1") is None
    assert check_url("http://127.0.0.1:8123/") is not None
    assert check_url("http://127.0.0.1:8123/", LOOPBACK) is None
    assert check_url("http://[::ffff:127.0.0.1]/", LOOPBACK) is None  # the same address
    assert check_url("http://127.0.0.2/", LOOPBACK) is not None
    assert check_url("http://10.9.8.7/", allowed_networks("10.0.0.0/8")) is None
    assert check_url("http://[::1]/", allowed_networks("::1/128")) is None
    assert check_url("http://[::1]/", LOOPBACK) is not None


def test_allowed_networks_parsing():
    assert allowed_networks(None) == ()
    assert allowed_networks("  ") == ()
    assert allowed_networks("127.0.0.1/32, 10.0.0.0/8 ::1/128,,") == (
        ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"))
    assert allowed_networks("192.168.1.7") == (ipaddress.ip_network("192.168.1.7/32"),)
    assert allowed_networks("10.0.0.1/8") == (ipaddress.ip_network("10.0.0.0/8"),)
    with pytest.raises(ValueError) as caught:
        allowed_networks("10.0.0.0/8, intranet, ::1/128")
    assert str(caught.value) == (
        "COMPACT_WEBHOOK_ALLOW: 'intranet' is not a network; write networks such as "
        "10.0.0.0/8 or ::1/128, separated by commas or spaces")
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        allowed_networks("10.0.0.0/33")


def test_new_secret():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and second.startswith("whsec_")
    assert len(base64.b64decode(first[len("whsec_"):], validate=True)) == 32
    assert first != second
    Webhook(first)  # the library accepts it


def test_tls_failure_is_a_short_outcome(receiver, secret):
    url = receiver.url.replace("http:", "https:")  # TLS spoken to a plain HTTP receiver
    attempt = send_webhook(outgoing(), url, secret, allow=LOOPBACK)
    assert (attempt.delivered, attempt.permanent) == (False, False)
    assert attempt.outcome.startswith(f"TLS failure with 127.0.0.1:{receiver.port}: ")
    assert receiver.requests == []
