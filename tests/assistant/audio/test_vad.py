"""Choosing the VAD (silero where onnxruntime is installed, else webrtcvad), the
silero model on real speech, and the adaptive noise floor."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import ChunkReader, EndpointConfig, open_audio
from assistant.audio.noise_floor import NoiseFloor, frame_db
from assistant.audio.silero import SileroVad
from assistant.audio.vad import SileroClassifier, WebrtcClassifier, resolve_vad
from assistant.errors import AudioFormatError, ConfigError
from tests.assistant.audio.wavgen import espeak, have_espeak, silence_then


@pytest.fixture
def no_onnxruntime(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without onnxruntime: importing it fails."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)


@pytest.mark.parametrize(
    ("name", "chosen"), [("auto", "silero"), ("silero", "silero"), ("webrtc", "webrtc")]
)
def test_each_name_picks_its_vad_where_onnxruntime_is_installed(name: str, chosen: str) -> None:
    assert resolve_vad(name) == chosen
    detector = EndpointConfig(vad=name).detector(16000)
    expected = SileroClassifier if chosen == "silero" else WebrtcClassifier
    assert isinstance(detector.classifier, expected)


@pytest.mark.usefixtures("no_onnxruntime")
def test_auto_falls_back_to_webrtcvad_without_onnxruntime() -> None:
    assert resolve_vad("auto") == "webrtc"
    assert isinstance(EndpointConfig().detector(16000).classifier, WebrtcClassifier)


@pytest.mark.usefixtures("no_onnxruntime")
def test_silero_without_onnxruntime_is_one_error_naming_what_to_install() -> None:
    with pytest.raises(ConfigError) as caught:
        EndpointConfig(vad="silero").detector(16000)
    message = str(caught.value)
    assert "\n" not in message
    assert "pip install onnxruntime" in message
    assert 'vad = "webrtc"' in message


def test_an_unknown_vad_name_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown VAD 'cobra' .*auto, silero, webrtc"):
        EndpointConfig(vad="cobra")
    with pytest.raises(ConfigError, match="unknown VAD 'cobra'"):
        resolve_vad("cobra")


def test_the_vad_is_chosen_in_the_asr_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.config import load_settings

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "drivetalk").mkdir()
    (tmp_path / "drivetalk" / "config.toml").write_text(
        '[asr]\nvad = "webrtc"\nnoise_margin_db = 4.5\n'
    )
    config = EndpointConfig.from_settings(load_settings().asr)
    assert (config.vad, config.noise_margin_db) == ("webrtc", 4.5)
    monkeypatch.setenv("DRIVETALK_ASR__VAD", "whisper")
    with pytest.raises(ConfigError, match=r"asr\.vad"):
        load_settings()


def test_each_vad_has_its_own_noise_margin_unless_one_is_set() -> None:
    silero = EndpointConfig(vad="silero").detector(16000)
    webrtc = EndpointConfig(vad="webrtc").detector(16000)
    assert silero.noise_floor is not None
    assert webrtc.noise_floor is not None
    assert silero.noise_floor.margin_db == SileroClassifier.default_margin_db
    assert webrtc.noise_floor.margin_db == WebrtcClassifier.default_margin_db
    assert EndpointConfig(noise_margin_db=0).detector(16000).noise_floor is None


@pytest.fixture(scope="module")
def speech_pcm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """English speech with a second of digital silence either side, 16 kHz int16."""
    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    base = tmp_path_factory.mktemp("vad")
    padded = silence_then(
        base / "padded.wav", espeak("what is on my calendar", base / "s.wav", "en-us"), 1.0, 1.0
    )
    with open_audio(padded) as source:
        return b"".join(ChunkReader(source, 16000))


@pytest.mark.espeak
@pytest.mark.parametrize("rate", [8000, 16000, 32000, 48000])
def test_silero_hears_speech_and_not_silence_at_every_rate(speech_pcm: bytes, rate: int) -> None:
    import soxr

    samples = np.frombuffer(speech_pcm, dtype="<i2").astype(np.float32) / 32768
    resampled = soxr.resample(samples, 16000, rate)
    pcm = np.clip(resampled * 32768, -32768, 32767).astype("<i2").tobytes()
    vad = SileroVad(rate)
    step = vad.frame_samples * 2
    probs = np.array([vad.probability(pcm[i : i + step]) for i in range(0, len(pcm) - step, step)])
    seconds = np.arange(len(probs)) * vad.frame_samples / rate
    assert probs[seconds < 0.8].max() < 0.2  # the leading silence
    assert np.mean(probs[(seconds > 1.3) & (seconds < 1.8)] > 0.5) > 0.8  # mid-sentence


def test_silero_refuses_a_rate_it_cannot_take() -> None:
    with pytest.raises(AudioFormatError, match="22050 Hz"):
        SileroVad(22050)


@pytest.mark.espeak
def test_silero_forgets_the_stream_on_reset(speech_pcm: bytes) -> None:
    vad = SileroVad(16000)
    step = vad.frame_samples * 2
    first = [vad.probability(speech_pcm[i : i + step]) for i in range(0, 40 * step, step)]
    vad.reset()
    again = [vad.probability(speech_pcm[i : i + step]) for i in range(0, 40 * step, step)]
    assert again == first


def _frame(level_db: float, rng: np.random.Generator, n: int = 512) -> bytes:
    noise = rng.standard_normal(n) * 10 ** (level_db / 20) * 32768
    return np.clip(noise, -32768, 32767).astype("<i2").tobytes()


def test_the_noise_floor_follows_louder_noise_within_seconds_but_not_speech() -> None:
    rng = np.random.default_rng(3)
    floor = NoiseFloor(0.032, margin_db=3.0)
    for _ in range(100):  # 3 s of noise at -50 dBFS
        floor.loud_enough(frame_db(_frame(-50, rng)))
    assert floor.level == pytest.approx(-50, abs=1.5)
    # 1 s of speech 20 dB louder: loud enough throughout, floor barely moves.
    loud = [floor.loud_enough(frame_db(_frame(-30, rng))) for _ in range(31)]
    assert all(loud)
    assert floor.level is not None
    assert floor.level < -45
    # The car speeds up: noise 10 dB louder for 6 s; the floor catches up and
    # the noise stops counting as loud.
    louder = [floor.loud_enough(frame_db(_frame(-40, rng))) for _ in range(190)]
    assert floor.level == pytest.approx(-40, abs=1.5)
    assert not any(louder[-30:])
    # Quieter again: followed within a fraction of a second.
    for _ in range(15):
        floor.loud_enough(frame_db(_frame(-55, rng)))
    assert floor.level == pytest.approx(-55, abs=1.5)


def test_digital_silence_between_turns_leaves_the_noise_floor_where_the_noise_had_it() -> None:
    rng = np.random.default_rng(5)
    floor = NoiseFloor(0.032, margin_db=3.0)
    for _ in range(60):  # 2 s of cabin noise at -45 dBFS
        floor.loud_enough(frame_db(_frame(-45, rng)))
    level = floor.level
    # 3 s of zeros from a gated client: not loud, and no news about the cabin.
    assert not any(floor.loud_enough(frame_db(bytes(1024))) for _ in range(90))
    assert floor.level == level
    # The same noise again is still not loud (a floor dragged to -100 dB
    # would call it loud for seconds, and keep every word ending going).
    assert not any(floor.loud_enough(frame_db(_frame(-45, rng))) for _ in range(10))


def test_a_stream_that_starts_silent_keeps_its_floor_at_silence() -> None:
    rng = np.random.default_rng(7)
    floor = NoiseFloor(0.032, margin_db=3.0)
    assert not floor.loud_enough(frame_db(bytes(1024)))  # a clean recording's lead-in
    assert floor.level == -100.0
    # Its speech stands out from the start (the first speech frame is no floor).
    assert all(floor.loud_enough(frame_db(_frame(-30, rng))) for _ in range(10))


def test_digital_silence_has_a_finite_energy() -> None:
    assert frame_db(bytes(1024)) == -100.0
    assert frame_db(b"") == -100.0
