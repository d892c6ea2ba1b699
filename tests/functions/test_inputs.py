"""Every bad request gets a 4xx JSON error with a stable code, before any work is done.

The library is replaced (``fake_library``): these requests must never reach it.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from functions import inputs
from functions.errors import ApiError
from tests.functions.conftest import multipart_body

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "  # a WAV's first bytes: enough to pass the non-audio checks
URL = "https://example.com/song.wav"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    return body


JSON_CASES = [
    # (body, status, code, a phrase the detail must contain)
    ([URL], 422, "invalid_request", "JSON object"),
    ("just a string", 422, "invalid_request", "JSON object"),
    ({}, 422, "invalid_request", "'urls' is required"),
    ({"url": [URL]}, 422, "invalid_request", "unknown field 'url'"),
    ({"urls": [URL], "durations": 30}, 422, "invalid_request", "unknown field 'durations'"),
    ({"urls": URL}, 422, "invalid_request", "urls"),
    ({"urls": [1, 2]}, 422, "invalid_request", "urls.0"),
    ({"urls": [{"href": URL}]}, 422, "invalid_request", "urls.0"),
    ({"urls": []}, 422, "no_input", "at least one URL"),
    ({"urls": [URL] * 5}, 422, "too_many_inputs", "limit is 4"),
    ({"urls": [URL], "format": "aiff"}, 422, "unsupported_format", "format='aiff' is not supported"),
    ({"urls": [URL], "format": "WAV"}, 422, "unsupported_format", "wav, flac, ogg or mp3"),
    ({"urls": [URL], "format": None}, 422, "unsupported_format", "not supported"),
    ({"urls": [URL], "duration": 0}, 422, "invalid_request", "duration"),
    ({"urls": [URL], "duration": -5}, 422, "invalid_request", "duration"),
    ({"urls": [URL], "duration": 1e9}, 422, "invalid_request", "duration"),
    ({"urls": [URL], "duration": "long"}, 422, "invalid_request", "duration"),
    ({"urls": [URL], "seed": -1}, 422, "invalid_request", "seed"),
    ({"urls": [URL], "seed": 2**63}, 422, "invalid_request", "seed"),
    ({"urls": [URL], "seed": 1.5}, 422, "invalid_request", "seed"),
    ({"urls": [URL], "seed": True}, 422, "invalid_request", "not true or false"),
    ({"urls": [URL], "jumpiness": 1.5}, 422, "invalid_request", "jumpiness"),
    ({"urls": [URL], "jumpiness": -0.1}, 422, "invalid_request", "jumpiness"),
    ({"urls": ["ftp://example.com/song.wav"]}, 400, "invalid_url", "only http:// and https://"),
    ({"urls": ["file:///etc/passwd"]}, 400, "invalid_url", "only http:// and https://"),
    ({"urls": ["song.wav"]}, 400, "invalid_url", "only http:// and https://"),
    ({"urls": ["https://me:pw@example.com/a.wav"]}, 400, "invalid_url", "credentials"),
    ({"urls": ["http://127.0.0.1:9001/x"]}, 400, "url_refused", "loopback"),
    ({"urls": ["http://169.254.169.254/latest/meta-data/"]}, 400, "url_refused", "link-local"),
    ({"urls": ["https://example.com/" + "a" * 3000]}, 422, "invalid_request", "limit is 2048"),
    ({"urls": ["http://[::1/a.wav"]}, 400, "invalid_url", "'[' or ']' without its pair"),
    ({"urls": ["http://]/x"]}, 400, "invalid_url", "'[' or ']' without its pair"),
    ({"urls": ["http://[x]/"]}, 400, "invalid_url", "the host in brackets is not an IP address"),
    ({"urls": [URL, "http://[::1/b.wav"]}, 400, "invalid_url", "http://[::1/b.wav"),
]


@pytest.mark.parametrize("path", ["/remix", "/analyze"])
@pytest.mark.parametrize(("body", "status", "code", "phrase"), JSON_CASES)
def test_bad_json_requests(client, fake_library, network_guard, path, body, status, code, phrase) -> None:
    detail = assert_error(client.post(path, json=body), status, code)["detail"]
    assert phrase in detail
    assert fake_library.calls == []
    assert network_guard.refused == []


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "invalid_json"),
        (b"", {"content-type": "application/json"}, 400, "invalid_json"),
        (b"", {}, 400, "invalid_json"),
        (b'{"urls": ["x"]', {}, 400, "invalid_json"),
        (b"\xff\xfe\x00", {"content-type": "application/json"}, 400, "invalid_json"),
        (b"urls=https://example.com/a.wav", {"content-type": "application/x-www-form-urlencoded"}, 415,
         "unsupported_media_type"),
        (b"https://example.com/a.wav", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        (WAV, {"content-type": "audio/wav"}, 415, "unsupported_media_type"),
        (b"--x--", {"content-type": "multipart/form-data"}, 422, "invalid_request"),  # no boundary
        (b"garbage", {"content-type": "multipart/form-data; boundary=x"}, 422, "invalid_request"),
    ],
)  # fmt: skip
def test_bad_bodies(client, fake_library, content, headers, status, code) -> None:
    assert_error(client.post("/remix", content=content, headers=headers), status, code)
    assert fake_library.calls == []


SECONDS = "use a number of seconds from 1 to 3600"
SEED = "use a whole number from 0 to 2**63 - 1"
DIGITS = "(a number of 5,000 digits) is not allowed"


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("duration", b"NaN", f"duration=nan is not allowed: {SECONDS}"),
        ("duration", b"Infinity", f"duration=inf is not allowed: {SECONDS}"),
        ("jumpiness", b"NaN", "jumpiness=nan is not allowed: use a number from 0 to 1"),
        ("duration", b"1e-9", f"duration=1e-09 is not allowed: {SECONDS}"),
        ("duration", b"0.5", f"duration=0.5 is not allowed: {SECONDS}"),
        ("duration", b"9" * 5000, f"duration=9999999999… {DIGITS}: {SECONDS}"),
        ("seed", b"-" + b"9" * 5000, f"seed=-999999999… {DIGITS}: {SEED}"),
        ("seed", b"1e20", f"seed=1e+20 is not allowed: {SEED}"),
        ("seed", b'"' + b"7" * 300 + b'"', "seed='777777777… (a number of 300 digits) is not allowed"),
    ],
)
def test_a_refused_value_is_named_with_what_is_allowed(client, fake_library, field, value, detail) -> None:
    body = b'{"urls": ["%s"], "%s": %s}' % (URL.encode(), field.encode(), value)
    response = client.post("/remix", content=body, headers={"content-type": "application/json"})
    assert detail in assert_error(response, 422, "invalid_request")["detail"]
    assert "not valid JSON" not in response.json()["detail"]


def test_a_json_body_over_its_cap_is_refused(client, fake_library) -> None:
    body = json.dumps({"urls": [URL], "padding": "x" * 70_000}).encode()
    assert_error(client.post("/remix", content=body, headers={"content-type": "application/json"}), 413,
                 "request_too_large")  # fmt: skip


def post_form(client, files, data=None, path="/remix"):
    if not files:  # httpx would send a form without files urlencoded
        body, content_type = multipart_body([], data)
        return client.post(path, content=body, headers={"content-type": content_type})
    return client.post(path, files=files, data=data or {})


FORM_CASES = [
    # (files, fields, status, code, phrase)
    ([("file", ("a.wav", WAV, "audio/wav"))], {}, 422, "invalid_request", "unknown file field 'file'"),
    ([("song", ("a.wav", WAV, "audio/wav"))], {}, 422, "invalid_request", "'files' part"),
    ([], {"files": "a.wav"}, 422, "invalid_request", "must be file parts"),
    ([], {"duration": "30"}, 422, "no_input", "'files' part"),
    ([("files", ("a.wav", WAV, "audio/wav"))], {"format": "aiff"}, 422, "unsupported_format", "aiff"),
    ([("files", ("a.wav", WAV, "audio/wav"))], {"duration": "soon"}, 422, "invalid_request", "duration"),
    ([("files", ("a.wav", WAV, "audio/wav"))], {"seed": "-3"}, 422, "invalid_request", "seed"),
    ([("files", ("a.wav", WAV, "audio/wav"))], {"jumpiness": "2"}, 422, "invalid_request", "jumpiness"),
    (
        [("files", ("a.wav", WAV, "audio/wav"))],
        {"tempo": "120"},
        422,
        "invalid_request",
        "unknown field 'tempo'",
    ),
    ([("files", ("a.wav", WAV, "audio/wav"))] * 5, {}, 422, "too_many_inputs", "at most 4"),
    (
        [("files", ("a.wav", WAV, "audio/wav"))] * 3,
        {"urls": [URL, URL]},
        422,
        "too_many_inputs",
        "limit is 4",
    ),
    ([("files", ("notes.txt", b"la la la", "text/plain"))], {}, 415, "not_audio", "notes.txt"),
    ([("files", ("page.html", b"<html></html>", "text/html"))], {}, 415, "not_audio", "HTML page"),
    ([("files", ("cover.png", b"\x89PNG\r\n", "image/png"))], {}, 415, "not_audio", "image/png"),
    ([("files", ("song.mp3", b"<!DOCTYPE html><p>", "audio/mpeg"))], {}, 415, "not_audio", "HTML page"),
    ([("files", ("a.wav", WAV, "audio/wav"))], {"urls": "ftp://x/y.wav"}, 400, "invalid_url", "ftp"),
    (
        [("files", ("a.wav", WAV, "audio/wav"))],
        {"urls": "http://10.0.0.1/a.wav"},
        400,
        "url_refused",
        "private",
    ),
]


@pytest.mark.parametrize("path", ["/remix", "/analyze"])
@pytest.mark.parametrize(("files", "fields", "status", "code", "phrase"), FORM_CASES)
def test_bad_forms(client, fake_library, path, files, fields, status, code, phrase) -> None:
    detail = assert_error(post_form(client, files, fields, path), status, code)["detail"]
    assert phrase in detail
    assert fake_library.calls == []


def test_a_repeated_option_field_is_refused(client, fake_library) -> None:
    response = post_form(client, [("files", ("a.wav", WAV, "audio/wav"))], {"seed": ["1", "2"]})
    assert "more than once" in assert_error(response, 422, "invalid_request")["detail"]


def test_an_oversized_upload_is_refused_while_it_streams(make_client, fake_library) -> None:
    client = make_client(max_input_bytes=10_000)
    response = post_form(client, [("files", ("big.wav", WAV + b"\0" * 20_000, "audio/wav"))])
    detail = assert_error(response, 413, "input_too_large")["detail"]
    assert "big.wav" in detail and "10,000 bytes" in detail
    assert fake_library.calls == []


def test_an_upload_at_the_limit_is_accepted(make_client, fake_library) -> None:
    data = WAV + b"\0" * (10_000 - len(WAV))
    response = post_form(make_client(max_input_bytes=10_000), [("files", ("ok.wav", data, "audio/wav"))])
    assert response.status_code == 200
    assert fake_library.calls[0]["sources"] == [("ok.wav", data)]


def test_a_body_declaring_more_than_the_inputs_may_take_is_refused_unread(make_client, fake_library) -> None:
    client = make_client(max_input_bytes=10_000, max_inputs=1)
    body, content_type = multipart_body([("a.wav", WAV, "audio/wav")])
    response = client.post(
        "/remix", content=body, headers={"content-type": content_type, "content-length": "999999"}
    )
    assert_error(response, 413, "request_too_large")


def test_an_upload_over_the_request_cap_is_refused_with_the_way_round_it(make_client, fake_library) -> None:
    # On Lambda a request carries ~4.4 MB of files; two files within the per-input cap can pass it.
    client = make_client(max_upload_bytes=15_000, max_input_bytes=10_000)
    half = WAV + b"\0" * 8_000
    response = post_form(
        client, [("files", ("a.wav", half, "audio/wav")), ("files", ("b.wav", half, "audio/wav"))]
    )
    detail = assert_error(response, 413, "request_too_large")["detail"]
    assert "15,000 bytes" in detail and "URL" in detail
    assert fake_library.calls == []
    assert client.get("/limits").json()["max_upload_bytes"] == 15_000


def test_the_limit_on_inputs_follows_the_settings(make_client, fake_library) -> None:
    client = make_client(max_inputs=1)
    assert (
        "limit is 1"
        in assert_error(client.post("/remix", json={"urls": [URL, URL]}), 422, "too_many_inputs")["detail"]
    )


def test_empty_form_fields_count_as_absent(client, fake_library) -> None:
    response = post_form(client, [("files", ("a.wav", WAV, "audio/wav"))],
                         {"duration": "", "seed": "", "jumpiness": "", "format": ""})  # fmt: skip
    assert response.status_code == 200
    call = fake_library.calls[0]
    assert (call["duration"], call["seed"], call["jumpiness"], call["format"]) == (None, None, 0.5, "wav")


def _drip(chunks: list[tuple[float, bytes]]):
    async def body():
        for pause, chunk in chunks:
            await asyncio.sleep(pause)
            yield chunk

    return body()


def _read(chunks: list[tuple[float, bytes]]) -> bytes:
    return asyncio.run(inputs._read_all(_drip(chunks), limit=1 << 20, declared=None))


def test_a_body_that_pauses_too_long_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(inputs, "BODY_IDLE_S", 0.2)
    assert _read([(0.0, b"a"), (0.05, b"b")]) == b"ab"
    with pytest.raises(ApiError) as caught:
        _read([(0.0, b"a"), (0.5, b"b")])
    assert caught.value.code == "request_timeout" and caught.value.status_code == 408
    assert "1 bytes" in str(caught.value) and "URL instead" in str(caught.value)


def test_a_body_that_drips_is_refused_after_its_grace(monkeypatch) -> None:
    monkeypatch.setattr(inputs, "BODY_GRACE_S", 0.3)
    monkeypatch.setattr(inputs, "MIN_BODY_BYTES_PER_S", 100)
    # 10 bytes every 0.1 s: 100 B/s, kept up with, passes; 1 byte every 0.1 s falls behind.
    assert len(_read([(0.1, b"x" * 10)] * 8)) == 80
    with pytest.raises(ApiError) as caught:
        _read([(0.1, b"x")] * 8)
    assert caught.value.code == "request_timeout"
