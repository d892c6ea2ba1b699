"""serverless.yml: the function as deployed — its image, its routes, its limits and its settings."""

from __future__ import annotations

import dataclasses

from tests.deploy.config import API_ROUTES, ROOT, environment, route_keys, route_matches, serverless

LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024


def app_routes() -> list[tuple[str, str, bool]]:
    """``(method, path, in_schema)`` for every route of the FastAPI app, HEAD included."""
    from functions.app import create_app
    from functions.settings import Settings

    app = create_app(Settings())
    found: set[tuple[str, str, bool]] = set()

    def walk(routes, prefix: str, in_schema: bool) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI >= 0.16x: include_router
            if included is not None:
                context = getattr(route, "include_context", None)
                more = getattr(context, "prefix", "")
                walk(
                    included.routes, prefix + more, in_schema and getattr(context, "include_in_schema", True)
                )
            elif hasattr(route, "routes") and hasattr(route, "path"):  # a Mount
                walk(route.routes, prefix + route.path, in_schema)
            elif hasattr(route, "path"):
                schema = in_schema and getattr(route, "include_in_schema", False)
                for method in getattr(route, "methods", None) or {"GET"}:
                    found.add((method, prefix + route.path, schema))

    walk(app.routes, "", True)
    # The OpenAPI schema is the public record of the API: every operation in it must be found above.
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert documented <= {(m, p) for m, p, in_schema in found if in_schema}, documented
    return sorted(found)


def test_every_api_endpoint_has_its_own_route():
    # The contract's endpoints and every endpoint the app documents in its OpenAPI schema.
    wanted = set(API_ROUTES) | {(m, p) for m, p, in_schema in app_routes() if in_schema and m != "HEAD"}
    keys = route_keys()
    missing = [
        f"{m} {p}"
        for m, p in sorted(wanted)
        if not any(route_matches(k, m, p, explicit_only=True) for k in keys)
    ]
    assert not missing, f"serverless.yml has no httpApi route for {missing}"


def test_every_app_route_reaches_the_function():
    # Including /docs, /openapi.json and HEAD requests: whatever the app answers must get to it.
    keys = route_keys()
    lost = [f"{m} {p}" for m, p, _ in app_routes() if not any(route_matches(k, m, p) for k in keys)]
    assert not lost, f"API Gateway would answer these itself (404): {lost}"


def test_route_matching_is_api_gateways():
    # The matcher the two tests above rely on.
    assert route_matches("POST /remix", "POST", "/remix", explicit_only=True)
    assert not route_matches("POST /remix", "GET", "/remix")
    assert not route_matches("POST /remix", "POST", "/remix/x")
    assert route_matches("GET /items/{id}", "GET", "/items/{item_id}", explicit_only=True)
    assert route_matches("ANY /{proxy+}", "PUT", "/a/b")
    assert not route_matches("ANY /{proxy+}", "PUT", "/a/b", explicit_only=True)
    assert route_matches("*", "HEAD", "/docs") and not route_matches("*", "GET", "/", explicit_only=True)


def test_the_function_is_the_dockerfile_image():
    config = serverless()
    function = config["functions"]["api"]
    # An image function takes its runtime and handler from the image: neither may be set here.
    assert "handler" not in function and "runtime" not in function
    name = function["image"]["name"] if isinstance(function["image"], dict) else function["image"]
    image = config["provider"]["ecr"]["images"][name]
    assert (ROOT / image.get("path", ".") / image.get("file", "Dockerfile")).resolve() == ROOT / "Dockerfile"
    # If the command is ever set here it must be the image's CMD (tests/deploy/test_dockerfile.py).
    command = function["image"].get("command") if isinstance(function["image"], dict) else None
    assert command in (None, ["functions.handler.handler"])


def test_architecture_and_build_platform_agree():
    provider = serverless()["provider"]
    platform = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}[provider.get("architecture", "x86_64")]
    for image in provider["ecr"]["images"].values():
        assert image.get("platform") == platform


def test_timeout_and_memory():
    provider = serverless()["provider"]
    function = serverless()["functions"]["api"]
    timeout = function.get("timeout", provider.get("timeout", 6))
    memory = function.get("memorySize", provider.get("memorySize", 1024))
    # HTTP API waits at most 30 s for the integration; Lambda's default of 6 s is far too short.
    assert 10 <= timeout <= 29
    # At least one whole vCPU (1,769 MB); at most Lambda's maximum.
    assert 1769 <= memory <= 10240


def test_framework_version_and_strict_validation():
    config = serverless()
    assert str(config["frameworkVersion"]) == "3"  # v4 needs a login; the docs use npx serverless@3
    assert config.get("configValidationMode") == "error"


def test_environment_is_the_apps_settings():
    from functions.settings import PREFIX, Settings

    env = environment()
    known = {PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
    assert set(env) <= known, f"unknown settings: {set(env) - known}"
    assert set(env) == known, f"set every setting explicitly; missing: {known - set(env)}"
    settings = Settings.from_env(env)  # raises on a malformed value
    # On Lambda the runtime API is on 127.0.0.1:9001: private addresses must never be fetched.
    assert settings.allow_private_urls is False
    # Audio goes out base64-encoded inside Lambda's 6 MB response.
    assert settings.max_response_bytes * 4 / 3 + 64 * 1024 <= LAMBDA_PAYLOAD_BYTES
    # The worst request must fit Netlify's 26 s: fetching, then ~1.25 s of CPU per minute of audio
    # (1 s measured with bench/cold_start.py, and the beat network's 0.25 s), plus ~2 s of imports
    # when cold.
    worst_cpu = 1.25 * settings.max_inputs * settings.max_input_seconds / 60
    assert settings.fetch_timeout_s + worst_cpu + 2 <= 26, (settings.fetch_timeout_s, worst_cpu)


def test_deployed_settings_reach_the_app(monkeypatch):
    # GET /limits through Mangum, with a real HTTP API event, under the settings serverless.yml deploys.
    import json

    from mangum import Mangum

    from bench.cold_start import http_api_event
    from functions.app import create_app
    from tests.deploy.netlify_site import invoke

    for key, value in environment().items():
        monkeypatch.setenv(key, value)
    deployed = Mangum(create_app(), lifespan="off")
    response = invoke(deployed, http_api_event("GET", "/limits"))
    assert response["statusCode"] == 200, response
    limits = json.loads(response["body"])
    assert limits["max_inputs"] == int(environment()["MUSICREMIXER_MAX_INPUTS"])
    assert limits["max_response_bytes"] == int(environment()["MUSICREMIXER_MAX_RESPONSE_BYTES"])
