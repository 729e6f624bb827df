"""Receiving end to end: the simulator posts to the loaded entry's real webhook."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute.api import CallbackType
from custom_components.flowroute.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from simulator.testing import RunningSimulator

from .conftest import DID_1, WEBHOOK_ID

HANDSET = "12065550100"


@pytest.fixture
async def webhook_url(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client_no_auth,
) -> str:
    """Load the entry, serve Home Assistant on loopback, point DID_1's callbacks at it."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    client = await hass_client_no_auth()
    base = str(client.make_url("")).rstrip("/")
    await async_process_ha_core_config(hass, {"external_url": base})
    url = f"{base}/api/webhook/{WEBHOOK_ID}"
    for kind in CallbackType:
        await config_entry.runtime_data.client.set_number_callback(DID_1, kind, url)
    return url


def _state(hass: HomeAssistant, platform: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{DID_1}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_text_to_the_house_becomes_event_and_entities(
    hass: HomeAssistant, webhook_url: str, simulator: RunningSimulator
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
    hass: HomeAssistant, webhook_url: str, simulator: RunningSimulator
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "Garage open", "wait_for_delivery": 10},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [item] = response["messages"]
    assert item["delivery_state"] == "delivered"
    await hass.async_block_till_done()
    assert _state(hass, "sensor", "messages_sent") == "1"
    assert _state(hass, "sensor", "last_delivery_status") == "delivered"
