"""OpenAPI fragments for the ingest endpoint (its body is read raw for speed)."""

from __future__ import annotations

from typing import Any

__all__ = ["ASSIGN_OPENAPI", "INGEST_OPENAPI"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

_ENVELOPE = {
    "type": "object",
    "description": "An event envelope (see the registry: `rastup-data contracts examples`).",
    "properties": {
        "event": {"type": "string"},
        "v": {"type": "integer"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "user_id": {"type": ["string", "null"]},
        "anon_id": {"type": ["string", "null"]},
        "session_id": {"type": ["string", "null"]},
        "context": {"type": "object"},
        "ids": {"type": "object", "properties": {"event_id": {"type": "string"}}},
        "payload": {"type": "object"},
    },
}

_VERDICTS = {
    "type": "object",
    "required": ["accepted", "duplicates", "rejected", "suppressed", "results"],
    "properties": {
        "accepted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "rejected": {"type": "integer"},
        "suppressed": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "event_id", "status", "code", "message"],
                "properties": {
                    "index": {"type": "integer"},
                    "event_id": {"type": ["string", "null"]},
                    "status": {
                        "type": "string",
                        "enum": ["duplicate", "rejected", "suppressed"],
                    },
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _error(description: str, *, retry: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ERROR}},
    }
    if retry:
        out["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return out


INGEST_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": _ENVELOPE, "maxItems": 1000}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
    "parameters": [
        {
            "name": "Authorization",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "Bearer KEY",
        },
        {
            "name": "Content-Encoding",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "enum": ["gzip", "identity"]},
        },
    ],
    "responses": {
        "202": {
            "description": "Accepted events are durable; one verdict per event not accepted.",
            "content": {"application/json": {"schema": _VERDICTS}},
        },
        "400": _error("Malformed body (BODY_MALFORMED)."),
        "401": _error("Missing or unknown API key (AUTH_FAILED)."),
        "413": _error("Body, decompressed body or batch over the limits."),
        "415": _error("Unsupported Content-Encoding."),
        "503": _error("Overloaded or spool unavailable; retry after Retry-After.", retry=True),
    },
}


ASSIGN_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["experiment"],
                    "properties": {
                        "experiment": {"type": "string"},
                        "unit_id": {"type": "string"},
                        "anon_id": {"type": "string"},
                        "user_id": {"type": "string"},
                        "session_id": {"type": "string"},
                        "attributes": {"type": "object"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": {
            "description": "The variant (null when the unit is not in the experiment).",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "experiment": {"type": "string"},
                            "variant": {"type": ["string", "null"]},
                            "in_experiment": {"type": "boolean"},
                            "unit_id": {"type": "string"},
                            "unit_type": {"type": "string"},
                            "bucket": {"type": "integer"},
                            "reason": {"type": "string"},
                            "exposure_logged": {"type": "boolean"},
                        },
                    }
                }
            },
        },
        "400": _error("Invalid request or experiment (EXPERIMENT_INVALID, BODY_MALFORMED)."),
        "401": _error("Missing or unknown API key (AUTH_FAILED)."),
        "503": _error("Spool unavailable; retry after Retry-After.", retry=True),
    },
}
