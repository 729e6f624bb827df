"""The Texts panel in the sidebar: there while an entry is loaded, for whom the options say."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from homeassistant.components.frontend import DATA_PANELS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.const import CONF_PANEL_FOR_EVERYONE, DOMAIN
from custom_components.flowroute.panel import FRONTEND_DIR

from .conftest import DID_2, entry_data

if TYPE_CHECKING:
    from homeassistant.components.frontend import Panel
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator.testing import RunningSimulator

PANEL = "flowroute-texts"
MODULE = "flowroute-texts-panel.js"


def _panel(hass: HomeAssistant) -> Panel | None:
    return hass.data.get(DATA_PANELS, {}).get(PANEL)


async def _set_everyone(hass: HomeAssistant, entry: MockConfigEntry, *, on: bool) -> None:
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_PANEL_FOR_EVERYONE: on}
    )
    await hass.async_block_till_done()  # the entry reloads


async def test_the_panel_is_there_while_the_entry_is_loaded(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    panel = _panel(hass)
    assert panel is not None
    assert (panel.component_name, panel.sidebar_title, panel.sidebar_icon) == (
        "custom",
        "Texts",
        "mdi:message-text-outline",
    )
    assert panel.require_admin
    config: dict[str, Any] = panel.config or {}
    custom = config["_panel_custom"]
    assert config == {"_panel_custom": custom}
    assert (custom["name"], custom["embed_iframe"], custom["trust_external"]) == (
        "flowroute-texts-panel",
        False,
        False,
    )
    digest = hashlib.sha256((FRONTEND_DIR / MODULE).read_bytes()).hexdigest()[:12]
    assert custom["module_url"] == f"/flowroute_static/{MODULE}?v=0.1.0-{digest}"

    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert _panel(hass) is None
    assert await hass.config_entries.async_setup(loaded.entry_id)
    assert _panel(hass) is not None


async def test_the_option_shows_it_to_every_user(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await _set_everyone(hass, loaded, on=True)
    panel = _panel(hass)
    assert panel is not None
    assert not panel.require_admin
    await _set_everyone(hass, loaded, on=False)
    panel = _panel(hass)
    assert panel is not None
    assert panel.require_admin


async def test_one_entry_that_allows_everyone_is_enough_and_the_last_removes_it(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    other = MockConfigEntry(
        domain=DOMAIN,
        unique_id="other",
        data=entry_data(simulator, numbers=[DID_2], **{CONF_WEBHOOK_ID: "f" * 32}),
        options={CONF_PANEL_FOR_EVERYONE: True},
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert other.state is ConfigEntryState.LOADED
    panel = _panel(hass)
    assert panel is not None
    assert not panel.require_admin

    assert await hass.config_entries.async_unload(other.entry_id)
    panel = _panel(hass)
    assert panel is not None
    assert panel.require_admin
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert _panel(hass) is None


async def test_the_panel_files_are_served_from_the_integration(
    hass: HomeAssistant, loaded: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    client = await hass_client()
    panel = _panel(hass)
    assert panel is not None
    response = await client.get(panel.config["_panel_custom"]["module_url"])  # type: ignore[index]
    assert response.status == 200
    assert await response.read() == (FRONTEND_DIR / MODULE).read_bytes()
    # Served as it is on disk: the browser checks again instead of keeping an old copy.
    assert "max-age" not in response.headers.get("Cache-Control", "")
    response = await client.get("/flowroute_static/translations/en.json")
    assert response.status == 200
    assert await response.read() == (FRONTEND_DIR / "translations" / "en.json").read_bytes()
