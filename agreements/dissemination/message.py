"""One message ready to leave (the same for every channel), and the outcome of one attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Outgoing:
    """A notification rendered for sending: e-mail uses subject, text and html; a webhook
    posts `payload` as JSON. `id` is stable across attempts (the e-mail's Message-ID and the
    webhook's `webhook-id`), so that a receiver can recognise a duplicate."""

    id: str  # e.g. "ntf-42"; only [A-Za-z0-9._-]
    event: str  # e.g. "duty.given"
    subject: str
    text: str
    html: str
    payload: dict = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class Attempt:
    """What one try at delivering gave. `outcome` is what the other side said, in its words
    where it said any (an SMTP reply such as "250 2.0.0 Ok", "HTTP 503", or the error)."""

    delivered: bool
    outcome: str
    # True where trying again cannot help (a webhook address the deployment refuses, an
    # e-mail address the server rejects for good with a 5xx reply): mark failed at once.
    permanent: bool = False
    where: str = ""  # the address or URL tried, or the file written
