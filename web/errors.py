"""Error pages and JSON errors: every refusal is a clear sentence with a 4xx status, never a trace."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from agreements.errors import OperationError

TITLES = {400: "Bad request", 401: "Sign in needed", 403: "Not allowed", 404: "Not found",
          405: "Not allowed here", 409: "Changed by someone else", 413: "Too large",
          415: "Wrong kind of file", 422: "Cannot be accepted", 500: "Something went wrong"}


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
        app.logger.exception("unexpected error on %s", request.path)
        return error_response(500, "Something went wrong on our side; nothing was saved. "
                                   "Try again, and tell your administrator if it happens again.")
