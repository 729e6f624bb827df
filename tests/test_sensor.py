"""The sensors of each number: what they show, what survives a restart, their snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache_with_extra_data,
    snapshot_platform,
)

from custom_components.flowroute.api import DeliveryState
from custom_components.flowroute.const import (
    CONF_RECORD_BODIES,
    DOMAIN,
    SIGNAL_BLOCKED,
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)
from custom_components.flowroute.messages import Keyword
from custom_components.flowroute.opt_out import OptOutReason
from custom_components.flowroute.sensor import MAX_LISTED_NUMBERS

from .conftest import DID_1, DID_2
from .entity_helpers import (
    HANDSET,
    WHEN,
    dispatch,
    load,
    message,
    notice,
    only_platform,
    receipt,
    state,
    two_pictures,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from syrupy.assertion import SnapshotAssertion


@pytest.fixture(autouse=True)
async def sensors_only(hass: HomeAssistant) -> AsyncIterator[None]:
    """Set up the sensor platform alone."""
    async with only_platform(hass, Platform.SENSOR):
        yield


@pytest.fixture
def usage_day(freezer: Any) -> None:
    """One day for the usage sensors' `last_reset` in the snapshot."""
    freezer.move_to("2026-11-14T20:00:00+00:00")


async def test_sensors(
    hass: HomeAssistant,
    usage_day: None,
    loaded: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of both numbers and of the account, as registered and as first shown."""
    await loaded.runtime_data.usage.async_refresh()  # after the first read (no records)
    await snapshot_platform(hass, entity_registry, snapshot, loaded.entry_id)


async def test_text_received_without_the_body(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded, keyword=Keyword.HELP))
    await hass.async_block_till_done()

    last = state(hass, DID_1, "last_message")
    assert last.state == "+1 206 555 0100"
    assert last.attributes["message_id"] == "mdr2-in-1"
    assert last.attributes["timestamp"] == WHEN.isoformat()
    assert last.attributes["keyword"] == "help"
    # The body is in no state (and so never reaches the recorder).
    for written in hass.states.async_all():
        assert "Door code?" not in str(written.as_dict())
    assert state(hass, DID_1, "messages_received").state == "1"

    # The other number heard nothing.
    assert state(hass, DID_2, "last_message").state == STATE_UNKNOWN
    assert state(hass, DID_2, "messages_received").state == "0"


async def test_mms_with_bodies_allowed(
    hass: HomeAssistant, loaded_with_bodies: MockConfigEntry
) -> None:
    media = two_pictures()
    dispatch(
        hass,
        loaded_with_bodies,
        SIGNAL_MESSAGE_RECEIVED,
        message(loaded_with_bodies, to=DID_2, is_mms=True, media=media, body="Look"),
    )
    await hass.async_block_till_done()

    last = state(hass, DID_2, "last_message")
    assert last.attributes["body"] == "Look"
    assert last.attributes["is_mms"] is True
    assert last.attributes["media_count"] == 2
    assert state(hass, DID_2, "messages_received").state == "1"
    assert state(hass, DID_1, "messages_received").state == "0"


async def test_delivery_status_and_counters(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    status = "last_delivery_status"
    dispatch(hass, loaded, SIGNAL_SENT, notice(loaded))
    await hass.async_block_till_done()
    assert state(hass, DID_1, status).state == "sent"
    assert state(hass, DID_1, status).attributes["to"] == HANDSET
    assert state(hass, DID_1, "messages_sent").state == "1"

    dispatch(hass, loaded, SIGNAL_RECEIPT, receipt(loaded, DeliveryState.DELIVERED))
    await hass.async_block_till_done()
    delivered = state(hass, DID_1, status)
    assert delivered.state == "delivered"
    assert delivered.attributes["status_code"] == 1004
    assert delivered.attributes["message_id"] == "mdr2-out-1"

    # A receipt that made its message fail counts once; a later one for it does not.
    dispatch(hass, loaded, SIGNAL_RECEIPT, receipt(loaded, DeliveryState.FAILED, status_code=1116))
    dispatch(
        hass,
        loaded,
        SIGNAL_RECEIPT,
        receipt(loaded, DeliveryState.FAILED, status_code=1116, changed=False),
    )
    await hass.async_block_till_done()
    assert state(hass, DID_1, status).state == "failed"
    assert state(hass, DID_1, "messages_failed").state == "1"

    # The outbox giving up counts as failed too.
    dispatch(hass, loaded, SIGNAL_SEND_FAILED, notice(loaded))
    await hass.async_block_till_done()
    assert state(hass, DID_1, "messages_failed").state == "2"
    assert state(hass, DID_1, status).state == "failed"

    dispatch(
        hass, loaded, SIGNAL_RECEIPT, receipt(loaded, DeliveryState.OPTED_OUT, status_code=1110)
    )
    await hass.async_block_till_done()
    assert state(hass, DID_1, status).state == "opted_out"
    assert state(hass, DID_1, "messages_failed").state == "2"

    # Receipts and notices of the other number leave this one alone.
    dispatch(hass, loaded, SIGNAL_SENT, notice(loaded, from_number=DID_2))
    dispatch(hass, loaded, SIGNAL_RECEIPT, receipt(loaded, DeliveryState.FAILED, from_number=DID_2))
    await hass.async_block_till_done()
    assert state(hass, DID_1, "messages_sent").state == "1"
    assert state(hass, DID_1, status).state == "opted_out"
    assert state(hass, DID_2, "messages_sent").state == "1"
    assert state(hass, DID_2, "messages_failed").state == "1"
    assert state(hass, DID_2, status).state == "failed"


async def test_opt_out_changes_are_counted(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    opt_outs = loaded.runtime_data.opt_outs
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.KEYWORD)
    opt_outs.async_set(DID_1, "12065550101", opted_out=True, reason=OptOutReason.DELIVERY_RECEIPT)
    # Not a change: nothing more to tell.
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.ACTION)
    await hass.async_block_till_done()
    recipients = state(hass, DID_1, "opted_out_recipients")
    assert recipients.state == "2"
    assert recipients.attributes["numbers"] == ["+1 206 555 0101", "+1 206 555 0100"]
    assert recipients.attributes["more"] == 0

    opt_outs.async_set(DID_1, HANDSET, opted_out=False, reason=OptOutReason.KEYWORD)
    await hass.async_block_till_done()
    assert state(hass, DID_1, "opted_out_recipients").state == "1"

    assert state(hass, DID_2, "opted_out_recipients").state == "0"


async def test_opted_out_sensor_lists_only_the_latest(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    recipients_id = state(hass, DID_1, "opted_out_recipients").entity_id
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    opt_outs = loaded.runtime_data.opt_outs
    for index in range(MAX_LISTED_NUMBERS + 5):
        opt_outs.async_set(DID_1, f"1206555{index:04d}", opted_out=True, reason=OptOutReason.ACTION)
    await hass.async_block_till_done()
    recipients = state(hass, DID_1, "opted_out_recipients")
    assert recipients.state == str(MAX_LISTED_NUMBERS + 5)
    assert len(recipients.attributes["numbers"]) == MAX_LISTED_NUMBERS
    assert recipients.attributes["numbers"][0] == f"+1 206 555 {MAX_LISTED_NUMBERS + 4:04d}"
    assert recipients.attributes["more"] == 5
    # Changes made in one turn of the event loop are one write, read once.
    assert [change.data["entity_id"] for change in changes].count(recipients_id) == 1
    # The numbers are not history: the recorder leaves them out of what it stores.
    assert recipients.state_info is not None
    assert {"numbers", "more"} <= recipients.state_info["unrecorded_attributes"]


async def test_values_survive_a_reload(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded))
    dispatch(hass, loaded, SIGNAL_SENT, notice(loaded))
    dispatch(hass, loaded, SIGNAL_SEND_FAILED, notice(loaded))
    dispatch(hass, loaded, SIGNAL_BLOCKED, notice(loaded))
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
        assert state(hass, DID_1, key).state == value, key
    assert state(hass, DID_1, "last_message").attributes["message_id"] == "mdr2-in-1"

    # Counting goes on from the restored values.
    dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded, message_id="mdr2-in-2"))
    await hass.async_block_till_done()
    assert state(hass, DID_1, "messages_received").state == "2"


def _restored(unique_key: str, value: str, native_value: Any, **attributes: Any) -> Any:
    return (
        State(f"sensor.restored_{unique_key}", value, attributes),
        {"native_value": native_value, "native_unit_of_measurement": None},
    )


async def test_restore_after_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    # Entity ids as a previous run left them in the registry.
    config_entry.add_to_hass(hass)
    cache = []
    for key, value, native_value, attributes in (
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
        cache.append(_restored(key, value, native_value, **attributes))
    mock_restore_cache_with_extra_data(hass, cache)

    await load(hass, config_entry)

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
    await load(hass, config_entry)
    last = hass.states.get("sensor.restored_last_message")
    assert last is not None
    assert last.attributes["body"] == "hi"
