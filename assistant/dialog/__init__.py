"""dialog stage of the DriveTalk runtime."""
