"""Schemathesis hooks (``SCHEMATHESIS_HOOKS``): audio bodies that are what the schema means.

The OpenAPI schema can only say "binary" for the audio turn's body; what it
means is a WAV file. This strategy draws real WAV files (any PCM width, rate
and channel count the route documents; silence or noise), so the
``positive_data_acceptance`` check can hold the route to accepting them.
"""

from __future__ import annotations

import io
import wave

import schemathesis
from hypothesis import strategies as st


@st.composite
def wav_files(draw: st.DrawFn) -> bytes:
    """A short WAV file: 8/16/24/32-bit PCM, 8-48 kHz, mono or stereo, silence or noise."""
    rate = draw(st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000]))
    channels = draw(st.integers(1, 2))
    width = draw(st.sampled_from([1, 2, 3, 4]))
    frames = draw(st.integers(rate // 20, rate // 2))
    size = frames * channels * width
    noise = draw(st.booleans())
    silence = (b"\x80" if width == 1 else b"\x00") * size
    payload = draw(st.binary(min_size=size, max_size=size)) if noise else silence
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(payload)
    return out.getvalue()


schemathesis.openapi.media_type("audio/wav", wav_files())
schemathesis.openapi.media_type("application/octet-stream", wav_files())
