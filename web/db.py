"""The request's database session: one per request, opened on first use, closed at its end."""

from __future__ import annotations

from flask import current_app, g


def db():
    """The request's database session (closed when the request ends)."""
    if "db" not in g:
        g.db = current_app.extensions["compact.sessions"]()
    return g.db
