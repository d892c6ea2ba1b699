"""The AWS Lambda entry point: ``functions.handler.handler``.

Mangum's default ``text_mime_types`` are kept (passing the argument replaces them, DESIGN.md §3): JSON
bodies go out as text, audio as base64 with ``isBase64Encoded``. Lifespan events are off: the app has
no startup work, and a cold start should do none. Importing this module stays light: the remix
engine's imports (about two seconds, scikit-learn's above all) start in a background thread, so they
run beside the rest of Lambda's init phase and the first request's fetching and decoding instead of
after them.
"""

from __future__ import annotations

import threading

from mangum import Mangum

from functions.app import create_app


def _import_engine() -> None:
    from musicremixer import import_engine

    import_engine()


preload = threading.Thread(target=_import_engine, name="import-engine", daemon=True)
preload.start()
handler = Mangum(create_app(), lifespan="off")
