"""``musicremixer serve``, the command the function package adds through an entry point."""

from __future__ import annotations

import importlib.metadata

from functions import local
from functions.command import add_serve_command
from musicremixer.cli import COMMANDS_GROUP, main


def test_serve_is_registered_for_the_engines_command_line() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group=COMMANDS_GROUP) if e.name == "serve"]
    assert entry.load() is add_serve_command


def test_serve_runs_the_local_server_with_the_host_and_port(monkeypatch) -> None:
    runs = []
    monkeypatch.setattr(local, "serve", lambda **kwargs: runs.append(kwargs))
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert main(["serve"]) == 0
    assert runs == [{"host": "0.0.0.0", "port": 8123}, {"host": "127.0.0.1", "port": 8000}]
