"""DingTalk Open Platform backend: enterprise app robot, calendar, directory,
Stream mode, and custom group robots."""

from connectors.dingtalk.connector import DingTalkConnector

__all__ = ["DingTalkConnector"]
