"""The words of each notification: subject, plain text, HTML and the webhook's JSON, per event."""

from __future__ import annotations

import os
from urllib.parse import quote
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import escape

from agreements.models import Duty, Incident, utc_text

# Event names, as the webhook's `type` and the e-mail's X-Compact-Event say them.
EVENTS = {
    "duty.given": "a new duty",
    "duty.changed": "a duty changed",
    "duty.superseded": "a duty no longer required",
    "duty.due_soon": "a duty due soon",
    "duty.not_acknowledged": "a duty not yet acknowledged",
    "duty.breached": "a duty breached",
    "incident.message": "a message in an incident's channel",
    "incident.cancelled": "an incident cancelled",
    "revision.awaiting_signature": "a revision awaiting signature",
    "agreement.executed": "an agreement executed",
    "agreement.withdrawal_notice": "a notice of withdrawal",
}
MODAL_WORDS = {"must": "MUST", "may": "MAY", "must not": "MUST NOT"}


def base_url() -> str:
    """Where links in messages point: COMPACT_BASE_URL, else the embedded default's address."""
    return os.environ.get("COMPACT_BASE_URL", "http://127.0.0.1:5000").rstrip("/")


def zone(name: str | None):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    payload: dict


_utc = utc_text


def due_words(due: datetime | None, now: datetime, time_zone: str | None) -> tuple[str, str]:
    """('by 14:30 UTC', 'Due: 2026-06-18 14:30 UTC (16:30 Europe/Vilnius)') for a due time."""
    if due is None:
        return "", "Due: no due time"
    due = due.astimezone(timezone.utc)
    short = f"by {due:%H:%M} UTC" if due.date() == now.astimezone(timezone.utc).date() \
        else f"by {due:%d %b %H:%M} UTC"
    line = f"Due: {due:%Y-%m-%d %H:%M} UTC"
    if time_zone and time_zone != "UTC":
        local = due.astimezone(zone(time_zone))
        line += f" ({local:%Y-%m-%d %H:%M} {time_zone})"
    return short, line


SUFFIX = {
    "duty.changed": " (changed)",
    "duty.superseded": " (no longer required)",
    "duty.due_soon": " (reminder)",
    "duty.not_acknowledged": " (not yet acknowledged)",
    "duty.breached": " (BREACHED)",
}
LEAD = {
    "duty.given": "{party} has a new duty under {agreement}.",
    "duty.changed": "A duty of {party} under {agreement} changed; this replaces the earlier one.",
    "duty.superseded": "This duty of {party} is no longer required ({why}).",
    "duty.due_soon": "Reminder: this duty of {party} is due soon and is not yet fulfilled.",
    "duty.not_acknowledged": "Nobody at {party} has acknowledged this duty yet.",
    "duty.breached": "This duty of {party} was not fulfilled by its due time: it is breached.",
}


def duty_message(event: str, duty: Duty, *, party_name: str, time_zone: str | None,
                 now: datetime, ack_url: str | None, wave: int = 1,
                 why: str = "") -> Rendered:
    """A message about one duty: who must act, the action, the due time, the agreement and
    clause, and why (its `because` lines), with links to the duty and to acknowledge it."""
    incident = duty.incident
    modal = MODAL_WORDS.get(duty.modality, duty.modality.upper())
    short, due_line = due_words(duty.due, now, time_zone)
    head = f"{modal} {short}".strip()
    subject = f"[Compact] {head}: {duty.action} (incident {incident.key}){SUFFIX.get(event, '')}"
    if duty.exercise:
        subject = subject.replace("[Compact]", "[Compact] [EXERCISE]", 1)
    duty_url = f"{base_url()}/duties/{duty.id}"
    lead = LEAD[event].format(party=party_name, agreement=duty.agreement_slug,
                              why=why or "the incident changed")
    lines = [lead, "", f"{party_name} {modal} {duty.action}", due_line,
             f"Incident: {incident.key} ({incident.type}), reported "
             f"{incident.reported_at:%Y-%m-%d %H:%M} UTC",
             f"Agreement: {duty.agreement_slug}, clause {duty.clause} \"{duty.title}\""]
    if duty.because:
        lines += ["", "Why:"] + [f"  - {line}" for line in duty.because]
    lines += [""]
    if ack_url:
        lines += [f"Acknowledge: {ack_url}"]
    lines += [f"The duty: {duty_url}"]
    text = "\n".join(lines) + "\n"
    html = _html(lead, [
        ("Who", party_name), ("Must do", f"{modal} {duty.action}"),
        ("Due", due_line.removeprefix("Due: ")),
        ("Incident", f"{incident.key} ({incident.type})"),
        ("Agreement", f"{duty.agreement_slug}, clause {duty.clause} “{duty.title}”"),
    ], duty.because, [("Acknowledge this duty", ack_url), ("Open the duty", duty_url)])
    payload = {"type": event, "timestamp": _utc(now), "data": {
        "wave": wave,
        "incident": {"id": incident.key, "type": incident.type, "state": incident.state,
                     "reported_at": _utc(incident.reported_at)},
        "duty": _duty_json(duty),
        "links": {"duty": duty_url, **({"acknowledge": ack_url} if ack_url else {})}}}
    return Rendered(subject, text, html, payload)


def _duty_json(duty: Duty) -> dict:
    """The evaluation JSON's duty object, with the record's id and state."""
    return {"id": duty.id, "agreement": duty.agreement_slug, "clause": duty.clause,
            "title": duty.title, "party": duty.party_id, "role": duty.role,
            "modality": duty.modality, "action": duty.action, "due": _utc(duty.due),
            "note": duty.note, "costs": duty.costs, "because": duty.because,
            "state": duty.state, "exercise": duty.exercise}


def incident_message(event: str, incident: Incident, *, title: str, body: str, now: datetime,
                     author: str = "") -> Rendered:
    """A message about an incident as a whole: its channel, or its cancellation."""
    url = f"{base_url()}/incidents/{quote(incident.key, safe='/:@')}"
    subject = f"[Compact] {title} (incident {incident.key})"
    lines = [body, ""]
    if author:
        lines.insert(0, f"From {author}:")
    lines += [f"Incident: {incident.key} ({incident.type})", f"The incident: {url}"]
    text = "\n".join(lines) + "\n"
    html = _html(f"From {author}:" if author else title, [("Message", body),
                                                          ("Incident", incident.key)],
                 [], [("Open the incident", url)])
    payload = {"type": event, "timestamp": _utc(now), "data": {
        "incident": {"id": incident.key, "type": incident.type, "state": incident.state},
        "message": body, "author": author or None, "links": {"incident": url}}}
    return Rendered(subject, text, html, payload)


def agreement_message(event: str, slug: str, title: str, *, body: str, now: datetime,
                      link: str) -> Rendered:
    url = f"{base_url()}{link}"
    subject = f"[Compact] {title}: {slug}"
    text = f"{body}\n\nThe agreement: {url}\n"
    html = _html(title, [("Agreement", slug), ("", body)], [], [("Open the agreement", url)])
    payload = {"type": event, "timestamp": _utc(now),
               "data": {"agreement": slug, "message": body, "links": {"agreement": url}}}
    return Rendered(subject, text, html, payload)


def _html(lead: str, rows: list[tuple[str, str]], because: list[str],
          links: list[tuple[str, str | None]]) -> str:
    parts = [f"<p>{escape(lead)}</p>", "<table>"]
    for label, value in rows:
        parts.append(f"<tr><th align=\"left\">{escape(label)}</th><td>{escape(value)}</td></tr>")
    parts.append("</table>")
    if because:
        parts.append("<p>Why:</p><ul>" + "".join(f"<li>{escape(b)}</li>" for b in because)
                     + "</ul>")
    parts += [f"<p><a href=\"{escape(url)}\">{escape(label)}</a></p>" for label, url in links
              if url]
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"
