"""The opt-out list: who must never get another text from which of the entry's numbers.

A recipient is opted out of one DID (Flowroute and the carriers block per sending
number) when they text a STOP keyword to it (STOPALL: every DID of the entry), when
Flowroute refuses a send with code 1110, when a delivery receipt says 1110, or by the
`flowroute.opt_out` action. START, UNSTOP and YES (or `flowroute.opt_in`) lift it.

The list is checked by the send path before anything leaves (sending.Sender) and again by
the outbox right before each attempt, so a STOP that arrives while a message waits in
the queue still stops it. It lives in a Store per entry, written atomically a moment
after each change (and on unload and shutdown); lookups are two dictionary reads.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import FlowrouteResponseError
from .const import CONF_NUMBERS, EVENT_OPT_OUT_CHANGED, LOGGER, SIGNAL_OPT_OUT
from .messages import DeliveryState
from .storage import OPT_OUTS, entry_store

if TYPE_CHECKING:
    from homeassistant.helpers.storage import Store

    from .api import FlowrouteError
    from .data import FlowrouteConfigEntry
    from .messages import ReceiptUpdate
    from .outbox import OutboundMessage

STORAGE_VERSION: Final = 1
# Long enough to write a burst of STOPs once, short enough that a crash loses nothing
# that matters (Flowroute's own block and its 1110 replies cover the gap).
SAVE_DELAY: Final = 1.0


class OptOutReason(StrEnum):
    """Why a recipient's state changed (the event's `reason`, public contract)."""

    KEYWORD = "keyword"
    DELIVERY_RECEIPT = "delivery_receipt"
    SEND_ERROR = "send_error"
    ACTION = "action"


@dataclass(frozen=True, slots=True, kw_only=True)
class OptOut:
    """One recipient opted out of one DID."""

    did: str
    number: str
    reason: OptOutReason
    since: datetime

    def as_dict(self) -> dict[str, Any]:
        """Return the form the list action answers with."""
        return {
            "did": self.did,
            "number": self.number,
            "reason": str(self.reason),
            "since": self.since.isoformat(),
        }


class _StoredData(TypedDict):
    # DID -> [[number, reason, since (Unix time)], ...]: lists load fastest.
    dids: dict[str, list[list[Any]]]


class OptOutList:
    """The opt-out list of one config entry."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Keep the entry's list; call `async_load` before use."""
        self._hass = hass
        self._entry = entry
        self._store: Store[_StoredData] = entry_store(
            hass, entry.entry_id, OPT_OUTS, STORAGE_VERSION, atomic_writes=True
        )
        self._by_did: dict[str, dict[str, tuple[OptOutReason, float]]] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Read the saved list; entries that do not make sense are skipped."""
        # Read as untrusted: the file may have been edited by hand.
        stored: Any = await self._store.async_load()
        if not isinstance(stored, dict) or not isinstance(dids := stored.get("dids"), dict):
            return
        reasons = {str(reason): reason for reason in OptOutReason}
        for did, rows in dids.items():
            if not isinstance(rows, list):
                continue
            numbers: dict[str, tuple[OptOutReason, float]] = {}
            for row in rows:
                try:
                    number, reason, since = row
                    numbers[number] = (reasons[reason], float(since))
                except (TypeError, ValueError, KeyError):
                    LOGGER.debug("Skipping an unreadable opt-out of %s", did)
            if numbers:
                self._by_did[str(did)] = numbers

    async def async_unload(self) -> None:
        """Write what changed now (a pending delayed write would be lost with the entry)."""
        if self._dirty:
            self._dirty = False
            await self._store.async_save(self._data())

    def is_opted_out(self, did: str, number: str) -> bool:
        """Return whether `number` must not get texts from `did`."""
        numbers = self._by_did.get(did)
        return numbers is not None and number in numbers

    def count(self, did: str) -> int:
        """Return how many recipients opted out of `did`."""
        return len(self._by_did.get(did, ()))

    def latest(self, did: str, limit: int) -> list[str]:
        """Return up to `limit` numbers opted out of `did`, newest first (O(limit))."""
        numbers = self._by_did.get(did, {})
        # Insertion order is opt-out order: a number that opts out again goes last.
        return list(itertools.islice(reversed(numbers), limit))

    def entries(self, did: str | None = None) -> list[OptOut]:
        """Return the opt-outs of one DID, or of all, oldest first."""
        found = [
            OptOut(
                did=entry_did,
                number=number,
                reason=reason,
                since=datetime.fromtimestamp(since, UTC),
            )
            for entry_did, numbers in self._by_did.items()
            if did is None or entry_did == did
            for number, (reason, since) in numbers.items()
        ]
        found.sort(key=lambda item: item.since)
        return found

    @callback
    def async_set(self, did: str, number: str, *, opted_out: bool, reason: OptOutReason) -> bool:
        """Opt `number` out of (or back in to) `did`; False when nothing changed.

        Every change fires `flowroute_opt_out_changed`, tells the entities, and is saved.
        """
        did, number = did.removeprefix("+"), number.removeprefix("+")
        if opted_out == self.is_opted_out(did, number):
            return False
        if opted_out:
            self._by_did.setdefault(did, {})[number] = (reason, datetime.now(UTC).timestamp())
        else:
            numbers = self._by_did[did]
            del numbers[number]
            if not numbers:
                del self._by_did[did]
        self._dirty = True
        self._store.async_delay_save(self._data_and_clean, SAVE_DELAY)
        LOGGER.info(
            "%s opted %s of texts from %s (%s)",
            number,
            "out" if opted_out else "back in",
            did,
            reason,
        )
        self._hass.bus.async_fire(
            EVENT_OPT_OUT_CHANGED,
            {
                "did": did,
                "number": number,
                "opted_out": opted_out,
                "reason": str(reason),
                "config_entry_id": self._entry.entry_id,
            },
        )
        async_dispatcher_send(
            self._hass,
            SIGNAL_OPT_OUT.format(entry_id=self._entry.entry_id, did=did),
            number,
            opted_out,
            str(reason),
        )
        return True

    @callback
    def async_set_all(self, number: str, *, opted_out: bool, reason: OptOutReason) -> list[str]:
        """Apply to every DID of the entry (STOPALL, the actions); return the DIDs changed."""
        return [
            did
            for did in self._entry.data[CONF_NUMBERS]
            if self.async_set(did, number, opted_out=opted_out, reason=reason)
        ]

    @callback
    def async_on_receipt(self, update: ReceiptUpdate) -> None:
        """Opt out the recipient of a receipt with code 1110 (opted out at the carrier)."""
        if (
            update.state is DeliveryState.OPTED_OUT
            and update.from_number is not None
            and update.to_number is not None
        ):
            self.async_set(
                update.from_number,
                update.to_number,
                opted_out=True,
                reason=OptOutReason.DELIVERY_RECEIPT,
            )

    @callback
    def async_on_send_error(self, message: OutboundMessage, error: FlowrouteError | None) -> None:
        """Opt out the recipient of a send Flowroute refused with 1110 (they texted STOP)."""
        if isinstance(error, FlowrouteResponseError) and error.recipient_opted_out:
            self.async_set(
                message.from_number, message.to, opted_out=True, reason=OptOutReason.SEND_ERROR
            )

    def _data_and_clean(self) -> _StoredData:
        self._dirty = False
        return self._data()

    def _data(self) -> _StoredData:
        return {
            "dids": {
                did: [[number, str(reason), since] for number, (reason, since) in numbers.items()]
                for did, numbers in self._by_did.items()
            }
        }
