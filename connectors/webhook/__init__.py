"""Signed-webhook backend for an enterprise's own chat system (JSON contract in ``schema/``)."""

from connectors.webhook.connector import WebhookConnector, WebhookSettings
from connectors.webhook.inbound import create_inbound_router
from connectors.webhook.verify import ReplayCache, verify_inbound

__all__ = [
    "ReplayCache",
    "WebhookConnector",
    "WebhookSettings",
    "create_inbound_router",
    "verify_inbound",
]
