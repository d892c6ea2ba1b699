"""CORS, with refused preflights answered in the API's JSON error shape.

Starlette's :class:`~starlette.middleware.cors.CORSMiddleware` answers a preflight it refuses with
plain text ("Disallowed CORS origin"); every other refusal of the API is ``{"detail", "code"}``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from functions.errors import error_response


class JSONCORSMiddleware(CORSMiddleware):
    """:class:`CORSMiddleware` whose refused preflights say, as JSON, what was refused and why."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused: list[str] = []
        origin = request_headers["origin"]
        if not self.is_allowed_origin(origin=origin):
            allowed = ", ".join(self.allow_origins) if self.allow_origins else "none but the API's own"
            refused.append(
                f"pages at {origin} may not call this API from a browser (origins allowed: {allowed}; "
                "the server's MUSICREMIXER_CORS_ORIGINS lists them)"
            )
        method = request_headers["access-control-request-method"]
        if method not in self.allow_methods:
            refused.append(f"{method} is not allowed (use {' or '.join(sorted(self.allow_methods))})")
        asked = request_headers.get("access-control-request-headers")
        if asked and not self.allow_all_headers:
            extra = [h.strip() for h in asked.split(",") if h.strip().lower() not in self.allow_headers]
            if extra:
                refused.append(f"the headers {', '.join(extra)} are not allowed")
        if request_headers.get("access-control-request-private-network") and not self.allow_private_network:
            refused.append("private-network access is not allowed")
        # Keep the CORS headers Starlette set (Vary, Allow-Methods ...), not its text body's.
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        }
        detail = "This cross-origin request is refused: " + "; ".join(refused or ["it is not allowed"]) + "."
        return error_response("cors_refused", detail, headers=headers)
