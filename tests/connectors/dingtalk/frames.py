"""Downstream Stream-mode frames, as DingTalk pushes them, for the tests to send."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.connectors.dingtalk.emulator import DIRECTORY, ROBOT_TOPIC


def frame(kind: str, topic: str, data: dict[str, Any]) -> dict[str, Any]:
    """A downstream Stream-mode frame."""
    return {
        "specVersion": "1.0",
        "type": kind,
        "headers": {
            "topic": topic,
            "messageId": uuid.uuid4().hex,
            "contentType": "application/json",
            "time": str(int(time.time() * 1000)),
        },
        "data": json.dumps(data),
    }


def robot_message(
    text: str, sender: str, *, group: str | None = None, mentioned: bool = True
) -> dict[str, Any]:
    """A CALLBACK frame carrying a robot message from ``sender`` (a userid).

    ``mentioned``: whether a group message @-mentions the robot.
    """
    user = DIRECTORY["users"]
    nick = next(u["name"] for u in user if u["userid"] == sender)
    data = {
        "msgId": f"msg{uuid.uuid4().hex}",
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "conversationType": "2" if group else "1",
        "conversationId": group or f"cid-{sender}",
        "conversationTitle": DIRECTORY["groups"].get(group, "") if group else "",
        "senderNick": nick,
        "senderStaffId": sender,
        "senderId": f"$:LWCP_v1:${sender}",
        "createAt": int(time.time() * 1000),
        "isInAtList": mentioned,
    }
    return frame("CALLBACK", ROBOT_TOPIC, data)
