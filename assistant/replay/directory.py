"""A manifest's own directory: a fresh local store holding just its contacts file's people.

Used instead of the demo organisation when a manifest names ``contacts:``,
so a test set can be written against the names its testers' fleet really
has. The driver is a contact of its own (:data:`DRIVER`), never one of the
file's people, so everyone in the file can be messaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from assistant.models import Contact, Conversation
from connectors.local.store import LocalStore

#: The driver the replayed dialog acts for.
DRIVER = Contact(id="replay-driver", name="Driver")


def directory_store(folder: Path, now: datetime, contacts: Sequence[Contact]) -> LocalStore:
    """A new store in ``folder`` holding ``contacts`` (groups get their chat), the driver set."""
    store = LocalStore.open(folder, now=now, zone=now.tzinfo)
    try:
        store.add_contact(DRIVER)
        store.set_me(DRIVER.id)
        for contact in contacts:
            store.add_contact(contact)
            if contact.kind == "group":
                store.add_conversation(Conversation(contact.id, contact.name, "group"))
    except BaseException:
        store.close()
        raise
    return store
