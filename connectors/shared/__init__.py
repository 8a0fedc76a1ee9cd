"""Pieces several connectors share: the push inbox, URL checks, config and secrets."""
