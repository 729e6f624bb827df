"""Receiving end to end: the simulator posts to the loaded entry's real webhook."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from simulator.testing import RunningSimulator

from .conftest import DID_1

HANDSET = "12065550100"


def _state(hass: HomeAssistant, platform: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{DID_1}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_text_to_the_house_becomes_event_and_entities(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    record = simulator.inject_inbound(from_=HANDSET, to=DID_1, body="Door code?")
    await simulator.idle()
    await hass.async_block_till_done()

    [event] = events
    assert event.data["message_id"] == record.message_id
    assert (event.data["from"], event.data["to"], event.data["body"]) == (
        HANDSET,
        DID_1,
        "Door code?",
    )
    assert event.data["keyword"] is None
    assert _state(hass, "sensor", "messages_received") == "1"
    assert _state(hass, "sensor", "last_message") == "+1 206 555 0100"
    # Flowroute's retries of the same message fire nothing more.
    assert [a.status for a in simulator.state.callback_log] == [200]


async def test_sent_text_is_followed_to_the_handset(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "Garage open", "wait_for_delivery": 60},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [item] = response["messages"]
    assert item["delivery_state"] == "delivered"
    await hass.async_block_till_done()
    assert _state(hass, "sensor", "messages_sent") == "1"
    assert _state(hass, "sensor", "last_delivery_status") == "delivered"
