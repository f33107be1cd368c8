"""The Flask application factory: configuration, database sessions, sign-in, blueprints, errors."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask, g, request
from flask_login import LoginManager

from agreements.db import database_url, instance_path, make_engine, session_factory, upgrade
from agreements.keys import server_key
from agreements.models import User
from web.csrf import csrf  # noqa: F401 - also reachable as web.app.csrf, as before
from web.db import db  # noqa: F401 - also reachable as web.app.db, as before

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def create_app(config: dict | None = None) -> Flask:
    folder = instance_path()
    app = Flask(__name__, instance_path=str(folder), instance_relative_config=True)
    secure = os.environ.get("COMPACT_SECURE_COOKIES", "0") == "1"
    app.config.update(
        DATABASE_URL=None,
        SECRET_KEY=None,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        AUTO_UPGRADE=True,
    )
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = server_key(folder)

    engine = make_engine(database_url(app.config["DATABASE_URL"]))
    if app.config["AUTO_UPGRADE"]:
        upgrade(engine)
    app.extensions["compact.engine"] = engine
    app.extensions["compact.sessions"] = session_factory(engine)

    csrf.init_app(app)
    login_manager.init_app(app)

    from web import errors, filters
    from web.views import admin, agreements, auth, documents, incidents, main, partner, verify
    from web.views import whynot
    from web import api, reports
    from web.dissemination import api as dissemination_api, channel, contacts, feeds
    from web.dissemination import views as dissemination

    for blueprint in (auth.bp, main.bp, agreements.bp, documents.bp, partner.bp, incidents.bp,
                      verify.bp, whynot.bp, admin.bp, api.bp, contacts.bp, dissemination.bp, channel.bp,
                      feeds.bp, dissemination_api.bp, reports.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, never with cookies
    csrf.exempt(dissemination_api.bp)
    from web.views import editor  # the editor's JSON helpers and the language reference
    app.register_blueprint(editor.bp)
    errors.register(app)
    filters.register(app)
    from web.views import time_zones  # choosing the zone every page shows times in
    app.register_blueprint(time_zones.bp)

    @app.teardown_appcontext
    def close_session(_exc):
        session = g.pop("db", None)
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - a dead connection: nothing to keep or undo
                app.logger.warning("closing the database session failed", exc_info=True)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        # What a signed-in user sees stays out of shared and browser caches (a later user of
        # the same browser pressing Back sees nothing); static files and feeds set their own.
        if (request.path.startswith("/api/") or request.endpoint in {"auth.login"}
                or (request.endpoint != "static" and _signed_in())):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml",
                                                          "Cache-Control": "public, max-age=86400"}

    return app


@login_manager.user_loader
def load_user(user_id: str):
    try:
        user = db().get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    # A session from before the user's last sign-out, password change or reset is over, even
    # when its cookie is still presented (copied, or kept by another browser).
    from flask import session
    if session.get("session_version") != (user.session_version or 0):
        return None
    return user


def _signed_in() -> bool:
    from flask_login import current_user
    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - no user can be loaded (the database is away): not signed in
        return False
