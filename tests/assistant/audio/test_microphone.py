"""The microphone: without an input device the error says so in one line."""

from __future__ import annotations

import pytest

from assistant.audio import Microphone
from assistant.errors import MicrophoneUnavailableError, UserInputError


def _has_input_device() -> bool:
    import sounddevice

    try:
        return any(d["max_input_channels"] > 0 for d in sounddevice.query_devices())
    except Exception:
        return False


@pytest.mark.skipif(_has_input_device(), reason="this machine has a microphone")
@pytest.mark.usefixtures("no_leaks")
def test_no_input_device_gives_a_clear_user_error() -> None:
    with pytest.raises(MicrophoneUnavailableError, match="no usable microphone") as info:
        Microphone(16000).start()
    assert isinstance(info.value, UserInputError)
    assert "\n" not in str(info.value)


@pytest.mark.skipif(_has_input_device(), reason="this machine has a microphone")
def test_a_bad_device_name_is_reported_not_raised_raw() -> None:
    with pytest.raises(MicrophoneUnavailableError):
        Microphone(16000, device="no such device").start()
