"""Message bodies stay out of the recorder unless the user opted in."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.flowroute.const import (
    CONF_RECORD_BODIES,
    EVENT_ASSIST_EXCHANGE,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.flowroute.inbound import BODY_EVENTS
from simulator.testing import RunningSimulator

from . import recorder_helpers
from .conftest import DID_1

BODY = "The alarm code is 4711"


@pytest.fixture
def quiet_sqlalchemy() -> Iterator[None]:
    """The test Home Assistant logs at INFO, at which SQLAlchemy prints every statement."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    quiet_sqlalchemy: None, recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Override the suite's autouse fixture: the recorder must start before `hass`."""


async def _text_the_house(
    hass: HomeAssistant, simulator: RunningSimulator
) -> tuple[list[str], str]:
    simulator.inject_inbound(from_="12065550100", to=DID_1, body=BODY)
    await simulator.idle()
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    return await get_instance(hass).async_add_executor_job(recorder_helpers.recorded, hass)


async def test_bodies_are_notrecorded_by_default(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    listening: MockConfigEntry,
) -> None:
    types, recorded = await _text_the_house(hass, simulator)
    assert EVENT_MESSAGE_RECEIVED not in types
    assert BODY not in recorded
    # The entities still recorded the text's arrival, without its words.
    assert "+1 206 555 0100" in recorded

    # Both events with words people texted are kept out; unloaded, the exclusion goes.
    assert BODY_EVENTS == (EVENT_MESSAGE_RECEIVED, EVENT_ASSIST_EXCHANGE)
    assert set(BODY_EVENTS) <= get_instance(hass).exclude_event_types
    await hass.config_entries.async_unload(listening.entry_id)
    assert not set(BODY_EVENTS) & get_instance(hass).exclude_event_types


async def test_bodies_arerecorded_when_the_user_opted_in(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    listening: MockConfigEntry,
) -> None:
    assert EVENT_MESSAGE_RECEIVED in get_instance(hass).exclude_event_types
    # The options change reloads the entry, which no longer keeps the event out.
    hass.config_entries.async_update_entry(
        listening, options={**listening.options, CONF_RECORD_BODIES: True}
    )
    await hass.async_block_till_done()
    assert EVENT_MESSAGE_RECEIVED not in get_instance(hass).exclude_event_types
    types, recorded = await _text_the_house(hass, simulator)
    assert EVENT_MESSAGE_RECEIVED in types
    assert BODY in recorded


async def test_an_exclusion_the_user_configured_is_left_alone(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    get_instance(hass).exclude_event_types.add(EVENT_MESSAGE_RECEIVED)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert set(BODY_EVENTS) <= get_instance(hass).exclude_event_types
    await hass.config_entries.async_unload(config_entry.entry_id)
    # The user's own exclusion stays; the one the integration added goes.
    assert EVENT_MESSAGE_RECEIVED in get_instance(hass).exclude_event_types
    assert EVENT_ASSIST_EXCHANGE not in get_instance(hass).exclude_event_types
