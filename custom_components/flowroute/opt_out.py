"""The opt-out list: who must never get another text from which of the entry's numbers.

A recipient is opted out of one DID (Flowroute and the carriers block per sending
number) when they text a STOP keyword to it (STOPALL: every DID of the entry), when
Flowroute refuses a send with code 1110, when a delivery receipt says 1110, or by the
`flowroute.opt_out` action. START, UNSTOP and YES (or `flowroute.opt_in`) lift it. Each
is told here directly by the module that decides it: the inbound router's keyword step
(`async_apply_keyword`), the receipt tracker (`async_learn_receipt`), the send outcomes
(`async_learn_refusal`, after `is_opt_out_refusal`) and the actions (`async_set`).

The list is checked by the send path before anything leaves (sending.Sender) and again by
the outbox right before each attempt, so a STOP that arrives while a message waits in
the queue still stops it. It lives in a Store per entry, written atomically a moment
after each change (and on unload); lookups are two dictionary reads.

It fails closed. A saved list that exists but cannot be read makes the list unavailable:
nothing is sent from the entry, the file is left alone, and a repair issue offers to
start an empty list (the file is kept under another name). A save that fails is retried,
with a repair issue while it fails.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import FlowrouteResponseError, canonical_number, format_number
from .const import CONF_NUMBERS, EVENT_OPT_OUT_CHANGED, LOGGER, SIGNAL_OPT_OUT
from .messages import Keyword
from .repairs import async_opt_out_list_unreadable, async_opt_out_save_failed
from .storage import OPT_OUTS, StoreReadError, StoreWriteError, fail_closed_store

if TYPE_CHECKING:
    from .data import FlowrouteConfigEntry
    from .storage import FailClosedStore

STORAGE_VERSION: Final = 1
# Long enough to write a burst of STOPs once, short enough that a crash loses nothing
# that matters (Flowroute's own block and its 1110 replies cover the gap).
SAVE_DELAY: Final = 1.0
SAVE_RETRY_DELAY: Final = 15.0  # after a failed save (disk full, read-only)
# STOPs arrive through unsigned callbacks, so the list is bounded: at most this many
# opt-outs per entry. At the bound an opt-out of one of the entry's own DIDs is still
# kept (a STOP is never dropped); one of any other DID is refused.
MAX_OPT_OUTS: Final = 100_000
# Latest `since` a saved row may have (9999-12-31): later ones cannot be a datetime.
_LATEST_SINCE: Final = 253_402_300_799.0
_SEPARATORS: Final = str.maketrans("", "", "+ -.()")
_NANP_LENGTH: Final = 11  # a North American number in canonical form: 1 and 10 digits


def canonical_key(number: str) -> str:
    """Return the form the list keeps a DID or number in (digits, 10-digit NANP gains a 1).

    A STOP from 2065550100 or "1 206 555 0100" and a send to +1 (206) 555-0100 are one
    phone. Anything that is not a number comes out with other characters than digits.
    """
    if not number.isdigit():
        number = number.translate(_SEPARATORS)
    return canonical_number(number)


def is_opt_out_refusal(error: object) -> bool:
    """Whether a failed send means its recipient opted out: Flowroute's code 1110.

    The one test of it: the send path refuses with the opted-out error, the outcomes
    teach this list, and the failure repair does not count it.
    """
    return isinstance(error, FlowrouteResponseError) and error.recipient_opted_out


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


_REASONS: Final = frozenset(str(reason) for reason in OptOutReason)
_ROW_LENGTH: Final = {3}
_REASON: Final = itemgetter(1)
_SINCE: Final = itemgetter(2)


class _StoredData(TypedDict):
    # DID -> [[number, reason, since (Unix time)], ...]: lists load fastest.
    dids: dict[str, list[list[Any]]]


# DID -> number -> its saved row, [number, reason, since]. Rows are the stored form (a
# load indexes them, a save lists them) and are replaced, never changed: a snapshot
# being written shares them.
type _ByDid = dict[str, dict[str, list[Any]]]


class OptOutList:
    """The opt-out list of one config entry."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Keep the entry's list; call `async_load` before use."""
        self._hass = hass
        self._entry = entry
        self._store: FailClosedStore[_StoredData] = fail_closed_store(
            hass, entry.entry_id, OPT_OUTS, STORAGE_VERSION
        )
        self._own_dids = frozenset(canonical_key(did) for did in entry.data[CONF_NUMBERS])
        self._by_did: _ByDid = {}
        self._size = 0
        self._unreadable: str | None = None  # why the saved list could not be read
        self._changes = 0  # changes made since the load ...
        self._saved = 0  # ... and how many of them are on disk
        self._saver: asyncio.Task[None] | None = None
        self._save_failing = False

    @property
    def available(self) -> bool:
        """Whether the saved list could be read: while not, nothing may be sent."""
        return self._unreadable is None

    async def async_load(self) -> None:
        """Read the saved list; one that exists but cannot be read makes it unavailable."""
        try:
            # Read as untrusted: the file may have been edited by hand.
            stored: Any = await self._store.async_load()
            if stored is not None:
                self._by_did = _parse(self._store.key, stored)
        except StoreReadError as err:
            self._unreadable = err.reason
            LOGGER.error(
                "The opt-out list of %s cannot be read (%s), so nothing is sent from it;"
                " see Settings > Repairs (the file %s is left as it is)",
                self._entry.title,
                err.reason,
                self._store.path,
            )
            async_opt_out_list_unreadable(
                self._hass, self._entry, reason=err.reason, path=self._store.path
            )
            return
        self._size = sum(len(numbers) for numbers in self._by_did.values())

    async def async_unload(self) -> None:
        """Write what changed now (a pending delayed write would be lost with the entry)."""
        async_opt_out_list_unreadable(self._hass, self._entry, reason=None)
        if self.available and self._saved != self._changes:
            await self._async_save()

    async def async_start_empty(self) -> None:
        """Replace the unreadable saved list with the opt-outs that arrived since the load.

        The file is kept, renamed with a timestamp. Raises OSError when it cannot be
        moved, StoreWriteError when the new list cannot be written (the file is then
        moved back): the list stays unavailable.
        """
        moved = await self._store.async_move_aside()
        try:
            await self._store.async_save_checked(self._data())
        except StoreWriteError:
            if moved is not None:
                await self._store.async_move_back(moved)
            raise
        LOGGER.warning(
            "The opt-out list of %s starts empty, as asked; the unreadable file was kept as %s",
            self._entry.title,
            moved,
        )
        self._unreadable = None
        self._saved = self._changes
        async_opt_out_list_unreadable(self._hass, self._entry, reason=None)

    def is_opted_out(self, did: str, number: str) -> bool:
        """Return whether `number` must not get texts from `did`."""
        numbers = self._by_did.get(canonical_key(did))
        return numbers is not None and canonical_key(number) in numbers

    def count(self, did: str) -> int:
        """Return how many recipients opted out of `did`."""
        return len(self._by_did.get(canonical_key(did), ()))

    def latest(self, did: str, limit: int) -> list[str]:
        """Return up to `limit` numbers opted out of `did`, newest first (O(limit))."""
        numbers = self._by_did.get(canonical_key(did), {})
        # Insertion order is opt-out order: a number that opts out again goes last.
        return list(itertools.islice(reversed(numbers), limit))

    def entries(self, did: str | None = None) -> list[OptOut]:
        """Return the opt-outs of one DID, or of all, oldest first."""
        wanted = None if did is None else canonical_key(did)
        found = [
            OptOut(
                did=entry_did,
                number=number,
                reason=OptOutReason(reason),
                since=datetime.fromtimestamp(since, UTC),
            )
            for entry_did, numbers in self._by_did.items()
            if wanted is None or entry_did == wanted
            for number, reason, since in numbers.values()
        ]
        found.sort(key=lambda item: item.since)
        return found

    @callback
    def async_set(self, did: str, number: str, *, opted_out: bool, reason: OptOutReason) -> bool:
        """Opt `number` out of (or back in to) `did`; False when nothing changed.

        Every change fires `flowroute_opt_out_changed`, tells the entities, and is saved.
        """
        did, number = canonical_key(did), canonical_key(number)
        if not (did.isdigit() and number.isdigit()):
            # No send can go to or from it (the send path normalises), so nothing is lost.
            LOGGER.warning("Ignoring an opt-out change for something that is not a number")
            return False
        if opted_out == self.is_opted_out(did, number):
            return False
        if opted_out:
            if self._size >= MAX_OPT_OUTS and did not in self._own_dids:
                LOGGER.warning(
                    "The opt-out list of %s holds %d numbers, its limit: not recording that"
                    " %s opted out of %s, which is not one of the entry's numbers",
                    self._entry.title,
                    self._size,
                    format_number(number),
                    format_number(did),
                )
                return False
            row = [number, str(reason), datetime.now(UTC).timestamp()]
            self._by_did.setdefault(did, {})[number] = row
            self._size += 1
        else:
            numbers = self._by_did[did]
            del numbers[number]
            self._size -= 1
            if not numbers:
                del self._by_did[did]
        self._changed()
        LOGGER.info(
            "%s opted %s of texts from %s (%s)",
            format_number(number),
            "out" if opted_out else "back in",
            format_number(did),
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
    def async_apply_keyword(
        self, did: str, number: str, keyword: Keyword, *, every_did: bool = False
    ) -> bool:
        """Act on a STOP or START that `number` texted to `did`; True when START lifted a block.

        STOP opts out of that DID (`every_did`, for STOPALL: of every DID of the entry);
        START opts back in to that DID. HELP changes nothing here.
        """
        reason = OptOutReason.KEYWORD
        if keyword is Keyword.STOP:
            # The DID texted first: STOPALL to a number the entry does not use covers it too.
            self.async_set(did, number, opted_out=True, reason=reason)
            if every_did:
                self.async_set_all(number, opted_out=True, reason=reason)
            return False
        if keyword is Keyword.START:
            return self.async_set(did, number, opted_out=False, reason=reason)
        return False

    @callback
    def async_learn_receipt(self, did: str, number: str) -> None:
        """Opt out the recipient of a text whose receipt said 1110 (opted out at the carrier)."""
        self.async_set(did, number, opted_out=True, reason=OptOutReason.DELIVERY_RECEIPT)

    @callback
    def async_learn_refusal(self, did: str, number: str) -> None:
        """Opt out the recipient of a send Flowroute refused with 1110 (see is_opt_out_refusal)."""
        self.async_set(did, number, opted_out=True, reason=OptOutReason.SEND_ERROR)

    # Saving

    @callback
    def _changed(self) -> None:
        self._changes += 1
        # While unavailable the file is never overwritten: changes live in memory only.
        if self.available and self._saver is None:
            self._saver = self._entry.async_create_background_task(
                self._hass,
                self._async_save_soon(),
                f"flowroute opt-out list {self._entry.entry_id} save",
            )

    async def _async_save_soon(self) -> None:
        """Write a moment after a change; after a failure, again until a write succeeds."""
        delay = SAVE_DELAY
        try:
            while self._saved != self._changes:
                await asyncio.sleep(delay)
                # Shielded: an unload cancels this task, and its own write must come after.
                saved = await asyncio.shield(self._async_save())
                delay = SAVE_DELAY if saved else SAVE_RETRY_DELAY
        finally:
            self._saver = None

    async def _async_save(self) -> bool:
        """Write the list now; on failure log once and keep the repair issue up."""
        changes = self._changes
        try:
            await self._store.async_save_checked(self._data())
        except StoreWriteError as err:
            if not self._save_failing:
                self._save_failing = True
                LOGGER.error(
                    "The opt-out list of %s could not be saved, retrying every %.0f s: %s",
                    self._entry.title,
                    SAVE_RETRY_DELAY,
                    err.error,
                )
            async_opt_out_save_failed(self._hass, self._entry, error=str(err.error))
            return False
        self._saved = changes
        if self._save_failing:
            self._save_failing = False
            LOGGER.info("The opt-out list of %s is saved again", self._entry.title)
            async_opt_out_save_failed(self._hass, self._entry, error=None)
        return True

    def _data(self) -> _StoredData:
        return {"dids": {did: list(numbers.values()) for did, numbers in self._by_did.items()}}


def _parse(key: str, stored: Any) -> _ByDid:
    """Read a saved list; raise StoreReadError on anything that is not one, row by row."""
    if not isinstance(stored, dict) or not isinstance(dids := stored.get("dids"), dict):
        raise StoreReadError(key, "it does not hold an opt-out list")
    by_did: _ByDid = {}
    for did, rows in dids.items():
        did_key = canonical_key(did)
        if type(rows) is not list or not (did_key.isascii() and did_key.isdigit()):
            raise StoreReadError(key, "its opt-outs are not listed per number")
        try:
            numbers = {row[0]: row for row in rows}
            readable = _readable(numbers)
        except (IndexError, KeyError, TypeError):  # not a list, not hashable, not numbers
            readable = False
        if not readable:
            raise StoreReadError(
                key, f"an opt-out of texts from {format_number(did_key)} cannot be read"
            )
        # canonical_number changes only numbers of 10 digits: mostly nothing to do.
        if min(map(len, numbers), default=_NANP_LENGTH) < _NANP_LENGTH:
            numbers = {
                (number := canonical_number(row[0])): [number, row[1], row[2]]
                for row in numbers.values()
            }
        by_did.setdefault(did_key, {}).update(numbers)
    return by_did


def _readable(numbers: dict[Any, list[Any]]) -> bool:
    """Check indexed rows in bulk: a loop in C per check, not a Python loop per row.

    A list of 100,000 numbers loads faster than with one Python loop that checked little,
    and any row that is not [digits, a reason, a time] makes the whole list unreadable.
    """
    if not numbers:
        return True
    rows = numbers.values()
    joined = "".join(numbers)  # TypeError unless every number is a string
    return (
        set(map(len, rows)) == _ROW_LENGTH
        and joined.isascii()
        and joined.isdigit()
        and "" not in numbers
        and _REASONS.issuperset(map(_REASON, rows))
        # TypeError unless every time is a number (JSON has no NaN or infinity).
        and min(map(_SINCE, rows)) >= 0
        and max(map(_SINCE, rows)) <= _LATEST_SINCE
    )
