"""The building blocks of the OpenAPI description shared by web/openapi.py and the modules
that describe parts of the API (web/openapi_dissemination.py): references, times, answers,
errors, page parameters and path parameters."""

from __future__ import annotations

from web import pagination


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


TIME = {"type": "string", "format": "date-time",
        "description": "RFC 3339 in UTC, such as 2026-03-14T08:00:00Z"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time",
                 "description": "RFC 3339 in UTC, or null"}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    out = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = headers
    return out


def _list_of(key: str, name: str) -> dict:
    return {"type": "object", "required": [key],
            "properties": {key: {"type": "array", "items": _ref(name)}}}


def _page_of(key: str, name: str) -> dict:
    out = _list_of(key, name)
    out["properties"]["next"] = {
        "type": "string", "format": "uri",
        "description": "the next page (this query with a new `cursor`); absent on the last "
                       "page. The same URL is in the `Link: <...>; rel=\"next\"` header."}
    return out


PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": pagination.MAX_LIMIT,
                "default": pagination.DEFAULT_LIMIT},
     "description": f"how many items a page holds (default {pagination.DEFAULT_LIMIT}, at most "
                    f"{pagination.MAX_LIMIT}; 422 otherwise)"},
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "where the page starts: the opaque cursor in the `next` link of the page "
                    "before (400 for one this API did not give). Rows added while a client "
                    "walks the list are neither repeated nor hide the others."},
]
LINK = {"Link": {"description": "`<next page URL>; rel=\"next\"`, when there is a next page",
                 "schema": {"type": "string"}}}
PAGE_ERRORS = {"400": _error("The cursor is not one this API gave."),
               "422": _error("The limit is not a whole number from 1 to "
                             f"{pagination.MAX_LIMIT}.")}


COMMON = {"401": {"$ref": "#/components/responses/Unauthorized"}}
NOT_FOUND = {"404": _error("There is no such object, or the caller may not see it.")}
BODY_ERRORS = {
    "400": _error("The body cannot be read (malformed JSON or XML, empty, or of another "
                  "format than its Content-Type)."),
    "413": _error("The body is larger than the upload limit."),
    "415": _error("The Content-Type is not one this operation accepts."),
    "422": _error("The incident does not fit: `details` lists each problem with its JSON "
                  "path."),
}


def _path_param(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


KEY = _path_param("key", {"type": "string"},
                  "the incident's own id (percent-encode characters outside a URL path)")
