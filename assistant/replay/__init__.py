"""replay stage of the DriveTalk runtime."""
