"""The Flowroute integration: SMS and MMS through a Flowroute account.

Setup checks the account, builds the entry's runtime objects (data.py), adds the
platforms and starts sending and receiving. What happens to a text lives elsewhere, one
job per module: the inbound router (inbound.py), the opt-out list (opt_out.py), the
outbox (outbox.py) and the outcomes of its attempts (outcomes.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import discovery
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    DEFAULT_BASE_URL,
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteError,
    format_number,
)
from .const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_CALLBACKS_POINTED,
    CONF_NUMBERS,
    CONF_SECRET_KEY,
    DOMAIN,
    LOGGER,
)
from .conversations import async_forget_conversations
from .data import async_build_runtime_data
from .inbound_media import async_register_view
from .outbound_media import async_setup_media
from .panel import async_setup_panel
from .questions import async_setup_questions
from .repairs import async_delete_entry_issues, async_watch_external_url
from .services import async_setup_services
from .storage import async_remove_entry_stores
from .webhook import async_remove_cloudhook
from .websocket_api import async_setup_websocket_api

if TYPE_CHECKING:
    from homeassistant.config_entries import UpdateListenerType
    from homeassistant.helpers.typing import ConfigType

    from .data import FlowrouteConfigEntry

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, the media views, the panel's API, legacy notify, once."""
    async_setup_questions(hass)
    async_setup_services(hass)
    async_setup_websocket_api(hass)
    await async_setup_media(hass)
    async_register_view(hass)
    hass.async_create_task(
        discovery.async_load_platform(hass, Platform.NOTIFY, DOMAIN, {CONF_NAME: DOMAIN}, config),
        eager_start=True,
    )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> bool:
    """Check the account, build the entry, add the platforms, start."""
    client = FlowrouteClient(
        entry.data[CONF_ACCESS_KEY],
        entry.data[CONF_SECRET_KEY],
        session=async_get_clientsession(hass),
        base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
    )
    account_numbers = await _async_list_account_numbers(client)
    entry.runtime_data = await async_build_runtime_data(hass, entry, client, account_numbers)
    _async_update_devices(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await entry.runtime_data.async_start()
    async_watch_external_url(hass, entry)
    await async_setup_panel(hass, entry)
    # The one way a change (options, contacts, reconfigure, reauth) reloads the entry: the
    # flows use none of Home Assistant's reload helpers, which must not be combined with an
    # update listener (deprecated, breaking in 2026.12). Registered last: a Home Assistant
    # Cloud hook, created once while starting, is stored in the entry's data, which must
    # not trigger the update listener's reload.
    entry.async_on_unload(entry.add_update_listener(_reload_on_change(entry)))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> bool:
    """Unload the platforms; every runtime object stops through async_on_unload."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Forget what the entry stored; received media files stay (they are the user's)."""
    await async_remove_entry_stores(hass, entry.entry_id)
    async_forget_conversations(hass, entry.entry_id)
    async_delete_entry_issues(hass, entry)
    await async_remove_cloudhook(hass, entry)


async def _async_list_account_numbers(client: FlowrouteClient) -> tuple[str, ...]:
    """Check the keys; return the account's numbers (none known when Flowroute is down)."""
    try:
        return tuple(number.number for number in await client.list_numbers())
    except FlowrouteAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except FlowrouteError as err:
        # Sending must not depend on Flowroute being up at start-up: the outbox keeps
        # what is asked for and delivers once Flowroute answers again.
        LOGGER.warning("Flowroute did not answer at start-up, queueing until it does: %s", err)
        return ()


def _reload_on_change(entry: FlowrouteConfigEntry) -> UpdateListenerType:
    """Return the update listener: reload when what setup read has changed.

    Where the callbacks point (repairs.py records it at run time, on an inbound text)
    changes nothing that runs: recording it must not restart the entry.
    """
    loaded_with = _what_setup_reads(entry)

    async def _async_reload(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Apply new options, contacts, keys or numbers (the outbox hands over via its store)."""
        if _what_setup_reads(entry) != loaded_with:
            await hass.config_entries.async_reload(entry.entry_id)

    return _async_reload


def _what_setup_reads(entry: FlowrouteConfigEntry) -> tuple[object, ...]:
    data = {key: value for key, value in entry.data.items() if key != CONF_CALLBACKS_POINTED}
    # A changed contact is the same subentry object, changed in place: keep what it holds.
    subentries = {
        subentry_id: (subentry.title, subentry.unique_id, dict(subentry.data))
        for subentry_id, subentry in entry.subentries.items()
    }
    return (entry.title, data, dict(entry.options), subentries)


@callback
def _async_update_devices(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """One device per DID; drop devices of numbers no longer configured."""
    registry = dr.async_get(hass)
    numbers: list[str] = entry.data[CONF_NUMBERS]
    for number in numbers:
        registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, number)},
            name=format_number(number),
            manufacturer="Flowroute",
            model="Phone number",
            entry_type=dr.DeviceEntryType.SERVICE,
        )
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        did = next((ident for domain, ident in device.identifiers if domain == DOMAIN), None)
        if did is not None and did.isdigit() and did not in numbers:
            # Removed, not detached (remove_config_entry_id): a number's device is the
            # entry's alone, and Home Assistant deprecates detaching (breaking in 2027.8).
            registry.async_remove_device(device.id)
