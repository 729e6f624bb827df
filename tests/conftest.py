"""Fixtures shared by the integration's tests: a running simulator and a config entry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID, MAJOR_VERSION, MINOR_VERSION
from homeassistant.core_config import async_process_ha_core_config
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components.flowroute.api import CallbackType
from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_DEFAULT_FROM,
    CONF_MMS_RATE,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_RECORD_BODIES,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    DOMAIN,
    SUBENTRY_CONTACT,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion
    from syrupy.location import PyTestLocation

    from simulator.testing import RunningSimulator

# The simulator's default account (simulator.testing.DEFAULT_ACCOUNT).
ACCESS_KEY = "12345678"
ENTRY_ID = "01JFR0VTE0ENTRY0000000000A"
SECRET_KEY = "sim-secret-key"
DID_1 = "12065550199"
DID_2 = "12065550188"
WEBHOOK_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/flowroute in every test."""


class VersionedSnapshotExtension(HomeAssistantSnapshotExtension):
    """Snapshots in tests/snapshots/<major.minor>/: each Home Assistant version its own.

    Versions serialise entity registry entries differently (fields come and go), so one
    set cannot match both ends of the supported range.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """Return the folder of this Home Assistant version's snapshots."""
        base = Path(super().dirname(test_location=test_location))
        return str(base / f"{MAJOR_VERSION}.{MINOR_VERSION}")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot assertion, kept per Home Assistant version."""
    return snapshot.use_extension(VersionedSnapshotExtension)


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """A Flowroute simulator on a free loopback port, with the default demo account."""
    from simulator.testing import run_simulator  # noqa: PLC0415 - keeps api tests independent

    async with run_simulator(callback_retry_interval=0.05) as sim:
        yield sim


def entry_data(sim: RunningSimulator, **overrides: Any) -> dict[str, Any]:
    """Config entry data for the simulator's default account."""
    return {
        CONF_ACCESS_KEY: ACCESS_KEY,
        CONF_SECRET_KEY: SECRET_KEY,
        CONF_NUMBERS: [DID_1, DID_2],
        CONF_BASE_URL: sim.url,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
        **overrides,
    }


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """The entry's contacts: none unless a test module overrides this."""
    return []


@pytest.fixture
def config_entry(
    simulator: RunningSimulator, subentries_data: list[ConfigSubentryData]
) -> MockConfigEntry:
    """A config entry for the simulator's account (not yet added to hass).

    Its id is fixed: the account's sensors' unique ids carry it, and snapshots show them.
    """
    return MockConfigEntry(
        entry_id=ENTRY_ID,
        subentries_data=subentries_data,
        domain=DOMAIN,
        title="Flowroute +1 206 555 0199",
        unique_id=ACCESS_KEY,
        data=entry_data(simulator),
        options={
            CONF_DEFAULT_FROM: DID_1,
            CONF_SMS_RATE: 5.0,
            CONF_MMS_RATE: 1.0,
            CONF_RETRY_HORIZON: 24,
        },
    )


@pytest.fixture
async def loaded(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The simulator's account (with the module's contacts), loaded."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    return config_entry


@pytest.fixture
async def loaded_with_bodies(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The simulator's account, loaded with the user's consent to keep message bodies."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_RECORD_BODIES: True}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    return config_entry


@pytest.fixture
async def public_url(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    loaded: MockConfigEntry,
    hass_client_no_auth: Any,
) -> AsyncIterator[str]:
    """Serve Home Assistant on loopback and make that its external URL.

    Flowroute (the simulator) then reaches the entry's webhook and hosted media. Starting
    the server freezes its routes: whatever registers views is set up before.
    """
    client = await hass_client_no_auth()
    url = str(client.make_url("")).rstrip("/")
    # Processing the core config resets the media folders too (to /media in a container):
    # a test's own media folder stays what it was.
    media_dirs = dict(hass.config.media_dirs)
    await async_process_ha_core_config(hass, {"external_url": url})
    hass.config.media_dirs = media_dirs or {"local": hass.config.path("media")}
    yield url
    # Torn down before Home Assistant's server: a receipt or retry the simulator still
    # had to post would otherwise reach a server that is closing (an asyncio error, and
    # a test that fails at teardown on a slow machine).
    await simulator.reset()


@pytest.fixture
async def listening(loaded: MockConfigEntry, public_url: str) -> MockConfigEntry:
    """The loaded entry, with both numbers' callbacks pointed at its webhook."""
    url = f"{public_url}/api/webhook/{WEBHOOK_ID}"
    for did in (DID_1, DID_2):
        for kind in CallbackType:
            await loaded.runtime_data.client.set_number_callback(did, kind, url)
    return loaded


def contact(name: str, number: str, **extra: str) -> ConfigSubentryData:
    """A contact subentry, as the contact flow stores it."""
    return ConfigSubentryData(
        data={CONF_NAME: name, CONF_NUMBER: number, **extra},
        subentry_type=SUBENTRY_CONTACT,
        title=name,
        unique_id=number,
    )
