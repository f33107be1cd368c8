"""The OpenAPI 3.1 description of the JSON API (served at /api/openapi.json).

The Evaluation schema is exactly the evaluation result of interfaces.md (`compact evaluate
--format json`); keep the two in step.
"""

from __future__ import annotations

import copy

from agreements.duties import TRANSITIONS
from engine import limits
from web import openapi_dissemination as dissemination
from web import pagination
from web.openapi_common import (BODY_ERRORS, COMMON, KEY, LINK, NOT_FOUND, NULLABLE_TIME,
                                PAGE_ERRORS, PAGE_PARAMETERS, TIME, _error, _json, _page_of,
                                _path_param, _ref)

VERSION = "1.0.0"

SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["status", "title", "message"],
            "additionalProperties": False,
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "title": {"type": "string"},
                "message": {"type": "string", "description": "one clear sentence for a person"},
                "details": {"type": "array", "items": {"type": "string"},
                            "description": "for a bad incident, one message per problem, "
                                           "each starting with its JSON path ($.field)"},
            },
        }},
    },
    "Party": {
        "type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "string", "description": "the party id agreements use"},
                       "name": {"type": "string"}},
    },
    "Agreement": {
        "type": "object",
        "description": "An agreement as the caller may see it (a partner sees only published "
                       "revisions of agreements its organisation is party to).",
        "required": ["id", "slug", "title", "kind", "status", "parties", "latest_revision",
                     "executed_revision", "out_for_signature"],
        "properties": {
            "id": {"type": "string", "description": "the id the agreement's text declares"},
            "slug": {"type": "string", "description": "the same as id"},
            "title": {"type": "string"},
            "kind": {"type": ["string", "null"], "examples": ["mutual_aid", "protocol"]},
            "status": {"type": "string", "enum": ["draft", "out_for_signature", "executed"]},
            "parties": {"type": "array", "items": _ref("Party")},
            "latest_revision": {"type": ["integer", "null"]},
            "executed_revision": {"type": ["integer", "null"],
                                  "description": "the revision in force"},
            "executed_at": NULLABLE_TIME,
            "out_for_signature": {"type": ["integer", "null"],
                                  "description": "the revision out for signature"},
            "url": {"type": "string"},
        },
    },
    "AgreementDetail": {
        "allOf": [_ref("Agreement"), {
            "type": "object",
            "required": ["revisions"],
            "properties": {
                "binding": {"type": ["boolean", "null"]},
                "effective_from": {"type": ["string", "null"], "format": "date"},
                "effective_until": {"type": ["string", "null"], "format": "date"},
                "revisions": {"type": "array", "items": _ref("Revision")},
            },
        }],
    },
    "Revision": {
        "type": "object",
        "description": "One immutable saved text of an agreement.",
        "required": ["agreement", "number", "title", "state", "content_hash", "author",
                     "created_at", "published_at", "errors", "warnings"],
        "properties": {
            "agreement": {"type": "string"},
            "number": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "state": {"type": "string",
                      "enum": ["draft", "published", "out_for_signature", "executed"]},
            "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                             "description": "SHA-256 of the canonical (formatted) source"},
            "author": {"type": "string"},
            "created_at": TIME,
            "published_at": NULLABLE_TIME,
            "errors": {"type": "integer", "minimum": 0},
            "warnings": {"type": "integer", "minimum": 0},
            "url": {"type": "string"},
            "pdf": {"type": ["string", "null"], "description": "null when the text has errors"},
        },
    },
    "Signature": {
        "type": "object",
        "required": ["party", "signer_name", "signer_title", "signed_at", "content_hash"],
        "properties": {
            "party": {"type": "string"},
            "signer_name": {"type": "string"},
            "signer_title": {"type": "string"},
            "signed_at": TIME,
            "content_hash": {"type": "string"},
            "user": {"type": "string", "description": "the e-mail address of the signing user"},
        },
    },
    "RevisionDetail": {
        "allOf": [_ref("Revision"), {
            "type": "object",
            "required": ["parties", "diagnostics", "source", "signatures"],
            "properties": {
                "parties": {"type": "array", "items": _ref("Party")},
                "diagnostics": {"type": "string",
                                "description": "errors and warnings as `compact check` "
                                               "prints them"},
                "source": {"type": "string"},
                "signatures": {"type": "array", "items": _ref("Signature")},
            },
        }],
    },
    "Cost": {
        "type": "object",
        "required": ["party", "share"],
        "additionalProperties": False,
        "properties": {"party": {"type": "string"},
                       "share": {"type": "number", "minimum": 0, "maximum": 1}},
    },
    "Duty": {
        "type": "object",
        "description": "A duty on record: one party's duty from one clause for one incident, "
                       "as evaluated then; superseded, never deleted.",
        "required": ["id", "incident", "agreement", "clause", "title", "modality", "party",
                     "role", "action", "due", "state", "effective_state", "costs", "because",
                     "revision_hash", "exercise"],
        "properties": {
            "id": {"type": "integer"},
            "incident": {"type": "string"},
            "agreement": {"type": "string"},
            "clause": {"type": "string"},
            "title": {"type": "string"},
            "modality": {"type": "string", "enum": ["must", "may", "must not"]},
            "party": {"type": "string"},
            "role": {"type": ["string", "null"]},
            "action": {"type": "string"},
            "due": NULLABLE_TIME,
            "state": {"type": "string",
                      "enum": ["open", "acknowledged", "fulfilled", "declined", "waived",
                               "breached", "lapsed", "superseded"],
                      "description": "the state on record"},
            "effective_state": {"type": "string",
                                "enum": ["open", "acknowledged", "fulfilled", "declined",
                                         "waived", "breached", "lapsed", "superseded"],
                                "description": "the state now: a must duty past due and not "
                                               "done is breached even before the breach check "
                                               "records it"},
            "costs": {"type": "array", "items": _ref("Cost")},
            "because": {"type": "array", "items": {"type": "string"}},
            "note": {"type": ["string", "null"]},
            "revision_hash": {"type": "string",
                              "description": "content hash of the revision it came from"},
            "exercise": {"type": "boolean"},
            "occurrence": {"type": ["integer", "null"], "minimum": 1,
                           "description": "of a recurring duty (`every D`): which occurrence, "
                                          "from 1; null for a duty that does not recur"},
            "to": {"type": "array", "items": {"type": "string"},
                   "description": "the parties the duty is owed to, when its clause names them; "
                                  "their partners see the duty, read only"},
            "consequence": {"type": "string",
                            "description": "a breached or lapsed duty: what follows, from its "
                                           "clause's `otherwise`"},
            "created_at": TIME,
            "fulfilled_at": NULLABLE_TIME,
            "superseded_at": NULLABLE_TIME,
            "escalation_of": {"type": ["integer", "null"]},
        },
    },
    "IncidentMessage": {
        "type": "object",
        "required": ["sequence", "format", "message_type", "received_at"],
        "properties": {
            "sequence": {"type": "integer", "minimum": 1},
            "format": {"type": "string", "enum": ["json", "cap"]},
            "message_type": {"type": "string", "enum": ["Alert", "Update", "Cancel"]},
            "cap_identifier": {"type": ["string", "null"]},
            "received_at": TIME,
        },
    },
    "Incident": {
        "type": "object",
        "description": "A recorded incident. The single-incident answers add its messages "
                       "and the duties the caller may see.",
        "required": ["id", "type", "state", "exercise", "reported_at", "recorded_at",
                     "updated_at"],
        "properties": {
            "id": {"type": "string", "description": "the incident's own id"},
            "type": {"type": "string"},
            "state": {"type": "string", "enum": ["active", "cancelled", "past"],
                      "description": "past: an alert recorded after it had expired"},
            "exercise": {"type": "boolean"},
            "reported_at": TIME,
            "recorded_at": TIME,
            "updated_at": TIME,
            "url": {"type": "string"},
            "messages": {"type": "array", "items": _ref("IncidentMessage")},
            "duties": {"type": "array", "items": _ref("Duty")},
            "warnings": {"type": "array", "items": _ref("Warning"),
                         "description": "what the latest evaluation warned of"},
            "why_none": {"type": "array", "description": "when no duty was given: why each "
                                                         "agreement in force gave nothing",
                         "items": {"type": "object", "required": ["agreement", "reasons"],
                                   "properties": {"agreement": {"type": "string"},
                                                  "reasons": {"type": "array", "items": {
                                                      "type": "string"}}}}},
        },
    },
    "IncidentInput": {
        "type": "object",
        "description": "An incident: the built-in fields of the language and the fields the "
                       "agreements declare. Timestamps are RFC 3339 with an offset. Limits "
                       f"(422 beyond them, nothing stored): every text at most "
                       f"{limits.MAX_TEXT_LENGTH:,} characters and without NUL (U+0000); "
                       f"numbers a double holds (no NaN or Infinity, which are not JSON: 400; "
                       f"integers of at most {limits.MAX_DIGITS} digits); times and dates in "
                       f"the years {limits.MIN_YEAR}..{limits.MAX_YEAR}; objects and arrays "
                       f"nested at most {limits.MAX_DEPTH} deep (400).",
        "required": ["id", "type", "reported_at"],
        "additionalProperties": True,
        "properties": {
            "id": {"type": "string", "maxLength": limits.MAX_ID_LENGTH,
                   "pattern": f"^{limits.ID_PATTERN}$",
                   "description": "a letter or digit, then letters, digits and _ . : @ - "
                                  "(no '..')"},
            "type": {"type": "string", "maxLength": limits.MAX_TYPE_LENGTH},
            "reported_at": {"type": "string", "format": "date-time",
                            "description": f"in the years {limits.MIN_YEAR}.."
                                           f"{limits.MAX_YEAR}, as every time"},
            "status": {"type": "string", "enum": ["actual", "exercise", "test"]},
            "severity": {"type": "string"},
            "urgency": {"type": "string"},
            "certainty": {"type": "string"},
            "region": {"type": "string"},
            "area": {"type": "array", "items": {"type": "string"}},
            "fulfilled": {"type": "array", "items": {
                "type": "object", "required": ["clause", "party", "at"],
                "properties": {"agreement": {"type": "string"}, "clause": {"type": "string"},
                               "party": {"type": "string"},
                               "at": {"type": "string", "format": "date-time"}}}},
        },
    },
    "CapAlert": {
        "type": "string",
        "description": "A CAP 1.2 alert (urn:oasis:names:tc:emergency:cap:1.2), mapped to an "
                       "incident as interfaces.md says. Status System and Draft are refused.",
    },
    "DutyActionInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"note": {"type": ["string", "null"],
                                "description": "why; required to decline, waive or "
                                               "reopen; optional to fulfil"}},
    },
    "EvaluationDuty": {
        "type": "object",
        "required": ["agreement", "clause", "title", "modality", "party", "role", "action",
                     "due", "status", "costs", "because"],
        "additionalProperties": False,
        "properties": {
            "agreement": {"type": "string"},
            "clause": {"type": "string"},
            "title": {"type": "string"},
            "modality": {"type": "string", "enum": ["must", "may", "must not"]},
            "party": {"type": "string"},
            "role": {"type": ["string", "null"]},
            "action": {"type": "string"},
            "due": NULLABLE_TIME,
            "status": {"type": "string", "enum": ["open", "fulfilled", "breached", "lapsed"],
                       "description": "lapsed: a may past its due time, not exercised by then"},
            "costs": {"type": "array", "items": _ref("Cost"),
                      "description": "[] when the clause says nothing of costs; shares sum "
                                     "to 1.0"},
            "because": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string"},
            "occurrence": {"type": "integer", "minimum": 1,
                           "description": "only on a recurring duty (`every D`): which "
                                          "occurrence, from 1"},
            "to": {"type": "array", "items": {"type": "string"},
                   "description": "the parties the duty is owed to (a clause's 'to ROLE, ...')"},
            "consequence": {"type": "string",
                            "description": "a breached or lapsed duty: what follows, from the "
                                           "clause's 'otherwise'"},
        },
    },
    "Evaluation": {
        "type": "object",
        "description": "The evaluation result of interfaces.md, byte for byte what `compact "
                       "evaluate --format json` prints for the same agreements. Duties are "
                       "sorted by due (null last), then agreement, clause, party.",
        "required": ["incident", "evaluated_at", "exercise", "duties", "skipped", "warnings"],
        "additionalProperties": False,
        "properties": {
            "incident": {"type": "string"},
            "evaluated_at": TIME,
            "exercise": {"type": "boolean"},
            "duties": {"type": "array", "items": _ref("EvaluationDuty")},
            "skipped": {"type": "array", "items": {
                "type": "object", "required": ["agreement", "reason"],
                "additionalProperties": False,
                "properties": {"agreement": {"type": "string"}, "reason": {"type": "string"}}}},
            "warnings": {"type": "array", "items": _ref("Warning")},
            "signature": {"type": "string", "enum": ["valid", "invalid", "absent"],
                          "description": "a CAP alert's enveloped XML signature"},
        },
    },
    "Warning": {
        "type": "object",
        "description": "Something the caller should know of an evaluation: a role or cost role "
                       "that named no party (agreement and clause), or a value that no "
                       "agreement lists in its `one of` (agreement and clause null; `field` "
                       "and `value` given, with a suggestion in the message where one is "
                       "close).",
        "required": ["agreement", "clause", "message"],
        "additionalProperties": False,
        "properties": {"agreement": {"type": ["string", "null"]},
                       "clause": {"type": ["string", "null"]},
                       "message": {"type": "string"},
                       "field": {"type": "string"},
                       "value": {}}},
    "WhyNotAnswer": {
        "type": "object",
        "required": ["agreement", "clause", "party", "gave_duty", "reasons"],
        "properties": {
            "agreement": {"type": "string"},
            "clause": {"type": ["string", "null"]},
            "party": {"type": ["string", "null"]},
            "gave_duty": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "string"},
                        "description": "why not: the first condition that failed with the "
                                       "value read, an exception that held, or why a role "
                                       "left the party out; or the duties given"}}},
}


INCIDENT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _ref("IncidentInput")},
        "application/xml": {"schema": _ref("CapAlert")},
        "text/xml": {"schema": _ref("CapAlert")},
        "application/cap+xml": {"schema": _ref("CapAlert")},
    },
}

LOCATION = {"Location": {"description": "the incident's address in this API",
                         "schema": {"type": "string"}}}

SLUG = _path_param("slug", {"type": "string"}, "the agreement's id")
NUMBER = _path_param("number", {"type": "integer", "minimum": 1,
                                "maximum": limits.MAX_ROUTE_ID}, "the revision number")
AS_PAST = {"name": "as_past", "in": "query", "required": False,
           "schema": {"type": "boolean"},
           "description": "record a CAP alert that had expired when received as a past incident "
                          "(duties evaluated at its own time, never breached by the delay)"}

PATHS: dict = {
    "/api/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This description", "tags": ["meta"],
        "security": [],
        "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document")}}},
    "/api/agreements": {"get": {
        "operationId": "listAgreements",
        "summary": "The agreements the caller may see, a page at a time by id (slug)",
        "tags": ["agreements"], "parameters": PAGE_PARAMETERS,
        "responses": {"200": _json(_page_of("agreements", "Agreement"), headers=LINK),
                      **COMMON, **PAGE_ERRORS}}},
    "/api/agreements/{slug}": {"get": {
        "operationId": "getAgreement", "summary": "One agreement with its revisions",
        "tags": ["agreements"], "parameters": [SLUG],
        "responses": {"200": _json(_ref("AgreementDetail")), **COMMON, **NOT_FOUND}}},
    "/api/agreements/{slug}/revisions": {"get": {
        "operationId": "listRevisions", "summary": "The revisions of an agreement the caller "
                                                   "may see", "tags": ["agreements"],
        "parameters": [SLUG],
        "responses": {"200": _json({"type": "object", "required": ["agreement", "revisions"],
                                    "properties": {"agreement": {"type": "string"},
                                                   "revisions": {"type": "array",
                                                                 "items": _ref("Revision")}}}),
                      **COMMON, **NOT_FOUND}}},
    "/api/agreements/{slug}/revisions/{number}": {"get": {
        "operationId": "getRevision", "summary": "One revision: text, diagnostics, signatures",
        "tags": ["agreements"], "parameters": [SLUG, NUMBER],
        "responses": {"200": _json(_ref("RevisionDetail")), **COMMON, **NOT_FOUND}}},
    "/api/agreements/{slug}/revisions/{number}/pdf": {"get": {
        "operationId": "getRevisionPdf",
        "summary": "The revision as a PDF (sealed once the agreement is executed)",
        "tags": ["agreements"], "parameters": [SLUG, NUMBER],
        "responses": {
            "200": {"description": "The PDF",
                    "content": {"application/pdf": {"schema": {"type": "string",
                                                               "format": "binary"}}}},
            **COMMON, **NOT_FOUND,
            "422": _error("The revision has errors, so it has no PDF.")}}},
    "/api/agreements/{slug}/revisions/{number}/publish": {"post": {
        "operationId": "publishRevision",
        "summary": "Send the latest revision out for signature: only one without errors whose "
                   "examples all pass; one with warnings needs `confirm_warnings: true`",
        "tags": ["agreements"], "parameters": [SLUG, NUMBER],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"confirm_warnings": {"type": "boolean"}}}}}},
        "responses": {"200": _json(_ref("RevisionDetail"), "Out for signature"), **COMMON,
                      "403": _error("The caller may not publish."), **NOT_FOUND,
                      "409": _error("Not the latest revision, already published, or it has "
                                    "warnings to confirm (`details` lists them)."),
                      "422": _error("The revision has errors or failing examples (`details` "
                                    "lists them)."),
                      "400": BODY_ERRORS["400"], "415": BODY_ERRORS["415"]}}},
    "/api/incidents": {
        "get": {
            "operationId": "listIncidents",
            "summary": "The incidents the caller may see (a partner: those that gave its "
                       "organisation duties), a page at a time in the order they were "
                       "recorded", "tags": ["incidents"], "parameters": PAGE_PARAMETERS,
            "responses": {"200": _json(_page_of("incidents", "Incident"), headers=LINK),
                          **COMMON, **PAGE_ERRORS}},
        "post": {
            "operationId": "recordIncident",
            "summary": "Record an incident (JSON or a CAP alert) and evaluate it against every "
                       "executed agreement in force; coordinators and administrators",
            "tags": ["incidents"], "requestBody": INCIDENT_BODY,
            "responses": {
                "201": _json(_ref("Incident"), "Recorded, with its duties", LOCATION),
                "200": {"description": "A CAP Update or Cancel applied to the incident it "
                                       "references (an Incident); or, for an Atom/RSS feed, "
                                       "an EDXL-DE distribution or a list of alerts, each "
                                       "alert recorded on its own: {read, recorded, results: "
                                       "[{position, identifier, status, incident | error}]}",
                        "content": {"application/json": {"schema": {}}}},
                **COMMON, "403": _error("The caller may not record incidents."),
                "409": _error("The incident is already recorded, or the alert had expired "
                              "when received (send `as_past=true` to record it as a past "
                              "incident)."), **BODY_ERRORS},
            "parameters": [AS_PAST]},
    },
    "/api/incidents/{key}": {"get": {
        "operationId": "getIncident",
        "summary": "One incident with its messages and the duties the caller may see",
        "tags": ["incidents"], "parameters": [KEY],
        "responses": {"200": _json(_ref("Incident")), **COMMON, **NOT_FOUND}}},
    "/api/incidents/{key}/why-not": {"get": {
        "operationId": "whyNot",
        "summary": "Why a clause of an agreement in force gave no duty (to a party); without "
                   "`agreement`, every party left out by the agreements that tasked someone; "
                   "coordinators and administrators",
        "tags": ["incidents"],
        "parameters": [KEY] + [{"name": n, "in": "query", "required": False,
                                "schema": {"type": "string"}, "description": d}
                               for n, d in (("agreement", "an agreement in force"),
                                            ("clause", "one of its clauses (default: all)"),
                                            ("party", "one party (default: any)"))],
        "responses": {"200": _json({"type": "object", "required": ["incident", "answers"],
                                    "properties": {"incident": {"type": "string"},
                                                   "evaluated_at": TIME,
                                                   "answers": {"type": "array",
                                                               "items": _ref("WhyNotAnswer")}}}),
                      **COMMON, "403": _error("Only coordinators and administrators ask why."),
                      **NOT_FOUND,
                      "422": _error("No such agreement or clause in force.")}}},
    "/api/incidents/{key}/updates": {"post": {
        "operationId": "updateIncident",
        "summary": "New facts (JSON with the same id) or a CAP Update/Cancel referencing the "
                   "incident's alert: re-evaluated; what no longer applies is superseded",
        "tags": ["incidents"], "parameters": [KEY, AS_PAST], "requestBody": INCIDENT_BODY,
        "responses": {"200": _json(_ref("Incident"), "Updated, with its duties", LOCATION),
                      **COMMON, "403": _error("The caller may not update incidents."),
                      **NOT_FOUND, "409": _error("The incident was cancelled."),
                      **BODY_ERRORS}}},
    "/api/duties": {"get": {
        "operationId": "listDuties",
        "summary": "The duties the caller may see that are not superseded (a partner: its "
                   "organisation's), a page at a time by due time (none last), then id",
        "tags": ["duties"],
        "parameters": [
            {"name": "state", "in": "query", "required": False,
             "description": "only duties in these states (comma-separated; breached includes "
                            "must duties past due and not done)",
             "schema": {"type": "string"}},
            {"name": "party", "in": "query", "required": False,
             "description": "only these parties' duties (comma-separated party ids)",
             "schema": {"type": "string"}},
            {"name": "incident", "in": "query", "required": False,
             "description": "only these incidents' duties (comma-separated incident ids)",
             "schema": {"type": "string"}},
            *PAGE_PARAMETERS,
        ],
        "responses": {"200": _json(_page_of("duties", "Duty"), headers=LINK), **COMMON,
                      "400": PAGE_ERRORS["400"],
                      "422": _error("An unknown state, or a limit that is not a whole number "
                                    f"from 1 to {pagination.MAX_LIMIT}.")}}},
    "/api/duties/{id}/{action}": {"post": {
        "operationId": "changeDuty",
        "summary": "Acknowledge, fulfil, decline (with a reason), or waive or reopen "
                   "(coordinators and administrators, with a reason) a duty; a `may` duty is "
                   "not fulfilled, a `must not` only acknowledged", "tags": ["duties"],
        "parameters": [
            _path_param("id", {"type": "integer", "minimum": 0,
                               "maximum": limits.MAX_ROUTE_ID}, "the duty's id"),
            _path_param("action", {"type": "string",
                                   "enum": list(TRANSITIONS)},
                        "what to do"),
        ],
        "requestBody": {"required": False,
                        "content": {"application/json": {"schema": _ref("DutyActionInput")}}},
        "responses": {"200": _json(_ref("Duty"), "The duty after the change"), **COMMON,
                      "403": _error("The caller may not take this action."), **NOT_FOUND,
                      "409": _error("The duty's state does not allow this action."),
                      "422": _error("A reason is missing, the note is not text, or the "
                                    "duty's modality does not take this action."),
                      "400": BODY_ERRORS["400"], "415": BODY_ERRORS["415"]}}},
    "/api/evaluate": {"post": {
        "operationId": "evaluate",
        "summary": "Evaluate an incident against every executed agreement in force, storing "
                   "nothing (a partner sees only its organisation's duties)",
        "tags": ["evaluation"],
        "parameters": [{"name": "at", "in": "query", "required": False,
                        "description": "evaluation time, RFC 3339 with an offset (default: "
                                       "the incident's reported_at)",
                        "schema": {"type": "string", "format": "date-time"}}],
        "requestBody": INCIDENT_BODY,
        "responses": {"200": _json(_ref("Evaluation"), "Exactly `compact evaluate --format "
                                                       "json`"),
                      **COMMON, **BODY_ERRORS}}},
}
# The dissemination channel's part: an incident's channel, contact points, deliveries.
SCHEMAS.update(dissemination.SCHEMAS)
PATHS.update(dissemination.PATHS)

READ_ONLY_403 = "A read-only token may not change the record"


def _read_only_refusals(paths: dict) -> None:
    """Every operation that changes the record (all but reads and evaluation) is refused 403
    to a read-only token: say so beside its other reasons for a 403."""
    for operations in paths.values():
        for method, operation in operations.items():
            if method in ("get", "head") or operation.get("operationId") in ("evaluate",):
                continue
            if operation.get("security") == []:
                continue
            responses = operation["responses"]
            if "403" in responses:
                told = responses["403"]["description"].rstrip(".")
                responses["403"] = _error(f"{told}; or the token is read-only.")
            else:
                responses["403"] = _error(f"{READ_ONLY_403}.")


_read_only_refusals(PATHS)

DOCUMENT: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "Compact API",
        "version": VERSION,
        "summary": "Coordination agreements evaluated against incidents: who must act, by when "
                   "and why.",
        "description": "Authenticate with an API token from your account page: "
                       "`Authorization: Bearer <token>`. A token acts as its user, with the "
                       "same access as in the pages: a partner sees only the published "
                       "agreements its organisation is party to, its own duties, and the "
                       "incidents that gave them; anything else answers 404. A token may "
                       "have an expiry (after it, every request answers 401 \"This token "
                       "expired on ...\") and a read-only scope: such a token reads (GET) and "
                       "evaluates (POST /api/evaluate), and any other request answers 403 "
                       "\"This token is read-only\". Errors are JSON "
                       "`{\"error\": {\"status\", \"title\", \"message\", \"details\"?}}`.",
    },
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "security": [{"bearer": []}],
    "tags": [{"name": "agreements"}, {"name": "incidents"}, {"name": "duties"},
             {"name": "contact-points"}, {"name": "evaluation"}, {"name": "meta"}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "An API token created on the account page (cpt_...)."}},
        "responses": {"Unauthorized": {
            "description": "No token, or an unknown, revoked or expired one (or its user is "
                           "deactivated).",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
            "content": {"application/json": {"schema": _ref("Error")}}}},
        "schemas": SCHEMAS,
    },
}


def document() -> dict:
    """A fresh copy of the description, safe for a caller to change."""
    return copy.deepcopy(DOCUMENT)
