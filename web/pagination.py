"""Pages of the API's lists: `?limit=` and an opaque keyset `?cursor=`, with `next` and a Link header.

A cursor is the URL-safe base64 (unpadded) of a small JSON array: the list it belongs to and the
sort key of the last item given. The next page is read with that key in SQL (WHERE key > cursor
ORDER BY key LIMIT n), so a page costs the same however many rows come before it, and rows added
while a client walks the list neither repeat nor hide the rows it has not reached yet.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import request, url_for

from agreements.errors import Invalid, OperationError
from engine import limits

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadCursor(OperationError):
    status = 400


@dataclass(frozen=True)
class Page:
    limit: int
    after: tuple | None  # the sort key the page starts after; None for the first page


def page_limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw.strip() == "":
        return DEFAULT_LIMIT
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
        shown = text if len(text) <= 40 else text[:40] + "…"
        message = (f"the query parameter 'limit' must be a whole number from 1 to {MAX_LIMIT}; "
                   f"'{shown}' is not")
        raise Invalid(message, [f"limit: {message}"])
    return int(text)


def encode(kind: str, key: tuple) -> str:
    values = [v.astimezone(timezone.utc).isoformat() if isinstance(v, datetime) else v
              for v in key]
    raw = json.dumps([kind, *values], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _refuse(why: str):
    message = (f"the cursor is not one this API gave ({why}); start again without 'cursor' and "
               "follow the 'next' link of each page")
    raise BadCursor(message, [f"cursor: {message}"])


def decode(kind: str, shape: tuple) -> tuple | None:
    """The sort key a `?cursor=` names, checked against the list's key `shape` (a tuple of
    "time", "time?" (a time or null), "id" (a row id) and "text"); None without a cursor."""
    raw = request.args.get("cursor")
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if len(raw) > 2000:
        _refuse("it is far too long")
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        _refuse("it does not decode")
    if not isinstance(value, list) or len(value) != len(shape) + 1 or value[0] != kind:
        _refuse(f"it is not a cursor of the {kind} list")
    key = []
    for part, expected in zip(value[1:], shape):
        key.append(_part(part, expected))
    return tuple(key)


def _part(part, expected: str):
    if expected == "time?" and part is None:
        return None
    if expected in ("time", "time?"):
        try:
            moment = datetime.fromisoformat(part) if isinstance(part, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            _refuse("its time does not read")
        return moment
    if expected == "id":
        if isinstance(part, bool) or not isinstance(part, int) or not limits.route_id(part):
            _refuse("its id does not read")
        return part
    if not isinstance(part, str) or len(part) > 300 or "\x00" in part:
        _refuse("its key does not read")
    return part


def next_url(cursor: str | None, limit: int) -> str | None:
    """The URL of the next page: this request's query with the new cursor (and limit)."""
    if cursor is None:
        return None
    args = {k: v for k, v in request.args.lists() if k not in ("cursor", "limit")}
    if limit != DEFAULT_LIMIT:
        args["limit"] = [str(limit)]
    args["cursor"] = [cursor]
    return url_for(request.endpoint, _external=True, **(request.view_args or {}), **args)


def paged(body: dict, url: str | None):
    """A JSON response of one page: `next` in the body and a Link header when there is more."""
    from flask import jsonify
    if url is not None:
        body["next"] = url
    response = jsonify(body)
    if url is not None:
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response
