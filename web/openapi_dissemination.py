"""The OpenAPI description of the dissemination channel's part of the JSON API: an incident's
channel, contact points and the deliveries of a duty (merged into web/openapi.py)."""

from __future__ import annotations

from engine import limits
from web.openapi_common import (BODY_ERRORS, COMMON, KEY, NOT_FOUND, NULLABLE_TIME, TIME,
                                _error, _json, _list_of, _path_param, _ref)

ORG_ID = _path_param("org_id", {"type": "string"},
                     "the organisation's id (its party id in agreements)")
POINT_ID = _path_param("point_id", {"type": "integer", "minimum": 0,
                                    "maximum": limits.MAX_ROUTE_ID}, "the contact point's id")
DUTY_ID = _path_param("duty_id", {"type": "integer", "minimum": 0,
                                  "maximum": limits.MAX_ROUTE_ID}, "the duty's id")
MANAGERS = ("administrators for every organisation, a partner for its own (404 for "
            "another's)")
NOT_A_MANAGER = {"403": _error("Only administrators and partners manage contact points.")}
ORG_NOT_FOUND = {"404": _error("There is no such organisation or contact point, or the caller "
                               "may not manage it.")}
POINT_CHANGED = {"200": _json(_ref("ContactPoint"), "The contact point after the change"),
                 **COMMON, **NOT_A_MANAGER, **ORG_NOT_FOUND}

SCHEMAS: dict = {
    "ChannelMessage": {
        "type": "object",
        "description": "A message of an incident's channel; never edited or deleted.",
        "required": ["id", "author", "organisation", "body", "posted_at"],
        "additionalProperties": False,
        "properties": {"id": {"type": "integer"},
                       "author": {"type": "string", "description": "the author's name"},
                       "organisation": {"type": ["string", "null"],
                                        "description": "the author's organisation (party id) "
                                                       "when posted; null for staff"},
                       "body": {"type": "string", "maxLength": 10000},
                       "posted_at": TIME}},
    "ContactPoint": {
        "type": "object",
        "description": "Where an organisation hears of its duties: an e-mail address or a "
                       "webhook endpoint (signed, Standard Webhooks). A webhook's signing "
                       "secret is never shown here: only once, in the answer that made it.",
        "required": ["id", "kind", "address", "label", "paused", "health"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["email", "webhook"]},
            "address": {"type": "string", "description": "the e-mail address or the URL"},
            "label": {"type": "string"},
            "paused": {"type": "boolean", "description": "nothing is sent to it while paused"},
            "health": {"type": "string",
                       "description": "'ok', 'paused', 'removed', or 'failing: <the outcome "
                                      "of the last attempt through it>'"},
            "removed_at": NULLABLE_TIME,
        },
    },
    "ContactPointInput": {
        "type": "object",
        "required": ["kind", "address"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": ["email", "webhook"]},
            "address": {"type": "string", "maxLength": 2000,
                        "description": "one e-mail address, or an https (or http) URL the "
                                       "deployment allows (COMPACT_WEBHOOK_ALLOW)"},
            "label": {"type": "string", "maxLength": 200},
        },
    },
    "Delivery": {
        "type": "object",
        "description": "The latest message about a duty to one destination, and what became "
                       "of it.",
        "required": ["event", "wave", "channel", "address", "source", "state", "attempts",
                     "delivered_at", "next_try", "outcome"],
        "additionalProperties": False,
        "properties": {
            "event": {"type": "string", "examples": ["duty.assigned", "duty.reminder"]},
            "wave": {"type": "integer", "minimum": 1},
            "channel": {"type": "string", "enum": ["email", "webhook"]},
            "address": {"type": "string"},
            "source": {"type": "string",
                       "description": "how the address was found: contact point, agreement "
                                      "contact, user, coordinator"},
            "state": {"type": "string", "enum": ["queued", "delivered", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "delivered_at": NULLABLE_TIME,
            "next_try": {**NULLABLE_TIME, "description": "when a queued message is tried "
                                                         "next; null otherwise"},
            "outcome": {"type": ["string", "null"],
                        "description": "what the last attempt gave"},
        },
    },
}

PATHS: dict = {
    "/api/incidents/{key}/channel": {
        "get": {
            "operationId": "listChannelMessages",
            "summary": "The incident's channel, oldest first: for everyone who may see the "
                       "incident (a partner: one that gave its organisation a duty)",
            "tags": ["incidents"], "parameters": [KEY],
            "responses": {"200": _json(_list_of("messages", "ChannelMessage")), **COMMON,
                          **NOT_FOUND}},
        "post": {
            "operationId": "postChannelMessage",
            "summary": "Post a message in the incident's channel, sent to every party with a "
                       "live duty and every coordinator; coordinators, administrators, and "
                       "partners whose organisation has a duty in the incident",
            "tags": ["incidents"], "parameters": [KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["body"],
                "properties": {"body": {"type": "string", "minLength": 1,
                                        "maxLength": 10000}}}}}},
            "responses": {"201": _json(_ref("ChannelMessage"), "Posted",
                                       {"Location": {"description": "the incident's channel "
                                                                    "in this API",
                                                     "schema": {"type": "string"}}}),
                          **COMMON, "403": _error("The caller may not post in this channel."),
                          **NOT_FOUND,
                          "422": _error("The message is empty, longer than 10,000 "
                                        "characters, or holds a NUL character."),
                          "400": BODY_ERRORS["400"], "415": BODY_ERRORS["415"]}}},
    "/api/organisations/{org_id}/contact-points": {
        "get": {
            "operationId": "listContactPoints",
            "summary": "The organisation's contact points that are not removed, with their "
                       f"health; {MANAGERS}",
            "tags": ["contact-points"], "parameters": [ORG_ID],
            "responses": {"200": _json({
                "type": "object",
                "required": ["contact_points", "falls_back_to_agreement_contact"],
                "properties": {
                    "organisation": {"type": "string"},
                    "contact_points": {"type": "array", "items": _ref("ContactPoint")},
                    "falls_back_to_agreement_contact": {
                        "type": "boolean",
                        "description": "true while the organisation has no e-mail contact "
                                       "point: the agreement's `contact` is mailed instead"}}}),
                **COMMON, **NOT_A_MANAGER, **ORG_NOT_FOUND}},
        "post": {
            "operationId": "addContactPoint",
            "summary": f"Add an e-mail address or a webhook; {MANAGERS}. A webhook's signing "
                       "secret is in this answer only, never again",
            "tags": ["contact-points"], "parameters": [ORG_ID],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("ContactPointInput")}}},
            "responses": {
                "201": _json({"allOf": [_ref("ContactPoint"), {
                    "type": "object", "properties": {"secret": {
                        "type": "string", "description": "a webhook's signing secret "
                                                         "(whsec_...), shown once"}}}]},
                    "Added", {"Location": {"description": "the organisation's contact points "
                                                          "in this API",
                                           "schema": {"type": "string"}}}),
                **COMMON, **NOT_A_MANAGER, **ORG_NOT_FOUND,
                "409": _error("The organisation already has this address."),
                "422": _error("Not an e-mail address, a URL the deployment does not allow, "
                              "an unknown kind, or a label too long."),
                "400": BODY_ERRORS["400"], "415": BODY_ERRORS["415"]}}},
    "/api/organisations/{org_id}/contact-points/{point_id}/pause": {"post": {
        "operationId": "pauseContactPoint",
        "summary": f"Send nothing to the contact point until it is resumed; {MANAGERS}",
        "tags": ["contact-points"], "parameters": [ORG_ID, POINT_ID],
        "responses": {**POINT_CHANGED, "409": _error("The contact point was removed.")}}},
    "/api/organisations/{org_id}/contact-points/{point_id}/resume": {"post": {
        "operationId": "resumeContactPoint",
        "summary": f"Send to the contact point again; {MANAGERS}",
        "tags": ["contact-points"], "parameters": [ORG_ID, POINT_ID],
        "responses": {**POINT_CHANGED, "409": _error("The contact point was removed.")}}},
    "/api/organisations/{org_id}/contact-points/{point_id}/remove": {"post": {
        "operationId": "removeContactPoint",
        "summary": "Remove the contact point (kept for the messages already sent through it; "
                   f"removing it again changes nothing); {MANAGERS}",
        "tags": ["contact-points"], "parameters": [ORG_ID, POINT_ID],
        "responses": POINT_CHANGED}},
    "/api/duties/{duty_id}/deliveries": {"get": {
        "operationId": "listDeliveries",
        "summary": "How each party was reached about a duty: the latest message to each "
                   "destination and what became of it; for everyone who may see the duty",
        "tags": ["duties"], "parameters": [DUTY_ID],
        "responses": {"200": _json({"type": "object", "required": ["deliveries"],
                                    "properties": {"duty": {"type": "integer"},
                                                   "deliveries": {"type": "array",
                                                                  "items": _ref("Delivery")}}}),
                      **COMMON, **NOT_FOUND}}},
}
