"""audio stage of the DriveTalk runtime."""
