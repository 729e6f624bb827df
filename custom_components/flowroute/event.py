"""Event entities: one per number, for texts received and recipients opting out or in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity
from homeassistant.core import callback

from .const import CONF_NUMBERS, SIGNAL_MESSAGE_RECEIVED, SIGNAL_OPT_OUT
from .entity import FlowrouteDidEntity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import FlowrouteConfigEntry
    from .messages import ReceivedMessage

PARALLEL_UPDATES = 0

EVENT_TYPE_MESSAGE = "message_received"
EVENT_TYPE_MMS = "mms_received"
EVENT_TYPE_OPTED_OUT = "opted_out"
EVENT_TYPE_OPTED_IN = "opted_in"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlowrouteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the messages event entity of every number."""
    async_add_entities(FlowrouteMessageEvent(entry, did) for did in entry.data[CONF_NUMBERS])


class FlowrouteMessageEvent(FlowrouteDidEntity, EventEntity):
    """Fires on each text or MMS to the number and on its recipients' opt-out changes."""

    _attr_translation_key = "messages"

    def __init__(self, entry: FlowrouteConfigEntry, did: str) -> None:
        """Describe the number's event entity."""
        super().__init__(entry, did, "messages")
        self._attr_event_types = [
            EVENT_TYPE_MESSAGE,
            EVENT_TYPE_MMS,
            EVENT_TYPE_OPTED_OUT,
            EVENT_TYPE_OPTED_IN,
        ]

    def _signal_handlers(self) -> Mapping[str, Callable[..., None]]:
        """Texts to the number and its recipients' opt-out changes; nothing about sends."""
        return {SIGNAL_MESSAGE_RECEIVED: self._on_received, SIGNAL_OPT_OUT: self._on_opt_out}

    # Every event is written at once (no batching as the sensors do): each one is what an
    # automation triggers on, so none of a burst may be folded into the next.

    @callback
    def _on_received(self, message: ReceivedMessage) -> None:
        # The body goes into the state's attributes, and so into the recorder, only
        # when the user allowed it.
        attributes: dict[str, Any] = {
            "from": message.from_number,
            "message_id": message.message_id,
            "keyword": None if message.keyword is None else str(message.keyword),
            "media_count": len(message.media),
        }
        if self.record_bodies:
            attributes["body"] = message.body
        self._trigger_event(EVENT_TYPE_MMS if message.is_mms else EVENT_TYPE_MESSAGE, attributes)
        self.async_write_ha_state()

    @callback
    def _on_opt_out(self, number: str, opted_out: bool, reason: str) -> None:
        self._trigger_event(
            EVENT_TYPE_OPTED_OUT if opted_out else EVENT_TYPE_OPTED_IN,
            {"number": number, "reason": reason},
        )
        self.async_write_ha_state()
