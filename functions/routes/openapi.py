"""OpenAPI pieces the remix routes share: their two request body types and their error answers.

FastAPI declares one body type per route; ``/remix`` and ``/analyze`` take JSON *or* a multipart
form, so they read the body themselves and describe it here.
"""

from __future__ import annotations

from typing import Any

from functions.errors import STATUS_BY_CODE
from functions.models import RemixJSON, multipart_schema

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail", "code"],
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "Error: " + ", ".join(code for code, s in STATUS_BY_CODE.items() if s == status),
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
    for status in sorted(set(STATUS_BY_CODE.values()) - {404, 405, 406})
}


def request_body() -> dict[str, Any]:
    """``openapi_extra`` for a route that takes the remix inputs as JSON or as a multipart form."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": RemixJSON.model_json_schema()},
                "multipart/form-data": {"schema": multipart_schema()},
            },
        }
    }
