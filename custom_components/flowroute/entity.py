"""Base of the entities of one Flowroute number (DID): its device and what it hears."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from collections.abc import Callable

    from .data import FlowrouteConfigEntry
    from .messages import ReceiptUpdate, ReceivedMessage, SentNotice


class FlowrouteDidEntity(Entity):
    """An entity of one of the entry's numbers, fed by the entry's dispatcher signals.

    Subclasses override the `_on_*` hooks they care about; each hook only sees what
    concerns this number. SIGNAL_OPT_OUT is dispatched with the positional arguments
    `(did, number, opted_out, reason)`, once per actual change of a number's state.
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
        """Listen to the entry's signals, keeping what concerns this number."""
        await super().async_added_to_hass()
        for signal, target in (
            (SIGNAL_MESSAGE_RECEIVED, self._for_did("to_number", self._on_received)),
            (SIGNAL_RECEIPT, self._for_did("from_number", self._on_receipt)),
            (SIGNAL_SENT, self._for_did("from_number", self._on_sent)),
            (SIGNAL_SEND_FAILED, self._for_did("from_number", self._on_send_failed)),
            (SIGNAL_BLOCKED, self._for_did("from_number", self._on_blocked)),
            (SIGNAL_OPT_OUT, self._opt_out_for_did),
        ):
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass, signal.format(entry_id=self._entry.entry_id), target
                )
            )

    def _for_did(self, number_field: str, hook: Callable[[Any], None]) -> Callable[[Any], None]:
        """Wrap a hook so that it only sees items whose `number_field` is this number."""

        @callback
        def filtered(item: Any) -> None:
            if getattr(item, number_field) == self._did:
                hook(item)

        return filtered

    @callback
    def _opt_out_for_did(self, did: str, number: str, opted_out: bool, reason: str) -> None:
        if did == self._did:
            self._on_opt_out(number, opted_out, reason)

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
