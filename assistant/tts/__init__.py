"""tts stage of the DriveTalk runtime."""
