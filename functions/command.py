"""``musicremixer serve``: the command the function package adds to the engine's command line.

Registered in ``pyproject.toml`` under the ``musicremixer.commands`` entry point group, so that
``musicremixer.cli`` lists it without importing the web layer. Importing this module is light; the
server (FastAPI, uvicorn) is imported when the command runs.
"""

from __future__ import annotations

import argparse

EPILOG = """\
settings (environment variables; GET /api/limits shows the values in force):
  MUSICREMIXER_ALLOW_PRIVATE_URLS=1  fetch URLs on this machine or your network too (localhost,
                                     192.168.x.x ...); off by default, and never on a public server
  MUSICREMIXER_MAX_INPUTS, _MAX_INPUT_BYTES, _MAX_INPUT_SECONDS, _MAX_UPLOAD_BYTES,
  MUSICREMIXER_MAX_RESPONSE_BYTES, _FETCH_TIMEOUT_S, _CORS_ORIGINS  (see functions/README.md)

example:
  MUSICREMIXER_ALLOW_PRIVATE_URLS=1 musicremixer serve --port 8080
"""


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    """Add ``serve`` to the ``musicremixer`` command line (the ``musicremixer.commands`` entry point)."""
    serve = commands.add_parser(
        "serve",
        help="run the local server: the page at / and the API at /api/",
        description="Run the local server: the page at /, the API at /api/ (and at /).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from functions.local import serve  # lazy: FastAPI and uvicorn only when serving

    serve(host=args.host, port=args.port)
    return 0
