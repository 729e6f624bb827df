"""The entities of each number together: on its device, woken only by what they show.

Each platform's own behaviour is in test_sensor.py, test_event.py and test_notify.py.
"""

from __future__ import annotations

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import DATA_DISPATCHER
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute.const import DOMAIN, SIGNAL_MESSAGE_RECEIVED, SIGNAL_RECEIPT

from .conftest import DID_1, DID_2
from .entity_helpers import dispatch, entity_listeners, message, state

KEYS = (
    "messages",
    "last_message",
    "last_delivery_status",
    "messages_sent",
    "messages_received",
    "messages_failed",
    "messages_blocked",
    "opted_out_recipients",
    "texts_sent_month",
    "texts_received_month",
)


async def test_entities_per_number_on_its_device(
    hass: HomeAssistant, loaded: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    registry = er.async_get(hass)
    for did in (DID_1, DID_2):
        [device] = [
            device
            for device in dr.async_entries_for_config_entry(device_registry, loaded.entry_id)
            if (DOMAIN, did) in device.identifiers
        ]
        on_device = er.async_entries_for_device(registry, device.id)
        assert sorted(entity.unique_id for entity in on_device) == sorted(
            f"{did}_{key}" for key in KEYS
        )
        for entity in on_device:
            assert entity.config_entry_id == loaded.entry_id
            assert entity.has_entity_name

    # Nothing heard yet: unknown, counts at zero.
    assert state(hass, DID_1, "messages").state == STATE_UNKNOWN
    assert state(hass, DID_1, "last_message").state == STATE_UNKNOWN
    status = state(hass, DID_1, "last_delivery_status")
    assert status.state == STATE_UNKNOWN
    assert status.attributes["options"] == ["sent", "delivered", "failed", "opted_out"]
    for key in ("messages_sent", "messages_received", "messages_failed", "messages_blocked"):
        counter = state(hass, DID_1, key)
        assert counter.state == "0"
        assert counter.attributes["state_class"] == "total_increasing"
    assert state(hass, DID_1, "opted_out_recipients").state == "0"
    assert state(hass, DID_1, "messages").attributes["event_types"] == [
        "message_received",
        "mms_received",
        "opted_out",
        "opted_in",
    ]


async def test_removed_number_loses_its_entities(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(loaded, data={**loaded.data, "numbers": [DID_1]})
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{DID_2}_messages_sent") is None
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{DID_1}_messages_sent") is not None


async def test_a_burst_is_one_sensor_write_but_every_event(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    counter = state(hass, DID_1, "messages_received").entity_id
    event_entity = state(hass, DID_1, "messages").entity_id
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    # Five texts handled in one turn of the event loop, as under a burst of posts.
    for index in range(5):
        dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded, message_id=f"m{index}"))
    await hass.async_block_till_done()
    written = [change.data["entity_id"] for change in changes]
    assert written.count(counter) == 1
    assert state(hass, DID_1, "messages_received").state == "5"
    assert written.count(event_entity) == 5


async def test_a_text_wakes_only_the_entities_that_show_texts(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """Each number's signals reach only that number's entities that handle them."""
    listeners = hass.data[DATA_DISPATCHER]
    for did in (DID_1, DID_2):
        texts = SIGNAL_MESSAGE_RECEIVED.format(entry_id=loaded.entry_id, did=did)
        # The event entity, the last-message sensor and the received counter.
        assert len(listeners[texts]) == 3
        # The delivery status sensor and the failed counter.
        receipts = SIGNAL_RECEIPT.format(entry_id=loaded.entry_id, did=did)
        assert len(entity_listeners(hass, receipts)) == 2
    assert not [signal for signal in listeners if signal.endswith(loaded.entry_id)]
