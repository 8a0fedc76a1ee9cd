"""Recorded (synthetic) utterances and their manifest, shipped for the replay harness."""
