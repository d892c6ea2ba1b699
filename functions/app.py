"""Wire the API: settings, routers, error handlers, CORS. Nothing else lives here."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from functions import errors
from functions.cors import JSONCORSMiddleware
from functions.routes import analyze, docs, meta, remix
from functions.settings import Settings
from functions.workers import Workers

#: Response headers a page on another origin may read (the file name, the seed, the length, the bitrate).
EXPOSED_HEADERS = ["Content-Disposition", "X-Remix-Seed", "X-Remix-Duration", "X-Remix-Bitrate"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new API app; ``settings`` default to the ``MUSICREMIXER_*`` environment."""
    settings = settings if settings is not None else Settings.from_env()
    app = FastAPI(
        title="MusicRemixer",
        version=_version(),
        description="Re-sequence a song beat by beat into a new arrangement that keeps the groove.",
        docs_url=None,  # routes/docs.py serves Swagger UI from the installed package, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.workers = Workers.new()
    app.include_router(remix.router)
    app.include_router(analyze.router)
    app.include_router(meta.router)
    app.include_router(docs.router)
    app.add_exception_handler(errors.ApiError, errors.handle_api_error)
    app.add_exception_handler(RequestValidationError, errors.handle_validation_error)
    app.add_exception_handler(HTTPException, errors.handle_http_exception)
    app.add_exception_handler(Exception, errors.handle_unexpected)
    app.add_middleware(
        JSONCORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Accept"],
        expose_headers=EXPOSED_HEADERS,
    )
    return app


def _version() -> str:
    # The installed distribution's version: reading musicremixer.__version__ would import numpy.
    try:
        return version("musicremixer")
    except PackageNotFoundError:
        return "0+unknown"
