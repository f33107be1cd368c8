"""Webhook delivery: refuse addresses the deployment does not allow, sign per Standard Webhooks, POST once."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import socket
import ssl
import time
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from agreements.dissemination.message import Attempt, Outgoing

USER_AGENT = "Compact-Webhooks/1"
_ALLOW_HINT = ("the deployment allows only public addresses unless COMPACT_WEBHOOK_ALLOW "
               "lists its network")
_BODY_LIMIT = 4096  # bytes of an error answer read, of which 200 characters are kept


def new_secret() -> str:
    """A fresh Standard Webhooks secret: whsec_ and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def allowed_networks(text: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of COMPACT_WEBHOOK_ALLOW ("127.0.0.1/32, 10.0.0.0/8 ::1/128"); none if unset."""
    networks = []
    for entry in re.split(r"[,\s]+", text or ""):
        if not entry:
            continue
        try:
            # strict=False: "10.0.0.1/8" means 10.0.0.0/8; a bare address is its own /32 or /128.
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"COMPACT_WEBHOOK_ALLOW: {entry!r} is not a network; write networks "
                             f"such as 10.0.0.0/8 or ::1/128, separated by commas or spaces") from None
    return tuple(networks)


def _kind_of_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes `ip` not public ("a loopback address"), or None if it is public."""
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared carrier-grade NAT space
        return "not a public address"
    return None


def _refusal(ip_text: str, allow) -> tuple[str, str] | None:
    """(address, what it is) if `ip_text` may not be used, None if it is public or allowed."""
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    candidates = [ip]
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
        candidates.insert(0, mapped)
    if any(c in network for c in candidates for network in allow):
        return None
    kind = _kind_of_address(candidates[0])
    if kind is None:
        return None
    if mapped is not None:
        kind += f" (IPv4 {mapped} written as IPv6)"
    return str(ip), kind


def check_url(url: str, allow=()) -> str | None:
    """None if a webhook may be sent to `url`, else a sentence saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"webhook address {url!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return (f"webhook address must use http or https, not "
                f"{parts.scheme or 'no scheme'}")
    host = parts.hostname
    if not host:
        return f"webhook address {url!r} has no host"
    if parts.username is not None or parts.password is not None:
        return "webhook address must not carry a user name or password; use the signing secret"
    if port is not None and not 1 <= port <= 65535:
        return f"webhook address port {port} is not between 1 and 65535"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [host]
        literal = True
    except ValueError:
        literal = False
        try:
            infos = socket.getaddrinfo(host, port or (443 if parts.scheme.lower() == "https" else 80),
                                       type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            return f"webhook address host {host} does not resolve ({exc})"
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            return f"webhook address host {host} does not resolve"
    for address in addresses:  # every address: a name with one private address is refused
        refused = _refusal(address, allow)
        if refused is not None:
            ip, kind = refused
            said = f"{ip} is {kind}" if literal else f"{host} resolves to {ip}, {kind}"
            return f"webhook address {said}; {_ALLOW_HINT}"
    return None


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def _connect_failure(exc: BaseException, url: str) -> str:
    """A short human sentence for a failure to reach `url` (refused, DNS, TLS, reset)."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        port = "?"
    target = f"{parts.hostname}:{port}"
    seen, cause = set(), exc
    while cause is not None and id(cause) not in seen:  # httpx wraps httpcore wraps OSError
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {target}"
        if isinstance(cause, ConnectionResetError):
            return f"connection reset by {target}"
        if isinstance(cause, socket.gaierror):
            return f"host {parts.hostname} does not resolve ({cause})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failure with {target}: {_one_line(getattr(cause, 'reason', None) or str(cause))}"
        cause = cause.__cause__ or cause.__context__
    return f"could not reach {target}: {_one_line(str(exc)) or type(exc).__name__}"


def send_webhook(out: Outgoing, url: str, secret: str, *, allow=(), timeout: float = 10.0,
                 client: httpx.Client | None = None) -> Attempt:
    """POST `out.payload` to `url`, signed with `secret`; one try, and never raises."""
    refused = check_url(url, allow)
    if refused is not None:
        return Attempt(False, refused, permanent=True, where=url)
    body = json.dumps(out.payload, separators=(",", ":"), ensure_ascii=False).encode()
    now = int(time.time())
    try:
        signature = Webhook(secret).sign(out.id, datetime.fromtimestamp(now, timezone.utc),
                                         body.decode())
    except Exception as exc:  # empty or not base64: no try can succeed until it is replaced
        return Attempt(False, f"webhook secret is not usable ({exc})", permanent=True, where=url)
    headers = {
        "webhook-id": out.id,
        "webhook-timestamp": str(now),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    # Residual risk: the name is resolved again when connecting, so a name whose DNS answer
    # changes between check_url and the request (DNS rebinding) can still reach a refused
    # address. A deployment that must rule this out puts webhooks behind an egress proxy.
    # trust_env=False: no proxy from the environment, and no ~/.netrc credentials sent along.
    own = client is None
    if own:
        client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    try:
        with client.stream("POST", url, content=body, headers=headers,
                           timeout=httpx.Timeout(timeout), follow_redirects=False) as response:
            status = response.status_code
            if 200 <= status < 300:
                return Attempt(True, f"HTTP {status}", where=url)
            reason = response.reason_phrase
            if not reason:
                try:
                    reason = HTTPStatus(status).phrase
                except ValueError:
                    reason = ""
            outcome = f"HTTP {status} {reason}".rstrip()
            if 300 <= status < 400 and response.headers.get("location"):
                outcome += (f"; redirects are not followed "
                            f"(to {_one_line(response.headers['location'])})")
            snippet = b""
            try:
                for chunk in response.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= _BODY_LIMIT:
                        break
            except httpx.HTTPError:
                pass  # the status is the answer; a body cut short adds nothing
            text = _one_line(snippet.decode("utf-8", errors="replace"))
            if text:
                outcome += f": {text}"
            # 410 Gone: the receiver says the endpoint is gone for good.
            return Attempt(False, outcome, permanent=status == 410, where=url)
    except httpx.TimeoutException:
        return Attempt(False, f"no answer within {timeout:g} s", where=url)
    except httpx.HTTPError as exc:
        return Attempt(False, _connect_failure(exc, url), where=url)
    except Exception as exc:  # never raise: a failed attempt says what happened
        return Attempt(False, f"{type(exc).__name__}: {_one_line(str(exc))}", where=url)
    finally:
        if own:
            client.close()
