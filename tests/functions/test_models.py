"""The request models agree with the library they describe."""

from __future__ import annotations

import json

import pytest

import musicremixer
from functions.models import (
    FORMATS,
    MAX_DURATION_S,
    MIN_DURATION_S,
    RemixForm,
    RemixJSON,
    RemixOptions,
    multipart_schema,
)


def test_formats_and_duration_limit_match_the_library() -> None:
    assert tuple(musicremixer.FORMATS) == FORMATS
    assert MAX_DURATION_S == musicremixer.MAX_DURATION
    assert MIN_DURATION_S == musicremixer.MIN_DURATION
    assert RemixJSON.model_json_schema()["properties"]["format"]["enum"] == list(FORMATS)


def test_the_original_request_is_valid_alone() -> None:
    model = RemixJSON.model_validate({"urls": ["https://example.com/a.wav"]})
    assert (model.duration, model.seed, model.jumpiness, model.format) == (None, None, 0.5, "wav")


def test_form_values_are_read_from_strings() -> None:
    model = RemixForm.model_validate({"duration": "12.5", "seed": "3", "jumpiness": "0", "format": "ogg"})
    assert (model.duration, model.seed, model.jumpiness, model.format) == (12.5, 3, 0.0, "ogg")


def test_the_multipart_schema_has_no_nulls() -> None:
    schema = multipart_schema()
    text = json.dumps(schema)
    assert '"null"' not in text and "anyOf" not in text  # multipart has no way to send a null
    assert schema["properties"]["files"]["items"] == {"type": "string", "format": "binary"}
    assert schema["properties"]["duration"]["type"] == "number"
    assert set(schema["properties"]) == {
        "files",
        "urls",
        "duration",
        "seed",
        "jumpiness",
        "keep_order",
        "format",
        "audio_copy",
    }
    assert schema["properties"]["keep_order"]["type"] == "boolean"
    assert schema["properties"]["audio_copy"]["type"] == "boolean"


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("", False), ("1", True)])
def test_keep_order_is_read_from_a_form_field(text: str, value: bool) -> None:
    assert RemixForm.model_validate({"keep_order": text}).keep_order is value


def test_keep_order_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="boolean"):
        RemixOptions.model_validate({"keep_order": "sometimes"})
