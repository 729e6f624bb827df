"""Sensors per number (last text, delivery status, counts, opt-outs) and of usage and spend.

Every sensor is one description: the signals of its number that wake it, and what each
item makes it show; or, for a value the entry keeps elsewhere, where to read it; or, for
usage, which figure of which period's totals it shows (read by usage.py).

The account's usage sensors are on a device of the account: its texts and spend are the
account's, whichever number sent them, and one entity per figure is what the energy-style
statistics graphs want (the same total on every number's device would be counted once per
number). Each number's device has its own texts sent and received this month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import DeliveryState, format_number
from .const import (
    CONF_NUMBERS,
    DOMAIN,
    SIGNAL_BLOCKED,
    SIGNAL_MESSAGE_RECEIVED,
    SIGNAL_OPT_OUT,
    SIGNAL_RECEIPT,
    SIGNAL_SEND_FAILED,
    SIGNAL_SENT,
)
from .entity import FlowrouteDidEntity
from .usage import UsageCoordinator, dollars

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Mapping
    from datetime import date, datetime
    from decimal import Decimal

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .data import FlowrouteConfigEntry, FlowrouteData
    from .messages import ReceiptUpdate, ReceivedMessage, SentNotice
    from .usage import Tally

PARALLEL_UPDATES = 0

# The state's attributes name this many of the numbers; the action lists them all.
# Few: opt-outs come from unsigned callbacks, and every change rewrites this state.
MAX_LISTED_NUMBERS = 10

DELIVERY_STATES = [str(state) for state in DeliveryState]


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown:
    """What a sensor shows after an item it heard: its value and its attributes."""

    value: StateType
    attributes: Mapping[str, Any] = field(default_factory=dict)


# What an item of a signal makes a sensor show, given the value it shows now; None when
# the item changes nothing (and nothing is written).
type Update = Callable[[Any, Any], Shown | None]


def _as_is(value: StateType) -> StateType:
    """Take a restored value back unchanged."""
    return value


@dataclass(frozen=True, kw_only=True)
class FlowrouteSensorEntityDescription(SensorEntityDescription):
    """A sensor of each number: the signals that wake it, and what it then shows.

    Either the sensor builds its value from what it hears (`updates`), and so is
    restored after a restart; or it shows what the entry keeps elsewhere (`value_fn`,
    `attributes_fn`), read again on each signal of `read_on`, and is not restored.
    """

    # For each signal the sensor listens to, what one of its items does to the sensor.
    updates: Mapping[str, Update] = field(default_factory=dict)
    # What the sensor starts from: the value restored after a restart, or None when there
    # is none. A value that makes no sense (hand-edited, from another version) starts over.
    restore_fn: Callable[[Any], StateType] = _as_is
    # The attributes of the last state that come back with the value.
    restored_attributes: tuple[str, ...] = ()
    # Attributes that hold a message body: shown and restored only while the user allows
    # bodies in states (what is in a state ends up in the recorder).
    body_attributes: frozenset[str] = frozenset()
    # Read, rather than accumulated: from the entry's runtime data, for the sensor's number.
    value_fn: Callable[[FlowrouteData, str], StateType] | None = None
    attributes_fn: Callable[[FlowrouteData, str], Mapping[str, Any]] | None = None
    read_on: tuple[str, ...] = ()


def _as_count(value: Any) -> int:
    """Return a count: none, or one that makes no sense, is zero."""
    return max(0, int(value)) if isinstance(value, int | float) else 0


def _counted(amount: Callable[[Any], int], count: Any, item: Any) -> Shown | None:
    """Add what `amount` says an item adds; an item that adds nothing changes nothing."""
    if not (added := amount(item)):
        return None
    return Shown(value=_as_count(count) + added)


def _count(amount: Callable[[Any], int]) -> Update:
    """Count the items of a signal, each as much as `amount` says."""
    return partial(_counted, amount)


def _one(_: Any) -> int:
    return 1


def _last_message(_: Any, message: ReceivedMessage) -> Shown:
    """Who texted the number last, and what (the body only where bodies are allowed)."""
    return Shown(
        value=format_number(message.from_number),
        attributes={
            "message_id": message.message_id,
            "timestamp": message.timestamp.isoformat(),
            "is_mms": message.is_mms,
            "media_count": len(message.media),
            "keyword": None if message.keyword is None else str(message.keyword),
            "body": message.body,
        },
    )


def _notice_status(state: DeliveryState, _: Any, notice: SentNotice) -> Shown:
    """Show that the outbox sent a message, or gave up on it (no receipt yet)."""
    return Shown(
        value=str(state), attributes={"message_id": notice.message_id, "to": notice.to_number}
    )


def _receipt_status(_: Any, update: ReceiptUpdate) -> Shown:
    """Show where a receipt says the message stands."""
    return Shown(
        value=str(update.state),
        attributes={
            "message_id": update.message_id,
            "to": update.to_number,
            "status_code": update.status_code,
            "status_description": update.status_description,
        },
    )


def _as_delivery_state(value: Any) -> StateType:
    """Return a restored state that is still one of the options, else nothing."""
    return value if value in DELIVERY_STATES else None


def _opted_out_count(data: FlowrouteData, did: str) -> int:
    return data.opt_outs.count(did)


def _opted_out_listing(data: FlowrouteData, did: str) -> dict[str, Any]:
    """Name the most recent opt-outs (the list action gives them all)."""
    listed = data.opt_outs.latest(did, MAX_LISTED_NUMBERS)
    return {
        "numbers": [format_number(number) for number in listed],
        "more": data.opt_outs.count(did) - len(listed),
    }


SENSORS: tuple[FlowrouteSensorEntityDescription, ...] = (
    FlowrouteSensorEntityDescription(
        key="last_message",
        translation_key="last_message",
        updates={SIGNAL_MESSAGE_RECEIVED: _last_message},
        restored_attributes=(
            "message_id",
            "timestamp",
            "is_mms",
            "media_count",
            "keyword",
            "body",
        ),
        body_attributes=frozenset({"body"}),
    ),
    FlowrouteSensorEntityDescription(
        key="last_delivery_status",
        translation_key="last_delivery_status",
        device_class=SensorDeviceClass.ENUM,
        options=DELIVERY_STATES,
        updates={
            SIGNAL_SENT: partial(_notice_status, DeliveryState.SENT),
            SIGNAL_SEND_FAILED: partial(_notice_status, DeliveryState.FAILED),
            SIGNAL_RECEIPT: _receipt_status,
        },
        restore_fn=_as_delivery_state,
        restored_attributes=("message_id", "to", "status_code", "status_description"),
    ),
    FlowrouteSensorEntityDescription(
        key="messages_sent",
        translation_key="messages_sent",
        state_class=SensorStateClass.TOTAL_INCREASING,
        updates={SIGNAL_SENT: _count(_one)},
        restore_fn=_as_count,
    ),
    FlowrouteSensorEntityDescription(
        key="messages_received",
        translation_key="messages_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        updates={SIGNAL_MESSAGE_RECEIVED: _count(_one)},
        restore_fn=_as_count,
    ),
    # Failed: the outbox gave up, or a receipt told that the carrier could not deliver
    # (counted once per message: only the receipt that made it fail). Opt-outs are
    # counted by the recipients sensor, not here.
    FlowrouteSensorEntityDescription(
        key="messages_failed",
        translation_key="messages_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        updates={
            SIGNAL_SEND_FAILED: _count(_one),
            SIGNAL_RECEIPT: _count(
                lambda update: int(update.changed and update.state is DeliveryState.FAILED)
            ),
        },
        restore_fn=_as_count,
    ),
    # Sends refused before anything left because the recipient opted out.
    FlowrouteSensorEntityDescription(
        key="messages_blocked",
        translation_key="messages_blocked",
        state_class=SensorStateClass.TOTAL_INCREASING,
        updates={SIGNAL_BLOCKED: _count(_one)},
        restore_fn=_as_count,
    ),
    # Read from the opt-out list itself, which is stored: nothing to restore.
    FlowrouteSensorEntityDescription(
        key="opted_out_recipients",
        translation_key="opted_out_recipients",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_opted_out_count,
        attributes_fn=_opted_out_listing,
        read_on=(SIGNAL_OPT_OUT,),
    ),
)


@dataclass(frozen=True, kw_only=True)
class FlowrouteUsageSensorEntityDescription(SensorEntityDescription):
    """A usage sensor: which figure of the day's or the month's totals it shows.

    Every one is a total that starts again at midnight or on the first of the month, in
    Home Assistant's time zone: state class total with `last_reset` at that start. It is
    the one monetary sensors may have, and it tells long-term statistics where each cycle
    begins even when no state was recorded at the moment it went back to zero.
    """

    value_fn: Callable[[Tally], int | Decimal]
    monthly: bool
    state_class: SensorStateClass = SensorStateClass.TOTAL


def _sent(tally: Tally) -> int:
    return tally.sent


def _received(tally: Tally) -> int:
    return tally.received


def _segments_sent(tally: Tally) -> int:
    return tally.segments_sent


def _spend(tally: Tally) -> Decimal:
    return dollars(tally.spend_nanodollars)


_MONEY: dict[str, Any] = {
    "device_class": SensorDeviceClass.MONETARY,
    "native_unit_of_measurement": "USD",
    # Flowroute prices texts in tenths of a cent ($0.0040 a segment).
    "suggested_display_precision": 4,
}
TEXTS_SENT_MONTH = FlowrouteUsageSensorEntityDescription(
    key="texts_sent_month", translation_key="texts_sent_month", value_fn=_sent, monthly=True
)
TEXTS_RECEIVED_MONTH = FlowrouteUsageSensorEntityDescription(
    key="texts_received_month",
    translation_key="texts_received_month",
    value_fn=_received,
    monthly=True,
)
ACCOUNT_USAGE_SENSORS: tuple[FlowrouteUsageSensorEntityDescription, ...] = (
    FlowrouteUsageSensorEntityDescription(
        key="texts_sent_today", translation_key="texts_sent_today", value_fn=_sent, monthly=False
    ),
    TEXTS_SENT_MONTH,
    FlowrouteUsageSensorEntityDescription(
        key="texts_received_today",
        translation_key="texts_received_today",
        value_fn=_received,
        monthly=False,
    ),
    TEXTS_RECEIVED_MONTH,
    # What the bill counts rather than what people count: diagnostic.
    FlowrouteUsageSensorEntityDescription(
        key="segments_sent_month",
        translation_key="segments_sent_month",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_segments_sent,
        monthly=True,
    ),
    FlowrouteUsageSensorEntityDescription(
        key="spend_today", translation_key="spend_today", value_fn=_spend, monthly=False, **_MONEY
    ),
    FlowrouteUsageSensorEntityDescription(
        key="spend_month", translation_key="spend_month", value_fn=_spend, monthly=True, **_MONEY
    ),
)
NUMBER_USAGE_SENSORS: tuple[FlowrouteUsageSensorEntityDescription, ...] = (
    TEXTS_SENT_MONTH,
    TEXTS_RECEIVED_MONTH,
)


def account_device_info(entry: FlowrouteConfigEntry) -> DeviceInfo:
    """Return the device of the entry's account (not a number: no digits-only identifier)."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"account_{entry.entry_id}")},  # never the access key
        name=entry.title,
        manufacturer="Flowroute",
        model="Account",
        entry_type=DeviceEntryType.SERVICE,
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FlowrouteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every number, and the account's usage sensors."""
    async_add_entities(
        (FlowrouteSensor if description.value_fn is not None else FlowrouteRestoredSensor)(
            entry, did, description
        )
        for did in entry.data[CONF_NUMBERS]
        for description in SENSORS
    )
    async_add_entities(
        FlowrouteUsageSensor(entry, description) for description in ACCOUNT_USAGE_SENSORS
    )
    async_add_entities(
        FlowrouteUsageSensor(entry, description, did)
        for did in entry.data[CONF_NUMBERS]
        for description in NUMBER_USAGE_SENSORS
    )


class FlowrouteSensor(FlowrouteDidEntity, SensorEntity):
    """A sensor of one number, as its description says; written once per loop turn."""

    entity_description: FlowrouteSensorEntityDescription
    # Phone numbers (the opted-out recipients) are nobody's history: the opt-out list is
    # in storage, not in the recorder.
    _unrecorded_attributes = frozenset({"numbers", "more"})

    def __init__(
        self, entry: FlowrouteConfigEntry, did: str, description: FlowrouteSensorEntityDescription
    ) -> None:
        """Describe the sensor."""
        super().__init__(entry, did, description.key)
        self.entity_description = description
        self._attr_extra_state_attributes = {}
        self._write_handle: asyncio.Handle | None = None

    def _signal_handlers(self) -> Mapping[str, Callable[..., None]]:
        """Listen to what the description names, and nothing else."""
        description = self.entity_description
        handlers: dict[str, Callable[..., None]] = {
            template: partial(self._async_heard, update)
            for template, update in description.updates.items()
        }
        handlers.update(dict.fromkeys(description.read_on, self._async_read_again))
        return handlers

    @property
    def native_value(self) -> StateType | date | datetime | Decimal:
        """Return the value read where the description says, or the one heard."""
        if (value_fn := self.entity_description.value_fn) is None:
            return self._attr_native_value
        return value_fn(self._entry.runtime_data, self._did)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the attributes read where the description says, or the ones heard."""
        if (attributes_fn := self.entity_description.attributes_fn) is None:
            return self._attr_extra_state_attributes
        return attributes_fn(self._entry.runtime_data, self._did)

    def _show(self, value: StateType, attributes: Mapping[str, Any]) -> None:
        """Keep what the sensor shows; a body only while bodies are allowed."""
        self._attr_native_value = value
        hidden = frozenset() if self.record_bodies else self.entity_description.body_attributes
        self._attr_extra_state_attributes = {
            key: item for key, item in attributes.items() if key not in hidden
        }

    @callback
    def _async_heard(self, update: Update, item: Any) -> None:
        if (shown := update(self._attr_native_value, item)) is not None:
            self._show(shown.value, shown.attributes)
            self._async_write_soon()

    @callback
    def _async_read_again(self, *_: Any) -> None:
        self._async_write_soon()

    @callback
    def _async_write_soon(self) -> None:
        """Write the state once per turn of the event loop: a burst of texts is one write.

        The values are kept in the entity (or where it reads them) as they arrive, so
        nothing is lost; only the intermediate states of a burst are never written (the
        event entity, whose every event matters, writes each one).
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


class FlowrouteRestoredSensor(FlowrouteSensor, RestoreSensor):
    """A sensor whose value is built from what it heard: it comes back after a restart."""

    async def async_added_to_hass(self) -> None:
        """Restore, then listen (so nothing heard is overwritten by the old value)."""
        description = self.entity_description
        last = await self.async_get_last_sensor_data()
        value = description.restore_fn(None if last is None else last.native_value)
        attributes: dict[str, Any] = {}
        if (state := await self.async_get_last_state()) is not None:
            attributes = {
                key: state.attributes[key]
                for key in description.restored_attributes
                if key in state.attributes
            }
        self._show(value, attributes)
        await super().async_added_to_hass()


class FlowrouteUsageSensor(CoordinatorEntity[UsageCoordinator], SensorEntity):
    """A figure of the account's (or one number's) usage today or this month.

    Unknown until the first read of the message records; unavailable while reading fails.
    """

    _attr_has_entity_name = True
    entity_description: FlowrouteUsageSensorEntityDescription

    def __init__(
        self,
        entry: FlowrouteConfigEntry,
        description: FlowrouteUsageSensorEntityDescription,
        did: str | None = None,
    ) -> None:
        """Describe the sensor of the account, or of the number `did`."""
        super().__init__(entry.runtime_data.usage)
        self.entity_description = description
        self._did = did
        if did is None:
            self._attr_unique_id = f"account_{entry.entry_id}_{description.key}"
            self._attr_device_info = account_device_info(entry)
        else:
            self._attr_unique_id = f"{did}_{description.key}"
            self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, did)})

    @property
    def native_value(self) -> int | Decimal | None:
        """Return the figure of the period's totals."""
        if (figures := self.coordinator.data) is None:
            return None
        description = self.entity_description
        if description.monthly:
            return description.value_fn(figures.for_month(self._did))
        return description.value_fn(figures.for_today(self._did))

    @property
    def last_reset(self) -> datetime | None:
        """Return when the period began: midnight, or the first of the month."""
        if (figures := self.coordinator.data) is None:
            return None
        return figures.month_start if self.entity_description.monthly else figures.day_start
