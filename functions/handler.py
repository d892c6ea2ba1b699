"""The AWS Lambda entry point: ``functions.handler.handler``.

Valid events go to Mangum as they are. Mangum's default ``text_mime_types`` are kept (passing the
argument replaces them, docs/ARCHITECTURE.md): JSON bodies go out as text, audio as base64 with
``isBase64Encoded``. Lifespan events are off: the app has no startup work, and a cold start should
do none. Importing this module stays light; the remix engine is imported by the first request
that needs it. (Not in a background thread at init: two threads importing scipy at once can each
find the other's half-initialized modules and fail.)

An event Mangum cannot read (a ``body`` marked base64 that isn't, no ``requestContext.http``, not
an object at all) would make it raise, and API Gateway would answer with its own error page. It
gets a 400 in the API's JSON shape instead (:func:`event_problem` says what is wrong).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from mangum import Mangum

from functions.app import create_app
from functions.errors import STATUS_BY_CODE
from functions.settings import Settings

logger = logging.getLogger(__name__)

#: The Mangum adapter around the app, with the settings Lambda needs where the environment is silent.
mangum = Mangum(create_app(Settings.from_env(base=Settings.for_lambda())), lifespan="off")

_KINDS = {
    "HTTPGateway": "HTTP API (payload 2.0) or function URL",
    "APIGateway": "REST API",
    "ALB": "load balancer",
    "LambdaAtEdge": "CloudFront Lambda@Edge",
}


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Answer one Lambda invocation: through Mangum, or with a JSON 400 for an unreadable event."""
    problem = event_problem(event, context)
    if problem:
        return _json_answer("invalid_event", problem)
    try:
        return mangum(event, context)
    except Exception:  # the app answers its own errors; this is an event Mangum choked on later
        logger.exception("Mangum could not answer an event it accepted")
        return _json_answer("internal_error", "Something went wrong on our side; please try again.")


def event_problem(event: Any, context: Any) -> str | None:
    """Why Mangum cannot turn ``event`` into a request, or ``None`` when it can.

    It reads the event the way Mangum does (the handler it infers, the request's scope and body)
    and turns the first failure into a sentence that names the field.
    """
    how = "invoke the function through its HTTP API (or a function URL)"
    if not isinstance(event, dict):
        return f"The Lambda event is {type(event).__name__}, not a request object: {how}."
    try:
        inferred = mangum.infer(event, context)
    except (RuntimeError, TypeError):
        keys = ", ".join(sorted(map(str, event))[:8]) or "none"
        return (
            "The Lambda event is not an API Gateway, function URL or load balancer request "
            f"(its keys: {keys}): {how}."
        )
    kind = _KINDS.get(type(inferred).__name__, type(inferred).__name__)
    body = event.get("body")
    if event.get("isBase64Encoded") and isinstance(body, str):
        try:  # strictly: Mangum's decoder skips what is not base64 and passes on the rest
            base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            return f"The event's body is marked isBase64Encoded but is not base64 ({exc}): {how}."
    try:
        inferred.scope  # noqa: B018 -- reading them is the check
        inferred.body  # noqa: B018
    except binascii.Error as exc:
        return f"The event's body is marked isBase64Encoded but is not base64 ({exc}): {how}."
    except KeyError as exc:
        return f"The event looks like a {kind} request but has no {exc.args[0]!r} field: {how}."
    except (TypeError, AttributeError, ValueError, UnicodeError) as exc:
        return f"The event looks like a {kind} request but a field has the wrong type ({exc}): {how}."
    return None


def _json_answer(code: str, detail: str) -> dict[str, Any]:
    """An answer every Lambda HTTP integration understands, with the API's error body."""
    return {
        "statusCode": STATUS_BY_CODE[code],
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"detail": detail, "code": code}),
        "isBase64Encoded": False,
    }
