"""Chat, calendar and directory backends behind the ports of :mod:`connectors.ports`."""
