"""Sensors per number: last text received, last delivery status, message counts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import callback

from .api import format_number
from .const import (
    CONF_NUMBERS,
    SIGNAL_BLOCKED,
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)
from .entity import FlowrouteDidEntity
from .messages import DeliveryState, ReceiptUpdate, ReceivedMessage, SentNotice

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Iterator, Mapping

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import FlowrouteConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FlowrouteCounterDescription(SensorEntityDescription):
    """A count per number: for each signal it counts, how much an item adds."""

    counts: Mapping[str, Callable[[Any], int]]


COUNTERS: tuple[FlowrouteCounterDescription, ...] = (
    FlowrouteCounterDescription(
        key="messages_sent",
        translation_key="messages_sent",
        state_class=SensorStateClass.TOTAL_INCREASING,
        counts={SIGNAL_SENT: lambda _: 1},
    ),
    FlowrouteCounterDescription(
        key="messages_received",
        translation_key="messages_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        counts={SIGNAL_MESSAGE_RECEIVED: lambda _: 1},
    ),
    # Failed: the outbox gave up, or a receipt told that the carrier could not deliver
    # (counted once per message: only the receipt that made it fail). Opt-outs are
    # counted by the recipients sensor, not here.
    FlowrouteCounterDescription(
        key="messages_failed",
        translation_key="messages_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        counts={
            SIGNAL_SEND_FAILED: lambda _: 1,
            SIGNAL_RECEIPT: lambda update: int(
                update.changed and update.state is DeliveryState.FAILED
            ),
        },
    ),
    # Sends refused before anything left because the recipient opted out.
    FlowrouteCounterDescription(
        key="messages_blocked",
        translation_key="messages_blocked",
        state_class=SensorStateClass.TOTAL_INCREASING,
        counts={SIGNAL_BLOCKED: lambda _: 1},
    ),
)

OPTED_OUT_RECIPIENTS = SensorEntityDescription(
    key="opted_out_recipients",
    translation_key="opted_out_recipients",
    state_class=SensorStateClass.MEASUREMENT,
)
# The state's attributes name this many of the numbers; the action lists them all.
# Few: opt-outs come from unsigned callbacks, and every change rewrites this state.
MAX_LISTED_NUMBERS = 10

LAST_MESSAGE = SensorEntityDescription(key="last_message", translation_key="last_message")
LAST_DELIVERY_STATUS = SensorEntityDescription(
    key="last_delivery_status",
    translation_key="last_delivery_status",
    device_class=SensorDeviceClass.ENUM,
    options=[str(state) for state in DeliveryState],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlowrouteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every number."""
    entities: list[FlowrouteDidEntity] = []
    for did in entry.data[CONF_NUMBERS]:
        entities.append(FlowrouteLastMessageSensor(entry, did))
        entities.append(FlowrouteDeliveryStatusSensor(entry, did))
        entities.extend(FlowrouteCounterSensor(entry, did, description) for description in COUNTERS)
        entities.append(FlowrouteOptedOutSensor(entry, did))
    async_add_entities(entities)


class FlowrouteSensor(FlowrouteDidEntity, RestoreSensor):
    """A sensor of one number that comes back with its last value after a restart."""

    def __init__(
        self, entry: FlowrouteConfigEntry, did: str, description: SensorEntityDescription
    ) -> None:
        """Describe the sensor."""
        super().__init__(entry, did, description.key)
        self.entity_description = description
        self._write_handle: asyncio.Handle | None = None

    async def async_added_to_hass(self) -> None:
        """Restore, then listen (so nothing heard is overwritten by the old value)."""
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._restore_value(last.native_value)
        if (state := await self.async_get_last_state()) is not None:
            self._restore_attributes(state.attributes)
        await super().async_added_to_hass()

    def _restore_value(self, value: Any) -> None:
        """Take back the last value."""
        self._attr_native_value = value

    @callback
    def _async_write_soon(self) -> None:
        """Write the state once per turn of the event loop: a burst of texts is one write.

        The values are kept in the entity as they arrive, so nothing is lost; only the
        intermediate states of a burst are never written (the event entity, whose every
        event matters, writes each one).
        """
        if self._write_handle is None:
            self._write_handle = self.hass.loop.call_soon(self._async_write_now)

    @callback
    def _async_write_now(self) -> None:
        self._write_handle = None
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        """Drop a write that was still to come."""
        if self._write_handle is not None:
            self._write_handle.cancel()
            self._write_handle = None
        await super().async_will_remove_from_hass()

    def _restore_attributes(self, attributes: Any) -> None:
        """Take back the attributes worth keeping from the last state."""


class FlowrouteCounterSensor(FlowrouteSensor):
    """Counts what its description says, starting from the restored count."""

    entity_description: FlowrouteCounterDescription
    _attr_native_value = 0

    def __init__(
        self, entry: FlowrouteConfigEntry, did: str, description: FlowrouteCounterDescription
    ) -> None:
        """Describe the counter."""
        super().__init__(entry, did, description)

    def _restore_value(self, value: Any) -> None:
        # An odd restored value (hand-edited, another type) starts again at zero.
        self._attr_native_value = max(0, int(value)) if isinstance(value, int | float) else 0

    def _handled_signals(self) -> Iterator[tuple[str, Callable[..., None]]]:
        """Listen to what the description counts, and nothing else."""
        for template, amount in self.entity_description.counts.items():
            yield template, partial(self._count, amount)

    @callback
    def _count(self, amount: Callable[[Any], int], item: Any) -> None:
        if added := amount(item):
            current = self._attr_native_value if isinstance(self._attr_native_value, int) else 0
            self._attr_native_value = max(0, current + added)
            self._async_write_soon()


class FlowrouteLastMessageSensor(FlowrouteSensor):
    """Who texted the number last; the body only when the user allows recording it."""

    def __init__(self, entry: FlowrouteConfigEntry, did: str) -> None:
        """Describe the sensor."""
        super().__init__(entry, did, LAST_MESSAGE)
        self._attr_extra_state_attributes = {}

    def _restore_attributes(self, attributes: Any) -> None:
        keep: tuple[str, ...] = ("message_id", "timestamp", "is_mms", "media_count", "keyword")
        if self.record_bodies:
            keep = (*keep, "body")
        self._attr_extra_state_attributes = {
            key: attributes[key] for key in keep if key in attributes
        }

    @callback
    def _on_received(self, message: ReceivedMessage) -> None:
        self._attr_native_value = format_number(message.from_number)
        attributes: dict[str, Any] = {
            "message_id": message.message_id,
            "timestamp": message.timestamp.isoformat(),
            "is_mms": message.is_mms,
            "media_count": len(message.media),
            "keyword": None if message.keyword is None else str(message.keyword),
        }
        # Not set at all otherwise: what is in the state ends up in the recorder.
        if self.record_bodies:
            attributes["body"] = message.body
        self._attr_extra_state_attributes = attributes
        self._async_write_soon()


class FlowrouteDeliveryStatusSensor(FlowrouteSensor):
    """Where the last message sent from the number stands."""

    def __init__(self, entry: FlowrouteConfigEntry, did: str) -> None:
        """Describe the sensor."""
        super().__init__(entry, did, LAST_DELIVERY_STATUS)
        self._attr_extra_state_attributes = {}

    def _restore_value(self, value: Any) -> None:
        # A restored value that is no longer one of the options is forgotten.
        self._attr_native_value = value if value in (LAST_DELIVERY_STATUS.options or ()) else None

    def _restore_attributes(self, attributes: Any) -> None:
        self._attr_extra_state_attributes = {
            key: attributes[key]
            for key in ("message_id", "to", "status_code", "status_description")
            if key in attributes
        }

    @callback
    def _set(self, state: DeliveryState, attributes: dict[str, Any]) -> None:
        self._attr_native_value = str(state)
        self._attr_extra_state_attributes = attributes
        self._async_write_soon()

    @callback
    def _on_sent(self, notice: SentNotice) -> None:
        self._set(DeliveryState.SENT, {"message_id": notice.message_id, "to": notice.to_number})

    @callback
    def _on_send_failed(self, notice: SentNotice) -> None:
        self._set(DeliveryState.FAILED, {"message_id": notice.message_id, "to": notice.to_number})

    @callback
    def _on_receipt(self, update: ReceiptUpdate) -> None:
        self._set(
            update.state,
            {
                "message_id": update.message_id,
                "to": update.to_number,
                "status_code": update.status_code,
                "status_description": update.status_description,
            },
        )


class FlowrouteOptedOutSensor(FlowrouteDidEntity, SensorEntity):
    """How many recipients opted out of the number, read from the opt-out list itself."""

    entity_description = OPTED_OUT_RECIPIENTS
    # Phone numbers are nobody's history: the list is in storage, not in the recorder.
    _unrecorded_attributes = frozenset({"numbers", "more"})

    def __init__(self, entry: FlowrouteConfigEntry, did: str) -> None:
        """Describe the sensor."""
        super().__init__(entry, did, OPTED_OUT_RECIPIENTS.key)

    @property
    def native_value(self) -> int:
        """Return how many recipients opted out."""
        return self._entry.runtime_data.opt_outs.count(self._did)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Name the most recent opt-outs (the list action gives them all)."""
        opt_outs = self._entry.runtime_data.opt_outs
        listed = opt_outs.latest(self._did, MAX_LISTED_NUMBERS)
        return {
            "numbers": [format_number(number) for number in listed],
            "more": opt_outs.count(self._did) - len(listed),
        }

    @callback
    def _on_opt_out(self, number: str, opted_out: bool, reason: str) -> None:
        self.async_write_ha_state()
