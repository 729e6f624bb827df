"""Delivery receipts: follow each sent message to the handset and publish every step.

Flowroute posts a level 1 receipt (the carrier took it) and a level 2 receipt (the handset
got it, or not), in any order, sometimes twice, sometimes several level 2 receipts, and
sometimes none. The tracker reduces them to one state per message, remembers it across
restarts, and answers `async_wait` for the send action's `wait_for_delivery`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .api import format_number
from .const import CONF_NUMBERS, DOMAIN, EVENT_DELIVERY_RECEIPT, SIGNAL_RECEIPT
from .messages import DeliveryState, ReceiptUpdate
from .storage import RECEIPTS, entry_store

if TYPE_CHECKING:
    from homeassistant.helpers.storage import Store

    from .api import DeliveryReceipt
    from .data import FlowrouteConfigEntry

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10.0
# Receipts come within minutes of a send; this many messages is days of a busy house.
MAX_TRACKED: Final = 10_000
# Receipt codes that mean the sending number is not registered (10DLC campaign,
# toll-free verification) or is filtered as unregistered traffic.
REGISTRATION_CODES: Final = frozenset({1103, 1104, 1150, 1152, 1160})
# NANP toll-free area codes: such numbers need toll-free verification, not 10DLC.
_TOLL_FREE_PREFIXES: Final = tuple(f"1{area}" for area in (800, 833, 844, 855, 866, 877, 888))
# `mdr2-<hex>` for v2.1, `mdr1-<hex>` in Messaging v2 receipts of the same message.
_ID_PREFIX: Final = re.compile(r"mdr[0-9]+-")

_TERMINAL: Final = frozenset(
    {DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.OPTED_OUT}
)

type WaitResult = DeliveryState | Literal["unknown"]
UNKNOWN: Final = "unknown"


class _StoredMessage(TypedDict):
    key: str
    id: str
    to_number: str | None
    from_number: str | None
    state: str
    seen: list[str]


class _StoredData(TypedDict):
    messages: list[_StoredMessage]


@dataclass(slots=True)
class _Tracked:
    """What the tracker knows about one message."""

    message_id: str
    to_number: str | None
    from_number: str | None
    state: DeliveryState = DeliveryState.SENT
    seen: set[str] = field(default_factory=set)  # receipts already applied (level|status|code)


def correlation_key(message_id: str) -> str:
    """Return the part of a message id that v2.1 and legacy receipts share."""
    if match := _ID_PREFIX.match(message_id):
        return message_id[match.end() :]
    return message_id


def next_state(current: DeliveryState, receipt: DeliveryReceipt) -> DeliveryState:
    """Apply one receipt: the first final state wins, except that an opt-out wins always."""
    outcome = receipt.outcome
    if outcome is DeliveryState.OPTED_OUT:
        return outcome
    if current in _TERMINAL:
        return current
    return outcome


def _receipt_key(receipt: DeliveryReceipt) -> str:
    return f"{receipt.level}|{receipt.status}|{receipt.status_code}"


class ReceiptTracker:
    """Delivery state of the messages one config entry sent, persisted and bounded."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Track receipts for one entry; call `async_load` before use."""
        self._hass = hass
        self._entry = entry
        self._store: Store[_StoredData] = entry_store(
            hass, entry.entry_id, RECEIPTS, STORAGE_VERSION
        )
        # Insertion order is age: the oldest entries go first when the bound is reached.
        self._messages: dict[str, _Tracked] = {}
        self._waiters: dict[str, set[asyncio.Future[WaitResult]]] = {}

    async def async_load(self) -> None:
        """Restore what a previous run knew."""
        stored = await self._store.async_load()
        if not stored:
            return
        for item in stored.get("messages", []):
            try:
                state = DeliveryState(item["state"])
            except ValueError:
                continue
            self._messages[item["key"]] = _Tracked(
                message_id=item["id"],
                to_number=item["to_number"],
                from_number=item["from_number"],
                state=state,
                seen=set(item["seen"]),
            )

    async def async_unload(self) -> None:
        """Answer pending waits with "unknown" and save now."""
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.set_result(UNKNOWN)
        self._waiters.clear()
        await self._store.async_save(self._data())

    def state(self, message_id: str) -> DeliveryState | None:
        """Return the known state of a message, or None if no receipt or send is known."""
        tracked = self._messages.get(correlation_key(message_id))
        return None if tracked is None else tracked.state

    @callback
    def async_track_sent(self, message_id: str, to_number: str, from_number: str) -> None:
        """Start following a message Flowroute accepted (a receipt may have come first)."""
        key = correlation_key(message_id)
        tracked = self._messages.get(key)
        if tracked is None:
            self._add(key, _Tracked(message_id, to_number, from_number))
        else:
            tracked.message_id = message_id
            tracked.to_number = to_number
            tracked.from_number = from_number
        self._save_soon()

    async def async_handle(self, receipt: DeliveryReceipt) -> ReceiptUpdate | None:
        """Apply a receipt and publish it; None only for a receipt already applied.

        A coroutine for the webhook's sake (it awaits its receipt handler); nothing in it
        waits, so the receipt is applied and published before the webhook answers.

        Receipts of messages this entry did not send (before it knew, or sent by another
        system from the same number) are published too, with the state they alone give.
        """
        key = correlation_key(receipt.message_id)
        tracked = self._messages.get(key)
        if tracked is None:
            tracked = _Tracked(receipt.message_id, receipt.to_number, receipt.from_number)
            self._add(key, tracked)
        receipt_key = _receipt_key(receipt)
        if receipt_key in tracked.seen:
            return None
        tracked.seen.add(receipt_key)
        tracked.to_number = tracked.to_number or receipt.to_number
        tracked.from_number = tracked.from_number or receipt.from_number
        previous = tracked.state
        tracked.state = next_state(previous, receipt)
        self._save_soon()

        update = ReceiptUpdate(
            config_entry_id=self._entry.entry_id,
            message_id=tracked.message_id,
            to_number=tracked.to_number,
            from_number=tracked.from_number,
            level=receipt.level,
            status=receipt.status,
            status_code=receipt.status_code,
            status_description=receipt.status_description,
            state=tracked.state,
            timestamp=receipt.timestamp or dt_util.utcnow(),
            changed=tracked.state is not previous,
        )
        if tracked.state in _TERMINAL:
            self._resolve(key, tracked.state)
        self._check_registration(receipt, tracked)
        self._hass.bus.async_fire(EVENT_DELIVERY_RECEIPT, update.as_event_data())
        if update.from_number is not None:  # else sent by no number of this entry's
            async_dispatcher_send(
                self._hass,
                SIGNAL_RECEIPT.format(entry_id=self._entry.entry_id, did=update.from_number),
                update,
            )
        return update

    # The timeout is part of the answer ("unknown"), not an error for the caller to catch.
    async def async_wait(self, message_id: str, timeout: float) -> WaitResult:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for a final state; "unknown" if none came."""
        key = correlation_key(message_id)
        tracked = self._messages.get(key)
        if tracked is not None and tracked.state in _TERMINAL:
            return tracked.state
        if timeout <= 0:
            return UNKNOWN
        future: asyncio.Future[WaitResult] = self._hass.loop.create_future()
        waiters = self._waiters.setdefault(key, set())
        waiters.add(future)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            return UNKNOWN
        finally:
            waiters.discard(future)
            if not waiters and self._waiters.get(key) is waiters:
                del self._waiters[key]

    def _add(self, key: str, tracked: _Tracked) -> None:
        self._messages[key] = tracked
        while len(self._messages) > MAX_TRACKED:
            del self._messages[next(iter(self._messages))]

    def _resolve(self, key: str, state: DeliveryState) -> None:
        for future in self._waiters.pop(key, ()):
            if not future.done():
                future.set_result(state)

    def _check_registration(self, receipt: DeliveryReceipt, tracked: _Tracked) -> None:
        """Raise one repair issue per number whose texts are blocked for registration."""
        did = tracked.from_number
        numbers: list[str] = self._entry.data[CONF_NUMBERS]
        if did is None and len(numbers) == 1:
            did = numbers[0]
        if receipt.status_code not in REGISTRATION_CODES:
            if did is not None and tracked.state is DeliveryState.DELIVERED:
                # Texts from this number reach handsets again: registration is sorted.
                ir.async_delete_issue(self._hass, DOMAIN, _issue_id(self._entry.entry_id, did))
            return
        placeholders = {
            "title": self._entry.title,
            "code": str(receipt.status_code),
            "description": receipt.status_description or "",
        }
        if did is None:
            translation_key = "registration_unknown_number"
        else:
            placeholders["number"] = format_number(did)
            translation_key = (
                "registration_toll_free"
                if did.startswith(_TOLL_FREE_PREFIXES)
                else "registration_10dlc"
            )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            _issue_id(self._entry.entry_id, did),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )

    def _save_soon(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> _StoredData:
        """Build what to store (called in the event loop when the store writes)."""
        return {
            "messages": [
                {
                    "key": key,
                    "id": tracked.message_id,
                    "to_number": tracked.to_number,
                    "from_number": tracked.from_number,
                    "state": str(tracked.state),
                    "seen": sorted(tracked.seen),
                }
                for key, tracked in self._messages.items()
            ]
        }


def _issue_id(entry_id: str, did: str | None) -> str:
    return f"registration_{entry_id}_{did or 'unknown'}"
