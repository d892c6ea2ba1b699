"""Every limit of a request, at the limit (accepted) and one past it (refused with its own code).

The library is replaced (``fake_library``): a request within every limit reaches it, one past a
limit never does.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from functions.fetch import MAX_REDIRECTS, FetchError, FetchPolicy, fetch_url
from functions.forms import MAX_FIELD_BYTES, MAX_FIELDS
from functions.inputs import MAX_JSON_BYTES
from functions.models import MAX_DURATION_S, MAX_URL_CHARS, MIN_DURATION_S
from tests.functions.conftest import multipart_parts
from tests.functions.test_fetch import redirect
from tests.functions.test_inputs import WAV, assert_error

URL = "https://example.com/song.wav"


def upload_parts(count: int) -> list:
    return [("files", (f"{i}.wav", WAV, "audio/wav")) for i in range(count)]


def post_parts(client, parts):
    body, content_type = multipart_parts(parts)
    return client.post("/remix", content=body, headers={"content-type": content_type})


# --- how many songs -------------------------------------------------------------------------------


@pytest.mark.parametrize("max_inputs", [1, 4])
def test_files_at_the_limit_are_accepted_and_one_more_refused(make_client, fake_library, max_inputs) -> None:
    client = make_client(max_inputs=max_inputs)
    assert post_parts(client, upload_parts(max_inputs)).status_code == 200
    assert len(fake_library.calls[0]["sources"]) == max_inputs
    detail = assert_error(post_parts(client, upload_parts(max_inputs + 1)), 422, "too_many_inputs")["detail"]
    assert f"send at most {max_inputs}" in detail
    assert len(fake_library.calls) == 1


def test_urls_at_the_limit_are_accepted_and_one_more_refused(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/a.wav", WAV)
    client = make_client(allow_private_urls=True)  # the default limit: 4
    assert client.post("/remix", json={"urls": [url] * 4}).status_code == 200
    assert_error(client.post("/remix", json={"urls": [url] * 5}), 422, "too_many_inputs")
    assert len(fake_library.calls) == 1


def test_files_and_urls_together_count_against_one_limit(make_client, fake_library, audio_server) -> None:
    url = audio_server.serve("/a.wav", WAV)
    client = make_client(allow_private_urls=True)
    assert post_parts(client, [*upload_parts(3), ("urls", url)]).status_code == 200
    assert_error(post_parts(client, [*upload_parts(3), ("urls", url), ("urls", url)]), 422, "too_many_inputs")


# --- bytes ------------------------------------------------------------------------------------------


def test_an_upload_request_at_its_byte_limit_is_accepted_and_one_byte_more_refused(
    make_client, fake_library
) -> None:
    parts = upload_parts(1)
    body, _ = multipart_parts(parts)
    client = make_client(max_upload_bytes=len(body))
    assert post_parts(client, parts).status_code == 200
    longer = [("files", ("0.wav", WAV + b"\0", "audio/wav"))]
    assert_error(post_parts(client, longer), 413, "request_too_large")


def test_a_json_body_at_its_byte_limit_is_accepted_and_one_byte_more_refused(client, fake_library) -> None:
    start = json.dumps({"urls": ["ftp://x/"]})[:-1]  # ftp: refused after parsing, before any fetch
    padding = MAX_JSON_BYTES - len(start) - 1
    at_limit = (start + " " * padding + "}").encode()
    assert len(at_limit) == MAX_JSON_BYTES
    assert_error(client.post("/remix", content=at_limit, headers={"content-type": "application/json"}), 400,
                 "invalid_url")  # fmt: skip
    over = at_limit[:-1] + b" }"
    assert_error(client.post("/remix", content=over, headers={"content-type": "application/json"}), 413,
                 "request_too_large")  # fmt: skip


@pytest.mark.parametrize("where", ["json", "form"])
def test_a_url_at_its_length_limit_is_accepted_and_one_character_more_refused(client, fake_library, where):
    at_limit = "ftp://x/" + "a" * (MAX_URL_CHARS - len("ftp://x/"))
    over = at_limit + "a"

    def send(url: str):
        if where == "json":
            return client.post("/remix", json={"urls": [url]})
        return post_parts(client, [*upload_parts(1), ("urls", url)])

    assert_error(send(at_limit), 400, "invalid_url")  # past the length check, refused for its scheme
    detail = assert_error(send(over), 422, "invalid_request")["detail"]
    assert f"{MAX_URL_CHARS + 1} characters long; the limit is {MAX_URL_CHARS}" in detail


def test_form_fields_at_their_limits_are_accepted_and_one_more_refused(client, fake_library) -> None:
    # MAX_FIELDS text fields, one of them MAX_FIELD_BYTES long; the empty urls fields are ignored.
    fields = [("urls", "") for _ in range(MAX_FIELDS - 1)] + [("urls", " " * MAX_FIELD_BYTES)]
    assert post_parts(client, [*upload_parts(1), *fields]).status_code == 200
    assert_error(post_parts(client, [*upload_parts(1), *fields, ("urls", "")]), 413, "request_too_large")
    longer = [*fields[:-1], ("urls", " " * (MAX_FIELD_BYTES + 1))]
    assert_error(post_parts(client, [*upload_parts(1), *longer]), 413, "request_too_large")


# --- the options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "accepted", "refused"),
    [
        ("duration", MIN_DURATION_S, math.nextafter(MIN_DURATION_S, 0)),
        ("duration", MAX_DURATION_S, math.nextafter(MAX_DURATION_S, math.inf)),
        ("seed", 0, -1),
        ("seed", 2**63 - 1, 2**63),
        ("jumpiness", 0.0, math.nextafter(0.0, -1)),
        ("jumpiness", 1.0, math.nextafter(1.0, 2)),
    ],
)
def test_options_at_their_limits_are_accepted_and_just_past_refused(
    client, fake_library, field, accepted, refused
) -> None:
    files = upload_parts(1)
    assert client.post("/remix", files=files, data={field: repr(accepted)}).status_code == 200
    assert fake_library.calls[-1][field] == accepted
    detail = assert_error(client.post("/remix", files=files, data={field: repr(refused)}), 422,
                          "invalid_request")["detail"]  # fmt: skip
    assert detail.startswith(f"{field}=") and "is not allowed: use " in detail
    assert len(fake_library.calls) == 1


# --- redirects --------------------------------------------------------------------------------------


def test_redirects_up_to_the_limit_are_followed_and_one_more_refused(audio_server) -> None:
    audio_server.serve("/song.wav", WAV)
    target = "/song.wav"
    for hop in range(MAX_REDIRECTS + 1):
        target = redirect(audio_server, f"/r{hop}", target).removeprefix(audio_server.url(""))
    policy = FetchPolicy(max_bytes=1000, allow_private=True)
    within = audio_server.url(f"/r{MAX_REDIRECTS - 1}")  # MAX_REDIRECTS redirects, then the file
    assert fetch_url(within, policy=policy, deadline=time.monotonic() + 5).data == WAV
    with pytest.raises(FetchError) as info:
        fetch_url(audio_server.url(f"/r{MAX_REDIRECTS}"), policy=policy, deadline=time.monotonic() + 5)
    assert info.value.code == "too_many_redirects"
