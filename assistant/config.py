"""Configuration: a TOML file plus ``DRIVETALK_*`` environment variables.

Precedence, highest first: command-line options (applied by the CLI through
:meth:`Settings.model_copy`), environment variables (``DRIVETALK_BACKEND``,
``DRIVETALK_TTS__RATE`` with ``__`` for nesting), the TOML file
(``--config``, ``DRIVETALK_CONFIG``, or ``<user config dir>/drivetalk/config.toml``),
then the defaults below. Secrets are never stored in the file: connector
sections name the environment variable that holds them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from assistant.errors import ConfigError
from assistant.locales import Locale

APP_NAME = "drivetalk"
#: Environment variables: ``DRIVETALK_TTS__RATE`` sets ``[tts] rate``.
ENV_PREFIX = "DRIVETALK_"
ENV_DELIMITER = "__"

#: The TOML file the next Settings() reads; set only inside load_settings.
_CONFIG_FILE: ContextVar[Path | None] = ContextVar("drivetalk_config_file", default=None)


def default_data_dir() -> Path:
    """Where the embedded store and the outbox live by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_file() -> Path:
    """The config file read when neither ``--config`` nor ``DRIVETALK_CONFIG`` is given."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_cache_dir() -> Path:
    """Where downloaded speech models are installed."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def check_zone(value: str) -> str:
    """Validate an IANA time zone name (pydantic validator)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


#: An IANA time zone name, checked when the model is validated.
ZoneName = Annotated[str, AfterValidator(check_zone)]


class TTSSettings(BaseModel):
    """Spoken replies (pyttsx3 on espeak-ng)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    voice: str | None = Field(default=None, description="English espeak voice (None: default)")
    rate: int = Field(default=175, ge=50, le=500, description="words per minute")
    volume: float = Field(default=1.0, ge=0.0, le=1.0)
    voices: dict[str, str] = Field(
        default_factory=lambda: {"zh": "cmn-latn-pinyin"},
        description=(
            "espeak voice per locale (id, name or language code); English falls back to "
            "`voice`. A voice whose name says pinyin is given Chinese as tone-numbered pinyin"
        ),
    )
    zh_rate: int | None = Field(
        default=None, ge=50, le=500, description="Mandarin speaking rate (None: `rate`)"
    )


class ASRSettings(BaseModel):
    """Speech recognition and endpointing (``[asr]``, ``DRIVETALK_ASR__*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str = Field(
        default="vosk",
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description=(
            "speech recognizer: vosk (a model per language, `drivetalk model pull`) or "
            "pocketsphinx (English only, model in its wheel: pip install 'drivetalk[sphinx]')"
        ),
    )
    alternatives: int = Field(default=5, ge=1, le=20, description="n-best list size")
    vad: Literal["auto", "silero", "webrtc"] = Field(
        default="auto",
        description=(
            "voice activity detector: silero (neural, needs onnxruntime), webrtc, "
            "or auto (silero when onnxruntime is installed, else webrtc)"
        ),
    )
    vad_threshold: float = Field(
        default=0.5, gt=0, lt=1, description="silero speech probability that starts speech"
    )
    noise_margin_db: float | None = Field(
        default=None,
        ge=0,
        le=30,
        description=(
            "speech must be this many dB above the adaptive noise floor "
            "(0: no floor; unset: 3 for silero, 4 for webrtc)"
        ),
    )
    vad_aggressiveness: int = Field(default=2, ge=0, le=3, description="webrtcvad mode")
    speech_start_ms: int = Field(default=150, ge=10, le=2000)
    leading_silence_ms: int = Field(default=5000, ge=100, le=60000)
    trailing_silence_ms: int = Field(default=800, ge=100, le=10000)
    early_silence_ms: int = Field(
        default=200,
        ge=60,
        le=10000,
        description=(
            "the pause that ends an utterance once what was heard is a complete answer "
            "to the open question (a yes/no, a choice, a whole command); never for "
            "dictated bodies, which keep trailing_silence_ms"
        ),
    )
    answer_silence_ms: int = Field(
        default=96,
        ge=60,
        le=10000,
        description=(
            "the pause that ends a closed answer (a yes/no, a choice) once heard; "
            "at most early_silence_ms"
        ),
    )
    rejoin_ms: int = Field(
        default=800,
        ge=0,
        le=10000,
        description=(
            "speech starting within this long of an utterance that ended early "
            "continues it: the dialog joins it to that answer (0: never)"
        ),
    )
    max_utterance_s: float = Field(default=15.0, gt=0, le=600)
    push_to_talk: bool = False
    decoders: int = Field(
        default=0,
        ge=0,
        le=1024,
        description=(
            "open-recognition decoders per process and model (0 = one per CPU core): "
            "each decoding one costs ~34 MB on a lookahead model; more speakers than "
            "decoders wait their turn, their audio buffered"
        ),
    )
    decoder_wait_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="longest wait for a free decoder before the turn fails (seconds)",
    )
    model_language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,3}$",
        description=(
            "ISO 639-1 language of the configured model when its name does not tell "
            "(official names and the catalogue do)"
        ),
    )
    language_check: bool = Field(
        default=True,
        description=(
            "refuse a model whose language is not the locale's where words are understood "
            "(chat, server, replay); off only to exercise the audio path with another language"
        ),
    )

    @model_validator(mode="after")
    def _early_within_trailing(self) -> ASRSettings:
        if self.early_silence_ms > self.trailing_silence_ms:
            raise ValueError(
                f"early_silence_ms ({self.early_silence_ms}) must not be longer than "
                f"trailing_silence_ms ({self.trailing_silence_ms})"
            )
        if self.answer_silence_ms > self.early_silence_ms:
            raise ValueError(
                f"answer_silence_ms ({self.answer_silence_ms}) must not be longer than "
                f"early_silence_ms ({self.early_silence_ms})"
            )
        return self


class WakeSettings(BaseModel):
    """The wake phrase that opens the listening window (``[wake]``, ``DRIVETALK_WAKE__*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False,
        description="listen for commands only after the wake phrase (chat --mic, server vad mode)",
    )
    phrase: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the wake phrase (default: the locale's, see assistant/asr/wake_phrases.yaml)",
    )
    fillers: tuple[str, ...] | None = Field(
        default=None,
        max_length=500,
        description=(
            "words the spotter may hear instead of the phrase, so that other speech "
            "is not forced onto it (default: the locale's list)"
        ),
    )
    min_confidence: float = Field(
        default=0.7, ge=0, le=1, description="every word of the phrase must be heard this surely"
    )
    listen_seconds: float = Field(
        default=6.0,
        gt=0,
        le=60,
        description="after the wake phrase, how long the driver has to start the command",
    )
    min_share: float | None = Field(
        default=0.4,
        gt=0,
        le=1,
        description=(
            "the phrase also counts when the n-best hypotheses opening with it hold this "
            "share of the list's score (unset: only the best hypothesis counts)"
        ),
    )

    @field_validator("phrase")
    @classmethod
    def _words(cls, value: str | None) -> str | None:
        if value is not None and not value.split():
            raise ValueError("the wake phrase must have at least one word")
        return None if value is None else " ".join(value.split())


class DialogSettings(BaseModel):
    """The conversation: answer timeouts, announcements, spoken length."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_timeout: float = Field(default=8.0, gt=0, le=120, description="seconds")
    confirm_timeout: float = Field(default=10.0, gt=0, le=120, description="seconds")
    announcement_read: Literal["always", "on_request", "never"] = "on_request"
    max_spoken_chars: int = Field(default=220, ge=40, le=2000)


class NluSettings(BaseModel):
    """Understanding (``[nlu]``): the statistical arbiter beside the grammar (issue 15)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    arbiter: bool = Field(
        default=True,
        description=(
            "let the shipped intent model take what the grammar missed and decline "
            "actions it is sure are out of domain (false: the grammar alone)"
        ),
    )


class DirectorySettings(BaseModel):
    """Where names are looked up (``[directory]``), whatever the delivery backend.

    ``path``: a CSV or JSON contacts file (the format ``--contacts`` reads);
    ``connector``: another connector's directory, built from its own
    ``[connectors.NAME]`` table. Neither: the backend's own directory, if it has one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path | None = None
    connector: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> DirectorySettings:
        if self.path is not None and self.connector is not None:
            raise ValueError("set either directory.path or directory.connector, not both")
        return self


#: The fraction metrics a replay gate can hold at a lower bound (assistant.replay.metrics).
REPLAY_FRACTION_METRICS = (
    "word_accuracy",
    "intent_accuracy",
    "slot_accuracy",
    "command_acceptance",
    "task_success",
    "case_pass_rate",
)


class GateSettings(BaseModel):
    """A replay's release gate (``[replay.gate]``, or a manifest's ``gate:``); see README."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_wer: float | None = Field(default=None, ge=0, description="highest corpus WER (0.25)")
    max_latency_p50_ms: float | None = Field(default=None, gt=0, description="milliseconds")
    max_latency_p95_ms: float | None = Field(default=None, gt=0, description="milliseconds")
    max_latency_p99_ms: float | None = Field(default=None, gt=0, description="milliseconds")
    min_accuracy: float | None = Field(
        default=None, ge=0, le=1, description="lowest intent accuracy (0.95)"
    )
    #: Lowest value of any fraction metric: ``{task_success = 0.9}``.
    fail_under: dict[str, float] = Field(default_factory=dict)

    @field_validator("fail_under")
    @classmethod
    def _known_metrics(cls, value: dict[str, float]) -> dict[str, float]:
        for name, bound in value.items():
            if name not in REPLAY_FRACTION_METRICS:
                known = ", ".join(REPLAY_FRACTION_METRICS)
                raise ValueError(f"unknown metric {name!r} (one of {known})")
            if not 0.0 <= bound <= 1.0:
                raise ValueError(f"{name}: {bound} is not between 0 and 1")
        return value


class ReplaySettings(BaseModel):
    """``drivetalk replay``: the release gate every run is held to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: GateSettings = GateSettings()


class OutboxSettings(BaseModel):
    """Delivery of confirmed messages (``[outbox]``, ``DRIVETALK_OUTBOX__*``); seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ttl_s: float = Field(
        default=86400.0, gt=0, le=30 * 86400, description="transient errors fail after this"
    )
    max_delay_s: float = Field(default=300.0, gt=0, le=86400, description="backoff cap")
    base_delay_s: float = Field(default=1.0, gt=0, le=3600, description="first backoff")
    answer_within_s: float = Field(
        default=10.0, gt=0, le=120, description="the driver hears 'queued' after this"
    )
    idle_poll_s: float = Field(default=60.0, gt=0, le=3600, description="worker's idle look")
    claim_lease_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="with server.database_url: a replica's claim on a message lasts this long",
    )

    @model_validator(mode="after")
    def _ordered(self) -> OutboxSettings:
        if self.base_delay_s > self.max_delay_s:
            raise ValueError("outbox.base_delay_s must not exceed outbox.max_delay_s")
        return self


class ServerLimits(BaseModel):
    """Per-request and per-key limits of the fleet server; each breach is a clear 4xx."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="bytes per body")
    audio_seconds: float = Field(default=30.0, gt=0, le=600, description="per utterance")
    frame_rate: float = Field(default=100.0, gt=0, description="WebSocket frames per second")
    sessions_per_key: int = Field(default=4, ge=1, le=10_000)
    rate_per_key: float = Field(default=10.0, gt=0, description="requests per second")
    burst_per_key: int = Field(default=40, ge=1, description="token bucket size")
    text_chars: int = Field(default=1000, ge=1, le=100_000)
    send_queue: int = Field(default=64, ge=1, description="WebSocket messages buffered")
    frame_seconds: float = Field(
        default=2.0, gt=0, le=60, description="longest audio one WebSocket frame may carry"
    )
    json_depth: int = Field(
        default=16, ge=2, le=200, description="deepest nesting of a WebSocket JSON message"
    )
    auth_rate: float = Field(
        default=1.0,
        gt=0,
        description="failed key verifications a second, per key id and per client address",
    )
    auth_burst: int = Field(default=10, ge=1, description="failed verifications saved up")


class AdmissionSettings(BaseModel):
    """When a replica says ``busy`` at once instead of queueing work it cannot do in time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Real-time work admitted at once: open streams plus audio uploads being decoded.
    #: 0 = ``streams_per_core`` x CPU cores.
    max_active: int = Field(default=0, ge=0, le=100_000)
    #: Measured capacity per core at reply p95 <= 1 s (BENCHMARKS.md: 2.0 on the CI machine),
    #: used when max_active = 0; measure on the production hardware and raise it there.
    streams_per_core: float = Field(default=2.0, gt=0, le=1000)
    #: Utterances queued for a speech decoder beyond which new work is refused;
    #: -1 = the decoder pool's size (one more round of decoding).
    max_decoder_waiting: int = Field(default=-1, ge=-1, le=100_000)
    #: The ``Retry-After`` (seconds) a ``busy`` answer carries.
    retry_after_s: int = Field(default=2, ge=1, le=3600)


class LoggingSettings(BaseModel):
    """How ``drivetalk serve`` writes its log: ``text`` for a terminal, ``json`` for machines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


class TLSSettings(BaseModel):
    """HTTPS for ``drivetalk serve``: both files or neither."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    certfile: Path | None = None
    keyfile: Path | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> TLSSettings:
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("server.tls needs both certfile and keyfile (or neither)")
        return self


class ServerSettings(BaseModel):
    """``drivetalk serve``: address, key store, limits and where shared state lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    #: API key store (SQLite); default ``<data_dir>/server/keys.sqlite3``.
    key_store: Path | None = None
    #: Where sessions and outboxes live for scale-out; ``None`` = SQLite under data_dir.
    database_url: str | None = Field(default=None, repr=False)
    session_idle_seconds: float = Field(default=900.0, gt=0)
    #: A WebSocket stream with no message from its client for this long is closed.
    stream_idle_seconds: float = Field(default=900.0, gt=0)
    #: Environment variable holding the operator token (``/metrics``, ``/readyz`` details).
    operator_token_env: str = Field(default="DRIVETALK_OPERATOR_TOKEN", min_length=1)
    drain_seconds: float = Field(default=10.0, ge=0)
    limits: ServerLimits = ServerLimits()
    admission: AdmissionSettings = AdmissionSettings()
    logging: LoggingSettings = LoggingSettings()
    tls: TLSSettings = TLSSettings()


class Settings(BaseSettings):
    """Everything DriveTalk can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    backend: str = "local"
    timezone: ZoneName = "Asia/Shanghai"
    #: Language of the installation: "en" (English) or "zh" (Mandarin, zh-CN).
    locale: Locale = "en"
    model: Path | None = Field(default=None, description="vosk model directory")
    asr: ASRSettings = ASRSettings()
    wake: WakeSettings = WakeSettings()
    tts: TTSSettings = TTSSettings()
    dialog: DialogSettings = DialogSettings()
    outbox: OutboxSettings = OutboxSettings()
    directory: DirectorySettings = DirectorySettings()
    nlu: NluSettings = NluSettings()
    server: ServerSettings = ServerSettings()
    replay: ReplaySettings = ReplaySettings()
    #: One table per connector name: ``[connectors.matrix] homeserver = ...``.
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Command-line options (init) outrank the environment, which outranks
        # the TOML file chosen by load_settings.
        toml_file = _CONFIG_FILE.get()
        if toml_file is None:
            return (init_settings, env_settings)
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file; a missing default file is simply empty."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start}): is it a TOML file?"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the file, the environment and explicit overrides.

    ``overrides`` with value None are ignored, so CLI options can be passed
    straight through. A bad value is a ConfigError naming where it came from:
    the environment variable, the file and line, or the command-line option.
    """
    path = Path(config_file) if config_file else default_config_file()
    used: Path | None = None
    if config_file or path.exists():
        read_config_file(path)  # clear errors for a missing or malformed file
        used = path
    token = _CONFIG_FILE.set(used)
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, used, given)) from None
    except SettingsError as exc:
        raise ConfigError(_describe_env(exc)) from None
    finally:
        _CONFIG_FILE.reset(token)


def _describe(exc: ValidationError, path: Path | None, given: Mapping[str, Any]) -> str:
    first = exc.errors()[0]
    loc = tuple(str(p) for p in first["loc"])
    where = ".".join(loc) or "config"
    reason = first["msg"].removeprefix("Value error, ")
    return f"bad configuration value for {where!r}: {reason} ({config_source(loc, path, given)})"


def config_source(loc: Sequence[str], path: Path | None, given: Mapping[str, Any]) -> str:
    """Where the value at ``loc`` came from, in the order settings are layered."""
    if loc and loc[0] in given:
        return f"from the command-line option for {loc[0]}"
    env = _env_variable(loc)
    if env is not None:
        return f"from environment variable {env}"
    if path is not None:
        line = toml_line(path, loc)
        return f"from {path}:{line}" if line else f"from {path}"
    return "from the defaults"


def _env_variable(loc: Sequence[str]) -> str | None:
    """The ``DRIVETALK_*`` variable that set ``loc`` (or a table holding it), if any."""
    present = {name.upper(): name for name in os.environ}
    for end in range(len(loc), 0, -1):
        name = ENV_PREFIX + ENV_DELIMITER.join(loc[:end]).upper()
        if name in present:
            return present[name]
    return None


_TABLE = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def toml_line(path: Path, loc: Sequence[str]) -> int | None:
    """The line of ``path`` that sets ``loc`` (or a table or inline table holding it)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    target, best = tuple(loc), None
    table: tuple[str, ...] = ()
    for number, line in enumerate(lines, start=1):
        header = _TABLE.match(line)
        if header:
            table = _dotted(header.group(1))
            if target[: len(table)] == table and best is None:
                best = number  # the table itself, if no key of it matches
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = table + _dotted(assign.group(1))
            if target[: len(key)] == key:
                return number
    return best


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _describe_env(exc: SettingsError) -> str:
    """pydantic-settings' 'error parsing value for field X from source Y' as one line."""
    match = re.search(r'field "([^"]+)"', str(exc))
    field = match.group(1) if match else None
    env = _env_variable((field,)) if field else None
    if env is None:
        return f"bad configuration: {exc}"
    return (
        f"environment variable {env} is not valid JSON: set a table as a JSON object, "
        f"or one value as {env}{ENV_DELIMITER}<NAME>"
    )
