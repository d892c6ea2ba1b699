"""The error table and the converters into it."""

from __future__ import annotations

import pytest

import musicremixer
from functions.errors import STATUS_BY_CODE, ApiError, from_library_error


def test_every_status_is_one_the_design_names() -> None:
    assert set(STATUS_BY_CODE.values()) <= {400, 404, 405, 406, 408, 413, 415, 422, 500, 502, 504}


def test_unknown_codes_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        ApiError("no_such_code", "detail")


@pytest.mark.parametrize(
    "error_class",
    [musicremixer.ParameterError, musicremixer.DecodeError, musicremixer.InputTooLongError,
     musicremixer.NotRemixableError, musicremixer.TooManySamplesError, musicremixer.MusicRemixerError],
)  # fmt: skip
def test_every_library_error_has_its_own_code_and_keeps_its_message(error_class) -> None:
    error = from_library_error(error_class("what was wrong and what to do"))
    assert error.code == error_class.code and error.code in STATUS_BY_CODE
    assert error.detail == "what was wrong and what to do"
    assert 400 <= error.status_code < 500


def test_an_unknown_library_code_still_maps() -> None:
    class NewError(musicremixer.MusicRemixerError):
        code = "something_new"

    assert from_library_error(NewError("x")).code == "remix_error"


def test_too_many_samples_is_a_413() -> None:
    assert from_library_error(musicremixer.TooManySamplesError("too much")).status_code == 413
