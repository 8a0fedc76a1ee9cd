"""server stage of the DriveTalk runtime."""
