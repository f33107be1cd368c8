"""What an operation says when it cannot be done: one exception type per answer a user gets."""

from __future__ import annotations


class OperationError(Exception):
    """A refused operation; `status` is the HTTP status the web layer answers with."""

    status = 400

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])


class NotAllowed(OperationError):
    status = 403


class NotFound(OperationError):
    status = 404


class Conflict(OperationError):
    """Somebody else changed the record first; nothing of this attempt was written."""

    status = 409


class Invalid(OperationError):
    """The input is wrong: bad agreement text, a bad incident, a missing reason."""

    status = 422
