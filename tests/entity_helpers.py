"""For the entity tests: dispatch what the deciding layer dispatches, and read the states."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import DATA_DISPATCHER, async_dispatcher_send
from homeassistant.helpers.entity import Entity

from custom_components.flowroute.api import DeliveryState
from custom_components.flowroute.const import DOMAIN
from custom_components.flowroute.messages import (
    ReceiptUpdate,
    ReceivedMedia,
    ReceivedMessage,
    SentNotice,
)

from .conftest import DID_1

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.const import Platform
    from homeassistant.core import HomeAssistant, State
    from pytest_homeassistant_custom_component.common import MockConfigEntry

HANDSET = "12065550100"
WHEN = datetime(2026, 11, 2, 18, 25, 3, tzinfo=UTC)


@asynccontextmanager
async def only_platform(hass: HomeAssistant, platform: Platform) -> AsyncIterator[None]:
    """Set up the integration's entries with one platform (as snapshot_platform wants).

    The entries are unloaded before the patch ends: Home Assistant 2025.4 unloads what is
    still loaded when it stops, after the test's fixtures, and would then unload the
    platforms that were never set up (and log an error for each).
    """
    with patch("custom_components.flowroute.PLATFORMS", [platform]):
        yield
        for entry in hass.config_entries.async_entries(DOMAIN):
            if entry.state is ConfigEntryState.LOADED:
                assert await hass.config_entries.async_unload(entry.entry_id)


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up the entry; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


def entity_id(hass: HomeAssistant, did: str, key: str) -> str:
    """Return the entity id of a number's entity, by its key."""
    platform = "event" if key == "messages" else "sensor"
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{did}_{key}")
    assert found is not None, key
    return found


def state(hass: HomeAssistant, did: str, key: str) -> State:
    """Return the state of a number's entity, by its key."""
    found = hass.states.get(entity_id(hass, did, key))
    assert found is not None
    return found


def message(
    entry: MockConfigEntry, *, to: str = DID_1, is_mms: bool = False, **overrides: Any
) -> ReceivedMessage:
    """A text from HANDSET, as the inbound pipeline publishes it."""
    fields: dict[str, Any] = {
        "config_entry_id": entry.entry_id,
        "message_id": "mdr2-in-1",
        "from_number": HANDSET,
        "to_number": to,
        "body": "Door code?",
        "is_mms": is_mms,
        "media": (),
        "timestamp": WHEN,
        "keyword": None,
    }
    return ReceivedMessage(**(fields | overrides))


def receipt(
    entry: MockConfigEntry,
    delivery_state: DeliveryState,
    *,
    changed: bool = True,
    from_number: str = DID_1,
    status_code: int | None = 1004,
) -> ReceiptUpdate:
    """A receipt of a message to HANDSET, as the receipt tracker publishes it."""
    return ReceiptUpdate(
        config_entry_id=entry.entry_id,
        message_id="mdr2-out-1",
        to_number=HANDSET,
        from_number=from_number,
        level=2,
        status=str(delivery_state),
        status_code=status_code,
        status_description="Message delivered to handset",
        state=delivery_state,
        timestamp=WHEN,
        changed=changed,
    )


def notice(entry: MockConfigEntry, *, from_number: str = DID_1) -> SentNotice:
    """A message to HANDSET that the outbox sent, gave up on or refused."""
    return SentNotice(
        config_entry_id=entry.entry_id,
        message_id="mdr2-out-1",
        to_number=HANDSET,
        from_number=from_number,
        is_mms=False,
        segments=1,
    )


def dispatch(
    hass: HomeAssistant, entry: MockConfigEntry, signal: str, item: ReceivedMessage | Any
) -> None:
    """Dispatch as the integration does: to the number a text went to or was sent from."""
    did = item.to_number if isinstance(item, ReceivedMessage) else item.from_number
    async_dispatcher_send(hass, signal.format(entry_id=entry.entry_id, did=did), item)


def entity_listeners(hass: HomeAssistant, signal: str) -> list[Entity]:
    """Return the entities connected to a dispatcher signal, once per connection."""
    owners = [
        getattr(getattr(target, "func", target), "__self__", None)
        for target in hass.data.get(DATA_DISPATCHER, {}).get(signal, ())
    ]
    return [owner for owner in owners if isinstance(owner, Entity)]


def two_pictures() -> tuple[ReceivedMedia, ReceivedMedia]:
    """The media of an MMS as the router publishes them (not downloaded)."""
    return (
        ReceivedMedia(
            url="https://mms.flowroute.com/a.jpg",
            mime_type="image/jpeg",
            file_name="a.jpg",
            file_size=1234,
        ),
        ReceivedMedia(
            url="https://mms.flowroute.com/b.png",
            mime_type="image/png",
            file_name="b.png",
            file_size=99,
        ),
    )
