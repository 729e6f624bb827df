"""Base of the entities of one Flowroute number (DID): its device and what it hears."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from .const import CONF_RECORD_BODIES, DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .data import FlowrouteConfigEntry


class FlowrouteDidEntity(Entity):
    """An entity of one of the entry's numbers, fed by that number's dispatcher signals.

    Each entity declares the signals it handles (`_signal_handlers`), and only those are
    connected: a text to the number wakes only the entities that show texts. What each
    signal (a template in const.py, formatted with the entry id and the number) carries:
    SIGNAL_MESSAGE_RECEIVED a ReceivedMessage; SIGNAL_RECEIPT a ReceiptUpdate;
    SIGNAL_SENT, SIGNAL_SEND_FAILED and SIGNAL_BLOCKED a SentNotice; SIGNAL_OPT_OUT the
    positional arguments `(number, opted_out, reason)`, once per actual change.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: FlowrouteConfigEntry, did: str, key: str) -> None:
        """Attach the entity to the number's device (created by the integration's setup)."""
        self._entry = entry
        self._did = did
        self._attr_unique_id = f"{did}_{key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, did)})

    @property
    def record_bodies(self) -> bool:
        """Whether the user allowed message bodies into states (and so the recorder)."""
        return bool(self._entry.options.get(CONF_RECORD_BODIES, False))

    @abstractmethod
    def _signal_handlers(self) -> Mapping[str, Callable[..., None]]:
        """Return each signal template this entity handles, with the callback it calls."""

    async def async_added_to_hass(self) -> None:
        """Listen to the number's signals that this entity handles."""
        await super().async_added_to_hass()
        for template, handler in self._signal_handlers().items():
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass,
                    template.format(entry_id=self._entry.entry_id, did=self._did),
                    handler,
                )
            )
