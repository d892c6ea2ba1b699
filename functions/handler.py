"""The AWS Lambda entry point: ``functions.handler.handler``.

Mangum's default ``text_mime_types`` are kept (passing the argument replaces them, DESIGN.md §3): JSON
bodies go out as text, audio as base64 with ``isBase64Encoded``. Lifespan events are off: the app has
no startup work, and a cold start should do none. Importing this module stays light; the remix engine
is imported by the first request that needs it. (Not in a background thread at init: two threads
importing scipy at once can each find the other's half-initialized modules and fail.)
"""

from __future__ import annotations

from mangum import Mangum

from functions.app import create_app

handler = Mangum(create_app(), lifespan="off")
