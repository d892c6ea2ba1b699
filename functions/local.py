"""The local server: the page at ``/`` and the API under ``/api/``, as Netlify arranges them online.

The API answers at its own root too (``POST /remix``, as the original service and the deployed
function do), so a client written for either works against the local server unchanged. Anything
else that is not a page file gets a JSON 404 or 405 that says where the page and the API are.

``musicremixer serve`` calls :func:`serve`. The page is whatever is in the repository's
``frontend/`` folder (or ``MUSICREMIXER_FRONTEND_DIR``), served as static files.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from functions.app import create_app
from functions.errors import error_response
from functions.settings import Settings

FRONTEND_ENV = "MUSICREMIXER_FRONTEND_DIR"


def frontend_dir() -> Path:
    """The page's folder: ``$MUSICREMIXER_FRONTEND_DIR``, else ``frontend/`` next to ``functions/``."""
    configured = os.environ.get(FRONTEND_ENV, "").strip()
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "frontend"


def create_local_app(settings: Settings | None = None, *, frontend: Path | None = None) -> Starlette:
    """The API app (:func:`functions.app.create_app`) mounted at ``/api``, the page at ``/``."""
    folder = frontend if frontend is not None else frontend_dir()
    page: Mount | Route
    if folder.is_dir():
        page = Mount("/", app=StaticFiles(directory=folder, html=True), name="page")
    else:

        async def no_page(request: Request) -> HTMLResponse:
            return HTMLResponse(
                f"<p>No page found at {folder} (set {FRONTEND_ENV}). The API is at "
                '<a href="api/docs">/api/docs</a>.</p>',
                status_code=404,
            )

        page = Route("/", no_page)
    api = create_app(settings)
    return Starlette(
        routes=[Mount("/api", app=api, name="api"), *_api_at_root(api), page],
        exception_handlers={404: _not_here, 405: _not_here},
    )


def _api_at_root(api: FastAPI) -> list[BaseRoute]:
    """A route at the root for each of the API's paths, handing the request to the API as it is."""
    # Any method: the API answers a wrong one with its own JSON 405.
    return [Route(path, endpoint=api) for path in sorted(set(_paths(api.routes)))]


def _paths(routes: list[BaseRoute], prefix: str = "") -> list[str]:
    """Every path of ``routes``, inside included routers too (FastAPI keeps those as their own routes)."""
    found: list[str] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            more = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            found += _paths(included.routes, prefix + more)
        elif hasattr(route, "path"):
            found.append(prefix + route.path)
    return found


async def _not_here(request: Request, exc: Exception) -> Response:
    """The page's 404 and 405, in the API's JSON shape, saying where things are."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    where = "the page is at /, the API at /api/ (and at /): see /api/docs for its endpoints"
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}: {where}."
        return error_response("method_not_allowed", detail, headers={"Allow": "GET, HEAD"})
    return error_response("not_found", f"There is no {request.url.path}: {where}.")


def serve(*, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the local server until interrupted, after printing the address to open."""
    import uvicorn  # lazy: only the local server needs it

    from functions.server import server_options

    app = create_local_app()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
    print(f"MusicRemixer: open {url} (API docs at {url}api/docs). Press Ctrl+C to stop.", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", **server_options())
