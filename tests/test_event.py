"""The event entity of each number: texts received and recipients opting out or in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import DATA_DISPATCHER
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)

from custom_components.flowroute.const import (
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_OPT_OUT,
)
from custom_components.flowroute.messages import Keyword
from custom_components.flowroute.opt_out import OptOutReason

from .conftest import DID_1, DID_2
from .entity_helpers import (
    HANDSET,
    dispatch,
    entity_listeners,
    message,
    only_platform,
    state,
    two_pictures,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from syrupy.assertion import SnapshotAssertion


@pytest.fixture(autouse=True)
async def events_only(hass: HomeAssistant) -> AsyncIterator[None]:
    """Set up the event platform alone."""
    async with only_platform(hass, Platform.EVENT):
        yield


async def test_event_entities(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The event entity of both numbers, as registered and before anything happened."""
    await snapshot_platform(hass, entity_registry, snapshot, loaded.entry_id)


async def test_listens_to_texts_and_opt_outs_only(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """Its declared signals, of its own number; nothing about sends or receipts."""
    for did in (DID_1, DID_2):
        event_entity = state(hass, did, "messages").entity_id
        heard = sorted(
            signal
            for signal in hass.data[DATA_DISPATCHER]
            if any(entity.entity_id == event_entity for entity in entity_listeners(hass, signal))
        )
        assert heard == sorted(
            template.format(entry_id=loaded.entry_id, did=did)
            for template in (SIGNAL_MESSAGE_RECEIVED, SIGNAL_OPT_OUT)
        )


async def test_text_received_without_the_body(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded, keyword=Keyword.HELP))
    await hass.async_block_till_done()

    event = state(hass, DID_1, "messages")
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
    # The body is in no state (and so never reaches the recorder).
    for written in hass.states.async_all():
        assert "Door code?" not in str(written.as_dict())

    # The other number heard nothing.
    assert state(hass, DID_2, "messages").state == STATE_UNKNOWN


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

    event = state(hass, DID_2, "messages")
    assert event.attributes["event_type"] == "mms_received"
    assert event.attributes["media_count"] == 2
    assert event.attributes["body"] == "Look"
    assert state(hass, DID_1, "messages").state == STATE_UNKNOWN


async def test_opt_out_changes(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    opt_outs = loaded.runtime_data.opt_outs
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.KEYWORD)
    opt_outs.async_set(DID_1, "12065550101", opted_out=True, reason=OptOutReason.DELIVERY_RECEIPT)
    # Not a change: nothing more to tell.
    opt_outs.async_set(DID_1, HANDSET, opted_out=True, reason=OptOutReason.ACTION)
    await hass.async_block_till_done()
    event = state(hass, DID_1, "messages")
    assert event.attributes["event_type"] == "opted_out"
    assert event.attributes["number"] == "12065550101"
    assert event.attributes["reason"] == "delivery_receipt"

    opt_outs.async_set(DID_1, HANDSET, opted_out=False, reason=OptOutReason.KEYWORD)
    await hass.async_block_till_done()
    event = state(hass, DID_1, "messages")
    assert event.attributes["event_type"] == "opted_in"
    assert event.attributes["number"] == HANDSET

    assert state(hass, DID_2, "messages").state == STATE_UNKNOWN


async def test_every_change_is_its_own_event(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    """No batching here: each text and each opt-out change is one state write."""
    event_entity = state(hass, DID_1, "messages").entity_id
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    for index in range(3):
        dispatch(hass, loaded, SIGNAL_MESSAGE_RECEIVED, message(loaded, message_id=f"m{index}"))
    loaded.runtime_data.opt_outs.async_set(
        DID_1, HANDSET, opted_out=True, reason=OptOutReason.KEYWORD
    )
    await hass.async_block_till_done()
    written = [change.data for change in changes if change.data["entity_id"] == event_entity]
    assert [data["new_state"].attributes.get("message_id") for data in written] == [
        "m0",
        "m1",
        "m2",
        None,
    ]
    assert written[-1]["new_state"].attributes["event_type"] == "opted_out"
