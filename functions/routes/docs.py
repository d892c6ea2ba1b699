"""``GET /docs``: Swagger UI, its assets served by the function itself, so it works offline.

FastAPI's own docs page loads Swagger UI from a CDN: without internet it is a blank page. The
assets here come from the installed ``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads
the OpenAPI 3.1 documents FastAPI writes), at ``/docs/assets/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from functions.errors import ApiError

router = APIRouter(include_in_schema=False)

#: The files the page needs, and only those (the package also holds source maps and other builds).
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_CACHE = "public, max-age=86400"  # they change only with the package's version


def assets_dir() -> Path:
    """The installed Swagger UI build."""
    from swagger_ui_bundle import swagger_ui_path  # lazy: only the docs page needs it

    return Path(str(swagger_ui_path))


@router.get("/docs")
async def get_docs(request: Request) -> HTMLResponse:
    # Relative URLs: the page works wherever the API is mounted, at /docs, at /api/docs locally, and
    # behind Netlify's /api/* proxy, where the function itself cannot see the /api prefix.
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url.lstrip("/"),
        title=f"{request.app.title} API",
        swagger_js_url="docs/assets/swagger-ui-bundle.js",
        swagger_css_url="docs/assets/swagger-ui.css",
        swagger_favicon_url="docs/assets/favicon-32x32.png",
        oauth2_redirect_url=None,  # the API has no OAuth; FastAPI would make this URL absolute
    )


@router.get("/docs/assets/{name}")
async def get_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise ApiError(
            "not_found", f"There is no docs asset {name!r}: the page needs only {', '.join(ASSETS)}."
        )
    return FileResponse(assets_dir() / name, media_type=ASSETS[name], headers={"Cache-Control": _CACHE})
