"""CalDAV backend: the driver's calendar on a CalDAV server (see connector.py)."""

from connectors.caldav.connector import CalDAVConnector

__all__ = ["CalDAVConnector"]
