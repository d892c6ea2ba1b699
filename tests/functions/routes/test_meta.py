"""GET /health and GET /limits."""

from __future__ import annotations

import musicremixer


def test_health(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": musicremixer.__version__}


def test_limits_report_the_settings_in_force(make_client) -> None:
    limits = make_client(max_inputs=2, max_input_bytes=1234, max_input_seconds=30.5, max_upload_bytes=5678,
                         max_response_bytes=999, fetch_timeout_s=3).get("/limits").json()  # fmt: skip
    assert limits == {
        "max_inputs": 2,
        "max_input_bytes": 1234,
        "max_input_seconds": 30.5,
        "max_upload_bytes": 5678,
        "max_response_bytes": 999,
        "fetch_timeout_s": 3,
        "formats": list(musicremixer.FORMATS),
        "min_duration_s": musicremixer.MIN_DURATION,
        "max_duration_s": musicremixer.MAX_DURATION,
    }


def test_default_limits(client) -> None:
    limits = client.get("/limits").json()
    assert limits["max_response_bytes"] == 500_000_000  # a local server's: a full-length WAV fits
    assert limits["max_inputs"] >= 1 and limits["max_input_bytes"] > 0 and limits["fetch_timeout_s"] <= 26
