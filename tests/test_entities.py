"""Event and sensor entities of each number, driven by the entry's dispatcher signals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import DATA_DISPATCHER, async_dispatcher_send
from homeassistant.helpers.entity import Entity
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache_with_extra_data,
)

from custom_components.flowroute.const import (
    CONF_RECORD_BODIES,
    DOMAIN,
    SIGNAL_BLOCKED,
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)
from custom_components.flowroute.messages import (
    DeliveryState,
    Keyword,
    ReceiptUpdate,
    ReceivedMedia,
    ReceivedMessage,
    SentNotice,
)
from custom_components.flowroute.opt_out import OptOutReason
from custom_components.flowroute.sensor import MAX_LISTED_NUMBERS

from .conftest import DID_1, DID_2

HANDSET = "12065550100"
WHEN = datetime(2026, 11, 2, 18, 25, 3, tzinfo=UTC)
KEYS = (
    "messages",
    "last_message",
    "last_delivery_status",
    "messages_sent",
    "messages_received",
    "messages_failed",
    "messages_blocked",
    "opted_out_recipients",
)


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture
async def loaded_with_bodies(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The same account, with the user's consent to keep message bodies."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_RECORD_BODIES: True}
    )
    return await _load(hass, config_entry)


def _entity_id(hass: HomeAssistant, did: str, key: str) -> str:
    platform = "event" if key == "messages" else "sensor"
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{did}_{key}")
    assert entity_id is not None, key
    return entity_id


def _state(hass: HomeAssistant, did: str, key: str) -> State:
    state = hass.states.get(_entity_id(hass, did, key))
    assert state is not None
    return state


def _message(
    entry: MockConfigEntry, *, to: str = DID_1, is_mms: bool = False, **overrides: Any
) -> ReceivedMessage:
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


def _receipt(
    entry: MockConfigEntry,
    state: DeliveryState,
    *,
    changed: bool = True,
    from_number: str = DID_1,
    status_code: int | None = 1004,
) -> ReceiptUpdate:
    return ReceiptUpdate(
        config_entry_id=entry.entry_id,
        message_id="mdr2-out-1",
        to_number=HANDSET,
        from_number=from_number,
        level=2,
        status=str(state),
        status_code=status_code,
        status_description="Message delivered to handset",
        state=state,
        timestamp=WHEN,
        changed=changed,
    )


def _notice(entry: MockConfigEntry, *, from_number: str = DID_1) -> SentNotice:
    return SentNotice(
        config_entry_id=entry.entry_id,
        message_id="mdr2-out-1",
        to_number=HANDSET,
        from_number=from_number,
        is_mms=False,
        segments=1,
    )


def _send(
    hass: HomeAssistant, entry: MockConfigEntry, signal: str, item: ReceivedMessage | Any
) -> None:
    """Dispatch as the integration does: to the number a text went to or was sent from."""
    did = item.to_number if isinstance(item, ReceivedMessage) else item.from_number
    async_dispatcher_send(hass, signal.format(entry_id=entry.entry_id, did=did), item)


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
    assert _state(hass, DID_1, "messages").state == STATE_UNKNOWN
    assert _state(hass, DID_1, "last_message").state == STATE_UNKNOWN
    status = _state(hass, DID_1, "last_delivery_status")
    assert status.state == STATE_UNKNOWN
    assert status.attributes["options"] == ["sent", "delivered", "failed", "opted_out"]
    for key in ("messages_sent", "messages_received", "messages_failed", "messages_blocked"):
        state = _state(hass, DID_1, key)
        assert state.state == "0"
        assert state.attributes["state_class"] == "total_increasing"
    assert _state(hass, DID_1, "opted_out_recipients").state == "0"
    assert _state(hass, DID_1, "messages").attributes["event_types"] == [
        "message_received",
        "mms_received",
        "opted_out",
        "opted_in",
    ]


async def test_text_received_without_bodies(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    _send(hass, loaded, SIGNAL_MESSAGE_RECEIVED, _message(loaded, keyword=Keyword.HELP))
    await hass.async_block_till_done()

    event = _state(hass, DID_1, "messages")
    assert event.state != STATE_UNKNOWN
    assert {
        key: event.attributes[key]
        for key in ("event_type", "from", "message_id", "keyword", "media_count")
    } == {
        "event_type": "message_received",
        "from": HANDSET,
        "message_id": "mdr2-in-1",
        "keyword": "help",
        "media_count": 0,
    }
    last = _state(hass, DID_1, "last_message")
    assert last.state == "+1 206 555 0100"
    assert last.attributes["message_id"] == "mdr2-in-1"
    assert last.attributes["timestamp"] == WHEN.isoformat()
    assert last.attributes["keyword"] == "help"
    # The body is in no state (and so never reaches the recorder).
    for state in hass.states.async_all():
        assert "Door code?" not in str(state.as_dict())
    assert _state(hass, DID_1, "messages_received").state == "1"

    # The other number heard nothing.
    assert _state(hass, DID_2, "messages").state == STATE_UNKNOWN
    assert _state(hass, DID_2, "last_message").state == STATE_UNKNOWN
    assert _state(hass, DID_2, "messages_received").state == "0"


async def test_mms_with_bodies_allowed(
    hass: HomeAssistant, loaded_with_bodies: MockConfigEntry
) -> None:
    media = (
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
    _send(
        hass,
        loaded_with_bodies,
        SIGNAL_MESSAGE_RECEIVED,
        _message(loaded_with_bodies, to=DID_2, is_mms=True, media=media, body="Look"),
    )
    await hass.async_block_till_done()

    event = _state(hass, DID_2, "messages")
    assert event.attributes["event_type"] == "mms_received"
    assert event.attributes["media_count"] == 2
    assert event.attributes["body"] == "Look"
    last = _state(hass, DID_2, "last_message")
    assert last.attributes["body"] == "Look"
    assert last.attributes["is_mms"] is True
    assert last.attributes["media_count"] == 2
    assert _state(hass, DID_2, "messages_received").state == "1"
    assert _state(hass, DID_1, "messages_received").state == "0"


async def test_delivery_status_and_counters(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    status = "last_delivery_status"
    _send(hass, loaded, SIGNAL_SENT, _notice(loaded))
    await hass.async_block_till_done()
    assert _state(hass, DID_1, status).state == "sent"
    assert _state(hass, DID_1, status).attributes["to"] == HANDSET
    assert _state(hass, DID_1, "messages_sent").state == "1"

    _send(hass, loaded, SIGNAL_RECEIPT, _receipt(loaded, DeliveryState.DELIVERED))
    await hass.async_block_till_done()
    delivered = _state(hass, DID_1, status)
    assert delivered.state == "delivered"
    assert delivered.attributes["status_code"] == 1004
    assert delivered.attributes["message_id"] == "mdr2-out-1"

    # A receipt that made its message fail counts once; a later one for it does not.
    _send(hass, loaded, SIGNAL_RECEIPT, _receipt(loaded, DeliveryState.FAILED, status_code=1116))
    _send(
        hass,
        loaded,
        SIGNAL_RECEIPT,
        _receipt(loaded, DeliveryState.FAILED, status_code=1116, changed=False),
    )
    await hass.async_block_till_done()
    assert _state(hass, DID_1, status).state == "failed"
    assert _state(hass, DID_1, "messages_failed").state == "1"

    # The outbox giving up counts as failed too.
    _send(hass, loaded, SIGNAL_SEND_FAILED, _notice(loaded))
    await hass.async_block_till_done()
    assert _state(hass, DID_1, "messages_failed").state == "2"
    assert _state(hass, DID_1, status).state == "failed"

    _send(hass, loaded, SIGNAL_RECEIPT, _receipt(loaded, DeliveryState.OPTED_OUT, status_code=1110))
    await hass.async_block_till_done()
    assert _state(hass, DID_1, status).state == "opted_out"
    assert _state(hass, DID_1, "messages_failed").state == "2"

    # Receipts and notices of the other number leave this one alone.
    _send(hass, loaded, SIGNAL_SENT, _notice(loaded, from_number=DID_2))
    _send(hass, loaded, SIGNAL_RECEIPT, _receipt(loaded, DeliveryState.FAILED, from_number=DID_2))
    await hass.async_block_till_done()
    assert _state(hass, DID_1, "messages_sent").state == "1"
    assert _state(hass, DID_1, status).state == "opted_out"
    assert _state(hass, DID_2, "messages_sent").state == "1"
    assert _state(hass, DID_2, "messages_failed").state == "1"
    assert _state(hass, DID_2, status).state == "failed"


async def test_opt_out_changes(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    opt_outs = loaded.runtime_data.opt_outs
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.KEYWORD)
    opt_outs.async_set(DID_1, "12065550101", opted_out=True, reason=OptOutReason.DELIVERY_RECEIPT)
    # Not a change: nothing more to tell.
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.ACTION)
    await hass.async_block_till_done()
    recipients = _state(hass, DID_1, "opted_out_recipients")
    assert recipients.state == "2"
    assert recipients.attributes["numbers"] == ["+1 206 555 0101", "+1 206 555 0100"]
    assert recipients.attributes["more"] == 0
    event = _state(hass, DID_1, "messages")
    assert event.attributes["event_type"] == "opted_out"
    assert event.attributes["number"] == "12065550101"
    assert event.attributes["reason"] == "delivery_receipt"

    opt_outs.async_set(DID_1, HANDSET, opted_out=False, reason=OptOutReason.KEYWORD)
    await hass.async_block_till_done()
    assert _state(hass, DID_1, "opted_out_recipients").state == "1"
    event = _state(hass, DID_1, "messages")
    assert event.attributes["event_type"] == "opted_in"
    assert event.attributes["number"] == HANDSET

    assert _state(hass, DID_2, "opted_out_recipients").state == "0"
    assert _state(hass, DID_2, "messages").state == STATE_UNKNOWN


async def test_opted_out_sensor_lists_only_the_latest(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    opt_outs = loaded.runtime_data.opt_outs
    for index in range(MAX_LISTED_NUMBERS + 5):
        opt_outs.async_set(DID_1, f"1206555{index:04d}", opted_out=True, reason=OptOutReason.ACTION)
    await hass.async_block_till_done()
    recipients = _state(hass, DID_1, "opted_out_recipients")
    assert recipients.state == str(MAX_LISTED_NUMBERS + 5)
    assert len(recipients.attributes["numbers"]) == MAX_LISTED_NUMBERS
    assert recipients.attributes["numbers"][0] == f"+1 206 555 {MAX_LISTED_NUMBERS + 4:04d}"
    assert recipients.attributes["more"] == 5


async def test_values_survive_a_reload(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    _send(hass, loaded, SIGNAL_MESSAGE_RECEIVED, _message(loaded))
    _send(hass, loaded, SIGNAL_SENT, _notice(loaded))
    _send(hass, loaded, SIGNAL_SEND_FAILED, _notice(loaded))
    _send(hass, loaded, SIGNAL_BLOCKED, _notice(loaded))
    loaded.runtime_data.opt_outs.async_set(
        DID_1, HANDSET, opted_out=True, reason=OptOutReason.KEYWORD
    )
    await hass.async_block_till_done()

    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()

    for key, value in (
        ("messages_received", "1"),
        ("messages_sent", "1"),
        ("messages_failed", "1"),
        ("messages_blocked", "1"),
        ("opted_out_recipients", "1"),
        ("last_delivery_status", "failed"),
        ("last_message", "+1 206 555 0100"),
    ):
        assert _state(hass, DID_1, key).state == value, key
    assert _state(hass, DID_1, "last_message").attributes["message_id"] == "mdr2-in-1"

    # Counting goes on from the restored values.
    _send(hass, loaded, SIGNAL_MESSAGE_RECEIVED, _message(loaded, message_id="mdr2-in-2"))
    await hass.async_block_till_done()
    assert _state(hass, DID_1, "messages_received").state == "2"


def _restored(unique_key: str, state: str, native_value: Any, **attributes: Any) -> Any:
    return (
        State(f"sensor.restored_{unique_key}", state, attributes),
        {"native_value": native_value, "native_unit_of_measurement": None},
    )


async def test_restore_after_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    # Entity ids as a previous run left them in the registry.
    config_entry.add_to_hass(hass)
    cache = []
    for key, state, value, attributes in (
        ("messages_received", "41", 41, {}),
        ("messages_failed", "oops", "oops", {}),
        ("last_delivery_status", "gone", "gone", {}),
        (
            "last_message",
            "+1 206 555 0100",
            "+1 206 555 0100",
            {"message_id": "old", "body": "secret", "timestamp": WHEN.isoformat()},
        ),
    ):
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{DID_1}_{key}",
            config_entry=config_entry,
            suggested_object_id=f"restored_{key}",
        )
        cache.append(_restored(key, state, value, **attributes))
    mock_restore_cache_with_extra_data(hass, cache)

    await _load(hass, config_entry)

    assert hass.states.get("sensor.restored_messages_received").state == "41"  # type: ignore[union-attr]
    # Values that make no sense start over.
    assert hass.states.get("sensor.restored_messages_failed").state == "0"  # type: ignore[union-attr]
    assert hass.states.get("sensor.restored_last_delivery_status").state == STATE_UNKNOWN  # type: ignore[union-attr]
    last = hass.states.get("sensor.restored_last_message")
    assert last is not None
    assert last.state == "+1 206 555 0100"
    assert last.attributes["message_id"] == "old"
    # A body from a time bodies were allowed is not brought back now that they are not.
    assert "body" not in last.attributes


async def test_removed_number_loses_its_entities(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(loaded, data={**loaded.data, "numbers": [DID_1]})
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{DID_2}_messages_sent") is None
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{DID_1}_messages_sent") is not None


async def test_restored_body_kept_while_bodies_allowed(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_RECORD_BODIES: True}
    )
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{DID_1}_last_message",
        config_entry=config_entry,
        suggested_object_id="restored_last_message",
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            _restored(
                "last_message", "+1 206 555 0100", "+1 206 555 0100", message_id="old", body="hi"
            )
        ],
    )
    await _load(hass, config_entry)
    last = hass.states.get("sensor.restored_last_message")
    assert last is not None
    assert last.attributes["body"] == "hi"


async def test_a_burst_is_one_sensor_write_but_every_event(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    counter = _state(hass, DID_1, "messages_received").entity_id
    event_entity = _state(hass, DID_1, "messages").entity_id
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    # Five texts handled in one turn of the event loop, as under a burst of posts.
    for index in range(5):
        _send(hass, loaded, SIGNAL_MESSAGE_RECEIVED, _message(loaded, message_id=f"m{index}"))
    await hass.async_block_till_done()
    written = [change.data["entity_id"] for change in changes]
    assert written.count(counter) == 1
    assert _state(hass, DID_1, "messages_received").state == "5"
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
        assert len([target for target in listeners[receipts] if _is_entity(target)]) == 2
    assert not [signal for signal in listeners if signal.endswith(loaded.entry_id)]


def _is_entity(target: Any) -> bool:
    """Whether a dispatcher target is a (bound or partially applied) entity method."""
    owner = getattr(getattr(target, "func", target), "__self__", None)
    return isinstance(owner, Entity)
