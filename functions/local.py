"""The local server: the page at ``/`` and the API under ``/api/``, as Netlify arranges them online.

``musicremixer serve`` calls :func:`serve`. The page is whatever is in the repository's
``frontend/`` folder (or ``MUSICREMIXER_FRONTEND_DIR``), served as static files.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from functions.app import create_app
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
    return Starlette(routes=[Mount("/api", app=create_app(settings), name="api"), page])


def serve(*, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the local server until interrupted, after printing the address to open."""
    import uvicorn  # lazy: only the local server needs it

    from functions.server import server_options

    app = create_local_app()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"
    print(f"MusicRemixer: open {url} (API docs at {url}api/docs). Press Ctrl+C to stop.", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", **server_options())
