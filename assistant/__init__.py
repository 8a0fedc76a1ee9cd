"""DriveTalk: the runtime around the parser (audio, ASR, dialog, TTS, server, replay)."""

__version__ = "0.1.0"
