"""Base of the entities of one Flowroute number (DID): its device and what it hears."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from .const import (
    CONF_RECORD_BODIES,
    DOMAIN,
    SIGNAL_BLOCKED,
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_OPT_OUT,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .data import FlowrouteConfigEntry
    from .messages import ReceiptUpdate, ReceivedMessage, SentNotice


# What each of the number's signals calls on an entity.
_HOOKS: Final = (
    (SIGNAL_MESSAGE_RECEIVED, "_on_received"),
    (SIGNAL_RECEIPT, "_on_receipt"),
    (SIGNAL_SENT, "_on_sent"),
    (SIGNAL_SEND_FAILED, "_on_send_failed"),
    (SIGNAL_BLOCKED, "_on_blocked"),
    (SIGNAL_OPT_OUT, "_on_opt_out"),
)


class FlowrouteDidEntity(Entity):
    """An entity of one of the entry's numbers, fed by that number's dispatcher signals.

    Subclasses override the `_on_*` hooks they care about, and only those are connected:
    a text to the number wakes only the entities that show texts. SIGNAL_OPT_OUT is
    dispatched with the positional arguments `(number, opted_out, reason)`, once per
    actual change of a number's state.
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

    async def async_added_to_hass(self) -> None:
        """Listen to the number's signals that this entity handles."""
        await super().async_added_to_hass()
        for template, hook in self._handled_signals():
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass, template.format(entry_id=self._entry.entry_id, did=self._did), hook
                )
            )

    def _handled_signals(self) -> Iterator[tuple[str, Callable[..., None]]]:
        """Yield each signal template this entity handles with its hook: the overridden ones."""
        for template, name in _HOOKS:
            if getattr(type(self), name) is not getattr(FlowrouteDidEntity, name):
                yield template, getattr(self, name)

    @callback
    def _on_received(self, message: ReceivedMessage) -> None:
        """Handle a text or MMS to this number."""

    @callback
    def _on_receipt(self, update: ReceiptUpdate) -> None:
        """Handle a delivery receipt of a message sent from this number."""

    @callback
    def _on_sent(self, notice: SentNotice) -> None:
        """Handle a message from this number that Flowroute accepted."""

    @callback
    def _on_send_failed(self, notice: SentNotice) -> None:
        """Handle a message from this number that the outbox gave up on."""

    @callback
    def _on_blocked(self, notice: SentNotice) -> None:
        """Handle a message from this number refused because its recipient opted out."""

    @callback
    def _on_opt_out(self, number: str, opted_out: bool, reason: str) -> None:
        """Handle a recipient of this number opting out (or back in)."""
