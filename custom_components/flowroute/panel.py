"""The Texts panel in the sidebar: registered while an entry is loaded, gone with the last.

The web component (frontend/flowroute-texts-panel.js, no build step) is served with its
translations from the integration's folder at STATIC_URL, without cache headers (the
browser revalidates); the module's URL carries the version and a hash of the file, so an
update is never hidden behind an old copy. The panel is for admins unless a loaded entry
has the `panel_for_everyone` option on; it is registered again each time an entry loads
or unloads (an options change reloads the entry), and removed when none is loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from homeassistant.components import frontend, panel_custom
from homeassistant.components.http import (  # type: ignore[attr-defined]  # re-exported, no __all__
    StaticPathConfig,
)
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from .const import CONF_PANEL_FOR_EVERYONE, DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import FlowrouteConfigEntry

PANEL_URL_PATH: Final = "flowroute-texts"
WEBCOMPONENT: Final = "flowroute-texts-panel"
STATIC_URL: Final = "/flowroute_static"
FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
MODULE_FILE: Final = f"{WEBCOMPONENT}.js"
SIDEBAR_TITLE: Final = "Texts"
SIDEBAR_ICON: Final = "mdi:message-text-outline"

# The loaded entries and whether each shows the panel to every user; the module's URL.
_PANEL_ENTRIES: HassKey[dict[str, bool]] = HassKey("flowroute_panel_entries")
_MODULE_URL: HassKey[str] = HassKey("flowroute_panel_module_url")


async def async_setup_panel(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Show the panel while `entry` is loaded (serving its files the first time)."""
    if _MODULE_URL not in hass.data:
        await hass.http.async_register_static_paths(
            [StaticPathConfig(STATIC_URL, str(FRONTEND_DIR), cache_headers=False)]
        )
        integration = await async_get_integration(hass, DOMAIN)
        digest = await hass.async_add_executor_job(_file_digest, FRONTEND_DIR / MODULE_FILE)
        hass.data[_MODULE_URL] = f"{STATIC_URL}/{MODULE_FILE}?v={integration.version}-{digest}"
    entries = hass.data.setdefault(_PANEL_ENTRIES, {})
    entries[entry.entry_id] = bool(entry.options.get(CONF_PANEL_FOR_EVERYONE, False))
    await _async_register(hass, entries)

    async def leave() -> None:
        entries.pop(entry.entry_id, None)
        await _async_register(hass, entries)

    entry.async_on_unload(leave)


async def _async_register(hass: HomeAssistant, entries: dict[str, bool]) -> None:
    """Register the panel as the loaded entries want it, or remove it when there is none."""
    frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
    if not entries:
        return
    await panel_custom.async_register_panel(
        hass,
        frontend_url_path=PANEL_URL_PATH,
        webcomponent_name=WEBCOMPONENT,
        sidebar_title=SIDEBAR_TITLE,
        sidebar_icon=SIDEBAR_ICON,
        module_url=hass.data[_MODULE_URL],
        config={},
        require_admin=not any(entries.values()),
    )


def _file_digest(path: Path) -> str:
    """Return the first 12 hex digits of the file's SHA-256 ("missing" when there is none)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return "missing"
