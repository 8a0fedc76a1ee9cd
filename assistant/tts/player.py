"""Playing PCM on the local audio device, stoppable within one 20 ms block."""

from __future__ import annotations

import threading
from typing import Any

from assistant.errors import TTSUnavailableError
from assistant.tts.audio import Audio

_BLOCK_SECONDS = 0.02


class DevicePlayer:
    """Blocking playback through sounddevice (PortAudio) on the default output."""

    def __init__(self, device: int | str | None = None) -> None:
        self._sd = _sounddevice()
        try:
            self._sd.query_devices(device, kind="output")
        except (ValueError, self._sd.PortAudioError) as exc:
            raise TTSUnavailableError(f"no audio output device: {exc}") from exc
        self.device = device

    def play(self, audio: Audio, stop: threading.Event) -> bool:
        """Play ``audio``; return False as soon as ``stop`` is set (barge-in)."""
        block = max(int(audio.sample_rate * _BLOCK_SECONDS), 1) * audio.sample_width
        try:
            with self._sd.RawOutputStream(
                samplerate=audio.sample_rate,
                channels=audio.channels,
                dtype="int16",
                device=self.device,
            ) as stream:
                for offset in range(0, len(audio.pcm), block):
                    if stop.is_set():
                        stream.abort()
                        return False
                    stream.write(audio.pcm[offset : offset + block])
        except self._sd.PortAudioError as exc:
            raise TTSUnavailableError(f"audio output failed: {exc}") from exc
        return not stop.is_set()


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise TTSUnavailableError(
            "audio output needs sounddevice and PortAudio (apt-get install libportaudio2)"
        ) from exc
    return sounddevice
