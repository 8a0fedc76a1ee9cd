"""Matrix users and rooms on the session's Synapse (servers: tests/servers/fixtures.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.servers.synapse import MatrixUser, SynapseServer, call


@pytest.fixture
def alice(synapse: SynapseServer) -> MatrixUser:
    """The driver."""
    return synapse.register("alice", "Alice Driver")


@pytest.fixture
def bob(synapse: SynapseServer) -> MatrixUser:
    """A colleague on the other side of the chat."""
    return synapse.register("bob", "Bob Builder")


@pytest.fixture
def group_room(synapse: SynapseServer, alice: MatrixUser, bob: MatrixUser) -> str:
    """A group room created by Bob that Alice has joined."""
    room = call(
        synapse, bob, "POST", "/createRoom", {"name": "Project Apollo", "invite": [alice.user_id]}
    )
    room_id = str(room["room_id"])
    call(synapse, alice, "POST", f"/join/{room_id}", {})
    return room_id


@dataclass(frozen=True, slots=True)
class Scene:
    """Alice (the driver) and Bob in a group room on the session's Synapse."""

    synapse: SynapseServer
    alice: MatrixUser
    bob: MatrixUser
    room: str


@pytest.fixture
def scene(synapse: SynapseServer, alice: MatrixUser, bob: MatrixUser, group_room: str) -> Scene:
    """Everything a send-and-read-back test needs."""
    return Scene(synapse, alice, bob, group_room)
