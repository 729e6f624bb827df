"""Delivery receipts: follow each sent message to the handset and publish every step.

Flowroute posts a level 1 receipt (the carrier took it) and a level 2 receipt (the handset
got it, or not), in any order, sometimes twice, sometimes several level 2 receipts, and
sometimes none. The tracker reduces them to one state per message, remembers it across
restarts, and answers `async_wait` for the send action's `wait_for_delivery`.

It decides, then publishes: a 1110 receipt tells the opt-out list, a registration code
(10DLC, toll-free) raises the number's repair issue, and only then do the bus event and
the number's entities hear of it. A receipt applied once is recognised when Flowroute
posts it again (the only place receipts are deduplicated: the state machine must
remember them anyway).

Receipts are unsigned: only receipts of messages this entry sent change anything (state,
entities, opt-outs, repair issues). A receipt of any other message still fires the event,
with the state it alone gives, and is held briefly in case its send is confirmed late (a
reply lost and reconciled).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, TypedDict, TypeGuard

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .api import DeliveryState
from .const import CONF_NUMBERS, EVENT_DELIVERY_RECEIPT, SIGNAL_RECEIPT
from .messages import ReceiptUpdate
from .repairs import REGISTRATION_PROBLEMS, async_registration_blocked, async_registration_sorted
from .storage import RECEIPTS, entry_store

if TYPE_CHECKING:
    from homeassistant.helpers.storage import Store

    from .api import DeliveryReceipt
    from .conversations import ConversationStore
    from .data import FlowrouteConfigEntry
    from .opt_out import OptOutList

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 10.0
# Receipts come within minutes of a send; this many messages is days of a busy house.
MAX_TRACKED: Final = 10_000
# Distinct receipts applied to one message (level 1, level 2, a few repeats of level 2
# with other statuses); any more are forged or broken and change nothing.
MAX_RECEIPTS_PER_MESSAGE: Final = 16
# Receipts of messages not (yet) known: held for this many messages, oldest dropped.
MAX_EARLY: Final = 256
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


def is_registration_problem(code: int | None) -> TypeGuard[int]:
    """Whether a receipt's code says the sending number lacks 10DLC or toll-free registration.

    1103, 1104, 1150, 1152, 1160: unregistered traffic that carriers block or filter.
    """
    return code in REGISTRATION_PROBLEMS


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

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        opt_outs: OptOutList,
        conversations: ConversationStore | None = None,
    ) -> None:
        """Track receipts for one entry, telling `opt_outs` of 1110; `async_load` before use.

        `conversations` (the Texts panel's) follow each sent message's state.
        """
        self._hass = hass
        self._entry = entry
        self._opt_outs = opt_outs
        self._conversations = conversations
        self._store: Store[_StoredData] = entry_store(
            hass, entry.entry_id, RECEIPTS, STORAGE_VERSION
        )
        # Insertion order is age: the oldest entries go first when the bound is reached.
        self._messages: dict[str, _Tracked] = {}
        # Receipts of messages not known yet, by correlation key (bounded by MAX_EARLY).
        self._early: OrderedDict[str, list[DeliveryReceipt]] = OrderedDict()
        self._waiters: dict[str, set[asyncio.Future[WaitResult]]] = {}

    async def async_load(self) -> None:
        """Restore what a previous run knew; entries that do not make sense are skipped."""
        stored = await self._store.async_load()
        items = stored.get("messages") if isinstance(stored, dict) else None
        for item in items if isinstance(items, list) else ():
            try:
                key = item["key"]
                tracked = _Tracked(
                    message_id=str(item["id"]),
                    to_number=item["to_number"],
                    from_number=item["from_number"],
                    state=DeliveryState(item["state"]),
                    seen=set(item["seen"][:MAX_RECEIPTS_PER_MESSAGE]),
                )
            except (KeyError, TypeError, ValueError):
                continue
            self._add(str(key), tracked)

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

    def tracked(self, did: str | None = None) -> list[tuple[str, DeliveryState]]:
        """Return (message id, state) of the messages followed (sent from `did`), oldest first."""
        return [
            (tracked.message_id, tracked.state)
            for tracked in self._messages.values()
            if did is None or tracked.from_number == did
        ]

    @callback
    def async_track_sent(self, message_id: str, to_number: str, from_number: str) -> None:
        """Start following a message Flowroute accepted (a receipt may have come first)."""
        key = correlation_key(message_id)
        tracked = self._messages.get(key)
        if tracked is None:
            tracked = _Tracked(message_id, to_number, from_number)
            self._add(key, tracked)
        else:
            tracked.message_id = message_id
            tracked.to_number = to_number
            tracked.from_number = from_number
        for receipt in self._early.pop(key, ()):
            # Came before the send was confirmed: it is this message's after all.
            self._apply(tracked, receipt)
        if tracked.state in _TERMINAL:
            self._resolve(key, tracked.state)
        self._learn_opt_out(tracked)
        self._save_soon()

    async def async_handle(self, receipt: DeliveryReceipt) -> ReceiptUpdate | None:
        """Apply a receipt and publish it; None only for a receipt already applied.

        A coroutine for the webhook's sake (it awaits its receipt handler); nothing in it
        waits, so the receipt is applied and published before the webhook answers.

        A receipt of a message this entry did not send (or not yet: its reply was lost)
        fires the event with the state it alone gives and changes nothing else.
        """
        key = correlation_key(receipt.message_id)
        tracked = self._messages.get(key)
        if tracked is None:
            return self._async_handle_unknown(key, receipt)
        previous = tracked.state
        if not self._apply(tracked, receipt):
            return None
        self._save_soon()
        if self._conversations is not None:
            self._conversations.async_delivery(tracked.message_id, tracked.state, receipt)

        update = self._update(
            receipt,
            tracked.message_id,
            tracked.to_number,
            tracked.from_number,
            state=tracked.state,
            changed=tracked.state is not previous,
        )
        if tracked.state in _TERMINAL:
            self._resolve(key, tracked.state)
        self._learn_opt_out(tracked)
        self._check_registration(receipt, tracked)
        self._hass.bus.async_fire(EVENT_DELIVERY_RECEIPT, update.as_event_data())
        if update.from_number is not None:
            async_dispatcher_send(
                self._hass,
                SIGNAL_RECEIPT.format(entry_id=self._entry.entry_id, did=update.from_number),
                update,
            )
        return update

    def _async_handle_unknown(self, key: str, receipt: DeliveryReceipt) -> ReceiptUpdate | None:
        """Fire the event of a receipt of an unknown message and hold it a while."""
        held = self._early.get(key)
        if held is None:
            held = self._early[key] = []
            while len(self._early) > MAX_EARLY:
                self._early.popitem(last=False)
        receipt_key = _receipt_key(receipt)
        if len(held) >= MAX_RECEIPTS_PER_MESSAGE or any(
            _receipt_key(other) == receipt_key for other in held
        ):
            return None
        held.append(receipt)
        update = self._update(
            receipt,
            receipt.message_id,
            receipt.to_number,
            receipt.from_number,
            state=next_state(DeliveryState.SENT, receipt),
            changed=False,
        )
        self._hass.bus.async_fire(EVENT_DELIVERY_RECEIPT, update.as_event_data())
        return update

    def _update(
        self,
        receipt: DeliveryReceipt,
        message_id: str,
        to_number: str | None,
        from_number: str | None,
        *,
        state: DeliveryState,
        changed: bool,
    ) -> ReceiptUpdate:
        """Return what is published of a receipt, for the message it belongs to."""
        return ReceiptUpdate(
            config_entry_id=self._entry.entry_id,
            message_id=message_id,
            to_number=to_number,
            from_number=from_number,
            level=receipt.level,
            status=receipt.status,
            status_code=receipt.status_code,
            status_description=receipt.status_description,
            state=state,
            timestamp=receipt.timestamp or dt_util.utcnow(),
            changed=changed,
        )

    @staticmethod
    def _apply(tracked: _Tracked, receipt: DeliveryReceipt) -> bool:
        """Apply a receipt to a known message; False when it changes nothing (a repeat)."""
        receipt_key = _receipt_key(receipt)
        if receipt_key in tracked.seen or len(tracked.seen) >= MAX_RECEIPTS_PER_MESSAGE:
            return False
        tracked.seen.add(receipt_key)
        tracked.state = next_state(tracked.state, receipt)
        return True

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

    def _learn_opt_out(self, tracked: _Tracked) -> None:
        """Tell the opt-out list when a message of ours was refused with 1110 (STOP)."""
        if (
            tracked.state is DeliveryState.OPTED_OUT
            and tracked.from_number is not None
            and tracked.to_number is not None
        ):
            self._opt_outs.async_learn_receipt(tracked.from_number, tracked.to_number)

    def _check_registration(self, receipt: DeliveryReceipt, tracked: _Tracked) -> None:
        """Raise one repair issue per configured number whose texts are blocked for registration."""
        did = tracked.from_number
        if did is None or did not in self._entry.data[CONF_NUMBERS]:
            return
        code = receipt.status_code
        if is_registration_problem(code):
            async_registration_blocked(self._hass, self._entry, did, code)
        elif tracked.state is DeliveryState.DELIVERED:
            # Texts from this number reach handsets again: registration is sorted.
            async_registration_sorted(self._hass, self._entry, did)

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
