"""The deploy files as the tests read them: serverless.yml, netlify.toml, the Dockerfile."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bench.cold_start import Instruction, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]

#: The HTTP API (docs/ARCHITECTURE.md §4): each needs its own route in serverless.yml, not only the
#: catch-all.
API_ROUTES = {("POST", "/remix"), ("POST", "/analyze"), ("GET", "/health"), ("GET", "/limits")}

#: The page's content security policy, directive by directive (netlify.toml must say exactly this).
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


@cache
def serverless() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "serverless.yml").read_text())


@cache
def netlify() -> dict[str, Any]:
    return tomllib.loads((ROOT / "netlify.toml").read_text())


@cache
def dockerfile() -> tuple[Instruction, ...]:
    return tuple(parse_dockerfile((ROOT / "Dockerfile").read_text()))


def environment() -> dict[str, str]:
    """The function's environment as deployed with no overrides: ``${env:X, 'd'}`` becomes ``d``."""
    config = serverless()
    env = dict(config["provider"].get("environment") or {})
    env.update(config["functions"]["api"].get("environment") or {})
    resolved = {}
    for key, value in env.items():
        m = re.fullmatch(r"\$\{env:(\w+),\s*'([^']*)'\}", str(value))
        assert m is None or m.group(1) == key, f"{key} is read from ${{env:{m.group(1)}}}"
        resolved[key] = m.group(2) if m else str(value)
    return resolved


def route_keys() -> list[str]:
    """The function's HTTP API routes: ``"POST /remix"``, ..., ``"*"`` for the catch-all."""
    keys = []
    for event in serverless()["functions"]["api"]["events"]:
        spec = event["httpApi"]
        keys.append(spec if isinstance(spec, str) else f"{spec.get('method', '*')} {spec['path']}".strip())
    return keys


def route_matches(key: str, method: str, path: str, *, explicit_only: bool = False) -> bool:
    """Whether API Gateway would send ``method path`` to the route ``key``.

    ``"*"`` (serverless' name for ``$default``) takes anything; ``ANY``/``*`` methods take any method;
    ``{name}`` takes one path segment and ``{name+}`` the rest. With ``explicit_only`` the catch-all
    and greedy routes don't count: the route must name this endpoint.
    """
    if key in ("*", "$default"):
        return not explicit_only
    route_method, _, route_path = key.partition(" ")
    if route_method not in ("*", "ANY", method):
        return False
    pattern = ""
    for segment in route_path.strip("/").split("/"):
        if re.fullmatch(r"\{\w+\+\}", segment):
            if explicit_only:
                return False
            pattern += "/.+"
        elif re.fullmatch(r"\{\w+\}", segment):
            pattern += "/[^/]+"
        else:
            pattern += "/" + re.escape(segment)
    # The app's own path parameters ({id}) match the route's when they sit in the same place.
    concrete = re.sub(r"\{\w+(:\w+)?\}", "x", path)
    return re.fullmatch(pattern or "/", concrete) is not None
