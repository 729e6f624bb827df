"""Recently seen message ids, so that a text Flowroute posts twice fires once.

Flowroute retries a callback it thinks failed, and a retry may arrive after a restart:
the ids are kept in a Store, saved a few seconds after a change, on unload and when
Home Assistant stops.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Final, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .storage import RECENT_IDS, entry_store

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.helpers.storage import Store

    from .api import InboundMessage

STORAGE_VERSION: Final = 1
DEFAULT_SIZE: Final = 5000
SAVE_DELAY: Final = 10.0


class _StoredData(TypedDict):
    ids: list[str]  # oldest first


def inbound_key(message: InboundMessage) -> str:
    """Return the dedup key of an inbound message: its id."""
    return message.message_id


class RecentIds:
    """A bounded, persisted set of keys; the oldest are forgotten first."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        *,
        size: int = DEFAULT_SIZE,
        save_delay: float = SAVE_DELAY,
    ) -> None:
        """Keep at most `size` keys of the entry, saved `save_delay` seconds after a change."""
        self._hass = hass
        self._size = size
        self._save_delay = save_delay
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._store: Store[_StoredData] = entry_store(hass, entry_id, RECENT_IDS, STORAGE_VERSION)
        self._save_job = HassJob(self._async_save_later, cancel_on_shutdown=True)
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._unsub_final_write: CALLBACK_TYPE | None = None
        self._dirty = False

    def __contains__(self, key: str) -> bool:
        """Return whether the key was seen."""
        return key in self._ids

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._ids)

    async def async_load(self) -> None:
        """Read the saved keys and start saving on Home Assistant's final write."""
        if stored := await self._store.async_load():
            for key in stored.get("ids", [])[-self._size :]:
                self._ids[key] = None
        self._unsub_final_write = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
        )

    @callback
    def add(self, key: str) -> bool:
        """Remember the key; False when it was already there (a duplicate)."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        self._dirty = True
        if self._unsub_timer is None:
            self._unsub_timer = async_call_later(self._hass, self._save_delay, self._save_job)
        return True

    async def async_close(self) -> None:
        """Stop listening and save what changed (called on unload)."""
        if self._unsub_final_write is not None:
            self._unsub_final_write()
            self._unsub_final_write = None
        await self.async_save()

    async def async_save(self) -> None:
        """Save now if anything changed since the last save."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        if not self._dirty:
            return
        self._dirty = False
        # Built here, in the event loop: the store may serialise in another thread.
        await self._store.async_save({"ids": list(self._ids)})

    async def _async_save_later(self, _now: datetime) -> None:
        self._unsub_timer = None
        await self.async_save()

    async def _async_final_write(self, _event: Event) -> None:
        self._unsub_final_write = None
        await self.async_save()
