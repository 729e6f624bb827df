"""Setting up, reloading and removing an entry; failed sends as events and repairs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.const import DOMAIN
from custom_components.flowroute.outbox import OutboundMessage
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.testing import RunningSimulator

from .conftest import DID_1, DID_2

HANDSET = "12065550100"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_setup_creates_a_device_per_number(
    hass: HomeAssistant, config_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    await _setup(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
    # And one of the account, for its usage sensors.
    assert sorted((d.name, d.manufacturer) for d in devices) == [
        ("+1 206 555 0188", "Flowroute"),
        ("+1 206 555 0199", "Flowroute"),
        (config_entry.title, "Flowroute"),
    ]

    # Reconfigured down to one number: the other device goes.
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, "numbers": [DID_1]}
    )
    await hass.async_block_till_done()
    devices = dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
    assert sorted(d.name for d in devices) == ["+1 206 555 0199", config_entry.title]
    assert config_entry.state is ConfigEntryState.LOADED


async def test_bad_keys_at_setup_start_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, "secret_key": "wrong"}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"

    # The right secret through the reauth flow loads the entry.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"secret_key": "sim-secret-key"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED


async def test_flowroute_down_at_start_still_loads_and_queues(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.NUMBERS, count=5))
    await _setup(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED


async def test_queue_survives_reload(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _setup(hass, config_entry)
    fault = simulator.add_fault(
        Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SENDS, duration=60)
    )
    outbox = config_entry.runtime_data.outbox
    await outbox.async_submit(OutboundMessage(to=HANDSET, from_did=DID_2, body="kept"))
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.outbox is not outbox
    assert config_entry.runtime_data.outbox.pending == 1

    simulator.remove_fault(fault)
    outbox = config_entry.runtime_data.outbox
    future = await outbox.async_submit(OutboundMessage(to=HANDSET, from_did=DID_2, body="next"))
    await future
    await simulator.idle()
    bodies = sorted(record.body or "" for record in simulator.state.sent_messages())
    assert bodies == ["kept", "next"]


async def test_removing_the_entry_forgets_its_queue(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict,
) -> None:
    await _setup(hass, config_entry)
    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SENDS, duration=60))
    await config_entry.runtime_data.outbox.async_submit(
        OutboundMessage(to=HANDSET, from_did=DID_1, body="x")
    )
    key = f"flowroute.{config_entry.entry_id}.outbox"
    assert hass_storage[key]["data"]
    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_reconfigure_reloads_a_loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    await _setup(hass, config_entry)
    old_outbox = config_entry.runtime_data.outbox
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "access_key": config_entry.data["access_key"],
            "secret_key": config_entry.data["secret_key"],
            "advanced": {"base_url": config_entry.data["base_url"]},
        },
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"numbers": [DID_2]})
    if result.get("step_id") == "no_external_url":
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.outbox is not old_outbox  # reloaded
    assert config_entry.options["default_from"] == DID_2
    devices = dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
    assert sorted(d.name for d in devices) == ["+1 206 555 0188", config_entry.title]


async def test_the_outbox_is_saved_as_it_stands_when_home_assistant_stops(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
) -> None:
    # Flowroute answers 503: the text waits between attempts when Home Assistant stops.
    simulator.add_fault(Fault(kind=FaultKind.STATUS, status=503, target=FaultTarget.SENDS))
    outbox = loaded.runtime_data.outbox
    future = await outbox.async_submit(
        OutboundMessage(
            id="waiting",
            to="12065550100",
            from_did=DID_1,
            body="Still here after the restart",
            media_urls=(),
            is_mms=False,
            dlr_callback=None,
            created_at=time.time(),
        )
    )
    async with asyncio.timeout(30):
        while not simulator.state.send_attempts:
            await asyncio.sleep(0.05)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert future.cancelled()
    [stored] = hass_storage[f"{DOMAIN}.{loaded.entry_id}.outbox"]["data"]["messages"]
    # Its last attempt was answered (503): the next start sends it without reconciling.
    assert (stored["id"], stored["outcome_unknown"]) == ("waiting", False)
    with pytest.raises(RuntimeError):
        await outbox.async_submit(OutboundMessage.from_dict({**stored, "id": "late"}))
