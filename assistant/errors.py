"""The one exception tree of DriveTalk.

Every error the project raises on purpose derives from :class:`DriveTalkError`.
Low-level errors (``OSError``, ``sqlite3.Error``, ``httpx.HTTPError``, vosk's
``Exception``) are translated at the boundary with ``raise ... from exc`` so a
caller only ever has to catch this tree. ``str(error)`` is always one
human-readable line that never contains a secret; the CLI prints it alone and
shows the traceback only with ``--verbose``.

::

    DriveTalkError
    ├── UserInputError            something the user gave us is wrong
    │   ├── ConfigError           bad config file or value
    │   ├── InputFileError        missing / unreadable file, bad CSV or JSON
    │   │   └── ManifestError     a replay manifest's problems, every one of them
    │   ├── AudioFormatError      not audio, unsupported encoding, bad samples
    │   ├── MicrophoneUnavailableError  no sounddevice / PortAudio / input device
    │   ├── UnknownBackendError   no connector registered under that name
    │   ├── ModelNotFoundError    no speech model where we looked
    │   ├── ModelLanguageError    the speech model hears another language than the locale's
    │   └── RequestRejectedError  the fleet server refused a request (HTTP status + code)
    ├── ModelError                a speech model is present but unusable
    ├── ModelDownloadError        download, resume or integrity check failed
    ├── ASRError                  the recognizer failed while decoding
    ├── TTSError                  speech synthesis failed
    │   └── TTSUnavailableError   no espeak / no audio device
    ├── DialogError               the dialog got an event it cannot handle
    ├── StorageError              the local SQLite store failed
    └── ConnectorError            a chat/calendar backend failed
        ├── BackendUnavailableError   unreachable, timeout, 5xx   (retryable)
        ├── RateLimitedError          429 / throttled; ``retry_after`` (retryable)
        ├── AuthenticationError       bad or expired credentials
        ├── RejectedError             the backend refused the request (4xx)
        │   └── NotFoundError         ... because what it names does not exist (any more)
        └── ConnectorLoadError        a registered connector failed to load
"""

from __future__ import annotations

from collections.abc import Sequence


class DriveTalkError(Exception):
    """Base of every error DriveTalk raises on purpose."""

    #: Process exit code the CLI uses when this error ends a command.
    exit_code: int = 1


class UserInputError(DriveTalkError):
    """Something the user supplied (file, flag, value) is wrong."""

    exit_code = 2


class ConfigError(UserInputError):
    """The configuration file or an environment variable has a bad value."""


class InputFileError(UserInputError):
    """A file named by the user is missing, unreadable or malformed."""


class ManifestError(InputFileError):
    """A replay manifest with problems; ``lines`` holds every one ("FILE: place: what").

    ``str()`` stays one line (all problems joined); the CLI prints each of
    ``lines`` as its own error line, so a tester fixes them in one go.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        joined = "; ".join(self.lines)
        super().__init__(
            joined if len(self.lines) == 1 else f"{len(self.lines)} problems: {joined}"
        )


class AudioFormatError(UserInputError):
    """Audio that is not audio, or in an encoding we cannot read."""


class MicrophoneUnavailableError(UserInputError):
    """Live audio input is impossible: no sounddevice, no PortAudio or no input device."""


class UnknownBackendError(UserInputError):
    """No connector is registered under the requested name."""


class ModelNotFoundError(UserInputError):
    """No speech model could be located; the message says how to get one."""


class ModelLanguageError(UserInputError):
    """The speech model's language is not the conversation locale's; says what to install."""


class RequestRejectedError(UserInputError):
    """The fleet server refused a client request: bad key, limit exceeded, unknown session."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ModelError(DriveTalkError):
    """A speech model exists but is incomplete or cannot be loaded."""


class ModelDownloadError(DriveTalkError):
    """Downloading, resuming or verifying a model archive failed."""


class ASRError(DriveTalkError):
    """The speech recognizer failed while decoding."""


class TTSError(DriveTalkError):
    """Speech synthesis failed."""


class TTSUnavailableError(TTSError):
    """No speech engine or no audio output device is available."""


class DialogError(DriveTalkError):
    """The dialog manager received an event it cannot handle."""


class StorageError(DriveTalkError):
    """A store failed: SQLite (disk full, corrupt, locked) or PostgreSQL (unreachable, refused)."""


class ConnectorError(DriveTalkError):
    """A chat, calendar or directory backend failed."""

    #: Whether the outbox may try the same operation again later.
    retryable: bool = False


class BackendUnavailableError(ConnectorError):
    """The backend could not be reached, timed out, or answered 5xx."""

    retryable = True


class BeingDeliveredError(BackendUnavailableError):
    """Another process or replica holds the claim on this outbox message right now."""


class RateLimitedError(ConnectorError):
    """The backend throttled us; ``retry_after`` seconds is its hint, if any."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationError(ConnectorError):
    """Credentials are missing, wrong or expired."""


class RejectedError(ConnectorError):
    """The backend understood the request and refused it."""


class NotFoundError(RejectedError):
    """The backend refused because the user, group or event named does not exist (any more)."""


class ConnectorLoadError(ConnectorError):
    """A connector registered through an entry point failed to load or build."""
