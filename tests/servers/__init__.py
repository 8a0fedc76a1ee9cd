"""Real servers the test suite starts on loopback (Synapse, Radicale) and small helpers."""
