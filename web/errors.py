"""Error pages and JSON errors: every refusal is a clear sentence with a 4xx status, never a trace."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from agreements.errors import OperationError

TITLES = {400: "Bad request", 401: "Sign in needed", 403: "Not allowed", 404: "Not found",
          405: "Not allowed here", 409: "Changed by someone else", 413: "Too large",
          415: "Wrong kind of file", 422: "Cannot be accepted", 500: "Something went wrong",
          503: "The record is unavailable"}
UNAVAILABLE = ("The record cannot be reached right now, so nothing was read or saved. Try again "
               "in a moment; if it goes on, tell your administrator.")
BUSY = ("The record is busy with other changes, so nothing was saved. Try again in a moment.")


def unavailable(exc: BaseException) -> str | None:
    """The message for a database that cannot be reached (or is too busy to answer), or None
    when `exc` is something else."""
    import sqlalchemy.exc as sa_exc
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return BUSY
    if isinstance(exc, sa_exc.DBAPIError) and (
            exc.connection_invalidated or isinstance(exc, (sa_exc.OperationalError,
                                                           sa_exc.InterfaceError))):
        text = str(getattr(exc, "orig", exc)).lower()
        return BUSY if "locked" in text or "busy" in text else UNAVAILABLE
    return None


def plain_response(status: int, message: str):
    """An answer built without templates or the database: the last resort when producing
    the ordinary error answer failed too (JSON for the API)."""
    from flask import Response
    import json
    title = TITLES.get(status, "Error")
    if request.path.startswith("/api/") or wants_json():
        body = json.dumps({"error": {"status": status, "title": title, "message": message}})
        return Response(body, status=status, mimetype="application/json")
    from markupsafe import escape
    html = (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{escape(title)}"
            f"</title><h1>{escape(title)}</h1><p>{escape(message)}</p></html>")
    return Response(html, status=status, mimetype="text/html")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def error_response(status: int, message: str, details=None):
    details = list(details or [])
    if wants_json():
        body = {"error": {"status": status, "title": TITLES.get(status, "Error"),
                          "message": message}}
        if details:
            body["error"]["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, title=TITLES.get(status, "Error"),
                           message=message, details=details), status


def register(app) -> None:
    @app.errorhandler(OperationError)
    def operation_error(exc: OperationError):
        return error_response(exc.status, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            404: "There is nothing at this address, or you may not see it.",
            405: "This address does not accept that kind of request.",
            413: f"The upload is larger than the {app.config['MAX_CONTENT_LENGTH'] // 1024:,} KB "
                 f"allowed.",
        }
        message = messages.get(exc.code) or exc.description or TITLES.get(exc.code, "Error")
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            message = ("The form had expired or did not come from this site; reload the page "
                       "and try again.")
        return error_response(exc.code or 500, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        _forget_session()
        message = unavailable(exc)
        if message is not None:
            app.logger.warning("database unavailable on %s: %s", request.path,
                               str(getattr(exc, "orig", exc)).strip().splitlines()[:1])
            return _unavailable_response(message)
        app.logger.exception("unexpected error on %s", request.path)
        message = ("Something went wrong on our side; nothing was saved. Try again, and tell "
                   "your administrator if it happens again.")
        try:
            return error_response(500, message)
        except Exception:  # noqa: BLE001 - the error page itself failed: answer without it
            app.logger.exception("the error answer failed too on %s", request.path)
            return plain_response(500, message)


def _forget_session() -> None:
    """Roll back and drop the request's session after a failure, whatever state its
    connection is in (a dead connection raises on rollback too), so that nothing half-done
    is kept and the error answer does not reuse it."""
    from flask import g
    session = g.pop("db", None)
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - a dead connection: the database rolls back by itself
        pass
    try:
        session.close()
    except Exception:  # noqa: BLE001
        pass


def _unavailable_response(message: str):
    try:
        if wants_json():
            response, status = error_response(503, message)
        else:
            response = render_template("unavailable.html", status=503, title=TITLES[503],
                                       message=message)
            from flask import make_response
            response, status = make_response(response), 503
        response.status_code = status
    except Exception:  # noqa: BLE001
        response = plain_response(503, message)
    response.headers["Retry-After"] = "5"
    return response
