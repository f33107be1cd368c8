"""Template filters and globals: times in the viewer's zone, countdowns, roles, access helpers."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_login import current_user

from agreements.clock import utcnow
from agreements.duties import consequence, effective_state
from agreements.time_zones import organisation_zone_name
from web import local_time

STATE_LABELS = {"draft": "Draft", "out_for_signature": "Out for signature",
                "executed": "Executed"}


def utc(moment: datetime | None, fmt: str | None = None):
    """A time in the viewer's zone with UTC on hover, or plain UTC for a viewer in UTC
    (web.local_time.shown). The name is older than the zones: every page's times use it."""
    return local_time.shown(moment, fmt)


def time_tag(moment: datetime | None, fmt: str | None = None):
    """As `utc`, always as a <time datetime> element (for a viewer in UTC too, without a title)."""
    return local_time.shown(moment, fmt, element=True)


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def countdown(moment: datetime | None, now: datetime | None = None) -> str:
    """'in 2 h 05 min' or '1 h 10 min overdue', as the board shows before its script updates it."""
    if moment is None:
        return "no deadline"
    now = now or utcnow()
    seconds = int((moment - now).total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = (f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} min" if hours
            else f"{minutes} min")
    return f"{text} overdue" if late else f"in {text}"


def sentence(message: str | None) -> str:
    """A service message ('revision 2 has errors') as a sentence for a page."""
    message = (message or "").strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".!?" else message + "."


def register(app) -> None:
    app.jinja_env.filters.update(utc=utc, time_tag=time_tag, iso=iso, countdown=countdown,
                                 sentence=sentence,
                                 local_text=local_time.shown_text,
                                 state_label=lambda s: STATE_LABELS.get(s, s))
    app.jinja_env.globals.update(effective_state=effective_state, now=utcnow,
                                 consequence_of=consequence,
                                 view_functions=app.view_functions,
                                 zone_label=local_time.zone_label,
                                 times_note=local_time.times_note,
                                 zone_choices=local_time.zone_choices,
                                 organisation_zone_name=organisation_zone_name,
                                 viewer_zone_name=local_time.viewer_zone_name)

    @app.context_processor
    def roles():
        role = current_user.role if current_user.is_authenticated else None
        return {"role": role}

    @app.context_processor
    def per_page():
        # A board renders hundreds of duty forms: build the CSRF token and the action URL
        # once per page, not once per form.
        from flask_wtf.csrf import generate_csrf
        return {"page_csrf": generate_csrf(), **duty_urls()}


def duty_urls() -> dict:
    """The addresses of a duty's page and actions, from one url_for each rather than one per
    duty; `patterns` says what they were built from."""
    from flask import url_for
    pattern = url_for("incidents.duty_action", duty_id=987654321, action="ACTION")
    page = url_for("incidents.duty", duty_id=987654321)

    def duty_action_url(duty_id: int, action: str) -> str:
        return pattern.replace("987654321", str(duty_id)).replace("ACTION", action)

    def duty_page_url(duty_id: int) -> str:
        return page.replace("987654321", str(duty_id))

    return {"patterns": (pattern, page), "duty_action_url": duty_action_url,
            "duty_page_url": duty_page_url}
