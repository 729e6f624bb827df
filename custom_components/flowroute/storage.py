"""What a config entry keeps in Home Assistant's .storage, and its removal with the entry.

Each part is one private Store named `flowroute.<entry_id>.<part>`; removing the entry
removes every part listed here (received media files stay: they are the user's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.helpers.storage import Store

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

OUTBOX: Final = "outbox"
RECENT_IDS: Final = "recent_ids"
RECEIPTS: Final = "receipts"
OPT_OUTS: Final = "opt_outs"
INBOUND_MEDIA: Final = "inbound_media"
ENTRY_PARTS: Final = (OUTBOX, RECENT_IDS, RECEIPTS, OPT_OUTS, INBOUND_MEDIA)


def entry_store(
    hass: HomeAssistant, entry_id: str, part: str, version: int, *, atomic_writes: bool = False
) -> Store[Any]:
    """Return the private Store of one part of an entry's data."""
    return Store(hass, version, _key(entry_id, part), private=True, atomic_writes=atomic_writes)


async def async_remove_entry_stores(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every part an entry stored (the entry is being removed)."""
    for part in ENTRY_PARTS:
        # Removing needs only the key: the version is never read.
        await Store[Any](hass, 1, _key(entry_id, part)).async_remove()


def _key(entry_id: str, part: str) -> str:
    return f"{DOMAIN}.{entry_id}.{part}"
