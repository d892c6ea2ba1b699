"""The local server: the page at /, the API under /api/, and `serve` printing where to go."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from functions import local
from functions.local import create_local_app, frontend_dir
from functions.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def page_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>Remixer page</title>")
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("export const ok = true;")
    return tmp_path


def test_the_page_is_at_the_root_and_the_api_under_api(page_dir) -> None:
    client = TestClient(create_local_app(Settings(max_inputs=2), frontend=page_dir))
    page = client.get("/")
    assert page.status_code == 200 and "Remixer page" in page.text
    assert page.headers["content-type"].startswith("text/html")
    script = client.get("/js/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.get("/api/limits").json()["max_inputs"] == 2
    assert client.get("/api/docs").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/nowhere").json()["code"] == "not_found"


def test_the_api_answers_at_the_root_too(page_dir, fake_library) -> None:
    # The original service's clients POST /remix; the deployed function answers there too.
    client = TestClient(create_local_app(Settings(max_inputs=2), frontend=page_dir))
    files = [("files", ("a.wav", b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"))]
    assert client.post("/remix", files=files).status_code == 200
    assert client.post("/api/remix", files=files).status_code == 200
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/limits").json()["max_inputs"] == 2
    assert client.get("/docs").status_code == 200 and client.get("/openapi.json").status_code == 200
    wrong = client.get("/remix")
    assert wrong.status_code == 405 and wrong.json()["detail"] == "GET is not allowed on /remix: use POST."
    assert "Remixer page" in client.get("/").text  # the page is still the page


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("POST", "/index.html", 405),
        ("POST", "/song", 405),
        ("PUT", "/js/app.js", 405),
    ],
)
def test_what_is_neither_page_nor_api_says_where_they_are(page_dir, method, path, status) -> None:
    response = TestClient(create_local_app(Settings(), frontend=page_dir)).request(method, path)
    assert response.status_code == status and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == ("not_found" if status == 404 else "method_not_allowed")
    assert "the page is at /, the API at /api/ (and at /): see /api/docs" in body["detail"]


def test_the_frontend_folder_can_be_moved(page_dir, monkeypatch) -> None:
    monkeypatch.setenv("MUSICREMIXER_FRONTEND_DIR", str(page_dir))
    assert frontend_dir() == page_dir
    assert "Remixer page" in TestClient(create_local_app(Settings())).get("/").text


def test_by_default_the_page_is_the_repositorys_frontend(monkeypatch) -> None:
    monkeypatch.delenv("MUSICREMIXER_FRONTEND_DIR", raising=False)
    folder = frontend_dir()
    assert folder == Path(__file__).resolve().parents[2] / "frontend"
    if (folder / "index.html").is_file():
        response = TestClient(create_local_app(Settings())).get("/")
        assert response.status_code == 200 and response.text == (folder / "index.html").read_text()


def test_without_a_page_the_root_says_where_the_api_is(tmp_path) -> None:
    response = TestClient(create_local_app(Settings(), frontend=tmp_path / "missing")).get("/")
    assert response.status_code == 404 and "api/docs" in response.text


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "http://127.0.0.1:8765/"),
        ("0.0.0.0", "http://127.0.0.1:8765/"),
        ("::1", "http://[::1]:8765/"),
    ],
)
def test_serve_prints_the_address_and_runs_uvicorn(monkeypatch, capsys, host, shown) -> None:
    import uvicorn

    runs = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append((app, kwargs)))
    local.serve(host=host, port=8765)
    assert shown in capsys.readouterr().out
    ((app, kwargs),) = runs
    assert kwargs["host"] == host and kwargs["port"] == 8765
    assert TestClient(app).get("/api/health").status_code == 200


def test_serve_defaults_to_loopback(monkeypatch, capsys) -> None:
    import uvicorn

    runs = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: runs.append(kwargs))
    local.serve()
    assert runs[0]["host"] == "127.0.0.1" and runs[0]["port"] == 8000
    assert "http://127.0.0.1:8000/" in capsys.readouterr().out
