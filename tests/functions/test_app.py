"""The wired app: its OpenAPI document (and a property-based run over it), CORS, routing errors, and
concurrent remixes on a real uvicorn."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import hypothesis
import pytest
import requests
import schemathesis

from functions.app import EXPOSED_HEADERS, create_app
from functions.settings import Settings
from tests.functions.conftest import start_uvicorn, stop_uvicorn
from tests.functions.test_inputs import assert_error

# --- the OpenAPI document ---------------------------------------------------------------------------


def test_the_openapi_document_describes_both_body_types_and_the_audio(client) -> None:
    document = client.get("/openapi.json").json()
    remix = document["paths"]["/remix"]["post"]
    assert set(remix["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert remix["requestBody"]["content"]["application/json"]["schema"]["required"] == ["urls"]
    assert {"audio/wav", "audio/mpeg", "application/json"} <= set(remix["responses"]["200"]["content"])
    assert {"400", "413", "415", "422", "502", "504"} <= set(remix["responses"])
    assert set(document["paths"]) == {"/remix", "/analyze", "/health", "/limits"}
    assert client.get("/docs").status_code == 200


def test_the_docs_page_loads_swagger_ui_from_the_function_itself(client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower() and "https://" not in page.text
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        assert f'"docs/assets/{asset}"' in page.text  # relative: it works under /api/ and behind Netlify
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert len(response.content) > 100_000
    assert "url: 'openapi.json'" in page.text
    assert_error(client.get("/docs/assets/swagger-ui.js.map"), 404, "not_found")


def test_routing_errors_are_json_too(client) -> None:
    assert_error(client.get("/nowhere"), 404, "not_found")
    response = client.get("/remix")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


# --- CORS -------------------------------------------------------------------------------------------


def test_cors_lets_the_configured_page_read_the_remix_headers(make_client, fake_library) -> None:
    client = make_client(cors_origins=("https://page.example",))
    preflight = client.options(
        "/remix",
        headers={
            "origin": "https://page.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://page.example"
    response = client.post(
        "/remix",
        files=[("files", ("a.wav", b"RIFF", "audio/wav"))],
        headers={"origin": "https://page.example"},
    )
    assert response.headers["access-control-allow-origin"] == "https://page.example"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert exposed == {h.lower() for h in EXPOSED_HEADERS} >= {"x-remix-seed", "x-remix-duration"}


PAGE = "https://page.example"
EVIL = {"origin": "https://evil.example"}


@pytest.mark.parametrize(
    ("origins", "headers", "phrases"),
    [
        ((), EVIL, ["pages at https://evil.example may not", "MUSICREMIXER_CORS_ORIGINS"]),
        ((PAGE,), EVIL, [f"origins allowed: {PAGE}"]),
        (
            (PAGE,),
            {"origin": PAGE, "access-control-request-method": "PUT"},
            ["PUT is not allowed (use GET or POST)"],
        ),
        (
            (PAGE,),
            {"origin": PAGE, "access-control-request-headers": "x-token"},
            ["headers x-token are not allowed"],
        ),
    ],
)
def test_a_refused_preflight_is_the_json_error(make_client, origins, headers, phrases) -> None:
    client = make_client(cors_origins=origins)
    response = client.options("/remix", headers={"access-control-request-method": "POST", **headers})
    detail = assert_error(response, 400, "cors_refused")["detail"]
    for phrase in phrases:
        assert phrase in detail
    # A refused origin gets no grant; an allowed one may read why its request was refused.
    assert response.headers.get("access-control-allow-origin") == (
        PAGE if headers["origin"] == PAGE else None
    )


def test_other_origins_get_no_cors_grant(make_client) -> None:
    for client in (make_client(), make_client(cors_origins=("https://page.example",))):
        response = client.get("/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers


# --- a property-based run over the OpenAPI document -------------------------------------------------

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings()))

# The remote-URL errors (502 fetch_failed, 504 fetch_timeout) are 5xx by design (docs/ARCHITECTURE.md §4); any
# other 5xx, and any error that is not our JSON shape, is a failure.
_UPSTREAM_CODES = {502: {"fetch_failed", "too_many_redirects"}, 504: {"fetch_timeout"}}


def no_server_error(ctx, response, case) -> None:
    """Every answer is < 500 or an upstream failure with its code; every error is {"detail", "code"}."""
    if response.status_code < 400:
        return
    body = response.json()
    assert set(body) == {"detail", "code"}, body
    if response.status_code >= 500:
        assert body["code"] in _UPSTREAM_CODES.get(response.status_code, set()), body


@schema.parametrize()
@hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)
def test_no_request_the_document_allows_or_forbids_makes_a_500(case, fake_library, network_guard) -> None:
    response = case.call()
    no_server_error(None, response, case)


# --- concurrency on a real server -------------------------------------------------------------------


def test_concurrent_remixes_equal_their_sequential_results(short_song, other_song) -> None:
    """8 remixes at once with different seeds (and songs) give the very bytes each gives alone."""
    server, thread, url = start_uvicorn(create_app(Settings()))
    try:
        jobs = [(song, seed) for seed in range(1, 5) for song in (short_song, other_song)]

        def remix(job: tuple[bytes, int]) -> bytes:
            song, seed = job
            response = requests.post(
                f"{url}/remix",
                files={"files": ("song.wav", io.BytesIO(song), "audio/wav")},
                # A length per seed: on songs this short the walk's rules (bar lines, loops of a
                # phrase at least) leave seeds few choices, and every response must differ.
                data={"seed": str(seed), "duration": str(18 + seed), "jumpiness": "1", "format": "flac"},
                timeout=120,
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-remix-seed"] == str(seed)
            return response.content

        sequential = [remix(job) for job in jobs]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            concurrent = list(pool.map(remix, jobs))
        elapsed = time.monotonic() - started
    finally:
        stop_uvicorn(server, thread)
    # Different lengths and songs give different remixes, so a response given to the wrong request
    # would show.
    assert len(set(sequential)) >= len(jobs) - 2
    for alone, together in zip(sequential, concurrent, strict=True):
        assert together == alone
    assert elapsed < 60
