"""Every change through a flow reloads the entry once, with no deprecation warning.

The entry's update listener is its one way to reload; Home Assistant warns (and from
2026.12 refuses) when a flow combines such a listener with its own reload helpers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType

from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    SUBENTRY_CONTACT,
)

from .conftest import DID_2, contact

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentryData
    from pytest_homeassistant_custom_component.common import MockConfigEntry


class Loads:
    """How often the entry finished loading since the count was last taken."""

    def __init__(self, entry: MockConfigEntry) -> None:
        """Count the entry's changes into the loaded state."""
        self._entry = entry
        self._state = entry.state
        self._count = 0
        entry.async_on_state_change(self._changed)

    @callback
    def _changed(self) -> None:
        if self._entry.state is ConfigEntryState.LOADED and self._state is not self._entry.state:
            self._count += 1
        self._state = self._entry.state

    async def taken(self, hass: HomeAssistant) -> int:
        """Wait for what was started, then return the count and start again from zero."""
        await hass.async_block_till_done()
        count, self._count = self._count, 0
        return count


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """One contact to change and remove."""
    return [contact("Alex", "12065550100")]


@pytest.fixture
def loads(loaded: MockConfigEntry) -> Loads:
    """The loaded entry's reloads, counted."""
    return Loads(loaded)


def _deprecations(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Home Assistant's warnings of deprecated uses by the integration."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not record.name.startswith("custom_components.flowroute")
        and "flowroute" in record.getMessage()
        and (
            "Detected that custom integration" in record.getMessage()
            or "deprecat" in record.getMessage().casefold()
        )
    ]


def _form_values(result: dict[str, Any]) -> dict[str, Any]:
    """Return what a form shows filled in (its suggested values), as the frontend sends it."""
    values: dict[str, Any] = {}
    for key in result["data_schema"].schema:
        suggested = (key.description or {}).get("suggested_value")
        if suggested is not None:
            values[str(key)] = suggested
    return values


async def test_an_options_change_reloads_once(
    hass: HomeAssistant, loaded: MockConfigEntry, loads: Loads, caplog: pytest.LogCaptureFixture
) -> None:
    old_runtime = loaded.runtime_data
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**_form_values(result), CONF_SMS_RATE: 2.5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert await loads.taken(hass) == 1
    assert loaded.state is ConfigEntryState.LOADED
    assert loaded.runtime_data is not old_runtime
    assert loaded.options[CONF_SMS_RATE] == 2.5

    # Saved unchanged: nothing to apply, no reload.
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _form_values(result)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert await loads.taken(hass) == 0
    assert _deprecations(caplog) == []


async def test_contacts_added_changed_and_removed_reload_once_each(
    hass: HomeAssistant, loaded: MockConfigEntry, loads: Loads, caplog: pytest.LogCaptureFixture
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (loaded.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Sam", CONF_NUMBER: "+1 206 555 0111"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert await loads.taken(hass) == 1

    alex = next(sub for sub in loaded.subentries.values() if sub.title == "Alex")
    result = await hass.config_entries.subentries.async_init(
        (loaded.entry_id, SUBENTRY_CONTACT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": alex.subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Alex P.", CONF_NUMBER: "+1 206 555 0100"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert await loads.taken(hass) == 1

    assert hass.config_entries.async_remove_subentry(loaded, alex.subentry_id)
    assert await loads.taken(hass) == 1
    assert loaded.state is ConfigEntryState.LOADED
    assert sorted(sub.title for sub in loaded.subentries.values()) == ["Sam"]
    assert _deprecations(caplog) == []


async def test_a_reconfigured_account_reloads_once(
    hass: HomeAssistant, loaded: MockConfigEntry, loads: Loads, caplog: pytest.LogCaptureFixture
) -> None:
    result = await loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_KEY: loaded.data[CONF_ACCESS_KEY],
            CONF_SECRET_KEY: loaded.data[CONF_SECRET_KEY],
            "advanced": {CONF_BASE_URL: loaded.data[CONF_BASE_URL]},
        },
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_NUMBERS: [DID_2]}
    )
    if result.get("step_id") == "no_external_url":
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert await loads.taken(hass) == 1
    assert loaded.data[CONF_NUMBERS] == [DID_2]
    assert loaded.state is ConfigEntryState.LOADED
    assert _deprecations(caplog) == []


async def test_reauthenticating_a_loaded_entry_reloads_it_once(
    hass: HomeAssistant, loaded: MockConfigEntry, loads: Loads, caplog: pytest.LogCaptureFixture
) -> None:
    # The same secret again (Flowroute refused it for a while): nothing in the entry
    # changes, so no update listener runs, and the entry still starts over once.
    result = await loaded.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_SECRET_KEY: loaded.data[CONF_SECRET_KEY]}
    )
    assert result["reason"] == "reauth_successful"
    assert await loads.taken(hass) == 1
    assert loaded.state is ConfigEntryState.LOADED
    assert _deprecations(caplog) == []
