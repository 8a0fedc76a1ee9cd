"""asr stage of the DriveTalk runtime."""
