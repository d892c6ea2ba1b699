"""The Lambda entry point, fed the events API Gateway (REST and HTTP APIs) and function URLs send.

Audio must come back base64 with ``isBase64Encoded`` and decode to the very bytes the local server
gives; JSON (answers and errors) must stay text.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from functions.handler import handler, mangum
from functions.local import create_local_app
from tests.functions.conftest import multipart_body, start_uvicorn, stop_uvicorn

CONTEXT = SimpleNamespace(
    function_name="musicremixer",
    function_version="$LATEST",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:musicremixer",
    memory_limit_in_mb=3008,
    aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    log_group_name="/aws/lambda/musicremixer",
    log_stream_name="2024/01/01/[$LATEST]abcdef",
    identity=None,
    client_context=None,
)


@pytest.fixture(autouse=True)
def main_thread_event_loop() -> Iterator[None]:
    """Mangum runs the app on ``asyncio.get_event_loop()``. A Lambda process always has one; a test
    process may not, after another test's ``asyncio.run()`` cleared it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def rest_v1_event(
    method: str, path: str, *, headers: dict[str, str], body: bytes | str | None
) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy event; binary bodies arrive base64 (binaryMediaTypes */*)."""
    binary = isinstance(body, bytes)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {
            "Host": "abc123.execute-api.us-east-1.amazonaws.com",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "443",
            "User-Agent": "curl/8.5.0",
            **headers,
        },
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abcdef",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "accountId": "123456789012",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
        },
        "body": base64.b64encode(body).decode() if binary else body,
        "isBase64Encoded": binary,
    }


def v2_event(
    method: str, path: str, *, headers: dict[str, str], body: bytes | str | None, function_url: bool = False
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event, or a Lambda function URL event (the same format)."""
    domain = (
        "abcdefg.lambda-url.us-east-1.on.aws"
        if function_url
        else "abc123.execute-api.us-east-1.amazonaws.com"
    )
    binary = isinstance(body, bytes)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": domain,
            "x-forwarded-proto": "https",
            "x-forwarded-port": "443",
            "user-agent": "Mozilla/5.0",
            **{k.lower(): v for k, v in headers.items()},
        },
        "requestContext": {
            "accountId": "123456789012" if not function_url else "anonymous",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "Mozilla/5.0",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2024:00:00:00 +0000",
            "timeEpoch": 1704067200000,
        },
        "isBase64Encoded": binary,
    }
    if body is not None:
        event["body"] = base64.b64encode(body).decode() if binary else body
    return event


JSON = {"Content-Type": "application/json"}


def upload_body(song: bytes, **fields: str) -> tuple[bytes, str]:
    return multipart_body([("song.wav", song, "audio/wav")], fields)


@pytest.fixture(scope="module")
def local_remix(short_song: bytes) -> bytes:
    """What the local server (page + API under /api, on a real uvicorn) answers for seed 13."""
    import requests

    server, thread, url = start_uvicorn(create_local_app())
    try:
        response = requests.post(
            f"{url}/api/remix",
            files={"files": ("song.wav", short_song, "audio/wav")},
            data={"seed": "13"},
            timeout=60,
        )
    finally:
        stop_uvicorn(server, thread)
    assert response.status_code == 200, response.text
    return response.content


def test_the_handler_keeps_mangums_text_types_and_skips_lifespan() -> None:
    assert mangum.config["text_mime_types"] == DEFAULT_TEXT_MIME_TYPES
    assert mangum.lifespan == "off"


def test_without_settings_the_function_keeps_to_lambdas_payload_limits(monkeypatch) -> None:
    # serverless.yml sets every limit; a deployment that sets none still fits Lambda's 6 MB.
    limits = json.loads(handler(v2_event("GET", "/limits", headers={}, body=None), CONTEXT)["body"])
    assert limits["max_response_bytes"] == 4_500_000 and limits["max_upload_bytes"] == 4_400_000


def _without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    inner = event
    for key in path[:-1]:
        inner = inner[key]
    del inner[path[-1]]
    return event


def _with(event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**event, **fields}


GET_HEALTH = v2_event("GET", "/health", headers={}, body=None)
MALFORMED_EVENTS = [
    # (event, a phrase of the detail)
    (None, "is NoneType, not a request object"),
    ([GET_HEALTH], "is list, not a request object"),
    ("GET /health", "is str, not a request object"),
    ({}, "not an API Gateway, function URL or load balancer request"),
    ({"hello": "world"}, "(its keys: hello)"),
    (_with(GET_HEALTH, body="not base64!", isBase64Encoded=True), "marked isBase64Encoded but is not base64"),
    (_with(rest_v1_event("POST", "/remix", headers=JSON, body=None), body="@@@=", isBase64Encoded=True),
     "not base64"),
    (_without(v2_event("GET", "/", headers={}, body=None), "requestContext", "http"), "no 'http' field"),
    (_without(rest_v1_event("GET", "/health", headers={}, body=None), "httpMethod"), "no 'httpMethod' field"),
    (_with(GET_HEALTH, requestContext=None), "not an API Gateway"),
    (_with(GET_HEALTH, headers=None), "a field has the wrong type"),
    (_with(GET_HEALTH, headers=["host"]), "a field has the wrong type"),
    (_with(GET_HEALTH, rawQueryString=5), "a field has the wrong type"),
    (_with(GET_HEALTH, body=5), "a field has the wrong type"),
]  # fmt: skip


@pytest.mark.parametrize(("event", "phrase"), MALFORMED_EVENTS)
def test_a_malformed_event_is_a_json_400(event, phrase) -> None:
    response = handler(event, CONTEXT)
    assert response["statusCode"] == 400 and response["isBase64Encoded"] is False
    assert response["headers"]["content-type"] == "application/json"
    body = json.loads(response["body"])
    assert body["code"] == "invalid_event" and phrase in body["detail"], body["detail"]
    assert "HTTP API" in body["detail"]


def test_an_unreadable_content_length_in_an_event_is_refused_not_a_500() -> None:
    event = v2_event("POST", "/remix", headers={"content-type": "application/json", "content-length": "²"},
                     body='{"urls": ["https://example.com/a.wav"]}')  # fmt: skip
    response = handler(event, CONTEXT)
    assert response["statusCode"] == 422
    assert "is not a number of bytes" in json.loads(response["body"])["detail"]


def test_rest_api_multipart_upload_returns_base64_audio(short_song, local_remix) -> None:
    body, content_type = upload_body(short_song, seed="13")
    response = handler(
        rest_v1_event("POST", "/remix", headers={"Content-Type": content_type}, body=body), CONTEXT
    )
    assert response["statusCode"] == 200, response["body"][:300]
    assert response["isBase64Encoded"] is True
    assert response["headers"]["content-type"] == "audio/wav"
    assert response["headers"]["content-disposition"] == 'attachment; filename="song-remix-13.wav"'
    assert response["headers"]["x-remix-seed"] == "13"
    assert base64.b64decode(response["body"]) == local_remix


@pytest.mark.parametrize("function_url", [False, True], ids=["http-api", "function-url"])
def test_v2_multipart_upload_returns_base64_audio(short_song, local_remix, function_url) -> None:
    body, content_type = upload_body(short_song, seed="13")
    event = v2_event(
        "POST", "/remix", headers={"content-type": content_type}, body=body, function_url=function_url
    )
    response = handler(event, CONTEXT)
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True and response["headers"]["content-type"] == "audio/wav"
    assert base64.b64decode(response["body"]) == local_remix


def test_the_json_remix_stays_text_and_carries_the_same_audio(short_song, local_remix) -> None:
    body, content_type = upload_body(short_song, seed="13")
    headers = {"content-type": content_type, "accept": "application/json"}
    response = handler(v2_event("POST", "/remix", headers=headers, body=body, function_url=True), CONTEXT)
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is False
    envelope = json.loads(response["body"])
    assert base64.b64decode(envelope["audio"]["base64"]) == local_remix
    assert envelope["plan"]["seed"] == 13


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        (rest_v1_event("POST", "/remix", headers=JSON, body='{"url": []}'), 422, "invalid_request"),
        (rest_v1_event("POST", "/remix", headers=JSON, body='{"urls": ["http://169.254.169.254/"]}'), 400,
         "url_refused"),
        (v2_event("POST", "/remix", headers={"content-type": "application/json"}, body='{"urls": []}'), 422,
         "no_input"),
        (v2_event("POST", "/analyze", headers={"content-type": "text/plain"}, body=b"\x00\x01binary"), 415,
         "unsupported_media_type"),
        (v2_event("GET", "/nowhere", headers={}, body=None, function_url=True), 404, "not_found"),
        (v2_event("PUT", "/remix", headers={}, body=None, function_url=True), 405, "method_not_allowed"),
    ],
)  # fmt: skip
def test_json_errors_stay_text(event, status, code) -> None:
    response = handler(event, CONTEXT)
    assert response["statusCode"] == status
    assert response["isBase64Encoded"] is False
    assert response["headers"]["content-type"] == "application/json"
    assert json.loads(response["body"])["code"] == code


def test_a_non_audio_upload_through_lambda_is_a_415_text_error() -> None:
    body, content_type = multipart_body([("notes.txt", b"just words", "text/plain")])
    response = handler(
        rest_v1_event("POST", "/remix", headers={"Content-Type": content_type}, body=body), CONTEXT
    )
    assert response["statusCode"] == 415 and response["isBase64Encoded"] is False
    assert json.loads(response["body"])["code"] == "not_audio"


@pytest.mark.parametrize("path", ["/health", "/limits", "/openapi.json"])
def test_get_endpoints_answer_text_json(path) -> None:
    response = handler(rest_v1_event("GET", path, headers={}, body=None), CONTEXT)
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is False
    assert isinstance(json.loads(response["body"]), dict)


def test_importing_the_handler_does_not_import_the_engine() -> None:
    # A cold start is an import-graph problem (docs/ARCHITECTURE.md §5): the engine loads on the first remix.
    code = (
        "import sys, threading, functions.handler; "
        "heavy = ('numpy', 'musicremixer', 'soundfile', 'scipy', 'requests', 'sklearn'); "
        "print(','.join(m for m in heavy if m in sys.modules), threading.active_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "1"  # nothing heavy, and no thread importing it either
